"""HTML of both themes: the article page with all its chrome, listings, static pages.

The chrome is what makes extraction hard on the real site, so it is all here: a header whose site name is an
`<h1>` (Blogger), navigation, breadcrumbs, a "most read" sidebar that changes between editions, related posts,
share buttons driven by a script, reader comments in Arabic, an archive widget, a footer. Links carry the traps
a crawler must survive: tracking parameters, `?m=1`, raw Arabic and lower-case escapes, robots-disallowed paths.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from html import escape
from urllib.parse import quote

from .arabic_dates import SITE_NAME, arabic_date
from .content import SECTIONS, Article, Site, mix
from .routes import BLOGGER_PAGE_SIZE, WP_PAGE_SIZE, Urls

SUFFIX = f" - {SITE_NAME}"
DESCRIPTION = "أخبار إيطاليا والعالم العربي باللغة العربية"
SHARE_SCRIPT = """<script>
document.querySelectorAll('.share-buttons button').forEach(function (b) {
  b.addEventListener('click', function () {
    var u = encodeURIComponent(b.parentNode.getAttribute('data-url'));
    window.open(b.getAttribute('data-share') + u, '_blank', 'width=600,height=400');
  });
});
</script>"""


def _e(text: str) -> str:
    return escape(text, quote=True)


def _excerpt(article: Article, words: int = 30) -> str:
    text = " ".join(article.paragraphs[0].split()[:words])
    return text + " …"


def classic_editor(paragraphs: list[str], salt: int) -> str:
    """A body as Blogger's classic editor writes it: runs of text separated by <br />, a blank line (two of them)
    between paragraphs, a single one where the writer pressed Enter once inside a paragraph; no <p> at all."""
    runs = []
    for n, html in enumerate(paragraphs):
        stops = [k for k in range(len(html) - 2) if html[k] in ".؟!" and html[k + 1] == " "]
        if stops and mix(salt, n, "line-break") % 2 == 0:
            k = stops[mix(salt, n, "line-break-at") % len(stops)]
            html = html[: k + 1] + "<br />" + html[k + 2:]
        runs.append(html)
    return "<br /><br />".join(runs)


class Pages:
    def __init__(self, site: Site, urls: Urls, base: str, cdn: str):
        self.site, self.urls, self.base, self.cdn = site, urls, base, cdn
        self.theme = urls.theme

    def absolute(self, path: str) -> str:
        return self.base + path

    # -- shared pieces --------------------------------------------------------------------------------------
    def _head(self, title: str, canonical: str, extra: str = "", charset: str = "utf-8") -> str:
        if self.theme == "wordpress":
            feeds = (f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} &raquo; الخلاصة" '
                     f'href="{self.absolute("/feed/")}">\n')
            css = (f'<link rel="stylesheet" id="theme-css" href="{self.absolute(self.urls.stylesheet())}">\n'
                   f'<script src="{self.absolute(self.urls.script())}" defer></script>')
            meta = f'<meta charset="{charset}">'
        else:
            feeds = (f'<link rel="alternate" type="application/atom+xml" title="{SITE_NAME} - Atom" '
                     f'href="{self.absolute("/feeds/posts/default")}">\n'
                     f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME} - RSS" '
                     f'href="{self.absolute("/feeds/posts/default?alt=rss")}">\n')
            css = (f'<link rel="stylesheet" href="{self.cdn}/static/v1/widgets/widgets.css">\n'
                   f'<link rel="stylesheet" href="{self.absolute(self.urls.stylesheet())}">\n'
                   f"<script src='{self.absolute(self.urls.script())}' type='text/javascript'></script>")
            meta = (f"<meta content='text/html; charset={charset.upper()}' http-equiv='Content-Type'>\n"
                    "<meta content='blogger' name='generator'>")
        return (f"<!DOCTYPE html>\n<html dir=\"rtl\" lang=\"ar\">\n<head>\n{meta}\n"
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{_e(title)}</title>\n"
                f'<link rel="canonical" href="{_e(canonical)}">\n{feeds}{css}\n{extra}</head>\n')

    @cached_property
    def _header_html(self) -> str:
        return self._header()

    def _header(self) -> str:
        nav = "".join(f'<li><a href="{self.absolute(self.urls.section(s.key))}">{s.name}</a></li>'
                      for s in SECTIONS)
        logo = f'<img src="{self.absolute(self.urls.logo())}" alt="{SITE_NAME}" width="180" height="60">'
        if self.theme == "wordpress":
            return (f'<header id="masthead" class="site-header"><div class="site-branding">'
                    f'<a href="{self.base}/" rel="home">{logo}</a>'
                    f'<p class="site-title"><a href="{self.base}/" rel="home">{SITE_NAME}</a></p>'
                    f'<p class="site-description">{DESCRIPTION}</p></div>\n'
                    f'<nav id="site-navigation" class="main-navigation"><ul class="menu">'
                    f'<li><a href="{self.base}/">الرئيسية</a></li>{nav}'
                    f'<li><a href="{self.absolute("/about/")}">من نحن</a></li></ul></nav></header>\n')
        # Blogger: the site name is the page's <h1>, on article pages too (the trap for title extraction).
        return (f'<div class="header-outer"><div class="header section" id="header"><div class="widget Header">'
                f'<h1 class="title"><a href="{self.base}/">{SITE_NAME}</a></h1>'
                f'<p class="description"><span>{DESCRIPTION}</span></p></div></div></div>\n'
                f'<div class="tabs-outer"><div class="widget PageList"><ul>'
                f'<li><a href="{self.base}/">الرئيسية</a></li>{nav}'
                f'<li><a href="{self.absolute("/p/about.html")}">من نحن</a></li></ul></div></div>\n')

    def _most_read(self) -> str:
        items = []
        for i in self.site.most_read():
            href = self.absolute(self.urls.article_lower(i)) + "?utm_source=most_read&utm_medium=sidebar"
            items.append(f'<li><a href="{href}">{_e(self.site.title(i))}</a></li>')
        cls = "widget widget_most_read" if self.theme == "wordpress" else "widget PopularPosts"
        return f'<section class="{cls}"><h2 class="widget-title">الأكثر قراءة</h2><ol>{"".join(items)}</ol></section>'

    def _archive_widget(self) -> str:
        items = "".join(f'<li><a href="{self.absolute(self.urls.month(y, m))}">{y}/{m:02d}</a> ({c})</li>'
                        for y, m, c in self.site.month_counts)
        title = "الأرشيف" if self.theme == "wordpress" else "أرشيف المدونة"
        cls = "widget widget_archive" if self.theme == "wordpress" else "widget BlogArchive"
        return f'<section class="{cls}"><h2 class="widget-title">{title}</h2><ul>{items}</ul></section>'

    def _labels_widget(self) -> str:
        if self.theme == "wordpress":
            return ""
        names = [s.name for s in SECTIONS] + sorted(self.site.by_tag)[:20]
        links = "".join(f'<li><a dir="ltr" href="{self.absolute(self.urls.tag(n))}">{n}</a></li>' for n in names)
        return f'<section class="widget Label"><h2>التسميات</h2><ul>{links}</ul></section>'

    @cached_property
    def _sidebar_html(self) -> str:
        return self._sidebar()

    def _sidebar(self) -> str:
        return (f'<aside id="secondary" class="widget-area sidebar">{self._most_read()}'
                f'{self._archive_widget()}{self._labels_widget()}</aside>\n')

    def _footer(self, current: str) -> str:
        if self.theme == "wordpress":
            links = (f'<a href="{self.absolute("/about/")}">من نحن</a> | '
                     f'<a href="{self.absolute("/contact/")}">اتصل بنا</a> | '
                     f'<a href="{self.absolute("/wp-login.php")}">تسجيل الدخول</a> | '
                     f'<a href="{self.absolute(current)}?m=1">نسخة الجوال</a>')
        else:
            sep = "&" if "?" in current else "?"
            links = (f'<a href="{self.absolute("/p/about.html")}">من نحن</a> | '
                     f'<a href="{self.absolute("/p/contact.html")}">اتصل بنا</a> | '
                     f'<a href="{self.absolute(current)}{sep}m=1">عرض إصدار الجوال</a>')
        return (f'<footer id="colophon" class="site-footer"><nav class="footer-links">{links}</nav>'
                f'<p class="copyright">© 2025 {SITE_NAME}. جميع الحقوق محفوظة.</p></footer>\n')

    def _layout(self, head: str, main: str, current: str, article_page: bool = False) -> str:
        return (f"{head}<body class=\"{'single' if article_page else 'archive'}\">\n"
                f"{self._header_html}<div id=\"content\" class=\"site-content\">\n"
                f"<main id=\"main\" class=\"site-main\">\n{main}</main>\n{self._sidebar_html}</div>\n"
                f"{self._footer(current)}</body>\n</html>\n")

    # -- the article page -----------------------------------------------------------------------------------
    def date_sources(self, a: Article) -> str:
        """Where the page states the article's date: the article's own choice, unless a Blogger variant changes
        it (dateline-only: the dateline alone; microdata-only: no JSON-LD or article: meta, so Blogger's
        abbr.published alone, which the blogger theme calls "time")."""
        chosen = a.blogger_variants if self.theme == "blogger" else ()
        if "dateline-only" in chosen:
            return "dateline-only"
        if "microdata-only" in chosen and a.date_sources in ("all", "jsonld", "meta"):
            return "time"
        return a.date_sources

    def variants(self, a: Article) -> list[str]:
        """The real-Blogger variants this page shows (none on the wordpress theme). Besides the chosen ones, a
        Blogger page whose date sources leave out JSON-LD and meta is microdata-only too, and one whose date is
        only in the dateline is dateline-only: the list says what the page is, not how it was chosen."""
        if self.theme != "blogger":
            return []
        sources = self.date_sources(a)
        out = ["classic-editor"] if "classic-editor" in a.blogger_variants else []
        if sources in ("time", "dateline-only"):
            out.append("microdata-only")
        if sources == "dateline-only":
            out.append("dateline-only")
        return out

    def article(self, i: int, mobile: bool = False) -> tuple[str, str]:
        """The article page and the charset it is written in."""
        a = self.site.article(i)
        sources = self.date_sources(a)
        path = self.urls.article(i)
        url = self.absolute(path)
        image = self.cdn + self.urls.image(i, a.image_format)
        extra = [f'<meta name="description" content="{_e(_excerpt(a, 25))}">']
        if self.theme == "wordpress":
            extra.append(f'<link rel="shortlink" href="{self.base}/?p={i}">')
        if a.og:
            og = {"og:locale": "it_IT" if a.lang == "it" else "ar_AR", "og:title": a.title, "og:url": url,
                  "og:image": image, "og:site_name": SITE_NAME, "og:description": _excerpt(a, 20)}
            if self.theme == "wordpress":
                og["og:type"] = "article"
            extra += [f'<meta property="{k}" content="{_e(v)}">' for k, v in og.items()]
        if sources in ("all", "meta"):
            extra.append(f'<meta property="article:published_time" content="{a.published.isoformat()}">')
            extra.append(f'<meta property="article:modified_time" content="{a.modified.isoformat()}">')
            if self.theme == "wordpress":
                extra.append(f'<meta property="article:section" content="{_e(a.section.name)}">')
                extra += [f'<meta property="article:tag" content="{_e(t)}">' for t in a.tags]
        if sources in ("all", "jsonld"):
            extra.append(self._jsonld(a, url, image))
        extra.append(f'<meta name="author" content="{_e(a.author)}">')
        head = self._head(a.title + SUFFIX, url, "\n".join(extra) + "\n", charset=a.encoding)
        main = self._wp_article(a, url, image) if self.theme == "wordpress" else \
            self._blogger_article(a, url, image)
        page = self._layout(head, main, path, article_page=True)
        if mobile:
            page = self._mobile(page)
        return page, a.encoding

    def _jsonld(self, a: Article, url: str, image: str) -> str:
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle" if self.theme == "wordpress" else "BlogPosting",
            "headline": a.title, "datePublished": a.published.isoformat(),
            "dateModified": a.modified.isoformat(), "author": {"@type": "Person", "name": a.author},
            "publisher": {"@type": "Organization", "name": SITE_NAME}, "image": image,
            "mainEntityOfPage": url, "inLanguage": a.lang, "articleSection": a.section.name,
            "keywords": ", ".join(a.tags),
        }
        return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'

    def _body_html(self, a: Article) -> str:
        paragraphs = self._paragraphs_html(a)
        if self.theme == "blogger" and "classic-editor" in a.blogger_variants:
            return classic_editor(paragraphs, a.id)
        return "\n".join(f"<p>{html}</p>" for html in paragraphs)

    def _paragraphs_html(self, a: Article) -> list[str]:
        paragraphs = []
        linked = self.urls.article_raw(a.link_to) if a.link_to is not None else None
        for n, text in enumerate(a.paragraphs):
            html = _e(text)
            if linked and n == 1:
                # a link between articles, written with raw Arabic in the href as editors paste it
                words = html.split(" ")
                k = min(3, len(words) - 1)
                words[k] = f'<a href="{_e(self.absolute(linked))}">{words[k]}</a>'
                html = " ".join(words)
            paragraphs.append(html)
        return paragraphs

    def _time_html(self, a: Article) -> str:
        if a.date_sources not in ("all", "time"):
            return ""
        return (f'<time class="entry-date published" datetime="{a.published.isoformat()}">'
                f'{arabic_date(a.published)}</time>'
                f'<time class="updated" datetime="{a.modified.isoformat()}">{arabic_date(a.modified)}</time>')

    def _share(self, url: str) -> str:
        return (f'<div class="share-buttons" data-url="{_e(url)}"><span>شارك المقال:</span>'
                '<button type="button" data-share="fb:">فيسبوك</button>'
                '<button type="button" data-share="tw:">تويتر</button>'
                '<button type="button" data-share="wa:">واتساب</button>'
                f'<a class="copy-link" href="{_e(url)}?utm_source=share&amp;utm_medium=copy&amp;'
                f'fbclid=IwAR0{mix(url) % 10**8:08d}">نسخ الرابط</a></div>\n{SHARE_SCRIPT}\n')

    def _related(self, a: Article) -> str:
        items = []
        for j in self.site.related(a.id):
            if j not in self.site.live_set:
                continue
            items.append(f'<li><a href="{_e(self.absolute(self.urls.article_raw(j)))}">'
                         f'{_e(self.site.title(j))}</a></li>')
        return f'<section class="related-posts"><h3>مقالات ذات صلة</h3><ul>{"".join(items)}</ul></section>\n'

    def _neighbours(self, a: Article) -> tuple[int | None, int | None]:
        live = self.site.live
        from bisect import bisect_left
        pos = bisect_left(live, a.id)
        older = live[pos - 1] if pos > 0 else None
        newer = live[pos + 1] if pos + 1 < len(live) and live[pos] == a.id else None
        return older, newer

    def _comments(self, a: Article, url: str) -> str:
        items = []
        for n, (name, text) in enumerate(a.comments):
            when = a.published.replace(minute=(a.published.minute + n) % 60)
            stamp = int(when.timestamp() * 1000) + n
            if self.theme == "wordpress":
                items.append(
                    f'<li id="comment-{a.id}{n}" class="comment"><article class="comment-body">'
                    f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">{_e(name)}</b>'
                    f' <span class="says">قال:</span></div><div class="comment-metadata">'
                    f'{arabic_date(when)}</div></footer><div class="comment-content"><p>{_e(text)}</p></div>'
                    f'<div class="reply"><a rel="nofollow" class="comment-reply-login" href="{self.base}'
                    f'/wp-login.php?redirect_to={quote(url, safe="")}">سجّل الدخول للرد</a></div></article></li>')
            else:
                items.append(
                    f'<dt class="comment-author" id="c{stamp}"><a name="c{stamp}"></a>{_e(name)} يقول...</dt>'
                    f'<dd class="comment-body"><p>{_e(text)}</p></dd><dd class="comment-footer">'
                    f'<span class="comment-timestamp"><a href="{_e(url)}?showComment={stamp}#c{stamp}">'
                    f'{arabic_date(when)}</a></span></dd>')
        count = f"{len(a.comments)} تعليقات" if a.comments else "لا توجد تعليقات"
        if self.theme == "wordpress":
            return (f'<section id="comments" class="comments-area"><h3 class="comments-title">{count}</h3>'
                    f'<ol class="comment-list">{"".join(items)}</ol><div id="respond" class="comment-respond">'
                    f'<h3>اترك تعليقاً</h3><p class="must-log-in">يجب أن تكون <a href="{self.base}/wp-login.php">'
                    f'مسجلاً للدخول</a> لتنشر تعليقاً.</p></div></section>\n')
        return (f'<div class="comments" id="comments"><h4>{count}:</h4><dl id="comments-block">'
                f'{"".join(items)}</dl></div>\n')

    def _wp_article(self, a: Article, url: str, image: str) -> str:
        section_url = self.absolute(self.urls.section(a.section.key))
        tags = "، ".join(f'<a href="{self.absolute(self.urls.tag(t))}" rel="tag">{_e(t)}</a>' for t in a.tags)
        older, newer = self._neighbours(a)
        nav = ""
        if older is not None:
            nav += (f'<div class="nav-previous"><a href="{self.absolute(self.urls.article(older))}" rel="prev">'
                    f'المقال السابق: {_e(self.site.title(older))}</a></div>')
        if newer is not None:
            nav += (f'<div class="nav-next"><a href="{self.absolute(self.urls.article(newer))}" rel="next">'
                    f'المقال التالي: {_e(self.site.title(newer))}</a></div>')
        lang = ' lang="it" dir="ltr"' if a.lang == "it" else ""
        return (f'<nav class="breadcrumbs"><a href="{self.base}/">الرئيسية</a> » <a href="{section_url}">'
                f'{a.section.name}</a> » <span>{_e(a.title)}</span></nav>\n'
                f'<article id="post-{a.id}" class="post type-post status-publish"{lang}>\n'
                f'<header class="entry-header"><h1 class="entry-title">{_e(a.title)}</h1>'
                f'<div class="entry-meta"><span class="byline">بقلم <span class="author vcard">{_e(a.author)}'
                f'</span></span> {self._time_html(a)} <span class="cat-links"><a href="{section_url}" '
                f'rel="category tag">{a.section.name}</a></span></div></header>\n'
                f'<figure class="post-thumbnail"><img src="{image}" alt="{_e(a.title)}" width="640" '
                f'height="360"></figure>\n<div class="entry-content">\n{self._body_html(a)}\n</div>\n'
                f'<footer class="entry-footer"><span class="tags-links">الوسوم: {tags}</span></footer>\n'
                f'{self._share(url)}</article>\n<nav class="post-navigation">{nav}</nav>\n'
                f'{self._related(a)}{self._comments(a, url)}')

    def _blogger_article(self, a: Article, url: str, image: str) -> str:
        labels = [a.section.name] + a.tags  # the section is the first label
        label_links = ", ".join(f'<a href="{self.absolute(self.urls.tag(n))}" rel="tag">{_e(n)}</a>'
                                for n in labels)
        machine = self.date_sources(a) != "dateline-only"
        date_header = f'<h2 class="date-header"><span>{arabic_date(a.published)}</span></h2>' if machine else ""
        stamp = ""
        if machine:
            stamp = (f'<span class="post-timestamp"> في <a class="timestamp-link" href="{_e(url)}" '
                     f'rel="bookmark"><abbr class="published" itemprop="datePublished" '
                     f'title="{a.published.isoformat()}">{a.published:%H:%M}</abbr></a></span>')
        older, newer = self._neighbours(a)
        pager = ""
        if newer is not None:
            pager += (f'<span id="blog-pager-newer-link"><a class="blog-pager-newer-link" '
                      f'href="{self.absolute(self.urls.article(newer))}">رسالة أحدث</a></span>')
        if older is not None:
            pager += (f'<span id="blog-pager-older-link"><a class="blog-pager-older-link" '
                      f'href="{self.absolute(self.urls.article(older))}">رسالة أقدم</a></span>')
        lang = ' lang="it" dir="ltr"' if a.lang == "it" else ""
        return (f'<div class="breadcrumbs"><a href="{self.base}/">الرئيسية</a> › <a href="'
                f'{self.absolute(self.urls.section(a.section.key))}">{a.section.name}</a> › '
                f'<span>{_e(a.title)}</span></div>\n<div class="date-outer">{date_header}'
                f'<div class="post hentry" itemscope itemtype="http://schema.org/BlogPosting"{lang}>\n'
                f'<h3 class="post-title entry-title" itemprop="name">{_e(a.title)}</h3>\n'
                f'<div class="post-header"><span class="post-author vcard">بقلم <span class="fn" '
                f'itemprop="author">{_e(a.author)}</span></span>{stamp}</div>\n'
                f'<div class="post-body entry-content" id="post-body-{a.id}" itemprop="articleBody">\n'
                f'<div class="separator"><a href="{image}"><img border="0" src="{image}" width="640" '
                f'height="360"></a></div>\n{self._body_html(a)}\n</div>\n'
                f'<div class="post-footer"><span class="post-labels">التسميات: {label_links}</span>'
                f'{self._share(url)}</div></div></div>\n{self._related(a)}{self._comments(a, url)}'
                f'<div class="blog-pager" id="blog-pager">{pager}<a class="home-link" href="{self.base}/">'
                f'الصفحة الرئيسية</a></div>\n')

    def _mobile(self, page: str) -> str:
        """Blogger's `?m=1` view: same content, links carrying `?m=1`, canonical pointing at the desktop URL."""
        head, body = page.split("</head>", 1)
        out = [head, "</head>"]
        marker = f'href="{self.base}/'
        parts = body.split(marker)
        out.append(parts[0])
        for part in parts[1:]:
            end = part.find('"')
            target = part[:end]
            if target.endswith(".html") or target == "":
                target += "?m=1"
            out.append(marker + target + part[end:])
        return "".join(out).replace('<body class="single">', '<body class="single mobile">', 1)

    # -- listings -------------------------------------------------------------------------------------------
    def listing(self, title: str, ids: list[int], current: str, pager: str, extra_top: str = "") -> str:
        items = []
        for i in ids:
            a = self.site.article(i)
            url = self.absolute(self.urls.article(i))
            thumb = self.cdn + self.urls.image(i, a.image_format)
            items.append(
                f'<article class="post-summary"><h2 class="entry-title"><a href="{url}">{_e(a.title)}</a></h2>'
                f'<div class="entry-meta">{arabic_date(a.published)} · <a href="'
                f'{self.absolute(self.urls.section(a.section.key))}">{a.section.name}</a></div>'
                f'<img src="{thumb}" alt="" width="320" height="180" loading="lazy">'
                f'<p class="excerpt">{_e(_excerpt(a))}</p><a class="more-link" href="{url}">اقرأ المزيد</a>'
                f'</article>')
        head = self._head(f"{title}{SUFFIX}" if title != SITE_NAME else f"{SITE_NAME} - {DESCRIPTION}",
                          self.absolute(current))
        main = f'{extra_top}<h1 class="page-title">{_e(title)}</h1>\n' + "\n".join(items) + f"\n{pager}\n"
        if self.theme == "blogger":
            main = main.replace('<h1 class="page-title">', '<h2 class="page-title">', 1).replace(
                "</h1>\n", "</h2>\n", 1)
        return self._layout(head, main, current)

    def wp_pager(self, make_url, page: int, pages: int) -> str:
        links = []
        if page > 1:
            links.append(f'<a class="prev page-numbers" href="{self.absolute(make_url(page - 1))}">السابق</a>')
        for p in range(max(1, page - 2), min(pages, page + 2) + 1):
            if p == page:
                links.append(f'<span aria-current="page" class="page-numbers current">{p}</span>')
            else:
                links.append(f'<a class="page-numbers" href="{self.absolute(make_url(p))}">{p}</a>')
        if page < pages:
            links.append(f'<a class="next page-numbers" href="{self.absolute(make_url(page + 1))}">التالي</a>')
        return f'<nav class="navigation pagination"><div class="nav-links">{"".join(links)}</div></nav>'

    def blogger_older(self, last: int | None) -> str:
        if last is None:
            return ""
        stamp = quote(self.site.published(last).isoformat(timespec="seconds"), safe="")
        return (f'<div class="blog-pager"><a class="blog-pager-older-link" href="{self.base}/search?updated-max='
                f'{stamp}&amp;max-results={BLOGGER_PAGE_SIZE}">رسائل أقدم</a></div>')

    def home(self, page: int) -> str | None:
        ids = self.site.newest_first(self.site.live)
        size = WP_PAGE_SIZE if self.theme == "wordpress" else BLOGGER_PAGE_SIZE
        pages = max(1, -(-len(ids) // size))
        if page > pages:
            return None
        chunk = ids[(page - 1) * size: page * size]
        ticker = (f'<div class="breaking-news">عاجل: <a href="{self.absolute(self.urls.missing())}">'
                  f'تفاصيل جديدة حول الخبر الذي هزّ الشارع</a></div>\n') if page == 1 and self.site.moved_link else ""
        if self.theme == "wordpress":
            pager = self.wp_pager(self.urls.home, page, pages)
        else:
            pager = self.blogger_older(chunk[-1] if len(ids) > size else None)
        return self.listing(SITE_NAME, chunk, self.urls.home(page), pager, ticker)

    def paged(self, title: str, ids: list[int], page: int, make_url) -> str | None:
        ids = self.site.newest_first(ids)
        if self.theme == "blogger":
            chunk = ids[:BLOGGER_PAGE_SIZE] if make_url is not None else ids
            older = chunk[-1] if make_url is not None and len(ids) > BLOGGER_PAGE_SIZE else None
            return self.listing(title, chunk, make_url(1) if make_url else title, self.blogger_older(older))
        pages = max(1, -(-len(ids) // WP_PAGE_SIZE))
        if page > pages or not ids:
            return None
        chunk = ids[(page - 1) * WP_PAGE_SIZE: page * WP_PAGE_SIZE]
        return self.listing(title, chunk, make_url(page), self.wp_pager(make_url, page, pages))

    def month(self, year: int, month: int, page: int) -> str | None:
        start = datetime(year, month, 1, tzinfo=self.site.published(0).tzinfo)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=start.tzinfo)
        ids = self.site.live_between(start, end)
        if not ids:
            return None
        title = f"أرشيف {year}/{month:02d}"
        if self.theme == "blogger":  # Blogger's archive pages list the whole month
            return self.listing(title, self.site.newest_first(ids), self.urls.month(year, month), "")
        return self.paged(title, ids, page, lambda p: self.urls.month(year, month, p))

    def static(self, name: str) -> str:
        if name == "about":
            title = "من نحن"
            text = (f"<p>{SITE_NAME} موقع إخباري يصدر باللغة العربية من إيطاليا، يتابع شؤون إيطاليا وأوروبا "
                    "والعالم العربي ويقدمها لقرائه بلغة واضحة.</p><p>تأسس الموقع على يد مجموعة من الصحفيين "
                    "المقيمين في روما، ويعمل فيه محررون ومراسلون في عدة مدن.</p>")
            if self.site.moved_link:
                text += (f'<p>من أرشيفنا: <a href="{self.absolute(self.urls.moved_from(self.site.moved_id))}">'
                         f"{_e(self.site.title(self.site.moved_id))}</a></p>")
        else:
            title = "اتصل بنا"
            text = ("<p>لمراسلة هيئة التحرير يرجى استخدام النموذج أدناه. نرد على الرسائل خلال يومي عمل.</p>"
                    '<form class="contact" action="/contact/" method="post"><input name="name">'
                    "<textarea name=\"message\"></textarea><button>إرسال</button></form>")
        path = next(p for p, n in self.urls.static_pages().items() if n == name)
        head = self._head(title + SUFFIX, self.absolute(path))
        main = f'<article class="page"><h1 class="entry-title">{title}</h1><div class="entry-content">{text}' \
               f"</div></article>\n"
        return self._layout(head, main, path)

    def not_found(self) -> str:
        head = self._head("الصفحة غير موجودة" + SUFFIX, self.base + "/")
        main = ('<section class="error-404"><h1 class="page-title">عذراً، الصفحة غير موجودة</h1>'
                "<p>ربما تم نقل الصفحة أو حذفها. جرّب البحث أو العودة إلى الصفحة الرئيسية.</p></section>\n")
        return self._layout(head, main, "/")

    def login(self) -> str:
        return ("<!DOCTYPE html><html dir=\"rtl\" lang=\"ar\"><head><meta charset=\"utf-8\"><title>تسجيل الدخول"
                f"{SUFFIX}</title></head><body><form method=\"post\"><input name=\"log\"><input name=\"pwd\" "
                "type=\"password\"><button>دخول</button></form></body></html>\n")
