"""Search at scale: indexing speed, index size and query latency over synthetic articles, beside a LIKE scan.

The articles are the replica's (about 400 words each, Arabic with ~10% Italian), generated on both cores and
written straight into a real archive.db; then the index is built the way `arshif reindex` builds it (both
cores preparing, one writer), and the crawl's own path (Store.store_articles, index rows in the same
transaction) is timed on a slice. Queries are chosen from the index's own vocabulary by document frequency, so
"rare", "mid" and "common" mean the same thing at every size. Latency includes the snippets, as `arshif
search --json` returns them. The LIKE scan is the plain-SQLite alternative, run in the same process.

Run: .venv/bin/python -m bench.search [--articles N]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from archive.core.arabic import TOKEN
from archive.search import index as search_index
from archive.search.query import parse, to_match
from archive.search.searcher import Searcher
from archive.store.database import Store
from replica.content import Site

_site: Site | None = None


def _init(n: int) -> None:
    global _site
    _site = Site(articles=n)


def _generate(ids: list[int]) -> list[tuple]:
    rows = []
    for i in ids:
        a = _site.article(i)
        rows.append((f"https://alitaliya.test/{i}", a.title, a.text, a.published.isoformat(), a.section.name,
                     a.lang, a.author, json.dumps(a.tags, ensure_ascii=False)))
    return rows


def generate(n: int, workers: int = 2) -> list[tuple]:
    ids = list(range(n))
    chunks = [ids[k:k + 1000] for k in range(0, n, 1000)]
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(n,)) as pool:
        return [row for chunk in pool.map(_generate, chunks) for row in chunk]


def load(db_path: Path, rows: list[tuple], earlier: dict[int, tuple[str, str]] | None = None) -> None:
    """Articles and their versions, without the index (it is built and timed afterwards). `earlier`: article id →
    (title, body) of an earlier version of it, stored as its version 1; the row's own text is then version 2."""
    fields = ("canonical", "title", "body", "published", "section", "lang", "author", "tags")
    earlier = earlier or {}
    when, before = "20250101000000", "20240101000000"
    with Store(db_path) as store, store.transaction():
        store.table("articles").insert_all(
            ({"id": n, **dict(zip(fields, row, strict=True)), "word_count": len(row[2].split()),
              "versions": 2 if n in earlier else 1, "latest_version": n,
              "first_captured": before if n in earlier else when, "last_captured": when,
              "capture_record_id": f"<urn:uuid:{n}>", "extractor": "bench"} for n, row in enumerate(rows, 1)),
            batch_size=500)
        store.table("article_versions").insert_all(
            ({"id": n, "article_id": n, "version": 2 if n in earlier else 1,
              **dict(zip(fields[1:], row[1:], strict=True)), "digest": "", "capture_record_id": f"<urn:uuid:{n}>",
              "capture_timestamp": when, "first_seen": when, "last_seen": when, "extractor": "bench"}
             for n, row in enumerate(rows, 1)), batch_size=500)
        store.table("article_versions").insert_all(
            ({"id": len(rows) + k, "article_id": n, "version": 1, **dict(zip(fields[1:], rows[n - 1][1:], strict=True)),
              "title": title, "body": body, "digest": "", "capture_record_id": f"<urn:uuid:e{n}>",
              "capture_timestamp": before, "first_seen": before, "last_seen": before, "extractor": "bench"}
             for k, (n, (title, body)) in enumerate(sorted(earlier.items()), 1)), batch_size=500)


def time_store_path(rows: list[tuple], path: Path) -> float:
    """Articles/s through Store.store_articles, as a crawl stores them (article, version and index rows)."""
    store = Store(path)
    batch = [({"url": r[0], "title": r[1], "body": r[2], "published": r[3], "section": r[4], "lang": r[5],
               "author": r[6], "tags": json.loads(r[7]), "extractor": "bench"},
              {"record_id": f"<urn:uuid:s{n}>", "timestamp": "20250101000000"}) for n, r in enumerate(rows)]
    started = time.perf_counter()
    for k in range(0, len(batch), 200):
        store.store_articles(batch[k:k + 200])
    elapsed = time.perf_counter() - started
    store.close()
    return len(rows) / elapsed


def vocabulary(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """(normal form, articles holding it) of every Arabic body word of 3 letters or more, as the index holds them:
    where queries are drawn from."""
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, {search_index.TABLE}, col)")
    return conn.execute("SELECT term, doc FROM temp.vocab WHERE col = 'body' AND length(term) > 2 "
                        "AND term GLOB '[ء-ي]*'").fetchall()


def choose_queries(conn: sqlite3.Connection, n: int, rng: random.Random) -> dict[str, list[str]]:
    terms = vocabulary(conn)
    by_doc = sorted(terms, key=lambda x: x[1])
    rare = [t for t, d in by_doc if d >= 3][:40]  # the rarest words the corpus repeats at all
    mid = [t for t, d in terms if n // 100 <= d <= n // 20]
    common = [t for t, d in by_doc[-40:] if d >= n * 0.3]
    step = max(1, n // 500)
    bodies = [r[0] for r in conn.execute(f"SELECT body FROM articles WHERE lang = 'ar' AND id % {step} = 0")]

    two, phrases = [], []
    for body in rng.sample(bodies, 10):
        words = TOKEN.findall(body)  # adjacent tokens, as a reader would copy a phrase out of the text
        long = [w for w in words if len(w) > 2]
        two.append(" ".join(rng.sample(long, 2)))
        at = rng.randrange(len(words) - 3)
        phrases.append('"' + " ".join(words[at:at + 3]) + '"')
    return {"rare word": rng.sample(rare, min(10, len(rare))), "mid word": rng.sample(mid, min(10, len(mid))),
            "common word": rng.sample(common, min(10, len(common))), "two words": two, "phrase": phrases}


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def time_queries(searcher: Searcher, queries: list[str], repeat: int) -> tuple[list[float], int]:
    timings, hits = [], 0
    for _ in range(repeat):
        for q in queries:
            started = time.perf_counter()
            hits += len(searcher.search(q, limit=20))
            timings.append((time.perf_counter() - started) * 1000)
    return timings, hits


def time_like(conn: sqlite3.Connection, queries: list[str], repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        for q in queries:
            word = q.strip('"').split()[0]
            started = time.perf_counter()
            conn.execute("SELECT id FROM articles WHERE title LIKE ?1 OR body LIKE ?1 ORDER BY published DESC "
                         "LIMIT 20", [f"%{word}%"]).fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def overlap_with_exact(searcher: Searcher, queries: list[str]) -> float:
    """Top-20 overlap between search as it runs (impact lists for frequent words) and the ranking of every match."""
    exact = Searcher(searcher.conn, exact=True)
    scores = []
    for q in queries:
        ranked = {r[0] for r in exact.matching(q, limit=20)[1]}
        if ranked:
            ours = {r[0] for r in searcher.matching(q, limit=20)[1]}
            scores.append(len(ours & ranked) / len(ranked))
    return statistics.mean(scores) if scores else 1.0


def run(articles: int = 100_000, repeat: int = 5, keep: Path | None = None, store_slice: int = 5000) -> dict:
    """store_slice: how many articles go through the crawl's own storage path (the slowest step per article)."""
    rng = random.Random(7)
    result: dict = {"articles": articles}
    started = time.perf_counter()
    rows = generate(articles)
    result["generate_s"] = round(time.perf_counter() - started, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(keep or tmp) / "archive.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        load(path, rows)
        result["store_path_per_s"] = round(time_store_path(rows[: min(store_slice, articles)], Path(tmp) / "store.db"))
        store = Store(path)
        conn = store.conn  # the search room's own tables, and the plain-SQLite scan beside them
        for workers in (1, 2):
            started = time.perf_counter()
            store.reindex(workers=workers)
            result[f"index_{workers}_core_per_s"] = round(articles / (time.perf_counter() - started))
        raw = conn.execute("SELECT sum(length(CAST(title AS BLOB)) + length(CAST(body AS BLOB))) "
                           "FROM article_versions").fetchone()[0]
        index = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE ?",
                             [search_index.TABLE + "%"]).fetchone()[0]
        result["raw_text_mb"] = round(raw / 2**20, 1)
        result["index_mb"] = round(index / 2**20, 1)
        result["index_to_text"] = round(index / raw, 2)
        queries = choose_queries(conn, articles, rng)
        result["document_frequency"] = {name: [conn.execute(
            f"SELECT count(*) FROM {search_index.TABLE} WHERE {search_index.TABLE} MATCH ?",
            [to_match(parse(q))]).fetchone()[0] for q in qs[:3]] for name, qs in queries.items()}
        searcher = store.searcher()
        result["classes"] = {}
        for name, qs in queries.items():
            timings, hits = time_queries(searcher, qs, repeat)
            like = time_like(conn, qs[:3], 1 if articles > 20_000 else repeat)
            result["classes"][name] = {
                "queries": qs[:3], "p50_ms": round(percentile(timings, 50), 2),
                "p95_ms": round(percentile(timings, 95), 2), "hits_per_query": round(hits / len(timings), 1),
                "like_p50_ms": round(percentile(like, 50), 1), "like_p95_ms": round(percentile(like, 95), 1),
                "top20_overlap_exact": round(overlap_with_exact(searcher, qs), 3)}
        store.close()
    return result


def markdown(r: dict) -> str:
    classes = r["classes"]
    slow = [name for name, c in classes.items() if c["p95_ms"] > 50]
    approximate = [name for name, c in classes.items() if c["top20_overlap_exact"] < 1]
    lines = [
        f"### Search at {r['articles']:,} articles", "",
        f"Indexing: **{r['index_2_core_per_s']:,} articles/s** on both cores (`arshif reindex`), "
        f"{r['index_1_core_per_s']:,}/s on one; {r['store_path_per_s']:,} articles/s through the crawl's own "
        f"path (article, version and index rows per batch). Index **{r['index_mb']} MiB for "
        f"{r['raw_text_mb']} MiB of raw text ({r['index_to_text']}×)**.", "",
        "| query class | arshif p50 | arshif p95 | LIKE scan p50 | LIKE p95 | hits shown | top-20 = exact bm25 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, c in classes.items():
        lines.append(f"| {name} | {c['p50_ms']} ms | {c['p95_ms']} ms | {c['like_p50_ms']} ms | {c['like_p95_ms']} ms "
                     f"| {c['hits_per_query']} | {c['top20_overlap_exact']} |")
    lines.append("")
    samples = "; ".join(f"{name}: {', '.join(c['queries'])}" for name, c in classes.items())
    lines += [
        f"Sample queries: {samples}. Classes are chosen from the index's own vocabulary by document frequency; "
        "arshif times include the snippets of the 20 hits shown (about 8–10 ms of the total) and the Arabic "
        "query expansion (each word is its normal form, its clitic variants and its light stem).", "",
        "How to read it. The `LIKE '%word%'` scan is what plain SQLite offers: it finds raw substrings (no "
        "normalisation: الاسد does not find الأسد; زار finds وزارة), ranks nothing, and for a common word returns "
        "its first 20 rows in date order almost at once, while a rare word costs a scan of every body. arshif "
        "ranks by bm25. FTS5 scores every match (about 2 µs each), so a word found in most articles would cost "
        "100–250 ms; arshif instead ranks a word or two-word phrase found in 1,000 rows or more from its impact "
        "list (its best 1,000 articles, scored as FTS5 would score them now, kept only when the last hit beats "
        "every article left out: docs/searching.md, Ranking). The last column is the overlap of the top 20 with "
        "the ranking over every match (1.0: exact).",
        "",
    ]
    if slow:
        lines.append(f"**Behind the target (p95 ≤ 50 ms): {', '.join(slow)}.** The cost is in FTS5 itself: a "
                     "phrase of common words is checked position by position in every article holding all its "
                     "words, and a word whose every form is common still leaves thousands of candidates. SQLite "
                     "has no top-k pruning in bm25 and Python's sqlite3 cannot register an FTS5 ranking function; "
                     "the synthetic corpus, built from a few hundred sentence templates, also makes far more "
                     "words very common than real news text does.")
        lines.append("")
    if approximate:
        lines.append(f"Ranking is approximate for: {', '.join(approximate)} (top-20 overlap as shown).")
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Build the archive in this directory and leave it there.")
    args = parser.parse_args()
    result = run(args.articles, args.repeat, args.keep)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    print(markdown(result))


if __name__ == "__main__":
    main()
