"""The garbage collector tuned for the length of a crawl (archive.core.collector), undone when the spider closes.

The threshold is the setting ARSHIF_GC_THRESHOLD; an empty one leaves Python's defaults.
"""

from __future__ import annotations

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from archive.core import collector


class CollectorTuning:
    def __init__(self, threshold: tuple[int, int, int]):
        self.threshold = threshold
        self.previous: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CollectorTuning:
        threshold = tuple(int(n) for n in crawler.settings.getlist("ARSHIF_GC_THRESHOLD"))
        if not threshold:
            raise NotConfigured
        if len(threshold) != 3 or threshold[0] <= 0:
            raise ValueError(f"ARSHIF_GC_THRESHOLD must be three counts, the first positive, not {threshold}")
        extension = cls(threshold)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.previous = collector.tune(self.threshold)

    def spider_closed(self, spider: Spider) -> None:
        if self.previous is not None:
            collector.restore(self.previous)
