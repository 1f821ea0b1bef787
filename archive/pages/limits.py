"""Pages too large, or cut too short, to be read as articles: the one check, made before a page is parsed (issue 27).

A page past ARSHIF_ARTICLE_MAX_SIZE bytes, or with more than ARSHIF_ARTICLE_MAX_TAGS tags, is never parsed for
article detection nor extracted, in the crawl as in `reextract`, `rebuild`, `ingest` and the crawl's catch-up: no news
article is tens of megabytes, and what such a page costs grows with it (a 60 MB page of 5.5 million words became an
article and made every search take 7.6 s; trafilatura took 11 s and 620 MiB on an 18 MB page of plain paragraphs,
19 s and 540 MiB on a 1.6 MB page of 400,000 bare links). Tags are counted as the bytes `<`, which bound the elements
a parser can make of the page, without parsing it. A page cut short (a size limit, a declared length not met, HTML
that stops mid-document: the crawl's `arshif_truncated`, a record's `WARC-Truncated`) is not an article either.

Such a page stays archived; its reason goes into `detection` (archive.pages.not_articles) and `arshif missed` lists it.
"""

from __future__ import annotations

from archive.core.sizes import size_from_environment
from archive.pages.not_articles import TOO_LARGE, TRUNCATED, refused
from archive.pages.truncation import cut_short

# Every command's limits: the crawl's settings of the same names default to them (settings.py says why these values),
# and the environment variables ARSHIF_ARTICLE_MAX_SIZE / ARSHIF_ARTICLE_MAX_TAGS change them for every command.
ARTICLE_MAX_SIZE = size_from_environment("ARSHIF_ARTICLE_MAX_SIZE", 8 << 20)
ARTICLE_MAX_TAGS = size_from_environment("ARSHIF_ARTICLE_MAX_TAGS", 200_000)
WARC_TRUNCATED = ("length", "time", "disconnect", "unspecified")  # the WARC 1.1 spec's values of WARC-Truncated
CUT_AT_LIMIT = "length"


def too_large(body: bytes, max_size: int = ARTICLE_MAX_SIZE, max_tags: int = ARTICLE_MAX_TAGS) -> str | None:
    """The `detection` text refusing a page past either limit as an article (0: no limit), or None. Costs a scan of
    the bytes, never a parse."""
    if max_size and len(body) > max_size:
        return refused(TOO_LARGE, f"{len(body)} bytes, past ARSHIF_ARTICLE_MAX_SIZE")
    if max_tags and len(body) > max_tags:  # fewer bytes than the limit cannot hold more tags
        tags = body.count(b"<")
        if tags > max_tags:
            return refused(TOO_LARGE, f"{tags} tags, past ARSHIF_ARTICLE_MAX_TAGS")
    return None


def truncated(reason: str) -> str:
    """The `detection` text refusing a page cut short: `reason` is a WARC-Truncated value, or what was seen."""
    if reason == CUT_AT_LIMIT:
        return refused(TRUNCATED, "cut at a size limit (WARC-Truncated: length)")
    if reason in WARC_TRUNCATED:
        return refused(TRUNCATED, f"WARC-Truncated: {reason}")
    return refused(TRUNCATED, reason)


def not_an_article(body: bytes, truncated_reason: str | None = None, max_size: int = ARTICLE_MAX_SIZE,
                   max_tags: int = ARTICLE_MAX_TAGS) -> str | None:
    """The `detection` text of a page refused as an article before it is parsed (cut short, or too large), or None
    when it may be read."""
    if truncated_reason:
        return truncated(truncated_reason)
    large = too_large(body, max_size, max_tags)
    if large:
        return large
    cut = cut_short(body)  # HTML that stops mid-document: the crawl retried it, then kept it as it came
    return truncated(cut) if cut else None
