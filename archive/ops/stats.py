"""What `arshif stats` reports: the archive's counts, its freshness, and the last crawls' outcomes."""

from __future__ import annotations

import os
from collections.abc import Callable

from archive.core.addresses import REASONS
from archive.core.addresses import STAT as REFUSED
from archive.core.times import instant, iso_utc, now, scheduling_now
from archive.ops.crawl import STANDARD_CUTS
from archive.pages.profile import shown
from archive.store.database import Store
from archive.store.profiles import SiteProfiles


def staleness(store: Store) -> dict:
    """How fresh the archive's knowledge of its articles is: when the least recently looked-at article online was
    last looked at (a check, else its last capture), the share looked at within the revisit period, the period the
    last crawl used, and how many due revisits its budget left out."""
    from archive.pages.revisits import RevisitPolicy

    runs = store.crawl_stats(limit=1)
    crawl_stats = runs[0][1] if runs else {}
    period = float(crawl_stats.get("arshif/revisits/period") or RevisitPolicy().period)
    looks = [when for when in map(instant, store.last_looks()) if when is not None]
    current = scheduling_now()  # the system clock: ARSHIF_CLOCK is a crawl's setting
    oldest = min(looks, default=None)
    return {"oldest_check": oldest.isoformat(timespec="seconds") if oldest else None,
            "checked_within_period": round(sum((current - when).total_seconds() <= period for when in looks)
                                           / len(looks), 4) if looks else None,
            "period_days": round(period / 86400, 2),
            "left_out_last_run": int(crawl_stats.get("arshif/revisits/left_out", 0))}


def removal_checks(store: Store) -> dict:
    """Since when the last crawls have had a sitemap or feed fail: the articles those sources listed are not
    re-checked for removal while they fail (each source withholds only its own evidence)."""
    streak = []
    for started, crawl_stats in store.crawl_stats(limit=1000):
        if not int(crawl_stats.get("arshif/discovery/sources_broken", 0) or 0):
            break
        streak.append(started)
    return {"limited_since": streak[-1] if streak else None, "limited_runs": len(streak)}


def lastmod_trust(store: Store) -> dict:
    """Whether each site's sitemap lastmod is trusted (docs/operating.md, Revisits: trust in lastmod): `lastmod_trusted`
    is false when any site lost it, null before any audit judged one; `lastmod_trust` by site: since when, which
    article's unannounced edit lost it, and the evidence."""
    from archive.store.site_facts import LASTMOD_TRUST

    by_site = store.site_facts(LASTMOD_TRUST)
    return {"lastmod_trusted": all(t.get("trusted", True) for t in by_site.values()) if by_site else None,
            "lastmod_trust": by_site}


def stats(data: str | os.PathLike, on_upgrade: Callable[[str], None] | None = None) -> dict:
    """The archive's statistics (docs/reference.md, arshif stats), read without writing; `on_upgrade` hears the
    line saying so when the database must be upgraded first (Store.open_for_reading)."""
    from archive.ops.missed import missed_reasons, refused_reasons

    with Store.open_for_reading(data, on_upgrade, search=False) as store:
        first, last = store.published_range()
        result = {**store.totals(), "languages": dict(store.language_counts()),
                  "sections": dict(store.section_counts(unnamed="?")), "first_published": first,
                  "last_published": last, "crawls": []}
        reasons = missed_reasons(store)
        result["missed_posts"] = sum(reasons.values())
        result["missed_reasons"] = reasons
        refused = refused_reasons(store)
        result["refused_posts"] = sum(refused.values())
        result["refused_reasons"] = refused
        result["revisits"] = staleness(store)
        result["removal_checks"] = removal_checks(store)
        result.update(lastmod_trust(store))
        result["profile"] = {site: shown(found) for site, found in SiteProfiles(store).all().items()}
        for crawl in store.recent_crawls(10):
            crawl_stats = crawl.pop("stats")
            result["crawls"].append({
                **crawl, "started": iso_utc(crawl["started"]), "finished": iso_utc(crawl["finished"]),
                "pages": crawl_stats.get("response_received_count", 0),
                "articles": crawl_stats.get("arshif/articles", 0),
                "new_articles": crawl_stats.get("arshif/articles/new", 0),
                "new_versions": crawl_stats.get("arshif/articles/version", 0),
                "extraction_failures": crawl_stats.get("arshif/extract/failed", 0),
                "errors": sum(v for k, v in crawl_stats.items() if k.startswith("arshif/fetch_error/")),
                "cut": {name: crawl_stats.get(key, 0) for name, key, _ in STANDARD_CUTS},
                "refused": {reason: crawl_stats.get(REFUSED + reason, 0) for reason in REASONS},
            })
        # what a monitor watches: how long ago the last crawl finished well (status finished, exit status 0)
        success = store.last_success()
    result["last_success"] = None
    if success:
        crawl_id, finished = success
        age = now() - instant(finished)
        result["last_success"] = {"id": crawl_id, "finished": finished, "age_seconds": round(age.total_seconds())}
    return result
