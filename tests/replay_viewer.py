"""A WACZ as ReplayWeb.page 2.5.3 shows it: the real viewer, embedded as a web page embeds it, on loopback, in
Debian's headless Chromium driven through its chromedriver; what the innermost replay frame shows, reported.

ReplayWeb.page comes from npm, pinned to its version and to the registry's integrity hash in tools/system-needs.txt
(`npm:replaywebpage@2.5.3`): `make test` (tools/system_needs.py install) fetches it with `npm pack`, checks the
tarball's sha512 and keeps only `ui.js` (the viewer's interface) and `sw.js` (its service worker: wabac.js, which
reads the WACZ and answers the replayed page's requests), in ~/.cache/arshif/npm/replaywebpage-2.5.3/. A test asks
for that folder with `tests.system.need(REPLAYWEBPAGE)`, and skips naming it when it is absent.

    driver = chromium_driver(need("chromium"), need("chromium-driver"))
    with ReplayWebPage(driver, Path("articles.wacz"), need(REPLAYWEBPAGE)) as viewer:
        shown = viewer.open(article_url, ts="20260101120000")   # ts=None: the latest capture
        assert shown.loaded and shown.title.startswith(article_title), shown
        print(shown.style(".site-header", "background-color"), viewer.pages())

`WACZServer` serves one folder on 127.0.0.1 (a free port, a thread), answering `Range: bytes=…` with 206 and
`Content-Range`, and HEAD: ReplayWeb.page reads a WACZ by ranges (its ZIP directory, the index, then the records it
needs). The folder holds `replay/ui.js` and `replay/sw.js` (links to the cache), the WACZ (named by its hash:
ReplayWeb.page keeps what it loaded by the source's URL), and, for each `open`, a page embedding the viewer as
ReplayWeb.page's embedding guide shows:

    <script src="replay/ui.js"></script>
    <replay-web-page source="archive-<hash>.wacz" url="…" ts="…" replayBase="./replay/"></replay-web-page>

`replayBase` is the folder of sw.js, registered there with scope replay/; its index page loads ./ui.js beside it.

How the frames nest in 2.5.3 (all at the loopback origin; `viewer.nesting()` reports it as found):

    top document: our page
      <replay-web-page> #shadow-root
        <iframe src="replay/?source=…&embed=default#url=…&ts=…">   frame 1: the interface, served by the worker
          <replay-app-main> #shadow-root
            <wr-item> #shadow-root                                  (title bar, page list, the replay)
              <wr-coll-replay> #shadow-root
                <iframe name="___wb_replay_top_frame" src="replay/w/<coll>/<ts>mp_/<url>">
                  frame 2, the innermost: the archived page, rewritten by the worker (wombat.js)

Two frames, the second inside three shadow roots of the first, where neither `find_element` nor `switch_to.frame`
by name reaches. The viewer walks them from script: at each level it gathers the iframes of the document and of
every open shadow root below it, takes the one named `___wb_replay_top_frame` (wabac's and pywb's name for the top
replay frame) if there is one, else the first, and switches into it, until it is in the named frame.

The worker answers frame 2's `src` with a redirect to the capture it chose (`…/:<wacz hash>/<14 digits>mp_/<url>`),
then the page. `open` waits, bounded by `timeout`, until frame 2 holds a replayed document that is complete and has
not changed for a moment, and returns what it shows — a blank page too (title "", text ""), or wabac's "Archived
Page Not Found" (`not_found`, status 404). The frame's own request is followed in Chromium's network log
(performance log): its status, Content-Type, the capture it was redirected to, and how it failed; so a frame that
stays about:blank because its navigation was aborted or answered 204/205/304 is reported at once (`loaded` False,
`error`, `status`), not waited out. When no replay frame appears at all, `ui_text` says what the interface shows
instead.

The first page a viewer opens is loaded twice: until the worker is active, frame 1 can be fetched from our server
(a 404) before the worker takes it over, and the embedding reloads it only when no worker controls it yet, so it
would stay blank.
"""

from __future__ import annotations

import hashlib
import html
import http.server
import json
import mimetypes
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPLAYWEBPAGE = "npm:replaywebpage@2.5.3"  # its line in tools/system-needs.txt
REPLAY_FRAME = "___wb_replay_top_frame"
NOTHING_SHOWN = {204, 205, 304}  # a navigation answered so leaves the frame as it was (about:blank)
DOCUMENT_EVENTS = {"Network.requestWillBeSent", "Network.responseReceived", "Network.loadingFinished",
                   "Network.loadingFailed"}
TYPES = {".js": "text/javascript; charset=utf-8", ".html": "text/html; charset=utf-8", ".wacz": "application/wacz"}

# In the current frame: the iframes of the document and of every open shadow root under it (depth first), the
# replay frame first when it is among them.
FIND_FRAMES = """
const found = [];
const walk = (root) => {
  for (const el of root.querySelectorAll('*')) {
    if (el.tagName === 'IFRAME') found.push(el);
    if (el.shadowRoot) walk(el.shadowRoot);
  }
};
walk(document);
const named = found.filter((f) => f.name === arguments[0]);
return named.length ? named : found;
"""

# The state of the current frame's document.
FRAME_STATE = """
const nav = performance.getEntriesByType('navigation')[0];
return {href: location.href, ready: document.readyState, title: document.title || '',
        text: document.body ? document.body.innerText : '',
        status: nav && nav.responseStatus ? nav.responseStatus : null};
"""

# In the top document: wait until the service worker of the scope arguments[0] is active (at most arguments[1] ms,
# within the driver's script timeout).
WORKER_ACTIVE = """
const [scope, limit, done] = arguments;
const until = Date.now() + limit;
const look = async () => {
  const reg = await navigator.serviceWorker.getRegistration(scope);
  if (reg && reg.active && reg.active.state === 'activated') return done(true);
  if (Date.now() > until) return done(false);
  setTimeout(look, 100);
};
look();
"""

# The text the viewer's interface shows, shadow roots included (innerText does not enter them).
DEEP_TEXT = """
const parts = [];
const walk = (root) => {
  for (const node of root.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      const t = node.textContent.trim();
      if (t) parts.push(t);
    } else if (node.nodeType === Node.ELEMENT_NODE && !['STYLE', 'SCRIPT'].includes(node.tagName) &&
               getComputedStyle(node).display !== 'none') {
      if (node.shadowRoot) walk(node.shadowRoot);
      walk(node);
    }
  }
};
walk(document);
return parts.join(' ');
"""

# In frame 1: is the replay frame flagged "archive not found" by the interface (its `part` attribute)?
NOT_FOUND = """
let flagged = false;
const walk = (root) => {
  for (const el of root.querySelectorAll('*')) {
    if (el.tagName === 'IFRAME' && el.name === arguments[0] &&
        (el.getAttribute('part') || '').includes('iframe-page-not-found')) flagged = true;
    if (el.shadowRoot) walk(el.shadowRoot);
  }
};
walk(document);
return flagged;
"""

# In the current frame: the shadow hosts on the way to its first iframe, and that iframe.
NESTING = """
const walk = (root, path) => {
  for (const el of root.querySelectorAll('*')) {
    if (el.tagName === 'IFRAME') return [...path, 'iframe' + (el.name ? '[name=' + el.name + ']' : '')];
    if (el.shadowRoot) {
      const found = walk(el.shadowRoot, [...path, el.tagName.toLowerCase() + ' #shadow-root']);
      if (found) return found;
    }
  }
  return null;
};
return walk(document, []);
"""

# In frame 1, with the page list open: every entry the list shows, as the interface holds it.
PAGE_ENTRIES = """
const pages = [];
const walk = (root) => {
  for (const el of root.querySelectorAll('*')) {
    if (el.tagName === 'WR-PAGE-ENTRY' && el.page) {
      pages.push({url: el.page.url || '', title: el.page.title || '', ts: String(el.page.ts || ''),
                  timestamp: el.page.timestamp || ''});
    }
    if (el.shadowRoot) walk(el.shadowRoot);
  }
};
walk(document);
return pages;
"""


# -- the server ------------------------------------------------------------------------------------------------
class RangeHandler(http.server.BaseHTTPRequestHandler):
    """GET and HEAD of the files of one folder, with single byte ranges (`bytes=a-b`, `bytes=a-`, `bytes=-n`);
    every request is noted in the server's `requests`."""

    server: WACZServer
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802
        self.answer(body=True)

    def do_HEAD(self):  # noqa: N802
        self.answer(body=False)

    def answer(self, body: bool) -> None:
        path = self.server.resolve(urlsplit(self.path).path)
        asked = self.headers.get("Range")
        if path is None:
            return self.finish_with(404, asked, b"not found\n", body)
        size = path.stat().st_size
        (start, end), status = (0, size - 1), 200
        try:
            span = parse_range(asked, size) if asked else None
        except ValueError:  # not a range this server reads: the whole file, as if none had been asked
            asked = None
        if asked and span is None:
            self.server.note(self.command, self.path, asked, 416)
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if asked and span:
            (start, end), status = span, 206
        self.server.note(self.command, self.path, asked, status)
        self.send_response(status)
        self.send_header("Content-Type", TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
                         or "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Cache-Control", "no-store")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if body and end >= start:
            with path.open("rb") as f:
                f.seek(start)
                left = end - start + 1
                while left > 0:
                    chunk = f.read(min(left, 1 << 16))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
        return None

    def finish_with(self, status: int, asked: str | None, text: bytes, body: bool) -> None:
        self.server.note(self.command, self.path, asked, status)
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        if body:
            self.wfile.write(text)

    def log_message(self, *args):
        pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `bytes=` range in a file of `size` bytes; None when there is no such byte (416).
    A header of another form (another unit, several ranges) raises ValueError: it is ignored, the whole file sent."""
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not match or not (match[1] or match[2]):
        raise ValueError(f"not a single byte range: {header!r}")
    if not match[1]:  # the last n bytes
        n = int(match[2])
        return (max(size - n, 0), size - 1) if n > 0 and size > 0 else None
    start = int(match[1])
    end = min(int(match[2]), size - 1) if match[2] else size - 1
    if match[2] and int(match[2]) < start:
        raise ValueError(f"a range that ends before it starts: {header!r}")
    return (start, end) if start < size else None


class WACZServer(http.server.ThreadingHTTPServer):
    """One folder served on 127.0.0.1 (a free port), in a daemon thread, until `stop()`."""

    daemon_threads = True

    def __init__(self, folder: Path):
        self.folder = folder.resolve()
        self.requests: list[tuple[str, str, str | None, int]] = []  # (method, path, Range header, status)
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), RangeHandler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.thread = threading.Thread(target=self.serve_forever, name="wacz-server", daemon=True)
        self.thread.start()

    def resolve(self, url_path: str) -> Path | None:
        """The file a URL path names inside the folder (symbolic links followed), or None: nothing outside it."""
        relative = unquote(url_path).lstrip("/") or "index.html"
        if "\0" in relative or any(part == ".." for part in relative.split("/")):
            return None
        path = self.folder / relative
        return path if path.is_file() else None

    def note(self, method: str, path: str, asked: str | None, status: int) -> None:
        with self.lock:
            self.requests.append((method, path, asked, status))

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=10)


# -- the browser -----------------------------------------------------------------------------------------------
def chromium_driver(chromium: str, chromedriver: str):
    """Debian's Chromium, headless, as tests/web/test_browser.py starts it; its console and its network events kept
    (`ReplayView.console`, and the replay frame's own request: `status`, `mime`, `error`)."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1100", "--lang=ar",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=chromedriver))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    return driver


def track(requests: dict[str, dict], event: dict) -> None:
    """Follow the document requests (frames' navigations) through the Network events of the performance log."""
    params, method = event["params"], event["method"]
    request_id = params.get("requestId", "")
    if method == "Network.requestWillBeSent" and params.get("type") == "Document":
        if request_id in requests:  # redirected: the same request goes on to another URL
            requests[request_id]["resolved"] = params["request"]["url"]
        else:
            requests[request_id] = {"url": params["request"]["url"], "resolved": params["request"]["url"]}
    elif request_id not in requests:
        return
    elif method == "Network.responseReceived":
        response = params["response"]
        headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
        requests[request_id].update(status=response.get("status"), mime=headers.get("content-type", ""))
    elif method == "Network.loadingFinished":
        requests[request_id]["done"] = True
    elif method == "Network.loadingFailed":
        requests[request_id].update(done=True, error=params.get("errorText", "failed"))


def answer_for(requests: dict[str, dict], src: str) -> dict:
    """The last document request for the frame's `src`: {url, resolved (after redirects), status, mime, error,
    done}, or {}."""
    same = [r for r in requests.values() if src and unquote(r["url"]) == unquote(src)]
    return same[-1] if same else {}


@dataclass
class ReplayView:
    """What the innermost replay frame showed for (url, ts), once loaded or once `timeout` passed."""

    url: str
    ts: str | None
    loaded: bool  # the replay frame shows a replayed document, complete (it may still be a blank one)
    title: str  # the innermost frame's document.title; "" when blank or when nothing was shown
    text: str  # its body's innerText; "" likewise
    frame_src: str = ""  # what ReplayWeb.page asked the frame to show: …/replay/w/<coll>/…<ts>mp_/<url>
    resolved: str = ""  # where the service worker redirected frame_src: the capture it chose, …/:<hash>/<ts>mp_/…
    frame_url: str = ""  # where the frame's document is: `resolved` once shown; about:blank when nothing was
    status: int | None = None  # the status the service worker answered frame_src with (the frame's navigation)
    mime: str = ""  # that answer's Content-Type
    error: str = ""  # the navigation's failure, when it failed (net::ERR_ABORTED: nothing shown)
    not_found: bool = False  # ReplayWeb.page flagged it "Archived Page Not Found"
    ui_text: str = field(default="", repr=False)  # what the viewer's interface shows, shadow roots included
    console: list[str] = field(default_factory=list, repr=False)  # the browser's console while opening it
    seconds: float = 0.0
    viewer: ReplayWebPage | None = field(default=None, repr=False)
    opened: int = field(default=0, repr=False)

    def script(self, source: str, *args: Any) -> Any:
        """Run `source` (a function body; `arguments` are args) in the innermost frame; only until the viewer
        opens something else."""
        if self.viewer is None or self.viewer.opened != self.opened:
            raise RuntimeError("the viewer has opened another page since")
        if not self.viewer.enter_replay_frame():
            raise RuntimeError(f"no replay frame to run a script in ({self.ui_text[:200]!r})")
        try:
            return self.viewer.driver.execute_script(source, *args)
        finally:
            self.viewer.driver.switch_to.default_content()

    def style(self, selector: str, prop: str) -> str | None:
        """getComputedStyle(el)[prop] of the first element matching `selector` in the innermost frame; None when
        nothing matches."""
        return self.script("const el = document.querySelector(arguments[0]);"
                           "return el ? getComputedStyle(el).getPropertyValue(arguments[1]) : null;", selector, prop)

    def html(self) -> str:
        """The innermost frame's document as it stands (outerHTML)."""
        return self.script("return document.documentElement ? document.documentElement.outerHTML : '';")


class ReplayWebPage:
    """ReplayWeb.page showing one WACZ, served on loopback, in a given selenium Chrome driver.

    `rwp` is the folder holding ReplayWeb.page's ui.js and sw.js (`need(REPLAYWEBPAGE)`); `driver` is shared by
    whoever made it (one per test module) and left running by `stop()`."""

    def __init__(self, driver, wacz: Path, rwp: str | Path, timeout: float = 60):
        self.driver = driver
        self.timeout = timeout
        self.opened = 0
        self.worker_ready = False
        self.folder = Path(tempfile.mkdtemp(prefix="replaywebpage-"))
        rwp = Path(rwp)
        (self.folder / "replay").mkdir()
        os.symlink(rwp / "ui.js", self.folder / "replay" / "ui.js")
        os.symlink(rwp / "sw.js", self.folder / "replay" / "sw.js")
        # named by its content: ReplayWeb.page keeps what it loaded (IndexedDB) by the source's URL
        digest = hashlib.sha256(Path(wacz).read_bytes()).hexdigest()[:16]
        self.source = f"archive-{digest}.wacz"
        os.symlink(Path(wacz).resolve(), self.folder / self.source)
        self.server = WACZServer(self.folder)
        self.base = self.server.base

    def __enter__(self) -> ReplayWebPage:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        try:
            self.driver.get("about:blank")  # nothing of ours left running in the browser
        except Exception:  # noqa: BLE001 - the driver may be gone already
            pass
        self.server.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- the embedding page
    def embed(self, **attributes: str | None) -> str:
        """Write a page embedding <replay-web-page> with these attributes (None: left out); its URL."""
        self.opened += 1
        attrs = {"source": self.source, "replayBase": "./replay/", **attributes}
        tag = " ".join(f'{name}="{html.escape(value, quote=True)}"' for name, value in attrs.items()
                       if value is not None)
        page = ('<!doctype html>\n<html><head><meta charset="utf-8"><title>arshif: a WACZ in ReplayWeb.page</title>\n'
                '<link rel="icon" href="data:,">\n<script src="replay/ui.js"></script>\n'
                '<style>html, body { margin: 0; height: 100%; }</style></head>\n'
                f'<body><replay-web-page {tag}></replay-web-page></body></html>\n')
        name = f"view-{self.opened}.html"
        (self.folder / name).write_text(page, encoding="utf-8")
        return f"{self.base}/{name}"

    def console(self) -> list[str]:
        try:
            return [f"{e.get('level')}: {e.get('message')}" for e in self.driver.get_log("browser")]
        except Exception:  # noqa: BLE001 - a driver without the log capability
            return []

    def load(self, page: str) -> None:
        """Load an embedding page, the first time twice: until ReplayWeb.page's service worker is active, its
        interface frame may be fetched from the server (a 404) before the worker takes it over, and then stays blank
        (the embedding reloads it only when no worker controls it yet)."""
        self.driver.get(page)
        if self.worker_ready:
            return
        self.worker_ready = bool(self.driver.execute_async_script(WORKER_ACTIVE, "./replay/", 25_000))
        self.driver.get(page)

    # -- the frames
    def enter_replay_frame(self) -> str | None:
        """Switch the driver, from the top, into the innermost replay frame and return its `src` (the URL asked of
        it); None when there is none yet, the driver then left in the deepest frame reached."""
        d = self.driver
        d.switch_to.default_content()
        for _ in range(6):  # two in 2.5.3; a bound, not a guess
            frames = d.execute_script(FIND_FRAMES, REPLAY_FRAME)
            if not frames:
                return None
            frame = frames[0]
            named = frame.get_attribute("name") == REPLAY_FRAME
            src = frame.get_attribute("src") or ""
            d.switch_to.frame(frame)
            if named:
                return src
        return None

    def nesting(self) -> list[list[str]]:
        """The shadow hosts and iframes on the way to the replay frame, one list per frame level (the docstring's
        drawing, as found in the page open now)."""
        d, levels = self.driver, []
        d.switch_to.default_content()
        try:
            for _ in range(6):
                chain = d.execute_script(NESTING) or []
                levels.append(chain)
                frames = d.execute_script(FIND_FRAMES, REPLAY_FRAME)
                if not chain or not frames:
                    break
                named = frames[0].get_attribute("name") == REPLAY_FRAME
                d.switch_to.frame(frames[0])
                if named:
                    break
        finally:
            d.switch_to.default_content()
        return levels

    def ui_state(self) -> tuple[str, bool]:
        """(the interface's text, shadow roots included; whether it flags the page not found), read in frame 1,
        or in the top document when frame 1 does not exist yet."""
        d = self.driver
        d.switch_to.default_content()
        try:
            frames = d.execute_script(FIND_FRAMES, REPLAY_FRAME)
            if frames:
                d.switch_to.frame(frames[0])
            return d.execute_script(DEEP_TEXT) or "", bool(d.execute_script(NOT_FOUND, REPLAY_FRAME))
        finally:
            d.switch_to.default_content()

    def network(self) -> list[dict]:
        """The browser's network events (performance log) since the last call: the document requests among them."""
        try:
            entries = self.driver.get_log("performance")
        except Exception:  # noqa: BLE001 - a driver without the log capability
            return []
        events = []
        for entry in entries:
            message = json.loads(entry["message"])["message"]
            if message.get("method") in DOCUMENT_EVENTS:
                events.append(message)
        return events

    def open(self, url: str, ts: str | None = None, timeout: float | None = None) -> ReplayView:
        """Open `url` at `ts` (14 digits; None: the latest capture) and return what the innermost frame shows once
        its document is complete and steady; or, when the frame stays blank because its navigation failed or was
        answered with a status that shows nothing (204, 205, 304), at once; or what could be seen when `timeout`
        (default the viewer's) passed."""
        from selenium.common.exceptions import WebDriverException

        if ts is not None and not re.fullmatch(r"\d{14}", ts):
            raise ValueError(f"ts must be 14 digits, not {ts!r}")
        started = time.monotonic()
        deadline = started + (timeout or self.timeout)
        self.console()  # drop what earlier pages logged
        self.network()
        self.load(self.embed(url=url, ts=ts))
        requests: dict[str, dict] = {}  # document requests by id: url, resolved, status, mime, error, done
        state, previous, loaded, src = None, None, False, ""
        while time.monotonic() < deadline:
            for event in self.network():
                track(requests, event)
            try:
                found = self.enter_replay_frame()
                if found is not None:
                    src, state = found, self.driver.execute_script(FRAME_STATE)
                    if "mp_/" in state["href"] and state["ready"] == "complete":
                        key = (state["href"], state["title"], state["text"])
                        if key == previous:
                            loaded = True
                            break
                        previous = key
                    else:
                        previous = None
                        asked = answer_for(requests, src)
                        if state["href"] == "about:blank" and asked.get("done") and (
                                asked.get("error") or asked.get("status") in NOTHING_SHOWN):
                            break  # asked for a page, and its answer will never be shown
            except WebDriverException:  # a frame navigated away while being read: look again
                previous = None
            finally:
                self.driver.switch_to.default_content()
            time.sleep(0.3)
        for event in self.network():
            track(requests, event)
        asked = answer_for(requests, src)
        ui_text, not_found = self.ui_state()
        shown = state if state and state["href"] != "about:blank" else {}
        return ReplayView(url=url, ts=ts, loaded=loaded, title=shown.get("title", ""), text=shown.get("text", ""),
                          frame_src=src, resolved=asked.get("resolved", ""), frame_url=state["href"] if state else "",
                          status=asked.get("status", shown.get("status")), mime=asked.get("mime", ""),
                          error=asked.get("error", ""), not_found=not_found, ui_text=ui_text,
                          console=self.console(), seconds=round(time.monotonic() - started, 2), viewer=self,
                          opened=self.opened)

    def pages(self, timeout: float | None = None) -> list[dict]:
        """What the archive's page list shows: one {url, title, timestamp (14 digits)} per entry (the first screenful),
        once the list has entries, or [] when `timeout` passed without any."""
        deadline = time.monotonic() + (timeout or self.timeout)
        self.load(self.embed(view="pages"))
        entries: list[dict] = []
        from selenium.common.exceptions import WebDriverException

        while time.monotonic() < deadline:
            try:
                frames = self.driver.execute_script(FIND_FRAMES, REPLAY_FRAME)
                if frames:
                    self.driver.switch_to.frame(frames[0])
                    entries = self.driver.execute_script(PAGE_ENTRIES) or []
                    if entries:
                        break
            except WebDriverException:  # the interface frame reloaded while being read: look again
                pass
            finally:
                self.driver.switch_to.default_content()
            time.sleep(0.3)
        return entries
