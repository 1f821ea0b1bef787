"""Run `arshif crawl` as a user would (a real process, real HTTP on loopback) and read what it left behind."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CrawlRun:
    data: Path
    returncode: int
    stdout: str
    stderr: str
    requests: list[dict]  # the replica's log lines written while this crawl ran, but the test client's own

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.data / "archive.db")
        conn.row_factory = sqlite3.Row
        return conn

    def warc_files(self) -> list[Path]:
        return sorted((self.data / "warc").glob("*.warc.gz"))

    def records(self) -> list[tuple[str, object]]:
        """(file name, record headers) of every record in every WARC file, content read."""
        out = []
        for path in self.warc_files():
            with path.open("rb") as f:
                for record in ArchiveIterator(f):
                    record.content_stream().read()
                    out.append((path.name, record))
        return out


def arshif(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archive", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def crawl(site, data: Path, *extra: str) -> CrawlRun:
    """Crawl a ReplicaProcess into data; returns the run with the replica's requests made during it."""
    before = len(site.requests())
    result = arshif("--data", str(data), "crawl", "--site", site.url + "/", *extra)
    requests = [r for r in site.requests()[before:] if not (r["user_agent"] or "").startswith("arshif-tests")]
    return CrawlRun(data, result.returncode, result.stdout, result.stderr, requests)


def shared_crawl(tmp_path_factory, name: str, site):
    """One crawl of a site shared by the test workers, made once for all of them (tests/shared.py); the tests
    only read the archive it made. A generator, for a session fixture to `yield from`."""
    from tests.shared import shared

    def make(folder: Path) -> dict:
        run = crawl(site, folder / "data")
        assert run.returncode == 0, run.stderr
        return {**asdict(run), "data": str(run.data)}

    with shared(tmp_path_factory, name, make) as state:
        yield CrawlRun(**{**state, "data": Path(state["data"])})
