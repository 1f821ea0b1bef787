"""A small hostile site on 127.0.0.1 for robots.txt, redirects and sitemaps (issue 27, Deliver 5).

Three real Arabic articles, and what a test switches on: a robots.txt that answers 5xx, 4xx, a redirect chain, no
answer at all, or rules; an endless redirect (`/r/spin?n=N` → `n=N+1`); a 30-hop redirect chain; a sitemap index of
100,000 sitemaps. Every request path is logged in order (`site.paths`).
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.loopback_site import LoopbackSite

ARTICLES = [f"/2021/10/0{i + 1}/khabar-{i}/" for i in range(3)]
TEXT = ("أعلنت الحكومة الإيطالية اليوم عن خطة جديدة لدعم المدارس في المدن الصغيرة، وقال الوزير إن المشروع "
        "سيبدأ في الخريف المقبل بعد موافقة البرلمان على الميزانية. ") * 8


def article(i: int) -> bytes:
    return f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>خبر رقم {i} عن المدارس</title>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "خبر رقم {i} عن المدارس",
"datePublished": "2021-10-0{i + 1}T10:00:00+02:00"}}</script></head>
<body><article><h1>خبر رقم {i} عن المدارس</h1><time datetime="2021-10-0{i + 1}">2021-10-0{i + 1}</time>
<p>{TEXT}</p><p>{TEXT}</p></article></body></html>""".encode()


def urlset(paths: list[str], base: str) -> bytes:
    urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in paths)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


class HostileSite(LoopbackSite):
    """`robots`: "ok" (rules `robots_rules`), "500", "503", "404", "hang-up" (the connection closed unanswered),
    "redirect-N" (N hops, then the rules). `index`: 0 for a plain sitemap of the articles (and `extra` URLs), or the
    number of sitemaps a sitemap index lists (the first three list one article each, the rest nothing)."""

    def __init__(self, robots: str = "ok", robots_rules: str = "User-agent: *\nDisallow: /private/\n",
                 index: int = 0, extra: tuple[str, ...] = ()):
        self.robots, self.robots_rules, self.index, self.extra = robots, robots_rules, index, list(extra)
        super().__init__()

    def asked(self, prefix: str) -> list[str]:
        with self._lock:
            return [p for p in self.paths if p.startswith(prefix)]

    # -- the answers ------------------------------------------------------------------------------------------
    def answer(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/robots.txt" or path.startswith("/robots-hop/"):
            return self.answer_robots(h, path)
        if path == "/":
            links = "".join(f'<a href="{a}">خبر</a>' for a in ARTICLES)
            return self.send(h, f"<html><body><h1>الرئيسية</h1>{links}</body></html>".encode())
        if path in ARTICLES:
            return self.send(h, article(ARTICLES.index(path)))
        if path == "/sitemap.xml":
            if not self.index:
                return self.send(h, urlset(ARTICLES + self.extra, self.url), "application/xml")
            # one sitemap index of `index` entries, built once per answer (a few MB at 100,000)
            entries = "".join(f"<sitemap><loc>{self.url}/sm/{i}.xml</loc></sitemap>" for i in range(self.index))
            body = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f"{entries}</sitemapindex>").encode()
            return self.send(h, body, "application/xml")
        if path.startswith("/sm/"):
            i = int(path[4:].split(".")[0])
            return self.send(h, urlset(ARTICLES[i:i + 1] if i < 3 else [], self.url), "application/xml")
        if path == "/r/spin":
            n = int(query.get("n", ["0"])[0])
            return self.redirect(h, f"/r/spin?n={n + 1}")
        if path.startswith("/chain/"):
            hops = len(path) - len("/chain/")
            if hops < 31:
                return self.redirect(h, "/chain/" + "x" * (hops + 1))
            return self.send(h, b"<html><body><p>the end of the chain</p></body></html>")
        if path.startswith("/private/"):
            return self.send(h, b"<html><body><p>private</p></body></html>")
        return self.send(h, b"<html><body>not here</body></html>", status=404)

    def answer_robots(self, h: BaseHTTPRequestHandler, path: str) -> None:
        mode = self.robots
        if mode == "hang-up":
            h.close_connection = True
            h.wfile.flush()
            h.connection.shutdown(2)  # closed with no answer at all: robots.txt is unreachable
            return
        if mode in ("500", "503", "404"):
            return self.send(h, b"no robots here", "text/plain", status=int(mode))
        if mode.startswith("redirect-"):
            hops = int(mode.split("-")[1])
            done = int(path.rsplit("/", 1)[1]) if path.startswith("/robots-hop/") else 0
            if done < hops:
                return self.redirect(h, f"/robots-hop/{done + 1}")
        return self.send(h, self.robots_rules.encode(), "text/plain")

