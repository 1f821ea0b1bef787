"""Start the replica as a real process on loopback, the way a user would, and read what it logged."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A port that was free a moment ago (two ports in a row are asked for separately)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_request_log(path: Path) -> list[dict]:
    """The JSON lines a test server logged, one per request answered; a line still being written is left out."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines() if line.strip()]


def stop_pid(pid: int, timeout: float = 10) -> None:
    """SIGTERM a process that is not our child, then SIGKILL it if it is still there after `timeout`."""
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return  # ended; its parent has not collected it yet
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, FileNotFoundError):
        pass


@dataclass
class ReplicaProcess:
    """A running `arshif replica`; restart() keeps both ports, as an edition change must."""

    workdir: Path
    articles: int = 200
    theme: str = "wordpress"
    seed: int = 1
    edition: int = 1
    faults: float = 0.0
    latency_ms: int = 0
    extra: list[str] = field(default_factory=list)
    port: int = 0
    cdn_port: int = 0
    url: str = ""
    cdn_url: str = ""
    pid: int = 0
    proc: subprocess.Popen | None = None
    _manifest: dict | None = None

    def state(self) -> dict:
        """How another process reaches this running replica (tests/shared.py)."""
        state = {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in ("proc", "_manifest")}
        return {**state, "workdir": str(self.workdir), "pids": [self.pid]}

    @classmethod
    def attach(cls, state: dict) -> ReplicaProcess:
        """The replica another test worker started (stop() ends it by its pid)."""
        fields = {name: value for name, value in state.items() if name in cls.__dataclass_fields__}
        return cls(**{**fields, "workdir": Path(state["workdir"])})

    @property
    def manifest_path(self) -> Path:
        return self.workdir / f"manifest-e{self.edition}.json"

    @property
    def log_path(self) -> Path:
        return self.workdir / "requests.jsonl"

    def start(self) -> ReplicaProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port, self.cdn_port = free_port(), free_port()
        cmd = [sys.executable, "-m", "archive", "replica", "--port", str(self.port), "--cdn-port",
               str(self.cdn_port), "--articles", str(self.articles), "--theme", self.theme, "--seed",
               str(self.seed), "--edition", str(self.edition), "--faults", str(self.faults), "--latency",
               str(self.latency_ms), "--manifest", str(self.manifest_path), "--log", str(self.log_path),
               *self.extra]
        # Output goes to files, not pipes: a replica shared between test workers (tests/shared.py) outlives the
        # worker that started it, and a pipe nobody reads any more would block or break it.
        out, err = self.workdir / "replica.out", self.workdir / "replica.err"
        with out.open("w") as stdout, err.open("w") as stderr:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=stdout, stderr=stderr, text=True,
                                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.pid = self.proc.pid
        deadline = time.monotonic() + 60
        while len(lines := out.read_text(encoding="utf-8").splitlines()) < 2:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError(f"replica did not start: {lines!r} {err.read_text(encoding='utf-8')}")
            time.sleep(0.02)
        self.url = lines[0].strip().rstrip("/")
        self.cdn_url = lines[1].split(":", 1)[1].strip().rstrip("/")
        self._manifest = None
        return self

    def stop(self) -> None:
        if self.proc is None and self.pid:
            stop_pid(self.pid)
        elif self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc, self.pid = None, 0

    def restart(self, **changes) -> ReplicaProcess:
        """Stop, change options (edition=2, faults=…), start again on the same two ports."""
        self.stop()
        for key, value in changes.items():
            setattr(self, key, value)
        return self.start()

    @property
    def manifest(self) -> dict:
        if self._manifest is None:
            self._manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        return self._manifest

    def requests(self) -> list[dict]:
        return read_request_log(self.log_path)

    def clear_log(self) -> None:
        self.log_path.write_text("")
