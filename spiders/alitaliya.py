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

With a shared frontier (crawler/frontier.py) a request this process schedules may be answered in another worker,
whose callback (resolved by name) sees that worker's spider. What must be known fleet-wide therefore goes
through `self.frontier` when there is one: the count of unanswered sitemaps and feeds (so that no worker's count
goes negative or waits for answers another worker received), the sitemaps read and sources broken, the articles
listed (the re-check of unlisted articles needs all of them: each worker re-checks the articles of its own archive
once the fleet has read every source), the listing links waiting for proof, and the --max-articles budget.
`known`, `deferred` and `facts` stay per process: a URL another worker already requested is dropped by the shared
duplicate filter, and what the drop undoes is undone in request_dropped().
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from fnmatch import fnmatch
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap

from archive.core.clock import instant, scheduling_now
from archive.core.durations import parse_duration
from archive.core.urls import canonical, same_site
from archive.pages.detection import (
    COPY,
    analyse_page,
    classify,
    html_encoding,
    is_comments_feed,
    is_posts_sitemap,
    parse_and_analyse,
    parse_feed,
    sitemap_lists,
)
from archive.pages.requisites import css_references, is_stylesheet
from archive.pages.revisits import RevisitPolicy, choose
from crawler.items import ArticlePage

REDIRECTS = (301, 302, 303, 307, 308)
# What sitemaps and feeds say of a URL: when they last changed it, that they list it as a post, who wrote it.
SOURCE_FACTS = ("sitemap_lastmod", "feed_updated", "listed_as_post", "feed_author", "listed_by")
GONE = (*REDIRECTS, 404, 410)  # what a link to an article-shaped URL that is not an article answered
# An article's lead image and stylesheets go right after it (above the articles still queued): the page and its
# image are captured close in time, and no queue of assets builds up in memory behind thousands of articles.
PRIORITY = {"sitemap": 100, "feed": 90, "asset": 60, "article": 50, "listing": 0, "page": 0}


class AlitaliyaSpider(scrapy.Spider):
    name = "alitaliya"

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
        self.clock: str | None = None          # ARSHIF_CLOCK: what scheduling decisions take for now
        self.policy = RevisitPolicy()
        self.revisits_enabled = True
        self.assets_enabled = True
        self.refresh = False
        self.asset_hosts: list[str] = ["*"]
        self.intervals: dict[str, float] = {}
        self.frontier = None                   # crawler.frontier.FrontierRun, set by its scheduler when shared
        self._listed_new: list[str] = []       # listed articles not yet told to the frontier …
        self._discovered_new = 0               # … and article URLs discovered
        self._sources_settled = False          # the fleet has read every source (no need to ask again)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        if not spider.site:
            spider.site = canonical(settings.get("ARSHIF_SITE") or "")
        if not spider.site.startswith(("http://", "https://")):
            raise ValueError("no site to crawl: pass -a site=URL or set ARSHIF_SITE")
        if spider.max_articles is None and settings.getint("ARSHIF_MAX_ARTICLES", 0):
            spider.max_articles = settings.getint("ARSHIF_MAX_ARTICLES")
        spider.assets_enabled = settings.getbool("ARSHIF_ASSETS", True)
        spider.refresh = settings.getbool("ARSHIF_REFRESH", False)
        spider.asset_hosts = settings.getlist("ARSHIF_ASSET_HOSTS", ["*"])
        spider.intervals = {kind: parse_duration(value)
                            for kind, value in settings.getdict("ARSHIF_REFETCH_INTERVALS").items()}
        spider.clock = settings.get("ARSHIF_CLOCK") or None
        spider.revisits_enabled = settings.getbool("ARSHIF_REVISITS", True)
        spider.policy = RevisitPolicy(period=_positive(settings.get("ARSHIF_REVISIT_PERIOD") or "30d"),
                                      young_interval=_positive(settings.get("ARSHIF_REVISIT_YOUNG_INTERVAL")
                                                               or "6h"),
                                      budget=settings.getint("ARSHIF_REVISIT_BUDGET", 0))
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
        url = canonical(url)
        facts = {k: v for k, v in meta.items() if k in SOURCE_FACTS and v}
        if url in self.known:
            if not facts:
                return None
            self.note(url, kind, **facts)
            merged = self.facts.setdefault(url, {})
            merged.update(facts)
            waiting = self.scheduled.get(url)
            if waiting is not None:  # not fetched yet: its capture will record what every source said
                waiting.meta.update(facts)
            if url not in self.skipped or self.unchanged_since_capture(url, merged):
                return None
            self.skipped.discard(url)  # another source says it changed after all
            self.crawler.stats.inc_value("arshif/articles_unchanged", -1)
            meta = {**meta, **merged}
        elif kind == "article" and recheck:
            self.crawler.stats.inc_value("arshif/articles_rechecked" if meta.get("arshif_why") == "recheck"
                                         else "arshif/revisits/made")
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
        self.facts.setdefault(url, {}).update(facts)
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
        return req

    def classify(self, url: str) -> str:
        """discovery.classify, but a page the archive knows as an article is one, whatever its URL's shape."""
        kind = classify(url)
        session = self.session
        if kind == "page" and session is not None and canonical(url) in session.article_urls:
            return "article"
        return kind

    def unchanged_since_capture(self, url: str, facts: dict) -> bool:
        """The archive already holds this article and nothing the site says has changed since (docs/operating.md,
        Incremental crawls): a resumed or repeated crawl does not fetch it again."""
        session = self.session
        prior = session.captured.get(url) if session is not None else None
        if prior is None or self.refresh or url in session.removed:  # a removed article listed again: look
            return False
        lastmod, updated = facts.get("sitemap_lastmod"), facts.get("feed_updated")
        if lastmod and prior[0] and not same_time(lastmod, prior[0]):
            return False
        if updated and prior[1] and not same_time(updated, prior[1]):
            return False
        return True

    def within_interval(self, url: str, kind: str, statuses: tuple[int, ...] = (200, 304)) -> bool:
        """Whether this sitemap, feed or listing page (or other page that is not an article) was fetched, and
        answered one of `statuses`, recently enough to be left alone in this run (ARSHIF_REFETCH_INTERVALS;
        0, the default, refetches every run)."""
        interval = self.intervals.get(kind, 0)
        session = self.session
        if not interval or self.refresh or session is None or url not in session.fetched_at:
            return False
        when, status = session.fetched_at[url]
        then = instant(when)
        return status in statuses and then is not None and \
            (scheduling_now(self.clock) - then).total_seconds() < interval

    def source(self, url: str, kind: str, path: str, callback, **meta):
        """A sitemap or feed: a (conditional) request, or — within its refetch interval — what its archived copy
        says, read now, so that the run still knows every URL the source lists."""
        url = canonical(url)
        if url not in self.known and self.within_interval(url, kind):
            body = self.session.archived_body(url)
            if body is not None:
                self.known.add(url)
                self.note(url, kind)
                self.crawler.stats.inc_value(f"arshif/discovery/{kind}_within_interval")
                self._sources_add()  # balanced by the source_done() of the parse below
                yield from self._source_entries(kind, body, url, path)
                yield from self.source_done()
                return
        req = self.request(url, kind, path, callback=callback, **meta)
        if req:
            yield req

    def _source_entries(self, kind: str, body: bytes, url: str, path: str):
        if kind == "sitemap":
            yield from self._sitemap_entries(body, url, path)
        else:
            yield from self._feed_entries(body, url, path)

    def source_body(self, response: Response) -> bytes | None:
        """The body of a sitemap or feed response; for a 304, the archived copy it stands for."""
        if response.status != 304:
            return response.body
        self.crawler.stats.inc_value("arshif/discovery/source_not_modified")
        return self.session.archived_body(response.url) if self.session is not None else None

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
        facts = analyse_page(body or b"", response.url, html_encoding(body or b"", _content_type(response)))
        feeds = [u for u in facts.feeds if same_site(u, self.site) and not is_comments_feed(u)]
        if not feeds:
            base = self.site.rstrip("/")
            feeds = [base + "/feed/", base + "/feeds/posts/default"]
        for url in feeds:
            yield from self.source(url, "feed", "L", self.parse_feed)
        self.note(response.url, "listing", is_article=0, fetched=_now(), status=response.status)
        self.deferred.append((response.url, facts.links, response.meta.get("arshif_path", "")))

    def parse_sitemap(self, response: Response):
        body = self.source_body(response)
        if body is None:
            self._count_source("broken", response.url)
        else:
            yield from self._sitemap_entries(body, response.url, response.meta.get("arshif_path", ""))
        yield from self.source_done()

    def _sitemap_entries(self, body: bytes, url: str, path: str):
        path += "S"
        if body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except OSError:
                body = b""
        try:
            sitemap = Sitemap(body)
        except Exception:  # lxml refuses some broken XML outright: count it, keep crawling
            self.crawler.stats.inc_value("arshif/discovery/sitemap_unparsable")
            self.logger.warning("not a sitemap: %s", url)
            self._count_source("broken", url)
            return
        self._count_source("sitemaps")
        posts, other = is_posts_sitemap(url), sitemap_lists(url) == "other"
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc or not same_site(loc, self.site):
                continue
            if sitemap.type == "sitemapindex":
                yield from self.source(loc, "sitemap", path, self.parse_sitemap)
                continue
            kind = self.classify(loc)
            if posts and kind == "page":
                kind = "article"  # a post whatever its URL's shape (`/?p=12`, `/slug/`)
            if kind == "article":
                self._list(canonical(loc))
            listed = {"listed_as_post": 1, "listed_by": canonical(url)} if kind == "article" and not other else {}
            self.crawler.stats.inc_value("arshif/discovery/sitemap_urls")
            req = self.request(loc, kind if kind != "listing" else "page", path, source="sitemap",
                               sitemap_lastmod=entry.get("lastmod"), **listed)
            if req is None and canonical(loc) in self.known:
                self.note(loc, kind, sitemap_lastmod=entry.get("lastmod"), **listed)
            if req:
                yield req
        self._publish_discovery()

    def parse_feed(self, response: Response):
        body = self.source_body(response)
        if body is None:
            self._count_source("broken", response.url)
        else:
            yield from self._feed_entries(body, response.url, response.meta.get("arshif_path", ""))
        yield from self.source_done()

    def _feed_entries(self, body: bytes, url: str, path: str):
        path += "F"
        page = parse_feed(body, url)
        if page is None:
            self.crawler.stats.inc_value("arshif/discovery/feed_unparsable")
            self._count_source("broken", url)
            return
        revealed = 0
        for link, updated in page.entries:
            if not same_site(link, self.site):
                continue
            self.crawler.stats.inc_value("arshif/discovery/feed_entries")
            kind = self.classify(link)
            if kind in ("article", "page"):  # an item of a posts feed is a post, whatever its URL's shape
                kind = "article"
                self._list(canonical(link))
            said = {"feed_updated": updated, "feed_author": page.authors.get(link)}
            if kind == "article":
                said.update(listed_as_post=1, listed_by=canonical(first_page(url)))
            req = self.request(link, kind if kind == "article" else "page", path, source="feed", **said)
            if req is None:
                self.note(link, kind, **{k: v for k, v in said.items() if v})
            else:
                revealed += 1
                yield req
        self._publish_discovery()
        # older pages only while this one still showed something new (sitemaps usually came first)
        if revealed and page.next_url and same_site(page.next_url, self.site):
            yield from self.source(page.next_url, "feed", path, self.parse_feed, paged=True)

    # -- pages ----------------------------------------------------------------------------------------------
    def parse_page(self, response: Response):
        self.scheduled.pop(canonical(response.url), None)
        if response.status in REDIRECTS:
            location = response.headers.get("Location")
            if location:
                target = canonical(response.urljoin(location.decode("latin-1")))
                if same_site(target, self.site):
                    kind = classify(target)
                    req = self.request(target, kind if kind in ("article", "listing") else "page",
                                       response.meta.get("arshif_path", "") + "R", source="redirect",
                                       referrer=response.url)
                    if req:
                        yield req
            return
        if not isinstance(response, TextResponse) or b"<" not in response.body[:2048]:
            return
        url = canonical(response.url)
        said = {**self.facts.get(url, {}), **{k: response.meta[k] for k in SOURCE_FACTS if response.meta.get(k)}}
        content_type = _content_type(response)
        doc, facts = parse_and_analyse(response.body, response.url, html_encoding(response.body, content_type),
                                       bool(said.get("listed_as_post")))
        kind = "article" if facts.is_article else response.meta.get("arshif_kind", "page")
        if kind == "article" and not facts.is_article:
            kind = "page"
        self.note(response.url, kind, is_article=int(facts.is_article), fetched=_now(), status=response.status,
                  detection=facts.reason)
        path = response.meta.get("arshif_path", "")
        if facts.is_article:
            self.crawler.stats.inc_value("arshif/articles")
            record = response.meta.get("arshif_record") or {}
            yield ArticlePage(url, response.body,
                              {"Content-Type": content_type}, record.get("record_id"), record.get("timestamp"),
                              record.get("revisit"), facts, said.get("feed_author"), doc)
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

    def follow_links(self, url: str, links: list[str], path: str):
        """Article links always. Listing and page links only once this page is proven to lead to articles we
        did not know: when one of the unknown article links it revealed is fetched and is an article. A dead link
        or an old URL redirecting to a known article proves nothing and costs no listing pages."""
        same = [canonical(u) for u in dict.fromkeys(links) if same_site(u, self.site)]
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
        self.note(response.url, "asset", is_article=0, fetched=_now(), status=response.status)
        mime = _content_type(response) or None
        if response.status == 304:
            body = self.session.archived_body(response.url) if self.session is not None else None
            mime = None  # a 304 carries no Content-Type: the URL decides
        elif response.status == 200:
            body = response.body
        else:
            return
        if not body or not is_stylesheet(response.url, mime):
            return
        text = body.decode(_css_charset(response, body), errors="replace")
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

    def source_done(self):
        """When the last sitemap or feed is answered: the articles they no longer list are re-checked, then the
        deferred pages' links are examined."""
        self.sources_pending -= 1
        remaining = self.frontier.add("sources", -1) if self.frontier is not None else self.sources_pending
        if remaining > 0:
            return
        yield from self.after_sources()

    def after_sources(self):
        yield from self.recheck_unlisted()
        yield from self.revisit()
        if self.deferred:
            yield from self._follow_deferred()

    # -- state the fleet shares when the frontier is (crawler/frontier.py) ----------------------------------
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

    def recheck_unlisted(self):
        """Articles the archive holds as online, once listed by a sitemap or feed and listed by none in this run,
        are asked for again, conditionally (docs/operating.md, Incremental crawls): a 404/410 marks them removed,
        a 304 or 200 says they are still there. Only after every sitemap was read: a source that failed says nothing
        about absence, and without a sitemap (feeds list only recent posts) absence from the feeds means nothing."""
        if self.rechecked or self.session is None or self.session.store is None:
            return
        shared = self.frontier
        read, broken = ((shared.get("sitemaps"), shared.get("broken")) if shared is not None
                        else (self.sitemaps_read, self.sources_broken))
        if shared is not None and not read and not broken:
            return  # the fleet has read no source yet (this worker idles before discovery began): later
        self.rechecked = True
        if not read or (broken and (shared is not None or "" in self.failed_sources)):
            if broken:
                self.logger.info("%d sitemap(s) or feed(s) failed: articles they no longer list are not re-checked "
                                 "in this run", broken)
            return
        unlisted = sorted(self.session.store.listed_articles() - self.listed - self.known)
        if broken:  # a failed source withholds its own evidence only: the articles it was the last to list
            listed_by = self.session.store.listed_by(unlisted)
            listers = set(listed_by.values())
            # a failed sitemap index (or any failed source no article names) hides every sitemap of its kind
            hidden = {classify(source) for source in self.failed_sources if source not in listers}
            withheld = [url for url in unlisted if not listed_by.get(url) or listed_by[url] in self.failed_sources
                        or classify(listed_by[url]) in hidden]
            unlisted = [url for url in unlisted if url not in set(withheld)]
            self.crawler.stats.set_value("arshif/removals/withheld", len(withheld))
            self.logger.info("%d sitemap(s) or feed(s) failed: %d article(s) they listed are not re-checked in this "
                             "run", broken, len(withheld))
        if shared is not None and unlisted:  # listed by a source another worker read
            elsewhere = shared.listed(unlisted)
            unlisted = [url for url in unlisted if url not in elsewhere]
        if unlisted:
            self.logger.info("%d archived article(s) no longer listed by the site's sitemaps and feeds: "
                             "re-checking them", len(unlisted))
        for url in unlisted:
            req = self.request(url, "article", "V", source="recheck", recheck=True, arshif_why="recheck")
            if req:
                yield req

    def revisit(self):
        """Known articles whose changes the site does not announce, looked at again when the revisit policy says
        they are due (archive/pages/revisits.py): young ones often, ones that changed before sooner, every one at least
        once per period; the most overdue first when a budget caps them. Conditional requests where the archive
        holds validators; otherwise the text decides whether anything changed."""
        if self.revisited or not self.revisits_enabled or self.refresh or self.session is None \
                or self.session.store is None or self.session.fresh:
            return
        self.revisited = True
        now = scheduling_now(self.clock)
        due = []
        for url, published, first, changes, looked in self.session.store.revisit_candidates():
            born, last = instant(published) or instant(first), instant(looked)
            if (url in self.known and url not in self.skipped) or born is None or last is None:
                continue  # asked for in this run already
            urgency = self.policy.urgency(max(0.0, (now - born).total_seconds()), (now - last).total_seconds(),
                                          changes or 0, url)
            if urgency >= 1.0:
                due.append((url, urgency))
        chosen, left_out = choose(due, self.policy.budget)
        stats = self.crawler.stats
        stats.set_value("arshif/revisits/due", len(due))
        stats.set_value("arshif/revisits/period", self.policy.period)
        if left_out:
            stats.set_value("arshif/revisits/left_out", left_out)
            self.logger.warning("%d article(s) due for a revisit left for a later run (ARSHIF_REVISIT_BUDGET=%d)",
                                left_out, self.policy.budget)
        for url in chosen:
            if url in self.skipped:  # listed, and left alone as unchanged: the revisit looks after all
                self.skipped.discard(url)
                self.known.discard(url)
                stats.inc_value("arshif/articles_unchanged", -1)
            req = self.request(url, "article", "T", source="revisit", recheck=True, arshif_why="revisit")
            if req:
                yield req

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


def first_page(url: str) -> str:
    """A paged feed's first page: the source an entry belongs to, whichever page listed it."""
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith(("paged=", "page=", "start-index=")))
    return parts._replace(query=query).geturl()


def same_time(a: str, b: str) -> bool:
    """Whether two feed or sitemap dates name the same instant, whatever their format (ISO 8601 with or
    without milliseconds, RFC 822 pubDate); unparsable values compare as text."""
    if a == b:
        return True
    return instant(a) == instant(b) is not None


def _content_type(response: Response) -> str:
    return (response.headers.get("Content-Type") or b"").decode("latin-1")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _css_charset(response: Response, body: bytes) -> str:
    """A stylesheet's charset: its HTTP header, else its @charset rule, else UTF-8 (CSS Syntax §3.2)."""
    declared = _content_type(response).lower()
    if "charset=" in declared:
        name = declared.split("charset=", 1)[1].split(";")[0].strip().strip('"')
    elif body.startswith(b'@charset "'):
        name = body[10:body.find(b'"', 10)].decode("ascii", "replace")
    else:
        name = "utf-8"
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name
