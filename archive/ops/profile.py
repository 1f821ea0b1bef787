"""The site profile at work (archive/pages/profile.py): learned from a crawl's articles with strong signals, starting
from the one stored, then applied to the pages detection left undecided or took only by a weak signal, read back
from their WARC records. Run at the end of a crawl (crawler/extensions/profile hook in the session) and by
`reextract` / `rebuild` (learned from the captures afresh), so that both reach the same articles. `arshif profile`
shows or forgets it (profile_report, forget)."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from archive.core.paths import warc_dir as warc_dir_of
from archive.pages.detection import PageFacts, detect_article, html_encoding, parse_html
from archive.pages.extraction import ExtractionFailed, extract_page
from archive.pages.profile import NOTHING_AGAINST, WEAK, SiteProfile, shown, strong_signal
from archive.pages.shapes import probe_pattern
from archive.store.database import Store
from archive.store.profiles import SiteProfiles

logger = logging.getLogger(__name__)

LEARN_MAX = 50  # strong pages read back per run to learn from (each is parsed again): a bounded cost, the counts go
#               on across runs, and CONFIDENT_FROM (20) of them suffice


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _read(data: Path, row) -> tuple[bytes, dict[str, str]] | None:
    from archive.ops.rebuild import _record_body

    try:
        body, headers, cut = _record_body(warc_dir_of(data), {"warc_file": row[3], "offset": row[4],
                                                              "length": row[5]})
    except (OSError, ValueError):
        return None
    return (None if cut else (body, headers))


def apply_profile(data: Path, store: Store, site: str, crawl_id: int | None = None, site_name: str | None = None,
                  fresh: bool = False) -> tuple[Counter, list[str]]:
    """Learn the site's profile from the strong articles of crawl `crawl_id` (of every crawl with None), starting
    from the stored one (from nothing with `fresh`), store it, and apply it: pages with no signal that fit stored as
    articles, articles taken only by a weak signal that do not fit forgotten. (counts, lines saying what it did)."""
    host = _host(site) or site
    profiles = SiteProfiles(store)
    stored = None if fresh else profiles.get(host)
    profile = SiteProfile.from_dict(stored)
    before = profile.version if stored and profile.confident() else None
    rows = [row for row in profiles.pages_to_judge(crawl_id) if not host or _host(row[0]) == host]
    listing = store.listing_facts()
    learned = 0
    for row in rows:
        canonical, is_article, reason = row[0], row[1], row[2]
        listed = listing.get(canonical, (False, None))[0]
        if not is_article or not row[8] or not strong_signal(reason, listed) or learned >= LEARN_MAX:
            continue
        read = _read(data, row)
        doc = parse_html(read[0], canonical, html_encoding(read[0], read[1]["Content-Type"])) if read else None
        if doc is not None:
            profile.learn(doc, canonical)
            learned += 1
    outcome: Counter = Counter()
    if profile.strong_pages:
        profiles.put(host, profile.as_dict())
    lines = []
    if profile.confident():
        outcome = _judge(data, store, profile, rows, listing, site_name)
        lines.append(f"site profile {profile.version} (learned from {profile.strong_pages} pages with strong "
                     f"signals): {outcome['taken']} page(s) taken as articles by it, {outcome['refused']} refused")
        if before and before != profile.version:
            lines.append(f"the site profile changed: {before} → {profile.version}")
    outcome["learned"] = learned
    return outcome, lines


def _judge(data: Path, store: Store, profile: SiteProfile, rows, listing, site_name: str | None) -> Counter:
    outcome: Counter = Counter()
    take, refuse, notes = [], [], []
    patterns = set(profile.article_patterns())
    for row in rows:
        canonical, is_article, reason = row[0], row[1], row[2]
        listed, listed_author = listing.get(canonical, (False, None))
        if listed or (is_article and reason not in WEAK):
            continue
        if not is_article and not reason.startswith("extraction failed") and probe_pattern(canonical) not in patterns:
            continue  # a page with no signal is only taken when it has an article's URL pattern: not read back
        read = _read(data, row)
        if read is None:
            continue
        body, headers = read
        doc = parse_html(body, canonical, html_encoding(body, headers["Content-Type"]))
        if doc is None:
            continue
        if reason.startswith("extraction failed"):  # what detection said before extraction failed
            is_article, reason = detect_article(doc, canonical)
            if not is_article or reason not in WEAK:
                continue
        elif not is_article and reason not in NOTHING_AGAINST:
            continue
        verdict = profile.judge(doc, canonical, bool(is_article), reason, listed)
        if verdict is None:
            continue
        ok, why = verdict
        if ok:
            facts = PageFacts(True, [], [], [], None, why)
            try:
                article, _ = extract_page(body, canonical, headers, facts=facts, listed_author=listed_author,
                                          **({"site_name": site_name} if site_name else {}))
            except ExtractionFailed as exc:
                logger.warning("%s fits the site profile, but its extraction failed: %s", canonical, exc)
                continue
            if article is None:
                continue
            take.append((article.as_dict(), {"record_id": row[6], "timestamp": row[7]}))
            notes.append((canonical, True, why))
        else:
            refuse.append(canonical)
            notes.append((canonical, False, why))
            logger.info("not an article by the site profile: %s (%s)", canonical, why)
    if take:
        store.store_articles(take)
    if refuse:
        store.forget_articles(refuse)
    if notes:
        store.note_detection(notes)
    outcome["taken"], outcome["refused"] = len(take), len(refuse)
    return outcome


def learn_again(data: Path, store: Store, site_name: str | None = None) -> Counter:
    """`reextract` and `rebuild`: each site's profile learned afresh from every capture, then applied, so that they
    reach the articles the crawls reached. Counted `profile_taken` and `profile_refused`."""
    outcome: Counter = Counter()
    for host in sorted({_host(url) for url in store.stored_articles()}):
        found, lines = apply_profile(data, store, host, None, site_name, fresh=True)
        for line in lines:
            logger.warning("%s: %s", host, line)
        outcome["profile_taken"] += found["taken"]
        outcome["profile_refused"] += found["refused"]
    return +outcome


def crawl_profile(data: Path, store: Store | None, crawl_id: int | None, site: str, site_name: str | None,
                  stats) -> None:
    """The crawl's end (the session's hook): apply_profile, its lines logged and counted in the crawl's stats
    (`arshif/profile/…`). Never stops the close: an error is logged and counted."""
    if store is None or crawl_id is None:
        return
    try:
        outcome, lines = apply_profile(data, store, site, crawl_id, site_name)
    except Exception as exc:  # the archive must still close
        logger.error("the site profile could not be applied: %s", exc)
        stats.set_value("arshif/profile/error", str(exc))
        return
    for line in lines:
        logger.warning("%s", line)
    for key in ("taken", "refused", "learned"):
        if outcome.get(key):
            stats.set_value(f"arshif/profile/{key}", outcome[key])
    if any("changed" in line for line in lines):
        stats.set_value("arshif/profile/changed", lines[-1])


def profile_report(data: Path) -> dict[str, dict]:
    """Site → what its stored profile decides by (archive.pages.profile.shown)."""
    with Store.open_for_reading(data) as store:
        return {site: shown(found) for site, found in SiteProfiles(store).all().items()}


def forget(data: Path, site: str | None = None) -> int:
    """Forget the stored profile (of one site, or all): the next crawl, reextract or rebuild learns it again."""
    with Store.open_for_writing(data) as store:
        return SiteProfiles(store).forget(site)
