"""What the archive already holds decides what a run asks for again (docs/operating.md, Incremental crawls).

An article whose sources say nothing changed since its capture is left alone; a sitemap, feed or listing fetched
recently enough is not fetched again; articles no source lists any more are re-checked (a 404 marks them removed);
and known articles are revisited when the revisit policy (archive.pages.revisits) says they are due. Every "is it
time?" reads the scheduling clock (ARSHIF_CLOCK), never WARC dates.
"""

from __future__ import annotations

from archive.core.times import instant, scheduling_now
from archive.pages.detection import classify
from archive.pages.revisits import choose
from archive.pages.sources import same_time

DATED = ("sitemap_lastmod", "feed_updated")  # the source facts that date an article's last change


def later(said: str | None, known: str | None) -> bool:
    """Whether a source's date says more than the one known: a later instant, or an unparsable one that differs.
    A date no later than the known one is no news: two sources of one site may name different instants for one
    article (an Atom feed's <updated> moves with an edit where an RSS feed's <pubDate> stays the publication date),
    and that disagreement must not read as an edit on every run (issue 28)."""
    if not said or not known or same_time(said, known):
        return False
    now, then = instant(said), instant(known)
    return now is None or then is None or now > then


def news(said: str | None, kept: tuple[str | None, ...]) -> bool:
    """Whether a source's date says the article changed after its capture: later than every date kept then. The
    sitemap's lastmod and a feed's updated both say when it last changed, so a source read only after the capture
    that repeats another's date is no news (which source a run reads first is a race)."""
    known = [date for date in kept if date]
    return bool(said and known) and all(later(said, date) for date in known)


def keep_latest(into: dict, facts: dict) -> dict:
    """`into` updated with `facts`, where of two dates for one source fact the later stays: what a run records as
    said at capture is the latest any source said (see `later`)."""
    for key, value in facts.items():
        known, said = (instant(into.get(key)), instant(value)) if key in DATED else (None, None)
        if known is None or said is None or said >= known:
            into[key] = value
    return into


def captured_dates(meta: dict, prior: tuple[str | None, str | None] | None) -> dict:
    """The dates to keep as said at this good capture (urls.captured_lastmod, captured_feed_updated): what the
    request carried, never earlier than what the last capture kept."""
    kept = keep_latest({"sitemap_lastmod": prior[0], "feed_updated": prior[1]} if prior else {},
                       {key: meta[key] for key in DATED if meta.get(key)})
    return {"captured_lastmod": kept.get("sitemap_lastmod"), "captured_feed_updated": kept.get("feed_updated")}


class Incremental:
    """The spider's decisions against the archive (a mixin of spiders.alitaliya.AlitaliyaSpider: it uses the
    spider's session, request() and state)."""

    def unchanged_since_capture(self, url: str, facts: dict) -> bool:
        """The archive already holds this article and nothing the site says has changed since (docs/operating.md,
        Incremental crawls): a resumed or repeated crawl does not fetch it again."""
        session = self.session
        prior = session.captured.get(url) if session is not None else None
        if prior is None or self.refresh or url in session.removed:  # a removed article listed again: look
            return False
        return not any(news(facts.get(key), prior) for key in DATED)

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
        holds validators; otherwise the text decides whether anything changed. First, the audit of a few articles
        whose lastmod has not moved (crawler/discovery/lastmod_audit.py); a site whose lastmod lost its trust has
        its articles with a lastmod revisited too."""
        if self.revisited or not self.revisits_enabled or self.refresh or self.session is None \
                or self.session.store is None or self.session.fresh:
            return
        self.revisited = True
        now = scheduling_now(self.clock)
        audits = 0
        for req in self.lastmod_audit(self.policy.budget):  # first: the audit comes out of the revisit budget
            audits += 1
            yield req
        due = []
        for url, published, first, changes, looked in (self.session.store.revisit_candidates()
                                                       + self.lastmod_untrusted()):
            born, last = instant(published) or instant(first), instant(looked)
            if (url in self.known and url not in self.skipped) or born is None or last is None:
                continue  # asked for in this run already
            urgency = self.policy.urgency(max(0.0, (now - born).total_seconds()), (now - last).total_seconds(),
                                          changes or 0, url)
            if urgency >= 1.0:
                due.append((url, urgency))
        budget = self.policy.budget
        chosen, left_out = ([], len(due)) if budget and audits >= budget else choose(due, budget and budget - audits)
        stats = self.crawler.stats
        stats.set_value("arshif/revisits/due", len(due))
        stats.set_value("arshif/revisits/period", self.policy.period)
        if left_out:
            stats.set_value("arshif/revisits/left_out", left_out)
            self.logger.warning("%d article(s) due for a revisit left for a later run (ARSHIF_REVISIT_BUDGET=%d)",
                                left_out, self.policy.budget)
        for url in chosen:
            if self.lastmod_behind(url):  # a site whose lastmod lost its trust: still evidence about it
                self.lastmod_looked.add(url)
            if url in self.skipped:  # listed, and left alone as unchanged: the revisit looks after all
                self.skipped.discard(url)
                self.known.discard(url)
                stats.inc_value("arshif/articles_unchanged", -1)
            req = self.request(url, "article", "T", source="revisit", recheck=True, arshif_why="revisit")
            if req:
                yield req
