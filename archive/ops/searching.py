"""Searching an archive from a command: its search index brought up to this arshif's normaliser first (once, when
another arshif made it), then the query run (docs/reference.md, arshif search and arshif reindex)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from archive.core.paths import database
from archive.core.times import stamp_iso
from archive.search.searcher import Filters, Hit
from archive.search.snippets import Segment
from archive.store.database import Say, Store

Progress = Callable[[int, int], None]


def open_index(data: Path, progress: Progress | None = None, say: Say | None = None) -> Store:
    """The archive's store, read-only, with a search index this arshif can read: one made by another normaliser
    is rebuilt first, once, and `say` is told so (Store.open_for_reading). The caller closes the store."""
    return Store.open_for_reading(data, say, progress)


def ensure_index(data: Path, progress: Progress | None = None, say: Say | None = None) -> None:
    """The search index brought up to this arshif's normaliser when another one made it."""
    open_index(data, progress, say).close()


def reindex(data: Path, progress: Progress | None = None, lists_progress: Progress | None = None) -> int:
    """Index every article version again, then the impact lists; the number indexed."""
    with Store(database(data)) as store:
        return store.reindex(progress, lists_progress=lists_progress)


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    total: int | None  # every matching article, when asked for

    def as_list(self) -> list[dict]:
        return [hit.as_json() for hit in self.hits]

    def blocks(self, show: Callable[[list[Segment]], str]) -> list[str]:
        """Each hit as `arshif search` prints it, the marked words drawn by `show`."""
        out = []
        for rank, hit in enumerate(self.hits, 1):
            notes = []
            if hit.versions > 1:
                notes.append(f"version {hit.version} of {hit.versions}")
            if hit.removed:
                notes.append(f"removed from the site {stamp_iso(hit.removed)[:10]}")
            meta = " · ".join(x for x in ((hit.published or "")[:10], hit.section or "", hit.lang or "") if x)
            out.append(f"{rank:>3}. {meta}" + (f"  ({'; '.join(notes)})" if notes else "") + "\n"
                       f"     {show(hit.title_marked)}\n     {unquote(hit.url)}\n     {show(hit.snippet)}\n")
        return out

    def summary(self, limit: int) -> str:
        if not self.hits:
            return f"no results for {self.query}"
        total = len(self.hits) if self.total is None else self.total
        return f"{len(self.hits)} of {total} matching articles" + (f" (--limit {limit})" if total > len(self.hits)
                                                                    else "")


def search(data: Path, query: str, filters: Filters | None = None, sort: str = "relevance",
           all_versions: bool = False, limit: int = 20, total: bool = True, progress: Progress | None = None,
           say: Say | None = None) -> SearchResult:
    """The best `limit` hits for `query` in the order of `sort`, and (with `total`) how many articles match in all.
    QueryError (a SearchError) when the query or a filter cannot run."""
    with open_index(data, progress, say) as store:
        searcher = store.searcher()
        hits = searcher.search(query, filters, sort, all_versions, limit)
        count = searcher.count(query, filters, all_versions) if total and hits else None
    return SearchResult(query, hits, count)


@dataclass
class Counts:
    query: str
    by: str  # month or section
    counts: list[tuple[str, int]]

    def as_list(self) -> list[dict]:
        return [{self.by: label, "articles": n} for label, n in self.counts]

    def lines(self) -> list[str]:
        return [f"{label}\t{n}" for label, n in self.counts]


def count_by(data: Path, query: str, by: str, filters: Filters | None = None, all_versions: bool = False,
             progress: Progress | None = None, say: Say | None = None) -> Counts:
    """How many articles match `query` per month or section. QueryError when the query or a filter cannot run."""
    with open_index(data, progress, say) as store:
        return Counts(query, by, store.searcher().count_by(query, by, filters, all_versions))
