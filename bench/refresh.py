"""`crawl --refresh` of an unchanged replica against its first crawl, side by side (issue 28, Deliver 5): requests
per second of each, with the throttle as it is (a 304 is a fast answer) and with Scrapy's AutoThrottle rule
(ARSHIF_THROTTLE_SMALL_ANSWERS=False: only a 200 lowers the delay, so a run of 304s stays at the start delay).

One replica (edition 1, no latency, the settings a user has: AutoThrottle on) serves all three crawls into one
archive: the first crawl, then `--refresh` with each rule. The rule of old, at about two requests a second, would
take a quarter of an hour on 2,000 articles: it is stopped after `old_seconds` (CLOSESPIDER_TIMEOUT), its rate is
that of the requests it made until then. Requests are the replica's log lines with arshif's User-Agent.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bench.crawl_vs_wget import free_port, run_measured
from bench.incremental import _cost, _lines, _replica


def run(articles: int = 2000, old_seconds: int = 90) -> dict:
    with tempfile.TemporaryDirectory(prefix="arshif-bench-refresh-") as tmp:
        work = Path(tmp)
        port, cdn = free_port(), free_port()
        log, manifest = work / "requests.jsonl", work / "manifest.json"
        site = f"http://127.0.0.1:{port}/"
        crawl = [sys.executable, "-m", "archive", "--data", str(work / "data"), "crawl", "--site", site]
        runs = (("first", []), ("refresh", ["--refresh"]),
                ("refresh_old_throttle", ["--refresh", "--set", "ARSHIF_THROTTLE_SMALL_ANSWERS=False",
                                          "--set", f"CLOSESPIDER_TIMEOUT={old_seconds}"]))
        out: dict = {"articles": articles, "old_seconds": old_seconds}
        server = _replica(articles, 1, port, cdn, log, manifest)
        try:
            for name, extra in runs:
                start = len(_lines(log)) if log.exists() else 0
                measured = run_measured(crawl + extra)
                cost = _cost(_lines(log)[start:], "arshif/")
                out[name] = {**measured, **cost, "per_s": cost["requests"] / measured["wall_s"]}
        finally:
            server.terminate()
            server.wait()
    out["ratio"] = out["refresh"]["per_s"] / out["first"]["per_s"]
    out["ratio_old_throttle"] = out["refresh_old_throttle"]["per_s"] / out["first"]["per_s"]
    return out


def markdown(result: dict) -> str:
    first, new, old = result["first"], result["refresh"], result["refresh_old_throttle"]
    lines = [f"### `crawl --refresh` of an unchanged site ({result['articles']:,}-article replica)", "",
             "Three crawls of one replica into one archive, AutoThrottle on as a user has it: the first crawl, then "
             "`--refresh` (every article asked for again, conditionally) with the throttle of issue 28 (a 304, a "
             "redirect or a 404 is a fast answer) and with Scrapy's rule (only a 200 lowers the delay; stopped after "
             f"{result['old_seconds']} s, its rate is that of its requests until then). The issue's bar: the refresh "
             "at least half the first crawl's rate.", "",
             "| crawl | requests | 304 answers | wall s | requests/s | of the first crawl's rate |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, r in (("first crawl", first), ("`--refresh`, this throttle", new),
                     ("`--refresh`, Scrapy's AutoThrottle rule", old)):
        lines.append(f"| {label} | {r['requests']:,} | {r['not_modified']:,} | {r['wall_s']:.1f} | {r['per_s']:.1f} | "
                     f"{r['per_s'] / first['per_s']:.2f}× |")
    lines += ["", "The concurrency limits are the same in all three (CONCURRENT_REQUESTS_PER_DOMAIN, "
              "AUTOTHROTTLE_TARGET_CONCURRENCY); 5xx and 429 still only raise the delay, and a robots.txt "
              "`Crawl-delay` is each host's least delay (crawler/extensions/throttle.py).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    result = run(size, int(sys.argv[2]) if len(sys.argv) > 2 else 90)
    print(json.dumps(result, indent=1))
    print(markdown(result))
