"""Unattended operation (issue 9): `arshif schedule`, the data directory's lock, what `stats` tells a monitor."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.core.lock import DataLock
from tests.crawling import ROOT, arshif, crawl

pytestmark = pytest.mark.slow
WARCIO = Path(sys.executable).with_name("warcio")


def crawl_rows(data: Path) -> list[tuple]:
    if not (data / "archive.db").exists():
        return []
    conn = sqlite3.connect(data / "archive.db", timeout=30)
    try:
        return conn.execute("SELECT id, status, exit_code FROM crawls ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        conn.close()


def test_schedule_runs_until_sigterm_and_leaves_a_clean_archive(replica_factory, tmp_path):
    site = replica_factory(articles=30, latency_ms=20)
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--data", str(data), "schedule", "--every", "2s",
                             "--site", site.url + "/", "--no-assets"], cwd=ROOT, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # two runs done, the third started
            rows = crawl_rows(data)
            if len(rows) >= 3 and rows[2][1] == "running":
                break
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        else:
            pytest.fail(f"no third run: {crawl_rows(data)}")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=120)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    assert "run 3 ended" in err and "run 4" not in err, err
    rows = crawl_rows(data)
    assert [(status, exit_code) for _, status, exit_code in rows[:2]] == [("finished", 0), ("finished", 0)], rows
    assert len(rows) == 3 and rows[2][1] in ("interrupted", "finished"), rows
    files = sorted((data / "warc").iterdir())
    assert not [f for f in files if f.name.endswith(".open")], files  # the stopped run closed its file
    warcs = [str(f) for f in files if f.name.endswith(".warc.gz")]
    check = subprocess.run([str(WARCIO), "check", *warcs], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    verified = arshif("--data", str(data), "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    stats = json.loads(arshif("--data", str(data), "stats", "--json").stdout)
    assert stats["last_success"]["id"] == 2 and 0 <= stats["last_success"]["age_seconds"] < 600
    assert [c["status"] for c in stats["crawls"]][-2:] == ["finished", "finished"]
    text = arshif("--data", str(data), "stats").stdout
    assert "last successful crawl:" in text and "ago (crawl 2" in text


def test_a_second_writer_is_refused_and_a_stale_lock_taken_over(replica_factory, tmp_path):
    site = replica_factory(articles=20)
    data = tmp_path / "data"
    holder = DataLock(data, purpose="crawl").acquire()  # as a running crawl holds it
    try:
        refused = crawl(site, data, "--no-assets")
        assert refused.returncode == 1
        assert f"another crawl is running on {data}: pid {os.getpid()}" in refused.stderr, refused.stderr
        assert refused.stderr.count("\n") == 2, refused.stderr  # "crawling …" and the one line that says why
        assert not refused.requests  # nothing was fetched
        rebuild = arshif("--data", str(data), "rebuild")
        assert rebuild.returncode == 1 and "another crawl is running" in rebuild.stderr
    finally:
        holder.release()
    # a crawl killed with kill -9 leaves its lock file behind, naming a process that no longer exists
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (data / "lock").write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "purpose": "crawl",
                                           "since": "2026-01-01T00:00:00+00:00", "command": "arshif crawl"}))
    taken = crawl(site, data, "--no-assets")
    assert taken.returncode == 0, taken.stderr
    assert f"took over a stale lock of {data}: crawl pid {dead.pid}" in taken.stderr, taken.stderr
    assert (data / "lock").read_text() == ""  # released at the end
    # two schedules on one data directory: the second exits 1 at once
    with DataLock(data, name="schedule.lock", purpose="schedule"):
        second = arshif("--data", str(data), "schedule", "--every", "1h", "--site", site.url + "/")
    assert second.returncode == 1 and "another schedule is running" in second.stderr, second.stderr


def test_schedule_options_are_checked(tmp_path):
    bad = arshif("--data", str(tmp_path / "d"), "schedule", "--every", "soon")
    assert bad.returncode == 2 and "not a duration" in bad.stderr
    # a crawl option the crawl does not know: the first run exits 2, and so does the schedule (no endless loop)
    wrong = arshif("--data", str(tmp_path / "d"), "schedule", "--every", "1s", "--no-such-option", timeout=120)
    assert wrong.returncode == 2 and "exit status 2" in wrong.stderr, wrong.stderr
