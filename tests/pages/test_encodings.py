"""Issue 27, Deliver 3: a page's encoding as browsers choose it, for an Arabic site (archive.pages.detection.
page_encoding): the BOM; else valid UTF-8; else the <meta> or header charset that decodes cleanly; else the bytes,
Arabic code pages first, never windows-1252 by default; NUL bytes dropped. The crawl and `reextract` read a page the
same way, and `reextract` repairs an article an older rule stored as mojibake."""

from __future__ import annotations

import codecs
import io
import sqlite3
from pathlib import Path

import pytest
from w3lib.encoding import html_body_declared_encoding
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.pages import extraction
from archive.pages.detection import arabic_codepage, html_encoding, page_encoding
from archive.pages.extraction import EXTRACTOR_VERSION, extract
from tests.crawling import arshif
from tests.pages.encoded_pages import HTTP_EQUIV, META, MOJIBAKE, PARAGRAPHS, TITLE, URL, page

CASES = {
    # name: (the page's bytes, its Content-Type, the encoding it is read in)
    "windows-1256, declared nowhere": (page().encode("cp1256"), "text/html", "cp1256"),
    "ISO-8859-6, declared nowhere, no Content-Type": (page().encode("iso-8859-6"), None, "iso8859-6"),
    "windows-1256 in the header": (page().encode("cp1256"), "text/html; charset=windows-1256", "cp1256"),
    "windows-1256 in <meta charset>": (page(META.format("windows-1256")).encode("cp1256"), "text/html", "cp1256"),
    "windows-1256 in http-equiv": (page(HTTP_EQUIV.format("windows-1256")).encode("cp1256"), None, "cp1256"),
    "ISO-8859-6 in <meta charset>": (page(META.format("ISO-8859-6")).encode("iso-8859-6"), "text/html",
                                     "iso8859-6"),
    "UTF-8 with a BOM": (codecs.BOM_UTF8 + page().encode(), "text/html; charset=windows-1256", "utf-8"),
    "UTF-16 with a BOM": (codecs.BOM_UTF16_LE + page().encode("utf-16-le"), "text/html", "utf-16"),
    "header and meta disagree, the meta fits": (page(META.format("windows-1256")).encode("cp1256"),
                                                "text/html; charset=iso-8859-6", "cp1256"),
    "header and meta disagree, the header fits": (page(META.format("utf-8")).encode("cp1256"),
                                                  "text/html; charset=windows-1256", "cp1256"),
    "a meta that does not fit, no header": (page(META.format("iso-8859-6")).encode("cp1256"), None, "cp1256"),
    "a header saying UTF-8 of windows-1256 bytes": (page().encode("cp1256"), "text/html; charset=utf-8", "cp1256"),
    "a server's latin-1 default on windows-1256": (page().encode("cp1256"), "text/html; charset=iso-8859-1",
                                                   "cp1256"),
    "an editor's latin-1 meta on ISO-8859-6": (page(META.format("iso-8859-1")).encode("iso-8859-6"), None,
                                              "iso8859-6"),
    "NUL bytes, UTF-8": (page(nul=True).encode(), "text/html; charset=utf-8", "utf-8"),
    "NUL bytes, windows-1256 declared nowhere": (page(nul=True).encode("cp1256"), "text/html", "cp1256"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_encoding_gives_the_article_as_written(name):
    body, content_type, encoding = CASES[name]
    assert html_encoding(body, content_type) == encoding
    article = extract(body, URL, {"Content-Type": content_type} if content_type else {})
    assert article is not None
    assert article.title == TITLE
    assert article.body == "\n\n".join(PARAGRAPHS)
    assert "\ufffd" not in article.title + article.body and "\x00" not in article.body


def test_the_old_rule_made_mojibake_of_an_undeclared_windows_1256_page():
    # the fixture is what the issue saw: no declaration anywhere, and windows-1252 reads it as Latin letters
    body = page().encode("cp1256")
    assert html_body_declared_encoding(body) is None
    assert MOJIBAKE.startswith("ÇáÃãØÇÑ")
    assert page_encoding(body, None) != "cp1252"


def test_valid_utf8_is_read_as_utf8_whatever_is_declared():
    body = page(META.format("windows-1256")).encode()
    assert page_encoding(body, "iso-8859-6") == "utf-8"
    assert extract(body, URL, {"Content-Type": "text/html; charset=iso-8859-6"}).title == TITLE


def test_arabic_code_pages_tell_each_other_apart_and_leave_other_scripts_alone():
    text = " ".join(PARAGRAPHS)
    assert arabic_codepage(text.encode("cp1256")) == "cp1256"
    assert arabic_codepage(text.encode("iso-8859-6")) == "iso8859-6"
    italian = ("La città è più bella quando piove, però nessuno ci crede: così è la vita, "
               "perché l'università è chiusa e il caffè è già freddo.").encode("latin-1")
    assert arabic_codepage(italian) is None
    assert page_encoding(italian, None) not in ("cp1256", "iso8859-6")
    assert page_encoding(b"<p>\xc7\xe1\xc8\xd5\xd1\xc9</p>", None) == "cp1256"  # a few words are enough


def old_page_encoding(body: bytes, header_encoding: str | None) -> str:
    """The rule before issue 27: valid UTF-8, else the page's declaration, else the header, else windows-1252."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return html_body_declared_encoding(body) or header_encoding or "cp1252"


def _write_warc(path: Path, body: bytes) -> None:
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(URL, "response", payload=io.BytesIO(body), http_headers=http))


def test_reextract_repairs_an_article_the_old_rule_stored_as_mojibake(tmp_path, monkeypatch):
    from archive.ops.rebuild import rebuild

    assert EXTRACTOR_VERSION.startswith("arshif-6+")  # a newer extractor: its fields replace the old ones
    data = tmp_path / "data"
    (data / "warc").mkdir(parents=True)
    body = page(nul=True).encode("cp1256")
    _write_warc(data / "warc" / "arshif-20211009083000-00000.warc.gz", body)
    with monkeypatch.context() as patch:  # the archive as the old rule made it
        patch.setattr(extraction, "html_encoding", lambda body, content_type: old_page_encoding(body, None))
        rebuild(data)
    db = sqlite3.connect(data / "archive.db")
    stored = db.execute("SELECT title, body FROM articles").fetchall()
    db.close()
    assert len(stored) == 1 and stored[0][0].startswith(MOJIBAKE[:20])
    warc_bytes = (data / "warc" / "arshif-20211009083000-00000.warc.gz").read_bytes()

    result = arshif("--data", str(data), "reextract")
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(data / "archive.db")
    rows = db.execute("SELECT title, body, versions, extractor FROM articles").fetchall()
    versions = db.execute("SELECT count(*) FROM article_versions").fetchone()[0]
    db.close()
    assert rows == [(TITLE, "\n\n".join(PARAGRAPHS), 1, EXTRACTOR_VERSION)] and versions == 1
    assert (data / "warc" / "arshif-20211009083000-00000.warc.gz").read_bytes() == warc_bytes  # untouched
    found = arshif("--data", str(data), "search", "البصرة", "--json")
    assert found.returncode == 0, found.stderr
    assert TITLE in found.stdout


@pytest.mark.parametrize("encoding", ["utf-8", "cp1256"])
def test_choosing_the_encoding_of_a_huge_page_holds_no_copy_of_it(encoding):
    import tracemalloc

    body = page().replace("</body>", "<p>" + "كلمة عربية في خبر طويل " * 1_000_000 + "</p></body>").encode(encoding)
    assert len(body) > 20 * 2**20
    tracemalloc.start()
    try:
        assert html_encoding(body, "text/html") == encoding
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, peak  # checked by the MiB: not the page again as text (twice its size)
