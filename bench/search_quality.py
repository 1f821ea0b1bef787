"""Search precision and recall on real Arabic news text, labelled by the same rule as the labelled set of `make test`
(tests/search/test_precision.py: the rule is written there, in plain string code, and never asks the product).

A seeded sample of the ANT corpus (bench/corpus.py; read where `fetch` put it, never copied) is stored through the
product's Store; each query of the labelled set (tests/search/precision_articles.py) runs through the product's
search with no limit, and every article is labelled by the rule. Precision and recall are counted over
(query, article) pairs (micro) and per query, averaged (macro; a query that returns nothing counts for recall
only, one the rule finds nowhere for precision only).

Run: .venv/bin/python -m bench.search_quality [--articles N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from archive.store.database import Store
from bench import corpus
from tests.search.precision_articles import QUERIES
from tests.search.test_precision import matches, terms

ARTICLES = 2000


def run(articles: int = ARTICLES, where: str | Path | None = None) -> dict:
    try:
        records = corpus.sample(articles, where=where)
    except corpus.CorpusMissing as e:
        return {"absent": str(e)}
    texts = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "archive.db")
        items = []
        for n, r in enumerate(records):
            url = f"https://real.test/{n}"
            body = "\n\n".join(r.paragraphs)
            texts[url] = (r.title, body)
            items.append(({"url": url, "title": r.title, "body": body, "author": r.author or None,
                           "published": r.date.isoformat(), "modified": None, "section": r.section, "tags": [],
                           "image": None, "lang": "ar", "word_count": len(body.split()), "extractor": "bench"},
                          {"record_id": f"<urn:uuid:real-{n}>", "timestamp": "20180101000000"}))
        store.store_articles(items)
        searcher = store.searcher()
        started = time.perf_counter()
        tp = returned = expected = 0
        per_query = []
        for query in QUERIES:
            got = {h.url for h in searcher.search(query, limit=len(records) + 1)}
            wanted = {url for url, (title, body) in texts.items() if all(matches(t, title, body) for t in terms(query))}
            hits = len(got & wanted)
            tp, returned, expected = tp + hits, returned + len(got), expected + len(wanted)
            per_query.append({"query": query, "returned": len(got), "expected": len(wanted), "right": hits,
                              "precision": round(hits / len(got), 3) if got else None,
                              "recall": round(hits / len(wanted), 3) if wanted else None})
        store.close()
    answered = [q["precision"] for q in per_query if q["precision"] is not None]
    found = [q["recall"] for q in per_query if q["recall"] is not None]
    return {"articles": len(records), "queries": len(QUERIES), "pairs": expected, "seconds": round(
        time.perf_counter() - started, 1), "precision": round(tp / max(returned, 1), 3),
        "recall": round(tp / max(expected, 1), 3), "macro_precision": round(sum(answered) / len(answered), 3),
        "macro_recall": round(sum(found) / len(found), 3),
        "worst": sorted((q for q in per_query if (q["precision"] or 1) < 1 or (q["recall"] or 1) < 1),
                        key=lambda q: min(q["precision"] or 1, q["recall"] or 1))[:8]}


def markdown(r: dict) -> str:
    lines = ["### Search quality on real text, labelled by rule", ""]
    if "absent" in r:
        return "\n".join(lines + [f"Not measured: the corpus is missing ({r['absent']}).", ""]) + "\n"
    lines += [f"The {r['queries']} queries of the labelled set in `make test` (tests/search/precision_articles.py), "
              f"over {r['articles']:,} real articles of the ANT corpus (a seeded sample), each labelled by the rule "
              "of tests/search/test_precision.py (it never asks the product); every hit counted, no limit.", "",
              "| | micro (query × article pairs) | macro (per query) |", "|---|---|---|",
              f"| precision | **{r['precision']:.3f}** | {r['macro_precision']:.3f} |",
              f"| recall | **{r['recall']:.3f}** | {r['macro_recall']:.3f} |",
              f"| pairs the rule expects | {r['pairs']:,} | |", ""]
    if r["worst"]:
        lines += ["Queries that differ from the rule (returned / expected / right): " + "; ".join(
            f"{q['query']} {q['returned']}/{q['expected']}/{q['right']}" for q in r["worst"]) + ".", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=ARTICLES)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.articles)
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else markdown(result))
    if "absent" in result:
        print(f"bench.search_quality: {result['absent']}", file=sys.stderr)


if __name__ == "__main__":
    main()
