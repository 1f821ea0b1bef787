"""URL schemes of the two themes: building links and resolving request paths.

The real site's platform is unknown, so the replica speaks both dialects a crawler must understand: WordPress
(`/YYYY/MM/DD/slug/`, `/category/…`, `/page/N/`, `/feed/`, Yoast sitemaps) and Blogger (`/YYYY/MM/slug.html`,
`/search/label/…` behind robots.txt, `/feeds/posts/default` Atom paging, `/sitemap.xml?page=N`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote

from .content import SECTIONS, Site, quote_path

WP_PAGE_SIZE = 10
BLOGGER_PAGE_SIZE = 7
FEED_SIZE = 10
BLOGGER_FEED_SIZE = 25
SITEMAP_SIZE_WP = 1000
SITEMAP_SIZE_BLOGGER = 150

STATIC_PAGES = {
    "wordpress": {"/about/": "about", "/contact/": "contact"},
    "blogger": {"/p/about.html": "about", "/p/contact.html": "contact"},
}


@dataclass
class Route:
    kind: str                 # home, article, section, tag, month, feed, sitemap, robots, page, asset, redirect…
    article: int | None = None
    page: int = 1
    params: dict = field(default_factory=dict)


class Urls:
    """Paths of one theme. Paths are percent-encoded (upper-case hex), as the site links them."""

    def __init__(self, site: Site, theme: str):
        if theme not in ("wordpress", "blogger"):
            raise ValueError(f"unknown theme {theme!r}: wordpress or blogger")
        self.site, self.theme = site, theme
        self.sections_by_slug = {s.slug: s for s in SECTIONS}
        self.sections_by_name = {s.name: s for s in SECTIONS}

    # -- building ---------------------------------------------------------------------------------------------
    @lru_cache(maxsize=100_000)  # noqa: B019 - one Urls per server; paths never change within it
    def article(self, i: int) -> str:
        when = self.site.published(i)
        slug = self.site.slug(i)
        if self.theme == "wordpress":
            return quote_path(f"/{when:%Y/%m/%d}/{slug}/")
        return quote_path(f"/{when:%Y/%m}/{slug}.html")

    def article_raw(self, i: int) -> str:
        """The same path with raw Arabic, as some editors paste links."""
        return unquote(self.article(i))

    def article_lower(self, i: int) -> str:
        """The same path with lower-case percent-escapes, as WordPress itself often writes them."""
        return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), self.article(i))

    def moved_from(self, i: int) -> str:
        when = self.site.published(i)
        if self.theme == "wordpress":
            return quote_path(f"/{when:%Y/%m/%d}/{'-'.join(self.site.slug(i).split('-')[:3])}-draft/")
        return f"/{when:%Y/%m}/blog-post_{i % 97}.html"

    def missing(self) -> str:
        """A dead link the home page carries: an article that never existed."""
        return quote_path("/2019/02/03/خبر-لم-يعد-موجودا/" if self.theme == "wordpress"
                          else "/2019/02/خبر-لم-يعد-موجودا.html")

    def section(self, key: str, page: int = 1) -> str:
        section = next(s for s in SECTIONS if s.key == key)
        if self.theme == "wordpress":
            base = quote_path(f"/category/{section.slug}/")
            return base if page == 1 else f"{base}page/{page}/"
        return quote_path(f"/search/label/{section.name}")

    def tag(self, name: str, page: int = 1) -> str:
        if self.theme == "wordpress":
            base = quote_path(f"/tag/{name.replace(' ', '-')}/")
            return base if page == 1 else f"{base}page/{page}/"
        return quote_path(f"/search/label/{name}")

    def month(self, year: int, month: int, page: int = 1) -> str:
        base = f"/{year:04d}/{month:02d}/"
        return base if page == 1 or self.theme == "blogger" else f"{base}page/{page}/"

    def home(self, page: int = 1) -> str:
        return "/" if page == 1 else f"/page/{page}/"

    def feed(self) -> str:
        return "/feed/" if self.theme == "wordpress" else "/feeds/posts/default"

    def atom_feed(self) -> str:
        return "/feed/atom/" if self.theme == "wordpress" else "/feeds/posts/default"

    def rss_feed(self) -> str:
        return "/feed/" if self.theme == "wordpress" else "/feeds/posts/default?alt=rss"

    def sitemap(self) -> str:
        return "/sitemap_index.xml" if self.theme == "wordpress" else "/sitemap.xml"

    def stylesheet(self) -> str:
        return "/wp-content/themes/alitaliya/style.css?ver=2.4" if self.theme == "wordpress" \
            else "/static/blogger-theme.css"

    def logo(self) -> str:
        return "/wp-content/themes/alitaliya/logo.png" if self.theme == "wordpress" else "/static/logo.png"

    def script(self) -> str:
        """The theme's navigation script (a page requisite, like its stylesheet)."""
        return "/wp-content/themes/alitaliya/js/navigation.js?ver=2.4" if self.theme == "wordpress" \
            else "/static/navigation.js"

    def theme_files(self) -> dict[str, str]:
        """Path → name of every file of the theme: the stylesheet and what it names (a font, a background
        image), the script, the logo."""
        folder = "/wp-content/themes/alitaliya/" if self.theme == "wordpress" else "/static/"
        files = {self.stylesheet().split("?")[0]: "style.css", self.logo(): "logo.png",
                 self.script().split("?")[0]: "navigation.js"}
        files.update({folder + "fonts/alitaliya-icons.ttf": "alitaliya-icons.ttf",
                      folder + "images/header-pattern.png": "header-pattern.png"})
        return files

    def image(self, i: int, fmt: str) -> str:
        """The lead image's path on the image host (second origin)."""
        when = self.site.published(i)
        if self.theme == "wordpress":
            return f"/wp-content/uploads/{when:%Y/%m}/lead-{i}.{fmt}"
        return f"/img/b/R29vZ2xl/AVvXsEi{i:06x}/s1600/lead-{i}.{fmt}"

    def static_pages(self) -> dict[str, str]:
        return STATIC_PAGES[self.theme]

    def disallowed(self) -> list[str]:
        return ["/wp-admin/", "/wp-login.php"] if self.theme == "wordpress" else ["/search"]

    # -- resolving --------------------------------------------------------------------------------------------
    def resolve(self, raw_path: str, query: dict[str, str]) -> Route:
        path = unquote(raw_path)
        if path == "/robots.txt":
            return Route("robots")
        if path in self.static_pages():
            return Route("page", params={"name": self.static_pages()[path]})
        if path in self.theme_files():
            return Route("asset", params={"name": self.theme_files()[path]})
        if self.theme == "wordpress":
            return self._resolve_wordpress(path, query)
        return self._resolve_blogger(path, query)

    def _article_at(self, year: int, month: int, slug: str, day: int | None = None) -> Route:
        site = self.site
        i = site.slug_lookup(year, month, slug)
        if i is not None and (day is None or site.published(i).day == day):
            if i in site.live_set:
                return Route("article", article=i)
            return Route("gone", article=i)
        if site.moved_id in site.live_set and unquote(self.moved_from(site.moved_id)) == _path_of(
                year, month, day, slug, self.theme):
            return Route("redirect", params={"location": self.article(site.moved_id)})
        return Route("notfound")

    def _resolve_wordpress(self, path: str, query: dict[str, str]) -> Route:
        if path == "/" and "p" in query:
            try:
                i = int(query["p"])
            except ValueError:
                return Route("notfound")
            if i in self.site.live_set:
                return Route("redirect", params={"location": self.article(i)})
            return Route("notfound")
        page = 1
        m = re.fullmatch(r"(.*/)page/(\d+)/", path)
        if m:
            path, page = m.group(1), int(m.group(2))
        if path == "/":
            return Route("home", page=page)
        if path in ("/sitemap.xml", "/wp-sitemap.xml"):
            return Route("redirect", params={"location": "/sitemap_index.xml"})
        if path == "/sitemap_index.xml":
            return Route("sitemap", params={"name": "index"})
        m = re.fullmatch(r"/post-sitemap(\d*)\.xml", path)
        if m:
            return Route("sitemap", page=int(m.group(1) or 1), params={"name": "posts"})
        if path in ("/page-sitemap.xml", "/category-sitemap.xml"):
            return Route("sitemap", params={"name": path[1:].split("-")[0]})
        if path == "/feed/":
            return Route("feed", page=_int(query.get("paged"), 1), params={"format": "rss"})
        if path == "/feed/atom/":
            return Route("feed", page=_int(query.get("paged"), 1), params={"format": "atom"})
        if path.startswith("/wp-admin/") or path == "/wp-login.php":
            return Route("login")
        m = re.fullmatch(r"/category/([^/]+)/(feed/)?", path)
        if m and m.group(1) in self.sections_by_slug:
            key = self.sections_by_slug[m.group(1)].key
            if m.group(2):
                return Route("feed", params={"format": "rss", "section": key})
            return Route("section", page=page, params={"key": key})
        m = re.fullmatch(r"/tag/([^/]+)/", path)
        if m:
            name = m.group(1).replace("-", " ")
            if name in self.site.by_tag:
                return Route("tag", page=page, params={"name": name})
            return Route("notfound")
        m = re.fullmatch(r"/(\d{4})/(\d{2})/", path)
        if m:
            return Route("month", page=page, params={"year": int(m.group(1)), "month": int(m.group(2))})
        m = re.fullmatch(r"/(\d{4})/(\d{2})/(\d{2})/([^/]+)/", path)
        if m:
            return self._article_at(int(m.group(1)), int(m.group(2)), m.group(4), int(m.group(3)))
        return Route("notfound")

    def _resolve_blogger(self, path: str, query: dict[str, str]) -> Route:
        if path == "/":
            return Route("home")
        if path == "/search":
            return Route("search", params={"updated-max": query.get("updated-max", "")})
        m = re.fullmatch(r"/search/label/(.+)", path)
        if m:
            name = m.group(1)
            if name in self.sections_by_name:
                return Route("section", params={"key": self.sections_by_name[name].key})
            if name in self.site.by_tag:
                return Route("tag", params={"name": name})
            return Route("notfound")
        if path == "/sitemap.xml":
            if "page" in query:
                return Route("sitemap", page=_int(query.get("page"), 1), params={"name": "posts"})
            return Route("sitemap", params={"name": "index"})
        if path == "/sitemap-pages.xml":
            return Route("sitemap", params={"name": "page"})
        m = re.fullmatch(r"/feeds/posts/(default|summary)(?:/-/(.+))?", path)
        if m:
            start = max(1, _int(query.get("start-index"), 1))
            size = min(500, max(1, _int(query.get("max-results"), BLOGGER_FEED_SIZE)))
            label = m.group(2)
            params = {"format": "rss" if query.get("alt") == "rss" else "atom", "start": start, "size": size,
                      "summary": m.group(1) == "summary"}
            if label:
                if label in self.sections_by_name:
                    params["section"] = self.sections_by_name[label].key
                elif label in self.site.by_tag:
                    params["tag"] = label
                else:
                    return Route("notfound")
            return Route("feed", params=params)
        m = re.fullmatch(r"/(\d{4})/(\d{2})/", path)
        if m:
            return Route("month", params={"year": int(m.group(1)), "month": int(m.group(2))})
        m = re.fullmatch(r"/(\d{4})/(\d{2})/([^/]+)\.html", path)
        if m:
            return self._article_at(int(m.group(1)), int(m.group(2)), m.group(3))
        return Route("notfound")


def _path_of(year: int, month: int, day: int | None, slug: str, theme: str) -> str:
    if theme == "wordpress":
        return f"/{year:04d}/{month:02d}/{day:02d}/{slug}/"
    return f"/{year:04d}/{month:02d}/{slug}.html"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
