"""A small Arabic news site on loopback that answers one article URL, and the stylesheet of its other articles, with
a gzip bomb (issue 27, Deliver 1).

The bomb is a real response: `Content-Encoding: gzip`, 10 MiB on the wire that inflate to 10 GiB of zeros, built
from one repeated compressed block (tests/warc/test_reading.gzip_bomb), never held inflated.
"""

from __future__ import annotations

import threading
from functools import cache
from http.server import BaseHTTPRequestHandler

from tests.loopback_site import LoopbackServer
from tests.warc.test_reading import gzip_bomb

BOMB_SIZE = 10 << 30
GOOD = "/2021/10/09/lqaa-alwazir/"
BOMB = "/2021/10/10/qunbula/"
SECOND = "/2021/10/11/khabar-thani/"
STYLE = "/wp-content/themes/site/style.css"  # named by the real articles: a requisite, so a WACZ carries it

ARTICLE = """<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{title} - الإيطالية نيوز</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="{date}T10:00:00+00:00">
<link rel="canonical" href="{url}">
<link rel="stylesheet" href="{style}">
</head><body><article><h1>{title}</h1><time datetime="{date}T10:00:00+00:00">{date}</time>
<div class="entry-content">{body}</div></article></body></html>"""

PARAGRAPH = ("<p>التقى وزير الخارجية الإيطالي اليوم في روما نظيره المصري لبحث العلاقات الثنائية بين البلدين "
             "والتعاون الاقتصادي وملفات الهجرة في البحر الأبيض المتوسط، وأكد الجانبان أهمية الحوار المستمر.</p>")


@cache
def bomb() -> bytes:
    return gzip_bomb(BOMB_SIZE)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        base = f"http://{self.headers.get('Host')}"
        path = self.path.split("?")[0]
        if path == "/":
            links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in self.server.articles)
            html = f'<!doctype html><html lang="ar"><head><meta charset="utf-8"><title>الموقع</title></head>' \
                   f"<body><ul>{links}</ul></body></html>"
            self._send(200, html.encode(), "text/html; charset=utf-8")
        elif path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in self.server.articles)
            xml = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            self._send(200, xml.encode(), "application/xml")
        elif path == BOMB:
            self._send(200, bomb(), "text/html; charset=utf-8", {"Content-Encoding": "gzip"})
        elif path == STYLE:
            self._send(200, bomb(), "text/css", {"Content-Encoding": "gzip"})
        elif path in self.server.articles:
            title = {GOOD: "لقاء الوزير في روما", SECOND: "خبر ثان عن روما"}[path]
            html = ARTICLE.format(title=title, date=path[1:11].replace("/", "-"), url=base + path, style=STYLE,
                                  body=PARAGRAPH * 6)
            self._send(200, html.encode(), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found", "text/plain")


class HostileSite:
    """The site on 127.0.0.1, a free port, served from a thread; `articles` may grow between crawls."""

    def __init__(self) -> None:
        self.server = LoopbackServer(("127.0.0.1", 0), _Handler)
        self.server.articles = [GOOD, BOMB]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostileSite:
        bomb()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
