"""Trust in a site's `lastmod` is earned (docs/operating.md, Revisits: trust in lastmod; issue 28).

An article whose sitemap gives a `lastmod` is refetched when that changes and otherwise left alone, never revisited:
on a site whose lastmod is the publication date (Pelican's, many others'), an edit is never seen. So each run
audits a few of the articles whose lastmod has not moved since their capture (ARSHIF_LASTMOD_AUDIT, the longest
unchecked first): asked for again, conditionally, like a revisit, and counted in the revisit budget. When such a
look finds the text changed, the site's lastmod missed an edit: the site loses its trust (said once, kept in the
archive database per site) and from the next decision on its articles join the revisit schedule like those without
a lastmod. The rule itself, and when trust comes back, is archive.pages.revisits (LastmodTrust, judge).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC
from urllib.parse import urlsplit

from scrapy import signals

from archive.core.times import instant, scheduling_now
from archive.pages.revisits import LastmodTrust, audit_sample, judge
from archive.store.site_facts import LASTMOD_TRUST


class LastmodAudit:
    """The spider's lastmod audits (a mixin of spiders.alitaliya.AlitaliyaSpider; hooks: lastmod_audit() and
    lastmod_untrusted() in Incremental.revisit, lastmod_behind() for each revisit it makes)."""

    lastmod_audit_size: int

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.lastmod_audit_size = crawler.settings.getint("ARSHIF_LASTMOD_AUDIT")
        spider.lastmod_looked = set()  # articles looked at this run behind an unchanged lastmod (audits, revisits)
        spider._lastmod_rows = None     # the archive's articles with a lastmod (SiteFacts.lastmod_articles)
        spider._lastmod_trust = None
        crawler.signals.connect(spider.lastmod_closed, signal=signals.spider_closed)
        return spider

    # -- what the archive believes ----------------------------------------------------------------------------
    def lastmod_site(self) -> str:
        return (urlsplit(self.site).hostname or "").lower()

    def lastmod_trust(self) -> LastmodTrust:
        """This site's trust as the archive holds it (trusted until a lapse is found)."""
        if self._lastmod_trust is None:
            held = self.session.store.site_fact(self.lastmod_site(), LASTMOD_TRUST)
            fields = set(LastmodTrust.__dataclass_fields__)
            self._lastmod_trust = LastmodTrust(**{k: v for k, v in (held or {}).items() if k in fields})
        return self._lastmod_trust

    def lastmod_rows(self) -> list:
        if self._lastmod_rows is None:
            self._lastmod_rows = self.session.store.lastmod_articles()
        return self._lastmod_rows

    def lastmod_behind(self, url: str) -> bool:
        """Whether this article was left alone in this run because its lastmod had not moved: a look at it is
        evidence about the lastmod (kept for the judgement at the run's end)."""
        return url in self.skipped and bool(self.facts.get(url, {}).get("sitemap_lastmod"))

    # -- hooks of Incremental.revisit -----------------------------------------------------------------------------
    def lastmod_untrusted(self) -> list:
        """The articles with a lastmod that join the revisit schedule: all of them once the site lost its trust."""
        if self.lastmod_trust().trusted:
            return []
        self.crawler.stats.set_value("arshif/lastmod/untrusted_articles", len(self.lastmod_rows()))
        return self.lastmod_rows()

    def lastmod_audit(self, budget: int):
        """The run's audit: up to ARSHIF_LASTMOD_AUDIT (and `budget`, when not 0) articles left alone because their
        lastmod had not moved, the longest unchecked first, asked for again; never one looked at within the young
        interval (ARSHIF_REVISIT_YOUNG_INTERVAL): a look minutes after the last tells nothing. None while the site is
        untrusted (its articles are on the revisit schedule)."""
        size = min(self.lastmod_audit_size, budget) if budget else self.lastmod_audit_size
        if size <= 0 or not self.lastmod_trust().trusted:
            return
        candidates = []
        now = scheduling_now(self.clock).timestamp()
        for url, _published, _first, _changes, looked in self.lastmod_rows():
            when = instant(looked)
            since = when.timestamp() if when else float("-inf")
            if self.lastmod_behind(url) and now - since >= self.policy.young_interval:  # not one just looked at
                candidates.append((url, since))
        stats = self.crawler.stats
        stats.set_value("arshif/lastmod/audit_candidates", len(candidates))
        for url in audit_sample(candidates, size):
            self.lastmod_looked.add(url)
            self.skipped.discard(url)
            self.known.discard(url)
            stats.inc_value("arshif/articles_unchanged", -1)
            req = self.request(url, "article", "T", source="audit", recheck=True, arshif_why="audit",
                               **self.facts.get(url, {}))
            if req:
                yield req

    # -- the judgement, once the run's looks are stored -----------------------------------------------------------
    def lastmod_closed(self, spider, reason: str) -> None:
        """What this run's looks behind an unchanged lastmod found, judged (archive.pages.revisits.judge) and kept;
        a lost or regained trust said once, in the log and in the run's last lines (Scrapy stat
        `arshif/lastmod/note`). The article pipeline has stored every version by now (Scrapy closes the pipelines
        before spider_closed); this run's last checks are committed here first."""
        session = self.session
        if not self.lastmod_looked or session is None or session.store is None or session.crawl_id is None:
            return
        stats = self.crawler.stats
        try:
            session.flush()
            found = session.store.looks_found(session.crawl_id, sorted(self.lastmod_looked))
            lapses = sorted(url for url, what in found.items() if what == "edited")
            clean = sum(what == "same" for what in found.values())
            now = scheduling_now(self.clock)
            before = self.lastmod_trust()
            last = instant(before.last_lapse)
            trust, event = judge(before, lapses, clean, now.timestamp(), last.timestamp() if last else None,
                                 self.policy.period, now.astimezone(UTC).isoformat(timespec="seconds"))
            session.store.set_site_fact(self.lastmod_site(), LASTMOD_TRUST, asdict(trust))
        except Exception as exc:  # the judgement waits for a later run; nothing else depends on it
            self.logger.error("judging the site's lastmod after its audit: %s", exc)
            return
        stats.set_value("arshif/lastmod/lapses", len(lapses))
        stats.set_value("arshif/lastmod/clean_looks", clean)
        stats.set_value("arshif/lastmod/trusted", int(trust.trusted))
        if event == "lost":
            said = self.facts.get(lapses[0], {}).get("sitemap_lastmod")
            note = (f"the sitemap's lastmod of {self.lastmod_site()} missed an edit: {lapses[0]} changed while its "
                    f"lastmod stayed {said} ({len(lapses)} such edit(s) in this run); lastmod is no longer trusted, "
                    "its articles join the revisit schedule (each looked at within ARSHIF_REVISIT_PERIOD)")
            self.logger.warning("%s", note)
            stats.set_value("arshif/lastmod/note", note)
        elif event == "regained":
            note = (f"the sitemap's lastmod of {self.lastmod_site()} is trusted again: {trust.clean} looks behind an "
                    "unchanged lastmod found no edit for a whole revisit period")
            self.logger.info("%s", note)
            stats.set_value("arshif/lastmod/note", note)
