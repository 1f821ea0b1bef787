"""One writer per data directory: the lock file that keeps two crawls (or a crawl and a rebuild) apart, however
they were started (`arshif crawl`, `arshif schedule`, cron, `scrapy crawl`, Scrapyd).

The lock is an advisory `flock` on `DIR/lock`, so it dies with its process: a crawl killed with `kill -9` or by
a power cut leaves a file behind but no lock, and the next crawl takes it over (and says so). The file holds who
took it (pid, host, command, time) so that the refusal can name the crawl that is running.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from pathlib import Path

from archive.core.times import now_iso


class LockHeld(Exception):
    """Another live process holds the lock on this data directory."""


class DataLock:
    def __init__(self, data: Path | str, name: str = "lock", purpose: str = "crawl"):
        self.path = Path(data) / name
        self.purpose = purpose
        self._fd: int | None = None
        self.took_over: dict | None = None  # what a dead holder had written, when its lock was taken over

    def acquire(self) -> DataLock:
        """Take the lock or raise LockHeld naming its holder; never waits."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise LockHeld(self._refusal(holder)) from None
        previous = _read(fd)
        if previous and previous.get("pid") != os.getpid():
            self.took_over = previous  # the holder died without releasing: a stale lock
        info = {"pid": os.getpid(), "host": socket.gethostname(), "purpose": self.purpose,
                "command": " ".join(sys.argv)[:300], "since": now_iso()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info, ensure_ascii=False) + "\n").encode(), 0)
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        """Empty the file (a later reader sees no holder) and unlock; the file itself stays."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def stale_note(self) -> str | None:
        if not self.took_over:
            return None
        who = self.took_over
        alive = _alive(who.get("pid")) if who.get("host") == socket.gethostname() else None
        state = "no longer running" if alive is False else "not holding it"
        return (f"took over a stale lock of {self.path.parent}: {who.get('purpose', 'a process')} pid "
                f"{who.get('pid')} since {who.get('since')} is {state}")

    def _refusal(self, holder: dict | None) -> str:
        if not holder:
            return f"another process holds the lock on {self.path.parent} ({self.path})"
        return (f"another {holder.get('purpose', 'process')} is running on {self.path.parent}: pid "
                f"{holder.get('pid')} on {holder.get('host')} since {holder.get('since')} "
                f"(`{holder.get('command', '?')}`); wait for it to end, or stop it")

    def __enter__(self) -> DataLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read(fd: int) -> dict | None:
    try:
        raw = os.pread(fd, 4096, 0)
        return json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (OSError, ValueError):
        return None


def _alive(pid) -> bool | None:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, TypeError, ValueError):
        return None
    return True
