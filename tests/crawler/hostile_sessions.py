"""A small Arabic news site on 127.0.0.1 that writes a fresh session id into every link of every response (issue 27,
Deliver 2: URL variants of one page bounded).

Twelve articles, a home page and two more pages of its list, a section page. Every link of a page carries
`?<param>=<a new random value for this response>` (the same value on every link of that page, as PHP's trans-sid
does): `sid` (a name canonical() knows) or `visit` (a name it does not). The first three articles also have an
Italian version, `?lang=it`, whose own links carry `lang=it` and the session. No sitemap and no feed by default
(links only: the hard case); `sitemap=True` serves a sitemap whose URLs carry a session id too.
"""

from __future__ import annotations

import secrets
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.loopback_site import LoopbackSite

TITLES = ["افتتاح مكتبة جديدة في حي الميناء", "موسم الزيتون يبدأ مبكرا هذا العام", "طلاب الجامعة يطلقون مجلة علمية",
          "مهرجان الخط العربي يستقبل زواره", "تجديد السوق القديم بعد سنوات من الإهمال",
          "فريق المدينة يفوز في المباراة النهائية", "أمطار غزيرة تعيد الحياة إلى الوادي",
          "معرض للصور يروي حكايات الصيادين", "مدرسة ريفية تحصل على مختبر حاسوب",
          "قطار سريع يربط المدينتين الشهر المقبل",
          "حديقة عامة تفتح أبوابها للعائلات", "ندوة عن تاريخ المقاهي الأدبية"]
ITALIAN = ["Una nuova biblioteca nel quartiere del porto", "La raccolta delle olive comincia presto quest'anno",
           "Gli studenti lanciano una rivista scientifica"]
SENTENCES = ["قال مسؤولون محليون إن المشروع استغرق أكثر من عامين من العمل المتواصل بين البلدية والسكان.",
             "وأضاف أحد المشاركين أن الفكرة بدأت بلقاء صغير في مقهى الحي ثم كبرت شيئا فشيئا.",
             "ويأمل المنظمون أن يجذب الحدث زوارا من القرى المجاورة خلال عطلة نهاية الأسبوع.",
             "وتحدثت عائلات كثيرة عن فرحتها بالخبر، مؤكدة أن المدينة كانت تنتظر هذه الخطوة منذ زمن.",
             "ومن المنتظر أن تنشر اللجنة تقريرا مفصلا عن النتائج في بداية الشهر القادم."]
ARTICLES = [f"/2022/03/{i + 1:02d}/khabar-{i}/" for i in range(12)]
PER_PAGE = 4
LISTINGS = ["/", "/page/2/", "/page/3/", "/category/mahalli/"]


def body_text(i: int) -> str:
    return " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(12))


class SessionSite(LoopbackSite):
    """`param`: the session parameter's name (`sid`, `visit`). `sitemap`: serve /sitemap.xml (its URLs carrying a
    session id too). Each answer gets a fresh value (`values` counts them)."""

    def __init__(self, param: str = "sid", sitemap: bool = False):
        self.param, self.sitemap = param, sitemap
        super().__init__()

    def fresh(self) -> str:
        return secrets.token_hex(16)

    def link(self, path: str, session: str, lang: str = "") -> str:
        query = (f"lang={lang}&" if lang else "") + f"{self.param}={session}"
        return f"{path}?{query}"

    # -- the pages --------------------------------------------------------------------------------------------
    def page(self, title: str, inner: str, session: str, lang: str = "ar") -> bytes:
        menu = "".join(f'<li><a href="{self.link(p, session)}">قسم</a></li>' for p in LISTINGS)
        return f"""<!doctype html><html lang="{lang}" dir="{'rtl' if lang == 'ar' else 'ltr'}"><head>
<meta charset="utf-8"><title>{title}</title></head>
<body><nav><ul>{menu}</ul></nav>{inner}<footer><a href="{self.link('/about/', session)}">من نحن</a></footer>
</body></html>""".encode()

    def listing(self, number: int, session: str) -> bytes:
        chosen = ARTICLES[(number - 1) * PER_PAGE:number * PER_PAGE] if number else ARTICLES
        items = "".join(f'<h2><a href="{self.link(p, session)}">{TITLES[ARTICLES.index(p)]}</a></h2>'
                        for p in chosen)
        pages = "".join(f'<a href="{self.link("/" if n == 1 else f"/page/{n}/", session)}">{n}</a> '
                        for n in (1, 2, 3))
        return self.page("أخبار المدينة", f"<main>{items}<div class='pages'>{pages}</div></main>", session)

    def article(self, i: int, session: str, lang: str = "") -> bytes:
        title = ITALIAN[i] if lang == "it" else TITLES[i]
        text = ("Il consiglio comunale ha presentato il progetto ai cittadini. " * 20) if lang == "it" \
            else body_text(i)
        neighbours = ARTICLES[:len(ITALIAN)] if lang else [ARTICLES[(i + k) % 12] for k in (1, 2, 3)]
        related = "".join(f'<li><a href="{self.link(p, session, lang)}">المزيد</a></li>' for p in neighbours)
        other = ""
        if i < len(ITALIAN):
            other = (f'<a href="{self.link(ARTICLES[i], session)}">عربي</a>' if lang else
                     f'<a href="{self.link(ARTICLES[i], session, "it")}">Italiano</a>')
        inner = f"""<article><h1>{title}</h1>
<time datetime="2022-03-{i + 1:02d}T09:00:00+02:00">2022-03-{i + 1:02d}</time>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{title}",
"datePublished": "2022-03-{i + 1:02d}T09:00:00+02:00"}}</script>
<p>{text}</p>{other}</article><aside><ul>{related}</ul></aside>"""
        return self.page(title, inner, session, lang or "ar")

    # -- the answers ------------------------------------------------------------------------------------------
    def answer(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parse_qs(parts.query)
        lang = query.get("lang", [""])[0]
        session = self.fresh()  # a new session at every answer: PHP's trans-sid, for a client without cookies
        if path == "/robots.txt":
            return self.send(h, b"User-agent: *\nDisallow: /admin/\n", "text/plain")
        if path == "/sitemap.xml" and self.sitemap:
            urls = "".join(f"<url><loc>{self.url}{self.link(p, self.fresh())}</loc></url>" for p in ARTICLES)
            return self.send(h, ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                                      f'sitemap/0.9">{urls}</urlset>').encode(), "application/xml")
        if path == "/":
            return self.send(h, self.listing(1, session))
        if path.startswith("/page/"):
            number = int(path.strip("/").split("/")[1])
            if number in (2, 3):
                return self.send(h, self.listing(number, session))
        if path == "/category/mahalli/":
            return self.send(h, self.listing(0, session))
        if path == "/about/":
            return self.send(h, self.page("من نحن", "<main><p>موقع إخباري صغير.</p></main>", session))
        if path in ARTICLES:
            i = ARTICLES.index(path)
            if lang == "it" and i < len(ITALIAN):
                return self.send(h, self.article(i, session, "it"))
            return self.send(h, self.article(i, session))
        return self.send(h, b"<html><body>not here</body></html>", status=404)


    def pages(self) -> int:
        """The site's distinct pages: its listings, the about page, its articles and their Italian versions."""
        return len(LISTINGS) + 1 + len(ARTICLES) + len(ITALIAN)
