"""The replica's HTTP side: two loopback origins (the site and its image host) that behave like real servers.

Real servers gzip most pages but not all, send feeds chunked, answer conditional requests with 304, and sometimes
fail: 500s, stalls, bodies cut short of their Content-Length, charsets declared wrong. A crawler tested only
against a polite static server proves little, so all of that is here, and every request is logged so that tests
can prove what the crawler did.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO
from urllib.parse import parse_qsl, urlsplit

from . import assets
from .content import Site, mix
from .feeds import Feeds, robots_txt
from .pages import Pages
from .routes import Urls

FAULT_MODES = ("500-once", "stall", "truncate-once", "wrong-charset")
STALL_SECONDS = 2.0
HTML = "text/html; charset=UTF-8"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "page"
    compress: bool = True        # gzip when the client accepts it
    chunked: bool = False        # Transfer-Encoding: chunked (feeds)
    truncate: bool = False       # send half the body, then close: a fault
    stall: float = 0.0
    fault: str | None = None


@dataclass
class ReplicaConfig:
    articles: int = 200
    seed: int = 1
    edition: int = 1
    theme: str = "wordpress"
    faults: float = 0.0
    latency_ms: int = 0
    host: str = "127.0.0.1"
    port: int = 0
    cdn_port: int = 0
    without: tuple[str, ...] = ()   # "sitemap", "feeds": serve the site without them (404), to test discovery;
    #                                 "validators": no ETag or Last-Modified, never a 304 (refetches: full 200s)


class ReplicaApp:
    """Maps a request to a Reply. No sockets here, so the export and the tests can use it directly."""

    def __init__(self, config: ReplicaConfig, base: str, cdn: str):
        self.config = config
        self.site = Site(config.articles, config.seed, config.edition)
        if "articles" in config.without:
            self.site.hide_articles()
        self.urls = Urls(self.site, config.theme)
        self.pages = Pages(self.site, self.urls, base, cdn)
        self.feeds = Feeds(self.site, self.urls, self.pages)
        self.base, self.cdn = base, cdn
        self._fault_hits: dict[int, int] = {}
        self._lock = threading.Lock()

    # -- faults ---------------------------------------------------------------------------------------------
    def fault_of(self, i: int) -> str | None:
        """The fault an article's page shows, if any: a share `faults` of the articles, chosen by the seed."""
        if self.config.faults <= 0 or mix(self.config.seed, i, "fault") / 2**64 >= self.config.faults:
            return None
        if i == self.site.large_id:
            return None
        return FAULT_MODES[mix(self.config.seed, i, "fault-mode") % len(FAULT_MODES)]

    def _first_hit(self, i: int) -> bool:
        with self._lock:
            self._fault_hits[i] = self._fault_hits.get(i, 0) + 1
            return self._fault_hits[i] == 1

    # -- the site -------------------------------------------------------------------------------------------
    def site_reply(self, target: str, headers: dict[str, str]) -> Reply:
        """The reply to one request for the site; a cacheable reply whose ETag the client already holds is a 304,
        as WordPress answers for its feeds and as most servers do for static files."""
        reply = self._site_reply(target, headers)
        inm = headers.get("if-none-match")
        if reply.status == 200 and inm and reply.kind != "article" and "ETag" in reply.headers \
                and reply.headers["ETag"] in [t.strip() for t in inm.split(",")]:
            return Reply(304, b"", headers=dict(reply.headers), kind=reply.kind)
        return reply

    def _site_reply(self, target: str, headers: dict[str, str]) -> Reply:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        route = self.urls.resolve(parts.path or "/", query)
        kind = route.kind
        if kind == "robots":
            text = robots_txt(self.urls, self.base)
            if "sitemap" in self.config.without:
                text = "".join(line for line in text.splitlines(True) if not line.startswith("Sitemap:"))
            return Reply(200, text.encode(), "text/plain; charset=utf-8", kind="robots")
        if (kind == "sitemap" or route.params.get("location") == "/sitemap_index.xml") \
                and "sitemap" in self.config.without:
            return self._not_found()
        if kind == "feed" and "feeds" in self.config.without:
            return self._not_found()
        if kind == "redirect":
            location = route.params["location"]
            if location.startswith("/"):
                location = self.base + location
            return Reply(301, b"", headers={"Location": location}, kind="redirect")
        if kind == "article":
            return self._article(route.article, query, headers)
        if kind == "home":
            return self._html(self.pages.home(route.page), "listing")
        if kind == "section":
            key = route.params["key"]
            name = next(s.name for s in self.site_sections() if s.key == key)
            return self._html(self.pages.paged(name, self.site.by_section[key], route.page,
                                               lambda p: self.urls.section(key, p)), "listing")
        if kind == "tag":
            name = route.params["name"]
            return self._html(self.pages.paged(name, self.site.by_tag[name], route.page,
                                               lambda p: self.urls.tag(name, p)), "listing")
        if kind == "month":
            return self._html(self.pages.month(route.params["year"], route.params["month"], route.page), "listing")
        if kind == "search":
            return self._search(route.params["updated-max"])
        if kind == "page":
            return self._html(self.pages.static(route.params["name"]), "page")
        if kind == "login":
            return Reply(200, self.pages.login().encode(), kind="login")
        if kind == "feed":
            return self._feed(route)
        if kind == "sitemap":
            body = self.feeds.sitemap(route.params["name"], route.page)
            if body is None:
                return self._not_found()
            return self._cacheable(Reply(200, body.encode(), "application/xml; charset=UTF-8", kind="sitemap"))
        if kind == "asset":
            return self._asset(route.params["name"])
        if kind == "gone":
            return self._not_found(kind="removed")
        return self._not_found()

    def site_sections(self):
        from .content import SECTIONS
        return SECTIONS

    def _html(self, html: str | None, kind: str) -> Reply:
        if html is None:
            return self._not_found()
        return Reply(200, html.encode(), kind=kind)

    def _not_found(self, kind: str = "notfound") -> Reply:
        return Reply(404, self.pages.not_found().encode(), kind=kind)

    def _cacheable(self, reply: Reply, last_modified: datetime | None = None) -> Reply:
        if "validators" in self.config.without:
            return reply
        reply.headers["ETag"] = '"' + hashlib.sha1(reply.body).hexdigest()[:20] + '"'
        if last_modified:
            reply.headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
        return reply

    def _article(self, i: int, query: dict[str, str], headers: dict[str, str]) -> Reply:
        a = self.site.article(i)
        mobile = self.urls.theme == "blogger" and query.get("m") == "1"
        # ETag and Last-Modified follow the article's content, not its chrome (a documented simplification).
        digest = hashlib.sha1(f"{a.title}\n{a.text}\n{a.modified.isoformat()}".encode()).hexdigest()[:20]
        etag = f'"{digest}{"-m" if mobile else ""}"'
        last_modified = format_datetime(a.modified.astimezone(UTC), usegmt=True)
        validators = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "max-age=600"}
        if "validators" in self.config.without:  # as WordPress serves its pages: every refetch a full 200
            validators = {}
        fault = self.fault_of(i)
        if validators and _not_modified(headers, etag, a.modified):
            return Reply(304, b"", headers=validators, kind="article")
        if fault == "500-once" and self._first_hit(i):
            return Reply(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                         kind="article", fault=fault, compress=False)
        html, charset = self.pages.article(i, mobile=mobile)
        if "body" in self.config.without:  # the text now arrives by script: nothing for a crawler to read
            html = re.sub(r'(<div class="(?:entry-content|post-body entry-content)"[^>]*>).*?(</div>\n<(?:footer|div) '
                          r'class="(?:entry-footer|post-footer)")', r'\1<div id="app" data-src="/api/post"></div>\2',
                          html, flags=re.S)
        # a legacy page writes what its charset lacks (©, ›) as character references, as old CMSs did
        body = html.encode("cp1256", "xmlcharrefreplace") if charset == "windows-1256" else html.encode()
        content_type = f"text/html; charset={charset.upper() if charset != 'utf-8' else 'UTF-8'}"
        reply = Reply(200, body, content_type, dict(validators), kind="article", compress=a.gzip)
        if fault == "stall":
            reply.stall, reply.fault = STALL_SECONDS, fault
        elif fault == "truncate-once" and self._first_hit(i):
            reply.truncate, reply.fault = True, fault
        elif fault == "wrong-charset":
            reply.content_type, reply.fault = "text/html; charset=ISO-8859-1", fault
        return reply

    def _feed(self, route) -> Reply:
        params = route.params
        if self.urls.theme == "wordpress":
            body = self.feeds.wordpress(params["format"], route.page, params.get("section"))
        else:
            body = self.feeds.blogger(params["format"], params["start"], params["size"], params.get("section"),
                                      params.get("tag"), params.get("summary", False))
        if body is None:
            return self._not_found()
        ctype = "application/atom+xml; charset=UTF-8" if params["format"] == "atom" \
            else "application/rss+xml; charset=UTF-8"
        return self._cacheable(Reply(200, body.encode(), ctype, kind="feed", chunked=True))

    def _search(self, updated_max: str) -> Reply:
        """Blogger's `/search?updated-max=` paging: served (robots.txt forbids it, the server does not)."""
        try:
            limit = datetime.fromisoformat(updated_max)
        except ValueError:
            limit = None
        ids = [i for i in self.site.live if limit is None or self.site.published(i) < limit]
        return self._html(self.pages.paged("رسائل أقدم", ids, 1, lambda p: "/search"), "listing")

    def _asset(self, name: str) -> Reply:
        if name.endswith(".css"):
            css = assets.WORDPRESS_CSS if self.urls.theme == "wordpress" else assets.BLOGGER_CSS
            return self._cacheable(Reply(200, css.encode(), "text/css", kind="asset"))
        if name.endswith(".js"):
            return self._cacheable(Reply(200, assets.NAVIGATION_JS.encode(), "application/javascript", kind="asset"))
        if name.endswith(".ttf"):
            return self._cacheable(Reply(200, assets.icon_font(), "font/ttf", kind="asset"))
        if name == "header-pattern.png":
            return self._cacheable(Reply(200, assets.header_pattern(), "image/png", kind="asset", compress=False))
        return self._cacheable(Reply(200, assets.logo(), "image/png", kind="asset", compress=False))

    # -- the image host -------------------------------------------------------------------------------------
    def cdn_reply(self, target: str, headers: dict[str, str]) -> Reply:
        path = urlsplit(target).path
        if path == "/static/v1/widgets/widgets.css":
            return self._cacheable(Reply(200, assets.WIDGETS_CSS.encode(), "text/css", kind="asset"))
        if path == "/static/v1/widgets/bullet.png":
            return self._cacheable(Reply(200, assets.bullet(), "image/png", kind="asset", compress=False))
        m = re.search(r"/lead-(\d+)\.(jpg|png)$", path)
        if m:
            i, fmt = int(m.group(1)), m.group(2)
            if i in self.site.live_set and self.urls.image(i, fmt) == path:
                body = assets.image(self.config.seed, i, fmt)
                ctype = "image/png" if fmt == "png" else "image/jpeg"
                reply = self._cacheable(Reply(200, body, ctype, kind="image", compress=False))
                if reply.headers["ETag"] == headers.get("if-none-match"):
                    return Reply(304, b"", headers=reply.headers, kind="image")
                return reply
        return Reply(404, b"not found", "text/plain", kind="notfound")


def _not_modified(headers: dict[str, str], etag: str, modified: datetime) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        return since is not None and since >= modified.replace(second=0, microsecond=0)
    return False


class RequestLog:
    """One JSON line per request (docs/replica.md, Options: --log): what tests use to prove what a crawler did."""

    def __init__(self, stream: IO[str] | None):
        self.stream = stream
        self.lock = threading.Lock()

    def write(self, record: dict) -> None:
        if self.stream is None:
            return
        line = json.dumps(record, ensure_ascii=False)
        with self.lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def _handler(app: ReplicaApp, origin: str, log: RequestLog, latency: float):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stalls
        server_version = "nginx/1.22.1" if origin == "site" else "ImageHost/1.0"

        def version_string(self) -> str:
            return self.server_version

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
            pass

        def do_HEAD(self):
            self._serve(head=True)

        def do_GET(self):
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            started = time.monotonic()
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                if origin == "site":
                    reply = app.site_reply(self.path, headers)
                else:
                    reply = app.cdn_reply(self.path, headers)
            except Exception as exc:  # a bug in the replica must show as a 500, not a dropped connection
                reply = Reply(500, f"replica error: {exc!r}".encode(), "text/plain", kind="error")
            if latency:
                time.sleep(latency)
            if reply.stall:
                time.sleep(reply.stall)
            sent = self._send(reply, headers, head)
            parts = urlsplit(self.path)
            log.write({
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"), "origin": origin,
                "method": self.command, "path": parts.path, "query": parts.query, "status": reply.status,
                "bytes": sent, "kind": reply.kind, "fault": reply.fault,
                "user_agent": headers.get("user-agent"), "accept_encoding": headers.get("accept-encoding"),
                "if_none_match": headers.get("if-none-match"),
                "if_modified_since": headers.get("if-modified-since"),
                "ms": round((time.monotonic() - started) * 1000, 1),
            })

        def _send(self, reply: Reply, headers: dict[str, str], head: bool) -> int:
            body = reply.body
            accept = headers.get("accept-encoding", "")
            encoded = False
            if reply.compress and body and "gzip" in accept and reply.status == 200:
                body = gzip.compress(body, compresslevel=6, mtime=0)
                encoded = True
            self.send_response(reply.status)
            if reply.status != 304:
                self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if encoded:
                self.send_header("Content-Encoding", "gzip")
            if reply.compress:
                self.send_header("Vary", "Accept-Encoding")
            chunked = reply.chunked and self.request_version == "HTTP/1.1" and not head
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            elif reply.status != 304:
                self.send_header("Content-Length", str(len(body)))
            if reply.truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            if head or reply.status == 304:
                return 0
            try:
                if reply.truncate:
                    half = body[: len(body) // 2]
                    self.wfile.write(half)
                    self.wfile.flush()
                    self.close_connection = True
                    return len(half)
                if chunked:
                    for k in range(0, len(body), 8192):
                        piece = body[k: k + 8192]
                        self.wfile.write(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            return len(body)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Replica:
    """Both origins, bound and served from background threads: `with Replica(config) as r: r.url`."""

    def __init__(self, config: ReplicaConfig, log: IO[str] | None = None):
        self.config = config
        self._site_server = _bind(config.host, config.port)
        self._cdn_server = _bind(config.host, config.cdn_port)
        host = config.host if ":" not in config.host else f"[{config.host}]"
        self.url = f"http://{host}:{self._site_server.server_address[1]}"
        self.cdn_url = f"http://{host}:{self._cdn_server.server_address[1]}"
        self.app = ReplicaApp(config, self.url, self.cdn_url)
        self.log = RequestLog(log)
        latency = config.latency_ms / 1000
        self._site_server.RequestHandlerClass = _handler(self.app, "site", self.log, latency)
        self._cdn_server.RequestHandlerClass = _handler(self.app, "images", self.log, latency)
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return self._site_server.server_address[1]

    @property
    def cdn_port(self) -> int:
        return self._cdn_server.server_address[1]

    def start(self) -> Replica:
        for server in (self._site_server, self._cdn_server):
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self._site_server, self._cdn_server):
            server.shutdown()
            server.server_close()

    def __enter__(self) -> Replica:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _bind(host: str, port: int) -> _Server:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    _Server.address_family = family
    return _Server((host, port), BaseHTTPRequestHandler)
