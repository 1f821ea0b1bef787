"""The site spider: discovers everything from what the site itself publishes (DESIGN.md §5).

The site's address is configuration (`-a site=URL` or the `ARSHIF_SITE` setting); nothing here knows the real
site. Discovery starts at the home page; robots.txt (fetched once, by Scrapy's robots middleware, which tells us
the sitemaps it declares through the `robots_parsed` signal) leads to the sitemaps, sitemap indexes included.
"""

from __future__ import annotations

import gzip
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from archive.urls import canonical, same_site


class AlitaliyaSpider(scrapy.Spider):
    name = "alitaliya"

    def __init__(self, site: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = canonical(site) if site else None
        self.robots_sitemaps: dict[str, list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.site:
            spider.site = canonical(crawler.settings.get("ARSHIF_SITE") or "")
        if not spider.site.startswith(("http://", "https://")):
            raise ValueError("no site to crawl: pass -a site=URL or set ARSHIF_SITE")
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        return spider

    def robots_parsed(self, robotparser, request) -> None:
        sitemaps = list(getattr(getattr(robotparser, "rp", None), "sitemaps", []) or [])
        self.robots_sitemaps[urlsplit(request.url).netloc] = sitemaps

    async def start(self):
        yield scrapy.Request(self.site, callback=self.parse_home, meta={"arshif_path": ""})

    def parse_home(self, response: Response):
        netloc = urlsplit(self.site).netloc
        declared = [u for u in self.robots_sitemaps.get(netloc, []) if same_site(u, self.site)]
        for url in declared or [self.site.rstrip("/") + "/sitemap.xml"]:
            yield scrapy.Request(canonical(url), callback=self.parse_sitemap, meta={"arshif_path": "P"})

    def parse_sitemap(self, response: Response):
        path = response.meta.get("arshif_path", "") + "S"
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        try:
            sitemap = Sitemap(body)
        except Exception:  # lxml refuses some broken XML outright
            self.crawler.stats.inc_value("arshif/sitemap_unparsable")
            self.logger.warning("not a sitemap: %s", response.url)
            return
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc or not same_site(loc, self.site):
                continue
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(canonical(loc), callback=self.parse_sitemap, meta={"arshif_path": path})
            else:
                yield scrapy.Request(canonical(loc), callback=self.parse_page,
                                     meta={"arshif_path": path, "arshif_lastmod": entry.get("lastmod")})

    def parse_page(self, response: Response):
        self.crawler.stats.inc_value("arshif/articles")
        return None
