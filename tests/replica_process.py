"""Start the replica as a real process on loopback, the way a user would, and read what it logged."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A port that was free a moment ago (two ports in a row are asked for separately)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    proc: subprocess.Popen | None = None
    _manifest: dict | None = None

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
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        first = self.proc.stdout.readline().strip()
        if not first.startswith("http://"):
            self.proc.kill()
            raise RuntimeError(f"replica did not start: {first!r} {self.proc.stderr.read()}")
        self.url = first.rstrip("/")
        self.cdn_url = self.proc.stdout.readline().split(":", 1)[1].strip().rstrip("/")
        self._manifest = None
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

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
        if not self.log_path.exists():
            return []
        with self.log_path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def clear_log(self) -> None:
        self.log_path.write_text("")
