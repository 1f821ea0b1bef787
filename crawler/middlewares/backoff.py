"""Back-off between retries: a server that answered 5xx or timed out is given time before we ask again.

Scrapy's RetryMiddleware re-schedules a failed request at once; this middleware delays each retry by
ARSHIF_RETRY_BACKOFF_BASE × 2^(attempt-1) seconds, at most ARSHIF_RETRY_BACKOFF_MAX.
"""

from __future__ import annotations

import asyncio

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class RetryBackoffMiddleware:
    def __init__(self, base: float, maximum: float, stats):
        self.base, self.maximum, self.stats = base, maximum, stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        base = crawler.settings.getfloat("ARSHIF_RETRY_BACKOFF_BASE")
        if base <= 0:
            raise NotConfigured
        return cls(base, crawler.settings.getfloat("ARSHIF_RETRY_BACKOFF_MAX"), crawler.stats)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        attempt = request.meta.get("retry_times", 0)
        if attempt:
            delay = min(self.base * 2 ** (attempt - 1), self.maximum)
            self.stats.inc_value("arshif/retry_backoff_seconds", delay)
            await asyncio.sleep(delay)
        return None
