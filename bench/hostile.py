"""Issue 27's closing numbers: the hostile site of tests/hostile/site.py crawled twice, case by case.

The site and the two crawls run as tests/hostile/test_acceptance.py runs them (tests/hostile/namespace.py: inside
`unshare -n -m`, only loopback, under strace, the same shortened timeouts), once with this tree and, with
`--baseline COMMIT`, once with that commit checked out in a git worktree (the site is always this tree's). One table:
each case's requests, then per crawl its exit, seconds, peak RSS over the process tree, articles stored right and
wrong, and what `stats --json` says each limit cut and each rule refused. Not part of `make test`.

Run: .venv/bin/python -m bench.hostile [--baseline COMMIT] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.cpu_per_article import baseline_tree, drop_tree

ROOT = Path(__file__).resolve().parent.parent
FAST = ("--set", "AUTOTHROTTLE_ENABLED=False", "--set", "DOWNLOAD_TIMEOUT=3", "--set", "RETRY_TIMES=1",
        "--set", "ARSHIF_RETRY_BACKOFF_BASE=0.1")


PREFIXES = (("/sitemaps/", "child sitemaps"), ("/r/spin", "endless redirect"), ("/chain/", "30-hop chain"),
            ("/loop/", "redirect loops"), ("/page/", "infinite pagination"), ("/deep/", "ever-deeper paths"))


def case_of(path: str) -> str:
    """Which of the site's cases a request path belongs to."""
    from tests.hostile import site as hostile

    bare = path.split("?")[0]
    if "sid=" in path:
        return "session-id variants"
    named = {hostile.BOMB: "gzip bomb (article)", hostile.STYLE: "gzip bomb (stylesheet)", hostile.GIANT: "60 MB page",
             hostile.NESTED: "1,000,000 nested divs", hostile.HALF: "half Content-Length", hostile.HANG: "hang",
             hostile.DRIP: "drip", "/sitemap_index.xml": "sitemap index (100,000)"}
    if bare in named:
        return named[bare]
    if bare in hostile.SOFT_404S:
        return "soft-404s (listed)"
    for prefix, case in PREFIXES:
        if bare.startswith(prefix):
            return case
    if re.fullmatch(r"/\d{4}/\d{2}/", bare):
        return "infinite calendar"
    if bare in {a.path for a in hostile.real()}:
        return "real articles"
    if bare in ("/", "/robots.txt", "/sitemap.xml", "/feed/"):
        return "home, robots, sitemap, feed"
    return "other (soft-404 answers, probes)"


def articles(data: Path, base: str) -> tuple[int, int]:
    """(real articles stored with the right title and text, rows that are not one)."""
    from archive.core.urls import canonical
    from tests.hostile import site as hostile

    expected = {canonical(base + a.path): (a.title, a.text) for a in hostile.real()}
    try:
        with sqlite3.connect(data / "archive.db") as conn:
            rows = conn.execute("SELECT canonical, title, body FROM articles").fetchall()
    except sqlite3.Error:
        return 0, 0
    right = sum(expected.get(c) == (t, b) for c, t, b in rows)
    return right, len(rows) - right


def stats(tree: Path, data: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "archive", "--data", str(data), "stats", "--json"], cwd=tree,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tree)})
    try:
        return sorted(json.loads(done.stdout).get("crawls", []), key=lambda c: c["id"])
    except ValueError:
        return []


def run(tree: Path, timeout: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    env = {**os.environ, "ARSHIF_HOSTILE_TREE": str(tree), "ARSHIF_HOSTILE_TIMEOUT": str(timeout),
           "ARSHIF_TEST_BOMB_CACHE": str(Path(tempfile.gettempdir()) / "arshif-hostile-bomb")}
    done = subprocess.run(["unshare", "-n", "-m", sys.executable, str(ROOT / "tests/hostile/namespace.py"),
                           str(work), *FAST], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the namespace could not be made or used: {done.stderr[-2000:]}")
    result = json.loads((work / "result.json").read_text())
    right, wrong = articles(work / "data", result["url"])
    result["right"], result["wrong"] = right, wrong
    result["stats"] = stats(tree, work / "data")
    result["work"] = str(work)
    return result


def column(result: dict) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, crawl in enumerate(result["crawls"], 1):
        for case, count in sorted(Counter(case_of(p) for p in crawl["paths"]).items()):
            out[f"crawl {n} requests: {case}"] = str(count)
        out[f"crawl {n} requests: total"] = str(len(crawl["paths"]))
        out[f"crawl {n} exit"] = str(crawl["returncode"]) + (" (stopped at timeout)" if crawl.get(
            "stopped_at_timeout") else "") + (" traceback" if "Traceback" in crawl["stderr"] else "")
        out[f"crawl {n} seconds"] = f"{crawl['seconds']:.1f}"
        out[f"crawl {n} peak RSS MiB (tree / largest)"] = \
            f"{crawl['peak_rss_tree'] >> 20} / {crawl['peak_rss_rusage'] >> 20}"
    out["articles right / wrong rows (after crawl 2)"] = f"{result['right']} / {result['wrong']}"
    for n, crawl in enumerate(result["stats"][-2:], 1):
        for part in ("cut", "refused"):
            for name, value in (crawl.get(part) or {}).items():
                if value:
                    out[f"crawl {n} {part}: {name}"] = str(value)
    return out


def table(columns: dict[str, dict[str, str]]) -> str:
    keys = list(dict.fromkeys(k for col in columns.values() for k in col))
    width = max(len(k) for k in keys)
    lines = [f"{'':{width}}  " + "  ".join(f"{name:>22}" for name in columns)]
    for key in keys:
        lines.append(f"{key:{width}}  " + "  ".join(f"{col.get(key, '-'):>22}" for col in columns.values()))
    return "\n".join(lines)


BASELINE = "0bf40ec"  # main before issue 27's first commit


def measure(baseline: str | None = BASELINE, timeout: float = 120) -> dict:
    """Each case's numbers, by column: `baseline` (a commit crawled in a worktree, each crawl stopped after
    `timeout` seconds) and this tree."""
    columns = {}
    if baseline:
        folder = Path(tempfile.mkdtemp(prefix="hostile-baseline-")) / "tree"
        tree = baseline_tree(baseline, folder)
        if tree is None:
            raise SystemExit(f"cannot check out {baseline} in a worktree")
        try:
            columns[f"baseline {baseline[:7]}"] = column(run(tree, timeout))
        finally:
            drop_tree(folder)
    columns["this tree"] = column(run(ROOT, timeout))
    return {"columns": columns, "timeout": timeout}


def markdown(result: dict) -> str:
    """The part of docs/BENCHMARKS.md: one row per case and crawl, one column per tree."""
    columns = result["columns"]
    keys = list(dict.fromkeys(k for col in columns.values() for k in col))
    lines = ["### Hostile site (issue 27): tests/hostile/site.py crawled twice, case by case", "",
             f"`python -m bench.hostile --baseline {BASELINE} --timeout {result['timeout']:.0f}` (a crawl still "
             "running at the timeout is stopped; its RSS is then the tree's last sample). Requests by case as the "
             "site saw them; peak RSS summed over the crawl's process tree every 50 ms, and the largest process's "
             "(RUSAGE_CHILDREN); what each limit cut and each rule refused, from `stats --json`.", "",
             "| | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    lines += [f"| {key} | " + " | ".join(col.get(key, "–") for col in columns.values()) + " |" for key in keys]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a commit to crawl the same site with, in a git worktree")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a crawl may take before it is stopped")
    args = parser.parse_args()
    print(table(measure(args.baseline, args.timeout)["columns"]))


if __name__ == "__main__":
    main()
