"""A gzip bomb stored as a real response, through real crawls: every reader of the record is bounded, the record is
kept and named, and no command that handles other records dies on it (issue 27, Deliver 1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawling import ROOT
from tests.measure import Measured, measured
from tests.warc.hostile_records import BOMB, GOOD, SECOND, STYLE, HostileSite

# Scrapy's own limit on a download, lowered as issue 27's bounded crawling will lower it: the bomb is stored raw
# (the recorder sees the body before it is decoded) and dropped by Scrapy's decoder once past this
CRAWL = ("--set", "DOWNLOAD_MAXSIZE=33554432")
PEAK_RSS = 600 << 20  # bytes: the bound on a crawl's peak, and on every command here
READER_RSS = 200 << 20  # a command that only reads the archive: a bomb is refused before its payload limit is held

def arshif(data: Path, *args: str) -> Measured:
    """`arshif --data DATA ARGS`, its peak RSS measured in a process of its own."""
    return measured([sys.executable, "-m", "archive", "--data", str(data), *args], ROOT)


def bounded(run: Measured, status: int = 0) -> Measured:
    assert run.returncode == status, run
    assert "Traceback" not in run.stderr, run
    assert run.peak < PEAK_RSS, run
    return run


@pytest.fixture(scope="module")
def bombed(tmp_path_factory):
    """Crawl 1 stores the bomb; the site then publishes a second article, and crawl 2 must still archive it."""
    data = tmp_path_factory.mktemp("hostile-records") / "data"
    with HostileSite() as site:
        first = arshif(data, "crawl", "--site", site.url + "/", *CRAWL)
        site.server.articles.append(SECOND)
        second = arshif(data, "crawl", "--site", site.url + "/", *CRAWL)
    return site.url, data, first, second


def run_logs(data: Path) -> str:
    """Every run's log in the data directory, as one text."""
    return "".join(p.read_text() for p in (data / "logs").glob("*.log"))


def articles(data: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(data / "archive.db") as conn:
        return {row[0] for row in conn.execute("select canonical from articles")}


def test_the_bomb_is_stored_raw_and_the_next_crawl_archives_the_new_article(bombed):
    url, data, first, second = bombed
    bounded(first)
    assert f"{url}{GOOD}" in articles(data)
    bounded(second)
    assert {f"{url}{GOOD}", f"{url}{SECOND}"} <= articles(data)
    log = run_logs(data)
    # crawl 1 archives the raw answer and says it is not read (Scrapy's decoder stops at DOWNLOAD_MAXSIZE); the page
    # is noted as no article, so crawl 2's catch-up does not try it again
    assert f"{url}{BOMB}: its Content-Encoding decodes past DOWNLOAD_MAXSIZE (33554432 bytes): the raw answer is " \
           "archived" in log
    assert "answer(s) whose Content-Encoding decodes past DOWNLOAD_MAXSIZE, archived raw, not read" in first.stderr
    assert "records_over_limit/not_extracted" not in log


def test_verify_deep_checks_the_bomb_by_streaming_and_notes_it(bombed):
    url, data, _, _ = bombed
    run = bounded(arshif(data, "verify", "--deep"))
    assert "archive verified: no problems" in run.stderr + run.stdout
    notes = [line for line in (run.stderr + run.stdout).splitlines() if line.startswith("note: ")]
    assert len(notes) == 2, run  # the article and the stylesheet, each stored once (crawl 2's copies are revisits)
    for path in (BOMB, STYLE):
        assert sum(f"{url}{path}: its payload decodes past 256 MiB (ARSHIF_PAYLOAD_LIMIT): kept, served raw" in note
                   for note in notes) == 1, run


def test_reextract_and_rebuild_name_the_bomb_and_keep_every_article(bombed):
    url, data, _, _ = bombed
    for command in ("reextract", "rebuild"):
        run = bounded(arshif(data, command))
        assert run.peak < READER_RSS, run
        assert f"{url}{BOMB}: kept in the archive (served raw), not extracted" in run.stderr, run
        assert {f"{url}{GOOD}", f"{url}{SECOND}"} <= articles(data)


def test_show_says_in_one_line_that_the_record_is_too_large(bombed):
    url, data, _, _ = bombed
    run = bounded(arshif(data, "show", "--format", "html", url + BOMB), status=1)
    assert run.peak < READER_RSS, run
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "too large to show" in lines[0], run


def test_a_wacz_export_carries_the_bomb_stylesheet_but_leaves_it_out_of_its_index(bombed, tmp_path):
    import zipfile

    url, data, _, _ = bombed
    run = bounded(arshif(data, "export", "--format", "wacz", "-o", str(tmp_path / "out.wacz")))
    assert run.peak < READER_RSS, run
    assert f"{url}{STYLE}: copied into the WACZ, left out of its index (served raw only)" in run.stderr, run
    with zipfile.ZipFile(tmp_path / "out.wacz") as wacz:
        index = wacz.read("indexes/index.cdx").decode()
        with wacz.open("archive/data.warc.gz") as stored:
            carried = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(stored)]
    assert "lqaa-alwazir" in index and "style.css" not in index
    assert ("response", f"{url}{STYLE}") in carried  # the bomb's record is in the WACZ, as stored


def responses_indexed(data: Path) -> str:
    """index.cdxj without its revisit lines: a revisit of a record left out keeps its line, and pywb, finding no
    original to replay, replays nothing (the web UI says why in one line)."""
    lines = (data / "warc" / "index.cdxj").read_text().splitlines()
    return "\n".join(line for line in lines if '"warc/revisit"' not in line)


def test_the_bombs_are_left_out_of_index_cdxj_and_named(bombed):
    url, data, first, second = bombed
    index = responses_indexed(data)
    assert GOOD.strip("/") in index and SECOND.strip("/") in index
    assert BOMB.strip("/") not in index and "style.css" not in index
    log = run_logs(data)
    assert f"{url}{BOMB} decodes past 256 MiB (ARSHIF_PAYLOAD_LIMIT): kept, served raw, left out of the replay " \
           "index" in log
    assert "'arshif/records_over_limit/not_indexed': 2" in log


def test_the_web_ui_says_so_in_one_line_and_serves_the_stored_bytes_raw(bombed):
    from tests.warc.hostile_records import bomb
    from tests.web.test_serve import Served

    url, data, _, _ = bombed
    server = Served(data)
    try:
        page = server.get(f"/web/2026/{url}{BOMB}")
        assert page.status == 413
        assert f"{url}{BOMB}" in page.text and "kept as stored, served raw only" in page.text
        raw = server.get(f"/web/2026id_/{url}{BOMB}")
        assert raw.status == 200 and raw.headers["content-type"] == "application/octet-stream"
        assert raw.body == bomb()  # the bytes as the site sent them, never decoded
        good = server.get(f"/web/2026/{url}{GOOD}")
        assert good.status == 200
    finally:
        server.stop()


def test_the_limits_are_settings_of_the_crawl(tmp_path):
    """Lowered for one crawl: the payload limit names the bomb at 64 MiB, the member limit at 4 MiB (the bomb's
    10 MiB body is one WARC record, its gzip member inflating to just over 10 MiB)."""
    data = tmp_path / "data"
    with HostileSite() as site:
        bounded(arshif(data, "crawl", "--site", site.url + "/", *CRAWL, "--set", "ARSHIF_PAYLOAD_LIMIT=64M"))
        log = run_logs(data)
        assert f"{site.url}{BOMB} decodes past 64 MiB (ARSHIF_PAYLOAD_LIMIT)" in log
        other = tmp_path / "other"
        bounded(arshif(other, "crawl", "--site", site.url + "/", *CRAWL, "--set", "ARSHIF_RECORD_LIMIT=4M"))
    # the crawl's closing of its file reads each member once, and stops at the member limit
    closing = [line for line in run_logs(other).splitlines() if "inflates past 4 MiB" in line]
    assert len(closing) == 2, closing  # the bomb as an article and as a stylesheet


def test_every_command_takes_the_limits_from_the_environment(bombed):
    """$ARSHIF_PAYLOAD_LIMIT changes the limit of every reader, not only the crawl's; a value that is not a size is
    one line and exit status 2."""
    url, data, _, _ = bombed
    lowered = {**os.environ, "ARSHIF_PAYLOAD_LIMIT": "64M"}
    done = subprocess.run([sys.executable, "-m", "archive", "--data", str(data), "verify", "--deep"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=lowered)
    assert done.returncode == 0, done.stderr
    assert f"{url}{BOMB}: its payload decodes past 64 MiB (ARSHIF_PAYLOAD_LIMIT)" in done.stdout + done.stderr
    for command in (["verify"], ["show", "--format", "html", url + GOOD]):
        done = subprocess.run([sys.executable, "-m", "archive", "--data", str(data), *command], cwd=ROOT,
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "ARSHIF_PAYLOAD_LIMIT": "lots"})
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == "arshif: ARSHIF_PAYLOAD_LIMIT: not a size: 'lots' (examples: 1G, 500M, 20000)"
