"""The site spider: finds every article from what the site publishes, each one once (docs/operating.md, Discovery).

The site's address is configuration (`-a site=URL` or `ARSHIF_SITE`); nothing here knows the real site's theme.
Sources, most reliable first:

1. robots.txt (fetched once by Scrapy's robots middleware, which reports the sitemaps it declares through the
   `robots_parsed` signal) → sitemaps and sitemap indexes, `/sitemap.xml` when none is declared;
2. feeds the home page declares (`<link rel=alternate>`), RSS or Atom, followed through their pages (`rel=next`,
   WordPress's `?paged=N`); the conventional `/feed/` and `/feeds/posts/default` when none is declared;
3. links: between articles always; into listings (home pagination, sections, tags, monthly archives) only from a
   page that revealed an article we did not know. The home page's links are examined last (when the crawl would
   otherwise go idle), so a site whose sitemap or feeds are complete costs no listing pages at all, and a site
   without them is still walked completely.

Every URL is canonicalised (archive.core.urls) before it is requested, and the duplicate filter compares canonical
forms, so `?utm_…`, `fbclid`, `?m=1`, raw-Arabic and lower-case-escape variants are never fetched again.

The spider keeps its callbacks and the one request() every URL goes through; what it does with sitemaps and
feeds, what it asks for again against the archive, and what it counts across a fleet of workers are mixins by job
in crawler/discovery/.
"""

from __future__ import annotations

from fnmatch import fnmatch
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse

from archive.core.durations import parse_duration
from archive.core.http import header_text
from archive.core.times import now_iso
from archive.core.urls import canonical, same_site
from archive.pages.detection import COPY, analyse_page, classify, html_encoding, parse_and_analyse
from archive.pages.requisites import css_references, is_stylesheet, stylesheet_charset
from archive.pages.revisits import RevisitPolicy
from archive.pages.sources import is_comments_feed, url_shape
from crawler.discovery.fleet import FleetState
from crawler.discovery.incremental import Incremental, keep_latest
from crawler.discovery.lastmod_audit import LastmodAudit
from crawler.discovery.sessions import SessionFolding
from crawler.discovery.soft404 import Soft404Probing
from crawler.discovery.sources import SourceReading
from crawler.items import ArticlePage
from crawler.middlewares.size import refused_before_parsing

REDIRECTS = (301, 302, 303, 307, 308)
# What sitemaps and feeds say of a URL: when they last changed it, that they list it as a post, who wrote it.
SOURCE_FACTS = ("sitemap_lastmod", "feed_updated", "listed_as_post", "feed_author", "listed_by", "feed_categories",
                "listed_in_sitemap")
RECHECKS = {"recheck": "arshif/articles_rechecked", "audit": "arshif/lastmod/audits"}  # else a revisit
GONE = (*REDIRECTS, 404, 410)  # what a link to an article-shaped URL that is not an article answered
# An article's lead image and stylesheets go right after it (above the articles still queued): the page and its
# image are captured close in time, and no queue of assets builds up in memory behind thousands of articles.
PRIORITY = {"sitemap": 100, "feed": 90, "asset": 60, "article": 50, "listing": 0, "page": 0}


class AlitaliyaSpider(SessionFolding, SourceReading, Incremental, LastmodAudit, FleetState, Soft404Probing,
                      scrapy.Spider):
    name = "alitaliya"
    # from the settings, read once in from_crawler (settings.py holds every default)
    assets_enabled: bool
    asset_hosts: list[str]
    refresh: bool
    intervals: dict[str, float]  # ARSHIF_REFETCH_INTERVALS in seconds, by kind
    clock: str                   # ARSHIF_CLOCK: what scheduling decisions take for now ("" for the real time)
    revisits_enabled: bool
    redirect_max: int            # REDIRECT_MAX_TIMES: hops of one redirect chain
    same_shape_max: int          # ARSHIF_REDIRECT_SAME_SHAPE: same-shape hops in a row that make a trap
    policy: RevisitPolicy

    def __init__(self, site: str | None = None, max_articles: int | str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.site = canonical(site) if site else None
        self.max_articles = int(max_articles) if max_articles not in (None, "", "0", 0) else None
        self.robots_sitemaps: dict[str, list[str]] = {}
        self.known: set[str] = set()          # canonical URLs already scheduled or listed by a source
        self.articles_scheduled = 0
        self.deferred: list[tuple[str, list[str], str]] = []  # (page, its links, path) parsed while sources ran
        self.pending_expansion: dict[str, tuple[list[str], str]] = {}  # page → its listing links, path
        self.sources_pending = 0               # sitemap and feed requests not yet answered
        self.facts: dict[str, dict] = {}       # url → what sources said of it
        self.scheduled: dict[str, scrapy.Request] = {}  # article requests not answered yet
        self.skipped: set[str] = set()         # known articles left alone as unchanged
        self.listed: set[str] = set()         # article URLs a sitemap or feed lists in this run
        self.sitemaps_read = 0
        self.sources_broken = 0                # sitemaps or feeds that failed or did not parse
        self.failed_sources: set[str] = set()  # … which ones ("" when unknown)
        self.rechecked = False
        self.revisited = False
        self.frontier = None                   # crawler.frontier.FrontierRun, set by its scheduler when shared
        self._listed_new: list[str] = []       # listed articles not yet told to the frontier …
        self._discovered_new = 0               # … and article URLs discovered
        self._sources_settled = False          # the fleet has read every source (no need to ask again)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        if not spider.site:
            spider.site = canonical(settings.get("ARSHIF_SITE"))
        if not spider.site.startswith(("http://", "https://")):
            raise ValueError("no site to crawl: pass -a site=URL or set ARSHIF_SITE")
        if spider.max_articles is None:
            spider.max_articles = settings.getint("ARSHIF_MAX_ARTICLES") or None  # 0: no limit
        spider.assets_enabled = settings.getbool("ARSHIF_ASSETS")
        spider.refresh = settings.getbool("ARSHIF_REFRESH")
        spider.asset_hosts = settings.getlist("ARSHIF_ASSET_HOSTS")
        spider.intervals = {kind: parse_duration(value)
                            for kind, value in settings.getdict("ARSHIF_REFETCH_INTERVALS").items()}
        spider.clock = settings.get("ARSHIF_CLOCK")
        spider.revisits_enabled = settings.getbool("ARSHIF_REVISITS")
        spider.redirect_max = settings.getint("REDIRECT_MAX_TIMES")
        spider.same_shape_max = settings.getint("ARSHIF_REDIRECT_SAME_SHAPE")
        spider.max_sitemaps = settings.getint("ARSHIF_MAX_SITEMAPS")
        spider.sitemap_index_max = settings.getint("ARSHIF_SITEMAP_INDEX_MAX")
        spider.policy = RevisitPolicy(period=_positive(settings.get("ARSHIF_REVISIT_PERIOD")),
                                      young_interval=_positive(settings.get("ARSHIF_REVISIT_YOUNG_INTERVAL")),
                                      budget=settings.getint("ARSHIF_REVISIT_BUDGET"))
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    # -- bookkeeping ----------------------------------------------------------------------------------------
    @property
    def session(self):
        from crawler.extensions.session import ArchiveSession

        return self.crawler.get_extension(ArchiveSession)

    def note(self, url: str, kind: str, **facts) -> None:
        session = self.session
        if session is not None:
            session.note_url(url, kind, **facts)

    def request(self, url: str, kind: str, path: str, callback=None, source: str | None = None,
                referrer: str | None = None, recheck: bool = False, **meta):
        """A request for a canonical URL not requested before in this crawl, or None.

        A URL the archive already holds a response for is asked for conditionally (If-None-Match /
        If-Modified-Since of that response), so that an unchanged page costs a 304, not its bytes."""
        url = canonical(self.fold_sessions(url))  # session ids recognised in this run (crawler/discovery/sessions.py)
        facts = {k: v for k, v in meta.items() if k in SOURCE_FACTS and v}
        if url in self.known:
            if not facts:
                return None
            self.note(url, kind, **facts)
            merged = self.facts.setdefault(url, {})
            keep_latest(merged, facts)  # of two dates for one fact, the later (issue 28)
            waiting = self.scheduled.get(url)
            if waiting is not None:  # not fetched yet: its capture will record what every source said
                keep_latest(waiting.meta, facts)
            if url not in self.skipped or self.unchanged_since_capture(url, merged):
                return None
            self.skipped.discard(url)  # another source says it changed after all
            self.crawler.stats.inc_value("arshif/articles_unchanged", -1)
            meta = {**meta, **merged}
        elif kind == "article" and recheck:
            self.crawler.stats.inc_value(RECHECKS.get(meta.get("arshif_why"), "arshif/revisits/made"))
        elif kind == "article" and self.within_interval(url, "listing", GONE):
            # a link to an article URL that redirected or was dead when last asked: a link, like a listing
            self.known.add(url)
            return None
        elif kind == "article":
            self.crawler.stats.inc_value("arshif/discovery/article_urls")
            self._discovered_new += 1
            if self.unchanged_since_capture(url, facts):
                self.known.add(url)
                self.skipped.add(url)
                self.facts[url] = dict(facts)
                self.note(url, kind, source=source or kind, **facts)
                self.crawler.stats.inc_value("arshif/articles_unchanged")
                return None
            if not self._article_budget():
                return None
            meta["arshif_counted"] = True
        elif kind in ("listing", "page") and self.within_interval(url, "listing"):
            self.known.add(url)
            self.crawler.stats.inc_value("arshif/discovery/listing_within_interval")
            return None
        self.known.add(url)
        self.note(url, kind, source=source or kind, **facts)
        callback = callback or (self.parse_asset if kind == "asset" else self.parse_page)
        errback = None
        if kind in ("sitemap", "feed"):
            self._sources_add()
            errback = self.source_failed
        elif kind != "asset":
            # a redirect's target goes through the same rules as any discovered URL (parse_page)
            meta.update(dont_redirect=True, handle_httpstatus_list=list(REDIRECTS))
        if kind in ("sitemap", "feed", "listing", "asset"):  # an asset's 304: a stylesheet still names its fonts
            meta.setdefault("handle_httpstatus_list", []).append(304)
        keep_latest(self.facts.setdefault(url, {}), facts)
        headers = {"Referer": referrer} if referrer else {}
        session = self.session
        conditional = session.conditional(url) if session is not None else None
        if conditional is not None:
            headers.update(conditional[0])
            meta["arshif_refers_to"] = conditional[1]
            self.crawler.stats.inc_value("arshif/conditional_requests")
        if kind == "article" and self.refresh:
            meta.setdefault("arshif_why", "refresh")
        req = scrapy.Request(url, callback=callback, errback=errback, priority=PRIORITY.get(kind, 0),
                             headers=headers or None, meta={"arshif_path": path, "arshif_kind": kind, **meta})
        if kind == "article":
            self.scheduled[url] = req
            self.soft404_probe(url, path)  # the first article of a URL pattern: is the site honest about it?
        return req

    def classify(self, url: str) -> str:
        """archive.pages.detection.classify, but a page the archive knows as an article is one, whatever its
        URL's shape."""
        kind = classify(url)
        session = self.session
        if kind == "page" and session is not None and canonical(url) in session.article_urls:
            return "article"
        return kind

    # -- sources --------------------------------------------------------------------------------------------
    def robots_parsed(self, robotparser, request) -> None:
        sitemaps = list(getattr(getattr(robotparser, "rp", None), "sitemaps", []) or [])
        self.robots_sitemaps[urlsplit(request.url).netloc] = sitemaps

    async def start(self):
        self.known.add(self.site)
        self.note(self.site, "listing", source="start")
        meta = {"arshif_path": "", "arshif_kind": "listing", "handle_httpstatus_list": [304]}
        conditional = self.session.conditional(self.site) if self.session is not None else None
        if conditional is not None:
            meta["arshif_refers_to"] = conditional[1]
        yield scrapy.Request(self.site, callback=self.parse_home, priority=PRIORITY["sitemap"], meta=meta,
                             headers=conditional[0] if conditional else None)

    def parse_home(self, response: Response):
        """The home page says which feeds exist; robots.txt (already read) which sitemaps. Every source is asked
        for before any is counted done, so that the re-check of unlisted articles waits for all of them."""
        self._sources_add()
        yield from self._home_sources(response)
        yield from self.source_done()

    def _home_sources(self, response: Response):
        netloc = urlsplit(self.site).netloc
        declared = [u for u in self.robots_sitemaps.get(netloc, []) if same_site(u, self.site)]
        for url in declared or [self.site.rstrip("/") + "/sitemap.xml"]:
            yield from self.source(url, "sitemap", "P", self.parse_sitemap)
        body = self.source_body(response) if response.status == 304 else response.body
        content_type = header_text(response.headers.get("Content-Type"))
        facts = analyse_page(body or b"", response.url, html_encoding(body or b"", content_type))
        self.observe_sessions(response, facts.links, facts.canonical)
        feeds = [u for u in facts.feeds if same_site(u, self.site) and not is_comments_feed(u)]
        if not feeds:
            base = self.site.rstrip("/")
            feeds = [base + "/feed/", base + "/feeds/posts/default"]
        for url in feeds:
            yield from self.source(url, "feed", "L", self.parse_feed)
        self.note(response.url, "listing", is_article=0, fetched=now_iso(), status=response.status)
        self.deferred.append((response.url, facts.links, response.meta.get("arshif_path", "")))

    def parse_sitemap(self, response: Response):
        yield from self._parse_source(response, self._sitemap_entries)

    def parse_feed(self, response: Response):
        yield from self._parse_source(response, self._feed_entries)

    def _parse_source(self, response: Response, entries):
        body = self.source_body(response)
        if body is None:
            self._count_source("broken", response.url)
        else:
            yield from entries(body, response.url, response.meta.get("arshif_path", ""))
        yield from self.source_done()

    # -- pages ----------------------------------------------------------------------------------------------
    def parse_page(self, response: Response):
        self.scheduled.pop(canonical(response.url), None)
        if response.status in REDIRECTS:
            location = response.headers.get("Location")
            if location:
                target = canonical(response.urljoin(header_text(location)))
                hop = self._redirect_hop(response, target) if same_site(target, self.site) else None
                if hop is not None:
                    kind = classify(target)
                    req = self.request(target, kind if kind in ("article", "listing") else "page",
                                       response.meta.get("arshif_path", "") + "R", source="redirect",
                                       referrer=response.url, **hop)
                    if req:
                        yield req
            return
        if refused_before_parsing(self, response):  # cut short or too large: archived, noted, never parsed
            return
        if not isinstance(response, TextResponse) or b"<" not in response.body[:2048]:
            return
        url = canonical(response.url)
        said = {**self.facts.get(url, {}), **{k: response.meta[k] for k in SOURCE_FACTS if response.meta.get(k)}}
        content_type = header_text(response.headers.get("Content-Type"))
        doc, facts = parse_and_analyse(response.body, response.url, html_encoding(response.body, content_type),
                                       bool(said.get("listed_as_post")))
        self.observe_sessions(response, facts.links, facts.canonical)
        kind = "article" if facts.is_article else response.meta.get("arshif_kind", "page")
        if kind == "article" and not facts.is_article:
            kind = "page"
        self.note(response.url, kind, is_article=int(facts.is_article), fetched=now_iso(), status=response.status,
                  detection=facts.reason)
        path = response.meta.get("arshif_path", "")
        if facts.is_article:
            self.crawler.stats.inc_value("arshif/articles")
            record = response.meta.get("arshif_record") or {}
            page = ArticlePage(url, response.body,
                               {"Content-Type": content_type}, record.get("record_id"), record.get("timestamp"),
                               record.get("revisit"), facts, said.get("feed_author"), doc,
                               said.get("feed_categories"))
            if self.soft404_admit(page):  # else held for its pattern's soft-404 probe, or refused as one
                yield page
            yield from self.expand(response.meta.get("arshif_expand_from"))
            if self.assets_enabled:
                for asset in facts.assets:
                    if self._asset_allowed(asset):
                        req = self.request(asset, "asset", path + "E")
                        if req:
                            yield req
        elif facts.canonical and facts.reason == COPY and same_site(facts.canonical, self.site):
            # a copy (a reply view, a print view): the page its rel=canonical names is the article
            self.crawler.stats.inc_value("arshif/pages_not_article")
            req = self.request(facts.canonical, "article", path + "C", source="canonical", referrer=response.url)
            if req:
                yield req
        else:
            self.crawler.stats.inc_value("arshif/pages_not_article")
        if self._sources_outstanding():
            # A page cannot tell what is new before the sitemaps and feeds have said what exists.
            self.deferred.append((response.url, facts.links, path))
        else:
            if self.frontier is not None:  # the fleet read the last source while this worker was elsewhere
                yield from self.after_sources()
            yield from self.follow_links(response.url, facts.links, path)

    def _redirect_hop(self, response: Response, target: str) -> dict | None:
        """The next hop of a redirect chain (its meta), or None where the chain stops: past REDIRECT_MAX_TIMES hops
        (20, as browsers), or once ARSHIF_REDIRECT_SAME_SHAPE hops in a row led only to a new URL of the same shape
        (`/r/spin?n=N` → `n=N+1`: a trap). Either is counted and logged."""
        hops = response.meta.get("arshif_hops", 0) + 1
        same = response.meta.get("arshif_same_shape", 0) + 1 if url_shape(target) == url_shape(response.url) else 0
        if hops > self.redirect_max:
            self.crawler.stats.inc_value("arshif/redirects/too_many")
            self.logger.warning("redirect chain cut after %d hops (REDIRECT_MAX_TIMES) at %s", hops - 1, response.url)
            return None
        if same >= self.same_shape_max:
            self.crawler.stats.inc_value("arshif/redirects/trap")
            self.logger.warning("redirect trap: %d redirects in a row each led to a new URL of the same shape "
                                "(ARSHIF_REDIRECT_SAME_SHAPE), not followed from %s", same, response.url)
            return None
        return {"arshif_hops": hops, "arshif_same_shape": same}

    def follow_links(self, url: str, links: list[str], path: str):
        """Article links always. Listing and page links only once this page is proven to lead to articles we
        did not know: when one of the unknown article links it revealed is fetched and is an article. A dead link
        or an old URL redirecting to a known article proves nothing and costs no listing pages."""
        same = [canonical(self.fold_sessions(u)) for u in dict.fromkeys(links) if same_site(u, self.site)]
        revealed = [u for u in dict.fromkeys(same) if classify(u) == "article" and u not in self.known]
        if self.frontier is not None and revealed:  # listed by a source another worker read: known to the fleet
            listed = self.frontier.listed(revealed)
            revealed = [u for u in revealed if u not in listed]
        for link in revealed:
            req = self.request(link, "article", path + "L", source="link", referrer=url, arshif_expand_from=url)
            if req:
                yield req
        if revealed:
            others = [u for u in dict.fromkeys(same) if classify(u) in ("listing", "page") and u not in self.known]
            if others:
                if self.frontier is not None:  # the revealed article may be fetched by another worker
                    self.frontier.put_expansion(url, others, path)
                else:
                    self.pending_expansion[url] = (others, path)

    def expand(self, url: str | None):
        """The listing and page links of `url`, now that it proved to reveal new articles."""
        if url is None:
            return
        if self.frontier is not None:
            taken = self.frontier.take_expansion(url)
        else:
            taken = self.pending_expansion.pop(url, None)
        if taken is None:
            return
        links, path = taken
        self.crawler.stats.inc_value("arshif/discovery/expanded_pages")
        for link in links:
            req = self.request(link, classify(link), path + "L", source="link", referrer=url)
            if req:
                yield req

    def parse_asset(self, response: Response):
        """A stylesheet's own requisites (fonts, images, imported stylesheets) are the page's too. A 304 answer
        still names them: they are read from the archived stylesheet it confirms."""
        self.crawler.stats.inc_value("arshif/assets")
        self.note(response.url, "asset", is_article=0, fetched=now_iso(), status=response.status)
        content_type = header_text(response.headers.get("Content-Type"))
        mime = content_type or None
        if response.status == 304:
            body = self.session.archived_body(response.url) if self.session is not None else None
            mime = None  # a 304 carries no Content-Type: the URL decides
        elif response.status == 200:
            body = response.body
        else:
            return
        if not body or not is_stylesheet(response.url, mime):
            return
        text = body.decode(stylesheet_charset(content_type, body), errors="replace")
        for ref in css_references(text, response.url):
            if self._asset_allowed(ref):
                req = self.request(ref, "asset", response.meta.get("arshif_path", "") + "E", referrer=response.url)
                if req:
                    yield req

    def _asset_allowed(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return same_site(url, self.site) or any(fnmatch(host, pattern) for pattern in self.asset_hosts)

    # -- the deferred pass ----------------------------------------------------------------------------------
    def source_failed(self, failure):
        """A sitemap or feed that could not be read withholds its evidence (of absence, above all). But a page
        past a paged feed's last one answers 404 on WordPress (`/feed/?paged=16`): that is the feed's end."""
        response = getattr(failure.value, "response", None)
        request = getattr(failure, "request", None)
        if response is not None and response.status in (404, 410) and request is not None \
                and request.meta.get("paged"):
            self.crawler.stats.inc_value("arshif/discovery/feed_end")
        else:
            self.crawler.stats.inc_value("arshif/discovery/source_failed")
            self._count_source("broken", request.url if request is not None else None)
        yield from self.source_done()

    def after_sources(self):
        yield from self.recheck_unlisted()
        yield from self.revisit()
        if self.deferred:
            yield from self._follow_deferred()

    def _follow_deferred(self):
        pages, self.deferred = self.deferred, []
        for url, links, path in pages:
            yield from self.follow_links(url, links, path)

    def idle(self, *args) -> None:
        """A safety net: pages still deferred when nothing else is left (a source never answered). With a shared
        frontier, this worker being idle says little: the fleet's sources may all be answered now (then the
        re-check and the deferred links are due), or still being read elsewhere (then wait: the frontier keeps
        the worker open), or held by a dead worker (the fleet is idle: the safety net again)."""
        if self.frontier is not None:
            if not self._sources_outstanding():
                work = self.after_sources()
            elif sum(self.frontier.fleet()) == 0:
                work = self._follow_deferred()
            else:
                return
        elif not self.deferred:
            return
        else:
            work = self._follow_deferred()
        scheduled = 0
        for req in work:
            self.crawler.engine.crawl(req)
            scheduled += 1
        if scheduled:
            raise DontCloseSpider


def _positive(value: str) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError(f"a revisit interval must be longer than zero, not {value!r}")
    return seconds

