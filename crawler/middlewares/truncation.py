"""Truncated answers are failed fetches: asked for again, and never taken whole when they stay cut (issue 27).

Two ways an answer comes short:

- a declared Content-Length larger than what arrived: Twisted ends the body with a data loss, which Scrapy raises as
  ResponseDataLossError (DOWNLOAD_FAIL_ON_DATALOSS, on by default; with it off, the response carries the flag
  "dataloss"). Scrapy's RetryMiddleware would retry it as any failed download (RETRY_EXCEPTIONS); this middleware
  retries it first, under the reason "truncated", so that both kinds are counted and logged alike;
- HTML that stops mid-document although HTTP said it was whole (a Content-Length shorter than the page):
  archive.pages.truncation.cut_short.

Either is retried with Scrapy's get_retry_request (RETRY_TIMES, the back-off of crawler/middlewares/backoff.py);
when the retries are spent, a response is passed on with `request.meta["arshif_truncated"]` = what was wrong, which
the spider reads to refuse it as an article (archive.pages.not_articles, TRUNCATED). Its place (settings.py): just
above RetryMiddleware (550) and below the recorder (950), so every attempt is archived as it came, and below
HttpCompressionMiddleware (590), so the HTML rule reads decoded bytes. Stats: arshif/truncated/retried,
arshif/truncated/given_up.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import ResponseDataLossError
from scrapy.http import Response

from archive.core.http import header_text
from archive.pages.truncation import cut_short

logger = logging.getLogger(__name__)

CHECKED_KINDS = ("article", "page", "listing")  # pages the spider reads as HTML (not assets, sources or probes)


class TruncatedAnswers:
    def __init__(self, crawler: Crawler, retry_enabled: bool):
        self.crawler = crawler
        self.stats = crawler.stats
        self.retry_enabled = retry_enabled

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TruncatedAnswers:
        return cls(crawler, crawler.settings.getbool("RETRY_ENABLED"))

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Request | Response:
        if response.status != 200 or request.meta.get("arshif_truncated"):
            return response  # an answer a size limit cut (DOWNLOAD_MAXSIZE) is already known to be short
        if "dataloss" in response.flags:
            why = "the server declared a longer Content-Length than it sent"
        elif request.meta.get("arshif_kind") in CHECKED_KINDS and _is_html(response):
            why = cut_short(response.body)
        else:
            why = None
        if why is None:
            return response
        retry = self._retry(request, why, "not taken as an article")
        if retry is not None:
            return retry
        request.meta["arshif_truncated"] = why
        return response

    def process_exception(self, request: Request, exception: Exception,
                          spider: Spider | None = None) -> Request | None:
        if not isinstance(exception, ResponseDataLossError):
            return None
        # given up here, RetryMiddleware (next) finds the retries spent too and logs the failure as ever
        return self._retry(request, "the server declared a longer Content-Length than it sent", "a failed fetch")

    def _retry(self, request: Request, why: str, outcome: str) -> Request | None:
        retry = None
        if self.retry_enabled and not request.meta.get("dont_retry"):
            retry = get_retry_request(request, spider=self.crawler.spider, reason="truncated",
                                      give_up_log_level=logging.DEBUG)  # the warning below says it
        if retry is not None:
            self.stats.inc_value("arshif/truncated/retried")
            logger.warning("truncated answer from %s (%s): asked again (retry %d)", request.url, why,
                           retry.meta["retry_times"])
            return retry
        self.stats.inc_value("arshif/truncated/given_up")
        logger.warning("truncated answer from %s (%s), still after %d retries: %s", request.url, why,
                       request.meta.get("retry_times", 0), outcome)
        return None


def _is_html(response: Response) -> bool:
    content_type = header_text(response.headers.get("Content-Type")).lower()
    return "html" in content_type or (not content_type and response.body.lstrip()[:1] == b"<")
