"""Keep Scrapy from reaching the internet for the public suffix list.

Scrapy's cookie middleware builds a module-level `TLDExtract()` that downloads the public suffix list on first use:
impossible on an offline machine and a surprise request on any archive server. This extension swaps it for one
that uses the snapshot bundled with tldextract, before any request is made.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from tldextract import TLDExtract


class OfflineSuffixList:
    def __init__(self) -> None:
        from scrapy.downloadermiddlewares import cookies

        cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OfflineSuffixList:
        if not crawler.settings.getbool("ARSHIF_OFFLINE_SUFFIX_LIST"):
            raise NotConfigured
        return cls()
