"""What page requisites cost a WACZ export: the demo replica (`make demo`'s: 300 articles, WordPress theme) crawled
three times (a first crawl, then `--refresh` twice: the second and third captures of every article are 304
revisits, and of its requisites too), then each article exported alone with and without requisites.

Run: .venv/bin/python -m bench.wacz_sizes [--articles N]

Prints the largest and the median ratio (with / without), and the sizes; issue 20 bounds the ratio at 1.3.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive.export import wacz
from archive.store.database import Store
from bench.crawl_vs_wget import ROOT, free_port, start_replica


def measure(articles: int = 300) -> dict:
    port, cdn = free_port(), free_port()
    server = start_replica(articles, 0, port, cdn)
    try:
        with tempfile.TemporaryDirectory(prefix="arshif-wacz-sizes-") as tmp:
            data = Path(tmp) / "data"
            started = time.monotonic()
            for extra in ((), ("--refresh",), ("--refresh",)):
                subprocess.run([sys.executable, "-m", "archive", "--data", str(data), "crawl", "--site",
                                f"http://127.0.0.1:{port}/", *extra], cwd=ROOT, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            crawled = time.monotonic() - started
            ratios, sizes = [], []
            with sqlite3.connect(data / "archive.db") as conn:
                ids = [row[0] for row in conn.execute("SELECT id FROM articles ORDER BY id")]
            with Store.open_for_reading(data) as store:
                started = time.monotonic()
                for number in ids:
                    pair = []
                    for requisites in (True, False):
                        out = Path(tmp) / f"{number}-{requisites}.wacz"
                        wacz.write(data, store, [number], out, requisites=requisites)
                        pair.append(out.stat().st_size)
                        out.unlink()
                    ratios.append(pair[0] / pair[1])
                    sizes.append(pair)
                exported = time.monotonic() - started
                out = Path(tmp) / "all.wacz"
                wacz.write(data, store, ids, out)
                whole = out.stat().st_size
                wacz.write(data, store, ids, out, requisites=False)
                whole_without = out.stat().st_size
    finally:
        server.terminate()
        server.wait()
    return {"articles": len(ratios), "max": max(ratios), "median": statistics.median(ratios),
            "median_with_kb": statistics.median(s[0] for s in sizes) / 1000,
            "median_without_kb": statistics.median(s[1] for s in sizes) / 1000,
            "whole_mb": whole / 1e6, "whole_without_mb": whole_without / 1e6,
            "crawl_seconds": crawled, "export_seconds": exported / max(len(ids), 1) / 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    r = measure(parser.parse_args().articles)
    print(f"{r['articles']} articles, 3 crawls: each article's WACZ with requisites / without: max {r['max']:.3f}, "
          f"median {r['median']:.3f} ({r['median_with_kb']:.1f} kB / {r['median_without_kb']:.1f} kB); all articles "
          f"in one WACZ: {r['whole_mb']:.2f} MB / {r['whole_without_mb']:.2f} MB; crawls {r['crawl_seconds']:.0f} s, "
          f"{r['export_seconds'] * 1000:.0f} ms per one-article export")


if __name__ == "__main__":
    main()
