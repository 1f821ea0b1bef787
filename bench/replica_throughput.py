"""How fast the replica answers: start-up at 100,000 articles, and pages per second on loopback, rendered on
demand by `arshif replica` and served from its `--export` copy by nginx, measured side by side in one run.

Run: .venv/bin/python -m bench.replica_throughput [--articles 2000] [--big 100000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(args) -> tuple[int, int]:
    base, paths, threads = args
    parts = urlsplit(base)
    done, sent = [0], [0]
    lock = threading.Lock()

    def run(chunk):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        n = b = 0
        for path in chunk:
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = conn.getresponse()
            b += len(response.read())
            n += 1
        conn.close()
        with lock:
            done[0] += n
            sent[0] += b

    pool = [threading.Thread(target=run, args=(paths[k::threads],)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return done[0], sent[0]


def pages_per_second(base: str, paths: list[str], processes: int = 2, threads: int = 4) -> dict:
    """Fetch every path once with keep-alive clients in several processes; pages/s and MB/s."""
    chunks = [(base, paths[k::processes], threads) for k in range(processes)]
    started = time.monotonic()
    with multiprocessing.Pool(processes) as pool:
        results = pool.map(_worker, chunks)
    elapsed = time.monotonic() - started
    pages = sum(r[0] for r in results)
    return {"pages": pages, "seconds": round(elapsed, 2), "pages_per_s": round(pages / elapsed),
            "mb_per_s": round(sum(r[1] for r in results) / elapsed / 1e6, 1)}


def site_paths(articles: int) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from replica.server import ReplicaApp, ReplicaConfig

    app = ReplicaApp(ReplicaConfig(articles=articles), "http://x", "http://y")
    paths = [app.urls.article(i) for i in app.site.live]
    paths += [app.urls.home(p) for p in range(1, 50)] + ["/feed/", "/sitemap_index.xml", "/post-sitemap.xml"]
    return [p for p in paths if p != app.urls.article(app.site.large_id)]


def startup(articles: int) -> dict:
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "archive", "replica", "--port", "0", "--articles", str(articles)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    printed = time.monotonic() - started
    urllib.request.urlopen(url).read()
    first = time.monotonic() - started
    for path in ("sitemap_index.xml", "feed/", "post-sitemap.xml"):
        urllib.request.urlopen(url + path).read()
    rss = int(Path(f"/proc/{proc.pid}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024
    proc.terminate()
    proc.wait()
    return {"articles": articles, "url_printed_s": round(printed, 2), "first_answer_s": round(first, 2),
            "rss_mb": round(rss)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = {"startup": startup(args.big)}
    paths = site_paths(args.articles)
    port, cdn = free_port(), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive", "replica", "--port", str(port), "--cdn-port", str(cdn),
                             "--articles", str(args.articles)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    base = proc.stdout.readline().strip().rstrip("/")
    pages_per_second(base, paths[:200])  # warm the caches the way a crawl would
    result["on_demand"] = pages_per_second(base, paths)
    proc.terminate()
    proc.wait()
    if shutil.which("nginx"):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "archive", "replica", "--export", tmp, "--port", str(port),
                            "--cdn-port", str(cdn), "--articles", str(args.articles)], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
            nginx = subprocess.Popen(["nginx", "-p", tmp, "-c", f"{tmp}/nginx.conf"], stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            result["nginx_export"] = pages_per_second(base, paths)
            nginx.terminate()
            nginx.wait()
    else:
        result["nginx_export"] = None
    result["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
