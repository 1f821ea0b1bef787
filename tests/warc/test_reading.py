"""The one record reader (archive/warc/reader.py): bounded and streamed, the same bytes warcio gives, and every reader
finds a record in a file still being written (issue 26)."""

from __future__ import annotations

import gzip
import io
import re
import sqlite3
import struct
import subprocess
import sys
import time
import tracemalloc
import warnings
import zlib
from pathlib import Path

import brotli
import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.cli import cli
from archive.core.paths import database, warc_dir
from archive.history.snapshots import NotArchived, TooLarge, captures, payload
from archive.ops.rebuild import rebuild
from archive.store.database import Store
from archive.warc import reader
from archive.warc.indexer import index
from archive.warc.reader import RecordError, RecordTooLarge, read_member
from archive.warc.writer import RotatingWarcWriter
from tests.crawling import ROOT

NAME = "arshif-20260101000000-00000.warc.gz"
BOMB_URL = "http://example.test/bomb/"
BOMB_BYTES = 2 << 30   # what the bomb inflates to …
BLOCK = 1 << 20        # … built from one compressed block of zeros, repeated


def gzip_bomb(size: int = BOMB_BYTES) -> bytes:
    """A valid gzip stream of `size` zero bytes, made without holding them: one 1 MiB block compressed with a full
    flush compresses the same way every time, so it is repeated; the trailer's CRC is computed block by block."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(BLOCK)
    chunk = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = 0
    for _ in range(size // BLOCK):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + chunk * (size // BLOCK) + end + struct.pack("<II", crc, size & 0xFFFFFFFF)


def response(create, url: str, body: bytes, headers: list[tuple[str, str]], date: str = "2026-01-01T00:00:00Z"):
    """A response record made by `create` (a writer's record factory)."""
    http = StatusAndHeaders("200 OK", [*headers, ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    return create(url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict={"WARC-Date": date})


def one_record(tmp_path: Path, body: bytes, headers: list[tuple[str, str]]) -> tuple[Path, int, int]:
    """A WARC file holding one response; (path, offset, length) of its member."""
    path = tmp_path / NAME
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="1.1")
        writer.write_record(response(writer.create_warc_record, "http://example.test/x", body, headers))
    return path, 0, path.stat().st_size


def warcio_payload(path: Path) -> bytes:
    with path.open("rb") as f:
        return next(iter(ArchiveIterator(f))).content_stream().read()


# -- the same bytes as warcio --------------------------------------------------------------------------------------
PAGE = ("<html><body>" + "صفحة " * 20_000 + "</body></html>").encode()


def _chunked(data: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + 5000]), data[i:i + 5000]) for i in range(0, len(data), 5000)) \
        + b"0\r\n\r\n"


def _deflate(data: bytes, wbits: int) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return c.compress(data) + c.flush()


ENCODED = {
    "plain": (PAGE, []),
    "gzip": (gzip.compress(PAGE), [("Content-Encoding", "gzip")]),
    "deflate (zlib)": (_deflate(PAGE, 15), [("Content-Encoding", "deflate")]),
    "deflate (bare)": (_deflate(PAGE, -15), [("Content-Encoding", "deflate")]),
    "br": (brotli.compress(PAGE), [("Content-Encoding", "br")]),
    "gzip, chunked": (_chunked(gzip.compress(PAGE)), [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]),
    "says gzip, is not": (PAGE, [("Content-Encoding", "gzip")]),
    "gzip, cut short": (gzip.compress(PAGE)[:-3000], [("Content-Encoding", "gzip")]),
    "x-gzip (warcio leaves it)": (gzip.compress(PAGE), [("Content-Encoding", "x-gzip")]),
}


@pytest.mark.parametrize("kind", list(ENCODED))
@pytest.mark.parametrize("streamed", [False, True])
def test_payload_is_what_warcio_gives(tmp_path, monkeypatch, kind, streamed):
    if streamed:  # members inflated a block at a time, as large ones are
        monkeypatch.setattr(reader, "ONE_READ", 4096)
        monkeypatch.setattr(reader, "ONE_CALL", 4096)
        monkeypatch.setattr(reader, "BLOCK", 4096)
    body, headers = ENCODED[kind]
    path, offset, length = one_record(tmp_path, body, headers)
    # warcio 1.8.1's own br decoding fails with brotli 1.2 (it sets an attribute brotli's Decompressor lacks)
    expected = PAGE if kind == "br" else warcio_payload(path)
    with path.open("rb") as fh:
        record = read_member(fh, offset, length)
        assert record.payload() == expected
        assert record.raw_stream.read() == b""
    with path.open("rb") as fh:
        assert read_member(fh, offset, length).raw_stream.read() == body


def test_a_damaged_large_member_is_named_when_reading_reaches_it(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "ONE_READ", 4096)
    monkeypatch.setattr(reader, "ONE_CALL", 4096)
    path, offset, length = one_record(tmp_path, PAGE, [])
    raw = bytearray(path.read_bytes())
    raw[length - 6] ^= 0x01  # the CRC in the member's trailer: only the end of the member tells
    path.write_bytes(bytes(raw))
    with path.open("rb") as fh:
        record = read_member(fh, offset, length)
        with pytest.raises(RecordError, match="damaged") as caught:
            record.payload()
    assert isinstance(caught.value, ValueError) and caught.value.offset == offset and caught.value.file == NAME


def test_a_member_that_inflates_past_the_limit_is_refused_with_where_it_is(tmp_path):
    path, offset, length = one_record(tmp_path, bytes(3 << 20), [])
    with path.open("rb") as fh, pytest.raises(RecordTooLarge, match=f"warc/{NAME} at offset 0"):
        read_member(fh, offset, length, limit=1 << 20).payload()
    with path.open("rb") as fh:
        assert len(read_member(fh, offset, length, limit=4 << 20).payload()) == 3 << 20


# -- a gzip bomb ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bomb_archive(tmp_path_factory) -> Path:
    """An archive whose one page was served as a gzip bomb: 2 MB stored, 2 GiB once its Content-Encoding is undone."""
    data = tmp_path_factory.mktemp("bomb") / "data"
    warc_dir(data).mkdir(parents=True)
    with (warc_dir(data) / NAME).open("wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(NAME, {"software": "test"}))
        writer.write_record(response(writer.create_warc_record, BOMB_URL, gzip_bomb(),
                                     [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]))
    rebuild(data)  # its extraction meets the bomb too: counted unreadable
    return data


def test_a_gzip_bomb_is_refused_quickly_with_bounded_memory(bomb_archive):
    with Store(database(bomb_archive)) as store:
        capture = captures(store, BOMB_URL)[-1]
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(TooLarge, match="too large to show") as caught:
            payload(bomb_archive, capture)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(caught.value, NotArchived)
    assert time.monotonic() - started < 20
    assert peak < reader.PAYLOAD_LIMIT + (32 << 20), peak  # the limit, not the 2 GiB the old reader held
    # a smaller limit, a smaller bound: memory follows the limit, not the bomb
    tracemalloc.start()
    try:
        with (warc_dir(bomb_archive) / NAME).open("rb") as fh, pytest.raises(RecordTooLarge):
            read_member(fh, capture.offset, capture.length).payload(limit=8 << 20)
        assert tracemalloc.get_traced_memory()[1] < 24 << 20
    finally:
        tracemalloc.stop()


def test_show_of_a_gzip_bomb_is_one_line_in_bounded_memory(bomb_archive):
    """The command as a user runs it, in a process of its own whose peak memory is measured."""
    wrapper = ("import resource, runpy, sys\n"
               "sys.argv = ['arshif'] + sys.argv[1:]\n"
               "try:\n    runpy.run_module('archive', run_name='__main__')\n"
               "except SystemExit as exc:\n    code = exc.code\n"
               "print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
               "sys.exit(code)\n")
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-c", wrapper, "--data", str(bomb_archive), "show", BOMB_URL, "--format",
                          "html"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    seconds = time.monotonic() - started
    maxrss_kib = int(re.search(r"maxrss (\d+)", run.stderr).group(1))
    lines = [line for line in run.stderr.splitlines() if not line.startswith("maxrss") and "pkg_resources" not in line]
    assert run.returncode == 1 and run.stdout == "", run.stderr
    assert len(lines) == 1 and "too large" in lines[0], run.stderr
    assert maxrss_kib < 700 << 10, maxrss_kib   # the old reader held all 2 GiB (and more while joining it)
    assert seconds < 30


def test_rebuild_counts_a_bomb_unreadable_and_goes_on(bomb_archive):
    conn = sqlite3.connect(database(bomb_archive))
    assert conn.execute("SELECT count(*) FROM captures WHERE url = ?", [BOMB_URL]).fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0


# -- a file still being written ------------------------------------------------------------------------------------
OPEN_URL = "http://example.test/while-crawling/"
OPEN_BODY = "<html><head><title>أثناء الزحف</title></head><body><p>نص المقال</p></body></html>".encode()


@pytest.fixture
def open_archive(tmp_path) -> Path:
    """The state of a crawl in progress: a capture indexed and pointing into `<name>.open`, never closed."""
    data = tmp_path / "data"
    warc_dir(data).mkdir(parents=True)
    store = Store(database(data))
    writer = RotatingWarcWriter(warc_dir(data), 1 << 30, lambda name: {"software": "test"})
    writer.write(response(writer.create_record, OPEN_URL, gzip.compress(OPEN_BODY),
                          [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]))
    writer.sync()
    store.add_warc_file(writer.name, None)
    store.add_captures(index(writer.path, writer.name).rows)
    store.close()
    assert writer.path.name.endswith(".open") and not (warc_dir(data) / writer.name).exists()
    return data


def test_show_warc_and_html_of_a_capture_in_a_file_being_written(open_archive):
    raw = CliRunner().invoke(cli, ["--data", str(open_archive), "show", OPEN_URL, "--format", "warc"])
    assert raw.exit_code == 0, raw.output
    assert raw.stdout_bytes.startswith(b"WARC/1.1\r\n") and f"WARC-Target-URI: {OPEN_URL}".encode() in \
        raw.stdout_bytes
    html = CliRunner().invoke(cli, ["--data", str(open_archive), "show", OPEN_URL, "--format", "html"])
    assert html.exit_code == 0, html.output
    assert html.stdout_bytes == OPEN_BODY


def test_web_replay_of_a_capture_in_a_file_being_written(open_archive):
    with warnings.catch_warnings():  # starlette would rather have httpx2 drive its test client
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from archive.web.app import create_app

    with Store(database(open_archive)) as store:
        stamp = captures(store, OPEN_URL)[-1].timestamp
    client = TestClient(create_app(open_archive, None))
    page = client.get(f"/web/{stamp}id_/{OPEN_URL}")
    assert page.status_code == 200, page.text
    assert page.content == OPEN_BODY and page.headers["content-type"].startswith("text/html")


def test_a_missing_file_is_one_line_not_a_traceback(open_archive):
    for path in warc_dir(open_archive).iterdir():
        path.unlink()
    result = CliRunner().invoke(cli, ["--data", str(open_archive), "show", OPEN_URL, "--format", "html"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert len(result.stderr.strip().splitlines()) == 1 and "missing" in result.stderr, result.stderr
