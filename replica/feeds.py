"""Feeds and sitemaps, in the exact dialects of WordPress (RSS 2.0 + Atom, Yoast sitemaps) and Blogger
(Atom with start-index paging and rel=next, `?alt=rss`, `/sitemap.xml?page=N`)."""

from __future__ import annotations

from email.utils import format_datetime
from html import escape
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from .arabic_dates import SITE_NAME
from .content import SECTIONS, Site, image_format
from .pages import DESCRIPTION, Pages, classic_editor
from .routes import FEED_SIZE, SITEMAP_SIZE_BLOGGER, SITEMAP_SIZE_WP, Urls

BLOG_ID = "7319004512345678901"


def _x(text: str) -> str:
    return xml_escape(text, {'"': "&quot;"})


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class Feeds:
    def __init__(self, site: Site, urls: Urls, pages: Pages):
        self.site, self.urls, self.pages = site, urls, pages
        self.base = pages.base

    def _ids(self, section: str | None = None, tag: str | None = None) -> list[int]:
        if section:
            ids = self.site.by_section[section]
        elif tag:
            ids = self.site.by_tag[tag]
        else:
            ids = self.site.live
        return self.site.newest_first(ids)

    def _content_html(self, i: int) -> str:
        a = self.site.article(i)
        image = self.pages.cdn + self.urls.image(i, a.image_format)
        if self.urls.theme == "blogger" and "classic-editor" in a.blogger_variants:  # the post's own markup
            return f'<img src="{image}" alt="">' + classic_editor([escape(p) for p in a.paragraphs], a.id)
        return f'<img src="{image}" alt="">' + "".join(f"<p>{escape(p)}</p>" for p in a.paragraphs)

    # -- WordPress --------------------------------------------------------------------------------------------
    def wordpress(self, fmt: str, page: int, section: str | None = None) -> str | None:
        ids = self._ids(section)
        chunk = ids[(page - 1) * FEED_SIZE: page * FEED_SIZE]
        if not chunk:
            return None
        newest = max(self.site.modified(i) for i in chunk)
        self_url = self.base + ("/feed/" if fmt == "rss" else "/feed/atom/") + (f"?paged={page}" if page > 1 else "")
        if fmt == "atom":
            entries = []
            for i in chunk:
                a = self.site.article(i)
                url = self.pages.absolute(self.urls.article(i))
                entries.append(
                    f"<entry><author><name>{_x(a.author)}</name></author><title type=\"html\">{_cdata(a.title)}"
                    f"</title><link rel=\"alternate\" type=\"text/html\" href=\"{_x(url)}\"/>"
                    f"<id>{self.base}/?p={i}</id><updated>{a.modified.isoformat()}</updated>"
                    f"<published>{a.published.isoformat()}</published>"
                    f"<category scheme=\"{self.base}\" term=\"{_x(a.section.name)}\"/>"
                    f"<summary type=\"html\">{_cdata(a.paragraphs[0][:200])}</summary>"
                    f"<content type=\"html\" xml:base=\"{_x(url)}\">{_cdata(self._content_html(i))}</content>"
                    f"</entry>")
            return ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
                    'xmlns:thr="http://purl.org/syndication/thread/1.0" xml:lang="ar">'
                    f"<title type=\"text\">{SITE_NAME}</title><subtitle type=\"text\">{DESCRIPTION}</subtitle>"
                    f"<updated>{newest.isoformat()}</updated><link rel=\"alternate\" type=\"text/html\" "
                    f"href=\"{self.base}/\"/><id>{self.base}/feed/atom/</id><link rel=\"self\" "
                    f"type=\"application/atom+xml\" href=\"{_x(self_url)}\"/>"
                    + "".join(entries) + "</feed>\n")
        items = []
        for i in chunk:
            a = self.site.article(i)
            url = self.pages.absolute(self.urls.article(i))
            cats = "".join(f"<category>{_cdata(c)}</category>" for c in [a.section.name, *a.tags])
            items.append(
                f"<item><title>{_x(a.title)}</title><link>{_x(url)}</link>"
                f"<dc:creator>{_cdata(a.author)}</dc:creator><pubDate>{format_datetime(a.published)}</pubDate>"
                f"{cats}<guid isPermaLink=\"false\">{self.base}/?p={i}</guid>"
                f"<description>{_cdata(a.paragraphs[0][:200] + ' …')}</description>"
                f"<content:encoded>{_cdata(self._content_html(i))}</content:encoded></item>")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">'
                f"<channel><title>{SITE_NAME}</title><atom:link href=\"{_x(self_url)}\" rel=\"self\" "
                f"type=\"application/rss+xml\"/><link>{self.base}</link><description>{DESCRIPTION}</description>"
                f"<lastBuildDate>{format_datetime(newest)}</lastBuildDate><language>ar</language>"
                + "".join(items) + "</channel></rss>\n")

    # -- Blogger ----------------------------------------------------------------------------------------------
    def blogger(self, fmt: str, start: int, size: int, section: str | None = None, tag: str | None = None,
                summary: bool = False) -> str:
        ids = self._ids(section, tag)
        chunk = ids[start - 1: start - 1 + size]
        label = next(s.name for s in SECTIONS if s.key == section) if section else tag
        path = "/feeds/posts/" + ("summary" if summary else "default") + (f"/-/{label}" if label else "")
        qpath = quote(path, safe="/-")
        newest = max((self.site.modified(i) for i in ids[:50]), default=None)

        def page_url(s: int) -> str:
            alt = "alt=rss&" if fmt == "rss" else ""
            return f"{self.base}{qpath}?{alt}start-index={s}&max-results={size}"

        if fmt == "rss":
            items = []
            for i in chunk:
                a = self.site.article(i)
                url = self.pages.absolute(self.urls.article(i))
                cats = "".join(f"<category domain=\"{self.base}\">{_x(c)}</category>"
                               for c in [a.section.name, *a.tags])
                items.append(
                    f"<item><guid isPermaLink=\"false\">tag:blogger.com,1999:blog-{BLOG_ID}.post-{i}</guid>"
                    f"<pubDate>{format_datetime(a.published)}</pubDate>"
                    f"<atom:updated>{a.modified.isoformat()}</atom:updated>{cats}<title>{_x(a.title)}</title>"
                    f"<description>{_x(self._content_html(i))}</description><link>{_x(url)}</link>"
                    f"<author>noreply@example.invalid ({_x(a.author)})</author></item>")
            nxt = (f"<atom:link rel=\"next\" type=\"application/rss+xml\" href=\"{_x(page_url(start + size))}\"/>"
                   if start - 1 + size < len(ids) else "")
            return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                    'xmlns:atom="http://www.w3.org/2005/Atom" '
                    'xmlns:openSearch="http://a9.com/-/spec/opensearchrss/1.0/">'
                    f"<channel><atom:id>tag:blogger.com,1999:blog-{BLOG_ID}</atom:id>"
                    f"<lastBuildDate>{format_datetime(newest) if newest else ''}</lastBuildDate>"
                    f"<title>{SITE_NAME}</title><description>{DESCRIPTION}</description>"
                    f"<link>{self.base}/</link>{nxt}<openSearch:totalResults>{len(ids)}</openSearch:totalResults>"
                    f"<openSearch:startIndex>{start}</openSearch:startIndex>"
                    f"<openSearch:itemsPerPage>{size}</openSearch:itemsPerPage>"
                    + "".join(items) + "</channel></rss>\n")
        entries = []
        for i in chunk:
            a = self.site.article(i)
            url = self.pages.absolute(self.urls.article(i))
            cats = "".join(f"<category scheme=\"http://www.blogger.com/atom/ns#\" term=\"{_x(c)}\"/>"
                           for c in [a.section.name, *a.tags])
            body = (f"<summary type=\"text\">{_x(a.paragraphs[0][:300])}</summary>" if summary else
                    f"<content type=\"html\">{_x(self._content_html(i))}</content>")
            entries.append(
                f"<entry><id>tag:blogger.com,1999:blog-{BLOG_ID}.post-{i}</id>"
                f"<published>{a.published.isoformat(timespec='milliseconds')}</published>"
                f"<updated>{a.modified.isoformat(timespec='milliseconds')}</updated>{cats}"
                f"<title type=\"text\">{_x(a.title)}</title>{body}"
                f"<link rel=\"alternate\" type=\"text/html\" href=\"{_x(url)}\" title=\"{_x(a.title)}\"/>"
                f"<author><name>{_x(a.author)}</name></author></entry>")
        links = [f"<link rel=\"http://schemas.google.com/g/2005#feed\" type=\"application/atom+xml\" "
                 f"href=\"{self.base}{qpath}\"/>",
                 f"<link rel=\"self\" type=\"application/atom+xml\" href=\"{_x(page_url(start))}\"/>",
                 f"<link rel=\"alternate\" type=\"text/html\" href=\"{self.base}/\"/>"]
        if start - 1 + size < len(ids):
            links.append(f"<link rel=\"next\" type=\"application/atom+xml\" href=\"{_x(page_url(start + size))}\"/>")
        if start > 1:
            links.append(f"<link rel=\"previous\" type=\"application/atom+xml\" "
                         f"href=\"{_x(page_url(max(1, start - size)))}\"/>")
        return ("<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom' "
                "xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/' "
                "xmlns:blogger='http://schemas.google.com/blogger/2008'>"
                f"<id>tag:blogger.com,1999:blog-{BLOG_ID}</id>"
                f"<updated>{newest.isoformat(timespec='milliseconds') if newest else ''}</updated>"
                f"<title type='text'>{SITE_NAME}</title><subtitle type='html'>{DESCRIPTION}</subtitle>"
                + "".join(links) + f"<author><name>{SITE_NAME}</name></author>"
                f"<generator version='7.00'>Blogger</generator>"
                f"<openSearch:totalResults>{len(ids)}</openSearch:totalResults>"
                f"<openSearch:startIndex>{start}</openSearch:startIndex>"
                f"<openSearch:itemsPerPage>{size}</openSearch:itemsPerPage>" + "".join(entries) + "</feed>\n")

    # -- sitemaps ---------------------------------------------------------------------------------------------
    def sitemap(self, name: str, page: int) -> str | None:
        site = self.site
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        if self.urls.theme == "wordpress":
            posts = list(site.live)  # oldest first, as Yoast orders them
            size = SITEMAP_SIZE_WP
        else:
            posts = site.newest_first(site.live)
            size = SITEMAP_SIZE_BLOGGER
        pages = max(1, -(-len(posts) // size))
        if name == "index":
            entries = []
            for p in range(1, pages + 1):
                chunk = posts[(p - 1) * size: p * size]
                if not chunk:
                    continue
                newest = max(site.modified(i) for i in chunk)
                loc = (f"{self.base}/post-sitemap{'' if p == 1 else p}.xml" if self.urls.theme == "wordpress"
                       else f"{self.base}/sitemap.xml?page={p}")
                entries.append(f"<sitemap><loc>{_x(loc)}</loc><lastmod>{newest.isoformat()}</lastmod></sitemap>")
            extra = ["/page-sitemap.xml", "/category-sitemap.xml"] if self.urls.theme == "wordpress" \
                else ["/sitemap-pages.xml"]
            entries += [f"<sitemap><loc>{self.base}{e}</loc></sitemap>" for e in extra]
            return (head + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    + "".join(entries) + "</sitemapindex>\n")
        if name == "posts":
            chunk = posts[(page - 1) * size: page * size]
            if (not chunk and page > 1) or page < 1:
                return None
            urls = []
            for i in chunk:
                loc = self.pages.absolute(self.urls.article(i))
                image = ""
                if self.urls.theme == "wordpress":
                    image = (f"<image:image><image:loc>{self.pages.cdn}{self.urls.image(i, image_format(i))}"
                             "</image:loc></image:image>")
                urls.append(f"<url><loc>{_x(loc)}</loc><lastmod>{site.modified(i).isoformat()}</lastmod>{image}</url>")
            return (head + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                    'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">' + "".join(urls) + "</urlset>\n")
        if name == "page":
            paths = ["/"] + list(self.urls.static_pages()) if self.urls.theme == "wordpress" \
                else list(self.urls.static_pages())
        elif name == "category":
            paths = [self.urls.section(s.key) for s in SECTIONS]
        else:
            return None
        return (head + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + "".join(f"<url><loc>{_x(self.base + p)}</loc></url>" for p in paths) + "</urlset>\n")


def robots_txt(urls: Urls, base: str) -> str:
    if urls.theme == "wordpress":
        return ("User-agent: *\nDisallow: /wp-admin/\nDisallow: /wp-login.php\n"
                "Allow: /wp-admin/admin-ajax.php\n\n"
                f"Sitemap: {base}/sitemap_index.xml\n")
    return ("User-agent: Mediapartners-Google\nDisallow: \n\nUser-agent: *\nDisallow: /search\nAllow: /\n\n"
            f"Sitemap: {base}/sitemap.xml\n")
