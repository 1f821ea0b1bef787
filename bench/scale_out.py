"""Scaling out on one machine: one crawl worker vs two sharing a frontier in Redis, and the ingest rate.

The replica answers with `--latency` ms per response (a real site is not instant); each configuration crawls it
from scratch (fresh data directories, Redis emptied). The crawl rate counts the pages the replica served between
the first and the last request of the configuration (the fetch span), and also over the wall-clock time of the
processes (Python start-up and the fleet's idle grace before closing included). Then the two workers' WARC files
are ingested into a new archive: articles per second of `arshif ingest`.

    python -m bench.scale_out [--articles 500] [--latency 50]      # prints a markdown table
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.crawl_vs_wget import ROOT, free_port


def _lines(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def _span(requests: list[dict]) -> float:
    times = [datetime.fromisoformat(r["time"]) for r in requests]
    return (max(times) - min(times)).total_seconds() if len(times) > 1 else 0.0


def _start_redis(home: Path) -> tuple[subprocess.Popen, str]:
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no", "--bind",
                             "127.0.0.1", "--dir", str(home)], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def _crawl(site: str, work: Path, frontier: str | None, workers: int) -> tuple[float, list[Path]]:
    """Start `workers` crawls together; wall-clock seconds until the last exits, and their data directories."""
    dirs = [work / f"w{n + 1}" for n in range(workers)]
    started = time.monotonic()
    procs = []
    for n, data in enumerate(dirs, 1):
        cmd = [sys.executable, "-m", "archive", "--data", str(data), "crawl", "--site", site]
        if frontier:
            cmd += ["--frontier", frontier, "--worker", f"w{n}"]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a crawl failed: {err[-2000:]}")
    return time.monotonic() - started, dirs


def run(articles: int = 500, latency: int = 50) -> dict:
    import redis

    with tempfile.TemporaryDirectory(prefix="arshif-bench-scale-") as tmp:
        work = Path(tmp)
        redis_proc, frontier = _start_redis(work)
        port, cdn = free_port(), free_port()
        log = work / "requests.jsonl"
        replica = subprocess.Popen([sys.executable, "-m", "archive", "replica", "--port", str(port), "--cdn-port",
                                    str(cdn), "--articles", str(articles), "--latency", str(latency), "--log",
                                    str(log)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        replica.stdout.readline()
        site = f"http://127.0.0.1:{port}/"
        out: dict = {"articles": articles, "latency_ms": latency, "cores": os.cpu_count(),
                     "load_before": round(os.getloadavg()[0], 2), "runs": []}
        try:
            for label, shared, count in (("1 worker, no frontier", False, 1), ("1 worker, Redis frontier", True, 1),
                                         ("2 workers, Redis frontier", True, 2)):
                redis.Redis.from_url(frontier).flushdb()
                before = len(_lines(log))
                cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall, dirs = _crawl(site, work / label.replace(" ", "_").replace(",", ""),
                                    frontier if shared else None, count)
                served = _lines(log)[before:]
                cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
                span = _span(served)
                out["runs"].append({"label": label, "workers": count, "pages": len(served),
                                    "article_pages": sum(r.get("kind") == "article" for r in served),
                                    "fetch_span_s": round(span, 2), "wall_s": round(wall, 2),
                                    "pages_per_s": round(len(served) / span, 1) if span else None,
                                    "pages_per_s_wall": round(len(served) / wall, 1),
                                    "worker_cpu_s": round(cpu, 1),
                                    "cpu_ms_per_page": round(1000 * cpu / max(1, len(served)), 1)})
                last_dirs = dirs
            central = work / "central"
            started = time.monotonic()
            result = subprocess.run([sys.executable, "-m", "archive", "--data", str(central), "ingest",
                                     *(str(d / "warc") for d in last_dirs), "--json"], cwd=ROOT,
                                    capture_output=True, text=True)
            seconds = time.monotonic() - started
            if result.returncode != 0:
                raise SystemExit(f"ingest failed: {result.stderr[-2000:]}")
            report = json.loads(result.stdout)
            new = report["articles"].get("new", 0)
            out["ingest"] = {"files": len(report["files"]), "records": report["captures"], "articles": new,
                             "seconds": round(seconds, 2), "articles_per_s": round(new / seconds, 1),
                             "inner_seconds": report["seconds"]}
        finally:
            replica.terminate()
            replica.wait()
            redis_proc.terminate()
            redis_proc.wait()
    return out


def markdown(result: dict) -> str:
    lines = [f"Replica: {result['articles']} articles, `--latency {result['latency_ms']}`; one machine, "
             f"{result['cores']} cores, load average {result['load_before']} before the runs.", "",
             "| configuration | pages | fetch span (s) | pages/s | wall (s) | pages/s over wall | worker CPU (s) | "
             "CPU ms/page |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["runs"]:
        lines.append(f"| {r['label']} | {r['pages']} | {r['fetch_span_s']} | {r['pages_per_s']} | {r['wall_s']} | "
                     f"{r['pages_per_s_wall']} | {r['worker_cpu_s']} | {r['cpu_ms_per_page']} |")
    ing = result["ingest"]
    lines += ["", "| ingest (2 workers' WARC files into a new archive) | files | records | articles | seconds | "
              "articles/s |", "|---|---:|---:|---:|---:|---:|",
              f"| `arshif ingest` | {ing['files']} | {ing['records']} | {ing['articles']} | {ing['seconds']} | "
              f"{ing['articles_per_s']} |"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--latency", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON too")
    args = parser.parse_args()
    result = run(args.articles, args.latency)
    if args.json:
        print(json.dumps(result, indent=1))
    print(markdown(result))


if __name__ == "__main__":
    main()
