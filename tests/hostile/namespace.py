"""Two crawls of the hostile site (tests/hostile/site.py) inside a network namespace with only loopback.

Run as root under `unshare -n -m` (tests/hostile/test_acceptance.py and bench/hostile.py do): brings `lo` up, puts
the forbidden addresses the site names on it (a request the product failed to refuse would be made, and strace
would see its connect()), bind-mounts its own /etc/hosts and /etc/resolv.conf (names resolve from the file; a DNS
query can only go to 127.0.0.1 inside the namespace, where nothing answers), serves the site on 127.0.0.1, and runs
`arshif crawl` twice under strace, the site publishing one more article in between. Each crawl's peak RSS is
measured over its whole process tree twice: the kernel's (RUSAGE_CHILDREN of a process of its own: the largest
process of the tree) and the sum of the tree's VmRSS sampled from /proc every 50 ms. What the server saw, every
connect(), the outputs and the numbers go to result.json in the directory given.

    python tests/hostile/namespace.py WORK [ARSHIF_CRAWL_OPTION ...]

bench/hostile.py sets ARSHIF_HOSTILE_TREE (the arshif tree that crawls: another commit's worktree) and
ARSHIF_HOSTILE_TIMEOUT (seconds a crawl may take before it is stopped, and said so: an old tree may never end).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.hostile import site as hostile  # noqa: E402 (the path above first)

MEASURE = """import resource, subprocess, sys
done = subprocess.run(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(done.returncode)
"""


def sh(*args: str) -> None:
    subprocess.run(args, check=True)


def isolate(work: Path) -> None:
    sh("ip", "link", "set", "lo", "up")
    for address in (hostile.PRIVATE, "10.0.0.2"):
        sh("ip", "addr", "add", f"{address}/32", "dev", "lo")
    interfaces = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    if [line.split(":")[1].strip() for line in interfaces.splitlines()] != ["lo"]:
        raise SystemExit(f"not alone on loopback: {interfaces}")
    (work / "hosts").write_text(hostile.HOSTS)
    (work / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    sh("mount", "--make-rprivate", "/")
    sh("mount", "--bind", str(work / "hosts"), "/etc/hosts")
    sh("mount", "--bind", str(work / "resolv.conf"), "/etc/resolv.conf")


def tree_rss(root: int) -> int:
    """The summed VmRSS (bytes) of `root`'s descendants, strace (root itself) left out."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        rss[int(entry.name)] = int(found.group(1)) * 1024 if found else 0
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree and pid not in tree}
        tree |= more
        grew = bool(more)
    strace = [pid for pid, parent in parents.items() if parent == root]
    return sum(rss.get(pid, 0) for pid in tree if pid != root and pid not in strace)


def crawl(work: Path, site: hostile.HostileNewsSite, name: str, extra: list[str]) -> dict:
    trace = work / f"{name}.trace"
    command = [sys.executable, "-c", MEASURE, str(trace) + ".rusage",
               "strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=connect,sendto", "-o", str(trace),
               sys.executable, "-m", "archive", "--data", str(work / "data"), "crawl", "--site", site.url + "/",
               *extra]
    before = len(site.paths)
    started = time.monotonic()
    tree = os.environ.get("ARSHIF_HOSTILE_TREE", str(ROOT))
    limit = float(os.environ.get("ARSHIF_HOSTILE_TIMEOUT", "0")) or None
    out, err = (work / f"{name}.stdout").open("w"), (work / f"{name}.stderr").open("w")
    process = subprocess.Popen(command, cwd=tree, stdout=out, stderr=err, start_new_session=True,
                               env={**os.environ, "PYTHONPATH": tree})
    sampled, stopped = 0, False
    while process.poll() is None:
        if limit and time.monotonic() - started > limit and not stopped:
            os.killpg(process.pid, signal.SIGKILL)  # the wrapper, strace and the crawl: the session is ours
            stopped = True
        try:
            sampled = max(sampled, tree_rss(process.pid))
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.05)
    seconds = time.monotonic() - started
    out.close()
    err.close()
    connects = [line for line in trace.read_text().splitlines() if "connect(" in line or "sendto(" in line]
    rusage_file = Path(str(trace) + ".rusage")
    rusage = int(rusage_file.read_text()) * 1024 if rusage_file.exists() else 0
    return {"returncode": process.returncode, "stopped_at_timeout": stopped,
            "stdout": (work / f"{name}.stdout").read_text(),
            "stderr": (work / f"{name}.stderr").read_text(), "paths": site.paths[before:], "seconds": seconds,
            "peak_rss_tree": sampled, "peak_rss_rusage": rusage,
            "connects": [c for c in connects if re.search(r"sin6?_addr", c)]}


def main(work: Path, *extra: str) -> None:
    isolate(work)
    hostile.bomb()  # made (or read from its cache) before the clock starts
    with hostile.HostileNewsSite() as site:
        first = crawl(work, site, "crawl1", list(extra))
        site.edition = 2
        second = crawl(work, site, "crawl2", list(extra))
        url = site.url
    (work / "result.json").write_text(json.dumps({"url": url, "crawls": [first, second]}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:])
