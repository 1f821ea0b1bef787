"""Drill 2: one crawl of a large site where a fifth of the articles misbehave (`--faults 0.2`: a 500 once, a 2 s
stall, a body cut short once, a wrong charset), with the default retry settings an operator would run.

docs/operating.md, Faults, and docs/archiving.md, WARC records: every answer is archived as what it was (a 500
then a 200 leave two records), a body shorter than its Content-Length is never stored, and the crawl still ends
with every article and exit 0. The WARC files are read with warcio as well as through the database, so the two
must agree.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from pathlib import Path

from bench.drills.common import DrillResult, Replica, arshif, article_path, check_archive_whole, sample, seconds


def run(work: Path, quick: bool, seed: int) -> DrillResult:
    articles = 200 if quick else 2000
    result = DrillResult("faults", f"server faults (--faults 0.2) on a {articles:,}-article site")
    data = work / "data"
    with Replica(work / "replica", articles, faults=0.2) as replica:
        manifest = replica.manifest()
        faulty = Counter(a["fault"] for a in manifest["articles"] if a["fault"])
        result.done.append(f"replica with {articles:,} articles and `--faults 0.2`: "
                           + ", ".join(f"{n} {kind}" for kind, n in sorted(faulty.items())))
        result.done.append(f"one `arshif --data DIR crawl --site {replica.url}/` with the default settings "
                           "(3 retries, back-off from 1 s)")
        started = time.monotonic()
        crawl = arshif(data, "crawl", "--site", replica.url + "/")
        elapsed = time.monotonic() - started
        lines = replica.log.read()
    result.number("crawl", f"exit {crawl.returncode} in {seconds(elapsed)}")
    result.check("the crawl exits 0", crawl.returncode == 0, crawl.stderr[-800:])
    _stats(result, data, lines)
    scan = check_archive_whole(result, data, manifest)
    conn = sqlite3.connect(data / "archive.db")
    try:
        _per_fault(result, conn, manifest, scan)
    finally:
        conn.close()
    return result


def _stats(result: DrillResult, data: Path, lines: list[dict]) -> None:
    conn = sqlite3.connect(data / "archive.db")
    try:
        row = conn.execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    stats = json.loads(row[0]) if row and row[0] else {}
    prefix = "retry/reason_count/"
    reasons = {k.removeprefix(prefix): v for k, v in stats.items() if k.startswith(prefix)}
    result.number("retries (Scrapy's `retry/count`)", f"{stats.get('retry/count', 0)}"
                  + (f" — {', '.join(f'{r}: {n}' for r, n in sorted(reasons.items()))}" if reasons else ""))
    result.number("requests that exhausted their retries (`retry/max_reached`)", stats.get("retry/max_reached", 0))
    by_fault = Counter(r["fault"] for r in lines if r.get("fault"))
    result.number("faulty answers the replica sent", ", ".join(f"{k}: {n}" for k, n in sorted(by_fault.items())))
    result.number("requests served", f"{len(lines):,} ({sum(r['kind'] == 'article' for r in lines):,} for articles)")


def _per_fault(result: DrillResult, conn: sqlite3.Connection, manifest: dict, scan) -> None:
    def responses(url: str) -> list[int]:
        return [r[0] for r in conn.execute("SELECT status FROM captures WHERE canonical = ? AND "
                                           "record_type = 'response' ORDER BY id", [url])]

    of = {kind: [a for a in manifest["articles"] if a["fault"] == kind]
          for kind in ("500-once", "truncate-once", "wrong-charset", "stall")}
    bad = [a["url"] for a in of["500-once"] if responses(a["url"]) != [500, 200]
           or scan.statuses[article_path(a["url"])] != [500, 200]]
    result.check(f"the {len(of['500-once'])} \"500-once\" articles have exactly [500, 200] responses (database and "
                 "WARC files)", of["500-once"] and not bad, sample(bad))
    bad = [a["url"] for a in of["truncate-once"] if responses(a["url"]) != [200]
           or scan.statuses[article_path(a["url"])] != [200]]
    result.check(f"the {len(of['truncate-once'])} \"truncate-once\" articles have exactly one response stored, "
                 "the 200 (the cut-short body never)", of["truncate-once"] and not bad, sample(bad))
    titles = dict(conn.execute("SELECT canonical, title FROM articles"))
    bad = [a["url"] for a in of["wrong-charset"] if titles.get(a["url"]) != a["title"]]
    result.check(f"the {len(of['wrong-charset'])} \"wrong-charset\" articles have their titles right",
                 not bad, sample(bad))
