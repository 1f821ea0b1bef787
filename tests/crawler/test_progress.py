"""Progress as an operator sees it: a live line on a terminal, plain log lines in a log, a summary at the end."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from tests.crawling import ROOT, crawl

pytestmark = pytest.mark.slow


def test_live_status_line_on_a_terminal(replica_factory, tmp_path):
    site = replica_factory(articles=40, latency_ms=60)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--data", str(tmp_path / "data"), "crawl", "--site",
                             site.url + "/"], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(30)
    os.close(master)
    text = out.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "\r\x1b[K" in text and "pages/s" in text and "queue" in text and "WARC" in text
    assert "crawl 1 finished:" in text and "articles" in text


def test_plain_progress_lines_when_not_a_terminal(replica_factory, tmp_path):
    site = replica_factory(articles=40, latency_ms=60)
    run = crawl(site, tmp_path / "data", "--set", "ARSHIF_PROGRESS_INTERVAL=0.5")
    assert run.returncode == 0, run.stderr
    log = next((tmp_path / "data" / "logs").glob("*[0-9].log")).read_text()
    assert "progress: pages " in log and "\x1b[" not in run.stderr
    assert "crawl 1 finished:" in run.stderr
