"""`make bench`: run every benchmark in bench/ and write docs/BENCHMARKS.md (machine, versions, command, results).

Comparisons are measured side by side in one run, since machines are noisy; read the ratios first.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import charts as charts_module
from bench import (
    cpu_per_article,
    crawl_vs_wget,
    extraction,
    hardware,
    hostile,
    incremental,
    memory,
    pelican,
    pelican_real,
    real_pages,
    refresh,
    revisit_sim,
    search,
    search_quality,
    search_real,
)

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu, mem = hardware()
    wget = subprocess.run(["wget", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    import scrapy
    import warcio  # noqa: F401

    from archive import __version__

    return (f"- machine: {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.platform()}\n"
            f"- Python {platform.python_version()}, Scrapy {scrapy.__version__}, arshif {__version__}, {wget}\n"
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")


# Sizes per part. Quick sizes keep `make bench-quick` near two minutes on 2 cores: each arshif crawl has a fixed
# cost of a few seconds (start-up, opening the archive, closing its files), and wget at 50 ms latency fetches ~8
# pages per article one after another.
FULL = {"crawl": 2000, "crawl_cpu": 2000, "replica": 2000, "replica_big": 100_000, "incremental": 2000,
        "extraction": 1000, "search": 100_000, "search_repeat": 5, "search_real": 100_000, "search_quality": 2000,
        "memory": 20_000,
        "real_pages": None,  # real_pages: every page
        "revisit_sim": "grid", "hostile": 120,
        "refresh": 2000,  # revisit_sim: the whole grid of policies over both simulated sites
        "pelican_real": 2000, "pelican": "baseline"}
QUICK = {"crawl": 20, "crawl_cpu": 20, "replica": 60, "replica_big": 5000, "incremental": 30, "extraction": 60,
         "search": 1000, "search_repeat": 3, "search_real": 2000, "search_quality": 300,
         "memory": 100,  # memory: only when the crawl part is not run too
         "real_pages": 30, "revisit_sim": "quick", "hostile": 120, "refresh": 60, "pelican_real": 200, "pelican": None}
PARTS = ("crawl", "crawl_cpu", "replica", "incremental", "extraction", "search", "search_real", "search_quality",
         "memory", "real_pages", "revisit_sim", "hostile", "refresh", "pelican_real", "pelican")


def measure(part: str, sizes: dict, quick: bool, carry: dict) -> dict | None:
    """carry: what one part measured for another. A quick run samples memory in the crawl part's crawl with no
    latency, where a full run crawls 20,000 articles for it; and runs wget at 50 ms beside arshif, not after it."""
    if part == "crawl":
        crawl = crawl_vs_wget.run(sizes["crawl"], overlap=quick, sample_memory=quick)
        if "memory" in crawl:
            carry["memory"] = crawl.pop("memory")
        return crawl
    if part == "crawl_cpu":  # CPU per article against the baseline commit; the real WordPress in full runs
        return cpu_per_article.run(sizes["crawl_cpu"], rounds=1 if quick else 3, wordpress=not quick)
    if part == "replica":
        replica = subprocess.run([sys.executable, "-m", "bench.replica_throughput", "--articles",
                                  str(sizes["replica"]), "--big", str(sizes["replica_big"])], cwd=ROOT,
                                 capture_output=True, text=True, check=True)
        rep = json.loads(replica.stdout)
        rep["measured"] = machine()
        rep["articles"] = sizes["replica"]
        return rep
    if part == "incremental":
        return incremental.run(sizes["incremental"])
    if part == "extraction":
        return extraction.run(sizes["extraction"])
    if part == "search":
        return search.run(sizes["search"], sizes["search_repeat"], store_slice=min(5000, sizes["search"] // 2))
    if part == "search_real":  # real text beside the template corpus (issue 29); says so when the corpus is missing
        return search_real.run(sizes["search_real"], per_class=10 if quick else search_real.PER_CLASS,
                               repeat=1 if quick else 3)
    if part == "search_quality":  # precision and recall on real text by the labelled set's rule (issue 29)
        return search_quality.run(sizes["search_quality"])
    if part == "memory":
        return carry.pop("memory", None) or memory.run(sizes["memory"])
    if part == "real_pages":  # {"absent": why} when no set of real pages is on this machine
        return real_pages.run(sizes["real_pages"])
    if part == "revisit_sim":  # a simulation: no site, no network; one process a core
        return revisit_sim.run(quick=sizes["revisit_sim"] == "quick", full=False)
    if part == "hostile":  # issue 27's site; the commit before that issue beside this tree in full runs
        return hostile.measure(None if quick else hostile.BASELINE, timeout=sizes["hostile"])
    if part == "refresh":  # --refresh of an unchanged replica beside its first crawl, both throttle rules (issue 28)
        return refresh.run(sizes["refresh"], old_seconds=20 if quick else 90)
    if part == "pelican":  # tests/pelican/'s site, three runs; the commit before issue 28 beside it in full runs
        return pelican.run(pelican.BASELINE if sizes["pelican"] else None)
    if part == "pelican_real":  # real Arabic news on Pelican, crawled once (issue 28); skipped without the corpus
        return pelican_real.measure(sizes["pelican_real"])
    raise ValueError(part)


def crawl_reading(crawl: dict, extraction: dict | None = None) -> str:
    fast = crawl.get("latency_0") or {}
    cpu = f"about {fast['arshif']['cpu_ms_per_page']:.0f} ms" if fast else "more"
    why = ""
    if fast and extraction and extraction.get("arshif_one_core_per_s"):
        per_article = fast["arshif"]["cpu_s"] * 1000 / crawl["articles"]
        extracting = 1000 / extraction["arshif_one_core_per_s"]
        wget_article = fast["wget"]["cpu_s"] * 1000 / crawl["articles"]
        wget_pages = fast["wget"]["pages"] / crawl["articles"]
        why = (f" Per article, arshif spends about {per_article:.0f} ms of CPU, of which about {extracting:.0f} ms "
               "is extracting the article and storing it (text, metadata, language, versions, the search index: "
               "the extraction benchmark below), work wget does not do at all; the other "
               f"~{per_article - extracting:.0f} ms are the crawl (fetching, discovery and article detection, WARC "
               "records with two digests, capture rows, Scrapy's own machinery), where wget spends "
               f"{wget_article:.0f} ms per article on its {wget_pages:.0f} pages.")
    return ("How to read it. arshif finds the articles in the sitemaps and fetches each canonical URL once, plus each "
            "article's lead image on the second origin; `wget --mirror` follows every link, so it fetches every "
            "listing, tag and archive page and the `?m=1`, `utm_*` and `fbclid` variants of each article as separate "
            f"pages, and no image from the second origin (no `-H`). Both end with all {crawl['articles']:,} articles. "
            "With 50 ms of latency, the server's pace, arshif's concurrency finishes the archive several times "
            "sooner. With no latency at all, wget — sequential C, a few ms of CPU a page — is faster: "
            f"**arshif is behind wget on CPU per page** ({cpu} a page).{why} What was ours to fix was fixed: pages "
            "were parsed three times and analysed twice on the way to extraction (now once), and a page with "
            "thousands of reader comments took seconds to extract (they are now dropped first).")


def replica_table(rep: dict, articles: int | None) -> list[str]:
    n = rep.get("articles") or articles  # results saved before the replica part kept its own size
    size = f"{n:,} articles" if n else f"{rep['on_demand']['pages']:,} pages"
    return ["### The replica itself", "",
            "| what | result |", "|---|---|",
            f"| start-up at {rep['startup']['articles']:,} articles | URL printed after "
            f"{rep['startup']['url_printed_s']} s, first answer {rep['startup']['first_answer_s']} s, "
            f"{rep['startup']['rss_mb']} MB RSS |",
            f"| on demand, {size} | {rep['on_demand']['pages_per_s']} pages/s |",
            (f"| `--export` behind nginx | {rep['nginx_export']['pages_per_s']} pages/s (the Python client is the "
             "limit) |" if rep.get("nginx_export") else "| `--export` behind nginx | not run (nginx missing) |"),
            ""]


def page(results: dict, charts: dict[str, str], quick: bool) -> str:
    """The Markdown page: every part whose results exist, each chart after its part's table."""
    def chart(part: str, alt: str) -> list[str]:
        return [f"![{alt}]({charts[part]})", ""] if part in charts else []

    crawl, rep = results.get("crawl"), results.get("replica")
    timings = results.get("timings") or {}
    text = [
        "# Benchmarks", "",
        f"Written by `make bench{'-quick' if quick else ''}` (`python -m bench.run{' --quick' if quick else ''}`). "
        "Every comparison is measured side by side in one run; machines are noisy, so read the ratios.", "",
        (rep or {}).get("measured") or machine(),
    ]
    if quick:
        text += ["**Quick sizes**: a check that every benchmark runs, not numbers to quote (each arshif crawl has "
                 "seconds of fixed cost that a small site does not amortise); docs/BENCHMARKS.md has the full "
                 "run's. To save time, wget at 50 ms latency runs beside arshif rather than after it, and memory is "
                 "sampled in the crawl part's arshif crawl with no latency."
                 + (" Time per part at these sizes, as last measured: "
                    + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
                    + f"; {sum(timings.values()):.0f} s in all." if timings else ""), ""]
    if crawl:
        text += [crawl_vs_wget.markdown(crawl), crawl_vs_wget.per_article(crawl),
                 crawl_reading(crawl, results.get("extraction")), "",
                 *chart("crawl", "Crawl: pages/s and CPU ms per page, arshif vs wget --mirror")]
    if results.get("crawl_cpu"):
        text.append(cpu_per_article.markdown(results["crawl_cpu"]))
    if results.get("memory"):
        text += [memory.markdown(results["memory"]), *chart("memory", "Memory: RSS against pages crawled")]
    if results.get("incremental"):
        text += [incremental.markdown(results["incremental"]),
                 *chart("incremental", "Re-crawl: requests and kB per new or edited article, arshif vs wget -N")]
    if results.get("refresh"):
        text.append(refresh.markdown(results["refresh"]))
    if results.get("revisit_sim"):
        text.append(revisit_sim.markdown(results["revisit_sim"]))
    if results.get("extraction"):
        text.append(extraction.markdown(results["extraction"]))
    if results.get("real_pages"):
        text.append(real_pages.markdown(results["real_pages"]))
    if results.get("search"):
        text += [search.markdown(results["search"]),
                 *chart("search", "Search latency per query class, arshif vs LIKE, log scale")]
    if results.get("search_real"):
        text.append(search_real.markdown(results["search_real"]))
    if results.get("search_quality"):
        text.append(search_quality.markdown(results["search_quality"]))
    if results.get("hostile"):
        text.append(hostile.markdown(results["hostile"]))
    if results.get("pelican"):
        text.append(pelican.markdown(results["pelican"]))
    if results.get("pelican_real"):
        text.append(pelican_real.markdown(results["pelican_real"]))
    if rep:
        text += replica_table(rep, (crawl or {}).get("articles"))
    return "\n".join(text) + "\n"


def dump(results: dict) -> str:
    """JSON with a list of numbers on one line (a memory sample: [seconds, MB, pages, HTML pages]), not a number a
    line: there are thousands of samples."""
    text = json.dumps(results, ensure_ascii=False, indent=1)
    return re.sub(r"\[\n\s+[-\d.e+]+(?:,\n\s+[-\d.e+]+)*\n\s+\]",
                  lambda m: "[" + ", ".join(n.strip(",") for n in m.group(0)[1:-1].split()) + "]", text)


def main() -> None:
    """`--quick`: small sizes, written to docs/BENCHMARKS-quick.md and docs/benchmarks-quick.json so that a check
    never overwrites the full run's numbers; `--render`: the page and charts again from the saved numbers;
    `--only a,b`: run only these parts (crawl, crawl_cpu, replica, incremental, extraction, search, search_real,
    search_quality, memory, real_pages, revisit_sim, hostile, refresh, pelican_real, pelican) and keep the saved
    numbers of the others."""
    quick = "--quick" in sys.argv
    sizes = QUICK if quick else FULL
    suffix = "-quick" if quick else ""
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    out = docs / f"BENCHMARKS{suffix}.md"
    saved_path = docs / f"benchmarks{suffix}.json"
    saved = json.loads(saved_path.read_text()) if saved_path.exists() else {}
    render_only = "--render" in sys.argv
    only = None
    if "--only" in sys.argv:
        only = set(sys.argv[sys.argv.index("--only") + 1].split(","))
        unknown = only - set(PARTS)
        if unknown:
            raise SystemExit(f"unknown part(s): {', '.join(sorted(unknown))}; parts: {', '.join(PARTS)}")

    results = {part: saved.get(part) for part in PARTS}
    timings = dict(saved.get("timings") or {})
    carry: dict = {}
    for part in PARTS:
        if render_only or not (only is None or part in only or not saved.get(part)):
            continue
        started = time.monotonic()
        print(f"bench: {part} …", file=sys.stderr, flush=True)
        results[part] = measure(part, sizes, quick, carry)
        timings[part] = round(time.monotonic() - started, 1)
        print(f"bench: {part} took {timings[part]:.0f} s", file=sys.stderr, flush=True)
        if not render_only:  # a long run interrupted keeps the parts it finished (`--only` runs the rest)
            saved_path.write_text(dump({**results, "timings": timings}))
    results["timings"] = timings
    charts = charts_module.render(results, docs, suffix)
    out.write_text(page(results, charts, quick), encoding="utf-8")
    if not render_only:
        saved_path.write_text(dump(results))
    print(out.read_text())
    if timings and not render_only:
        print(f"bench: {sum(timings.values()):.0f} s in all", file=sys.stderr)


if __name__ == "__main__":
    main()
