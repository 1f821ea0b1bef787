"""Response size limits that keep what came: a download past DOWNLOAD_MAXSIZE is cut there and archived as far as it
came, with `WARC-Truncated: length`, never as an article (issue 27, Deliver 2).

Scrapy's own handling of DOWNLOAD_MAXSIZE (scrapy/core/downloader/handlers/http11.py) cancels the download and loses
the body: a Content-Length past the limit is refused before a byte is read, and a body that grows past it is dropped
(`_ResponseReader.dataReceived`). This component takes the limit over through Scrapy's public signals instead:

- `headers_received` is sent before the handler reads `request.meta["download_maxsize"]`: the request's limit is
  kept in `arshif_maxsize` and Scrapy's is set to 0 for this download;
- `bytes_received` counts the body; past the limit, `StopDownload(fail=False)` ends the download and the response
  arrives with what came (flag "download_stopped"), marked `request.meta["arshif_truncated"] = "length"`, which the
  recorder (crawler/middlewares/recorder.py) writes as `WARC-Truncated: length` and the spider reads to refuse it as
  an article.

It is also the decompression: it takes HttpCompressionMiddleware's place (590) and runs it, so that a body whose
Content-Encoding decodes past DOWNLOAD_MAXSIZE (a gzip bomb; its raw bytes already archived by the recorder at 950)
is dropped as Scrapy drops it, but logged, counted and said at the end of the run. A cut gzip stream decodes as far
as it goes (Scrapy's gunzip); one that does not decode at all is passed on as it came. Last, it marks an HTML page
past ARSHIF_ARTICLE_MAX_SIZE / ARSHIF_ARTICLE_MAX_TAGS (archive.pages.limits) so that the spider never parses it.

Stats: arshif/cut/download_maxsize, arshif/cut/decompressed_size, arshif/not_articles/truncated,
arshif/not_articles/too_large.
"""

from __future__ import annotations

import logging
import zlib

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http import Response, TextResponse

from archive.core.sizes import parse_size
from archive.core.times import now_iso
from archive.pages.limits import CUT_AT_LIMIT, too_large, truncated
from archive.pages.not_articles import TOO_LARGE, refused, refused_reason

logger = logging.getLogger(__name__)

CHECKED_KINDS = ("article", "page", "listing")  # the pages the spider parses as HTML (parse_page)
CUT_DECOMPRESSED = "cut-decompressed-size"      # crawl.log's outcome of a body whose decoding the limit cut


class SizeLimits(HttpCompressionMiddleware):
    def __init__(self, crawler: Crawler, article_max_size: int, article_max_tags: int):
        super().__init__(crawler=crawler)
        self.crawler = crawler
        self.article_max_size = article_max_size
        self.article_max_tags = article_max_tags
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SizeLimits:
        if not crawler.settings.getbool("COMPRESSION_ENABLED"):
            raise NotConfigured
        return cls(crawler, parse_size(crawler.settings.get("ARSHIF_ARTICLE_MAX_SIZE")),
                   crawler.settings.getint("ARSHIF_ARTICLE_MAX_TAGS"))

    # -- the download ---------------------------------------------------------------------------------------
    def headers_received(self, headers, body_length: int | str, request: Request,
                         spider: Spider | None = None) -> None:
        # a retry's request carries the meta of the first attempt: the limit is the one first seen
        limit = request.meta.setdefault("arshif_maxsize", request.meta.get("download_maxsize", self._max_size))
        request.meta["arshif_received"] = 0
        if request.meta.get("arshif_truncated") == CUT_AT_LIMIT:  # a retry or a redirect of a cut answer: anew
            del request.meta["arshif_truncated"]
        if not limit:
            return
        request.meta["download_maxsize"] = 0  # Scrapy's handler would drop the body: the limit is ours from here
        if isinstance(body_length, int) and body_length > limit:  # Twisted's UNKNOWN_LENGTH is a string
            logger.warning("%s declares %d bytes, past DOWNLOAD_MAXSIZE (%d): its first %d bytes are kept",
                           request.url, body_length, limit, limit)

    def bytes_received(self, data: bytes, request: Request, spider: Spider | None = None) -> None:
        limit = request.meta.get("arshif_maxsize")
        if not limit:
            return
        received = request.meta["arshif_received"] = request.meta.get("arshif_received", 0) + len(data)
        if received > limit:
            request.meta["arshif_truncated"] = CUT_AT_LIMIT
            self.stats.inc_value("arshif/cut/download_maxsize")
            logger.warning("%s cut at DOWNLOAD_MAXSIZE (%d bytes): kept as far as it came (%d bytes), "
                           "WARC-Truncated: length, not an article", request.url, limit, received)
            raise StopDownload(fail=False)

    # -- the response ---------------------------------------------------------------------------------------
    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Request | Response:
        if "arshif_maxsize" in request.meta:  # the decoder below, and any retry, see the request's own limit again
            request.meta["download_maxsize"] = request.meta["arshif_maxsize"]
        try:
            response = super().process_response(request, response)
        except IgnoreRequest:  # the decoded body grew past DOWNLOAD_MAXSIZE (Scrapy's decoder's only IgnoreRequest)
            self._cut_decompressed(request, response)
            raise
        except (OSError, EOFError, zlib.error):
            if not request.meta.get("arshif_truncated"):
                raise
            return response  # a cut body that does not decode at all: passed on as it came (refused as an article)
        request.meta.pop("arshif_too_large", None)
        if isinstance(response, TextResponse) and request.meta.get("arshif_kind") in CHECKED_KINDS:
            detection = too_large(response.body, self.article_max_size, self.article_max_tags)
            if detection:
                request.meta["arshif_too_large"] = detection
        return response

    def _cut_decompressed(self, request: Request, response: Response) -> None:
        self.stats.inc_value("arshif/cut/decompressed_size")
        limit = request.meta.get("download_maxsize", self._max_size)
        logger.warning("%s: its Content-Encoding decodes past DOWNLOAD_MAXSIZE (%d bytes): the raw answer is archived "
                       "(%d bytes), the page is not read", request.url, limit, len(response.body))
        session = _session(self.crawler)
        if session is None:
            return
        # its fetch line says `ok` (recorded before decoding): this one says what became of it
        record = request.meta.get("arshif_record") or {}
        session.log_fetch(request, response.status, len(response.body), record.get("mime"), record.get("digest"),
                          CUT_DECOMPRESSED, request.meta.get("download_latency"))
        if request.meta.get("arshif_kind") in CHECKED_KINDS:  # a page the spider never sees: refused here
            self.stats.inc_value("arshif/not_articles/too_large")
            session.note_url(response.url, "page", is_article=0, fetched=now_iso(), status=response.status,
                             detection=refused(TOO_LARGE, f"its Content-Encoding decodes past DOWNLOAD_MAXSIZE "
                                                          f"({limit} bytes)"))


def refused_before_parsing(spider: Spider, response: Response) -> bool:
    """Whether the spider must leave this page unparsed: cut short (`arshif_truncated`: a size limit, or an answer
    crawler/middlewares/truncation.py gave up on) or too large (`arshif_too_large`). Such a page is noted as not an
    article with its reason (`arshif missed` lists it) and counted, arshif/not_articles/truncated or /too_large."""
    reason = response.meta.get("arshif_truncated")
    detection = truncated(reason) if reason else response.meta.get("arshif_too_large")
    if not detection:
        return False
    kind = "listing" if response.meta.get("arshif_kind") == "listing" else "page"  # as parse_page notes a non-article
    spider.note(response.url, kind, is_article=0, fetched=now_iso(), status=response.status, detection=detection)
    spider.crawler.stats.inc_value(f"arshif/not_articles/{refused_reason(detection).replace(' ', '_')}")
    return True


def _session(crawler: Crawler):
    from crawler.extensions.session import ArchiveSession

    return crawler.get_extension(ArchiveSession)
