"""A small Arabic news site on 127.0.0.1 that also answers with sizes meant to hurt (issue 27, Deliver 2 and 4).

Five real articles, listed by a sitemap with the hostile pages (each at an article's address, so the crawl asks for
each as an article):

- GIANT: a 60 MB article-looking page (its Content-Length true);
- LIAR: a page whose Content-Length announces 100 MB, and that sends until the client stops;
- ENDLESS: chunked, no length, sending until the client stops (the server thread stops with it);
- BOMB: `Content-Encoding: gzip`, a few hundred KB on the wire that decode to 100 MB of HTML;
- DEEP: 11 MB of 1,000,000 nested `<div>`s inside an article's markup;
- BIG: a 12 MB page that looks like a real article, under DOWNLOAD_MAXSIZE and over ARSHIF_ARTICLE_MAX_SIZE.

The large bodies are written as they are made, a block at a time; only the bomb's compressed bytes are held.
"""

from __future__ import annotations

import time
import zlib
from functools import cache
from http.server import BaseHTTPRequestHandler

from tests.loopback_site import LoopbackSite

MB = 1_000_000
ARTICLES = [f"/2022/03/0{i + 1}/khabar-{i}/" for i in range(5)]
GIANT = "/2022/03/10/safha-dakhma/"
LIAR = "/2022/03/11/tul-kadhib/"
ENDLESS = "/2022/03/12/bila-nihaya/"
BOMB = "/2022/03/13/qunbula-madghuta/"
DEEP = "/2022/03/14/a3maq/"
BIG = "/2022/03/15/maqal-tawil/"
HOSTILE = (GIANT, LIAR, ENDLESS, BOMB, DEEP, BIG)
SENDS_UNTIL_STOPPED = 1 << 30  # LIAR and ENDLESS stop by themselves past this (a client that never stops)

TOPICS = ["افتتاح مكتبة عامة جديدة في حي الميناء", "موسم الزيتون في القرى الجبلية", "سباق الدراجات السنوي حول البحيرة",
          "ترميم الجسر الحجري القديم فوق النهر", "مهرجان الخط العربي في المدينة القديمة"]
PARAGRAPH = ("قالت البلدية في بيان صدر صباح اليوم إن الأعمال ستستمر حتى نهاية الشهر المقبل، وإن السكان مدعوون إلى "
             "المشاركة في الاجتماعات المفتوحة التي تعقد كل يوم خميس في القاعة الكبرى لمناقشة التفاصيل والمواعيد. ")


def head(title: str, date: str) -> str:
    return f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:type" content="article"><meta property="article:published_time" content="{date}T09:00:00+00:00">
</head><body><article><h1>{title}</h1><time datetime="{date}T09:00:00+00:00">{date}</time>"""


TAIL = "</article></body></html>"


def article(i: int) -> bytes:
    body = "".join(f"<p>{TOPICS[i]}: {PARAGRAPH}</p>" for _ in range(4))
    return (head(TOPICS[i], f"2022-03-0{i + 1}") + body + TAIL).encode()


def long_article(size: int, title: str) -> tuple[bytes, bytes, int]:
    """(head, a paragraph repeated, how many times) of an article page of about `size` bytes."""
    start = head(title, "2022-03-15").encode()
    para = f"<p>{PARAGRAPH}</p>\n".encode()
    return start, para, max(1, (size - len(start)) // len(para))


@cache
def bomb() -> bytes:
    """100 MB of an article's HTML, gzip-compressed (a few hundred KB); made once."""
    start, para, n = long_article(100 * MB, "قنبلة")
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = para * 1000
    parts = [z.compress(start)] + [z.compress(block) for _ in range(n // 1000)]
    return b"".join(parts) + z.compress(TAIL.encode()) + z.flush()


def sitemap(base: str) -> bytes:
    urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in (*ARTICLES, *HOSTILE))
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


class SizesSite(LoopbackSite):
    def __init__(self):
        super().__init__()
        self.stopped: dict[str, float] = {}  # path → when its sender stopped (the client went away)

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        if path == "/robots.txt":
            return self.send(h, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == "/sitemap.xml":
            return self.send(h, sitemap(self.url), "application/xml")
        if path == "/":
            links = "".join(f'<li><a href="{a}">{TOPICS[i]}</a></li>' for i, a in enumerate(ARTICLES))
            return self.send(h, f"<html><body><h1>أخبار المدينة</h1><ul>{links}</ul></body></html>".encode())
        if path in ARTICLES:
            return self.send(h, article(ARTICLES.index(path)))
        if path == GIANT:
            start, para, n = long_article(60 * MB, "صفحة ضخمة")
            return self.stream(h, path, start, para, n, length=len(start) + len(para) * n + len(TAIL))
        if path == BIG:
            start, para, n = long_article(12 * MB, "مقال طويل جدا")
            return self.stream(h, path, start, para, n, length=len(start) + len(para) * n + len(TAIL))
        if path == DEEP:
            start = head("صفحة عميقة", "2022-03-14").encode()
            return self.stream(h, path, start + b"<div>" * 1_000_000 + f"<p>{PARAGRAPH}</p>".encode(),
                               b"</div>" * 1000, 1000, length=None, end=TAIL.encode(), fixed=True)
        if path == LIAR:
            start, para, n = long_article(SENDS_UNTIL_STOPPED, "طول كاذب")
            return self.stream(h, path, start, para, n, length=100 * MB)
        if path == ENDLESS:
            start, para, n = long_article(SENDS_UNTIL_STOPPED, "بلا نهاية")
            return self.stream(h, path, start, para, n, length=None, chunked=True)
        if path == BOMB:
            return self.send(h, bomb(), headers={"Content-Encoding": "gzip"})
        return self.send(h, b"<html><body>not here</body></html>", status=404)

    # -- writing ----------------------------------------------------------------------------------------------

    def stream(self, h: BaseHTTPRequestHandler, path: str, start: bytes, para: bytes, n: int, length: int | None,
               chunked: bool = False, end: bytes = TAIL.encode(), fixed: bool = False) -> None:
        """`start`, `para` n times (in blocks), `end`: with `length` as Content-Length (true or not), chunked, or
        (HTTP/1.0 without a length) until the connection closes. Stops when the client goes away."""
        h.close_connection = True
        status = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n"
        if chunked:
            status += b"Transfer-Encoding: chunked\r\n"
        elif length is not None:
            status += f"Content-Length: {length}\r\n".encode()
        per = 1 if fixed else max(1, (256 << 10) // len(para))
        block = para * per

        def out(data: bytes) -> None:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)

        try:
            h.wfile.write(status + b"\r\n")
            out(start)
            for done in range(0, n, per):
                out(block if done + per <= n else para * (n - done))
            out(end)
            if chunked:
                h.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client stopped reading: so does this thread
            pass
        finally:
            self.stopped[path] = time.monotonic()
