"""`arshif schedule --every 30m`: crawls at an interval until stopped, for an operator without cron or systemd
timers (docs/operating.md, arshif schedule).

Each run is a separate `arshif crawl` process: a run that crashes, leaks memory or is killed cannot take the
schedule down with it, and every run starts from what the archive holds, as a cron job would. The child runs in
its own process group so that a Ctrl-C on the terminal reaches only the schedule, which passes exactly one
SIGTERM on (Scrapy treats a second signal as "stop now", which would skip finishing the current batch).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.core.durations import parse_duration
from archive.core.lock import DataLock
from archive.core.times import now

USAGE = 2  # a run that exits 2 was given bad options: every later run would too


@dataclass
class Run:
    number: int
    exit_code: int
    seconds: float
    interrupted: bool


def interval(every: str) -> float:
    """`--every` in seconds; ValueError for a duration that is not one or is zero."""
    seconds = parse_duration(every)
    if seconds <= 0:
        raise ValueError("the interval must be longer than zero")
    return seconds


class Schedule:
    def __init__(self, data: Path, every: float | str, crawl_args: list[str], runs: int | None = None,
                 say: Callable[[str], None] = print):
        """`every` in seconds, or as an operator writes it (`30m`: ValueError when it is not a usable interval)."""
        self.data = Path(data)
        self.every_text = every if isinstance(every, str) else f"{every:g}s"
        self.every = interval(every) if isinstance(every, str) else every
        self.crawl_args = crawl_args
        self.runs = runs
        self.say = say
        self.stopping = threading.Event()
        self.child: subprocess.Popen | None = None
        self.history: list[Run] = []

    def stop(self, signum: int | None = None, frame=None) -> None:
        """First signal: stop after the current run, which is asked (once) to finish its batch and close."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        name = signal.Signals(signum).name if signum else "stop"
        child = self.child
        if child is not None and child.poll() is None:
            self.say(f"{name}: asking the running crawl (pid {child.pid}) to finish its current batch and stop")
            child.send_signal(signal.SIGTERM)
        else:
            self.say(f"{name}: stopping the schedule")

    def describe(self) -> str:
        return (f"a crawl of {self.data} every {self.every_text}" + (f", {self.runs} runs" if self.runs else "")
                + "; SIGTERM or Ctrl-C stops after the current run")

    def run(self) -> int:
        """Crawl every `every` seconds until stopped or `runs` are done; 0 unless a run showed a usage error."""
        lock = DataLock(self.data, name="schedule.lock", purpose="schedule").acquire()  # LockHeld propagates
        try:
            return self._loop()
        finally:
            lock.release()

    def _loop(self) -> int:
        number = 0
        while not self.stopping.is_set():
            number += 1
            started = time.monotonic()
            self.say(f"run {number} starting at {now().astimezone().isoformat(timespec='seconds')}")
            code = self._crawl()
            elapsed = time.monotonic() - started
            self.history.append(Run(number, code, elapsed, self.stopping.is_set()))
            self.say(f"run {number} ended with exit status {code} after {elapsed:.0f} s"
                     + (" (stopped)" if self.stopping.is_set() else ""))
            if code == USAGE:
                self.say("the crawl's options are wrong (exit status 2): stopping the schedule")
                return USAGE
            if self.runs is not None and number >= self.runs:
                break
            # the next start on the grid of the first: a run longer than the interval skips ticks, never piles up
            ticks = max(1, math.ceil(elapsed / self.every)) if self.every else 1
            wait = max(0.0, started + ticks * self.every - time.monotonic())
            if wait and not self.stopping.is_set():
                self.say(f"next run in {wait:.0f} s")
            self.stopping.wait(wait)
        return 0

    def _crawl(self) -> int:
        command = [sys.executable, "-m", "archive", "--data", str(self.data), "crawl", *self.crawl_args]
        self.child = subprocess.Popen(command, start_new_session=True, env=os.environ.copy())
        if self.stopping.is_set():  # a signal came between the loop's check and the start
            self.child.send_signal(signal.SIGTERM)
        try:
            return self.child.wait()
        finally:
            self.child = None


def install_signal_handlers(schedule: Schedule) -> None:
    signal.signal(signal.SIGTERM, schedule.stop)
    signal.signal(signal.SIGINT, schedule.stop)
