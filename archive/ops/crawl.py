"""Run one crawl of the site into a data directory: the library function behind `arshif crawl`."""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archive.store.database import Store

MIN_DISCOVERY_TO_COMPARE = 10  # "earlier runs discovered many": at least this many article URLs
MIN_PAGES_FOR_FAILURE_SHARE = 5


@dataclass
class CrawlResult:
    exit_code: int
    reason: str
    stats: dict
    log_file: Path
    crawl_id: int | None
    message: str | None = None
    missed: dict[str, int] | None = None  # reason → pages the site lists as posts not stored as articles


def project_settings():
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


def run_crawl(data: Path, site: str | None = None, warc_max_size: str | None = None,
              extra_settings: dict | None = None, options: dict | None = None) -> CrawlResult:
    """Crawl `site` (default: the ARSHIF_SITE setting) into `data`; blocks until the crawl ends."""
    from scrapy.crawler import CrawlerProcess

    settings = project_settings()
    data = Path(data)
    (data / "logs").mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    log_file = data / "logs" / f"{stamp}.log"
    site = site or settings.get("ARSHIF_SITE")
    if warc_max_size:
        from archive.warc.writer import parse_size  # warcio: not for `stats`, which reads this module

        parse_size(warc_max_size)  # a bad size is a usage error before anything starts
        settings.set("ARSHIF_WARC_MAX_SIZE", warc_max_size, priority="cmdline")
    settings.set("ARSHIF_DATA", str(data), priority="cmdline")
    settings.set("ARSHIF_OPTIONS", {"site": site, **(options or {})}, priority="cmdline")
    settings.set("LOG_FILE", str(log_file), priority="cmdline")
    settings.set("LOG_FILE_APPEND", False, priority="cmdline")
    for key, value in (extra_settings or {}).items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("alitaliya")
    process.crawl(crawler, site=site)
    process.start()
    logging.getLogger().handlers.clear()
    stats = crawler.stats.get_stats()
    reason = stats.get("finish_reason", "unknown")
    message = stats.get("arshif/stop_message")
    exit_code = 0
    if reason != "finished":
        exit_code = 1
        message = message or f"the crawl ended early ({reason}); see {log_file}"
    elif not stats.get("response_received_count"):
        if settings.get("ARSHIF_FRONTIER") and not stats.get("downloader/request_count"):
            # joined a shared run that the other workers finished: not a failure of the site
            message = "the frontier held no work for this worker: the other workers fetched everything"
        else:
            exit_code, message = 1, f"the site did not answer; see {log_file}"
    crawl_id = stats.get("arshif/crawl_id")
    if crawl_id is not None:
        store = Store(data / "archive.db")
        # with a shared frontier, whichever worker read the sitemaps discovered for the fleet
        discovered = max(int(stats.get("arshif/discovery/article_urls", 0)),
                         int(stats.get("arshif/frontier/discovered", 0)))
        before = store.previous_discovery(crawl_id)
        ok, failed = int(stats.get("arshif/extract/ok", 0)), int(stats.get("arshif/extract/failed", 0))
        share = settings.getfloat("ARSHIF_MAX_EXTRACTION_FAILURES", 0.2)
        if exit_code == 0 and ok + failed >= MIN_PAGES_FOR_FAILURE_SHARE and failed > share * (ok + failed):
            exit_code = 1
            message = (f"extraction failed for {failed} of {ok + failed} article pages (more than {share:.0%}): "
                       "has the site changed its markup?")
        if exit_code == 0 and discovered == 0 and before >= MIN_DISCOVERY_TO_COMPARE:
            exit_code = 1
            message = (f"discovery found no article URL, where an earlier crawl found {before}: "
                       "has the site changed its sitemaps, feeds or markup?")
        try:
            missed = missed_reasons(store)
        except sqlite3.Error as exc:
            logging.getLogger(__name__).error("counting the posts not stored as articles: %s", exc)
            missed = None
        try:
            store.set_exit_code(crawl_id, exit_code)
        except sqlite3.Error as exc:
            # the disk (or a file-size limit) that stopped the crawl may refuse this row too: the crawl's own
            # message says why it stopped; the row keeps its status, only the exit code is missing
            logging.getLogger(__name__).error("recording the exit status of crawl %s: %s", crawl_id, exc)
            if message is None:
                exit_code, message = 1, f"cannot write to the archive: {exc}"
        store.close()
        return CrawlResult(exit_code, reason, stats, log_file, crawl_id, message, missed)
    return CrawlResult(exit_code, reason, stats, log_file, crawl_id, message)


def missed_reasons(store: Store) -> dict[str, int]:
    """Reason → how many pages the site lists as posts (a posts sitemap or feed) are in the archive, fetched
    with 200, but not stored as articles: nothing lost silently (`arshif missed` lists them)."""
    counts: dict[str, int] = {}
    for row in store.missed_posts():
        counts[row["reason"]] = counts.get(row["reason"], 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))
