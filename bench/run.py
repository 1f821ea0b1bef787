"""`make bench`: run every benchmark in bench/ and write docs/BENCHMARKS.md (machine, versions, command, results).

Comparisons are measured side by side in one run, since machines are noisy; read the ratios first.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import crawl_vs_wget

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    wget = subprocess.run(["wget", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    import scrapy
    import warcio  # noqa: F401

    from archive import __version__

    return (f"- machine: {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.platform()}\n"
            f"- Python {platform.python_version()}, Scrapy {scrapy.__version__}, arshif {__version__}, {wget}\n"
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")


def main() -> None:
    quick = "--quick" in sys.argv
    articles = 300 if quick else 2000
    out = ROOT / "docs" / "BENCHMARKS.md"
    out.parent.mkdir(exist_ok=True)
    crawl = crawl_vs_wget.run(articles)
    replica = subprocess.run([sys.executable, "-m", "bench.replica_throughput", "--articles", str(articles),
                              "--big", "20000" if quick else "100000"], cwd=ROOT, capture_output=True, text=True,
                             check=True)
    rep = json.loads(replica.stdout)
    text = [
        "# Benchmarks", "",
        f"Written by `make bench{'-quick' if quick else ''}` (`python -m bench.run{' --quick' if quick else ''}`). "
        "Every comparison is measured side by side in one run; machines are noisy, so read the ratios.", "",
        machine(),
        crawl_vs_wget.markdown(crawl),
        "arshif discovers articles from the sitemaps and fetches each canonical URL once; `wget --mirror` follows "
        "every link, so it also fetches every listing, tag and archive page and the `?m=1`, `utm_*` and `fbclid` "
        "variants of article URLs (more pages for the same articles). wget does not fetch the images on the "
        "second origin (no `-H`); neither does arshif yet (assets arrive with the discovery issue). wget is a "
        "sequential C program: per page it costs a few ms of CPU, Scrapy (Python, Twisted, WARC records written "
        "and indexed in SQLite) several times more; with latency, arshif's concurrency wins.", "",
        "### The replica itself", "",
        "| what | result |", "|---|---|",
        f"| start-up at {rep['startup']['articles']:,} articles | URL printed after "
        f"{rep['startup']['url_printed_s']} s, first answer {rep['startup']['first_answer_s']} s, "
        f"{rep['startup']['rss_mb']} MB RSS |",
        f"| on demand, {articles:,} articles | {rep['on_demand']['pages_per_s']} pages/s |",
        (f"| `--export` behind nginx | {rep['nginx_export']['pages_per_s']} pages/s (the Python client is the limit) |"
         if rep.get("nginx_export") else "| `--export` behind nginx | not run (nginx missing) |"),
        "",
    ]
    out.write_text("\n".join(text) + "\n", encoding="utf-8")
    (ROOT / "docs" / "benchmarks.json").write_text(json.dumps({"crawl": crawl, "replica": rep}, indent=1))
    print(out.read_text())


if __name__ == "__main__":
    main()
