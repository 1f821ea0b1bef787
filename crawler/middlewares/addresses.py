"""Where the crawl may go: no request to a loopback, private, link-local or reserved address outside the site's own
range (archive/core/addresses.py; docs/operating.md, "What arshif does with a hostile site").

Pages, links and redirects stay on the site's host (the spider sees to that); page requisites may come from the hosts
ARSHIF_ASSET_HOSTS names. This middleware judges every request to a host other than the site's own by the address it
would connect to: an IP literal at once, with no DNS query; a name by resolving it first — every address, in a
thread, so the reactor never waits — and refusing it when any of its addresses is forbidden, or when it does not
resolve. The address judged is the one the download connects to: it is put in Scrapy's DNS cache, which the default
resolver reads before asking again, so a second DNS answer cannot differ. Redirects of a requisite come back through
here as new requests, so every hop is judged.

It sits before Scrapy's robots.txt middleware (100), so that a forbidden host is not even asked for its robots.txt.
ARSHIF_ALLOW_PRIVATE_HOSTS names the hosts (exact names or literals) whose addresses are not judged. Each refusal is
logged with its reason and counted in `arshif/refused/<reason>`; the run's end says how many of each.
"""

from __future__ import annotations

import logging
import socket
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.resolver import CachingThreadedResolver, dnscache
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from archive.core import addresses

logger = logging.getLogger(__name__)
# the resolvers whose cache holds one IPv4 address a name (Scrapy's default): the address checked can be pinned there
PINNABLE = {None, "scrapy.resolver.CachingThreadedResolver", CachingThreadedResolver}


class AddressRefused(IgnoreRequest):
    """A request the crawl may not make: its host's address is forbidden (or the name does not resolve)."""

    def __init__(self, url: str, reason: str, detail: str):
        super().__init__(f"refused {url}: {reason} ({detail})")
        self.reason = reason


class AddressGuard:
    def __init__(self, crawler: Crawler, allowed_hosts: list[str], pin: bool = True):
        self.crawler = crawler
        self.pin = pin  # the address checked is put in the resolver's cache (the one the download connects to)
        self.stats = crawler.stats
        self.allowed_hosts = {h.strip().strip("[]").lower() for h in allowed_hosts if h.strip()}
        self.resolved: dict[str, list[addresses.Address]] = {}  # host → its addresses, resolved once a run
        self.site_host: str | None = None
        self.site_range: tuple[addresses.Network, ...] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuard:
        settings = crawler.settings
        if not settings.getbool("ARSHIF_ADDRESS_GUARD_ENABLED"):
            raise NotConfigured
        # the resolver Scrapy installs (its own rule: the deprecated DNS_RESOLVER only when set above the default)
        legacy = (settings.getpriority("DNS_RESOLVER") or 0) > max(SETTINGS_PRIORITIES["default"],
                                                                   settings.getpriority("TWISTED_DNS_RESOLVER") or 0)
        resolver = settings.get("DNS_RESOLVER" if legacy else "TWISTED_DNS_RESOLVER")
        pin = resolver in PINNABLE
        if not pin:  # another resolver keeps its own cache: a name is checked, then resolved again to connect
            logger.warning("the address guard cannot pin the address it checked with the resolver %s", resolver)
        guard = cls(crawler, settings.getlist("ARSHIF_ALLOW_PRIVATE_HOSTS"), pin)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = (urlsplit(request.url).hostname or "").lower()
        if not host or host == self._site_host() or host in self.allowed_hosts:
            return None
        found = await self._addresses(host)
        if not found:
            self._refuse(request, "unresolved", f"{host} does not resolve")
        judged = addresses.refusal(found, await self._site_range())
        if judged is not None:
            reason, address = judged
            self._refuse(request, reason, f"{host} is {address}" if addresses.literal(host) is None else str(address))
        if self.pin and addresses.literal(host) is None:
            # the address judged is the one connected to: Scrapy's resolver reads its cache before asking again
            first = next((str(a) for a in found if a.version == 4), None)
            if first is not None:
                dnscache[host] = first
        return None

    def _refuse(self, request: Request, reason: str, detail: str) -> None:
        self.stats.inc_value(f"{addresses.STAT}{reason}")
        request.meta["arshif_refused"] = reason  # for whoever logs the fetch: not sent, and why
        logger.warning("refused %s: %s address (%s), found on %s", request.url, reason, detail,
                       request.headers.get("Referer", b"").decode("latin-1") or "-")
        raise AddressRefused(request.url, reason, detail)

    def _site_host(self) -> str:
        if self.site_host is None:
            spider = self.crawler.spider
            site = getattr(spider, "site", None) or self.crawler.settings.get("ARSHIF_SITE")
            self.site_host = (urlsplit(site or "").hostname or "").lower()
        return self.site_host

    async def _site_range(self) -> tuple[addresses.Network, ...]:
        if self.site_range is None:
            host = self._site_host()
            self.site_range = addresses.own_range(await self._addresses(host)) if host else ()
        return self.site_range

    async def _addresses(self, host: str) -> list[addresses.Address]:
        """Every address of host: the literal itself (no DNS query), else what the system resolver answers, asked
        in a thread; [] when it does not resolve."""
        known = self.resolved.get(host)
        if known is not None:
            return known
        address = addresses.literal(host)
        if address is not None:
            found = [address]
        else:
            try:
                infos = await maybe_deferred_to_future(deferToThread(socket.getaddrinfo, host, None))
            except (socket.gaierror, UnicodeError, OSError):
                infos = []
            found = list(dict.fromkeys(addresses.literal(info[4][0]) for info in infos))
            found = [a for a in found if a is not None]
        self.resolved[host] = found
        return found

    def spider_closed(self, spider: Spider | None = None) -> None:
        line = addresses.refusals_line(self.stats.get_stats())
        if line:
            logger.warning("%s", line)
