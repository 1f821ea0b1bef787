"""Progress for long crawls: a live status line on a terminal, plain periodic log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


class Progress:
    def __init__(self, crawler: Crawler, interval: float, stream, live: bool):
        self.crawler, self.stats = crawler, crawler.stats
        self.interval, self.stream, self.live = interval, stream, live
        self.started = time.monotonic()
        self._task: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        settings = crawler.settings
        if not settings.getbool("ARSHIF_PROGRESS_ENABLED"):
            raise NotConfigured
        live = settings.getbool("ARSHIF_PROGRESS_LIVE", sys.stderr.isatty())  # unset: live on a terminal
        progress = cls(crawler, 1.0 if live else settings.getfloat("ARSHIF_PROGRESS_INTERVAL"), sys.stderr, live)
        for handler, signal in ((progress.opened, signals.spider_opened), (progress.closed, signals.spider_closed)):
            crawler.signals.connect(handler, signal=signal)
        return progress

    def opened(self, spider) -> None:
        self.started = time.monotonic()
        self._task = task.LoopingCall(self.tick)
        self._task.start(self.interval, now=False)

    def closed(self, spider, reason) -> None:
        if self._task and self._task.running:
            self._task.stop()
        if self.live:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _queue(self) -> int:
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None) or getattr(engine, "slot", None)
        scheduler = getattr(slot, "scheduler", None)
        try:
            queued = len(scheduler) if scheduler is not None else 0
        except TypeError:
            queued = 0
        return queued + len(getattr(engine.downloader, "active", ()))

    def line(self) -> str:
        get = self.stats.get_value
        pages = get("response_received_count", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        errors = sum(v for k, v in self.stats.get_stats().items()
                     if k.startswith(("arshif/fetch_error/", "spider_exceptions/")))
        return (f"pages {pages} · articles {get('arshif/articles', 0)} · "
                f"WARC {get('arshif/warc_bytes_written', 0) / 1e6:.1f} MB · errors {errors} · "
                f"{pages / elapsed:.1f} pages/s · queue {self._queue()}")

    def tick(self) -> None:
        if self.live:
            self.stream.write("\r\033[K" + self.line())
            self.stream.flush()
        else:
            logger.info("progress: %s", self.line())
