"""Answers that look like article pages and are not: the reasons a page is refused as an article by a rule (issue 27).

A page refused for one of these reasons is still archived (its WARC record stays) and is noted in the urls table with
its reason in `detection` ("soft-404: …", "truncated: …", "too large: …"). `arshif missed` lists such pages with their
reason, but they are not lost articles: the site never served an article there, or served one we could not take
whole and will ask for again.
"""

from __future__ import annotations

SOFT_404 = "soft-404"    # the site answers any unknown path of this shape with this page (a probe said so)
TRUNCATED = "truncated"  # the answer stopped short: cut at a size limit, a declared length not met, HTML cut mid-way
TOO_LARGE = "too large"  # past ARSHIF_ARTICLE_MAX_SIZE: no news article is tens of megabytes
REASONS = (SOFT_404, TRUNCATED, TOO_LARGE)


def refused(reason: str, detail: str = "") -> str:
    """The `detection` text of a page refused as an article: its reason, then what was seen."""
    if reason not in REASONS:
        raise ValueError(f"not a reason to refuse an article: {reason!r}")
    return f"{reason}: {detail}" if detail else reason


def refused_reason(detection: str | None) -> str | None:
    """The rule that refused a page (one of REASONS), or None for a page that is simply not an article."""
    if not detection:
        return None
    for reason in REASONS:
        if detection == reason or detection.startswith(reason + ":"):
            return reason
    return None
