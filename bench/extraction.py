"""Extraction + storage of articles against bare `trafilatura.extract`, on the same pages, in the same run:
arshif on one core, arshif with extraction on both cores (storage stays in one process: SQLite has one writer).

Run: .venv/bin/python -m bench.extraction [articles]
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

from archive.pages.extraction import extract
from archive.store.database import Store
from replica.server import ReplicaApp, ReplicaConfig


def pages(articles: int) -> list[tuple[str, bytes, dict]]:
    app = ReplicaApp(ReplicaConfig(articles=articles), "http://127.0.0.1:9", "http://127.0.0.1:10")
    out = []
    for i in app.site.live:
        if i == app.site.large_id:
            continue
        reply = app.site_reply(app.urls.article(i), {})
        out.append(("http://127.0.0.1:9" + app.urls.article(i), reply.body, {"Content-Type": reply.content_type}))
    return out


def _extract(page):
    url, body, headers = page
    return extract(body, url, headers).as_dict()


def _store(articles: list[dict], path: Path) -> None:
    store = Store(path)
    batch = [(a, {"record_id": f"<urn:uuid:{n}>", "timestamp": "20250101000000"}) for n, a in enumerate(articles)]
    for start in range(0, len(batch), 200):
        store.store_articles(batch[start:start + 200])
    store.close()


def run(articles: int = 1000) -> dict:
    data = pages(articles)
    result = {"pages": len(data)}
    started = time.perf_counter()
    for _, body, _ in data:
        trafilatura.extract(body.decode("utf-8", "replace"), include_comments=False, favor_precision=True)
    result["trafilatura_per_s"] = len(data) / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        extracted = [_extract(page) for page in data]
        _store(extracted, Path(tmp) / "one.db")
        result["arshif_one_core_per_s"] = len(data) / (time.perf_counter() - started)
        started = time.perf_counter()
        with multiprocessing.Pool(2) as pool:
            extracted = pool.map(_extract, data, chunksize=20)
        _store(extracted, Path(tmp) / "two.db")
        result["arshif_two_cores_per_s"] = len(data) / (time.perf_counter() - started)
    return result


def markdown(result: dict) -> str:
    t = result["trafilatura_per_s"]
    return (f"### Extraction: arshif (extraction + metadata + storage) vs bare `trafilatura.extract` "
            f"({result['pages']:,} article pages)\n\n"
            "| what | articles/s | ratio to bare trafilatura |\n|---|---:|---:|\n"
            f"| bare `trafilatura.extract` (body only, one core) | {t:.0f} | 1.00× |\n"
            f"| arshif, one core | {result['arshif_one_core_per_s']:.0f} | "
            f"{result['arshif_one_core_per_s'] / t:.2f}× |\n"
            f"| arshif, extraction on both cores | {result['arshif_two_cores_per_s']:.0f} | "
            f"{result['arshif_two_cores_per_s'] / t:.2f}× |\n\n"
            "arshif does more than trafilatura here: it parses the page once more for its own metadata (title, "
            "author, dates incl. Arabic datelines, section, tags, image), detects the language, and writes articles "
            "and versions to SQLite.\n")


if __name__ == "__main__":
    import json

    out = run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
    print(json.dumps(out, indent=1))
    print(markdown(out))
