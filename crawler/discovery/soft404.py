"""Soft-404s found by probing, as crawlers do (issue 27): once per URL pattern per run, ask a path that cannot exist.

When the spider first schedules an article URL of a pattern it has not probed in this run (archive.pages.soft404:
`/2021/10/09/<slug>/` → `/N/N/N/*/`), it also asks, ahead of everything else, a URL of the same directory with a
random slug. An honest site answers 404, 410 or a redirect (or anything but 200). A site that answers 200 has shown
its "not found" page: its signature (title, words) is kept, and an article page of that pattern whose answer matches
it is refused as an article, noted `soft-404: …` (archive.pages.not_articles) and counted. Article pages of a pattern
whose probe has not answered yet are held, at most ARSHIF_SOFT404_HOLD of them, and released by the probe's answer;
a probe that fails releases them as articles, unchecked, and says so. A probe is an ordinary request: archived like
every exchange, counted among the run's requests, at most ARSHIF_SOFT404_PROBES of them in a run (0: no probing).

With a shared frontier (crawler/frontier.py) a probe's answer may reach another worker's spider, which holds none of
this one's pages: the workers of a fleet do not probe (logged once).
"""

from __future__ import annotations

import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse

from archive.core.http import header_text
from archive.core.times import now_iso
from archive.pages.detection import html_encoding, parse_html
from archive.pages.soft404 import Signature, probe_pattern, probe_url, signature, soft_404

PROBE_PRIORITY = 200   # above sitemaps (100): a probe is answered before most pages of its pattern
PROBING, HONEST, UNCHECKED = "probing", "honest", "unchecked"  # a pattern's state, or its probe's Signature
ANSWERED = (301, 302, 303, 307, 308, 404, 410)


class Soft404Probing:
    """The spider's soft-404 probes (a mixin of spiders.alitaliya.AlitaliyaSpider; hooks: soft404_probe in
    request(), soft404_admit where parse_page yields an ArticlePage)."""

    soft404_max_probes: int
    soft404_hold_max: int

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.soft404_max_probes = crawler.settings.getint("ARSHIF_SOFT404_PROBES")
        spider.soft404_hold_max = crawler.settings.getint("ARSHIF_SOFT404_HOLD")
        spider.soft404_patterns = {}  # pattern → PROBING, HONEST, UNCHECKED or the probe's Signature
        spider.soft404_held = {}      # pattern → the ArticlePages waiting for its probe
        spider._soft404_fleet_said = False
        crawler.signals.connect(spider.soft404_closed, signal=signals.spider_closed)
        return spider

    # -- hooks ----------------------------------------------------------------------------------------------
    def soft404_probe(self, url: str, path: str) -> None:
        """The first article URL of a pattern in this run: ask its probe (scheduled here, ahead of the page)."""
        pattern = probe_pattern(url)
        if pattern is None or pattern in self.soft404_patterns or not self.soft404_max_probes:
            return
        if self.frontier is not None:
            if not self._soft404_fleet_said:
                self._soft404_fleet_said = True
                self.logger.info("soft-404 probes are off for the workers of a shared frontier")
            return
        stats = self.crawler.stats
        if stats.get_value("arshif/soft404/probes", 0) >= self.soft404_max_probes:
            self.soft404_patterns[pattern] = UNCHECKED
            stats.inc_value("arshif/soft404/patterns_unprobed")
            self.logger.warning("soft-404 check skipped for URLs like %s: %d probes made, ARSHIF_SOFT404_PROBES",
                                pattern, self.soft404_max_probes)
            return
        probe = probe_url(url)
        self.soft404_patterns[pattern] = PROBING
        stats.inc_value("arshif/soft404/probes")
        self.logger.info("soft-404 probe for URLs like %s: %s", pattern, probe)
        self.crawler.engine.crawl(scrapy.Request(
            probe, callback=self.soft404_probed, errback=self.soft404_probe_failed, priority=PROBE_PRIORITY,
            dont_filter=True, meta={"arshif_path": path + "P", "arshif_kind": "probe", "arshif_pattern": pattern,
                                    "dont_redirect": True, "handle_httpstatus_list": list(ANSWERED)}))

    def soft404_admit(self, page) -> bool:
        """Whether parse_page yields this ArticlePage now. Not when its pattern's probe has not answered (the page
        is held, and yielded by the probe's callback) or when it is the site's "not found" page (refused)."""
        pattern = probe_pattern(page.url)
        state = self.soft404_patterns.get(pattern)
        if state == PROBING:
            held = sum(len(pages) for pages in self.soft404_held.values())
            if held < self.soft404_hold_max:
                self.soft404_held.setdefault(pattern, []).append(page)
                return False
            self._unchecked(1, f"more than {self.soft404_hold_max} pages waiting for probes (ARSHIF_SOFT404_HOLD)",
                            page.url)
            return True
        if isinstance(state, Signature):
            return not self._refused(page, state)
        return True

    # -- the probe's answer ---------------------------------------------------------------------------------
    def soft404_probed(self, response: Response):
        pattern = response.meta["arshif_pattern"]
        self.note(response.url, "page", is_article=0, fetched=now_iso(), status=response.status,
                  detection=f"a soft-404 probe for URLs like {pattern}")
        answer = self._probe_signature(response)
        if answer is None:
            self.soft404_patterns[pattern] = HONEST
            self.crawler.stats.inc_value("arshif/soft404/patterns_honest")
            self.logger.info("soft-404 probe %s answered %d: the site is honest about URLs like %s", response.url,
                             response.status, pattern)
            yield from self.soft404_held.pop(pattern, [])
            return
        self.soft404_patterns[pattern] = answer
        self.crawler.stats.inc_value("arshif/soft404/patterns_soft")
        self.logger.warning("the site answers a path that cannot exist (%s) with 200 and the page %r: pages like %s "
                            "that match it are soft-404s, not articles", response.url, answer.title, pattern)
        for page in self.soft404_held.pop(pattern, []):
            if not self._refused(page, answer):
                yield page

    def soft404_probe_failed(self, failure):
        request = failure.request
        pattern = request.meta["arshif_pattern"]
        self.soft404_patterns[pattern] = UNCHECKED
        self.crawler.stats.inc_value("arshif/soft404/probe_failed")
        held = self.soft404_held.pop(pattern, [])
        self._unchecked(len(held), f"the probe {request.url} failed ({failure.getErrorMessage()})", pattern)
        yield from held

    def soft404_closed(self, spider, reason: str) -> None:
        held = sum(len(pages) for pages in self.soft404_held.values())
        if held:
            self.crawler.stats.inc_value("arshif/soft404/held_at_close", held)
            self.logger.warning("%d article page(s) waiting for a soft-404 probe when the crawl stopped (%s) were "
                                "not stored as articles; the next crawl fetches them again", held, reason)

    # -- helpers --------------------------------------------------------------------------------------------
    def _probe_signature(self, response: Response) -> Signature | None:
        """The signature of a probe's 200 answer in HTML; None for an honest answer (anything else)."""
        if response.status != 200 or not isinstance(response, TextResponse):
            return None
        content_type = header_text(response.headers.get("Content-Type"))
        doc = parse_html(response.body, response.url, html_encoding(response.body, content_type))
        return signature(doc) if doc is not None else None

    def _refused(self, page, probe: Signature) -> bool:
        """Whether the page is the probe's "not found" page: then noted as refused, counted and logged."""
        if page.doc is None:
            return False
        detection = soft_404(page.url, signature(page.doc), {probe_pattern(page.url): probe})
        if detection is None:
            return False
        stats = self.crawler.stats
        stats.inc_value("arshif/not_articles/soft_404")
        stats.inc_value("arshif/articles", -1)  # parse_page counted it as an article
        self.note(page.url, "article", is_article=0, detection=detection)
        self.logger.warning("soft-404, not an article: %s (%s)", page.url, detection)
        return True

    def _unchecked(self, count: int, why: str, what: str) -> None:
        if count:
            self.crawler.stats.inc_value("arshif/soft404/unchecked", count)
            self.logger.warning("%d article page(s) taken without the soft-404 check: %s (%s)", count, why, what)
