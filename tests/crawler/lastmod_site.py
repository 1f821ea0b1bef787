"""A small Arabic news site on 127.0.0.1 whose sitemap gives every article a `lastmod` (issue 28, Deliver 4).

`honest=False`: the lastmod is the publication date and never moves, whatever is edited (Pelican's, and many
sites'); `honest=True`: an edit moves it. No validators (no ETag, no Last-Modified): the text decides. A test edits
an article with `edit(i)`; every request path is kept in order (`site.paths`)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from tests.loopback_site import LoopbackSite

COUNT = 6
ARTICLES = [f"/2021/03/0{i + 1}/maqal-{i}/" for i in range(COUNT)]
TOPICS = ["السدود", "القطارات", "المكتبات", "الموانئ", "الحدائق", "المستشفيات"]
LEAD = ("قالت البلدية في بيان صدر صباح اليوم إن أعمال صيانة {topic} ستبدأ الأسبوع المقبل وتستمر شهرين، "
        "وإن السكان سيبلغون بمواعيد الإغلاق قبل أسبوع على الأقل، وإن الميزانية رصدت لهذا الغرض منذ العام الماضي. ")
EDIT = "<p>تحديث: أرجأت البلدية بدء الأعمال أسبوعا آخر بسبب الأمطار الغزيرة التي شهدتها المنطقة.</p>"


def article(i: int, edits: int) -> bytes:
    topic, day = TOPICS[i], f"2021-03-0{i + 1}"
    text = LEAD.format(topic=topic) * 6
    added = EDIT * edits
    return f"""<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>صيانة {topic} في المدينة</title>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "صيانة {topic} في المدينة",
"datePublished": "{day}T09:00:00+01:00"}}</script></head>
<body><article><h1>صيانة {topic} في المدينة</h1><time datetime="{day}">{day}</time>
<p>{text}</p>{added}</article></body></html>""".encode()


class LastmodSite(LoopbackSite):
    def __init__(self, honest: bool = False):
        self.honest = honest
        self.edits = [0] * COUNT
        super().__init__()

    def edit(self, i: int) -> None:
        self.edits[i] += 1

    def lastmod(self, i: int) -> str:
        day = f"2021-03-0{i + 1}T09:00:00+01:00"
        if self.honest and self.edits[i]:
            return f"2021-04-{10 + self.edits[i]:02d}T12:00:00+01:00"
        return day

    def asked(self, paths: list[str]) -> list[str]:
        with self._lock:
            return [p for p in paths if p in self.paths]

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        if path == "/robots.txt":
            return self.send(h, f"User-agent: *\nAllow: /\nSitemap: {self.url}/sitemap.xml\n".encode(), "text/plain")
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{self.url}{p}</loc><lastmod>{self.lastmod(i)}</lastmod></url>"
                           for i, p in enumerate(ARTICLES))
            return self.send(h, ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                 f"{urls}</urlset>").encode(), "application/xml")
        if path in ARTICLES:
            i = ARTICLES.index(path)
            return self.send(h, article(i, self.edits[i]))
        if path == "/":
            links = "".join(f'<li><a href="{p}">{TOPICS[i]}</a></li>' for i, p in enumerate(ARTICLES))
            return self.send(h, f'<html lang="ar"><body><h1>أخبار المدينة</h1><ul>{links}</ul></body></html>'.encode())
        return self.send(h, "<html><body><p>الصفحة غير موجودة</p></body></html>".encode(), status=404)
