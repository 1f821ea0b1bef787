"""arshif crawl against `wget --mirror --warc-file`, on the same replica, in the same run.

Two settings: the replica answering with 50 ms latency (a real server's pace: concurrency pays), and no latency
with the site served by nginx from the replica's `--export` copy (so the site is not the bottleneck and per-page
CPU cost decides). Each crawler runs as its own process; CPU seconds and peak RSS come from wait4() on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parent.parent
USER_AGENT = "arshif-bench-wget/1.0"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_measured(cmd: list[str], cwd: Path = ROOT) -> dict:
    """Run cmd to completion; wall seconds, CPU seconds (user+sys) and peak RSS of that process tree's leader."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": time.monotonic() - started, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "exit": proc.returncode}


def warc_stats(files: list[Path], article_paths: set[str]) -> dict:
    responses = 0
    articles = set()
    size = 0
    for path in files:
        size += path.stat().st_size
        with path.open("rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type in ("response", "revisit"):
                    responses += 1
                    from urllib.parse import unquote, urlsplit

                    p = unquote(urlsplit(record.rec_headers.get_header("WARC-Target-URI")).path)
                    if p in article_paths:
                        articles.add(p)
    return {"pages": responses, "articles": len(articles), "warc_mb": size / 1e6}


def start_replica(articles: int, latency: int, port: int, cdn: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "archive", "replica", "--port", str(port), "--cdn-port", str(cdn),
                             "--articles", str(articles), "--latency", str(latency)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    return proc


def article_paths(articles: int) -> set[str]:
    sys.path.insert(0, str(ROOT))
    from urllib.parse import unquote

    from replica.server import ReplicaApp, ReplicaConfig

    app = ReplicaApp(ReplicaConfig(articles=articles), "http://x", "http://y")
    return {unquote(app.urls.article(i)) for i in app.site.live}


def one_setting(articles: int, latency: int, work: Path, paths: set[str], overlap: bool = False,
                sample_memory: bool = False) -> dict:
    """overlap: with latency, run wget beside arshif rather than after it (wget waits on the network, at ~3 ms of
    CPU a page, so a 2-core machine has room for both): the quick run's shortcut. sample_memory: sample arshif's
    RSS as bench.memory does, so that a quick run need not pay for another crawl."""
    port, cdn = free_port(), free_port()
    server: subprocess.Popen
    if latency == 0:
        export = work / "export"
        subprocess.run([sys.executable, "-m", "archive", "replica", "--export", str(export), "--port", str(port),
                        "--cdn-port", str(cdn), "--articles", str(articles)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        server = subprocess.Popen(["nginx", "-p", str(export), "-c", str(export / "nginx.conf")],
                                  stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    else:
        server = start_replica(articles, latency, port, cdn)
    site = f"http://127.0.0.1:{port}/"
    results = {}
    try:
        data = work / f"arshif-{latency}"
        mirror = work / f"wget-{latency}"
        mirror.mkdir()
        wget = ["wget", "--mirror", "--no-parent", "-e", "robots=on", "--compression=auto", "--no-verbose",
                f"--user-agent={USER_AGENT}", f"--warc-file={mirror}/wget", "--warc-cdx", "-P", str(mirror / "files"),
                site]
        sampled = None
        with ThreadPoolExecutor(2) as pool:
            if sample_memory:
                from bench import memory

                arshif = pool.submit(memory.crawl_sampled, site, data)
            else:
                arshif = pool.submit(run_measured, [sys.executable, "-m", "archive", "--data", str(data), "crawl",
                                                    "--site", site])
            if not (overlap and latency):
                arshif.result()
            measured = pool.submit(run_measured, wget, mirror).result()
            results["wget"] = {**measured, **warc_stats(sorted(mirror.glob("*.warc.gz")), paths)}
            measured = arshif.result()
        if sample_memory:
            sampled = measured
            measured = {k: measured[k] for k in ("wall_s", "cpu_s", "peak_rss_mb", "exit")}
        results["arshif"] = {**measured, **warc_stats(sorted((data / "warc").glob("*.warc.gz")), paths)}
        if sampled:
            results["memory"] = memory.result(sampled, articles, "nginx serving the replica's `--export` copy")
    finally:
        server.terminate()
        server.wait()
    for name in ("arshif", "wget"):
        r = results[name]
        r["pages_per_s"] = r["pages"] / r["wall_s"] if r["wall_s"] else 0
        r["cpu_ms_per_page"] = 1000 * r["cpu_s"] / r["pages"] if r["pages"] else 0
    return results


def run(articles: int = 2000, latencies: tuple[int, ...] = (50, 0), overlap: bool = False,
        sample_memory: bool = False) -> dict:
    """overlap, sample_memory: see one_setting; a memory sample, from the crawl with no latency, is out["memory"]."""
    if not shutil.which("wget"):
        raise SystemExit("wget is not installed")
    paths = article_paths(articles)
    out = {"articles": articles}
    with tempfile.TemporaryDirectory(prefix="arshif-bench-") as tmp:
        for latency in latencies:
            if latency == 0 and not shutil.which("nginx"):
                out["latency_0"] = None
                continue
            work = Path(tmp) / f"lat{latency}"
            work.mkdir()
            setting = one_setting(articles, latency, work, paths, overlap, sample_memory and latency == 0)
            if "memory" in setting:
                out["memory"] = setting.pop("memory")
            out[f"latency_{latency}"] = setting
    return out


def markdown(result: dict) -> str:
    lines = [f"### Crawl: arshif vs `wget --mirror --warc-file` ({result['articles']:,}-article replica)", "",
             "| setting | crawler | pages archived | articles archived | wall s | pages/s | CPU ms/page | "
             "peak RSS MB | WARC MB |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, label in (("latency_50", "50 ms latency (replica)"), ("latency_0", "no latency (nginx, export)")):
        setting = result.get(key)
        if not setting:
            lines.append(f"| {label} | — | not run (nginx missing) | | | | | | |")
            continue
        for name in ("arshif", "wget"):
            r = setting[name]
            lines.append(f"| {label} | {name} | {r['pages']} | {r['articles']} | {r['wall_s']:.1f} | "
                         f"{r['pages_per_s']:.1f} | {r['cpu_ms_per_page']:.1f} | {r['peak_rss_mb']:.0f} | "
                         f"{r['warc_mb']:.1f} |")
        a, w = setting["arshif"], setting["wget"]
        if w["pages_per_s"] and w["cpu_ms_per_page"]:
            lines.append(f"| {label} | **ratio arshif/wget** | | | | {a['pages_per_s'] / w['pages_per_s']:.2f}× | "
                         f"{a['cpu_ms_per_page'] / w['cpu_ms_per_page']:.2f}× | "
                         f"{a['peak_rss_mb'] / max(w['peak_rss_mb'], 1):.1f}× | |")
    return "\n".join(lines) + "\n"


def per_article(result: dict) -> str:
    """What it costs to archive the site: time and CPU for all its articles, and requests per article."""
    lines = ["| setting | crawler | requests per article | wall s for all articles | CPU s in all |",
             "|---|---|---:|---:|---:|"]
    for key, label in (("latency_50", "50 ms latency"), ("latency_0", "no latency (nginx)")):
        setting = result.get(key)
        if not setting:
            continue
        for name in ("arshif", "wget"):
            r = setting[name]
            lines.append(f"| {label} | {name} | {r['pages'] / max(r['articles'], 1):.2f} | {r['wall_s']:.1f} | "
                         f"{r['cpu_s']:.1f} |")
        a, w = setting["arshif"], setting["wget"]
        lines.append(f"| {label} | **ratio arshif/wget** | "
                     f"{(a['pages'] / max(a['articles'], 1)) / (w['pages'] / max(w['articles'], 1)):.2f}× | "
                     f"{a['wall_s'] / w['wall_s']:.2f}× | {a['cpu_s'] / w['cpu_s']:.2f}× |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import json

    articles = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    result = run(articles)
    print(json.dumps(result, indent=1))
    print(markdown(result))
