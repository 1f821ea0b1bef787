"""Capture (issue 3): a real crawl of the replica into WARC files that warcio, cdxj-indexer and pywb read."""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.crawling import ROOT, arshif, crawl
from tests.http_client import fetch, wait_until_answering

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def captured(crawled_wordpress):
    return crawled_wordpress


def test_every_warc_passes_warcio_check(captured):
    files = captured.warc_files()
    assert files and not list((captured.data / "warc").glob("*.open"))
    result = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, files)],
                            capture_output=True, text=True)
    if result.returncode != 0 and "No module named" in result.stderr:
        result = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, files)],
                                capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_files_are_named_and_start_with_warcinfo(captured):
    import re

    for path in captured.warc_files():
        assert re.fullmatch(r"arshif-\d{14}-\d{5}\.warc\.gz", path.name)
    records = captured.records()
    first = [r for name, r in records if name == captured.warc_files()[0].name][0]
    assert first.rec_type == "warcinfo" and first.rec_headers.get_header("WARC-Filename")
    assert all(r.rec_headers.protocol == "WARC/1.1" for _, r in records)


def test_cdxj_indexer_indexes_everything(captured):
    conn = captured.db()
    indexed = conn.execute("SELECT count(*) FROM captures WHERE record_type IN ('response', 'revisit')").fetchone()[0]
    result = subprocess.run([str(Path(sys.executable).parent / "cdxj-indexer"), str(captured.data / "warc")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == indexed > 200
    ours = (captured.data / "warc" / "index.cdxj").read_text().splitlines()
    assert sorted(ours) == ours and len(ours) == indexed


def test_every_answered_fetch_has_exactly_one_record_and_every_record_a_row(captured):
    fetched = Counter()
    for r in captured.requests:
        if r["status"] is not None and r["method"] == "GET":
            fetched[r["path"] + (f"?{r['query']}" if r["query"] else "")] += 1
    records = captured.records()
    archived = Counter()
    for _, r in records:
        if r.rec_type in ("response", "revisit"):
            parts = urlsplit(r.rec_headers.get_header("WARC-Target-URI"))
            archived[parts.path + (f"?{parts.query}" if parts.query else "")] += 1
    assert fetched == archived
    assert all(r["user_agent"].startswith("arshif/") and "(+" in r["user_agent"] for r in captured.requests)
    assert {r["accept_encoding"] for r in captured.requests} == {"gzip, deflate"}
    conn = captured.db()
    rows = {row[0]: row for row in conn.execute("SELECT record_id, record_type, warc_file, offset FROM captures")}
    ids = {r.rec_headers.get_header("WARC-Record-ID"): (name, r.rec_type) for name, r in records
           if r.rec_type != "warcinfo"}
    assert set(rows) == set(ids)
    assert all(rows[i][1] == ids[i][1] and rows[i][2] == ids[i][0] for i in ids)


def test_records_are_linked_and_stored_as_received(captured, wordpress_site):
    records = captured.records()
    by_id = {r.rec_headers.get_header("WARC-Record-ID"): r for _, r in records}
    for _, r in records:
        if r.rec_type == "request":
            target = by_id[r.rec_headers.get_header("WARC-Concurrent-To")]
            assert target.rec_type in ("response", "revisit")
            assert target.rec_headers.get_header("WARC-Target-URI") == r.rec_headers.get_header("WARC-Target-URI")
        if r.rec_type == "response":
            assert r.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
            assert r.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    manifest = wordpress_site.manifest
    zipped = next(a for a in manifest["articles"] if a["gzip"])
    plain = next(a for a in manifest["articles"] if not a["gzip"])
    conn = captured.db()
    for article, encoded in ((zipped, True), (plain, False)):
        row = conn.execute("SELECT warc_file, offset, length FROM captures WHERE canonical = ? AND "
                           "record_type = 'response'", [article["url"]]).fetchone()
        from archive.warc.reader import read_member

        with (captured.data / "warc" / row[0]).open("rb") as f:
            record = read_member(f, row[1], row[2])
            body = record.raw_stream.read()
        headers = record.http_headers
        assert (headers.get_header("Content-Encoding") == "gzip") == encoded
        assert int(headers.get_header("Content-Length")) == len(body)
        assert headers.get_header("Transfer-Encoding") is None
        expected = fetch(article["url"]).content
        assert (gzip.decompress(body) if encoded else body) == expected
    redirect = conn.execute("SELECT status FROM captures WHERE url LIKE '%/sitemap.xml' AND record_type='response'"
                            ).fetchall()
    assert all(r[0] == 301 for r in redirect)


def test_crawl_log_and_crawls_row(captured):
    logs = list((captured.data / "logs").glob("*.crawl.log"))
    assert len(logs) == 1
    lines = [line for line in logs[0].read_text().splitlines() if " -9998 " not in line]  # robots-blocked
    assert len(lines) == len([r for r in captured.requests if r["status"] is not None])
    fields = lines[0].split(" ")
    assert fields[0].endswith("Z") and fields[-1] in ("ok", "http-error") and fields[-2].startswith("sha1:")
    conn = captured.db()
    crawl_row = conn.execute("SELECT status, exit_code, stats, options FROM crawls").fetchone()
    assert crawl_row[0] == "finished" and crawl_row[1] == 0 and '"finish_reason": "finished"' in crawl_row[2]
    files = conn.execute("SELECT name, size, sha256, records FROM warc_files").fetchall()
    import hashlib

    for name, size, sha256, count in files:
        path = captured.data / "warc" / name
        assert path.stat().st_size == size and hashlib.sha256(path.read_bytes()).hexdigest() == sha256
        rows = conn.execute("SELECT count(*) FROM captures WHERE warc_file = ?", [name]).fetchone()[0]
        assert count == rows + 1  # and the warcinfo record
    schema = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    assert schema >= 1 and conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_verify_is_clean_then_names_a_truncated_file_and_a_wrong_offset(captured, tmp_path):
    result = arshif("--data", str(captured.data), "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    copy = tmp_path / "data"
    shutil.copytree(captured.data, copy)
    victim = sorted((copy / "warc").glob("*.warc.gz"))[0]
    with victim.open("r+b") as f:
        f.truncate(victim.stat().st_size - 1000)
    result = arshif("--data", str(copy), "verify")
    assert result.returncode == 1 and victim.name in result.stdout
    shutil.rmtree(copy)
    shutil.copytree(captured.data, copy)
    conn = sqlite3.connect(copy / "archive.db")
    record_id = conn.execute("SELECT record_id FROM captures WHERE record_type = 'response' LIMIT 1 OFFSET 5"
                             ).fetchone()[0]
    conn.execute("UPDATE captures SET offset = offset + 7 WHERE record_id = ?", [record_id])
    conn.commit()
    conn.close()
    result = arshif("--data", str(copy), "verify")
    assert result.returncode == 1 and record_id in result.stdout


def test_second_crawl_writes_revisits_not_duplicates(replica_factory, tmp_path):
    site = replica_factory(articles=40)
    data = tmp_path / "data"
    first = crawl(site, data)
    second = crawl(site, data, "--fresh")  # without --fresh, unchanged articles are not even fetched again
    assert first.returncode == second.returncode == 0
    conn = first.db()
    # every URL of crawl 1 again, as revisits; the soft-404 probe of each URL pattern is a new URL every run
    counts = dict(conn.execute("SELECT record_type, count(*) FROM captures WHERE crawl_id = 2 "
                               "AND url NOT LIKE '%/arshif-probe-%' GROUP BY 1"))
    assert counts.get("response", 0) == 0 and counts["revisit"] == counts["request"] > 40
    profile = conn.execute("SELECT DISTINCT revisit_profile FROM captures WHERE record_type = 'revisit'").fetchall()
    assert [tuple(p) for p in profile] == [("identical-payload-digest",)]
    assert arshif("--data", str(data), "verify", "--deep").returncode == 0


def test_warc_files_rotate_at_the_size_limit(replica_factory, tmp_path):
    site = replica_factory(articles=40)
    run = crawl(site, tmp_path / "data", "--warc-max-size", "100K")
    assert run.returncode == 0, run.stderr
    files = run.warc_files()
    assert len(files) >= 3
    conn = run.db()
    assert conn.execute("SELECT count(*) FROM warc_files WHERE closed IS NOT NULL").fetchone()[0] == len(files)
    # request/response pairs never straddle two files
    pairs = conn.execute("SELECT r.warc_file = q.warc_file FROM captures q JOIN captures r "
                         "ON q.concurrent_to = r.record_id").fetchall()
    assert pairs and all(p[0] for p in pairs)
    assert arshif("--data", str(tmp_path / "data"), "verify").returncode == 0


def test_bad_options_are_usage_errors(tmp_path):
    result = arshif("--data", str(tmp_path), "crawl", "--site", "http://127.0.0.1:9/", "--warc-max-size", "lots")
    assert result.returncode == 2 and "--warc-max-size" in result.stderr
    result = arshif("--data", str(tmp_path / "nothing"), "verify")
    assert result.returncode == 1 and "no archive" in result.stderr


# -- pywb, the archivists' replay engine, reads our WARCs -----------------------------------------------------------
PYWB = ROOT / ".venv-pywb" / "bin" / "wayback"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pywb(captured, tmp_path_factory):
    if not PYWB.exists():
        if os.environ.get("CI"):
            pytest.fail("pywb is missing: make install should have built .venv-pywb")
        pytest.skip("pywb not installed (.venv-pywb): run make install")
    root = tmp_path_factory.mktemp("pywb")
    warc = captured.data / "warc"
    (root / "config.yaml").write_text(
        f"collections:\n  arshif:\n    index_paths: {warc / 'index.cdxj'}\n    archive_paths: {warc}/\n")
    port = _free_port()
    proc = subprocess.Popen([str(PYWB), "-p", str(port), "-b", "127.0.0.1"], cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/arshif"
    wait_until_answering(f"http://127.0.0.1:{port}/")
    yield base
    proc.terminate()
    proc.wait()


@pytest.mark.parametrize("encoded", [True, False], ids=["gzip-page", "plain-page"])
def test_pywb_replays_our_captures(pywb, captured, wordpress_site, encoded):
    article = next(a for a in wordpress_site.manifest["articles"]
                   if a["gzip"] == encoded and not a["large"] and a["encoding"] == "utf-8")
    ts = captured.db().execute("SELECT timestamp FROM captures WHERE canonical = ? AND record_type = 'response'",
                               [article["url"]]).fetchone()[0]
    original = fetch(article["url"]).content  # the replica's own rendering, uncompressed
    raw = fetch(f"{pywb}/{ts}id_/{article['url']}", headers={"Accept-Encoding": "identity"})
    assert raw.status == 200
    assert raw.content == original
    page = fetch(f"{pywb}/{ts}mp_/{article['url']}")
    assert page.status == 200
    from html import escape

    assert f"<title>{escape(article['title'])} - الإيطالية نيوز</title>" in page.text
