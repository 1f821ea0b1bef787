"""A small Arabic news site on 127.0.0.1 whose articles come in every encoding an old site serves (issue 27,
Deliver 3): windows-1256 and ISO-8859-6 declared nowhere, a header that lies, a server's latin-1 default, a BOM,
NUL bytes, a gzip-compressed windows-1256 page. A home page and a sitemap list them all."""

from __future__ import annotations

import codecs
import gzip
from http.server import BaseHTTPRequestHandler

from tests.loopback_site import LoopbackSite
from tests.pages.encoded_pages import META, TITLE, page

# slug: (title, the page's bytes, Content-Type, gzip-compressed)
WHEN = ("صباحا", "ظهرا", "عصرا", "مساء", "ليلا", "فجرا", "اليوم", "أمس")
ARTICLES = {
    "cp1256-bare": (f"{TITLE} {WHEN[0]}", "cp1256", "", "text/html", False),
    "iso-8859-6-bare": (f"{TITLE} {WHEN[1]}", "iso-8859-6", "", "text/html", False),
    "latin1-header": (f"{TITLE} {WHEN[2]}", "cp1256", "", "text/html; charset=ISO-8859-1", False),
    "lying-utf8-header": (f"{TITLE} {WHEN[3]}", "cp1256", "", "text/html; charset=utf-8", False),
    "nul-bytes": (f"{TITLE} {WHEN[4]}", "utf-8", "", "text/html; charset=utf-8", False),
    "utf8-bom": (f"{TITLE} {WHEN[5]}", "utf-8-sig", "", "text/html", False),
    "cp1256-meta": (f"{TITLE} {WHEN[6]}", "cp1256", META.format("windows-1256"), "text/html", False),
    "cp1256-gzip-bare": (f"{TITLE} {WHEN[7]}", "cp1256", "", "text/html", True),
}


def path_of(slug: str) -> str:
    return f"/2021/10/09/{slug}/"


def body_of(slug: str) -> bytes:
    title, encoding, head, _, _ = ARTICLES[slug]
    text = page(head, nul=slug == "nul-bytes", title=title)
    return codecs.BOM_UTF8 + text.encode() if encoding == "utf-8-sig" else text.encode(encoding)


class EncodingSite(LoopbackSite):
    def answer(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        if path == "/robots.txt":
            return self.send(h, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{self.url}{path_of(slug)}</loc></url>" for slug in ARTICLES)
            return self.send(h, ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                 f"{urls}</urlset>").encode(), "application/xml")
        if path == "/":
            links = "".join(f'<li><a href="{path_of(slug)}">{ARTICLES[slug][0]}</a></li>' for slug in ARTICLES)
            return self.send(h, f'<html lang="ar"><head><meta charset="utf-8"><title>أخبار الجنوب</title></head>'
                                f"<body><ul>{links}</ul></body></html>".encode(), "text/html; charset=utf-8")
        for slug, (_, _, _, content_type, gzipped) in ARTICLES.items():
            if path == path_of(slug):
                body = body_of(slug)
                return self.send(h, gzip.compress(body) if gzipped else body, content_type, gzipped)
        return self.send(h, "<html><body><p>غير موجودة</p></body></html>".encode(), "text/html; charset=utf-8",
                         status=404)

    @staticmethod
    def send(h: BaseHTTPRequestHandler, body: bytes, content_type: str, gzipped: bool = False,
             status: int = 200) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        if gzipped:
            h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
