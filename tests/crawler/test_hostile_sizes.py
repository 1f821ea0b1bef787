"""Sizes meant to hurt, through a real crawl (issue 27, Deliver 2 and 4): a download past DOWNLOAD_MAXSIZE is kept as
far as it came with `WARC-Truncated: length`, a body that decodes past it is archived raw and named, pages past
ARSHIF_ARTICLE_MAX_SIZE are never parsed, none of them is an article, every cut is said, and the crawl's peak memory
stays under 600 MiB, at the real defaults."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawler.hostile_sizes import (
    ARTICLES,
    BIG,
    BOMB,
    DEEP,
    ENDLESS,
    GIANT,
    HOSTILE,
    LIAR,
    TOPICS,
    SizesSite,
)
from tests.crawling import ROOT, arshif
from tests.measure import measured

pytestmark = pytest.mark.slow

QUICK = ("--no-assets", "--set", "RETRY_TIMES=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "DOWNLOAD_TIMEOUT=20")
PEAK_RSS = 600 << 20
CUT = (GIANT, LIAR, ENDLESS)         # cut at DOWNLOAD_MAXSIZE
TOO_LARGE = (DEEP, BIG, BOMB)        # whole (or decoded past the limit), and past ARSHIF_ARTICLE_MAX_SIZE


def crawl_once(folder: Path) -> dict:
    data = folder / "data"
    with SizesSite() as site:
        started = time.monotonic()
        done = measured([sys.executable, "-m", "archive", "--data", str(data), "crawl", "--site", site.url + "/",
                         *QUICK], ROOT, timeout=300)
        seconds = time.monotonic() - started
        time.sleep(0.5)  # the senders notice the closed connections
        stopped = sorted(site.stopped)
    print(f"\nhostile sizes crawl: {seconds:.1f} s, peak RSS {done.peak >> 20} MiB")
    return {"url": site.url, "data": str(data), "returncode": done.returncode, "stdout": done.stdout,
            "err": done.stderr, "peak": done.peak, "stopped": stopped}


def rederive(crawl: dict, folder: Path) -> dict:
    """On a copy of the crawled archive: `reextract` (the library, for its counts), then `arshif rebuild`."""
    from archive.ops.rebuild import reextract

    copy = folder / "data"
    shutil.copytree(crawl["data"], copy)
    outcome = reextract(copy)
    with sqlite3.connect(copy / "archive.db") as conn:
        detection = dict(conn.execute("SELECT canonical, detection FROM urls WHERE is_article = 0"))
    rebuilt = arshif("--data", str(copy), "rebuild", timeout=120)
    with sqlite3.connect(copy / "archive.db") as conn:
        stored = sorted(row[0] for row in conn.execute("SELECT canonical FROM articles"))
    return {"outcome": dict(outcome), "detection": detection, "rebuilt": [rebuilt.returncode, rebuilt.stdout,
            rebuilt.stderr], "stored": stored}


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """One crawl for every test worker (tests/shared.py)."""
    from tests.shared import shared

    with shared(tmp_path_factory, "hostile-sizes", crawl_once) as made:
        yield made


@pytest.fixture(scope="module")
def crawled(state):
    done = subprocess.CompletedProcess([], state["returncode"], state["stdout"], state["err"])
    return state["url"], Path(state["data"]), done, state["err"], state["peak"], state["stopped"]


@pytest.fixture(scope="module")
def rederived(state, tmp_path_factory):
    from tests.shared import shared

    with shared(tmp_path_factory, "hostile-sizes-rederived", lambda folder: rederive(state, folder)) as made:
        rebuilt = subprocess.CompletedProcess([], *made["rebuilt"])
        yield state["url"], made["outcome"], made["detection"], rebuilt, made["stored"]


def test_the_crawl_ends_well_within_its_memory_bound(crawled):
    url, data, done, err, peak, stopped = crawled
    assert done.returncode == 0, done.stdout + err[-4000:]
    assert "Traceback" not in err, err[-4000:]
    assert peak <= PEAK_RSS, f"peak RSS {peak >> 20} MiB"
    assert {LIAR, ENDLESS} <= set(stopped)  # the endless senders stopped when the crawler did
    run_log = "".join(p.read_text() for p in (data / "logs").glob("*[0-9].log"))
    assert "ERROR" not in run_log, [line for line in run_log.splitlines() if "ERROR" in line]


def test_real_articles_are_stored_once_and_no_hostile_page_is_an_article(crawled):
    url, data, *_ = crawled
    with sqlite3.connect(data / "archive.db") as conn:
        stored = [row[0] for row in conn.execute("SELECT canonical FROM articles")]
        titles = {row[0] for row in conn.execute("SELECT title FROM articles")}
        detection = dict(conn.execute("SELECT canonical, detection FROM urls WHERE is_article = 0"))
    assert sorted(stored) == sorted(url + a for a in ARTICLES)
    assert titles == set(TOPICS)
    for path in CUT:
        assert detection[url + path].startswith("truncated: cut at a size limit"), detection
    for path in (DEEP, BIG):
        assert detection[url + path].endswith("bytes, past ARSHIF_ARTICLE_MAX_SIZE"), detection
    assert detection[url + BOMB].startswith("too large: its Content-Encoding decodes past DOWNLOAD_MAXSIZE")


def test_cut_answers_are_kept_as_far_as_they_came_and_every_record_reads(crawled):
    url, data, *_ = crawled
    responses = {}
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with path.open("rb") as f:
            for record in ArchiveIterator(f):
                size, stream = 0, record.content_stream()  # decoded as a reader would (the bomb: 100 MB)
                while block := stream.read(1 << 20):
                    size += len(block)
                if record.rec_type == "response":
                    responses[record.rec_headers.get_header("WARC-Target-URI")] = (
                        record.rec_headers.get_header("WARC-Truncated"), size)
        check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", str(path)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    for path in CUT:
        truncated, size = responses[url + path]
        assert truncated == "length" and 32 << 20 < size < 34 << 20, (path, truncated, size)
    for path in (*ARTICLES, DEEP, BIG, BOMB):  # whole answers (the bomb stored as it came, gzip)
        assert responses[url + path][0] is None, path
    assert responses[url + BIG][1] > 11_900_000


def test_crawl_log_last_lines_and_stats_name_each_cut(crawled):
    url, data, done, err, *_ = crawled
    log = "".join(p.read_text() for p in (data / "logs").glob("*.crawl.log"))
    outcomes = {}
    for line in log.splitlines():
        fields = line.split()
        outcomes.setdefault(fields[3], []).append(fields[-1])
    for path in CUT:
        assert outcomes[url + path] == ["truncated-length"], outcomes[url + path]
    assert outcomes[url + BOMB] == ["ok", "cut-decompressed-size"]
    said = done.stdout + err
    assert "3 answer(s) cut at DOWNLOAD_MAXSIZE" in said, said[-3000:]
    assert "1 answer(s) whose Content-Encoding decodes past DOWNLOAD_MAXSIZE" in said
    assert "3 truncated page(s) not taken as articles" in said
    assert "3 page(s) past ARSHIF_ARTICLE_MAX_SIZE or ARSHIF_ARTICLE_MAX_TAGS" in said
    stats = arshif("--data", str(data), "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    cut = json.loads(stats.stdout)["crawls"][-1]["cut"]
    assert cut["download_maxsize"] == 3 and cut["decompressed_size"] == 1, cut
    assert cut["truncated_pages"] == 3 and cut["too_large_pages"] == 3, cut
    assert set(HOSTILE) == {*CUT, *TOO_LARGE}


def test_reextract_and_rebuild_never_make_an_article_of_them(rederived):
    url, outcome, detection, rebuilt, stored = rederived
    assert outcome["truncated"] == 3 and outcome["too_large"] == 3, outcome
    assert outcome["gained"] == outcome["lost"] == 0, outcome
    for path in CUT:  # read back from each record's WARC-Truncated
        assert detection[url + path] == "truncated: cut at a size limit (WARC-Truncated: length)"
    for path in TOO_LARGE:
        assert detection[url + path].endswith("bytes, past ARSHIF_ARTICLE_MAX_SIZE"), detection[url + path]
    assert rebuilt.returncode == 0 and "Traceback" not in rebuilt.stderr, rebuilt.stdout + rebuilt.stderr[-3000:]
    assert stored == sorted(url + a for a in ARTICLES)


# -- the component, alone ---------------------------------------------------------------------------------------------
def size_limits(**settings):
    from scrapy.utils.test import get_crawler

    from crawler.middlewares.size import SizeLimits

    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 1000, "ARSHIF_ARTICLE_MAX_SIZE": 500,
                                         "ARSHIF_ARTICLE_MAX_TAGS": 100, **settings})
    return SizeLimits.from_crawler(crawler)


def test_the_limit_is_taken_over_and_the_cut_body_kept():
    from scrapy import Request
    from scrapy.exceptions import StopDownload

    mw = size_limits()
    request = Request("http://127.0.0.1/2022/03/10/x/", meta={"arshif_kind": "article"})
    mw.headers_received({}, "twisted.web.iweb.UNKNOWN_LENGTH", request)
    assert request.meta["download_maxsize"] == 0 and request.meta["arshif_maxsize"] == 1000
    mw.bytes_received(b"x" * 1000, request)  # up to the limit: nothing happens
    with pytest.raises(StopDownload) as stopped:
        mw.bytes_received(b"x", request)
    assert stopped.value.fail is False and request.meta["arshif_truncated"] == "length"
    retry = request.replace()  # a retry carries the meta: the first limit, and the cut forgotten
    mw.headers_received({}, 10, retry)
    assert retry.meta["arshif_maxsize"] == 1000 and "arshif_truncated" not in retry.meta


def test_a_cut_gzip_body_decodes_as_far_as_it_goes_and_garbage_passes_as_it_came():
    import gzip

    from scrapy import Request
    from scrapy.http import HtmlResponse

    mw = size_limits(DOWNLOAD_MAXSIZE=1 << 20)
    page = b"<html><body>" + b"".join(b"<p>%d</p>" % (i * 7919 % 100003) for i in range(5000))
    whole = gzip.compress(page)
    cut = whole[:len(whole) // 2]
    for body, expected in ((cut, page[:1000]), (b"\x1f\x8b\x08 not gzip at all", None)):
        request = Request("http://127.0.0.1/a/", meta={"arshif_kind": "article", "arshif_truncated": "length",
                                                      "arshif_maxsize": 1 << 20})
        response = HtmlResponse(request.url, body=body, headers={"Content-Encoding": "gzip"}, request=request)
        decoded = mw.process_response(request, response)
        assert decoded.body.startswith(expected) if expected else decoded.body == body
        assert request.meta["download_maxsize"] == 1 << 20  # the decoder saw the request's own limit


def test_a_page_past_the_article_limits_is_marked_before_the_spider_parses_it():
    from scrapy import Request
    from scrapy.http import HtmlResponse

    mw = size_limits()
    for body, expected in ((b"<p>" * 50, None), (b"x" * 501, "501 bytes"), (b"<a>" * 101, "101 tags")):
        request = Request("http://127.0.0.1/a/", meta={"arshif_kind": "article"})
        mw.process_response(request, HtmlResponse(request.url, body=body, request=request))
        marked = request.meta.get("arshif_too_large")
        assert (marked is None) if expected is None else marked.startswith(f"too large: {expected}, past")
