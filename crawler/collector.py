"""Python's cyclic garbage collector, tuned for the length of a crawl.

With its defaults (a young collection every 700 new container objects) a crawl spent 7 % of its CPU collecting:
1,200 collections in 1,000 articles, each older one walking every object the process holds (Scrapy's queues,
the spider's URL sets, lxml trees). Pages, requests and responses are freed by reference counting as soon as they
are done with; the collector is only there for cycles, which a crawl makes few of. So: what exists once the
spider is open (modules, settings, the archive's state) is frozen out of every collection, and young collections
run every ARSHIF_GC_THRESHOLD[0] new objects (20 in 1,000 articles). The defaults come back when the spider
closes.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `reextract` imports this module for tune_for_batch_work: no Scrapy there
    from scrapy import Spider
    from scrapy.crawler import Crawler


BATCH_THRESHOLD = (20000, 20, 20)


def tune_for_batch_work() -> None:
    """The same tuning for a process that extracts pages one after another (`reextract`'s workers)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*BATCH_THRESHOLD)


class CollectorTuning:
    def __init__(self, threshold: tuple[int, int, int]):
        self.threshold = threshold
        self.previous: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CollectorTuning:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

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
        self.previous = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(*self.threshold)

    def spider_closed(self, spider: Spider) -> None:
        if self.previous is not None:
            gc.set_threshold(*self.previous)
            gc.unfreeze()
