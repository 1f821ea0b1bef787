"""Downloader middleware that records every HTTP exchange into the archive, exactly as received.

Its place in DOWNLOADER_MIDDLEWARES matters (see settings.py): above 600 it sees responses before
HttpCompressionMiddleware (590) decodes the body and before RedirectMiddleware (600) turns a 301 into a new
request, and before RetryMiddleware (550) retries a 500 — so redirects, server errors and still-compressed bodies
are all archived as what they were.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from archive.store.database import DatabaseError
from crawler.extensions.session import ArchiveSession

logger = logging.getLogger(__name__)


class WarcRecorderMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self._session: ArchiveSession | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorderMiddleware:
        return cls(crawler)

    @property
    def session(self) -> ArchiveSession:
        if self._session is None:
            self._session = self.crawler.get_extension(ArchiveSession)
        return self._session

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if request.meta.get("arshif_dont_archive"):
            return response
        if self.session.writer is None:  # the crawl is refusing to start (locked, no disk): nothing is archived
            raise IgnoreRequest("the archive is not open")
        try:
            info = self.session.record(request, response)
        except (OSError, DatabaseError) as exc:
            # An archive that cannot write must not keep crawling as if it could.
            self.session.stop("archive_error", self.session.describe(exc))
            raise IgnoreRequest(f"not archived: {exc}") from exc
        request.meta["arshif_record"] = info  # the spider hands it on with the article page
        outcome = info["revisit"] or ("ok" if response.status < 400 else "http-error")
        if request.meta.get("arshif_truncated") == "length":  # cut at DOWNLOAD_MAXSIZE (crawler/middlewares/size.py)
            outcome = "truncated-length"
        self.session.log_fetch(request, response.status, len(response.body), info["mime"], info["digest"], outcome,
                               request.meta.get("download_latency"))
        self.stats.inc_value(f"arshif/fetch_status/{response.status}")
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        if isinstance(exception, IgnoreRequest):  # never sent, not an error: robots.txt or the address rules
            refused = request.meta.get("arshif_refused")
            outcome = f"refused-{refused}-address" if refused else "blocked-by-robots"
            self.session.log_fetch(request, "-9998", 0, None, None, outcome, None)
            return None
        name = type(exception).__name__
        self.session.log_fetch(request, f"-{name}"[:24], 0, None, None, "failed", request.meta.get("download_latency"))
        self.stats.inc_value(f"arshif/fetch_error/{name}")
        return None
