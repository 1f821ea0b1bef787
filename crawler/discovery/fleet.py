"""What a crawl counts, in this process or, with a shared frontier (crawler/frontier.py), across the fleet.

A request this process schedules may be answered in another worker, whose callback (resolved by name) sees that
worker's spider. What must be known fleet-wide therefore goes through `self.frontier` when there is one: the count
of unanswered sitemaps and feeds (so that no worker's count goes negative or waits for answers another worker
received), the sitemaps read and sources broken, the articles listed (the re-check of unlisted articles needs all
of them: each worker re-checks the articles of its own archive once the fleet has read every source), the listing
links waiting for proof, and the --max-articles budget. `known`, `deferred` and `facts` stay per process: a URL
another worker already requested is dropped by the shared duplicate filter, and what the drop undoes is undone in
request_dropped().
"""

from __future__ import annotations

from archive.core.urls import canonical
from archive.pages.sources import first_page


class FleetState:
    """The spider's counters of sources, listed articles and its article budget (a mixin of
    spiders.alitaliya.AlitaliyaSpider, whose __init__ sets them and whose `frontier` the shared scheduler sets)."""

    def source_done(self):
        """When the last sitemap or feed is answered: the articles they no longer list are re-checked, then the
        deferred pages' links are examined."""
        self.sources_pending -= 1
        remaining = self.frontier.add("sources", -1) if self.frontier is not None else self.sources_pending
        if remaining > 0:
            return
        yield from self.after_sources()

    def _sources_add(self) -> None:
        self.sources_pending += 1
        if self.frontier is not None:
            self.frontier.add("sources")

    def _sources_outstanding(self) -> bool:
        if self.frontier is None:
            return self.sources_pending > 0
        if self._sources_settled:
            return False
        outstanding = self.frontier.get("sources") > 0
        # once the fleet has read every source, no new one can appear (sources are only found inside sources
        # and on the home page): the answer stays "no", and a page costs no round trip to Redis for it
        self._sources_settled = not outstanding and self.rechecked
        return outstanding

    def _count_source(self, counter: str, url: str | None = None) -> None:
        if counter == "sitemaps":
            self.sitemaps_read += 1
        else:
            self.sources_broken += 1
            self.failed_sources.add(canonical(first_page(url)) if url else "")
            self.crawler.stats.set_value("arshif/discovery/sources_broken", self.sources_broken)
        if self.frontier is not None:
            self.frontier.add(counter)

    def _list(self, url: str) -> None:
        self.listed.add(url)
        if self.frontier is not None:
            self._listed_new.append(url)

    def _publish_discovery(self) -> None:
        """Before the source is counted done: a worker that then re-checks must find every listed article; and
        a worker that discovered nothing itself must not report a site that lists nothing (archive.ops.crawl)."""
        if self.frontier is None:
            return
        if self._listed_new:
            self.frontier.add_listed(self._listed_new)
            self._listed_new = []
        if self._discovered_new:
            self.frontier.add("discovered", self._discovered_new)
            self._discovered_new = 0

    def _article_budget(self) -> bool:
        """One more article request within --max-articles (the fleet's budget when the frontier is shared)."""
        if self.max_articles is not None:
            if self.frontier is not None:
                if self.frontier.add("articles") > self.max_articles:
                    self.frontier.add("articles", -1)
                    return False
            elif self.articles_scheduled >= self.max_articles:
                return False
        self.articles_scheduled += 1
        return True

    def request_dropped(self, request, spider=None) -> None:
        """The duplicate filter refused a request (another worker, or a redirect, asked for the URL first): it
        will not be answered here, so what its creation counted is given back — its share of the article budget,
        and for a sitemap or feed its place among the sources still unanswered."""
        meta = request.meta
        if meta.get("arshif_counted"):
            self.articles_scheduled -= 1
            self.scheduled.pop(canonical(request.url), None)
            if self.max_articles is not None and self.frontier is not None:
                self.frontier.add("articles", -1)
        if meta.get("arshif_kind") in ("sitemap", "feed"):
            for req in self.source_done():
                self.crawler.engine.crawl(req)
