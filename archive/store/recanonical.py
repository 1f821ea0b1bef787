"""Stored URLs brought to today's canonical form (schema 9: session ids, archive/core/urls.py), rows that become one
merged. The WARC files are never touched: a capture keeps its URL as fetched, only its `canonical` changes.

Every capture is kept. Of the `urls` rows that become one, one is kept, with what all of them knew (the earliest
first sight, the latest fetch, an article if any was one). Of the articles that become one, one is kept (the one
already under the canonical URL, else the one captured last), and every version of all of them is kept, in time
order, one version per change of text: the copies of a page that a session id made look like one article seen many
times. The search index follows.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from archive.core.urls import canonical
from archive.search import index as search_index

# the rows worth a look: a session id lives in the query or in a `;jsessionid=` path parameter
MAYBE = "canonical LIKE '%?%' OR canonical LIKE '%;%'"
VERSION_FIELDS = ("title", "body", "author", "published", "modified", "section", "tags", "image", "lang",
                  "word_count")


def _moves(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    olds = [row[0] for row in conn.execute(f"SELECT DISTINCT canonical FROM {table} WHERE {MAYBE}")]
    return {old: new for old in olds if (new := canonical(old)) != old}


def recanonicalise(conn: sqlite3.Connection) -> str | None:
    """Re-canonicalise every stored row whose URL changed form, inside the caller's transaction; what was done,
    in a line for the operator, or None when nothing was."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    captures = _moves(conn, "captures") if "captures" in tables else {}
    for old, new in captures.items():
        conn.execute("UPDATE captures SET canonical = ? WHERE canonical = ?", [new, old])
    if "checks" in tables:
        for old, new in _moves(conn, "checks").items():
            conn.execute("UPDATE checks SET canonical = ? WHERE canonical = ?", [new, old])
    urls = _moves(conn, "urls") if "urls" in tables else {}
    urls_merged = sum(_move_url(conn, old, new) for old, new in urls.items())
    articles = _moves(conn, "articles") if "articles" in tables else {}
    articles_merged = _move_articles(conn, articles)
    moved = len(set(captures) | set(urls) | set(articles))
    if not moved:
        return None
    return (f"{moved} stored URL(s) carried a session id (archive/core/urls.py): now in their canonical form; "
            f"{urls_merged} URL row(s) and {articles_merged} article(s) merged into the page they copied, every "
            "capture and every version kept; the WARC files are unchanged")


def _row(conn: sqlite3.Connection, url: str) -> dict | None:
    cursor = conn.execute("SELECT * FROM urls WHERE canonical = ?", [url])
    row = cursor.fetchone()
    return None if row is None else {d[0]: value for d, value in zip(cursor.description, row, strict=True)}


def _move_url(conn: sqlite3.Connection, old: str, new: str) -> int:
    """1 when the row merged into one already there, else 0."""
    there = _row(conn, new)
    if there is None:
        conn.execute("UPDATE urls SET canonical = ? WHERE canonical = ?", [new, old])
        return 0
    mine = _row(conn, old)
    merged = {k: there[k] if there[k] is not None else mine[k] for k in there}
    merged["first_seen"] = min(there["first_seen"], mine["first_seen"])
    merged["last_seen"] = max(there["last_seen"], mine["last_seen"])
    if (mine["last_fetched"] or "") > (there["last_fetched"] or ""):
        for key in ("last_fetched", "last_status", "detection", "crawl_id"):
            if key in merged:
                merged[key] = mine[key]
    if "article" in (there["kind"], mine["kind"]):
        merged["kind"] = "article"
    known = [v for v in (there["is_article"], mine["is_article"]) if v is not None]
    merged["is_article"] = max(known) if known else None
    merged["canonical"] = new
    columns = [k for k in merged if k != "canonical"]
    conn.execute(f"UPDATE urls SET {', '.join(f'{k} = ?' for k in columns)} WHERE canonical = ?",
                 [merged[k] for k in columns] + [new])
    conn.execute("DELETE FROM urls WHERE canonical = ?", [old])
    return 1


def _move_articles(conn: sqlite3.Connection, moves: dict[str, str]) -> int:
    """Articles under their new canonical URL; those that collide merged. How many were merged away."""
    groups: dict[str, list[str]] = defaultdict(list)
    for old, new in moves.items():
        groups[new].append(old)
    indexed = search_index.is_current(conn)  # else the index is rebuilt whole once the upgrade is done
    merged = 0
    for new, olds in groups.items():
        rows = conn.execute(f"SELECT id, canonical, last_captured FROM articles WHERE canonical IN "
                            f"({', '.join('?' * (len(olds) + 1))})", [new, *olds]).fetchall()
        if len(rows) == 1:
            conn.execute("UPDATE articles SET canonical = ? WHERE id = ?", [new, rows[0][0]])
            continue
        keep = next((r[0] for r in rows if r[1] == new), None) or max(rows, key=lambda r: (r[2] or "", r[0]))[0]
        _merge(conn, keep, [r[0] for r in rows], indexed)
        conn.execute("UPDATE articles SET canonical = ? WHERE id = ?", [new, keep])
        merged += len(rows) - 1
    return merged


def _merge(conn: sqlite3.Connection, keep: int, ids: list[int], indexed: bool) -> None:
    marks = ", ".join("?" * len(ids))
    latest = {row[0]: row[1] for row in conn.execute(f"SELECT id, latest_version FROM articles WHERE id IN ({marks})",
                                                   ids)}
    versions = conn.execute(
        f"SELECT id, article_id, title, body, digest, capture_timestamp, first_seen, last_seen FROM article_versions "
        f"WHERE article_id IN ({marks}) ORDER BY capture_timestamp, id", ids).fetchall()
    if indexed:
        for vid, aid, title, body, *_ in versions:
            search_index.remove(conn, aid, vid, latest.get(aid) == vid, title, body)
    # one version per change of text, in time order: copies with the same text are one version seen longer
    kept: list[list] = []
    for vid, _, title, body, digest, _, first, last in versions:
        if kept and kept[-1][4] == digest:
            kept[-1][6], kept[-1][7] = min(kept[-1][6], first), max(kept[-1][7], last)
            conn.execute("DELETE FROM article_versions WHERE id = ?", [vid])
        else:
            kept.append([vid, None, title, body, digest, None, first, last])
    conn.execute(f"UPDATE article_versions SET version = -id WHERE article_id IN ({marks})", ids)
    for number, (vid, _, _, _, _, _, first, last) in enumerate(kept, 1):
        conn.execute("UPDATE article_versions SET article_id = ?, version = ?, first_seen = ?, last_seen = ? "
                     "WHERE id = ?", [keep, number, first, last, vid])
    newest = kept[-1][0]
    span = conn.execute(f"SELECT min(first_captured), max(last_captured) FROM articles WHERE id IN ({marks})",
                        ids).fetchone()
    last = conn.execute(f"SELECT capture_record_id, extractor, removed FROM articles WHERE id IN ({marks}) "
                        "ORDER BY last_captured DESC, id DESC LIMIT 1", ids).fetchone()
    fields = conn.execute(f"SELECT {', '.join(VERSION_FIELDS)} FROM article_versions WHERE id = ?",
                          [newest]).fetchone()
    conn.execute(f"DELETE FROM articles WHERE id IN ({marks}) AND id != ?", [*ids, keep])
    conn.execute(f"UPDATE articles SET {', '.join(f'{k} = ?' for k in VERSION_FIELDS)}, versions = ?, "
                 "latest_version = ?, first_captured = ?, last_captured = ?, capture_record_id = ?, extractor = ?, "
                 "removed = ? WHERE id = ?", [*fields, len(kept), newest, *span, *last, keep])
    if indexed:
        search_index.add(conn, [(-vid, title, body) for vid, _, title, body, *_ in kept[:-1]])
        search_index.add_latest(conn, keep, kept[-1][2], kept[-1][3])
