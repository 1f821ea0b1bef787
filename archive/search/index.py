"""The full-text index: one FTS5 row per article version, holding normal forms and light stems, never the text.

The table is contentless (`content=''`): the original title and body live once, in `article_versions`, and FTS5
keeps only its inverted index (research/arabic-search.md weighs the normalised copy it would otherwise store).
That is why it is written here and not with sqlite-utils' `enable_fts`, which indexes a table's own columns through
triggers. Snippets are therefore cut by `archive.search.snippets` from the original text, which is what a reader
wants to see anyway. Four columns, so that the title can weigh more than the body in bm25:

    title     normal forms of the title's tokens       body      normal forms of the body's tokens
    title_s   light stems of the title's tokens        body_s    light stems of the body's tokens

Row ids: an article's latest version is indexed under the article's id (> 0), every earlier version under minus
its `article_versions.id`. A default search asks FTS5 for `rowid > 0`, which it answers from the index alone,
without a join; `--all-versions` drops the constraint. A new version moves the previous one to its negative id
(a contentless 'delete' is given the same tokens again, prepared from the stored text). The normaliser's
version is kept in `meta`; when this arshif's normaliser differs, the index is stale: the first command that
searches has it rebuilt once (Store.open_for_reading), as `arshif reindex` does, every version prepared again on
all cores.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import pairwise

from archive.core.arabic import NORMALISER_VERSION, TOKEN, light_stem, normal
from archive.search import impact
from archive.search.columns import COLUMNS, NORMAL_COLUMNS, SCORE, STEM_COLUMNS, TABLE, WEIGHTS
from archive.search.query import parse, quote, term_phrases, to_match

__all__ = ["COLUMNS", "NORMAL_COLUMNS", "STEM_COLUMNS", "TABLE", "WEIGHTS"]
STATE_KEY = "normaliser"
INDEX_FORMAT = 3   # bump when the columns change

Progress = Callable[[int, int], None]


CURRENT = f"{NORMALISER_VERSION}/{INDEX_FORMAT}"   # what `meta` says of an index this arshif can use


def create(conn: sqlite3.Connection) -> None:
    """An empty index in this arshif's format (an index in another format is dropped first)."""
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.execute(f"CREATE VIRTUAL TABLE {TABLE} USING fts5({', '.join(COLUMNS)}, content='', "
                 "tokenize='unicode61 remove_diacritics 2')")
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    impact.drop(conn)
    set_state(conn, CURRENT)


def prepare(title: str, body: str) -> tuple[str, str, str, str]:
    """The column values: one index token per original token (phrases depend on positions)."""
    title_tokens = TOKEN.findall(title)
    body_tokens = TOKEN.findall(body)
    return (" ".join(map(normal, title_tokens)), " ".join(map(light_stem, title_tokens)),
            " ".join(map(normal, body_tokens)), " ".join(map(light_stem, body_tokens)))


def _prepare_rows(rows: list[tuple[int, str, str]]) -> list[tuple]:
    return [(rowid, *prepare(title, body)) for rowid, title, body in rows]


INSERT = f"INSERT INTO {TABLE} (rowid, {', '.join(COLUMNS)}) VALUES (?{', ?' * len(COLUMNS)})"
DELETE = f"INSERT INTO {TABLE} ({TABLE}, rowid, {', '.join(COLUMNS)}) VALUES ('delete', ?{', ?' * len(COLUMNS)})"


def add(conn: sqlite3.Connection, rows: Iterable[tuple[int, str, str]]) -> int:
    """Index (rowid, title, body) rows, inside the caller's transaction (the impact lists follow)."""
    prepared = _prepare_rows(list(rows))
    conn.executemany(INSERT, prepared)
    for rowid, *columns in prepared:
        impact.follow(conn, rowid, tuple(columns), added=True)
    return len(prepared)


def add_latest(conn: sqlite3.Connection, article_id: int, title: str, body: str) -> None:
    columns = prepare(title, body)
    conn.execute(INSERT, (article_id, *columns))
    impact.follow(conn, article_id, columns, added=True)


def _delete(conn: sqlite3.Connection, rowid: int, columns: tuple[str, ...]) -> None:
    conn.execute(DELETE, (rowid, *columns))
    impact.follow(conn, rowid, columns, added=False)


def retire(conn: sqlite3.Connection, article_id: int, version_id: int, title: str, body: str) -> None:
    """The article's latest version becomes an earlier one: from rowid article_id to -version_id (the same text:
    the lists' counts stay, the article leaves them)."""
    columns = prepare(title, body)
    conn.execute(DELETE, (article_id, *columns))
    conn.execute(INSERT, (-version_id, *columns))
    impact.follow(conn, article_id, columns, added=False, counts=False)


def remove(conn: sqlite3.Connection, article_id: int, version_id: int, latest: bool, title: str, body: str) -> None:
    """A version's entry out of the index (its article forgotten): the latest at rowid article_id, an earlier one
    at -version_id."""
    _delete(conn, article_id if latest else -version_id, prepare(title, body))


def clear(conn: sqlite3.Connection) -> None:
    conn.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('delete-all')")


def state(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [STATE_KEY]).fetchone()
    return row[0] if row else None


def set_state(conn: sqlite3.Connection, version: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 [STATE_KEY, version])


def is_current(conn: sqlite3.Connection) -> bool:
    return state(conn) == CURRENT


def _chunks(conn: sqlite3.Connection, size: int) -> Iterator[list[tuple[int, str, str]]]:
    cursor = conn.execute("SELECT CASE WHEN a.latest_version = v.id THEN a.id ELSE -v.id END, v.title, v.body "
                          "FROM article_versions v JOIN articles a ON a.id = v.article_id ORDER BY a.id, v.id")
    while chunk := cursor.fetchmany(size):
        yield chunk


CHUNK = 250


def _prepared_in_parallel(chunks: Iterator[list], workers: int) -> Iterator[list[tuple]]:
    """Prepared chunks in order, with at most two chunks per worker in flight (memory stays flat)."""
    return _in_parallel(chunks, workers, _prepare_rows)


def _in_parallel(chunks: Iterator[list], workers: int, work: Callable) -> Iterator:
    """work(chunk) for each chunk in order, on `workers` processes, with at most two chunks per worker in flight."""
    from concurrent.futures import ProcessPoolExecutor  # imports `arshif search` does without

    with ProcessPoolExecutor(workers) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(work, chunk))
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


def _latest_columns(conn: sqlite3.Connection, workers: int) -> impact.Columns:
    def columns_of(rowids: list[int]) -> Iterator[tuple[int, tuple[str, ...]]]:
        def chunks() -> Iterator[list[tuple[int, str, str]]]:
            for at in range(0, len(rowids), CHUNK):
                chunk = rowids[at:at + CHUNK]
                yield conn.execute("SELECT a.id, v.title, v.body FROM articles a JOIN article_versions v ON "
                                   f"v.id = a.latest_version WHERE a.id IN ({', '.join('?' * len(chunk))})",
                                   chunk).fetchall()
        prepared = (_prepared_in_parallel(chunks(), workers) if workers > 1 and len(rowids) > CHUNK
                    else map(_prepare_rows, chunks()))
        for rows in prepared:
            for rowid, *columns in rows:
                yield rowid, tuple(columns)
    return columns_of


def build_lists(conn: sqlite3.Connection, progress: Progress | None = None, at_least: int | None = None,
                workers: int = 1, phrases_at_least: int | None = None) -> int:
    """The impact lists of every word in `at_least` rows or more and every phrase of two words in
    `phrases_at_least` (archive.search.impact), inside the caller's transaction, each list keyed by the MATCH a
    search of it makes; how many lists."""
    seen: dict[str, bool] = {}

    def known(token: str) -> bool:
        if token not in seen:
            seen[token] = conn.execute(f"SELECT 1 FROM {TABLE} WHERE {TABLE} MATCH ? LIMIT 1",
                                       [quote(token)]).fetchone() is not None
        return seen[token]

    def phrases_of(key: str) -> tuple[str, list[tuple[str, str]]] | None:
        query = parse(key)
        if len(query.clauses) != 1 or len(query.clauses[0]) != 1 or query.clauses[0][0].prefix:
            return None
        match = to_match(query, known)
        return (match, term_phrases(query.clauses[0][0], known)) if match else None

    at_least = impact.LIST_MIN if at_least is None else at_least
    phrases_at_least = impact.PHRASE_LIST_MIN if phrases_at_least is None else phrases_at_least
    frequent = impact.frequent_words(conn, min(at_least, phrases_at_least))
    words = [word for word, n in frequent.items() if n >= at_least]
    pairs = frequent_pairs(conn, list(frequent), phrases_at_least, workers)
    return impact.build(conn, words + [f'"{pair}"' for pair in pairs], phrases_of, _latest_columns(conn, workers),
                        SCORE, progress=progress)


def lists_due(conn: sqlite3.Connection) -> bool:
    """Whether the impact lists should be built now: none yet and enough rows for a word to need one, or the
    index grown REBUILD_GROWTH times since they were (their floors loosen and their new entries pile up)."""
    rows, _ = impact.totals(conn)
    built = impact.base(conn)
    first = 2 * min(impact.LIST_MIN, impact.PHRASE_LIST_MIN)
    return rows >= first if built is None else rows >= impact.REBUILD_GROWTH * built.rows


def refresh_lists(conn: sqlite3.Connection, workers: int | None = None) -> str | None:
    """The lists built again when due (`lists_due`), in one transaction; a line saying so, or None."""
    if not is_current(conn) or not lists_due(conn):
        return None
    started = time.monotonic()
    conn.execute("BEGIN IMMEDIATE")
    try:
        made = build_lists(conn, workers=workers or os.cpu_count() or 1)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return f"search lists built for {made:,} frequent words and phrases in {time.monotonic() - started:.0f} s"


def _pairs_in(rows: list[tuple[int, str, str]], words: frozenset[str]) -> tuple[Counter, int]:
    """How many of these articles hold each pair of adjacent frequent words (normal forms, title or body), and
    how many articles that was."""
    found: Counter = Counter()
    for _, title, body in rows:
        held = set()
        for text in (title, body):
            tokens = [normal(t) for t in TOKEN.findall(text)]
            held.update(f"{a} {b}" for a, b in pairwise(tokens) if a in words and b in words)
        found.update(held)
    return found, len(rows)


PAIR_SAMPLE = 20_000   # articles read to find the frequent pairs (every one, in a smaller archive)


def frequent_pairs(conn: sqlite3.Connection, words: list[str], at_least: int, workers: int = 1) -> list[str]:
    """Phrases of two frequent words that at least `at_least` articles hold, commonest first: those get lists
    too (a phrase of common words is the slowest search FTS5 makes). Counted on an even sample of PAIR_SAMPLE
    articles and scaled: a pair near the line may get a list or not, which changes speed, never an answer."""
    vocabulary = frozenset(words)
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    step = max(1, total // PAIR_SAMPLE)
    rows = conn.execute("SELECT a.id, v.title, v.body FROM articles a JOIN article_versions v ON "
                        "v.id = a.latest_version WHERE a.id % ? = 0", [step])
    chunks = iter(lambda: rows.fetchmany(CHUNK), [])
    count = partial(_pairs_in, words=vocabulary)
    found: Counter = Counter()
    read = 0
    for counted, size in (_in_parallel(chunks, workers, count) if workers > 1 else map(count, chunks)):
        found.update(counted)
        read += size
    scale = total / read if read else 1.0
    return [pair for pair, n in found.most_common() if n * scale >= at_least]


def rebuild(conn: sqlite3.Connection, progress: Progress | None = None, workers: int | None = None,
            lists_progress: Progress | None = None) -> int:
    """Index every article version again with this arshif's normaliser and format, then its impact lists, in one
    transaction: readers keep the old index until the new one commits, and a crash leaves the old one."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        create(conn)
        done = index_all(conn, progress, workers or os.cpu_count() or 1)
        conn.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
        build_lists(conn, lists_progress, workers=workers or os.cpu_count() or 1)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return done
