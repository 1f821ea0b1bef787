"""AutoThrottle that counts a 304 as the fast answer it is, and obeys robots.txt's Crawl-delay (issue 28, Deliver 5).

Scrapy's AutoThrottle lowers a slot's delay only on a 200: "error pages (and redirections) are usually small and so
tend to reduce latency". An incremental run is mostly 304s, so it stayed at AUTOTHROTTLE_START_DELAY: `crawl
--refresh` ran at a tenth of the first crawl's rate. Here an answer the server gave without distress (any 2xx, 3xx
and 4xx but 429) counts like a 200: its latency moves the delay either way, by Scrapy's own formula. A server in
distress (5xx, 429) still only ever raises it. ARSHIF_THROTTLE_SMALL_ANSWERS = False restores Scrapy's rule.

Politeness is otherwise unchanged: CONCURRENT_REQUESTS(_PER_DOMAIN), DOWNLOAD_DELAY as the least delay and
AUTOTHROTTLE_MAX_DELAY as the most. Scrapy reads robots.txt's Crawl-delay but never applies it; here a host's
Crawl-delay (for USER_AGENT, or ROBOTSTXT_USER_AGENT) is the least delay of its slot, exactly (no jitter), from the
moment robots.txt is read, even with AutoThrottle off.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response

logger = logging.getLogger(__name__)


def distress(status: int) -> bool:
    """An answer that asks the crawler to slow down: a server error, or 429 Too Many Requests."""
    return status >= 500 or status == 429


class PoliteThrottle(AutoThrottle):
    """settings.py's replacement for scrapy.extensions.throttle.AutoThrottle."""

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.adjusting = settings.getbool("AUTOTHROTTLE_ENABLED")
        self.small_answers = settings.getbool("ARSHIF_THROTTLE_SMALL_ANSWERS")
        self.agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.crawl_delays: dict[str, float] = {}
        if self.adjusting:
            super().__init__(crawler)  # connects spider_opened and response_downloaded
        else:  # no AutoThrottle, but a Crawl-delay is still obeyed
            crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)
        if settings.getbool("ROBOTSTXT_OBEY"):
            crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)
        elif not self.adjusting:
            raise NotConfigured

    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        if self.adjusting:
            super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        if slot is not None and key in self.crawl_delays:
            self._at_least(slot, self.crawl_delays[key])

    def _adjust_delay(self, slot, latency: float, response: Response) -> None:
        """Scrapy's formula; an answer without distress counts as a 200 would (module docstring)."""
        if self.small_answers and response.status != 200 and not distress(response.status):
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)

    def _robots_parsed(self, robotparser, request: Request) -> None:
        crawl_delay = getattr(robotparser, "crawl_delay", None)
        try:
            delay = crawl_delay(self.agent) if crawl_delay is not None else None
        except (TypeError, ValueError):
            delay = None
        host = urlsplit(request.url).hostname or ""
        if not delay or delay <= 0:
            self.crawl_delays.pop(host, None)
            return
        self.crawl_delays[host] = float(delay)
        self.crawler.stats.set_value("arshif/robots/crawl_delay", float(delay))
        logger.info("robots.txt of %s asks for a Crawl-delay of %g s: its requests are spaced at least that much",
                    host, delay)
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        # a slot made later (Scrapy drops idle ones) starts at the Crawl-delay; the one robots.txt came by is raised
        own = downloader.per_slot_settings.setdefault(host, {})
        own.update(delay=max(float(own.get("delay") or 0), float(delay)), jitter=0.0)
        slot = downloader.slots.get(host)
        if slot is not None:
            self._at_least(slot, float(delay))

    @staticmethod
    def _at_least(slot, delay: float) -> None:
        """A slot's delay raised to `delay`, without the jitter that would space some requests less."""
        if slot.delay < delay:
            slot.delay = delay
        slot.jitter = 0.0
