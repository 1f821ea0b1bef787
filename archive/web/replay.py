"""Replay: pywb, the archivists' own engine, run beside the UI on a second loopback port.

pywb cannot share a virtual environment with Scrapy, so it runs as its own process (from `.venv-pywb`, or the
`wayback` named by ARSHIF_PYWB) over our WARC files and `warc/index.cdxj`, with no live collection: nothing it
serves can come from the live web. Its rewritten pages carry pywb's Content-Security-Policy, which keeps
every request on pywb's own origin; the UI frames them in a sandboxed iframe, on another origin than the UI's.
Our own `/web/<ts>id_/<url>` serves the archived bytes with `Content-Security-Policy: sandbox`, so a script in them
never runs with the UI's origin.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from archive.core.paths import cdxj_index, warc_dir

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = "arshif"
# pywb's own default, spelled out so that it cannot change under us: everything from pywb's origin, nothing else
CSP = "default-src 'unsafe-eval' 'unsafe-inline' 'self' data: blob: ; form-action 'self'"


def find_wayback() -> Path | None:
    named = os.environ.get("ARSHIF_PYWB")
    candidates = [Path(named)] if named else []
    candidates += [ROOT / ".venv-pywb" / "bin" / "wayback"]
    found = shutil.which("wayback")
    if found:
        candidates.append(Path(found))
    return next((c for c in candidates if c.exists()), None)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the pywb child before exec: SIGTERM it when `arshif serve` dies, even by kill -9 (Linux prctl
    PR_SET_PDEATHSIG), so that no replay server is left holding its port."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class Pywb:
    """A pywb process over one data directory; `base` is the collection's URL."""

    def __init__(self, data: Path, host: str = "127.0.0.1", port: int | None = None):
        self.data = Path(data)
        self.host = host
        self.port = port or free_port(host)
        self.process: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base(self) -> str:
        return f"{self.origin}/{COLLECTION}"

    def start(self, timeout: float = 30) -> Pywb:
        wayback = find_wayback()
        if wayback is None:
            raise FileNotFoundError("pywb is not installed: run `make install` (it builds .venv-pywb) or set "
                                    "ARSHIF_PYWB to a `wayback` executable")
        warc = warc_dir(self.data)
        self._dir = tempfile.TemporaryDirectory(prefix="arshif-pywb-")
        config = Path(self._dir.name) / "config.yaml"
        config.write_text(
            "collections:\n"
            f"  {COLLECTION}:\n"
            f"    index_paths: '{cdxj_index(self.data)}'\n"
            f"    archive_paths: '{warc}/'\n"
            "framed_replay: false\n"
            "enable_memento: true\n"
            f'csp-header: "{CSP}"\n', encoding="utf-8")
        self.process = subprocess.Popen([str(wayback), "-b", self.host, "-p", str(self.port)], cwd=self._dir.name,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                said = self.process.stderr.read().decode(errors="replace")[-500:]
                raise RuntimeError(f"pywb stopped at start: {said}")
            try:
                urllib.request.urlopen(self.origin + "/", timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pywb did not answer on {self.origin} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self._dir:
            self._dir.cleanup()
            self._dir = None

    def frame_url(self, timestamp: str, url: str) -> str:
        """The rewritten page pywb serves for the UI's frame. Without pywb's own frame (framed_replay: false)
        its replay modifier is the empty one, and that is the one pywb adds its Content-Security-Policy to."""
        return f"{self.base}/{timestamp}/{url}"
