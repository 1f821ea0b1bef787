"""An edited article is asked for once, not on every later run (issue 28, Deliver 5).

A site whose Atom feed gives an article's `<updated>` (it moves with an edit) and whose RSS feed gives its `<pubDate>`
(it stays the publication date) names two instants for one article once it is edited. A run took the disagreement
for an edit and asked for the article again on every later run (each time answered 304). The rule now: a source's
date that is no later than the one kept at the last capture says nothing changed, and of two dates a run hears for
one article the later is kept; and the sitemap's lastmod and the feed's updated both date the last change, so a feed
read after the capture (a race) that repeats the sitemap's date is no news.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler

import pytest

from crawler.discovery.incremental import captured_dates, keep_latest, later, news
from tests.crawling import arshif
from tests.loopback_site import LoopbackSite

QUICK = ("--no-assets", "--set", "RETRY_TIMES=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "DOWNLOAD_TIMEOUT=5")
TEXT = ("أعلنت البلدية اليوم عن افتتاح حديقة عامة جديدة في وسط المدينة، وقال رئيس البلدية إن الحديقة ستفتح "
        "أبوابها للزوار كل يوم من الصباح حتى المساء بعد انتهاء أعمال الزراعة وتركيب المقاعد. ") * 6
PUBLISHED = [f"2021-03-0{i + 1}T10:00:00+01:00" for i in range(4)]
EDITED = "2021-04-10T09:00:00+01:00"


class EditedSite(LoopbackSite):
    """Four articles in a sitemap (lastmod), an Atom feed (updated) and an RSS feed (pubDate); each article has an
    ETag and answers 304 to it. `edit(i)` changes article i's text and its Modified date (the sitemap's lastmod and
    the Atom feed's updated move; the RSS pubDate does not)."""

    def __init__(self):
        self.modified: dict[int, str] = {}
        super().__init__()

    @staticmethod
    def path(i: int) -> str:
        return f"/posts/hadiqa-{i}.html"

    def when(self, i: int) -> str:
        return self.modified.get(i, PUBLISHED[i])

    def edit(self, i: int) -> None:
        self.modified[i] = EDITED

    def article(self, i: int) -> bytes:
        extra = " وأضافت البلدية أن الدخول سيكون مجانيا طوال الشهر الأول." if i in self.modified else ""
        return f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>حديقة رقم {i}</title>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "حديقة رقم {i}",
"datePublished": "{PUBLISHED[i]}", "dateModified": "{self.when(i)}"}}</script></head>
<body><article><h1>حديقة رقم {i}</h1><p>{TEXT}</p><p>{TEXT}{extra}</p></article></body></html>""".encode()

    def asked(self, i: int) -> int:
        with self._lock:
            return self.paths.count(self.path(i))

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        path, n, base = h.path, range(len(PUBLISHED)), self.url
        if path == "/robots.txt":
            return self.send(h, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == "/":
            links = "".join(f'<a href="{self.path(i)}">خبر</a>' for i in n)
            feeds = ('<link rel="alternate" type="application/atom+xml" href="/feeds/all.atom.xml">'
                     '<link rel="alternate" type="application/rss+xml" href="/feeds/all.rss.xml">')
            return self.send(h, f"<html><head>{feeds}</head><body>{links}</body></html>".encode())
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{base}{self.path(i)}</loc><lastmod>{self.when(i)}</lastmod></url>" for i in n)
            return self.send(h, ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                 f"{urls}</urlset>").encode(), "application/xml")
        if path == "/feeds/all.atom.xml":
            entries = "".join(f'<entry><title>حديقة</title><link href="{base}{self.path(i)}"/><id>{i}</id>'
                              f"<published>{PUBLISHED[i]}</published><updated>{self.when(i)}</updated></entry>"
                              for i in n)
            return self.send(h, ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>حدائق</title>'
                                 f"{entries}</feed>").encode(), "application/atom+xml")
        if path == "/feeds/all.rss.xml":
            items = "".join(f"<item><title>حديقة</title><link>{base}{self.path(i)}</link><pubDate>"
                            f"{format_datetime(datetime.fromisoformat(PUBLISHED[i]))}</pubDate></item>" for i in n)
            return self.send(h, f'<?xml version="1.0"?><rss version="2.0"><channel><title>حدائق</title>{items}'
                                f"</channel></rss>".encode(), "application/rss+xml")
        for i in n:
            if path == self.path(i):
                body = self.article(i)
                etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
                if h.headers.get("If-None-Match") == etag:
                    h.send_response(304)
                    h.send_header("ETag", etag)
                    h.end_headers()
                    return None
                return self.send(h, body, headers={"ETag": etag})
        return self.send(h, b"<html><body>not here</body></html>", status=404)


@pytest.mark.slow
def test_an_edited_article_is_asked_for_once_then_left_alone(tmp_path):
    data = tmp_path / "data"
    asked = []
    with EditedSite() as site:
        for run in range(1, 5):
            if run == 2:
                site.edit(0)
            del site.paths[:]
            result = arshif("--data", str(data), "crawl", "--site", site.url + "/", *QUICK, timeout=120)
            assert result.returncode == 0, result.stdout + result.stderr
            asked.append([site.asked(i) for i in range(4)])
    assert asked[0] == [1, 1, 1, 1]
    assert asked[1] == [1, 0, 0, 0]  # the edit: its lastmod moved
    assert asked[2] == asked[3] == [0, 0, 0, 0], asked  # runs 3 and 4: nothing moved since the edit was captured
    with sqlite3.connect(data / "archive.db") as conn:
        versions = dict(conn.execute("SELECT canonical, versions FROM articles"))
    assert sorted(versions.values()) == [1, 1, 1, 2], versions


def test_a_date_no_later_than_the_captured_one_is_no_news():
    assert later("2021-04-10T09:00:00+01:00", "2021-03-01T10:00:00+01:00")
    assert not later("Mon, 01 Mar 2021 09:00:00 +0000", "2021-04-10T09:00:00+01:00")  # an RSS pubDate
    assert not later("2021-03-01T09:00:00Z", "2021-03-01T10:00:00+01:00")  # the same instant
    assert not later(None, "2021-03-01") and not later("2021-03-01", None)
    assert later("yesterday", "today") and not later("today", "today")  # unparsable: compared as text
    # the sitemap's date kept at the capture answers a feed read after it
    assert not news("2021-04-10T08:00:00Z", ("2021-04-10T09:00:00+01:00", "2021-03-01T10:00:00+01:00"))
    assert news("2021-04-11", ("2021-04-10T09:00:00+01:00", "2021-03-01T10:00:00+01:00"))
    assert not news("2021-04-11", (None, None)) and not news(None, ("2021-04-10", None))


def test_the_later_of_two_dates_is_kept():
    facts = keep_latest({}, {"feed_updated": EDITED, "feed_author": "سلمى"})
    keep_latest(facts, {"feed_updated": "Mon, 01 Mar 2021 09:00:00 +0000", "feed_author": "سلمى علي"})
    assert facts == {"feed_updated": EDITED, "feed_author": "سلمى علي"}
    # a capture never keeps an earlier date than the last one did, and keeps the last one when told nothing
    assert captured_dates({"feed_updated": "2021-03-01T10:00:00+01:00"}, (None, EDITED)) == {
        "captured_lastmod": None, "captured_feed_updated": EDITED}
    assert captured_dates({"sitemap_lastmod": EDITED}, ("2021-03-01", None)) == {
        "captured_lastmod": EDITED, "captured_feed_updated": None}
