"""When to look at a known article again, on a site that does not say when it changed.

A site that announces its changes (sitemap `lastmod`, feed `updated`, validators) is believed: the spider refetches
what it says changed. Many do not (WordPress's own sitemaps carry no `lastmod`, its post pages no validators), and
there an edit or a deletion is only seen by asking. Asking for everything every run costs the whole site; this
policy asks for what is likely to have changed: edits cluster in an article's first days, an article that changed
once changes again, and every article is looked at at least once per period, whatever its age.

The policy is a pure function of (article age, time since its last check, how often it changed, the clock), so the
spider, `stats` and the simulation in bench/revisit_sim.py all use the same one. Times are seconds; "now" is the
scheduling clock (archive.core.times: ARSHIF_CLOCK when set), never WARC dates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

PAST_PERIOD = 1_000_000.0  # added to the urgency of an article unchecked for a whole period
HOUR = 3600.0
DAY = 24 * HOUR


@dataclass(frozen=True)
class RevisitPolicy:
    period: float = 30 * DAY          # every article is checked at least this often (ARSHIF_REVISIT_PERIOD)
    young: float = 7 * DAY            # an article younger than this is checked every `young_interval`
    young_interval: float = 6 * HOUR  # ARSHIF_REVISIT_YOUNG_INTERVAL
    age_share: float = 0.5            # past `young`: checked every age × this share (capped at the period)
    changed_factor: float = 0.5       # each earlier change (up to three) multiplies the interval by this
    budget: int = 0                   # at most this many revisits per run (0: no cap) (ARSHIF_REVISIT_BUDGET)

    def interval(self, age: float, changes: int = 0, key: str = "") -> float:
        """Seconds between two checks of an article `age` seconds old that changed `changes` times before.

        `key` (the URL) spreads articles of the same age over their interval (up to a fifth earlier), so that
        the articles of one first crawl do not all come due in the same run a period later."""
        if age < self.young:
            base = self.young_interval
        else:
            base = max(self.young_interval, age * self.age_share)
        if changes:
            base *= self.changed_factor ** min(changes, 3)
        base = min(max(base, self.young_interval), self.period)
        return max(1.0, base * (1 - 0.2 * spread(key)) if key else base)

    def urgency(self, age: float, since_check: float, changes: int = 0, key: str = "") -> float:
        """How overdue a check is: 1.0 exactly due, above 1 overdue; below 1 not due yet. An article not looked at
        for a whole period comes before every other, so that a budget never breaks the period's guarantee for the
        oldest articles (ranked by the share alone, they would lose to young ones on every run)."""
        ratio = since_check / self.interval(age, changes, key)
        return ratio + PAST_PERIOD if since_check >= self.period else ratio

    def due(self, age: float, since_check: float, changes: int = 0, key: str = "") -> bool:
        return self.urgency(age, since_check, changes, key) >= 1.0


def spread(key: str) -> float:
    """A stable number in [0, 1) for a key (not Python's hash(): that changes between processes)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") / 2 ** 64


def choose(candidates: list[tuple[str, float]], budget: int) -> tuple[list[str], int]:
    """(the URLs to revisit, most overdue first, within the budget; how many due ones the budget left out).
    `candidates` are (URL, urgency) of the due articles."""
    ranked = [url for url, _ in sorted(candidates, key=lambda item: (-item[1], item[0]))]
    if budget and len(ranked) > budget:
        return ranked[:budget], len(ranked) - budget
    return ranked, 0


# -- trust in a site's lastmod (docs/operating.md, Revisits: trust in lastmod) ----------------------------------------
# An article whose sitemap gives a `lastmod` is believed: refetched when it changes, never revisited. Each run audits
# a few of them whose lastmod has not moved (ARSHIF_LASTMOD_AUDIT), the longest unchecked first. A look at such an
# article that finds its text changed is a *lapse*: the lastmod missed an edit, and the site loses its trust; its
# articles then join the revisit schedule like those without a lastmod. Trust comes back after a whole revisit
# period without a lapse in which at least REGAIN_LOOKS such looks (audits, or revisits of articles whose lastmod had
# not moved) found nothing changed.
REGAIN_LOOKS = 50


@dataclass(frozen=True)
class LastmodTrust:
    """What the archive believes of one site's lastmod, and the evidence (kept per site in the database)."""
    trusted: bool = True
    since: str | None = None        # when trust was last lost (or regained), by the scheduling clock (ISO 8601)
    article: str | None = None      # the article whose unannounced edit lost it
    lapses: int = 0                 # edits found behind an unchanged lastmod, in all
    clean: int = 0                  # looks behind an unchanged lastmod that found nothing changed, since the last lapse
    last_lapse: str | None = None   # when the last lapse was found (ISO 8601)


def judge(trust: LastmodTrust, lapses: list[str], clean: int, now: float, last_lapse: float | None,
          period: float, stamp: str) -> tuple[LastmodTrust, str | None]:
    """The trust after a run whose looks behind an unchanged lastmod found `lapses` (the URLs of articles whose text
    had changed) and `clean` unchanged ones; `now` and `last_lapse` in seconds (the scheduling clock), `stamp` is
    `now` as ISO 8601. Returns the new trust and what happened: "lost", "regained" or None."""
    if lapses:
        changed = LastmodTrust(False, trust.since if not trust.trusted else stamp,
                               trust.article if not trust.trusted else lapses[0], trust.lapses + len(lapses), 0,
                               stamp)
        return changed, "lost" if trust.trusted else None
    counted = LastmodTrust(trust.trusted, trust.since, trust.article, trust.lapses, trust.clean + clean,
                           trust.last_lapse)
    if not trust.trusted and counted.clean >= REGAIN_LOOKS and (last_lapse is None or now - last_lapse >= period):
        return LastmodTrust(True, stamp, trust.article, trust.lapses, counted.clean, trust.last_lapse), "regained"
    return counted, None


def audit_sample(candidates: list[tuple[str, float]], size: int) -> list[str]:
    """The articles a run audits: of `candidates` (URL, when last looked at, in seconds), the `size` looked at
    longest ago (ties by URL)."""
    if size <= 0:
        return []
    return [url for _, url in sorted((looked, url) for url, looked in candidates)[:size]]
