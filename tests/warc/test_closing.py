"""Closing a WARC file (archive/warc/closing.py) and the revisit rule (archive/warc/revisits.py): one path for the
crawl's rotation, recovery, rebuild and ingest, and one original per revisit for show, CDXJ and WACZ (issue 26)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.cli import cli
from archive.core.paths import cdxj_index, database, warc_dir
from archive.export import wacz
from archive.history import snapshots
from archive.ops.rebuild import rebuild
from archive.store.database import Store
from archive.warc.indexer import index_lines
from archive.warc.writer import RotatingWarcWriter

NAME = "arshif-20260101000000-00000.warc.gz"


def _text(seed: int) -> bytes:
    rng = random.Random(seed)
    words = " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(3000))
    return f"<html><head><title>page {seed}</title></head><body><p>{words}</p></body></html>".encode()


def _http(status: str, body: bytes, extra: tuple = ()) -> StatusAndHeaders:
    headers = [("Content-Type", "text/html; charset=utf-8"), *extra]
    if body:
        headers.append(("Content-Length", str(len(body))))
    return StatusAndHeaders(status, headers, protocol="HTTP/1.1")


def index_fields(data: Path) -> list[dict]:
    """The fields of every line of warc/index.cdxj."""
    return [json.loads(line.split(" ", 2)[2]) for line in cdxj_index(data).read_text(encoding="utf-8").splitlines()]


# -- one closing path: a damaged member in a file the crawl closes ---------------------------------------------------
@pytest.fixture
def session(tmp_path):
    """The crawl's ArchiveSession, made by Scrapy from settings as a crawl makes it, with its archive open."""
    from scrapy.utils.test import get_crawler

    import settings as project
    from crawler.extensions.session import ArchiveSession

    data = tmp_path / "data"
    warc_dir(data).mkdir(parents=True)
    values = {name: getattr(project, name) for name in dir(project) if name.startswith("ARSHIF_")}
    crawler = get_crawler(settings_dict={**values, "ARSHIF_DATA": str(data), "USER_AGENT": "arshif-tests"})
    archive = ArchiveSession.from_crawler(crawler)
    archive.store = Store(database(data))
    archive.crawl_id = archive.store.start_crawl("http://example.test/", {}, None)
    archive.writer = RotatingWarcWriter(warc_dir(data), archive.max_size, archive._warcinfo,
                                        on_open=archive._file_opened, on_close=archive._file_closed)
    yield archive
    archive.store.close()


def test_a_damaged_member_in_a_file_the_crawl_closes_costs_that_record_only(session):
    """The crawl's rotation indexed a closed file with cdxj-indexer alone, which ends a file at a damaged member
    without a word or raises on the bytes after it: the rest of the file was missing from index.cdxj."""
    writer = session.writer
    placed = []
    for i in range(6):
        record = writer.create_record(f"http://example.test/page-{i}/", "response", payload=io.BytesIO(_text(i)),
                                      http_headers=_http("200 OK", _text(i)))
        placed.append(writer.write(record))
    writer.sync()
    name, offset, length = placed[2]
    raw = bytearray(writer.path.read_bytes())
    raw[offset + length // 2] ^= 0x10
    writer.path.write_bytes(bytes(raw))
    closed = writer.close()
    assert [(d.offset, d.length) for d in closed.damaged] == [(offset, length)]
    assert closed.records == 1 + 5  # warcinfo and the whole responses
    lines = index_fields(session.data)
    assert sorted(int(f["offset"]) for f in lines) == [o for _, o, _ in placed if o != offset], lines
    assert session.stats.get_value("arshif/warc_damaged_records") == 1
    row = session.store.warc_file(name)
    assert row["size"] == closed.size and row["sha256"] == closed.sha256 and row["records"] == 6


def test_our_lines_are_cdxj_indexers_own(session, tmp_path):
    """The lines the one read of a file makes are those cdxj-indexer makes of the file, request records and
    revisits included."""
    from cdxj_indexer.main import CDXJIndexer

    writer = session.writer
    body = _text(1)
    first = writer.create_record("http://example.test/a/", "response", payload=io.BytesIO(body),
                                 http_headers=_http("200 OK", body))
    writer.write(first)
    writer.write(writer.create_record("http://example.test/a/", "request", payload=io.BytesIO(b""),
                                      http_headers=StatusAndHeaders("GET /a/ HTTP/1.1", [("Host", "example.test")],
                                                                    is_http_request=True),
                                      warc_headers_dict={"WARC-Concurrent-To":
                                                         first.rec_headers.get_header("WARC-Record-ID")}))
    writer.write(writer.create_revisit_record("http://example.test/a/", first.rec_headers.get_header(
        "WARC-Payload-Digest"), "http://example.test/a/", first.rec_headers.get_header("WARC-Date"),
        http_headers=_http("200 OK", b"")))
    closed = writer.close()
    out = io.StringIO()
    with closed.path.open("rb") as f:
        CDXJIndexer(out, [f], filename=closed.name).process_all()
    assert index_lines(closed.path) == out.getvalue().splitlines() and len(out.getvalue().splitlines()) == 2


# -- one revisit rule ----------------------------------------------------------------------------------------------
def _digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _response(writer, url: str, date: str, record_id: str, body: bytes, etag: str):
    return writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                     http_headers=_http("200 OK", body, (("ETag", etag),)),
                                     warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": record_id})


def _not_modified(writer, url: str, date: str, record_id: str, refers: tuple[str, str, str]):
    """A server-not-modified revisit as the crawl writes it: Refers-To, its target URI and date, its digest."""
    refers_id, refers_date, digest = refers
    record = writer.create_revisit_record(url, digest, url, refers_date, http_headers=_http("304 Not Modified", b""),
                                          warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": record_id,
                                                             "WARC-Refers-To": refers_id})
    record.rec_headers.replace_header("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified")
    return record


SAME = "http://example.test/same-payload-twice/"
GONE = "http://example.test/confirmed-response-elsewhere/"
DAY = "2026-01-0{}T00:00:00Z"


@pytest.fixture
def revisits(tmp_path) -> Path:
    """Two pages whose 304s the old rules resolved apart.

    SAME: one payload fetched in full twice (day 1, day 2: another ETag), then a 304 on day 3 whose Refers-To names
    day 1 — the CDXJ index took the latest response with the digest (day 2), show and the WACZ day 1.
    GONE: a page on day 1, changed on day 2, then a 304 on day 3 confirming a response with day 1's payload fetched
    by another worker on day 2 at noon, whose file is not in this archive — show let the 304 confirm the latest
    response whatever its digest (day 2's other page), the CDXJ index and the WACZ day 1's."""
    data = tmp_path / "data"
    warc_dir(data).mkdir(parents=True)
    same, first, second = _text(10), _text(20), _text(21)
    with (warc_dir(data) / NAME).open("wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(NAME, {"isPartOf": "arshif-crawl-1"}))
        writer.write_record(_response(writer, SAME, DAY.format(1), "<urn:uuid:same-1>", same, '"e1"'))
        writer.write_record(_response(writer, GONE, DAY.format(1), "<urn:uuid:gone-1>", first, '"g1"'))
        writer.write_record(_response(writer, SAME, DAY.format(2), "<urn:uuid:same-2>", same, '"e2"'))
        writer.write_record(_response(writer, GONE, DAY.format(2), "<urn:uuid:gone-2>", second, '"g2"'))
        writer.write_record(_not_modified(writer, SAME, DAY.format(3), "<urn:uuid:same-304>",
                                          ("<urn:uuid:same-1>", DAY.format(1), _digest(same))))
        writer.write_record(_not_modified(writer, GONE, DAY.format(3), "<urn:uuid:gone-304>",
                                          ("<urn:uuid:elsewhere>", "2026-01-02T12:00:00Z", _digest(first))))
    rebuild(data)  # the database and index.cdxj, both from the WARC file by the one closing path
    return data


@pytest.mark.parametrize("url, expected", [(SAME, "<urn:uuid:same-1>"), (GONE, "<urn:uuid:gone-1>")])
def test_show_cdxj_and_wacz_pick_one_original(revisits, url, expected):
    with Store.open_for_reading(revisits) as store:
        revisit = snapshots.captures(store, url)[-1]
        assert revisit.revisit and revisit.status == 304
        at = next(c["offset"] for c in store.page_captures(url) if c["record_id"] == expected)
        shown = snapshots.resolve(store, revisit)
        chosen = wacz.Selection(store, warc_dir(revisits))
        exported = chosen.original(next(c for c in wacz.as_captures(store.page_captures(url))
                                        if c.record_id == revisit.record_id))
    line = next(f for f in index_fields(revisits) if f.get("revisit.offset") == str(revisit.offset))
    assert line["offset"] == str(at), line  # the 304's line, resolved to the original it confirms
    assert shown.record_id == expected
    assert exported.record_id == expected
    html = CliRunner().invoke(cli, ["--data", str(revisits), "show", url, "--at", revisit.timestamp, "--format",
                                    "html"])
    assert html.exit_code == 0 and html.stdout_bytes == (_text(10) if url == SAME else _text(20))


def test_a_304s_line_follows_the_original_a_later_file_brings(tmp_path):
    """A worker's 304 confirms a response another worker captured; the archive first has only an older response
    with the same payload. Once that worker's file is taken in, the index (already resolved to the older one) and
    `show` both take the response the 304 names — the index used to keep its first answer."""
    data = tmp_path / "data"
    warc_dir(data).mkdir(parents=True)
    body = _text(30)
    files = {"arshif-20260101000000-00000.warc.gz": [lambda w: _response(w, SAME, DAY.format(1), "<urn:uuid:old>",
                                                                         body, '"a"')],
             "arshif-20260103000000-00000.warc.gz": [lambda w: _not_modified(
                 w, SAME, DAY.format(3), "<urn:uuid:r>", ("<urn:uuid:named>", DAY.format(2), _digest(body)))],
             "arshif-20260103000000-w2-00000.warc.gz": [lambda w: _response(w, SAME, DAY.format(2),
                                                                            "<urn:uuid:named>", body, '"b"')]}
    for name, records in files.items():
        with (warc_dir(data) / name).open("wb") as f:
            writer = WARCWriter(f, gzip=True, warc_version="1.1")
            writer.write_record(writer.create_warcinfo_record(name, {"software": "test"}))
            for make in records:
                writer.write_record(make(writer))
    rebuild(data)  # file by file, in name order: the 304 is resolved when its file is, again when the third comes
    with Store.open_for_reading(data) as store:
        revisit = snapshots.captures(store, SAME)[-1]
        named = next((c["warc_file"], c["offset"]) for c in store.page_captures(SAME)
                     if c["record_id"] == "<urn:uuid:named>")
        shown = snapshots.resolve(store, revisit)
    line = next(f for f in index_fields(data) if f.get("revisit.offset") == str(revisit.offset))
    assert (line["filename"], line["offset"]) == (named[0], str(named[1]))
    assert shown.record_id == "<urn:uuid:named>"
