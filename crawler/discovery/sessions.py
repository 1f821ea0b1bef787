"""Session ids folded during a run: the spider's side of archive.pages.sessions (docs/operating.md, What arshif does
with a hostile site).

Every fetched HTML page is shown to the rules (its same-site links, its rel=canonical, its payload digest) before any
of its links is followed; every URL the spider asks for goes through `fold_sessions` before canonical(). A site that
writes a fresh session id into every link is recognised on its first page, so no page is asked for twice. Each
parameter folded is logged once with its reason, counted (`arshif/urls/session_params_folded`), and named in the run's
last lines (`arshif/urls/session_note`); the links whose session id was folded away are counted too
(`arshif/urls/session_variants_folded`). ARSHIF_SESSION_RULES=False turns the run's rules off (the names canonical()
knows are dropped whatever it says).
"""

from __future__ import annotations

from scrapy.http import Response

from archive.core.urls import is_session_param, same_site
from archive.pages.sessions import SessionRules

PARAMS = "arshif/urls/session_params_folded"
VARIANTS = "arshif/urls/session_variants_folded"
NOTE = "arshif/urls/session_note"


class SessionFolding:
    """A mixin of spiders.alitaliya.AlitaliyaSpider: it uses the spider's crawler, logger and site."""

    session_rules: SessionRules | None = None  # None: ARSHIF_SESSION_RULES is off
    _sessions_told: set[str]

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.session_rules = SessionRules() if crawler.settings.getbool("ARSHIF_SESSION_RULES") else None
        spider._sessions_told = set()
        return spider

    def fold_sessions(self, url: str) -> str:
        """The URL without the session parameters recognised in this run (canonical() drops the known ones)."""
        rules = self.session_rules
        return rules.fold(url) if rules is not None else url

    def observe_sessions(self, response: Response, links: list[str], canonical_href: str | None) -> None:
        """Show one fetched page to the rules, before its links are followed."""
        rules = self.session_rules
        if rules is None:
            return
        url = response.url
        same = [link for link in links if ("?" in link or ";" in link) and same_site(link, self.site)]
        found = rules.observe_links(url, same) + rules.observe_canonical(url, canonical_href)
        record = response.meta.get("arshif_record") or {}
        if response.status == 200:
            found += rules.observe_payload(url, record.get("digest"))
        for finding in found:
            self._tell_session(finding.name, f"{finding.why} (rule: {finding.rule})")
        carrying = [link for link in dict.fromkeys(same) if rules.carries_session(link)]
        if not carrying:
            return
        for name in self._known_names(carrying):
            self._tell_session(name, f"a session-id name canonical URLs drop, on the links of {url}")
        self.crawler.stats.inc_value(VARIANTS, len(carrying))

    def _known_names(self, links: list[str]):
        for link in links:
            if ";jsessionid=" in link.lower():
                yield "jsessionid"
            query = link.partition("?")[2].partition("#")[0]
            for part in query.split("&"):
                name, _, value = part.partition("=")
                if is_session_param(name, value):
                    yield name.lower()

    def _tell_session(self, name: str, why: str) -> None:
        if name in self._sessions_told:
            return
        self._sessions_told.add(name)
        self.logger.warning("session parameter %r folded: %s; its URL variants are not asked for", name, why)
        stats = self.crawler.stats
        stats.inc_value(PARAMS)
        named = ", ".join(repr(n) for n in sorted(self._sessions_told))
        stats.set_value(NOTE, f"session id parameter(s) folded, their URL variants not asked for: {named} "
                              "(the log says why)")
