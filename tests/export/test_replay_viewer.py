"""The ReplayWeb.page harness (tests/replay_viewer.py) on a WACZ the project made: one unchanged article of the
two-edition archive, exported with `arshif export --format wacz`, opened in ReplayWeb.page 2.5.3 in headless
Chromium at its first capture (a 200 response) and at its latest (the 304 of the --refresh crawl, a
server-not-modified revisit).

Styles and revisit profiles are tested in tests/export/test_replay_tools.py; this module tests the harness itself.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import zipfile
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPORT
from tests.crawling import arshif
from tests.replay_viewer import REPLAYWEBPAGE, ReplayWebPage, WACZServer, chromium_driver
from tests.system import need

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium for the module, started as tests/web/test_browser.py starts it."""
    driver = chromium_driver(need("chromium", "chromium-driver", "fonts-noto-core"), need("chromium-driver"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def rwp():
    """The folder of ReplayWeb.page's ui.js and sw.js (tools/system-needs.txt), or a skip naming it."""
    return need(REPLAYWEBPAGE)


@pytest.fixture(scope="module")
def exported(rwp, request, tmp_path_factory):
    """(article, its captures as (timestamp, record_type, status, revisit_profile), the WACZ): an article left
    alone at edition 2, so fetched once at edition 1 and answered 304 by --refresh, exported by a phrase query on
    its title. The crawls (`two_editions`) are asked for only once ReplayWeb.page is known to be there."""
    site, data, _ = request.getfixturevalue("two_editions")
    changed = {url for kind in ("edited", "new", "removed") for url in site.manifest["changes"][kind]}
    article = next(a for a in site.manifest["articles"]
                   if a["url"] not in changed and not set(a["title"]) & set('"«»'))
    with sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True) as db:
        captures = db.execute("SELECT timestamp, record_type, status, revisit_profile FROM captures "
                              "WHERE canonical = ? AND record_type != 'request' ORDER BY timestamp",
                              (article["url"],)).fetchall()
    wacz = tmp_path_factory.mktemp("replay-viewer") / "article.wacz"
    result = arshif("--data", str(data), "export", f'"{article["title"]}"', "--format", "wacz", "-o", str(wacz),
                    "--since", article["published"][:10], "--until", article["published"][:10])
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(wacz) as z:
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert article["url"] in {p["url"] for p in pages}, result.stderr
    return article, captures, wacz


@pytest.fixture(scope="module")
def viewer(rwp, chromium, exported):
    with ReplayWebPage(chromium, exported[2], rwp) as shown:
        yield shown


def test_the_server_answers_byte_ranges(tmp_path):
    (tmp_path / "f.bin").write_bytes(bytes(range(256)) * 4)
    server = WACZServer(tmp_path)
    try:
        def ask(method, path, **headers):
            conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            conn.close()
            return response.status, dict(response.getheaders()), body

        status, headers, body = ask("GET", "/f.bin")
        assert status == 200 and headers["Accept-Ranges"] == "bytes" and len(body) == 1024
        status, headers, body = ask("GET", "/f.bin", Range="bytes=10-19")
        assert status == 206 and headers["Content-Range"] == "bytes 10-19/1024" and body == bytes(range(10, 20))
        status, headers, body = ask("GET", "/f.bin", Range="bytes=-4")
        assert status == 206 and headers["Content-Range"] == "bytes 1020-1023/1024" and body == bytes(range(252, 256))
        status, headers, body = ask("GET", "/f.bin", Range="bytes=1000-")
        assert status == 206 and len(body) == 24 and headers["Content-Length"] == "24"
        status, headers, body = ask("HEAD", "/f.bin", Range="bytes=0-")
        assert status == 206 and headers["Content-Length"] == "1024" and body == b""
        status, headers, _ = ask("GET", "/f.bin", Range="bytes=2000-")
        assert status == 416 and headers["Content-Range"] == "bytes */1024"
        status, headers, body = ask("GET", "/f.bin", Range="bytes=0-1,5-6")  # several ranges: ignored
        assert status == 200 and len(body) == 1024
        assert ask("GET", "/../" + tmp_path.name + "/f.bin")[0] == 404
        assert ask("GET", "/%2e%2e/" + tmp_path.name + "/f.bin")[0] == 404
        assert ask("GET", "/missing")[0] == 404
    finally:
        server.stop()


def test_first_capture_shows_the_article(viewer, exported):
    article, captures, _ = exported
    first, *_, latest = captures
    assert first[1:3] == ("response", 200) and latest[1:] == ("revisit", 304, "server-not-modified"), captures
    shown = viewer.open(article["url"], ts=first[0])
    assert shown.loaded and shown.status == 200, shown
    assert shown.title.startswith(article["title"]), shown
    assert article["title"] in shown.text
    assert f"{first[0]}mp_/" in shown.frame_url and not shown.not_found and not shown.error
    assert shown.mime.startswith("text/html")
    # the frames nest as the harness's docstring draws them
    assert viewer.nesting() == [["replay-web-page #shadow-root", "iframe"],
                                ["replay-app-main #shadow-root", "wr-item #shadow-root", "wr-coll-replay #shadow-root",
                                 "iframe[name=___wb_replay_top_frame]"]]
    # ReplayWeb.page read the WACZ by byte ranges
    assert any(status == 206 and path.endswith(".wacz") for _, path, _, status in viewer.server.requests)
    # the style helper: `dir="rtl"` is in the page itself, whatever its stylesheet
    assert shown.style("body", "direction") == "rtl"
    assert shown.style(".no-such-element", "color") is None
    header = shown.style(".site-header", "background-color")
    REPORT.append(f"ReplayWeb.page 2.5.3, first capture {first[0]} (200): title {shown.title!r} in "
                  f"{shown.seconds} s; .site-header background-color {header!r}")


def test_latest_capture_shows_the_article(viewer, exported):
    """The latest capture is a 304 (a server-not-modified revisit): the WACZ's index has no line for it, so
    ReplayWeb.page shows the response it confirmed (docs/archiving.md, Replaying revisits)."""
    article, captures, _ = exported
    latest = captures[-1]
    shown = viewer.open(article["url"])  # no ts: the latest capture
    assert shown.loaded and shown.title.startswith(article["title"]), shown
    chosen = shown.resolved.partition("mp_/")[0].rpartition("/")[2]
    REPORT.append(f"ReplayWeb.page 2.5.3, latest capture {latest[0]} ({latest[2]} {latest[3]}): the frame's "
                  f"request went to capture {chosen or '-'}, answered {shown.status} {shown.mime}, "
                  f"in {shown.seconds} s")


def test_a_page_not_in_the_archive_is_shown_as_not_found(viewer, exported):
    article, _, _ = exported
    parts = urlsplit(article["url"])
    shown = viewer.open(f"{parts.scheme}://{parts.netloc}/never-archived/", ts="20000101000000")
    assert shown.loaded and shown.not_found and shown.status == 404, shown
    assert shown.title == "Archived Page Not Found" and "not found in this archive" in shown.text


def test_the_page_list_shows_the_article(viewer, exported):
    article, _, _ = exported
    listed = viewer.pages()
    assert article["url"] in {p["url"] for p in listed}, listed
    assert {p["title"] for p in listed if p["url"] == article["url"]} == {article["title"]}
