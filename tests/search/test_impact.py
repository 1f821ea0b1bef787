"""Impact lists (archive/search/impact.py): a one-word search answered from a list is exactly the ranking over
every match, before and after writes, and while another connection writes (issue 29, Deliver 2).

The archive is made of our own sentences (tests/search/precision_articles.py) drawn into a few hundred articles,
with the list threshold lowered so that its common words have lists. The reference ranking is written here, apart
from the product: every match scored by FTS5's bm25 with the product's weights, articles holding the word as typed
first, newer first on equal scores, then the higher id.
"""

from __future__ import annotations

import json
import random
import re
import threading

import pytest

from archive.search import impact
from archive.search import index as search_index
from archive.search.columns import NORMAL_COLUMNS, SCORE, TABLE
from archive.search.query import parse, term_phrases, to_match
from archive.search.searcher import Searcher
from archive.store.database import Store
from tests.search.precision_articles import ARTICLES
from tests.search.test_search import article

SENTENCES = sorted({s.strip() for _, body in ARTICLES.values() for s in re.split(r"(?<=[.،])\s+", body)
                    if len(s.split()) > 4})
AT_LEAST, SIZE = 25, 12


# hashtags as sites write them: FTS5 reads the words of #وسم_بكلمات apart, and so must the lists
HASHTAGS = ("#الهجرة_في_روما", "#رئيس_الوزراء_في_صقلية", "#قائمة_سوداء_في_ميلانو")


def made(n: int, rng: random.Random, prefix: str = "a") -> tuple[dict, dict]:
    body = " ".join(rng.sample(SENTENCES, rng.randint(2, 9)))
    if n % 7 == 0:
        body += " " + rng.choice(HASHTAGS)
    title = " ".join(rng.choice(SENTENCES).split()[:7])
    month = rng.randint(1, 12)
    return (article(f"https://italianews.test/{prefix}{n}", title, body, published=f"2024-{month:02d}-{n % 28 + 1:02d}"
                    "T10:00:00+01:00"),
            {"record_id": f"<urn:uuid:{prefix}{n}>", "timestamp": f"2025{month:02d}01000000"})


@pytest.fixture
def lowered(monkeypatch):
    monkeypatch.setattr(impact, "LIST_MIN", AT_LEAST)
    monkeypatch.setattr(impact, "PHRASE_LIST_MIN", AT_LEAST)
    monkeypatch.setattr(impact, "LIST_SIZE", SIZE)


def reference(conn, key: str, limit: int) -> list[int]:
    """The top `limit` article ids over every match, computed apart from the product's ranking code."""
    known = Searcher(conn).known
    query = parse(key)
    match = to_match(query, known)
    own = " OR ".join(f"{c} : \"{t}\"" for c, t in term_phrases(query.clauses[0][0], known) if c == NORMAL_COLUMNS)
    owned = f"rowid IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?)" if own else "0"
    return [r[0] for r in conn.execute(
        f"SELECT a.id FROM (SELECT rowid AS r, {SCORE} AS score, {owned} AS own FROM {TABLE} WHERE {TABLE} MATCH ? "
        "AND rowid > 0) AS hits JOIN articles a ON a.id = hits.r "
        "ORDER BY hits.own DESC, hits.score DESC, a.published DESC, a.id DESC LIMIT ?",
        [own] * bool(own) + [match, limit])]


def listed_words(conn) -> list[str]:
    """The words and two-word phrases that have lists, as a researcher would type them."""
    words = list(impact.frequent_words(conn, AT_LEAST))
    return words + [f'"{pair}"' for pair in search_index.frequent_pairs(conn, words, AT_LEAST)]


class Counting(Searcher):
    """The product's searcher, counting the answers its lists gave (a test must see both paths)."""
    answered = 0

    def _from_list(self, *args, **kwargs):
        found = super()._from_list(*args, **kwargs)
        Counting.answered += found is not None
        return found


def ranked(conn, word: str, limit: int) -> list[int]:
    rows = Counting(conn).matching(word, limit=limit)[1]
    return [r[0] for r in rows]


@pytest.fixture
def archive(tmp_path, lowered):
    rng = random.Random(29)
    store = Store(tmp_path / "archive.db")
    store.store_articles(made(n, rng) for n in range(300))
    store.reindex(workers=1)
    yield store, rng
    store.close()


def test_lists_exist_and_python_bm25_is_fts5s(archive):
    """Every candidate's score, computed from the list, equals FTS5's bm25 for that article to the last bit."""
    store, _ = archive
    conn = store.conn
    words = listed_words(conn)
    assert len(words) >= 20 and sum(w.startswith('"') for w in words) >= 5
    assert conn.execute(f"SELECT count(*) FROM {impact.LISTS}").fetchone()[0] >= 20
    phrases = [json.loads(p) for (p,) in conn.execute(f"SELECT phrases FROM {impact.LISTS}")]
    assert sum(any(" " in token for _, token in listed) for listed in phrases) >= 5
    compared = 0
    for word in words:
        match = to_match(parse(word), Searcher(conn).known)
        with impact.snapshot(conn):
            found = impact.ranked(conn, match)
        assert found is not None, word
        fts5 = dict(conn.execute(f"SELECT rowid, {SCORE} FROM {TABLE} WHERE {TABLE} MATCH ? AND rowid > 0", [match]))
        for article_id, value, _ in found[0]:
            assert value == fts5[article_id], (word, article_id)
            compared += 1
    assert compared >= 200


@pytest.mark.parametrize("limit", [1, 5, 10])
def test_the_answer_is_the_ranking_over_every_match(archive, limit):
    store, _ = archive
    Counting.answered = 0
    for word in listed_words(store.conn):
        assert ranked(store.conn, word, limit) == reference(store.conn, word, limit), word
    assert Counting.answered >= 10


def test_exact_after_new_articles_new_versions_and_forgotten_ones(archive):
    store, rng = archive
    conn = store.conn
    words = listed_words(conn)
    Counting.answered = 0
    for step in range(4):
        store.store_articles(made(1000 + 40 * step + n, rng, "new") for n in range(40))
        # new versions of the articles the lists rank best, so that entries leave and come back
        best = {i for w in words[:6] for i in reference(conn, w, 3)}
        urls = [u for (u,) in conn.execute(f"SELECT canonical FROM articles WHERE id IN ({','.join(map(str, best))})")]
        store.store_articles((article(u, "نسخة جديدة", " ".join(rng.sample(SENTENCES, 3))),
                              {"record_id": f"<urn:uuid:v{step}{i}>", "timestamp": f"2026{step + 1:02d}01000000"})
                             for i, u in enumerate(urls))
        store.forget_articles(urls[:2])
        for word in words:
            for limit in (1, 5, 10):
                assert ranked(conn, word, limit) == reference(conn, word, limit), (step, word, limit)
    assert Counting.answered >= 40


def test_exact_while_another_connection_writes(archive, tmp_path):
    """A crawl-like writer adds articles and versions in small transactions while searches run; each search and
    its reference are read in one transaction and must agree, every time."""
    store, rng = archive
    words = listed_words(store.conn)
    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        writer = Store(tmp_path / "archive.db")
        local = random.Random(7)
        try:
            for n in range(60):
                writer.store_articles([made(5000 + n, local, "live")])
                if n % 5 == 0:
                    url = writer.conn.execute("SELECT canonical FROM articles ORDER BY random() LIMIT 1").fetchone()[0]
                    writer.store_articles([(article(url, "تحديث", " ".join(local.sample(SENTENCES, 4))),
                                            {"record_id": f"<urn:uuid:u{n}>", "timestamp": "20270101000000"})])
        except BaseException as exc:  # noqa: BLE001 - reported by the reader
            errors.append(exc)
        finally:
            writer.close()
            done.set()

    thread = threading.Thread(target=write)
    Counting.answered = 0
    rounds = 0
    conn = store.conn
    thread.start()
    while not done.is_set() or rounds < 3:
        for word in words:
            conn.execute("BEGIN")
            try:
                assert ranked(conn, word, 10) == reference(conn, word, 10), (rounds, word)
            finally:
                conn.execute("COMMIT")
        rounds += 1
    thread.join()
    assert not errors, errors
    assert rounds >= 3 and Counting.answered >= 20
    assert conn.execute("SELECT count(*) FROM articles WHERE canonical LIKE '%/live%'").fetchone()[0] == 60


def test_without_lists_the_answer_is_the_same(archive):
    """Lists change how fast, never what: dropped, every match is ranked, with the same result; built again by
    index.build_lists, they are back."""
    store, _ = archive
    conn = store.conn
    words = listed_words(conn)
    with_lists = {w: ranked(conn, w, 10) for w in words}
    impact.drop(conn)
    assert {w: ranked(conn, w, 10) for w in words} == with_lists
    assert search_index.build_lists(conn, at_least=AT_LEAST, phrases_at_least=AT_LEAST) >= 20


def test_lists_are_built_when_the_archive_needs_them_and_again_when_it_doubles(tmp_path, lowered):
    """What a crawl does at its end (Store.refresh_search_lists): lists once there are enough articles for a word
    to need one, then not again until the index holds twice the rows it held then."""
    rng = random.Random(3)
    store = Store(tmp_path / "archive.db")
    store.store_articles(made(n, rng) for n in range(AT_LEAST))
    assert store.refresh_search_lists() is None and impact.base(store.conn) is None
    store.store_articles(made(n, rng) for n in range(AT_LEAST, 300))
    note = store.refresh_search_lists()
    assert note and note.startswith("search lists built for ") and impact.base(store.conn).rows == 300
    store.store_articles(made(n, rng) for n in range(300, 500))
    assert store.refresh_search_lists() is None
    store.store_articles(made(n, rng) for n in range(500, 600))
    assert store.refresh_search_lists() and impact.base(store.conn).rows == 600
    for word in listed_words(store.conn)[:10]:
        assert ranked(store.conn, word, 10) == reference(store.conn, word, 10)
    store.close()


@pytest.mark.parametrize("with_lists", [True, False])
def test_equal_scores_go_newest_first_however_many(tmp_path, lowered, with_lists):
    """Forty copies of one article score alike: the hits shown are the newest of them, from a list or from
    FTS5, even when the equals run past the rows a search reads first."""
    rng = random.Random(5)
    store = Store(tmp_path / "archive.db")
    store.store_articles(made(n, rng) for n in range(200))
    text = " ".join(SENTENCES[:4])
    store.store_articles((article(f"https://italianews.test/copy{n}", "نسخة", text,
                                  published=f"2023-01-{n % 28 + 1:02d}T{n % 24:02d}:00:00+01:00"),
                          {"record_id": f"<urn:uuid:copy{n}>", "timestamp": "20250101000000"}) for n in range(40))
    if with_lists:
        store.reindex(workers=1)
    word = "نسخة"
    for limit in (1, 5, 12):
        assert ranked(store.conn, word, limit) == reference(store.conn, word, limit), limit
    store.close()


def test_frequent_pairs_from_a_sample_keep_the_clear_ones(archive, monkeypatch):
    """A large archive's pairs are counted on an even sample (index.PAIR_SAMPLE) and scaled: a pair well above the
    line is still found, one well below is not; near the line either is right (only speed depends on it)."""
    store, _ = archive
    conn = store.conn
    words = list(impact.frequent_words(conn, AT_LEAST))
    every = search_index.frequent_pairs(conn, words, 1)
    counted = {pair: conn.execute(f"SELECT count(*) FROM {TABLE} WHERE {TABLE} MATCH ? AND rowid > 0",
                                  [f'{NORMAL_COLUMNS} : "{pair}"']).fetchone()[0] for pair in every}
    monkeypatch.setattr(search_index, "PAIR_SAMPLE", 75)   # a quarter of the 300 articles
    sampled = set(search_index.frequent_pairs(conn, words, AT_LEAST))
    clear = {pair for pair, n in counted.items() if n >= 3 * AT_LEAST}
    rare = {pair for pair, n in counted.items() if n <= AT_LEAST // 3}
    assert clear and rare
    assert clear <= sampled
    assert not rare & sampled


def reference_versions(conn, key: str, limit: int) -> list[tuple[int, int]]:
    """(article, version) of the top `limit` articles when every version counts, each article by its best version
    (holding the word as typed first, then bm25, then the later version), newer first on equal scores, then the
    higher id."""
    known = Searcher(conn).known
    term = parse(key).clauses[0][0]
    match = to_match(parse(key), known)
    own = " OR ".join(f"{c} : \"{t}\"" for c, t in term_phrases(term, known) if c == NORMAL_COLUMNS)
    owned = f"rowid IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?)" if own else "0"
    rows = conn.execute(
        f"SELECT rowid, {SCORE}, {owned} FROM {TABLE} WHERE {TABLE} MATCH ?", [own] * bool(own) + [match]).fetchall()
    best: dict[int, tuple] = {}
    for rowid, score, owns in rows:
        if rowid > 0:
            article, version = conn.execute("SELECT id, latest_version FROM articles WHERE id = ?", [rowid]).fetchone()
        else:
            article, version = conn.execute("SELECT article_id, id FROM article_versions WHERE id = ?",
                                            [-rowid]).fetchone()
        published = conn.execute("SELECT published FROM article_versions WHERE id = ?", [version]).fetchone()[0]
        if article not in best or (owns, score, version) > (*best[article][:2], best[article][4]):
            best[article] = (owns, score, published, article, version)
    ordered = sorted(best.values(), key=lambda r: (-r[0], -r[1], [-ord(c) for c in r[2]], -r[3]))
    return [(r[3], r[4]) for r in ordered[:limit]]


def test_all_versions_from_the_lists_is_the_ranking_over_every_version(archive):
    """`--all-versions`: the latest versions a list proves best, beside every earlier version, each article by its
    best; the same as ranking every version, when the best of some articles is now an earlier version."""
    store, rng = archive
    conn = store.conn
    words = [w for w in listed_words(conn) if not w.startswith('"')]
    best = {i for w in words[:8] for i in reference(conn, w, 4)}
    urls = [u for (u,) in conn.execute(f"SELECT canonical FROM articles WHERE id IN ({','.join(map(str, best))})")]
    store.store_articles((article(u, "نسخة جديدة", " ".join(rng.sample(SENTENCES, 3))),
                          {"record_id": f"<urn:uuid:all{i}>", "timestamp": "20260301000000"})
                         for i, u in enumerate(urls))
    searcher = Counting(conn)
    Counting.answered = 0
    earlier_best = 0
    for word in words:
        for limit in (1, 5, 10):
            rows = searcher.matching(word, all_versions=True, limit=limit)[1]
            expected = reference_versions(conn, word, limit)
            assert [(r[0], r[1]) for r in rows] == expected, (word, limit)
            earlier_best += sum(version != latest for (article_id, version) in expected
                                for (latest,) in conn.execute("SELECT latest_version FROM articles WHERE id = ?",
                                                              [article_id]))
    assert Counting.answered >= 10 and earlier_best >= 5

