"""Search on real Arabic news text scaled to 100,000 articles, beside the template corpus at the same size (issue 29).

The template corpus (bench/search.py, the replica's articles) is built from a few hundred sentence templates: its
word frequencies are not news text's. The real text here is the ANT corpus (bench/corpus.py: 31,525 articles of five
Arabic news sites, mostly February–October 2018, six sections), read where `fetch` put it, never copied.

Scaling to N articles, seeded and deterministic (`scale`):
- every real article as it is: title, paragraphs, date, section, author (the corpus's duplicates included);
- N − 31,525 more, made of real paragraphs. The real articles are grouped by source, section and month (a
  *stratum*: one site's section in one month; a stratum of fewer than 3 articles borrows its source's section,
  then the section), and each stratum gets new articles in proportion to its real ones. A new article draws a
  *lead* from its stratum, which gives it its length in words, the first half of its paragraphs (from the top),
  its date (plus under a day), author and source. Eight more articles of the stratum are drawn, those sharing
  the most title words with the lead first (the same story, as far as titles tell), and the rest of the length
  comes from the first one or two of them: a contiguous run of paragraphs from a random paragraph on, each taken
  while it brings the article closer to the lead's length. A one-paragraph lead (a brief) gives the first half
  of its sentences, and the closest brief the second half of its own. The title is the first half of the lead's
  title words followed by the second half of the closest donor's.
- ids in date order, as a crawl of the site would roughly give them.
So every paragraph (or sentence), word form and clitic is real; each real paragraph is used about N / 31,525
times, so a word's document frequency per article stays close to the real one; a paragraph keeps its words'
co-occurrence, and an article joins two or three related stories of one site's section and month. What scaling
cannot give is the new vocabulary a larger real archive would bring (Heaps' law): the vocabulary stays the real
corpus's, so a word of one real article is in about N / 31,525 articles. How close it stays is measured
(`closeness`) and printed. Below 31,525 articles, the corpus is sampled instead (bench.corpus.sample).

A few hundred articles (one in 200) get an earlier version, on both corpora: another article's title and one
paragraph replaced by another article's, so that `--all-versions` has versions to find.

Queries come from each index's own vocabulary (bench.search.vocabulary), per_class each, seeded: a rare word (the
rarest found in 3 articles or more), a mid word (in 1–5 % of articles), a common word (the most frequent ones),
two words of one article, a phrase (two adjacent words of one article), and the common words with `--since` a
day that keeps about a tenth of the archive. Each is timed through the product's Searcher, snippets included,
and compared with the exact ranking (`exact`) over every match, ordered as docs/searching.md says (the query as
typed first, then FTS5's own bm25 with the product's column weights, then newer, then the higher id), for --limit
20 and 100 and for --all-versions (an article's best version stands for it). Then `arshif search`'s start
(`cli_start`) and what keeping the impact lists current costs per stored article (`upkeep`).

Run: .venv/bin/python -m bench.search_real [--scale 100k|1m] [--articles N] [--corpus both|real|template] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from archive.core.arabic import ARABIC, TOKEN, normal
from archive.search import impact
from archive.search.index import TABLE, WEIGHTS
from archive.search.query import parse, to_match
from archive.search.searcher import Filters, Searcher
from archive.store.database import Store
from bench import corpus
from bench.search import generate, load, percentile, vocabulary

SCALES = {"100k": 100_000, "1m": 1_000_000}
SEED = 29
PER_CLASS = 50
LIMITS = (20, 100)
EDITED = 200              # one article in EDITED gets an earlier version
TOP_WORDS = 1000          # the rank-frequency curve compares the real corpus's top words
PAIRS = 300               # word pairs whose co-occurrence is compared
SMALLEST = 3              # a stratum with fewer articles borrows its source's section, then the section
CANDIDATES = 8            # donors drawn for a new article, the one sharing most title words with its lead first
TARGET_MS = 50            # issue 29's p95 target, with snippets
SCORE = f"-bm25({TABLE}, {', '.join(map(str, WEIGHTS))})"
_SENTENCE = re.compile(r"(?<=[.!?؟])\s+")


# -- the real corpus, scaled -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[int, ...]   # indices into Scaled.paragraphs
    date: datetime
    section: str
    author: str
    url: str
    real: bool


@dataclass
class Scaled:
    paragraphs: list[str]
    articles: list[Article]       # in id order (date order)
    strata: int
    borrowed: int                 # new articles whose stratum was too small and borrowed its section's

    def rows(self) -> list[tuple]:
        """bench.search.load's rows: (canonical, title, body, published, section, lang, author, tags)."""
        return [(a.url, a.title, "\n\n".join(self.paragraphs[p] for p in a.paragraphs), a.date.isoformat(),
                 a.section, "ar", a.author, "[]") for a in self.articles]


def _halves(first: list[str], second: list[str], joiner: str = " ") -> str:
    """The first half of `first` then the second half of `second` (a one-item `second` adds nothing)."""
    return joiner.join(first[:(len(first) + 1) // 2] + (second[len(second) // 2:] if len(second) > 1 else []))


def scale(records: list[corpus.Record], n: int, seed: int = SEED) -> Scaled:
    """The real records as they are, plus n − len(records) articles made of their paragraphs (module docstring);
    fewer than the corpus holds: a seeded sample of it (bench.corpus.sample's strata)."""
    rng = random.Random(seed)
    if n < len(records):
        chosen = {r.id for r in corpus.sample(n, seed)}
        records = [r for r in records if r.id in chosen]
    table: dict[str, int] = {}
    texts: list[str] = []
    words: list[int] = []

    def ids(paragraphs: tuple[str, ...] | list[str]) -> tuple[int, ...]:
        out = []
        for p in paragraphs:
            if p not in table:
                table[p] = len(texts)
                texts.append(p)
                words.append(len(TOKEN.findall(p)))
            out.append(table[p])
        return tuple(out)

    real = [Article(r.title, ids(r.paragraphs), r.date, r.section, r.author,
                    f"https://{r.source.lower()}.ant.test/{r.id}", True) for r in records]
    titles = [{normal(t) for t in TOKEN.findall(r.title) if len(t) > 2} for r in records]
    pools: dict[tuple[str, ...], list[int]] = {}
    for i, (r, a) in enumerate(zip(records, real, strict=True)):
        if a.paragraphs:
            for key in ((r.source, r.section, a.date.strftime("%Y-%m")), (r.source, r.section), (r.section,)):
                pools.setdefault(key, []).append(i)
    strata = sorted(k for k in pools if len(k) == 3)
    extra = max(0, n - len(real))
    total = sum(len(pools[k]) for k in strata)
    quota = {k: extra * len(pools[k]) / total for k in strata}
    counts = {k: int(q) for k, q in quota.items()}
    for k in sorted(quota, key=lambda k: (-(quota[k] - counts[k]), k))[:extra - sum(counts.values())]:
        counts[k] += 1
    made: list[Article] = []
    borrowed = 0
    for key in strata:
        pool = next(pools[k] for k in (key, key[:2], key[1:2]) if len(pools[k]) >= SMALLEST)
        borrowed += counts[key] if pool is not pools[key] else 0
        for _ in range(counts[key]):
            at = rng.choice(pool)
            lead = real[at]
            # the donors: CANDIDATES others of the pool, those sharing the most title words with the lead first
            others: list[int] = []
            for source in (pool, pools[key[1:2]]):  # a pool of copies of one text has no donor: the section has
                drawn = rng.sample(source, CANDIDATES + 1) if len(source) > CANDIDATES + 1 else source
                others = others or sorted((i for i in drawn if real[i].paragraphs != lead.paragraphs),
                                          key=lambda i: -len(titles[i] & titles[at]))[:CANDIDATES]
            size = len(lead.paragraphs)
            if size == 1:
                briefs = [i for i in others if len(real[i].paragraphs) == 1] or others
                mine = _SENTENCE.split(texts[lead.paragraphs[0]])
                theirs = _SENTENCE.split(texts[rng.choice(real[briefs[0]].paragraphs)])
                body = ids([_halves(mine, theirs)])
            else:
                head = lead.paragraphs[:(size + 1) // 2]
                need = sum(words[p] for p in lead.paragraphs) - sum(words[p] for p in head)
                parts: list[int] = []
                for donor in others[:2]:
                    have = real[donor].paragraphs
                    for p in have[rng.randrange(len(have)):]:
                        if p in head:
                            continue
                        if words[p] >= 2 * need:  # it would take the article further from the lead's length
                            break
                        parts.append(p)
                        need -= words[p]
                    if need <= 0:
                        break
                body = head + tuple(parts)
            made.append(Article(_halves(lead.title.split(), real[others[0]].title.split()), body,
                                lead.date + timedelta(seconds=rng.randrange(86_400)), lead.section, lead.author,
                                f"{lead.url.rsplit('/', 1)[0]}/scaled-{len(made) + 1}", False))
    articles = sorted(real + made, key=lambda a: (a.date.timestamp(), a.url))
    return Scaled(texts, articles, len(strata), borrowed)


# -- how close the scaled corpus stays to the real one ---------------------------------------------------------

def _forms(paragraphs: list[str]) -> list[tuple[int, list[str]]]:
    out = []
    for p in paragraphs:
        found = TOKEN.findall(p)
        out.append((len(found), sorted({normal(t) for t in found})))
    return out


def paragraph_forms(paragraphs: list[str], workers: int = 2) -> tuple[list[frozenset[int]], list[int], list[str]]:
    """Each paragraph's set of body forms (the index's normal forms) as ints, its number of words, and the forms
    those ints stand for; prepared on both cores."""
    chunks = [paragraphs[k:k + 5000] for k in range(0, len(paragraphs), 5000)]
    ids: dict[str, int] = {}
    sets, counts = [], []
    with ProcessPoolExecutor(workers) as pool:
        for chunk in pool.map(_forms, chunks):
            for count, forms in chunk:
                counts.append(count)
                sets.append(frozenset(ids.setdefault(f, len(ids)) for f in forms))
    return sets, counts, list(ids)


def _heaps(sets: list[frozenset[int]], rng: random.Random) -> tuple[float, list[tuple[int, int]]]:
    """Vocabulary growth over the real articles in a random order: (β of V = K·n^β, [(n, V)])."""
    order = list(range(len(sets)))
    rng.shuffle(order)
    seen: set[int] = set()
    points = []
    marks = {len(order) // 8, len(order) // 4, len(order) // 2, len(order)}
    for k, i in enumerate(order, 1):
        seen |= sets[i]
        if k in marks:
            points.append((k, len(seen)))
    xs, ys = [math.log(n) for n, _ in points], [math.log(v) for _, v in points]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    beta = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return beta, points


def closeness(scaled: Scaled, seed: int = SEED) -> dict:
    """The scaled corpus against its real part: vocabulary, document frequencies of the real top words, pairs."""
    rng = random.Random(seed)
    forms, counts, names = paragraph_forms(scaled.paragraphs)
    arabic = {i for i, name in enumerate(names) if len(name) > 2 and ARABIC.match(name)}

    def body(a: Article) -> frozenset[int]:
        return frozenset().union(*(forms[p] for p in a.paragraphs))

    real = [body(a) for a in scaled.articles if a.real]
    n_real, n_all = len(real), len(scaled.articles)
    df_real = Counter()
    for s in real:
        df_real.update(s)
    top = [w for w, _ in sorted(((w, d) for w, d in df_real.items() if w in arabic), key=lambda x: (-x[1], x[0]))
           [:TOP_WORDS]]
    beta, points = _heaps(real, rng)
    top_set = set(top)
    pairs = []
    while len(pairs) < PAIRS and real:
        words = sorted(rng.choice(real) & top_set)
        if len(words) >= 2:
            pairs.append(tuple(rng.sample(words, 2)))
    wanted = {w for p in pairs for w in p}
    postings_real: dict[int, set[int]] = {w: set() for w in wanted}
    postings_all: dict[int, set[int]] = {w: set() for w in wanted}
    df_all = Counter()
    for i, a in enumerate(scaled.articles):  # one article's set at a time: at 1,000,000 they would not fit
        s = body(a)
        df_all.update(s)
        for w in s & wanted:
            postings_all[w].add(i)
            if a.real:
                postings_real[w].add(i)
    ratios = [(df_all[w] / n_all) / (df_real[w] / n_real) for w in top]

    def lift(postings: dict[int, set[int]], df: Counter, n: int, a: int, b: int) -> float:
        both = len(postings[a] & postings[b]) / n
        return both / ((df[a] / n) * (df[b] / n))

    lifts_real = [lift(postings_real, df_real, n_real, a, b) for a, b in pairs]
    lifts_all = [lift(postings_all, df_all, n_all, a, b) for a, b in pairs]
    words = [sum(counts[p] for p in a.paragraphs) for a in scaled.articles]
    words_real = sorted(w for w, a in zip(words, scaled.articles, strict=True) if a.real)
    words_new = sorted(w for w, a in zip(words, scaled.articles, strict=True) if not a.real)
    bodies = Counter(a.paragraphs for a in scaled.articles)
    real_bodies = Counter(a.paragraphs for a in scaled.articles if a.real)
    use = Counter(p for a in scaled.articles for p in a.paragraphs)

    def per_1000(df: Counter, n: int, w: int) -> float:
        return round(1000 * df[w] / n, 1)

    def share_at_least(df: Counter, n: int, share: float) -> int:
        return sum(1 for w, d in df.items() if w in arabic and d >= share * n)

    heaps_at = round(points[-1][1] * (n_all / points[-1][0]) ** beta) if n_all > n_real else len(df_real)
    return {
        "real_articles": n_real, "articles": n_all, "strata": scaled.strata, "borrowed": scaled.borrowed,
        "median_words": {"real": words_real[len(words_real) // 2],
                         "new": words_new[len(words_new) // 2] if words_new else None},
        "under_150_words": {"real": round(sum(w < corpus.SHORT_WORDS for w in words_real) / n_real, 3),
                            "new": round(sum(w < corpus.SHORT_WORDS for w in words_new) / len(words_new), 3)
                            if words_new else None},
        "vocabulary": {"real": len(df_real), "scaled": len(df_all), "heaps_beta": round(beta, 3),
                       "heaps_points": points, "heaps_expected": heaps_at},
        "words_in_2pc": {"real": share_at_least(df_real, n_real, 0.02), "scaled": share_at_least(df_all, n_all, 0.02)},
        "words_in_10pc": {"real": share_at_least(df_real, n_real, 0.1), "scaled": share_at_least(df_all, n_all, 0.1)},
        "words_in_30pc": {"real": share_at_least(df_real, n_real, 0.3), "scaled": share_at_least(df_all, n_all, 0.3)},
        "rank_df_per_1000": {rank: {"word": names[top[rank - 1]], "real": per_1000(df_real, n_real, top[rank - 1]),
                                    "scaled": per_1000(df_all, n_all, top[rank - 1])}
                             for rank in (1, 10, 100, 1000) if rank <= len(top)},
        "top_words_df_ratio": {"median": round(statistics.median(ratios), 3),
                               "mean_abs_diff": round(statistics.mean(abs(r - 1) for r in ratios), 3),
                               "within_10pc": round(sum(abs(r - 1) <= 0.1 for r in ratios) / len(ratios), 3),
                               "min": round(min(ratios), 3), "max": round(max(ratios), 3)},
        "pair_lift": {"pairs": len(pairs), "real_median": round(statistics.median(lifts_real), 2),
                      "scaled_median": round(statistics.median(lifts_all), 2),
                      "ratio_median": round(statistics.median(s / r for s, r in zip(lifts_all, lifts_real,
                                                                                      strict=True)), 3)},
        "duplicate_bodies": {"real": round(sum(c - 1 for c in real_bodies.values() if c > 1) / n_real, 3),
                             "scaled": round(sum(c - 1 for c in bodies.values() if c > 1) / n_all, 3)},
        "paragraph_uses": {"paragraphs": len(scaled.paragraphs),
                           "mean": round(statistics.mean(use.values()), 2), "max": max(use.values())},
    }


# -- versions, queries, exact bm25 -----------------------------------------------------------------------------

def earlier_versions(rows: list[tuple], rng: random.Random) -> dict[int, tuple[str, str]]:
    """One article in EDITED: an earlier version with another article's title and one of its paragraphs replaced
    by another article's (article ids, 1-based, as bench.search.load numbers them)."""
    out = {}
    for n in sorted(rng.sample(range(1, len(rows) + 1), max(1, len(rows) // EDITED))):
        paragraphs = rows[n - 1][2].split("\n\n")
        donor = rows[rng.randrange(len(rows))][2].split("\n\n")
        paragraphs[rng.randrange(len(paragraphs))] = rng.choice(donor)
        out[n] = (rows[rng.randrange(len(rows))][1], "\n\n".join(paragraphs))
    return out


def tenth_since(conn: sqlite3.Connection) -> tuple[str, float]:
    """The day for `--since` that keeps about a tenth of the archive's articles, and the share it keeps."""
    days = [r[0] for r in conn.execute("SELECT substr(published, 1, 10) FROM articles ORDER BY 1 DESC")]
    day = days[max(0, len(days) // 10 - 1)]
    return day, sum(d >= day for d in days) / len(days)


def _arabic_word(token: str) -> bool:
    return len(token) > 1 and bool(ARABIC.search(token)) and not any(ch.isdigit() for ch in token)


def choose(conn: sqlite3.Connection, n: int, rng: random.Random, per_class: int) -> dict[str, list[str]]:
    """per_class distinct queries for each class, from this index's vocabulary and its articles' own text."""
    terms = vocabulary(conn)
    by_doc = sorted(terms, key=lambda x: (x[1], x[0]))
    rare = [t for t, d in by_doc if d >= 3][:4 * per_class]
    mid = sorted(t for t, d in terms if n // 100 <= d <= n // 20)
    common = [t for t, _ in by_doc[-per_class:]]
    ids = [r[0] for r in conn.execute("SELECT id FROM articles WHERE lang = 'ar' ORDER BY id")]
    two, phrases = [], []
    for article in rng.sample(ids, min(len(ids), 4 * per_class)):
        body = conn.execute("SELECT body FROM articles WHERE id = ?", [article]).fetchone()[0]
        words = TOKEN.findall(body)
        long = sorted({w for w in words if len(w) > 2 and _arabic_word(w)})
        if len(two) < per_class and len(long) >= 2:
            pair = " ".join(rng.sample(long, 2))
            two += [pair] if pair not in two else []
        adjacent = [k for k in range(len(words) - 1) if _arabic_word(words[k]) and _arabic_word(words[k + 1])]
        if len(phrases) < per_class and adjacent:
            at = rng.choice(adjacent)
            phrase = f'"{words[at]} {words[at + 1]}"'
            phrases += [phrase] if phrase not in phrases else []  # "إلى أن" is in thousands of articles
    return {"rare word": rng.sample(rare, min(per_class, len(rare))),
            "mid word": rng.sample(mid, min(per_class, len(mid))), "common word": common, "two words": two,
            "phrase": phrases, "common word --since": common}


def exact(conn: sqlite3.Connection, match: str, own: str | None, since: str | None, all_versions: bool,
          limit: int) -> tuple[list[int], int]:
    """The top `limit` article ids of the documented ranking, computed over every match: articles that match `own`
    (the query's own forms) first, then FTS5's bm25 with the product's weights, newer first on equal scores, then
    the higher id; and how many articles match. With all_versions, an article's best version by the same order."""
    owned = f"rowid IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?)" if own else "1"
    first = [own] if own else []
    if not all_versions:
        cond = " AND substr(a.published, 1, 10) >= ?" if since else ""
        rows = conn.execute(
            f"SELECT a.id, count(*) OVER () FROM (SELECT rowid AS r, {SCORE} AS score, {owned} AS own FROM {TABLE} "
            f"WHERE {TABLE} MATCH ? AND rowid > 0) AS hits JOIN articles a ON a.id = hits.r WHERE 1{cond} "
            "ORDER BY hits.own DESC, hits.score DESC, a.published DESC, a.id DESC LIMIT ?",
            first + [match] + ([since] if since else []) + [limit]).fetchall()
        return [r[0] for r in rows], rows[0][1] if rows else 0
    cond = " AND substr(v.published, 1, 10) >= ?" if since else ""
    extra = [since] if since else []
    rows = conn.execute(
        f"WITH hits AS MATERIALIZED (SELECT rowid AS r, {SCORE} AS score, {owned} AS own FROM {TABLE} "
        f"WHERE {TABLE} MATCH ?), "
        "found AS (SELECT v.article_id AS article, v.id AS version, v.published AS published, hits.score AS score, "
        "hits.own AS own "
        "FROM hits JOIN articles a ON a.id = hits.r JOIN article_versions v ON v.id = a.latest_version "
        f"WHERE hits.r > 0{cond} UNION ALL SELECT v.article_id, v.id, v.published, hits.score, hits.own FROM hits "
        f"JOIN article_versions v ON v.id = -hits.r WHERE hits.r < 0{cond}), "
        "best AS (SELECT article, score, own, published, row_number() OVER (PARTITION BY article "
        "ORDER BY own DESC, score DESC, version DESC) AS n FROM found) "
        "SELECT article, count(*) OVER () FROM best WHERE n = 1 "
        "ORDER BY own DESC, score DESC, published DESC, article DESC LIMIT ?",
        first + [match] + extra + extra + [limit]).fetchall()
    return [r[0] for r in rows], rows[0][1] if rows else 0


MODES = (("limit 20", 20, False), ("limit 100", 100, False), ("all versions", 20, True))


def measure(conn: sqlite3.Connection, queries: dict[str, list[str]], since: str, repeat: int) -> dict:
    """Per class: latency of Searcher.search with snippets (a fresh Searcher a query, as `arshif search` makes one),
    repeat times at --limit 20 and once at --limit 100 and with --all-versions; overlap with exact bm25 and
    whether the order is the same."""
    article_of = dict(conn.execute("SELECT canonical, id FROM articles"))
    known = Searcher(conn).known
    out = {}
    for name, qs in queries.items():
        filters = Filters(since=since) if "--since" in name else Filters()
        timings: dict[str, list[float]] = {mode: [] for mode, _, _ in MODES}
        overlap: dict[str, list[float]] = {mode: [] for mode, _, _ in MODES}
        same: dict[str, list[bool]] = {mode: [] for mode, _, _ in MODES}
        matches = []
        per_query: list[tuple[float, str]] = []  # each query's median at --limit 20
        for q in qs:
            match = to_match(parse(q), known)
            own = to_match(parse(q), known, stems=False) if match else None
            own = own if own != match else None
            latest, found = exact(conn, match, own, filters.since, False, max(LIMITS)) if match else ([], 0)
            every, _ = exact(conn, match, own, filters.since, True, max(LIMITS)) if match else ([], 0)
            matches.append(found)
            for mode, limit, all_versions in MODES:
                for _ in range(repeat if mode == "limit 20" else 1):
                    started = time.perf_counter()
                    hits = Searcher(conn).search(q, filters, all_versions=all_versions, limit=limit)
                    timings[mode].append((time.perf_counter() - started) * 1000)
                if mode == "limit 20":
                    per_query.append((round(statistics.median(timings[mode][-repeat:]), 1), q))
                ours = [article_of[h.url] for h in hits]
                best = (every if all_versions else latest)[:limit]
                if best:
                    overlap[mode].append(len(set(ours) & set(best)) / len(best))
                    same[mode].append(ours == best)
        out[name] = {"queries": len(qs), "sample": qs[:3], "slowest": sorted(per_query, reverse=True)[:3],
                     "matches_median": statistics.median(matches) if matches else 0,
                     "matches_min": min(matches, default=0), "matches_max": max(matches, default=0),
                     **{f"p50_ms {mode}": round(percentile(t, 50), 1) for mode, t in timings.items() if t},
                     **{f"p95_ms {mode}": round(percentile(t, 95), 1) for mode, t in timings.items() if t},
                     **{f"overlap {mode}": round(statistics.mean(o), 3) if o else 1.0 for mode, o in overlap.items()},
                     **{f"same order {mode}": round(sum(s) / len(s), 3) if s else 1.0 for mode, s in same.items()}}
    return out


def index_vocabulary(conn: sqlite3.Connection, n: int) -> dict:
    """The query vocabulary as the index sees it: Arabic body forms, and how many are in 2 %, 10 %, 30 % of articles."""
    terms = vocabulary(conn)
    return {"forms": len(terms), **{f"in_{p}pc": sum(1 for _, d in terms if d >= p / 100 * n) for p in (2, 10, 30)}}


def build(rows: list[tuple], path: Path, rng: random.Random) -> dict:
    """The archive from rows, with earlier versions, loaded as bench.search loads it (the index comes next)."""
    path.unlink(missing_ok=True)
    earlier = earlier_versions(rows, rng)
    started = time.perf_counter()
    load(path, rows, earlier)
    return {"articles": len(rows), "edited": len(earlier), "load_s": round(time.perf_counter() - started, 1)}


def cpu_check() -> float:
    """ms for a fixed piece of pure Python, before and after the queries: a slower machine (another job, a busy
    host) shows here, so that two runs' latencies can be compared fairly."""
    started = time.perf_counter()
    sum(i * i for i in range(3_000_000))
    return round((time.perf_counter() - started) * 1000, 1)


def index_and_measure(path: Path, n: int, per_class: int, repeat: int, rng: random.Random) -> dict:
    """The index built as `arshif reindex` builds it (both cores), its size, then every class measured. Called
    with nothing else of the benchmark's held in memory, as `arshif search` would run."""
    result: dict = {}
    store = Store(path)
    conn = store.conn
    started = time.perf_counter()
    indexed: list[float] = []   # when the last version was indexed: the lists (and FTS5's optimize) follow
    versions = store.reindex(lambda done, total: done == total and indexed.append(time.perf_counter()), workers=2)
    elapsed = time.perf_counter() - started
    result["reindex_s"] = round(elapsed, 1)
    result["lists_s"] = round(started + elapsed - indexed[-1], 1) if indexed else None
    result["index_per_s"] = round(versions / elapsed)
    raw = conn.execute("SELECT sum(length(CAST(title AS BLOB)) + length(CAST(body AS BLOB))) "
                       "FROM article_versions").fetchone()[0]
    fts = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE ?", [TABLE + "%"]).fetchone()[0]
    lists = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_list%' OR name LIKE "
                         "'search_phrase%'").fetchone()[0] or 0
    index = fts + lists
    result["fts_mb"], result["lists_mb"] = round(fts / 2**20, 1), round(lists / 2**20, 1)
    listed = [json.loads(p) for (p,) in conn.execute(f"SELECT phrases FROM {impact.LISTS}")]
    phrases = sum(any(" " in text for _, text in p) for p in listed)
    result["lists"] = {"words": len(listed) - phrases, "phrases": phrases}
    result["raw_text_mb"] = round(raw / 2**20, 1)
    result["index_mb"] = round(index / 2**20, 1)
    result["index_to_text"] = round(index / raw, 2)
    result["vocabulary"] = index_vocabulary(conn, n)
    since, kept = tenth_since(conn)
    result["since"], result["since_keeps"] = since, round(kept, 3)
    queries = choose(conn, n, rng, per_class)
    result["cpu_check_ms"] = [cpu_check()]
    started = time.perf_counter()
    result["classes"] = measure(conn, queries, since, repeat)
    result["queries_s"] = round(time.perf_counter() - started, 1)
    result["cpu_check_ms"].append(cpu_check())
    result["start"] = cli_start(path, queries["rare word"][:5])
    result["upkeep"] = upkeep(store, rng)
    store.close()
    return result


UPKEEP_ARTICLES = 400
CRAWL_CPU_MS = 14   # a crawl's CPU per article (docs/BENCHMARKS.md, CPU per article), to put the upkeep beside
UPKEEP_WARM = 100  # articles stored before the timing starts, each way
UPKEEP_BATCH = 50   # articles a crawl commits together: ARSHIF_ARTICLE_COMMIT_SECONDS (5 s) at 10 articles a second


def amortised(c: dict) -> float:
    """ms per article of the lists' next build, shared by the articles added until it: that build reads an
    index REBUILD_GROWTH times this one, after (REBUILD_GROWTH − 1) times this many articles were added."""
    growth = impact.REBUILD_GROWTH
    return c["lists_s"] * 1000 * growth / ((growth - 1) * c["articles"])


def upkeep(store: Store, rng: random.Random) -> dict:
    """CPU per article stored with the lists kept current, then (the lists dropped) without: what keeping them
    costs a crawl. Articles are copies of stored ones under new addresses, stored in batches as a crawl stores
    them. Run last: it adds articles and drops the lists."""
    ids = [i for (i,) in store.conn.execute("SELECT id FROM articles ORDER BY id")]
    chosen = rng.sample(ids, 2 * (UPKEEP_WARM + UPKEEP_ARTICLES))
    rows = store.conn.execute("SELECT v.title, v.body, v.section, v.published FROM articles a JOIN article_versions v "
                              f"ON v.id = a.latest_version WHERE a.id IN ({', '.join(map(str, chosen))})").fetchall()
    rng.shuffle(rows)

    def store_some(rows: list, tag: str) -> float:
        """ms of CPU per article, past the first UPKEEP_WARM (the pages a long crawl keeps in cache)."""
        items = [({"url": f"https://upkeep.test/{tag}/{n}", "title": title, "body": body, "author": None,
                   "published": published, "modified": None, "section": section, "tags": [], "image": None,
                   "lang": "ar", "word_count": len(body.split()), "extractor": "bench"},
                  {"record_id": f"<urn:uuid:{tag}-{n}>", "timestamp": "20270101000000"})
                 for n, (title, body, section, published) in enumerate(rows)]
        for at in range(0, UPKEEP_WARM, UPKEEP_BATCH):
            store.store_articles(items[at:at + UPKEEP_BATCH])
        started = time.process_time()
        for at in range(UPKEEP_WARM, len(items), UPKEEP_BATCH):
            store.store_articles(items[at:at + UPKEEP_BATCH])
        return (time.process_time() - started) * 1000 / (len(items) - UPKEEP_WARM)

    half = UPKEEP_WARM + UPKEEP_ARTICLES
    with_lists = store_some(rows[:half], "lists")
    impact.drop(store.conn)
    without = store_some(rows[half:], "plain")
    return {"articles": UPKEEP_ARTICLES, "ms_with_lists": round(with_lists, 2), "ms_without": round(without, 2),
            "ms_for_lists": round(with_lists - without, 2)}


def cli_start(path: Path, words: list[str], runs: int = 5) -> dict:
    """`arshif search --json WORD` as a researcher runs it, wall time p50, beside the same search in this process:
    the difference is the command's start (interpreter, imports, opening the archive)."""
    import os
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        (data / "archive.db").symlink_to(path.resolve())
        command = [str(Path(sys.executable).with_name("arshif")), "search", "--data", str(data), "--json"]
        whole, inside = [], []
        conn = sqlite3.connect(path)
        for word in words:
            for _ in range(runs):
                started = time.perf_counter()
                subprocess.run(command + [word], check=True, capture_output=True, env={**os.environ, "NO_COLOR": "1"})
                whole.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                searcher = Searcher(conn)
                searcher.search(word)
                searcher.count(word)
                inside.append((time.perf_counter() - started) * 1000)
        conn.close()
    return {"command_p50_ms": round(statistics.median(whole), 1), "search_p50_ms": round(statistics.median(inside), 1),
            "start_ms": round(statistics.median(whole) - statistics.median(inside), 1)}


def run(articles: int = 100_000, per_class: int = PER_CLASS, repeat: int = 3, which: str = "both",
        keep: Path | None = None, where: str | Path | None = None) -> dict:
    """Both corpora at `articles`, one after the other in this process; the real column says why when the corpus
    is missing, and the template column runs anyway. Each corpus's rows are let go once loaded."""
    result: dict = {"articles": articles, "per_class": per_class, "repeat": repeat}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if which in ("both", "real"):
            try:
                started = time.perf_counter()
                records = list(corpus.records(where))
                scaled = scale(records, articles)
                made_s = time.perf_counter() - started
                result["corpus"] = str(corpus.locate(where))
                if len(scaled.articles) > len(records):
                    started = time.perf_counter()
                    result["closeness"] = closeness(scaled)
                    result["closeness_s"] = round(time.perf_counter() - started, 1)
                rows = scaled.rows()
                del records, scaled
                rng = random.Random(SEED)
                real = {"generate_s": round(made_s, 1), **build(rows, folder / "real.db", rng)}
                del rows
                result["real"] = {**real, **index_and_measure(folder / "real.db", real["articles"], per_class,
                                                              repeat, rng)}
            except corpus.CorpusMissing as e:
                result["real"] = {"absent": str(e)}
        if which in ("both", "template"):
            started = time.perf_counter()
            rows = generate(articles)
            made_s = time.perf_counter() - started
            rng = random.Random(SEED)
            template = {"generate_s": round(made_s, 1), **build(rows, folder / "template.db", rng)}
            del rows
            result["template"] = {**template, **index_and_measure(folder / "template.db", template["articles"],
                                                                  per_class, repeat, rng)}
    return result


# -- the page ----------------------------------------------------------------------------------------------------

def _cell(c: dict, mode: str) -> str:
    return f"{c[f'overlap {mode}']:.2f} ({c[f'same order {mode}']:.2f})"


def markdown(r: dict) -> str:
    real, template = r.get("real") or {}, r.get("template") or {}
    columns = [(name, c) for name, c in (("real text", real), ("template", template)) if c and "classes" in c]
    n = r["articles"]
    lines = [f"### Search on real text at {n:,} articles, beside the template corpus", ""]
    if "absent" in real:
        lines += [f"Real text: not measured, the corpus is missing ({real['absent']}). The template column ran.", ""]
    cl = r.get("closeness")
    if "classes" in real and not cl:
        lines += [f"Real text: a seeded sample of {n:,} articles of the ANT corpus (five Arabic news sites, 2018, "
                  f"read from `{r.get('corpus')}`), not scaled.", ""]
    if cl:
        voc = cl["vocabulary"]
        top = cl["top_words_df_ratio"]
        lift = cl["pair_lift"]
        lines += [
            f"Real text: the ANT corpus ({cl['real_articles']:,} articles of five Arabic news sites, 2018, read from "
            f"`{r.get('corpus')}`), every article as it is, plus {cl['articles'] - cl['real_articles']:,} made of "
            f"its paragraphs: each new article takes a lead article of the same site, section and month "
            f"({cl['strata']} strata, new articles in proportion to each): its length, first half of its "
            "paragraphs, date, author and source, then contiguous runs of paragraphs from one or two other "
            "articles of the stratum, those sharing most title words with the lead first; a brief joins the "
            "halves of two briefs' sentences; the title joins the first half of the lead's title to the second "
            "half of another's. Seeded (bench/search_real.py says exactly how). Every word form and clitic is real; "
            f"each paragraph is used {cl['paragraph_uses']['mean']} times on average.", "",
            f"| how close (body words, normal forms) | real {cl['real_articles']:,} | scaled {cl['articles']:,} |",
            "|---|---|---|",
            f"| median words per article (new ones) | {cl['median_words']['real']} | {cl['median_words']['new']} |",
            *([f"| articles under 150 words (new ones) | {cl['under_150_words']['real']:.1%} | "
               f"{cl['under_150_words']['new']:.1%} |"] if cl["under_150_words"]["new"] is not None else []),
            f"| vocabulary (distinct forms) | {voc['real']:,} | {voc['scaled']:,} (a real archive this size: "
            f"≈ {voc['heaps_expected']:,} by Heaps' law, β = {voc['heaps_beta']}) |",
            *(f"| Arabic words in ≥ {p} % of articles | {cl[f'words_in_{p}pc']['real']:,} | "
              f"{cl[f'words_in_{p}pc']['scaled']:,} |" for p in (2, 10, 30)),
            *(f"| articles per 1,000 holding the real rank-{rank} word ({v['word']}) | {v['real']} | {v['scaled']} |"
              for rank, v in cl["rank_df_per_1000"].items()),
            f"| real top {TOP_WORDS:,} words: scaled df / real df | 1 | median {top['median']}, "
            f"{top['within_10pc']:.0%} within ±10 %, range {top['min']}–{top['max']} |",
            f"| co-occurrence: median lift P(a∧b)/P(a)P(b) of {lift['pairs']} word pairs of one article | "
            f"{lift['real_median']} | {lift['scaled_median']} (pair by pair: × {lift['ratio_median']}) |",
            f"| bodies identical to another article's | {cl['duplicate_bodies']['real']:.1%} | "
            f"{cl['duplicate_bodies']['scaled']:.1%} |", ""]
    if columns:
        head = " | ".join(f"{name} p50 / p95" for name, _ in columns)
        lines += [f"Latency through the product's Searcher, snippets included, ms ({r['per_class']} queries a class, "
                  f"--limit 20 × {r['repeat']}; --limit 100 and --all-versions once):", "",
                  f"| query class | {head} | " + " | ".join(f"{name} p95 --limit 100 / --all-versions"
                                                          for name, _ in columns) + " | articles matching, median |",
                  "|---|" + "---|" * (2 * len(columns) + 1)]
        for name in columns[0][1]["classes"]:
            cells = [f"{c['classes'][name]['p50_ms limit 20']} / **{c['classes'][name]['p95_ms limit 20']}**"
                     for _, c in columns]
            cells += [f"{c['classes'][name]['p95_ms limit 100']} / {c['classes'][name]['p95_ms all versions']}"
                      for _, c in columns]
            found = " / ".join(f"{c['classes'][name]['matches_median']:,.0f}" for _, c in columns)
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {found} |")
        lines += ["", "Exactness: overlap of the hits shown with exact bm25 over every match (and, in brackets, the "
                  "share of queries whose order is identical):", "",
                  "| query class | " + " | ".join(f"{name} @20 | {name} @100 | {name} --all-versions @20"
                                                  for name, _ in columns) + " |",
                  "|---|" + "---|" * (3 * len(columns))]
        for name in columns[0][1]["classes"]:
            cells = [f"{_cell(c['classes'][name], m)}" for _, c in columns for m, _, _ in MODES]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines += ["", "| | " + " | ".join(name for name, _ in columns) + " |", "|---|" + "---|" * len(columns),
                  "| index / raw text | " + " | ".join(f"{c['index_mb']} MiB / {c['raw_text_mb']} MiB "
                                                      f"(**{c['index_to_text']}×**)" for _, c in columns) + " |",
                  *(["| of which impact lists (words / two-word phrases) | " + " | ".join(
                      f"{c['lists_mb']} MiB ({c['lists']['words']:,} / {c['lists']['phrases']:,})" for _, c in columns)
                     + " |"] if all("lists" in c for _, c in columns) else []),
                  *(["| keeping the lists current: CPU per article stored (batches of "
                     f"{UPKEEP_BATCH}) | " + " | ".join(
                         f"{c['upkeep']['ms_with_lists']} ms with lists, {c['upkeep']['ms_without']} ms without: "
                         f"**+{c['upkeep']['ms_for_lists']} ms** (+{c['upkeep']['ms_for_lists'] / CRAWL_CPU_MS:.0%} of "
                         f"a crawl's {CRAWL_CPU_MS} ms per article)" for _, c in columns) + " |"]
                    if all("upkeep" in c for _, c in columns) else []),
                  *(["| building the lists (in `arshif reindex`; a crawl builds them again when the index has grown "
                     f"{impact.REBUILD_GROWTH:g}×) | " + " | ".join(
                         f"{c['lists_s']} s: amortised over the articles added before the next build, "
                         f"**+{amortised(c):.2f} ms** an article (+{amortised(c) / CRAWL_CPU_MS:.0%})"
                         for _, c in columns) + " |"] if all(c.get("lists_s") for _, c in columns) else []),
                  *(["| `arshif search --json` (a rare word), p50 | " + " | ".join(
                      f"{c['start']['command_p50_ms']} ms, of which the search {c['start']['search_p50_ms']} ms: "
                      f"**start {c['start']['start_ms']} ms**" for _, c in columns) + " |"]
                    if all("start" in c for _, c in columns) else []),
                  "| indexing and lists (`arshif reindex`, 2 cores) | " + " | ".join(
                      f"**{c['index_per_s']:,} articles/s** ({c['reindex_s']} s, "
                      f"{c['raw_text_mb'] / c['reindex_s']:.1f} MiB of text/s)" for _, c in columns) + " |",
                  "| Arabic body forms in the index (in ≥ 2 / 10 / 30 % of articles) | " + " | ".join(
                      f"{c['vocabulary']['forms']:,} ({c['vocabulary']['in_2pc']:,} / {c['vocabulary']['in_10pc']:,}"
                      f" / {c['vocabulary']['in_30pc']:,})" for _, c in columns) + " |",
                  "| `--since` (about a tenth) | " + " | ".join(
                      f"{c['since']}: {c['since_keeps']:.1%} of articles" for _, c in columns) + " |",
                  "| articles with an earlier version | " + " | ".join(f"{c['edited']:,}" for _, c in columns) + " |",
                  *(["| a fixed CPU check before / after the queries | " + " | ".join(
                      " / ".join(f"{v} ms" for v in c["cpu_check_ms"]) for _, c in columns) + " |"]
                    if all("cpu_check_ms" in c for _, c in columns) else []),
                  ""]
        for name, c in columns:
            slow = [k for k, v in c["classes"].items() if v["p95_ms limit 20"] > TARGET_MS]
            inexact = [f"{k} ({v['overlap limit 20']:.2f})" for k, v in c["classes"].items()
                       if v["overlap limit 20"] < 1 or v["same order limit 20"] < 1]
            lines.append(f"- {name}: p95 above {TARGET_MS} ms at --limit 20: {', '.join(slow) or 'none'}; top 20 "
                         f"not exactly bm25's (overlap): {', '.join(inexact) or 'none'}.")
        samples = "; ".join(f"{name}: {', '.join(q for q in c['sample'][:2])}"
                            for name, c in columns[0][1]["classes"].items())
        lines += ["", f"Sample queries ({columns[0][0]}): {samples}. Rare: the rarest words found in 3 articles or "
                  "more; mid: in 1–5 % of articles; common: the most frequent words; two words and a phrase (two "
                  "adjacent words) from one article's text; the same common words with `--since`. A query is timed "
                  "with a new Searcher each time, as `arshif search` makes one, on a warm page cache. The exact "
                  "ranking is computed over every match: the articles holding the query as typed first, then FTS5's "
                  "own bm25 with the product's column weights, newer first on equal scores, then the higher id. "
                  "`python -m bench.search_real --scale 1m` measures the same at 1,000,000 articles (a separate run, "
                  "not part of `make bench`).", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="100k")
    parser.add_argument("--articles", type=int, help="any size instead of --scale")
    parser.add_argument("--corpus", choices=("both", "real", "template"), default="both")
    parser.add_argument("--per-class", type=int, default=PER_CLASS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the archives in this directory and leave them there")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.articles or SCALES[args.scale], args.per_class, args.repeat, args.corpus, args.keep)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print(markdown(result))
    if "absent" in (result.get("real") or {}):
        print(f"bench.search_real: {result['real']['absent']}", file=sys.stderr)


if __name__ == "__main__":
    main()
