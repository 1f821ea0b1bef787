"""Crash safety (issue 5): kill -9, server faults, a full disk — nothing lost, nothing stored twice."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawling import ROOT, arshif, crawl

pytestmark = pytest.mark.slow


def start_crawl(site, data: Path, *extra: str, preexec=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "archive", "--data", str(data), "crawl", "--site",
                             site.url + "/", *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=preexec)


def wait_for(condition, timeout: float = 60, step: float = 0.005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    raise AssertionError("condition not met in time")


def assert_archive_whole(site, data: Path) -> None:
    """Every manifest article captured; no article payload twice as a fresh response; warcio and verify pass."""
    files = sorted((data / "warc").glob("*.warc.gz"))
    assert files and not list((data / "warc").glob("*.open"))
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, files)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    verify = arshif("--data", str(data), "verify", "--deep")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    article_paths = {unquote(urlsplit(a["url"]).path) for a in site.manifest["articles"]}
    fresh: Counter = Counter()
    captured = set()
    for path in files:
        with path.open("rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type not in ("response", "revisit"):
                    continue
                target = unquote(urlsplit(record.rec_headers.get_header("WARC-Target-URI")).path)
                if target in article_paths and record.http_headers.get_statuscode() == "200":
                    captured.add(target)
                    if record.rec_type == "response":
                        fresh[target] += 1
    assert captured == article_paths, sorted(article_paths - captured)[:3]
    assert max(fresh.values()) == 1, [p for p, n in fresh.items() if n > 1][:3]
    # and every one is an article with its text, even those whose extraction died with the killed process
    conn = sqlite3.connect(data / "archive.db")
    stored = {row[0] for row in conn.execute("SELECT canonical FROM articles WHERE body != ''")}
    conn.close()
    missing = [a["url"] for a in site.manifest["articles"] if a["url"] not in stored]
    assert not missing, missing[:3]


def test_kill_after_twenty_records_then_resume(replica_factory, tmp_path):
    site = replica_factory(articles=60, latency_ms=50)
    data = tmp_path / "data"
    proc = start_crawl(site, data)
    wait_for(lambda: len([r for r in site.requests() if r["status"]]) >= 20)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list((data / "warc").glob("*.open")), "the killed crawl left its file open"
    resumed = crawl(site, data)
    assert resumed.returncode == 0, resumed.stderr
    assert_archive_whole(site, data)
    # the resumed run did not fetch again the articles the first one had archived
    article_paths = {unquote(urlsplit(a["url"]).path) for a in site.manifest["articles"]}
    first = {r["path"] for r in site.requests()[: len(site.requests()) - len(resumed.requests)]
             if r["status"] == 200 and unquote(r["path"]) in article_paths}
    again = {r["path"] for r in resumed.requests if r["path"] in first}
    assert len(again) <= 1, again  # at most one in flight when the first crawl was killed


def _kill_mid_record(proc: subprocess.Popen, data: Path, large: str, site) -> bool:
    """Freeze the crawl (SIGSTOP) whenever its open WARC file grows; kill it (SIGKILL) when frozen in the middle
    of a record, else let it go on. True once killed mid-record; False if the large record slipped by."""
    from archive.warc.indexer import complete_length

    wait_for(lambda: any(r["path"] == large and r["status"] == 200 for r in site.requests()), step=0.002)

    def open_file() -> Path | None:
        return next(iter((data / "warc").glob("*.open")), None)

    start = sum(p.stat().st_size for p in (data / "warc").glob("*.open"))
    deadline = time.monotonic() + 30
    last = start
    while time.monotonic() < deadline and proc.poll() is None:
        path = open_file()
        size = path.stat().st_size if path else 0
        if size > last:
            proc.send_signal(signal.SIGSTOP)
            path = open_file()
            if path and complete_length(path) < path.stat().st_size:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
            last = path.stat().st_size if path else last
            proc.send_signal(signal.SIGCONT)
            if last - start > 400_000:  # the large record (about 200 kB compressed) is past
                return False
        time.sleep(0.0005)
    return False


def test_kill_while_a_large_record_is_written(replica_factory, tmp_path):
    site = replica_factory(articles=40, latency_ms=20)
    large = urlsplit(site.manifest["traps"]["large"]).path
    for attempt in range(5):  # the kill must land inside a record; try again on the rare miss
        data = tmp_path / f"data{attempt}"
        site.clear_log()
        proc = start_crawl(site, data)
        killed = _kill_mid_record(proc, data, large, site)
        if not killed:
            proc.kill()
            proc.wait()
            continue
        resumed = crawl(site, data)
        assert resumed.returncode == 0, resumed.stderr
        log = next(p for p in (data / "logs").glob("*[0-9].log") if "recovery before the crawl" in p.read_text())
        assert "cut an incomplete record off" in log.read_text()
        assert_archive_whole(site, data)
        return
    pytest.fail("never managed to kill the crawl in the middle of writing a record")


def test_server_faults_are_retried_and_recorded(replica_factory, tmp_path):
    site = replica_factory(articles=60, faults=0.2)
    data = tmp_path / "data"
    run = crawl(site, data, "--no-assets", "--set", "ARSHIF_RETRY_BACKOFF_BASE=0.2")
    assert run.returncode == 0, run.stderr
    assert_archive_whole(site, data)
    failing = [a["url"] for a in site.manifest["articles"] if a["fault"] == "500-once"]
    assert failing
    conn = run.db()
    for url in failing:
        statuses = [r[0] for r in conn.execute("SELECT status FROM captures WHERE canonical = ? AND "
                                               "record_type = 'response' ORDER BY id", [url])]
        assert statuses == [500, 200], (url, statuses)
    cut = [a["url"] for a in site.manifest["articles"] if a["fault"] == "truncate-once"]
    for url in cut:  # the cut-short body was never stored as a capture
        rows = conn.execute("SELECT count(*) FROM captures WHERE canonical = ? AND record_type = 'response'",
                            [url]).fetchone()[0]
        assert rows == 1
    assert "retry" in (run.stderr + next((data / "logs").glob("*[0-9].log")).read_text()).lower()
    # a page whose header declares the wrong charset is still read right
    wrong = [a for a in site.manifest["articles"] if a["fault"] == "wrong-charset"]
    assert wrong
    for a in wrong:
        title = conn.execute("SELECT title FROM articles WHERE canonical = ?", [a["url"]]).fetchone()[0]
        assert title == a["title"]


def _limit_file_size(limit: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_stops_cleanly_and_the_next_run_completes(replica_factory, tmp_path):
    site = replica_factory(articles=60)
    data = tmp_path / "data"
    proc = start_crawl(site, data, "--no-assets", preexec=_limit_file_size(400_000))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert "the disk is full or a file-size limit was reached" in err
    assert err.count("Traceback") == 0
    verify = arshif("--data", str(data), "verify")
    assert verify.returncode == 0, verify.stdout
    resumed = crawl(site, data, "--no-assets")
    assert resumed.returncode == 0, resumed.stderr
    assert_archive_whole(site, data)


def test_refuses_to_start_below_the_free_space_setting(replica_factory, tmp_path):
    site = replica_factory(articles=20)
    run = crawl(site, tmp_path / "data", "--set", "ARSHIF_MIN_FREE_SPACE=1000T")
    assert run.returncode == 1 and "free" in run.stderr and "not starting" in run.stderr
    assert not [r for r in run.requests if r["kind"] == "article"]


def test_discovery_that_finds_nothing_where_it_found_many_exits_1(replica_factory, tmp_path):
    site = replica_factory(articles=40)
    data = tmp_path / "data"
    assert crawl(site, data, "--no-assets").returncode == 0
    site.restart(extra=["--without", "articles"])
    run = crawl(site, data, "--no-assets")
    assert run.returncode == 1 and "discovery found no article" in run.stderr


def test_fresh_captures_everything_again_as_revisits(replica_factory, tmp_path):
    site = replica_factory(articles=30)
    data = tmp_path / "data"
    assert crawl(site, data, "--no-assets").returncode == 0
    second = crawl(site, data, "--no-assets")
    assert not [r for r in second.requests if r["kind"] == "article"]  # nothing changed: nothing refetched
    fresh = crawl(site, data, "--no-assets", "--fresh")
    assert len([r for r in fresh.requests if r["kind"] == "article"]) == 30
    conn = fresh.db()
    crawl_id = conn.execute("SELECT max(id) FROM crawls").fetchone()[0]
    kinds = dict(conn.execute("SELECT record_type, count(*) FROM captures WHERE crawl_id = ? "
                              "AND url NOT LIKE '%/arshif-probe-%' GROUP BY 1", [crawl_id]))  # a probe: a new URL
    assert kinds.get("response", 0) == 0 and kinds["revisit"] >= 30
    os.sync()
