"""One hostile Arabic news site on loopback with every case of issue 27 (tests/hostile/test_acceptance.py crawls it).

40 real articles (tests/hostile/articles.py), a sitemap, an RSS feed, a home page — and everything a site serves over
years of running unattended:

- a gzip bomb (10 GiB inflated, ~10 MiB on the wire: tests/warc/hostile_records.py's) as one article and as the
  stylesheet every article names; a 60 MB "article"; an 11 MB page of 1,000,000 nested <div>s; an article whose
  Content-Length is half its size; an article that never answers (hang) and one that drips a byte at a time;
- three soft-404s under dated paths, listed in the sitemap: every unknown path answers 200 "الصفحة غير موجودة";
- the encodings of tests/pages/encoding_site.py (windows-1256 and ISO-8859-6 undeclared, lying and latin-1 headers,
  a BOM, NUL bytes, gzip) and a header and a <meta> that disagree, on real articles of this site;
- a part of the site (one section, ten articles) whose every link carries a fresh `?sid=` per response;
- a sitemap index of 100,000 sitemaps; an endless redirect `/r/spin?n=N`; a 30-hop chain; redirect loops; an
  infinite calendar (`/YYYY/MM/`), infinite pagination (`/page/N/`) and ever-deeper paths (`/deep/a/a/…`), each
  the only way to one real article, so that a crawler must go in and come out;
- requisites on a private address (`http://10.0.0.1/…`), on a name whose address is private (`static.hostile.test`,
  10.0.0.2 in the namespace's /etc/hosts) and on a name that does not resolve (`cdn.nowhere.invalid`).

The pieces the other hostile sites own are imported, not copied. `paths` lists every request, in order.
"""

from __future__ import annotations

import codecs
import gzip
import os
import time
import uuid
from functools import cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from replica.arabic_dates import SITE_NAME
from tests.hostile.articles import Article, articles, page
from tests.loopback_site import LoopbackSite
from tests.pages.encoded_pages import HTTP_EQUIV, META
from tests.pages.encoding_site import ARTICLES as ENCODINGS

COUNT = 40                     # real articles in crawl 1; crawl 2 finds one more (NEW)
NEW = COUNT
SID_PART = range(20, 30)       # every link of these pages carries a fresh ?sid=
IN_SITEMAP = range(0, 34)
IN_FEED = range(26, 36)
GZIP = {"Content-Encoding": "gzip"}
ONLY_ON_HOME, ONLY_IN_CALENDAR, ONLY_PAGINATED, ONLY_DEEP = 39, 38, 37, 36
# slug: (encoding of the bytes, <head> declaration, Content-Type, gzip): encoding_site's cases, and two of our own
ENCODED = {slug: (enc, head, ctype, gz) for slug, (_, enc, head, ctype, gz) in ENCODINGS.items()}
ENCODED["header-1256-meta-utf8"] = ("cp1256", META.format("utf-8"), "text/html; charset=windows-1256", False)
ENCODED["meta-1256-header-utf8"] = ("cp1256", META.format("windows-1256"), "text/html; charset=utf-8", False)
ENCODED["iso-8859-6-http-equiv"] = ("iso-8859-6", HTTP_EQUIV.format("ISO-8859-6"), "text/html", False)
ENCODED_AT = dict(enumerate(ENCODED))   # article number → its encoding case

BOMB = "/2021/10/25/qunbula/"
STYLE = "/wp-content/themes/italiya/style.css"            # every article's stylesheet: the bomb again
GIANT = "/2021/10/20/malaf-shamel/"                       # 60 MB, marked up as an article
NESTED = "/archive/tree/"                                 # 11 MB: 1,000,000 nested <div>s
HALF = "/2021/10/22/nisf-khabar/"                         # Content-Length: half of what it is
HANG = "/2021/10/23/intizar/"                             # never answers
DRIP = "/2021/10/24/qatra/"                               # a byte every quarter of a second
SOFT_404S = ("/2021/10/09/100%25-sure/", "/2021/10/15/tasrih-qadim/", "/2021/11/02/khabar-mahdhuf/")
REDIRECTS = ("/r/spin?n=0", "/chain/x", "/loop/a", "/loop/self")
PRIVATE, PRIVATE_NAME, UNRESOLVED = "10.0.0.1", "static.hostile.test", "cdn.nowhere.invalid"
HOSTS = f"127.0.0.1 localhost\n::1 localhost\n10.0.0.2 {PRIVATE_NAME}\n"
SITEMAPS = 100_000
GIANT_BYTES = 60_000_000
NESTED_DIVS = 1_000_000
NOT_FOUND = "الصفحة غير موجودة"
NOT_FOUND_TEXT = ("عذرا، الصفحة التي تبحث عنها غير موجودة أو ربما تم نقلها إلى عنوان آخر. يمكنك العودة إلى الصفحة "
                  "الرئيسية أو استخدام البحث للعثور على ما تريد من أخبار إيطاليا والعالم العربي.")


@cache
def real() -> tuple[Article, ...]:
    """Every real article, crawl 2's new one last; those served in ISO-8859-6 written without «»."""
    out = []
    for a in articles(COUNT + 1):
        case = ENCODED_AT.get(a.n)
        out.append(a.plain() if case and ENCODED[case][0] == "iso-8859-6" else a)
    return tuple(out)


def bomb_cache() -> Path | None:
    folder = os.environ.get("ARSHIF_TEST_BOMB_CACHE")
    return Path(folder) / "bomb-10g.gz" if folder else None


@cache
def bomb() -> bytes:
    """The 10 GiB gzip bomb of tests/warc/hostile_records.py, kept in a file between processes (3 s to make)."""
    cached = bomb_cache()
    if cached is not None and cached.exists():
        return cached.read_bytes()
    from tests.warc.hostile_records import bomb as make

    body = make()
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(body)
    return body


@cache
def giant() -> bytes:
    """A 60 MB page marked up as a news article: one article's paragraphs, again and again."""
    a = real()[1]
    html = page(a, "")
    head, _, tail = html.partition('<div class="entry-content">\n')
    paragraph = "".join(f"<p>{p}</p>\n" for p in a.paragraphs).encode()
    times = GIANT_BYTES // len(paragraph) + 1
    return (head + '<div class="entry-content">\n').encode() + paragraph * times + tail.encode()


@cache
def nested() -> bytes:
    return (f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>شجرة - {SITE_NAME}</title>'
            "</head><body>" + "<div>" * NESTED_DIVS + "<p>أعمق صفحة في الموقع.</p>" + "</div>" * NESTED_DIVS
            + "</body></html>").encode()


@cache
def sitemap_index(base: str) -> bytes:
    entries = "".join(f"<sitemap><loc>{base}/sitemaps/sitemap-{i}.xml</loc></sitemap>" for i in range(SITEMAPS))
    return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</sitemapindex>").encode()


class HostileNewsSite(LoopbackSite):
    """`edition` 2 publishes one more article (NEW), in the sitemap, the feed and on the home page."""

    def __init__(self) -> None:
        self.edition = 1
        super().__init__()

    # -- what exists ---------------------------------------------------------------------------------------------
    def live(self) -> list[Article]:
        return list(real()[: COUNT + (self.edition == 2)])

    def by_path(self) -> dict[str, Article]:
        return {a.path: a for a in self.live()}

    def sitemap_paths(self) -> list[str]:
        listed = [a.path for a in self.live() if a.n in IN_SITEMAP or a.n == NEW]
        return listed + [BOMB, GIANT, NESTED, HALF, HANG, DRIP, *SOFT_404S, *REDIRECTS]

    # -- the answers -------------------------------------------------------------------------------------------
    def answer(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parse_qs(parts.query)
        base = self.url
        if path == "/robots.txt":
            return self.send(h, f"User-agent: *\nDisallow: /wp-admin/\nSitemap: {base}/sitemap.xml\n"
                                f"Sitemap: {base}/sitemap_index.xml\n".encode(), "text/plain")
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in self.sitemap_paths())
            return self.send(h, ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
                                 f'schemas/sitemap/0.9">{urls}</urlset>').encode(), "application/xml")
        if path == "/sitemap_index.xml":
            return self.send(h, sitemap_index(base), "application/xml")
        if path.startswith("/sitemaps/sitemap-"):
            return self.send(h, b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
                                b'schemas/sitemap/0.9"></urlset>', "application/xml")
        if path == "/feed/":
            return self.send(h, self.feed(), "application/rss+xml; charset=UTF-8")
        if path == "/":
            shown = [a for a in self.live() if a.n in (*range(30, 36), ONLY_ON_HOME, NEW)]
            return self.listing(h, "الرئيسية", shown, [
                "/page/2/", "/2021/10/", "/category/mudun/", "/deep/a/", NESTED, *REDIRECTS])
        if path in (BOMB, STYLE):
            return self.send(h, bomb(), "text/css" if path == STYLE else "text/html; charset=utf-8", headers=GZIP)
        if path == GIANT:
            return self.send(h, giant())
        if path == NESTED:
            return self.send(h, nested())
        if path == HALF:
            body = page(_moved(real()[2], HALF), base).encode()
            return self.send(h, body, declared=len(body) // 2)
        if path == HANG:
            time.sleep(60)
            return None
        if path == DRIP:
            return self.drip(h)
        if path in self.by_path():
            return self.article(h, self.by_path()[path])
        if path == "/r/spin":
            return self.redirect(h, f"/r/spin?n={int(query.get('n', ['0'])[0]) + 1}")
        if path.startswith("/chain/"):  # 30 hops, each of a new shape (hostile_standards' chain)
            hop = len(path) - len("/chain/")
            if hop < 30:
                return self.redirect(h, "/chain/" + "x" * (hop + 1))
            return self.listing(h, "نهاية السلسلة", [], [])
        if path in ("/loop/a", "/loop/b"):
            return self.redirect(h, "/loop/b" if path == "/loop/a" else "/loop/a")
        if path == "/loop/self":
            return self.redirect(h, "/loop/self")
        if path.startswith("/page/") and path.strip("/").split("/")[-1].isdigit():
            n = int(path.strip("/").split("/")[-1])
            shown = [a for a in self.live() if (a.n + n) % 7 == 0 and a.n < 36]
            if n == 2:
                shown.append(real()[ONLY_PAGINATED])
            return self.listing(h, f"الصفحة {n}", shown, [f"/page/{n + 1}/", f"/page/{max(n - 1, 1)}/"])
        calendar = path.strip("/").split("/")
        if len(calendar) == 2 and all(p.isdigit() for p in calendar):  # /YYYY/MM/: every month, forever
            year, month = int(calendar[0]), int(calendar[1])
            if 1 <= month <= 12:
                shown = [a for a in self.live() if (a.published.year, a.published.month) == (year, month)
                         and a.n < 36]
                if (year, month) == (2021, 10):
                    shown.append(real()[ONLY_IN_CALENDAR])
                before = f"/{year - (month == 1)}/{(month - 2) % 12 + 1:02d}/"
                after = f"/{year + (month == 12)}/{month % 12 + 1:02d}/"
                return self.listing(h, f"أرشيف {month}/{year}", shown, [before, after])
        if path.startswith("/deep/"):
            shown = [real()[ONLY_DEEP]] if path == "/deep/a/" else []
            return self.listing(h, "أقسام", shown, [path + "a/", path + "b/"])
        if path == "/category/mudun/":
            shown = [a for a in self.live() if a.n in SID_PART]
            return self.listing(h, "مدن", shown, ["/category/mudun/page/2/"], sid=True)
        return self.send(h, self.not_found(), status=200)  # every unknown path: a soft-404

    # -- pages -------------------------------------------------------------------------------------------------
    def article(self, h: BaseHTTPRequestHandler, a: Article) -> None:
        base = self.url
        sid = a.n in SID_PART
        related = [b for b in self.live() if b.n != a.n and b.n < 36 and (b.n - a.n) % 6 == 0]
        if sid:
            related = [b for b in self.live() if b.n in SID_PART and b.n != a.n][:4]
        fresh = f"?sid={uuid.uuid4().hex}" if sid else ""
        links = "".join(f'<li><a href="{base}{b.path}{fresh}">{b.title}</a></li>' for b in related[:4])
        links += f'<li><a href="{base}/{fresh}">{SITE_NAME}</a></li>'
        assets = (f'<link rel="stylesheet" href="{base}{STYLE}">\n'
                  f'<link rel="stylesheet" href="http://{PRIVATE}/wp-content/cache/min.css">\n'
                  f'<link rel="stylesheet" href="http://{PRIVATE_NAME}/fonts/naskh.css">\n'
                  f'<meta property="og:image" content="http://{UNRESOLVED}/uploads/2021/{a.n}.jpg">\n')
        case = ENCODED_AT.get(a.n)
        if case is None:
            html = page(a, base, links=links, assets=assets, canonical=not sid)
            return self.send(h, html.encode())
        encoding, head, content_type, gz = ENCODED[case]
        html = page(a, base, head=head, links=links, assets=assets, nul=case == "nul-bytes")
        if encoding == "utf-8-sig":
            body = codecs.BOM_UTF8 + html.encode()
        else:  # what the code page cannot write (the chrome's «» in ISO-8859-6), as character references
            body = html.encode(encoding, "xmlcharrefreplace")
        return self.send(h, gzip.compress(body) if gz else body, content_type, headers=GZIP if gz else None)

    def listing(self, h: BaseHTTPRequestHandler, title: str, shown: list[Article], more: list[str],
                sid: bool = False) -> None:
        fresh = f"?sid={uuid.uuid4().hex}" if sid else ""
        items = "".join(f'<li><a href="{self.url}{a.path}{fresh}">{a.title}</a></li>' for a in shown)
        others = "".join(f'<li><a href="{self.url}{p}{fresh}">{p}</a></li>' for p in more)
        html = (f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title} - {SITE_NAME}'
                f'</title><link rel="alternate" type="application/rss+xml" href="{self.url}/feed/"></head><body>'
                f"<h1>{title}</h1><ul>{items}</ul><nav><ul>{others}</ul></nav></body></html>")
        return self.send(h, html.encode())

    def not_found(self) -> bytes:
        return (f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{NOT_FOUND} - '
                f'{SITE_NAME}</title></head><body><header><a href="{self.url}/">{SITE_NAME}</a></header><main>'
                f"<h1>{NOT_FOUND}</h1><p>{NOT_FOUND_TEXT}</p></main></body></html>").encode()

    def feed(self) -> bytes:
        items = []
        for a in self.live():
            if a.n in IN_FEED or a.n == NEW:
                items.append(f"<item><title>{a.title}</title><link>{self.url}{a.path}</link>"
                             f"<guid>{self.url}{a.path}</guid>"
                             f"<pubDate>{a.published.strftime('%a, %d %b %Y %H:%M:%S %z')}</pubDate>"
                             f"<description><![CDATA[{a.paragraphs[0][:200]}]]></description></item>")
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>{SITE_NAME}</title><link>{self.url}/</link><description>أخبار</description>"
                f'{"".join(reversed(items))}</channel></rss>').encode()

    def drip(self, h: BaseHTTPRequestHandler) -> None:
        body = page(_moved(real()[3], DRIP), self.url).encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        try:
            for k in range(0, min(len(body), 400)):
                h.wfile.write(body[k:k + 1])
                h.wfile.flush()
                time.sleep(0.25)
        except OSError:
            pass



def _moved(a: Article, path: str) -> Article:
    """An article's text served at another path (the half page and the drip are copies of real ones)."""
    return Article(a.n, a.title, a.paragraphs, a.published, path, a.section)


def url_of(base: str, path: str) -> str:
    return base + quote(path, safe="/-_.~%?=")
