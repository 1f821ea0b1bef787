"""Impact lists: for each word found in many articles, the articles where it scores best, so that a one-word search
ranks a few hundred candidates instead of every match, and still exactly.

A list belongs to one MATCH expression (a word's own forms with their clitics, and its stem: archive.search.query)
and holds that word's best LIST_SIZE articles by the search's order (own forms first, then bm25), plus every
article indexed since whose score beats the list's floor, the best score of any article left out. For each entry
it keeps what bm25 needs of the article: the weighted frequency of each of the MATCH's phrases, and the article's
length. The index's writes keep, for every listed phrase, how many rows hold it. So the searcher computes each
candidate's bm25 as FTS5 would at that moment (`score`, the same arithmetic in the same order), from the counts,
the FTS5 totals and the entries read in one read transaction: exact while a crawl writes.

The floor is a score from when the lists were built (their base). Since then, each phrase's idf may have grown, and
each article's share by the growth of the average length: the floor times the largest of those ratios bounds any
article left out now (`bound`). The searcher keeps a list's answer only if its last hit beats that bound; otherwise
it ranks every match, as without lists.

Writes reach the lists through archive.search.index (`follow` after every row added or deleted). Lists are built
by `arshif reindex`, and by a crawl when the archive first needs them or has doubled since (index.refresh_lists).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise

from archive.core.arabic import TOKEN_PART
from archive.search.columns import COLUMNS, K1, NORMAL_COLUMNS, TABLE, WEIGHTS, B
from archive.search.query import phrases_match

LISTS, ENTRIES, COUNTS = "search_lists", "search_list_entries", "search_phrase_counts"
LIST_SIZE = 1000         # articles kept per word when the lists are built (a filter keeping a tenth leaves ~100)
LIST_MIN = 10_000        # rows a word must be in to get a list (FTS5 ranks a rarer word in ~15 ms at 100,000 articles)
PHRASE_LIST_MIN = 1000   # rows a two-word phrase must be in (FTS5 pays more a row for a phrase: positions, clitics)
REBUILD_GROWTH = 2.0     # a crawl rebuilds the lists once the index holds this many times the rows of their base
BASE_KEY = "impact_base"  # meta: the FTS5 totals when the lists were built
SIMPLE = frozenset("ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي0123456789abcdefghijklmnopqrstuvwxyz")

Progress = Callable[[int, int], None]
Phrase = tuple[str, str]   # (column filter, token)


def _varints(blob: bytes) -> list[int]:
    """SQLite's varints, as FTS5 stores its totals and its document sizes."""
    out, value, count = [], 0, 0
    for byte in blob:
        count += 1
        if count == 9:
            out.append((value << 8) | byte)
            value, count = 0, 0
        elif byte & 0x80:
            value = (value << 7) | (byte & 0x7F)
        else:
            out.append((value << 7) | byte)
            value, count = 0, 0
    return out


def totals(conn: sqlite3.Connection) -> tuple[int, int]:
    """(rows, tokens over every column), as FTS5's bm25 reads them from its averages record."""
    row = conn.execute(f"SELECT block FROM {TABLE}_data WHERE id = 1").fetchone()
    numbers = _varints(row[0]) if row and row[0] else [0]
    return numbers[0], sum(numbers[1:])


def document_size(conn: sqlite3.Connection, rowid: int) -> int:
    row = conn.execute(f"SELECT sz FROM {TABLE}_docsize WHERE id = ?", [rowid]).fetchone()
    return sum(_varints(row[0])) if row else 0


def idf(rows: int, holding: int) -> float:
    """FTS5's idf, with its floor for a phrase in half the rows or more."""
    value = math.log((rows - holding + 0.5) / (holding + 0.5))
    return value if value > 0 else 1e-6


def score(idfs: list[float], frequencies: Iterable[tuple[int, float]], length: int, average: float) -> float:
    """bm25 of one article as FTS5 computes it (fts5_aux.c): over the MATCH's phrases in order, idf × f(k1+1) /
    (f + k1(1 − b + b·D/avgdl)), f the phrase's weighted frequency; a phrase the article lacks adds nothing."""
    total = 0.0
    for i, f in frequencies:
        total += idfs[i] * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + B * length / average)))
    return total


def _columns_of(column_filter: str) -> tuple[int, ...]:
    return tuple(COLUMNS.index(name) for name in column_filter.strip("{}").split())


def counters(columns: tuple[str, ...]) -> list[Counter]:
    """Each index column's tokens and pairs of adjacent tokens ("a b", a two-word phrase), counted as FTS5 counts
    them (built without a Python step per token: a crawl counts every article it stores)."""
    out = []
    for column in columns:
        tokens = TOKEN_PART.findall(column)  # as FTS5 reads them: #وسم_بكلمات is three words
        counted = Counter(tokens)
        counted.update(map(" ".join, pairwise(tokens)))
        out.append(counted)
    return out


def frequencies(phrases: list[Phrase], columns: list[Counter]) -> list[tuple[int, float]]:
    """(phrase index, weighted frequency) of each phrase an article holds, from its columns' token counts."""
    out = []
    for i, (column_filter, token) in enumerate(phrases):
        f = sum(WEIGHTS[c] * columns[c][token] for c in _columns_of(column_filter))
        if f:
            out.append((i, float(f)))
    return out


def packed(found: list[tuple[int, float]]) -> str:
    """Frequencies as stored in an entry: "phrase:frequency" pairs (weighted frequencies are whole numbers)."""
    return " ".join(f"{i}:{f:g}" for i, f in found)


def unpacked(text: str) -> list[tuple[int, float]]:
    return [(int(i), float(f)) for i, f in (pair.split(":") for pair in text.split())]


@dataclass(frozen=True)
class Base:
    rows: int
    tokens: int

    @property
    def average(self) -> float:
        return self.tokens / self.rows if self.rows else 1.0


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def base(conn: sqlite3.Connection) -> Base | None:
    """The totals the lists were built with; None when there are no lists."""
    if not exists(conn):
        return None
    value = _meta(conn, BASE_KEY)
    return Base(**json.loads(value)) if value else None


def exists(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [LISTS]).fetchone() is not None


def drop(conn: sqlite3.Connection) -> None:
    """No lists: searches rank every match until `build` (an archive has none until its first reindex)."""
    for table in (ENTRIES, LISTS, COUNTS):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute("DELETE FROM meta WHERE key = ?", [BASE_KEY])
    _cache.pop(id(conn), None)


def create(conn: sqlite3.Connection) -> None:
    """Empty lists, any old ones dropped."""
    drop(conn)
    conn.execute(f"CREATE TABLE {LISTS} (id INTEGER PRIMARY KEY, match TEXT NOT NULL UNIQUE, phrases TEXT NOT NULL, "
                 "counts TEXT NOT NULL, floor_own INTEGER NOT NULL, floor REAL NOT NULL)")
    conn.execute(f"CREATE TABLE {ENTRIES} (list INTEGER NOT NULL, article INTEGER NOT NULL, own INTEGER NOT NULL, "
                 "length INTEGER NOT NULL, frequencies TEXT NOT NULL, PRIMARY KEY (list, article)) WITHOUT ROWID")
    conn.execute(f"CREATE TABLE {COUNTS} (columns TEXT NOT NULL, token TEXT NOT NULL, rows INTEGER NOT NULL, "
                 "PRIMARY KEY (columns, token)) WITHOUT ROWID")


# -- following the index's writes -------------------------------------------------------------------------------

@dataclass
class _Listed:
    id: int
    idfs: list[float]       # at the base
    own: frozenset[int]     # which phrases are the query's own forms
    floor_own: int
    floor: float


@dataclass
class _Known:
    base: Base
    by_phrase: dict[Phrase, list[tuple[_Listed, int]]]   # each listed phrase → its lists, and its place in each
    wanted: dict[str, tuple[tuple[int, ...], frozenset[str]]]   # column filter → its columns, the texts it lists


_cache: dict[int, _Known] = {}


def _known(conn: sqlite3.Connection) -> _Known | None:
    """Every list by the phrases it looks for (read once per connection and base)."""
    current = base(conn)
    if current is None:
        return None
    cached = _cache.get(id(conn))
    if cached and cached.base == current:
        return cached
    by_phrase: dict[Phrase, list[tuple[_Listed, int]]] = {}
    for list_id, listed_phrases, counts, floor_own, floor in conn.execute(
            f"SELECT id, phrases, counts, floor_own, floor FROM {LISTS}"):
        pairs = [(c, t) for c, t in json.loads(listed_phrases)]
        listed = _Listed(list_id, [idf(current.rows, n) for n in json.loads(counts)],
                         frozenset(i for i, (c, _) in enumerate(pairs) if c == NORMAL_COLUMNS), floor_own, floor)
        for i, phrase in enumerate(pairs):
            by_phrase.setdefault(phrase, []).append((listed, i))
    texts: dict[str, set[str]] = {}
    for column_filter, text in by_phrase:
        texts.setdefault(column_filter, set()).add(text)
    wanted = {c: (_columns_of(c), frozenset(t)) for c, t in texts.items()}
    _cache[id(conn)] = _Known(current, by_phrase, wanted)
    return _cache[id(conn)]


_pending: dict[int, Counter] = {}   # per connection: count changes of its open transaction, written at its commit


def follow(conn: sqlite3.Connection, rowid: int, columns: tuple[str, ...], added: bool, counts: bool = True) -> None:
    """A row was just added to the index (or deleted from it): the listed phrases' counts follow (`counts=False`
    when the same text moves to another row), and a latest version (rowid > 0) joins every list whose floor it
    beats (or leaves them all). Only the phrases the article holds are looked at, and inside a transaction the
    counts are added up and written once, at its commit (`flush`): a crawl stores its articles in batches."""
    known = _known(conn)
    if known is None or not (counts or rowid > 0):
        return
    counted = counters(columns)
    held: list[tuple[Phrase, float]] = []
    for column_filter, (indexes, texts) in known.wanted.items():
        (first, second), (w1, w2) = [counted[c] for c in indexes], [WEIGHTS[c] for c in indexes]
        held += [((column_filter, text), float(w1 * first.get(text, 0) + w2 * second.get(text, 0)))
                 for text in texts.intersection(first).union(texts.intersection(second))]
    if counts:
        change = 1 if added else -1
        if conn.in_transaction:
            pending = _pending.setdefault(id(conn), Counter())
            for phrase, _ in held:
                pending[phrase] += change
        else:
            conn.executemany(f"UPDATE {COUNTS} SET rows = rows + {change} WHERE columns = ? AND token = ?",
                             [phrase for phrase, _ in held])
    if rowid <= 0:
        return
    if not added:  # it can only be in the lists of the phrases it holds (no index by article: one write less each)
        touched = {listed.id for phrase, _ in held for listed, _ in known.by_phrase[phrase]}
        conn.executemany(f"DELETE FROM {ENTRIES} WHERE list = ? AND article = ?", [(i, rowid) for i in touched])
        return
    found: dict[int, tuple[_Listed, list[tuple[int, float]]]] = {}
    owning: set[int] = set()   # the lists whose own forms (not only a stem) the article holds
    for phrase, f in held:
        for listed, i in known.by_phrase[phrase]:
            found.setdefault(listed.id, (listed, []))[1].append((i, f))
            if i in listed.own:
                owning.add(listed.id)
    if not found:
        return
    length = document_size(conn, rowid)
    average = known.base.average
    rows = []
    for list_id, (listed, pairs) in found.items():
        own = int(list_id in owning)
        if own < listed.floor_own:  # a relative only, where the list's floor holds the word as typed
            continue
        pairs.sort()
        if (own, score(listed.idfs, pairs, length, average)) > (listed.floor_own, listed.floor):
            rows.append((list_id, rowid, own, length, packed(pairs)))
    conn.executemany(f"INSERT OR REPLACE INTO {ENTRIES} (list, article, own, length, frequencies) "
                     "VALUES (?, ?, ?, ?, ?)", rows)


def flush(conn: sqlite3.Connection) -> None:
    """The counts changed by the open transaction, written: called just before it commits (archive.store)."""
    pending = _pending.pop(id(conn), None)
    if pending:
        conn.executemany(f"UPDATE {COUNTS} SET rows = rows + ? WHERE columns = ? AND token = ?",
                         [(change, *phrase) for phrase, change in pending.items() if change])


def discard(conn: sqlite3.Connection) -> None:
    """The open transaction rolled back: its count changes with it."""
    _pending.pop(id(conn), None)


# -- building ---------------------------------------------------------------------------------------------------

PhrasesOf = Callable[[str], tuple[str, list[Phrase]] | None]
Columns = Callable[[list[int]], Iterator[tuple[int, tuple[str, ...]]]]


def frequent_words(conn: sqlite3.Connection, at_least: int) -> dict[str, int]:
    """Normal forms (title or body) in at least `at_least` rows as FTS5's vocabulary counts them, and how many (the
    most in one column), commonest first."""
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.impact_vocabulary USING fts5vocab(main, {TABLE}, 'col')")
    try:
        rows = conn.execute("SELECT term, max(doc) AS n FROM temp.impact_vocabulary WHERE col IN ('title', 'body') "
                            "GROUP BY term HAVING n >= ? ORDER BY n DESC", [at_least]).fetchall()
    finally:
        conn.execute("DROP TABLE temp.impact_vocabulary")
    return {term: n for term, n in rows if set(term) <= SIMPLE}


def build(conn: sqlite3.Connection, words: Iterable[str], phrases_of: PhrasesOf, columns_of: Columns,
          score_sql: str, size: int | None = None, progress: Progress | None = None) -> int:
    """A list for each word (inside the caller's transaction): its MATCH's best `size` articles by the search's
    order as FTS5 ranks them now, and the best left out. `phrases_of(word)` gives the MATCH a one-word search makes
    and its phrases, or None (archive.search.index supplies it from the query parser, so lists and searches
    agree); `columns_of(rowids)` gives those rows' index columns, to count each phrase there."""
    create(conn)
    size = size or LIST_SIZE
    rows, tokens = totals(conn)
    base_ = Base(rows, tokens)
    words = list(words)
    lists: list[tuple[int, list[Phrase], list[tuple[int, int]]]] = []
    for n, word in enumerate(words, 1):
        found = phrases_of(word)
        if found is not None and not conn.execute(f"SELECT 1 FROM {LISTS} WHERE match = ?", [found[0]]).fetchone():
            match, phrases = found
            own = phrases_match([p for p in phrases if p[0] == NORMAL_COLUMNS])
            owned = f"{TABLE}.rowid IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ? AND rowid > 0)" if own else "0"
            best = conn.execute(f"SELECT rowid, {score_sql} AS score, {owned} AS own FROM {TABLE} WHERE {TABLE} "
                                "MATCH ? AND rowid > 0 ORDER BY own DESC, score DESC LIMIT ?",
                                [own] * bool(own) + [match, size + 1]).fetchall()
            for phrase in phrases:
                conn.execute(f"INSERT OR IGNORE INTO {COUNTS} (columns, token, rows) SELECT ?, ?, count(*) FROM "
                             f"{TABLE} WHERE {TABLE} MATCH ?", [*phrase, phrases_match([phrase])])
            counts = [conn.execute(f"SELECT rows FROM {COUNTS} WHERE columns = ? AND token = ?", p).fetchone()[0]
                      for p in phrases]
            kept, left = best[:size], best[size:]
            floor_own, floor = (left[0][2], left[0][1]) if left else (0, 0.0)
            list_id = conn.execute(
                f"INSERT INTO {LISTS} (match, phrases, counts, floor_own, floor) VALUES (?, ?, ?, ?, ?)",
                [match, json.dumps(phrases, ensure_ascii=False), json.dumps(counts), floor_own, floor]).lastrowid
            lists.append((list_id, phrases, [(r, o) for r, _, o in kept]))
        if progress:
            progress(n, len(words) * 2)
    _entries(conn, lists, columns_of, lambda done: progress and progress(len(words) + done, len(words) * 2),
             len(words))
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 [BASE_KEY, json.dumps(base_.__dict__)])
    _cache.pop(id(conn), None)
    return len(lists)


def _entries(conn: sqlite3.Connection, lists: list, columns_of: Columns, progress: Callable[[int], object],
             steps: int) -> None:
    """Each kept article's frequencies and length, reading every article once."""
    wanted: dict[int, list[tuple[int, list[Phrase], int]]] = {}
    for list_id, phrases, kept in lists:
        for rowid, own in kept:
            wanted.setdefault(rowid, []).append((list_id, phrases, own))
    sizes = {rowid: sum(_varints(sz)) for rowid, sz in conn.execute(f"SELECT id, sz FROM {TABLE}_docsize")}
    rows = []
    ids = sorted(wanted)
    for done, (rowid, columns) in enumerate(columns_of(ids), 1):
        counted = counters(columns)
        for list_id, phrases, own in wanted[rowid]:
            rows.append((list_id, rowid, own, sizes[rowid], packed(frequencies(phrases, counted))))
        if len(rows) > 20_000:
            conn.executemany(f"INSERT INTO {ENTRIES} (list, article, own, length, frequencies) VALUES (?, ?, ?, ?, ?)",
                             rows)
            rows = []
        if done % 1000 == 0:
            progress(done * steps // max(len(ids), 1))
    conn.executemany(f"INSERT INTO {ENTRIES} (list, article, own, length, frequencies) VALUES (?, ?, ?, ?, ?)", rows)
    progress(steps)


# -- ranking from a list ----------------------------------------------------------------------------------------

@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction around the reads a list's answer needs (unless the caller holds one already)."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def ranked(conn: sqlite3.Connection, match: str, where: list[str] | None = None,
           params: list | None = None) -> tuple[list[tuple[int, float, int]], tuple[int, float]] | None:
    """Every candidate of the MATCH's list (only the articles meeting `where`, SQL conditions on `articles a`) as
    (article, bm25 now, own), best first, and the (own, score) no article left out can beat; None without a list.
    Called inside `snapshot`."""
    base_ = base(conn)
    if base_ is None:
        return None
    flush(conn)  # a writer searching inside its own transaction
    row = conn.execute(f"SELECT id, phrases, counts, floor_own, floor FROM {LISTS} WHERE match = ?", [match]).fetchone()
    if row is None:
        return None
    list_id, phrases, counts, floor_own, floor = row
    phrases = json.loads(phrases)
    rows, tokens = totals(conn)
    now = [conn.execute(f"SELECT rows FROM {COUNTS} WHERE columns = ? AND token = ?", p).fetchone()[0]
           for p in phrases]
    idfs = [idf(rows, n) for n in now]
    average = tokens / rows
    joined = (f" JOIN articles a ON a.id = e.article WHERE e.list = ?{''.join(f' AND {w}' for w in where)}"
              if where else " WHERE e.list = ?")
    out = []
    for article, own, length, found in conn.execute(
            f"SELECT e.article, e.own, e.length, e.frequencies FROM {ENTRIES} e{joined}", [list_id] + (params or [])):
        out.append((article, score(idfs, unpacked(found), length, average), own))
    out.sort(key=lambda r: (-r[2], -r[1]))
    growth = max(1.0, average / base_.average)
    ratio = max((now_idf / idf(base_.rows, n) for now_idf, n in zip(idfs, json.loads(counts), strict=True)),
                default=1.0)
    return out, (floor_own, floor * ratio * growth)
