"""Freezing and killing a crawl at a moment: a planned one (seconds after its log began, a share of the articles
fetched) or the one moment that matters most to recovery, a record half-written.

The mid-record state is hunted by freezing the crawl (SIGSTOP) whenever its open WARC file grows and looking at
the file's tail: if it ends inside a gzip member by more than a header or trailer, the crawl is killed right there
(SIGKILL), else it goes on (SIGCONT). Only the replica's large article makes a record big enough to be caught
half-written; the others are written in one or two `write` calls. Files are read here without arshif's code.
"""

from __future__ import annotations

import io
import signal
import subprocess
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from bench.drills.common import Replica, article_path

CHUNK = 1 << 16
TRAILER = 64


@dataclass
class Moment:
    kind: str              # early | progress | mid-record | fallback (when the mid-record kill cannot be had)
    delay: float = 0.0     # early: seconds after the run's log file appeared (start-up done, recovery next)
    fraction: float = 0.0  # progress: share of the manifest's articles fetched so far

    def planned(self) -> str:
        if self.kind == "early":
            return f"{self.delay:.1f} s after its log began"
        if self.kind == "progress":
            return f"{self.fraction:.0%} of articles fetched"
        if self.kind == "fallback":
            return "any moment: the large article's record was written whole before it could be caught"
        return "while the large article's record (~200 kB) was being written"


def complete_end(path: Path, start: int) -> int:
    """Where the last complete gzip member that begins at or after `start` ends (read independently of arshif)."""
    end = start
    with path.open("rb") as fh:
        fh.seek(start)
        pending = fh.read(CHUNK)
        while pending:
            decomp = zlib.decompressobj(wbits=31)
            consumed, data = 0, pending
            while True:
                try:
                    decomp.decompress(data)
                except zlib.error:
                    return end
                if decomp.eof:
                    pending = decomp.unused_data
                    consumed += len(data) - len(pending)
                    break
                consumed += len(data)
                data = fh.read(CHUNK)
                if not data:
                    return end
            end += consumed
            pending = pending or fh.read(CHUNK)
    return end


def _stopped(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("T", "t")
    except (OSError, IndexError):
        return True


def run_logs(data: Path) -> set[Path]:
    return set((data / "logs").glob("*[0-9].log")) if (data / "logs").exists() else set()


class Killer:
    """Waits for a run's moment while hunting for the mid-record state: the crawl is frozen (SIGSTOP) whenever its
    open WARC file grows; if the file then ends inside a record (more than a gzip header or trailer short of a
    whole member), the crawl is killed there; otherwise it goes on (SIGCONT). The large record is written in a few
    milliseconds, so once the replica has logged sending the large article the hunt polls without sleeping."""

    def __init__(self, replica: Replica, paths: set[str], large: str, data: Path):
        self.replica, self.paths, self.large, self.data = replica, paths, large, data
        self.mid_record_done = False
        self.large_done = False                     # caught mid-record, or archived whole: no more hunting
        self.large_served_at: float | None = None   # when the replica logged sending it in this run
        self._known: dict[Path, tuple[int, int]] = {}  # open file → (size seen, end of its complete members)
        self._fetched: set[str] = set()
        self._seen_lines = 0
        self._open: Path | None = None

    def fetched(self) -> set[str]:
        """Articles the replica has answered 200 so far (the log read incrementally)."""
        lines = self.replica.log.read()
        for r in lines[self._seen_lines:]:
            path = article_path(r["path"])
            if r["status"] == 200 and path in self.paths:
                self._fetched.add(path)
                if path == self.large and self.large_served_at is None:
                    self.large_served_at = time.monotonic()
        self._seen_lines = len(lines)
        return set(self._fetched)

    @property
    def hunting(self) -> bool:
        """Until the large article's record was caught or is in a WARC file whole (a run killed after the replica
        sent it but before its record was written fetches it again: the hunt goes on)."""
        if self.large_done:
            return False
        if self.large_served_at is not None and time.monotonic() > self.large_served_at + 10:
            self.large_done = self.large_archived()
            self.large_served_at = None
        return not self.large_done

    def start_run(self) -> None:
        self.fetched()
        self.large_served_at = None
        self.large_done = self.large_done or self.large_archived()

    def large_archived(self) -> bool:
        """Whether a whole response record of the large article is in the WARC files (read with warcio's help
        only for the headers of whole gzip members)."""
        warc = self.data / "warc"
        for path in sorted(warc.glob("*.warc.gz*")) if warc.exists() else []:
            with path.open("rb") as fh:
                whole = io.BytesIO(fh.read(complete_end(path, 0)))
                try:
                    for record in ArchiveIterator(whole):
                        if record.rec_type == "response" and article_path(
                                record.rec_headers.get_header("WARC-Target-URI")) == self.large:
                            return True
                except Exception:  # noqa: BLE001 - the cut tail of a file left open
                    continue
        return False

    def _open_file(self) -> Path | None:
        if self._open is None or not self._open.exists():
            warc = self.data / "warc"
            self._open = next(iter(warc.glob("*.open")), None) if warc.exists() else None
        return self._open

    def _frozen_mid_record(self, proc: subprocess.Popen) -> bool:
        path = self._open_file()
        try:
            if path is None or path.stat().st_size <= self._known.get(path, (0, 0))[0]:
                return False
        except FileNotFoundError:
            return False
        proc.send_signal(signal.SIGSTOP)
        while not _stopped(proc.pid):
            time.sleep(0.0001)
        try:
            size = path.stat().st_size
            end = complete_end(path, self._known.get(path, (0, 0))[1])
            if size - end > TRAILER:
                proc.kill()
                proc.wait()
                self.mid_record_done = True
                return True
            self._known[path] = (size, end)
        except FileNotFoundError:
            pass
        proc.send_signal(signal.SIGCONT)
        return False

    def wait(self, moment: Moment | None, proc: subprocess.Popen, logs_before: set[Path]) -> str:
        """Until the moment comes ("planned"), the crawl is killed mid-record ("mid-record") or ends ("ended").
        With no moment, the run is the mid-record one: it waits for the large record alone."""
        before = self.fetched()
        target = moment.fraction * len(self.paths) if moment and moment.kind == "progress" else 0
        began = None
        next_look = 0.0
        log_size = -1
        while proc.poll() is None:
            if self.hunting and self._frozen_mid_record(proc):
                self.large_done = True
                return "mid-record"
            now = time.monotonic()
            grown = self.large_served_at is None and self.hunting and _size(self.replica.log.path) != log_size
            if now >= next_look or grown:
                next_look = now + 0.05
                log_size = _size(self.replica.log.path)
                fetched = self.fetched()
                if moment is None:
                    if not self.hunting:
                        return "planned"  # the large record went by whole: a kill now is as good as any
                elif moment.kind in ("early", "fallback"):
                    began = began or (now if run_logs(self.data) - logs_before else None)
                    if began is not None and now >= began + moment.delay:
                        return "planned"
                elif len(fetched) >= target and fetched - before:
                    return "planned"
            burst = self.large_served_at is not None and self.hunting
            time.sleep(0 if burst else 0.001 if self.hunting else 0.01)
        return "mid-record" if proc.returncode == -signal.SIGKILL else "ended"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
