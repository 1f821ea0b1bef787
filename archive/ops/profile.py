"""The site profile at work (archive/pages/profile.py): learned from a crawl's articles with strong signals, starting
from the one stored, then applied to the pages detection left undecided or took only by a weak signal, read back
from their WARC records. Run at the end of a crawl (the session's close) and by `reextract` / `rebuild` (learned
from the captures afresh), so that both reach the same articles. `arshif profile` shows or forgets it
(profile_report, forget).

A redesign: when at least REDESIGN_SHARE of a run's pages with strong signals (REDESIGN_MIN or more) no longer
carry the stored template, the profile is learned again from that run's pages alone, and the change is said once
("the site profile changed"). Otherwise the run's counts join the stored ones; a version that moves with them is
"refined". Each article the run stored or judged records the profile version in force (`articles.profile`), the
way it records its extractor: a new profile version is never a new article version.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from archive.core.paths import warc_dir as warc_dir_of
from archive.core.times import now_iso
from archive.pages.detection import PageFacts, detect_article, html_encoding, parse_html
from archive.pages.extraction import ExtractionFailed, extract_page
from archive.pages.profile import NOTHING_AGAINST, WEAK, SiteProfile, shown, strong_signal
from archive.pages.shapes import probe_pattern
from archive.store.database import Store
from archive.store.profiles import SiteProfiles
from archive.warc.reader import record_payload

logger = logging.getLogger(__name__)

LEARN_MAX = 50       # strong pages read back per run to learn from (each is parsed again): a bounded cost, the
#                    counts go on across runs, and CONFIDENT_FROM (20) of them suffice
REDESIGN_MIN = 5     # a run's strong pages that can say the template changed …
REDESIGN_SHARE = 0.5  # … when at least this share of them no longer carry it


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _read(data: Path, row, outcome: Counter) -> tuple[bytes, dict[str, str]] | None:
    """The page's payload and Content-Type by the bounded reader; None for a record cut short (counted
    `truncated`) or unreadable (counted `unreadable`: a damaged file, over a limit)."""
    try:
        record, body = record_payload(warc_dir_of(data), row[3], row[4], row[5])
    except (OSError, ValueError) as exc:  # RecordError and RecordTooLarge are ValueErrors
        logger.warning("%s: its record could not be read for the site profile: %s", row[0], exc)
        outcome["unreadable"] += 1
        return None
    if record.rec_headers.get_header("WARC-Truncated"):
        outcome["truncated"] += 1
        return None
    return body, {"Content-Type": record.http_headers.get_header("Content-Type") or ""}


def apply_profile(data: Path, store: Store, site: str, crawl_id: int | None = None, site_name: str | None = None,
                  fresh: bool = False, judge_all: bool = True) -> tuple[Counter, list[str]]:
    """Learn the site's profile from the strong articles of crawl `crawl_id` (of every crawl with None), starting
    from the stored one (from nothing with `fresh`), store it, and apply it: pages with no signal that fit stored as
    articles, articles taken only by a weak signal that do not fit forgotten, and the version in force recorded with
    the articles. Without `judge_all`, the pages with no signal fetched before this crawl are judged again only when
    the profile's version moved (a replay: the same profile would say the same). (counts, lines saying what it
    did)."""
    host = _host(site) or site
    profiles = SiteProfiles(store)
    stored = SiteProfile.from_dict(None if fresh else profiles.get(host))
    rows = [row for row in profiles.pages_to_judge(crawl_id) if not host or _host(row[0]) == host]
    listing = store.listing_facts()
    outcome: Counter = Counter()
    run, misfits, judged_by = SiteProfile(), 0, stored.confident()
    for row in rows:
        canonical, is_article, reason = row[0], row[1], row[2]
        listed = listing.get(canonical, (False, None))[0]
        if not is_article or not row[8] or not strong_signal(reason, listed) or run.strong_pages >= LEARN_MAX:
            continue
        read = _read(data, row, outcome)
        doc = parse_html(read[0], canonical, html_encoding(read[0], read[1]["Content-Type"])) if read else None
        if doc is not None:
            run.learn(doc, canonical)
            misfits += judged_by and not stored.carries_template(doc)
    outcome["learned"] = run.strong_pages
    profile, lines = _settle(stored, run, misfits)
    if profile.strong_pages:
        profiles.put(host, profile.as_dict())
    if profile.confident():
        moved = not stored.confident() or stored.version != profile.version
        outcome.update(_judge(data, store, profile, rows, listing, site_name, outcome, judge_all or moved,
                              crawl_id))
        lines.insert(0, f"site profile {profile.version} (learned from {profile.strong_pages} pages with strong "
                        f"signals): {outcome['taken']} page(s) taken as articles by it, {outcome['refused']} refused")
    store.record_profile(profile.version if profile.confident() else None, crawl_id, host)
    return outcome, lines


def _settle(stored: SiteProfile, run: SiteProfile, misfits: int) -> tuple[SiteProfile, list[str]]:
    """The profile after a run: learned again from the run's pages when enough of them no longer carry the stored
    template (a redesign), else the run's counts added to the stored ones; and the line announcing a change of
    version, said once (the announced version is `adopted`)."""
    redesign = stored.confident() and run.strong_pages >= REDESIGN_MIN and misfits >= REDESIGN_SHARE * run.strong_pages
    if redesign:
        profile = run
        profile.adopted, profile.history = stored.adopted, stored.history
    else:
        profile = stored
        profile.merge(run)
    was, now = profile.adopted, profile.version if profile.confident() else None
    if redesign:
        profile.history.append({"at": now_iso(), "how": "changed", "version": now, "was": was})
        profile.adopted = now
        return profile, [f"the site profile changed: {misfits} of {run.strong_pages} pages with strong signals no "
                         f"longer fit its template {was} (a redesign); "
                         + (f"learned again as {now}" if now else "learning it again from the next pages")]
    if now is None or now == was:
        return profile, []
    profile.history.append({"at": now_iso(), "how": "refined" if was else "learned", "version": now, "was": was})
    profile.adopted = now
    return profile, [f"the site profile was refined: {was} → {now}" if was else f"the site profile learned: {now}"]


def _judge(data: Path, store: Store, profile: SiteProfile, rows, listing, site_name: str | None,
           reads: Counter, judge_all: bool = True, crawl_id: int | None = None) -> Counter:
    outcome: Counter = Counter()
    take, refuse, notes = [], [], []
    patterns = set(profile.article_patterns())
    for row in rows:
        canonical, is_article, reason = row[0], row[1], row[2]
        listed, listed_author = listing.get(canonical, (False, None))
        if is_article and (listed or reason not in WEAK):
            continue
        if not is_article and not judge_all and not row[8]:
            continue  # judged in an earlier pass by this same profile
        if not is_article and not reason.startswith("extraction failed") and probe_pattern(canonical) not in patterns:
            continue  # a page with no signal is only taken when it has an article's URL pattern: not read back
        read = _read(data, row, reads)
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
        for stored_as, count in store.store_articles(take).items():
            outcome[f"stored_{stored_as}"] += count
    if refuse:
        if crawl_id is not None:  # stored new by this crawl, then refused: not new articles of the run after all
            outcome["stored_new"] -= store.first_stored_in(crawl_id, refuse)
        store.forget_articles(refuse)
    if notes:
        store.note_detection(notes)
    outcome["taken"], outcome["refused"] = len(take), len(refuse)
    return outcome


def learn_again(data: Path, store: Store, site_name: str | None = None) -> Counter:
    """`reextract` and `rebuild`: each site's profile learned afresh from the captures, crawl by crawl as the crawls
    learned it (a redesign is seen where it happened, and each page is judged by the profile of its time), then
    applied, so that they reach the articles the crawls reached. Counted `profile_taken` and `profile_refused`."""
    outcome: Counter = Counter()
    crawls: list[int | None] = list(SiteProfiles(store).capture_crawls()) or [None]
    for host in sorted({_host(url) for url in store.stored_articles()}):
        said: list[str] = []
        for number, crawl_id in enumerate(crawls):
            found, lines = apply_profile(data, store, host, crawl_id, site_name, fresh=number == 0,
                                         judge_all=crawl_id is None)
            said += [line for line in lines if not line.startswith("site profile ")]
            outcome["profile_taken"] += found["taken"]
            outcome["profile_refused"] += found["refused"]
        for line in said + [line for line in lines if line.startswith("site profile ")]:
            logger.warning("%s: %s", host, line)
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
    for key in ("taken", "refused", "learned", "unreadable", "truncated"):
        if outcome.get(key):
            stats.set_value(f"arshif/profile/{key}", outcome[key])
    if outcome.get("taken"):  # the crawl's own counts include the articles the profile took
        stats.inc_value("arshif/articles", outcome["taken"])
    for stored_as in ("new", "version"):  # (new may be below 0: articles stored new, then refused)
        if outcome.get(f"stored_{stored_as}"):
            stats.inc_value(f"arshif/articles/{stored_as}", outcome[f"stored_{stored_as}"])
    changed = [line for line in lines if line.startswith("the site profile changed")]
    if changed:
        stats.set_value("arshif/profile/changed", changed[0])


def profile_report(data: Path) -> dict[str, dict]:
    """Site → what its stored profile decides by (archive.pages.profile.shown)."""
    with Store.open_for_reading(data) as store:
        return {site: shown(found) for site, found in SiteProfiles(store).all().items()}


def forget(data: Path, site: str | None = None) -> int:
    """Forget the stored profile (of one site, or all): the next crawl, reextract or rebuild learns it again."""
    with Store.open_for_writing(data) as store:
        return SiteProfiles(store).forget(site)
