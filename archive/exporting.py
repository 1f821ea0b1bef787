"""Articles out of the archive for researchers: JSON Lines or CSV (UTF-8 with a byte-order mark, so that
spreadsheet programs show Arabic), with the keys of docs/reference.md (arshif export) — and, for an export made
with a QUERY, each article's `snippet` (matches in [ ]) and `score`, as `arshif search --json` gives them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from archive.query import Query
from archive.search import Filters, Searcher
from archive.snippets import Matcher, bracketed, snippet
from archive.store import Store

KEYS = ("url", "title", "published", "lang", "section", "author", "body", "tags", "modified", "word_count", "image",
        "versions", "removed", "replay")
QUERY_KEYS = ("snippet", "score")


def matching(store: Store, query: str | None = None, filters: Filters | None = None,
             all_versions: bool = False) -> tuple[Query | None, list[tuple]]:
    """(article id, version id, score, published) of every article that matches the query (best first) or,
    without one, passes the filters (newest first). Raises QueryError on a query or filter that cannot run."""
    searcher = Searcher(store.db.conn)
    return searcher.matching(query, filters, sort="relevance" if query else "newest", all_versions=all_versions,
                             limit=None)


def matching_ids(store: Store, query: str | None = None, filters: Filters | None = None,
                 all_versions: bool = False) -> list[int]:
    return [row[0] for row in matching(store, query, filters, all_versions)[1]]


def articles(data: Path, query: str | None = None, filters: Filters | None = None,
             all_versions: bool = False) -> Iterator[dict]:
    """Every matching article with the export keys. Raises QueryError before yielding anything."""
    store = Store(Path(data) / "archive.db")
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
            ids = [row[0] for row in chunk]
            found = {row[0]: row[1:] for row in store.db.execute(
                "SELECT id, canonical, title, published, lang, section, author, body, tags, modified, word_count, "
                f"image, versions, removed, last_captured FROM articles WHERE id IN ({', '.join('?' * len(ids))})",
                ids)}
            for article_id, _version, score, _published in chunk:
                (url, title, published, lang_, section_, author, body, tags, modified, words, image, versions,
                 removed, last) = found[article_id]
                row = {"url": url, "title": title, "published": published, "lang": lang_, "section": section_,
                       "author": author, "body": body, "tags": json.loads(tags or "[]"), "modified": modified,
                       "word_count": words, "image": image, "versions": versions, "removed": removed,
                       "replay": f"/web/{last}/{url}" if last else None}
                if matcher is not None:
                    row["snippet"] = bracketed(snippet(body, matcher))
                    row["score"] = max(float(f"{score:.4g}"), 1e-9)
                yield row
    finally:
        store.close()


def write_wacz(data: Path, output: Path, query: str | None = None, filters: Filters | None = None,
               all_versions: bool = False, requisites: bool = True):
    from archive import wacz

    store = Store(Path(data) / "archive.db")
    try:
        ids = matching_ids(store, query, filters, all_versions)
        return wacz.write(Path(data), store.db.conn, ids, Path(output),
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


def staleness(store) -> dict:
    """How fresh the archive's knowledge of its articles is: when the least recently looked-at article online was
    last looked at (a check, else its last capture), the share looked at within the revisit period, the period the
    last crawl used, and how many due revisits its budget left out."""
    from archive.clock import instant, scheduling_now
    from crawler.revisits import RevisitPolicy

    last = store.db.execute("SELECT stats FROM crawls WHERE stats IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    crawl_stats = json.loads(last[0]) if last and last[0] else {}
    period = float(crawl_stats.get("arshif/revisits/period") or RevisitPolicy().period)
    looks = [instant(row[0]) for row in store.db.execute(
        "SELECT coalesce((SELECT max(c.checked) FROM checks c WHERE c.canonical = a.canonical), a.last_captured) "
        "FROM articles a WHERE a.removed IS NULL")]
    looks = [when for when in looks if when is not None]
    now = scheduling_now()  # the system clock: ARSHIF_CLOCK is a crawl's setting
    oldest = min(looks, default=None)
    return {"oldest_check": oldest.isoformat(timespec="seconds") if oldest else None,
            "checked_within_period": round(sum((now - when).total_seconds() <= period for when in looks)
                                           / len(looks), 4) if looks else None,
            "period_days": round(period / 86400, 2),
            "left_out_last_run": int(crawl_stats.get("arshif/revisits/left_out", 0))}


def removal_checks(store) -> dict:
    """Since when the last crawls have had a sitemap or feed fail: the articles those sources listed are not
    re-checked for removal while they fail (each source withholds only its own evidence)."""
    streak = []
    for started, crawl_stats in store.db.execute("SELECT started, stats FROM crawls WHERE stats IS NOT NULL "
                                                 "ORDER BY id DESC LIMIT 1000"):
        if not int(json.loads(crawl_stats).get("arshif/discovery/sources_broken", 0) or 0):
            break
        streak.append(started)
    return {"limited_since": streak[-1] if streak else None, "limited_runs": len(streak)}


def stats(data: Path) -> dict:
    store = Store(Path(data) / "archive.db")
    db = store.db
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    result = {
        "articles": one("SELECT count(*) FROM articles"),
        "versions": one("SELECT count(*) FROM article_versions"),
        "captures": one("SELECT count(*) FROM captures WHERE record_type != 'request'"),
        "warc_files": one("SELECT count(*) FROM warc_files"),
        "warc_bytes": one("SELECT coalesce(sum(size), 0) FROM warc_files"),
        "languages": dict(db.execute("SELECT coalesce(lang, '?'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC")
                          .fetchall()),
        "sections": dict(db.execute("SELECT coalesce(section, '?'), count(*) FROM articles GROUP BY 1 "
                                    "ORDER BY 2 DESC").fetchall()),
        "first_published": one("SELECT min(substr(published, 1, 10)) FROM articles"),
        "last_published": one("SELECT max(substr(published, 1, 10)) FROM articles"),
        "crawls": [],
    }
    from archive.crawl import missed_reasons

    reasons = missed_reasons(store)
    result["missed_posts"] = sum(reasons.values())
    result["missed_reasons"] = reasons
    result["revisits"] = staleness(store)
    result["removal_checks"] = removal_checks(store)
    for row in db.execute("SELECT id, started, finished, status, exit_code, stats FROM crawls ORDER BY id DESC "
                          "LIMIT 10"):
        crawl_stats = json.loads(row[5]) if row[5] else {}
        result["crawls"].append({
            "id": row[0], "started": row[1], "finished": row[2], "status": row[3], "exit_code": row[4],
            "pages": crawl_stats.get("response_received_count", 0),
            "articles": crawl_stats.get("arshif/articles", 0),
            "new_articles": crawl_stats.get("arshif/articles/new", 0),
            "new_versions": crawl_stats.get("arshif/articles/version", 0),
            "extraction_failures": crawl_stats.get("arshif/extract/failed", 0),
            "errors": sum(v for k, v in crawl_stats.items() if k.startswith("arshif/fetch_error/")),
        })
    # what a monitor watches: how long ago the last crawl finished well (status finished, exit status 0)
    last = db.execute("SELECT id, finished FROM crawls WHERE status = 'finished' AND coalesce(exit_code, 0) = 0 "
                      "AND finished IS NOT NULL ORDER BY finished DESC LIMIT 1").fetchone()
    result["last_success"] = None
    if last:
        age = datetime.now(UTC) - datetime.fromisoformat(last[1])
        result["last_success"] = {"id": last[0], "finished": last[1], "age_seconds": round(age.total_seconds())}
    store.close()
    return result
