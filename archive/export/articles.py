"""Articles out of the archive for researchers: JSON Lines or CSV (UTF-8 with a byte-order mark, so that
spreadsheet programs show Arabic), with the keys of docs/reference.md (arshif export) — and, for an export made
with a QUERY, each article's `snippet` (matches in [ ]) and `score`, as `arshif search --json` gives them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from archive.core.times import stamp_iso
from archive.search.query import Query
from archive.search.searcher import Filters
from archive.search.snippets import Matcher, bracketed, snippet
from archive.store.database import Say, Store

if TYPE_CHECKING:
    from archive.export.wacz import Written

KEYS = ("url", "title", "published", "lang", "section", "author", "body", "tags", "modified", "word_count", "image",
        "versions", "removed", "replay")
QUERY_KEYS = ("snippet", "score")


def matching(store: Store, query: str | None = None, filters: Filters | None = None,
             all_versions: bool = False) -> tuple[Query | None, list[tuple]]:
    """(article id, version id, score, published) of every article that matches the query (best first) or,
    without one, passes the filters (newest first). Raises QueryError on a query or filter that cannot run."""
    return store.searcher().matching(query, filters, sort="relevance" if query else "newest",
                                     all_versions=all_versions, limit=None)


def matching_ids(store: Store, query: str | None = None, filters: Filters | None = None,
                 all_versions: bool = False) -> list[int]:
    return [row[0] for row in matching(store, query, filters, all_versions)[1]]


def articles(data: Path, query: str | None = None, filters: Filters | None = None,
             all_versions: bool = False, say: Say | None = None) -> Iterator[dict]:
    """Every matching article with the export keys, read from the archive opened read-only (`say` hears of an
    upgrade first). Raises QueryError before yielding anything."""
    store = Store.open_for_reading(data, say, search=False)
    try:
        parsed, rows = matching(store, query, filters, all_versions)
    except BaseException:
        store.close()
        raise
    return _rows(store, rows, Matcher(parsed) if parsed else None)


def _rows(store: Store, rows: list[tuple], matcher: Matcher | None) -> Iterator[dict]:
    try:
        for at in range(0, len(rows), 500):
            chunk = rows[at:at + 500]
            found = store.articles_by_ids(row[0] for row in chunk)
            for article_id, _version, score, _published in chunk:
                a = found[article_id]
                url, body, last = a["canonical"], a["body"], a["last_captured"]
                row = {"url": url, "title": a["title"], "published": a["published"], "lang": a["lang"],
                       "section": a["section"], "author": a["author"], "body": body,
                       "tags": json.loads(a["tags"] or "[]"), "modified": a["modified"],
                       "word_count": a["word_count"], "image": a["image"], "versions": a["versions"],
                       "removed": stamp_iso(a["removed"]), "replay": f"/web/{last}/{url}" if last else None}
                if matcher is not None:
                    row["snippet"] = bracketed(snippet(body, matcher))
                    row["score"] = max(float(f"{score:.4g}"), 1e-9)
                yield row
    finally:
        store.close()


def write_wacz(data: Path, output: Path, query: str | None = None, filters: Filters | None = None,
               all_versions: bool = False, requisites: bool = True, say: Say | None = None) -> Written:
    from archive.export import wacz

    store = Store.open_for_reading(data, say, search=False)
    try:
        ids = matching_ids(store, query, filters, all_versions)
        return wacz.write(Path(data), store, ids, Path(output),
                          title=f"arshif: {query}" if query else "arshif export", requisites=requisites)
    finally:
        store.close()


def write(rows: Iterator[dict], fmt: str, output: Path, with_query: bool = False) -> int:
    count = 0
    if fmt == "jsonl":
        with Path(output).open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    elif fmt == "csv":
        with Path(output).open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=KEYS + (QUERY_KEYS if with_query else ()))
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, "tags": "; ".join(row["tags"])})
                count += 1
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return count
