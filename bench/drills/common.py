"""What every drill needs: a replica process on free loopback ports, `arshif` as a user runs it, the WARC files
read independently of arshif (warcio), and a result that says what was done, the numbers and PASS/FAIL.

The replica's stdout and stderr go to files, not pipes: a long drill with faults and killed connections must never
stall the server on a full pipe that nobody reads.
"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
WARCIO = Path(sys.executable).parent / "warcio"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Check:
    what: str
    passed: bool
    detail: str = ""


@dataclass
class DrillResult:
    name: str
    title: str
    done: list[str] = field(default_factory=list)          # what the drill did, in order
    numbers: list[tuple[str, str]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)          # verbatim output worth reading (verify's lines)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def check(self, what: str, passed: bool, detail: str = "") -> bool:
        self.checks.append(Check(what, bool(passed), detail))
        return bool(passed)

    def number(self, label: str, value) -> None:
        self.numbers.append((label, str(value)))

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "done": self.done, "numbers": self.numbers,
                "checks": [c.__dict__ for c in self.checks], "notes": self.notes, "seconds": self.seconds,
                "passed": self.passed}


class Replica:
    """`arshif replica` as a separate process; restart() keeps both ports, as an edition change must."""

    def __init__(self, workdir: Path, articles: int, *, faults: float = 0.0, latency_ms: int = 0, seed: int = 1):
        self.workdir = workdir
        self.articles, self.faults, self.latency_ms, self.seed = articles, faults, latency_ms, seed
        self.edition = 1
        self.port, self.cdn_port = free_port(), free_port()
        self.url = ""
        self.proc: subprocess.Popen | None = None
        self.log = RequestLog(workdir / "requests.jsonl")

    @property
    def manifest_path(self) -> Path:
        return self.workdir / f"manifest-e{self.edition}.json"

    def start(self) -> Replica:
        self.workdir.mkdir(parents=True, exist_ok=True)
        cmd = [PYTHON, "-m", "archive", "replica", "--port", str(self.port), "--cdn-port", str(self.cdn_port),
               "--articles", str(self.articles), "--seed", str(self.seed), "--edition", str(self.edition),
               "--faults", str(self.faults), "--latency", str(self.latency_ms), "--manifest",
               str(self.manifest_path), "--log", str(self.log.path)]
        out = self.workdir / f"replica-e{self.edition}.out"
        with out.open("w") as stdout, (self.workdir / f"replica-e{self.edition}.err").open("w") as stderr:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=stdout, stderr=stderr)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            first = out.read_text().splitlines()
            if first and first[0].startswith("http://"):
                self.url = first[0].rstrip("/")
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the replica did not start: {out.read_text()!r}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, edition: int) -> Replica:
        self.stop()
        self.edition = edition
        return self.start()

    def manifest(self) -> dict:
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class RequestLog:
    """The replica's request log, read incrementally: polling a growing log must not re-parse it every time."""

    def __init__(self, path: Path):
        self.path = path
        self.lines: list[dict] = []
        self._offset = 0

    def read(self) -> list[dict]:
        if self.path.exists():
            with self.path.open("rb") as f:
                f.seek(self._offset)
                chunk = f.read()
            end = chunk.rfind(b"\n") + 1
            self._offset += end
            self.lines.extend(json.loads(line) for line in chunk[:end].splitlines() if line.strip())
        return self.lines


def article_path(url: str) -> str:
    """The comparison key of an article URL: its path, unescaped (the log and the WARC may escape differently)."""
    return unquote(urlsplit(url).path)


def arshif(data: Path, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "archive", "--data", str(data), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def start_crawl(data: Path, site: str, logs: Path, *extra: str) -> subprocess.Popen:
    """A crawl in the background; its output goes to files, read after it ends or is killed."""
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "stdout").open("a") as out, (logs / "stderr").open("a") as err:
        return subprocess.Popen([PYTHON, "-m", "archive", "--data", str(data), "crawl", "--site", site + "/",
                                 *extra], cwd=ROOT, stdout=out, stderr=err)


def warc_files(data: Path) -> list[Path]:
    return sorted((data / "warc").glob("*.warc.gz"))


def warcio_check(files: list[Path]) -> tuple[bool, str]:
    run = subprocess.run([str(WARCIO), "check", *map(str, files)], capture_output=True, text=True)
    return run.returncode == 0, (run.stdout + run.stderr).strip()


@dataclass
class WarcScan:
    """What the WARC files hold for the manifest's articles, read with warcio alone (not with arshif's index)."""

    captured: set[str] = field(default_factory=set)            # article paths with a 200 response or revisit
    fresh: Counter = field(default_factory=Counter)              # 200 `response` records per article path
    good: Counter = field(default_factory=Counter)               # 200 responses and revisits per article path
    statuses: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))  # response records, in order


def scan_warcs(files: list[Path], article_paths: set[str]) -> WarcScan:
    scan = WarcScan()
    for path in files:
        with path.open("rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                    continue
                target = article_path(record.rec_headers.get_header("WARC-Target-URI"))
                if target not in article_paths:
                    continue
                status = int(record.http_headers.get_statuscode() or 0)
                if record.rec_type == "response":
                    scan.statuses[target].append(status)
                if status == 200:
                    scan.captured.add(target)
                    scan.good[target] += 1
                    if record.rec_type == "response":
                        scan.fresh[target] += 1
    return scan


def sample(items, n: int = 3) -> str:
    items = sorted(items)
    return ", ".join(map(str, items[:n])) + (f" … ({len(items)} in all)" if len(items) > n else "")


def seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def articles_in_db(data: Path) -> dict[str, str]:
    """canonical → body of every article row."""
    conn = sqlite3.connect(data / "archive.db")
    try:
        return dict(conn.execute("SELECT canonical, body FROM articles"))
    finally:
        conn.close()


def check_archive_whole(result: DrillResult, data: Path, manifest: dict) -> WarcScan:
    """The checks of a crawl that must have lost nothing: every article captured once as a fresh response, files
    that warcio and `arshif verify --deep` accept, and every article stored with its text."""
    paths = {article_path(a["url"]) for a in manifest["articles"]}
    files = warc_files(data)
    left_open = list((data / "warc").glob("*.open"))
    result.check("no WARC file left `.open`", not left_open, sample(p.name for p in left_open))
    ok, out = warcio_check(files)
    result.check(f"`warcio check` passes on all {len(files)} WARC files", ok, out[-500:])
    started = time.monotonic()
    verify = arshif(data, "verify", "--deep")
    result.number("`arshif verify --deep`", f"exit {verify.returncode} in {seconds(time.monotonic() - started)}")
    result.check("`arshif verify --deep` exits 0", verify.returncode == 0, (verify.stdout + verify.stderr)[-800:])
    scan = scan_warcs(files, paths)
    missing = paths - scan.captured
    result.check(f"every manifest article ({len(paths)}) captured: a 200 response or revisit in the WARC files",
                 not missing, sample(missing))
    twice = [p for p, n in scan.fresh.items() if n > 1]
    result.check("no article payload stored twice as a fresh `response` record", not twice, sample(twice))
    stored = articles_in_db(data)
    without = [a["url"] for a in manifest["articles"] if not stored.get(a["url"])]
    result.check("every manifest article in the `articles` table with a non-empty body", not without, sample(without))
    result.number("articles in the database", len(stored))
    result.number("WARC files", f"{len(files)}, {sum(p.stat().st_size for p in files) / 2**20:.1f} MiB")
    return scan
