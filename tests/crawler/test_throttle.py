"""The throttle's rule (crawler/extensions/throttle.py, issue 28 Deliver 5): a 304, a redirect or a 404 is a fast answer
and lowers the delay as a 200 does; 5xx and 429 never lower it; robots.txt's Crawl-delay is a host's least delay."""

from __future__ import annotations

from unittest.mock import Mock

import pytest
from scrapy import Request, Spider
from scrapy.core.downloader import Slot
from scrapy.http import Response
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler

import settings as project
from crawler.extensions.throttle import PoliteThrottle, distress

HOST = "akhbar.example"


def throttle(**overrides) -> tuple[PoliteThrottle, Slot]:
    """The extension on a crawler with the project's throttle settings, its spider opened, and one slot for HOST at
    the start delay."""
    names = ("AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY",
             "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_DELAY", "ARSHIF_THROTTLE_SMALL_ANSWERS", "USER_AGENT",
             "ROBOTSTXT_OBEY", "CONCURRENT_REQUESTS_PER_DOMAIN")
    crawler = get_crawler(Spider, {**{name: getattr(project, name) for name in names}, **overrides})
    crawler.stats = Mock()
    slot = Slot(crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), 0.0, 0.5)
    crawler.engine = Mock()
    crawler.engine.downloader.slots = {HOST: slot}
    crawler.engine.downloader.per_slot_settings = {}
    ext = PoliteThrottle.from_crawler(crawler)
    if ext.adjusting:
        ext._spider_opened(Spider("t"))
        slot.delay = crawler.engine.downloader._delay
    return ext, slot


def answer(ext: PoliteThrottle, status: int, latency: float = 0.01, path: str = "/a") -> None:
    request = Request(f"https://{HOST}{path}", meta={"download_latency": latency, "download_slot": HOST})
    ext._response_downloaded(Response(request.url, status=status, request=request), request, Spider("t"))


def test_the_project_replaces_scrapys_autothrottle():
    assert project.EXTENSIONS["scrapy.extensions.throttle.AutoThrottle"] is None
    assert "crawler.extensions.throttle.PoliteThrottle" in project.EXTENSIONS
    assert project.ARSHIF_THROTTLE_SMALL_ANSWERS is True


@pytest.mark.parametrize("status", [200, 304, 301, 302, 404, 410])
def test_a_fast_answer_without_distress_lowers_the_delay(status):
    ext, slot = throttle()
    start = slot.delay
    assert start == project.AUTOTHROTTLE_START_DELAY
    for _ in range(10):
        answer(ext, status)
    assert slot.delay < start / 100  # towards latency / target concurrency
    assert slot.concurrency == project.CONCURRENT_REQUESTS_PER_DOMAIN  # concurrency limits untouched


@pytest.mark.parametrize("status", [304, 404])
def test_scrapys_rule_when_the_setting_is_off(status):
    ext, slot = throttle(ARSHIF_THROTTLE_SMALL_ANSWERS=False)
    for _ in range(10):
        answer(ext, status)
    assert slot.delay == project.AUTOTHROTTLE_START_DELAY  # what made --refresh run at 2.3 requests/s


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_distress_never_lowers_the_delay_and_a_slow_one_raises_it(status):
    assert distress(status)
    ext, slot = throttle()
    for _ in range(10):
        answer(ext, status)
    assert slot.delay == project.AUTOTHROTTLE_START_DELAY
    answer(ext, status, latency=8.0)
    assert slot.delay == pytest.approx(8.0 / project.AUTOTHROTTLE_TARGET_CONCURRENCY)


def robots(ext: PoliteThrottle, body: bytes) -> None:
    ext._robots_parsed(ProtegoRobotParser(body, None), Request(f"https://{HOST}/robots.txt"))


@pytest.mark.parametrize("adjusting", [True, False])
def test_crawl_delay_is_the_least_delay_of_the_host(adjusting):
    ext, slot = throttle(AUTOTHROTTLE_ENABLED=adjusting)
    robots(ext, b"User-agent: *\nCrawl-delay: 3\nDisallow: /private/\n")
    assert slot.delay == 3.0 and slot.jitter == 0.0  # no jitter: never less than asked
    # a slot Scrapy makes later for the host (idle ones are dropped) starts there
    assert ext.crawler.engine.downloader.per_slot_settings[HOST] == {"delay": 3.0, "jitter": 0.0}
    for status in (304, 200, 404):
        for _ in range(5):
            answer(ext, status)
    assert slot.delay == 3.0
    if adjusting:
        answer(ext, 503, latency=20.0)  # still raised above it by a slow server
        assert slot.delay == pytest.approx(5.0)


def test_a_crawl_delay_for_another_agent_or_none_changes_nothing():
    ext, slot = throttle()
    robots(ext, b"User-agent: someone-else\nCrawl-delay: 10\n\nUser-agent: *\nDisallow: /private/\n")
    assert ext.crawl_delays == {} and ext.crawler.engine.downloader.per_slot_settings == {}
    robots(ext, b"User-agent: arshif\nCrawl-delay: 2\n")  # our own product token
    assert slot.delay == 2.0
