"""Article pages → extracted articles → the articles and article_versions tables, in batches.

Extraction is the pure function in crawler.extraction; this pipeline only counts outcomes, batches the store's
writes and tells the crawl how often extraction failed (a share above ARSHIF_MAX_EXTRACTION_FAILURES makes the
crawl exit 1: the sign of a site redesign).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from archive.store import Store
from crawler.extraction import ExtractionFailed, detect_language, extract
from crawler.items import ArticlePage

logger = logging.getLogger(__name__)


class ArticleStorePipeline:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not settings.getbool("ARSHIF_ARTICLES_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.data = Path(settings.get("ARSHIF_DATA") or "arshif-data")
        self.site_name = settings.get("ARSHIF_SITE_NAME")
        self.batch_size = settings.getint("ARSHIF_BATCH_SIZE", 200)
        self.store: Store | None = None
        self.batch: list[tuple[dict, dict]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleStorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        # Scrapy opens pipelines before extensions: under `scrapy crawl` or Scrapyd the directory may not exist yet
        self.data.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.data / "archive.db")
        detect_language("Una frase abbastanza lunga " * 20)  # load langdetect's profiles once, before threads

    def close_spider(self, spider: Spider | None = None) -> None:
        self.flush()
        if self.store:
            self.store.close()

    async def process_item(self, item, spider: Spider | None = None):
        if not isinstance(item, ArticlePage):
            return item
        if item.revisit == "identical-payload-digest" and self.store.touch_article(item.url, item.timestamp):
            self.stats.inc_value("arshif/articles/unchanged")
            return item
        try:
            # off the reactor thread: a multi-megabyte page takes seconds to parse; the store stays on it
            article = await asyncio.to_thread(extract, item.body, item.url, item.headers, self.site_name, item.facts)
        except ExtractionFailed as exc:
            self.stats.inc_value("arshif/extract/failed")
            logger.warning("extraction failed for %s: %s", item.url, exc)
            raise DropItem(f"extraction failed: {exc}") from exc
        if article is None:
            self.stats.inc_value("arshif/extract/not_article")
            return item
        self.stats.inc_value("arshif/extract/ok")
        self.batch.append((article.as_dict(), {"record_id": item.record_id, "timestamp": item.timestamp}))
        if len(self.batch) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if not self.batch or self.store is None:
            return
        # the capture rows first: an article row must never point at a capture row that is not committed (a backup
        # or a crash in between would hold the article without its capture); if they cannot be written (a full
        # disk), the articles wait too — the next crawl extracts them again from the WARC records (catch_up)
        from crawler.session import ArchiveSession

        session = self.crawler.get_extension(ArchiveSession)
        if session is not None:
            try:
                session.flush()
            except (OSError, sqlite3.Error) as exc:
                logger.error("articles not stored, their captures could not be: %s", exc)
                self.batch = []
                return
        batch, self.batch = self.batch, []
        for outcome, count in self.store.store_articles(batch).items():
            self.stats.inc_value(f"arshif/articles/{outcome}", count)
