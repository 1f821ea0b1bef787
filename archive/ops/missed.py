"""Nothing lost silently: the pages the site gives as posts that the archive does not hold as articles.

A page counts when its last fetch answered 200, detection or extraction decided it is not an article, and the site
gives it as a post: a posts sitemap or feed lists it, or a sitemap of posts and pages does, or its URL has the
pattern of the site's stored articles (archive/store/missed.py says which; docs/reference.md, arshif missed). The
crawl's summary and `stats` count them by reason; `arshif missed` lists them with their evidence.

Two kinds (issue 27): a page detection or extraction could not take is a lost article (`lost`: true); a page a rule
refused as an article (archive.pages.not_articles: a soft-404, a truncated answer, an absurdly large page) is not —
the site never served an article there, or served one too broken to take — and is listed with its reason but counted
apart (`refused_reasons`), never among the lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote

from archive.core.times import iso_utc
from archive.pages.not_articles import REASONS, refused_reason
from archive.store.database import Store


@dataclass
class MissedPage:
    url: str  # canonical
    reason: str
    fetched: str  # ISO 8601 UTC: the last fetch
    lost: bool = True  # False: a rule refused it as an article (a soft-404, a truncated answer, …), nothing was lost
    # why it is a post: listed as a post (a posts sitemap or feed), listed by a sitemap (of posts and pages), or
    # shaped like the site's articles (archive.store.missed)
    evidence: str = "listed as a post"

    def as_dict(self) -> dict:
        """The keys of docs/reference.md (arshif missed)."""
        return asdict(self)

    def line(self) -> str:
        """REASON<TAB>URL, the URL with its Arabic decoded as a reader types it."""
        return f"{self.reason}\t{unquote(self.url)}"


@dataclass
class MissedReport:
    pages: list[MissedPage]

    def as_list(self) -> list[dict]:
        return [page.as_dict() for page in self.pages]

    def summary(self) -> str:
        refused = sum(1 for page in self.pages if not page.lost)
        line = f"{len(self.pages) - refused} page(s) the site gives as posts and not stored as articles"
        if refused:
            line += (f"; {refused} more refused as articles by a rule ({', '.join(REASONS)}), not lost: "
                     "the site served no article there")
        return line


def missed_pages(data: Path, say: Callable[[str], None] | None = None) -> MissedReport:
    """The pages given as posts and not stored as articles in the archive at `data`, sorted by URL; `say` hears
    the line saying so when the database must be upgraded first."""
    with Store.open_for_reading(data, say, search=False) as store:
        rows = store.missed_posts()
    return MissedReport([MissedPage(r["canonical"], r["reason"], iso_utc(r["last_fetched"]),
                                    refused_reason(r["reason"]) is None, r["evidence"]) for r in rows])


def missed_reasons(store: Store) -> dict[str, int]:
    """Reason → how many pages listed as posts are not stored as articles and lost (no rule refused them),
    commonest first."""
    counts: dict[str, int] = {}
    for row in store.missed_posts():
        if refused_reason(row["reason"]) is None:
            counts[row["reason"]] = counts.get(row["reason"], 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def refused_reasons(store: Store) -> dict[str, int]:
    """Rule (archive.pages.not_articles.REASONS, every one, 0 when none) → pages listed as posts that the rule
    refused as articles: not stored as articles, and not lost."""
    counts = dict.fromkeys(REASONS, 0)
    for row in store.missed_posts():
        rule = refused_reason(row["reason"])
        if rule is not None:
            counts[rule] += 1
    return counts
