"""robots.txt as RFC 9309 reads it (Scrapy's own RobotsTxtMiddleware takes every failure for "allow everything").

- 2xx: its rules.
- 4xx ("unavailable", §2.3.1.3): no rules, everything allowed.
- 5xx or no answer at all ("unreachable", §2.3.1.4): everything disallowed for this run — unless the archive holds
  a good copy (the latest capture of that robots.txt answered 200), whose rules are then used. Either way the run says
  so: a warning, `arshif/robots/unreachable` and the note the crawl's last lines show (`arshif/robots/note`).
- Redirects (§2.3.1.2): followed for at most 5 hops; a longer chain means "unavailable" (allow).

A run that robots.txt blocks entirely (nothing was let through, something was refused) is judged by
archive/ops/crawl.py: exit status 1 with that reason.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

ROBOTS_REDIRECTS = 5     # RFC 9309 §2.3.1.2: "at least five consecutive redirects"
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class StandardRobotsTxt(RobotsTxtMiddleware):
    """RobotsTxtMiddleware with RFC 9309's answers to failures and redirects (settings.py replaces Scrapy's)."""

    def process_request_2(self, rp, request: Request) -> None:
        super().process_request_2(rp, request)  # IgnoreRequest when robots.txt forbids it
        self._stats.inc_value("arshif/robots/allowed")  # let through: the run was not blocked entirely

    async def robot_parser(self, request: Request):
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robotsurl = f"{url.scheme}://{netloc}/robots.txt"
            robotsreq = Request(robotsurl, priority=self.DOWNLOAD_PRIORITY, callback=NO_CALLBACK,
                                meta={"dont_obey_robotstxt": True, "redirect_ttl": ROBOTS_REDIRECTS})
            try:
                response = await self.crawler.engine.download_async(robotsreq)
            except IgnoreRequest as exc:  # more than 5 redirects (or refused by another rule): unavailable
                self._stats.inc_value("arshif/robots/unavailable")
                logger.warning("robots.txt of %s not reached (%s): taken as unavailable, everything allowed "
                               "(RFC 9309 §2.3.1.2)", netloc, exc)
                await self._parse_body(b"", netloc, request)
            except Exception as exc:  # no answer at all: unreachable
                self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
                await self._unreachable(netloc, robotsurl, request, f"did not answer ({exc})")
            else:
                self._stats.inc_value("robotstxt/response_count")
                self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
                if response.status >= 500:
                    await self._unreachable(netloc, robotsurl, request, f"answered {response.status}")
                elif 400 <= response.status < 500:
                    self._stats.inc_value("arshif/robots/unavailable")
                    await self._parse_body(b"", netloc, request)
                elif 200 <= response.status < 300:
                    await self._parse_body(response.body, netloc, request)
                else:  # a redirect not followed, or anything else: nothing to read, as if unavailable
                    self._stats.inc_value("arshif/robots/unavailable")
                    await self._parse_body(b"", netloc, request)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    async def _unreachable(self, netloc: str, robotsurl: str, request: Request, what: str) -> None:
        """RFC 9309 §2.3.1.4: complete disallow, or the last good copy the archive holds."""
        self._stats.inc_value("arshif/robots/unreachable")
        copy = self._archived(robotsurl)
        if copy is not None:
            self._stats.inc_value("arshif/robots/last_good_copy")
            note = f"robots.txt of {netloc} {what}: its last good copy in the archive is obeyed for this run"
            body = copy
        else:
            self._stats.inc_value("arshif/robots/disallow_all")
            note = (f"robots.txt of {netloc} {what}: nothing there may be crawled this run "
                    "(RFC 9309 §2.3.1.4, and the archive holds no good copy)")
            body = DISALLOW_ALL
        logger.warning(note)
        self._stats.set_value("arshif/robots/note", note)
        await self._parse_body(body, netloc, request)

    def _archived(self, url: str) -> bytes | None:
        """The payload of the archive's latest 200 capture of this robots.txt (through the archive session)."""
        from crawler.extensions.session import ArchiveSession

        session = self.crawler.get_extension(ArchiveSession)
        return session.archived_body(url) if session is not None else None

    async def _parse_body(self, body: bytes, netloc: str, request: Request) -> None:
        """What Scrapy's _parse_robots does with a response, for the body RFC 9309 says to obey."""
        rp = build_from_crawler(self._parserimpl, self.crawler, body)
        await self.crawler.signals.send_catch_log_async(signal=signals.robots_parsed, robotparser=rp,
                                                        request=request)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = rp
        if isinstance(waiting, Deferred):
            waiting.callback(rp)
