"""Reading a site's sitemaps and feeds: every URL they list becomes a request, or a fact noted of a known URL.

What a sitemap's name or a feed's XML says is archive.pages.sources' (pure functions); here is what the spider does
with it. A source fetched recently enough (ARSHIF_REFETCH_INTERVALS) is read from its archived copy instead, and a
304 answer stands for the archived copy it confirms.
"""

from __future__ import annotations

from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from archive.core.urls import canonical, same_site
from archive.pages.sources import first_page, is_posts_sitemap, parse_feed, sitemap_lists, sitemap_xml

# The first children of a sitemap index are asked for first of all; the rest go below the articles (50 in the spider's
# PRIORITY) and the assets (60): asked whenever no article waits, so that however fast the site answers sitemaps, a
# long index never starves the fetching of the articles already found, and never waits for the spider to go idle.
SITEMAPS_FIRST = 10
LATE_SITEMAPS_PRIORITY = 40


class SourceReading:
    """The spider's sitemap and feed reading (a mixin of spiders.alitaliya.AlitaliyaSpider: it uses the spider's
    request(), note(), classify() and its state)."""

    max_sitemaps: int        # ARSHIF_MAX_SITEMAPS: sitemaps read in one run
    sitemap_index_max: int   # ARSHIF_SITEMAP_INDEX_MAX: entries read of one sitemap index
    sitemaps_asked = 0

    def source(self, url: str, kind: str, path: str, callback, **meta):
        """A sitemap or feed: a (conditional) request, or — within its refetch interval — what its archived copy
        says, read now, so that the run still knows every URL the source lists."""
        url = canonical(url)
        if kind == "sitemap" and url not in self.known:
            if self.sitemaps_asked >= self.max_sitemaps:  # ARSHIF_MAX_SITEMAPS: a sitemap listing stays bounded
                if not self.crawler.stats.get_value("arshif/discovery/sitemaps_cut"):
                    self.logger.warning("more than %d sitemaps in this run (ARSHIF_MAX_SITEMAPS): the rest are "
                                        "left unread", self.max_sitemaps)
                self.crawler.stats.inc_value("arshif/discovery/sitemaps_cut")
                return
            self.sitemaps_asked += 1
        if url not in self.known and self.within_interval(url, kind):
            body = self.session.archived_body(url)
            if body is not None:
                self.known.add(url)
                self.note(url, kind)
                self.crawler.stats.inc_value(f"arshif/discovery/{kind}_within_interval")
                self._sources_add()  # balanced by the source_done() of the parse below
                yield from self._source_entries(kind, body, url, path)
                yield from self.source_done()
                return
        req = self.request(url, kind, path, callback=callback, **meta)
        if req:
            yield req

    def _source_entries(self, kind: str, body: bytes, url: str, path: str):
        if kind == "sitemap":
            yield from self._sitemap_entries(body, url, path)
        else:
            yield from self._feed_entries(body, url, path)

    def source_body(self, response: Response) -> bytes | None:
        """The body of a sitemap or feed response; for a 304, the archived copy it stands for."""
        if response.status != 304:
            return response.body
        self.crawler.stats.inc_value("arshif/discovery/source_not_modified")
        return self.session.archived_body(response.url) if self.session is not None else None

    def _sitemap_entries(self, body: bytes, url: str, path: str):
        path += "S"
        try:
            sitemap = Sitemap(sitemap_xml(body))
        except Exception:  # lxml refuses some broken XML outright: count it, keep crawling
            self.crawler.stats.inc_value("arshif/discovery/sitemap_unparsable")
            self.logger.warning("not a sitemap: %s", url)
            self._count_source("broken", url)
            return
        self._count_source("sitemaps")
        posts, other = is_posts_sitemap(url), sitemap_lists(url) == "other"
        children, entries = 0, iter(sitemap)
        for entry in entries:
            loc = entry.get("loc")
            if not loc or not same_site(loc, self.site):
                continue
            if sitemap.type == "sitemapindex":
                children += 1
                if children > self.sitemap_index_max:  # the protocol's cap on an index: 50,000 entries
                    self._index_cut(url, 1 + sum(1 for _ in entries))
                    break
                for req in self.source(loc, "sitemap", path, self.parse_sitemap):
                    if children > SITEMAPS_FIRST and req.meta.get("arshif_kind") == "sitemap":
                        req = req.replace(priority=LATE_SITEMAPS_PRIORITY)  # after the articles found so far
                    yield req
                continue
            kind = self.classify(loc)
            if posts and kind == "page":
                kind = "article"  # a post whatever its URL's shape (`/?p=12`, `/slug/`)
            if kind == "article":
                self._list(canonical(loc))
            listed = {"listed_as_post": 1, "listed_by": canonical(url)} if kind == "article" and not other else {}
            if not other:  # a plain sitemap.xml (Pelican's) lists posts whatever their shape: `arshif missed` asks
                listed["listed_in_sitemap"] = canonical(url)
            self.crawler.stats.inc_value("arshif/discovery/sitemap_urls")
            req = self.request(loc, kind if kind != "listing" else "page", path, source="sitemap",
                               sitemap_lastmod=entry.get("lastmod"), **listed)
            if req is None and canonical(loc) in self.known:
                self.note(loc, kind, sitemap_lastmod=entry.get("lastmod"), **listed)
            if req:
                yield req
        self._publish_discovery()

    def _index_cut(self, url: str, left: int) -> None:
        self.crawler.stats.inc_value("arshif/discovery/sitemap_index_cut", left)
        self.logger.warning("the sitemap index %s lists more than %d sitemaps (ARSHIF_SITEMAP_INDEX_MAX, the "
                            "protocol's cap): %d left unread", url, self.sitemap_index_max, left)

    def _feed_entries(self, body: bytes, url: str, path: str):
        path += "F"
        page = parse_feed(body, url)
        if page is None:
            self.crawler.stats.inc_value("arshif/discovery/feed_unparsable")
            self._count_source("broken", url)
            return
        revealed = 0
        for link, updated in page.entries:
            if not same_site(link, self.site):
                continue
            self.crawler.stats.inc_value("arshif/discovery/feed_entries")
            kind = self.classify(link)
            if kind in ("article", "page"):  # an item of a posts feed is a post, whatever its URL's shape
                kind = "article"
                self._list(canonical(link))
            said = {"feed_updated": updated, "feed_author": page.authors.get(link),
                    "feed_categories": page.categories.get(link)}
            if kind == "article":
                said.update(listed_as_post=1, listed_by=canonical(first_page(url)))
            req = self.request(link, kind if kind == "article" else "page", path, source="feed", **said)
            if req is None:
                self.note(link, kind, **{k: v for k, v in said.items() if v})
            else:
                revealed += 1
                yield req
        self._publish_discovery()
        # older pages only while this one still showed something new (sitemaps usually came first)
        if revealed and page.next_url and same_site(page.next_url, self.site):
            yield from self.source(page.next_url, "feed", path, self.parse_feed, paged=True)
