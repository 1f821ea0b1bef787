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

from bench import crawl_vs_wget, extraction, incremental, search

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
    """`--quick`: small sizes; `--render`: the page again from the saved numbers; `--only a,b`: run only these
    parts (crawl, replica, incremental, extraction, search) and keep the saved numbers of the others."""
    quick = "--quick" in sys.argv
    articles = 300 if quick else 2000
    out = ROOT / "docs" / "BENCHMARKS.md"
    out.parent.mkdir(exist_ok=True)
    saved_path = ROOT / "docs" / "benchmarks.json"
    saved = json.loads(saved_path.read_text()) if saved_path.exists() else {}
    only = None
    if "--only" in sys.argv:
        only = set(sys.argv[sys.argv.index("--only") + 1].split(","))
    if "--render" in sys.argv:
        only = set()

    def wanted(part: str) -> bool:
        return (only is None or part in only) or part not in saved

    crawl = crawl_vs_wget.run(articles) if wanted("crawl") else saved["crawl"]
    if wanted("replica"):
        replica = subprocess.run([sys.executable, "-m", "bench.replica_throughput", "--articles", str(articles),
                                  "--big", "20000" if quick else "100000"], cwd=ROOT, capture_output=True,
                                 text=True, check=True)
        rep = json.loads(replica.stdout)
        rep["measured"] = machine()
    else:
        rep = saved["replica"]
    incremental_result = incremental.run(300 if quick else 2000) if wanted("incremental") \
        else saved.get("incremental")
    extracted = extraction.run(300 if quick else 1000) if wanted("extraction") else saved.get("extraction")
    searched = search.run(10_000 if quick else 100_000) if wanted("search") else saved.get("search")
    articles = crawl["articles"]
    text = [
        "# Benchmarks", "",
        f"Written by `make bench{'-quick' if quick else ''}` (`python -m bench.run{' --quick' if quick else ''}`). "
        "Every comparison is measured side by side in one run; machines are noisy, so read the ratios.", "",
        rep.get("measured") or machine(),
        crawl_vs_wget.markdown(crawl),
        crawl_vs_wget.per_article(crawl),
        "How to read it. arshif finds the articles in the sitemaps and fetches each canonical URL once, plus each "
        "article's lead image on the second origin; `wget --mirror` follows every link, so it fetches every "
        "listing, tag and archive page and the `?m=1`, `utm_*` and `fbclid` variants of each article as separate "
        "pages, and no image from the second origin (no `-H`). Both end with all 2,000 articles. With 50 ms of "
        "latency, the server's pace, arshif's concurrency finishes the archive several times sooner. With no "
        "latency at all, wget — sequential C, a few ms of CPU a page — is faster: arshif spends about 14 ms of CPU "
        "a page (Scrapy and Twisted, lxml parsing for discovery and article detection, a WARC record pair with "
        "two digests, SQLite rows). **arshif is behind wget on CPU per page**; the benchmarks issue profiles and "
        "reduces that cost.", "",
        incremental.markdown(incremental_result) if incremental_result else "",
        extraction.markdown(extracted) if extracted else "",
        search.markdown(searched) if searched else "",
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
    if "--render" not in sys.argv:
        saved_path.write_text(json.dumps({"crawl": crawl, "replica": rep, "extraction": extracted,
                                          "search": searched, "incremental": incremental_result},
                                         ensure_ascii=False, indent=1))
    print(out.read_text())


if __name__ == "__main__":
    main()
