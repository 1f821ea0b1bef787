"""The full-text index: one FTS5 row per article version, holding normal forms and light stems, never the text.

The table is contentless (`content=''`): the original title and body live once, in `article_versions`, and FTS5
keeps only its inverted index (research/arabic-search.md: storing a normalised copy costs +900 MiB at 100k
articles). Snippets are therefore cut by `archive.snippets` from the original text, which is what a reader wants
to see anyway. Four columns, so that the title can weigh more than the body in bm25:

    title     normal forms of the title's tokens       body      normal forms of the body's tokens
    title_s   light stems of the title's tokens        body_s    light stems of the body's tokens

The rowid is `article_versions.id`; the latest version of an article is `articles.latest_version`. The
normaliser's version is kept in `meta`; when this arshif's normaliser differs, the index is stale and
`rebuild()` (the `arshif reindex` command) prepares every version again, on all cores.
"""

from __future__ import annotations

import os
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from archive.arabic import NORMALISER_VERSION, TOKEN, light_stem, normal

TABLE = "search_index"
COLUMNS = ("title", "title_s", "body", "body_s")
NORMAL_COLUMNS = "{title body}"
STEM_COLUMNS = "{title_s body_s}"
# bm25 weights in column order: an exact form in the title counts most, a stem in the body least
WEIGHTS = (6.0, 3.0, 2.0, 1.0)
STATE_KEY = "normaliser"

Progress = Callable[[int, int], None]


def create(conn: sqlite3.Connection) -> None:
    conn.execute(f"CREATE VIRTUAL TABLE {TABLE} USING fts5({', '.join(COLUMNS)}, content='', "
                 "tokenize='unicode61 remove_diacritics 2')")
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    set_state(conn, NORMALISER_VERSION)


def prepare(title: str, body: str) -> tuple[str, str, str, str]:
    """The four column values: one index token per original token (phrases depend on positions)."""
    title_tokens = TOKEN.findall(title)
    body_tokens = TOKEN.findall(body)
    return (" ".join(map(normal, title_tokens)), " ".join(map(light_stem, title_tokens)),
            " ".join(map(normal, body_tokens)), " ".join(map(light_stem, body_tokens)))


def _prepare_rows(rows: list[tuple[int, str, str]]) -> list[tuple]:
    return [(version_id, *prepare(title, body)) for version_id, title, body in rows]


INSERT = f"INSERT INTO {TABLE} (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?)"


def add(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str]]) -> int:
    """Index (version id, title, body) rows, inside the caller's transaction."""
    prepared = _prepare_rows(list(rows))
    conn.executemany(INSERT, prepared)
    return len(prepared)


def clear(conn: sqlite3.Connection) -> None:
    conn.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('delete-all')")


def state(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [STATE_KEY]).fetchone()
    return row[0] if row else None


def set_state(conn: sqlite3.Connection, version: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 [STATE_KEY, version])


def is_current(conn: sqlite3.Connection) -> bool:
    return state(conn) == NORMALISER_VERSION


def _chunks(conn: sqlite3.Connection, size: int) -> Iterator[list[tuple[int, str, str]]]:
    cursor = conn.execute("SELECT id, title, body FROM article_versions ORDER BY id")
    while chunk := cursor.fetchmany(size):
        yield chunk


CHUNK = 250


def _prepared_in_parallel(chunks: Iterator[list], workers: int) -> Iterator[list[tuple]]:
    """Prepared chunks in order, with at most two chunks per worker in flight (memory stays flat)."""
    with ProcessPoolExecutor(workers) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(_prepare_rows, chunk))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def index_all(conn: sqlite3.Connection, progress: Progress | None = None, workers: int = 1) -> int:
    """Index every article version, inside the caller's transaction. Preparation runs in `workers` processes
    while this one writes."""
    total = conn.execute("SELECT count(*) FROM article_versions").fetchone()[0]
    chunks = _chunks(conn, CHUNK)
    prepared = _prepared_in_parallel(chunks, workers) if workers > 1 and total > CHUNK else map(_prepare_rows, chunks)
    done = 0
    for rows in prepared:
        conn.executemany(INSERT, rows)
        done += len(rows)
        if progress:
            progress(done, total)
    return done


def rebuild(conn: sqlite3.Connection, progress: Progress | None = None, workers: int | None = None) -> int:
    """Index every article version again with this arshif's normaliser, in one transaction: readers keep the
    old index until the new one commits, and a crash leaves the old one."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        clear(conn)
        done = index_all(conn, progress, workers or os.cpu_count() or 1)
        conn.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
        set_state(conn, NORMALISER_VERSION)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return done
