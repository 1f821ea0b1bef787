"""Article pages → extracted articles → the articles and article_versions tables, in batches.

A batch is committed when it is full (ARSHIF_BATCH_SIZE) and every ARSHIF_ARTICLE_COMMIT_SECONDS in any case: on
a slow site a batch of 200 takes minutes to fill, and a researcher searching during a crawl should find an article
seconds after it was fetched. Capture rows are always committed first (flush), so an article row never points at
a capture that is not in the database.

Extraction is the pure function in archive.pages.extraction; this pipeline only counts outcomes, batches the store's
writes and tells the crawl how often extraction failed (a share above ARSHIF_MAX_EXTRACTION_FAILURES makes the
crawl exit 1: the sign of a site redesign).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from twisted.internet import task

from archive.core.paths import database
from archive.pages.extraction import ExtractionFailed, extract, load_language_profiles
from archive.store.database import DatabaseError, Store
from crawler.items import ArticlePage

logger = logging.getLogger(__name__)
# Pages this large are extracted in a thread of their own (a page with thousands of reader comments takes a tenth of
# a second and more); the others on the reactor's thread, between downloads. Handing every page to a thread cost a
# quarter of the crawl's CPU more: two busy threads pass Python's GIL back and forth (bench/cpu_per_article.py).
THREAD_ABOVE = 1_000_000  # bytes of HTML


class ArticleStorePipeline:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not settings.getbool("ARSHIF_ARTICLES_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.data = Path(settings.get("ARSHIF_DATA"))
        self.site_name = settings.get("ARSHIF_SITE_NAME")
        self.batch_size = settings.getint("ARSHIF_BATCH_SIZE")
        self.commit_seconds = settings.getfloat("ARSHIF_ARTICLE_COMMIT_SECONDS")
        self.timer: task.LoopingCall | None = None
        self.store: Store | None = None
        self.batch: list[tuple[dict, dict]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleStorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        # Scrapy opens pipelines before extensions: under `scrapy crawl` or Scrapyd the directory may not exist yet
        self.data.mkdir(parents=True, exist_ok=True)
        self.store = Store(database(self.data))
        load_language_profiles()  # once, before a page over 1 MB is extracted in a thread
        if self.commit_seconds > 0:
            self.timer = task.LoopingCall(self._flush_on_time)
            self.timer.start(self.commit_seconds, now=False)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        self.flush()
        if self.store:
            session = self._session()
            try:
                if session is not None:
                    session.flush()  # what the last feed pages said of authors, before they are read below
                self.stats.set_value("arshif/articles/author_from_feed", self.store.fill_authors_from_feeds())
                self.stats.set_value("arshif/articles/section_from_feed", self.store.fill_sections_from_feeds())
            except (OSError, DatabaseError) as exc:
                logger.error("authors named by the feeds not filled in: %s", exc)
            self.store.close()

    async def process_item(self, item, spider: Spider | None = None):
        if not isinstance(item, ArticlePage):
            return item
        if item.revisit == "identical-payload-digest" and self.store.touch_article(item.url, item.timestamp):
            self.stats.inc_value("arshif/articles/unchanged")
            return item
        try:
            doc, item.doc = item.doc, None  # the tree is the extraction's alone from here
            args = (item.body, item.url, item.headers, self.site_name, item.facts)
            said = {"listed_author": item.listed_author, "listed_categories": item.listed_categories}
            if len(item.body) < THREAD_ABOVE:
                article = extract(*args, doc=doc, **said)
            else:  # off the reactor thread: the downloads go on meanwhile
                article = await asyncio.to_thread(extract, *args, doc=doc, **said)
        except ExtractionFailed as exc:
            self.stats.inc_value("arshif/extract/failed")
            logger.warning("extraction failed for %s: %s", item.url, exc)
            session = self._session()
            if session is not None:  # counted among the posts not stored as articles (arshif missed)
                session.note_url(item.url, "article", is_article=0, detection=f"extraction failed: {exc}")
            raise DropItem(f"extraction failed: {exc}") from exc
        if article is None:
            self.stats.inc_value("arshif/extract/not_article")
            return item
        self.stats.inc_value("arshif/extract/ok")
        self.batch.append((article.as_dict(), {"record_id": item.record_id, "timestamp": item.timestamp}))
        if len(self.batch) >= self.batch_size:
            self.flush()
        return item

    def _session(self):
        from crawler.extensions.session import ArchiveSession

        return self.crawler.get_extension(ArchiveSession)

    def _flush_on_time(self) -> None:
        try:
            self.flush()
        except (OSError, DatabaseError) as exc:  # the next crawl's catch-up extracts them from the WARC records
            logger.error("articles not stored: %s", exc)

    def flush(self) -> None:
        if not self.batch or self.store is None:
            return
        # the capture rows first: an article row must never point at a capture row that is not committed (a backup
        # or a crash in between would hold the article without its capture); if they cannot be written (a full
        # disk), the articles wait too — the next crawl extracts them again from the WARC records (catch_up)
        session = self._session()
        if session is not None:
            try:
                session.flush()
            except (OSError, DatabaseError) as exc:
                logger.error("articles not stored, their captures could not be: %s", exc)
                self.batch = []
                return
        batch, self.batch = self.batch, []
        for outcome, count in self.store.store_articles(batch).items():
            self.stats.inc_value(f"arshif/articles/{outcome}", count)
