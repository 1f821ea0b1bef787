"""Missed means missed (issue 28): which fetched pages the site gives as posts, though they are not stored as articles.

A page listed by a posts sitemap or a posts feed is a post whatever detection said of it. Beyond those, two kinds of
evidence, each only for a page detection found no evidence against (no article signal, extraction failed, a rule
refused it, or never judged) and that is not a listing by its URL (`/category/…`, `/archives.html`, `/index2.html`):
- a sitemap that lists posts and pages together (a plain `sitemap.xml`, Pelican's) lists it; a sitemap of static
  pages, taxonomies or authors, where the site separates them (WordPress, Yoast, Blogger), does not count;
- its URL pattern (archive.pages.soft404.probe_pattern: `/N/N/N/*/`, `/*.html`) is that of SHAPE_ARTICLES or more
  stored articles: the site's own article template, as its stored articles show it.
A page detection positively judged something else (noindex, a copy, a WordPress page of another kind, a list of
linked headlines, a static page by its URL) is counted only when a posts source lists it; so is a page the site's
confident profile knows as its template's static page, listing or author page (archive.pages.profile.kind: the
about page its menu links on every article).
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from urllib.parse import urlsplit

from archive.pages.not_articles import refused_reason
from archive.pages.profile import KINDS, SiteProfile
from archive.pages.shapes import classify, is_probe_url, probe_pattern
from archive.store.profiles import stored_profiles

SHAPE_ARTICLES = 5  # stored articles sharing a URL pattern that make it the site's article template
# the site's own listings under a name of their own, not under /category/ or /tag/ (Pelican's, many CMSs')
LISTING_NAME = re.compile(r"^/(index\d*|archives?|categories|tags|authors|search|sitemap)(\.html?|\.php)?/?$", re.I)
WEAK = ("no article signal", "not detected", "unparsable")  # detection found no evidence either way
POSTS, SITEMAP, SHAPE = "listed as a post", "listed by a sitemap", "shaped like the site's articles"


def _weak(detection: str | None) -> bool:
    """Whether detection found nothing against the page being an article."""
    return (detection is None or detection in WEAK or detection.startswith("extraction failed")
            or refused_reason(detection) is not None)


def article_patterns(conn: sqlite3.Connection) -> Counter:
    """URL pattern → how many stored articles have it."""
    return Counter(probe_pattern(url) for (url,) in conn.execute("SELECT canonical FROM articles"))


def evidence(row: dict, patterns, kind=lambda url: None) -> str | None:
    """Why this page (a row of CrawlRecords.missed_posts' query) is a post, or None when nothing says it is;
    `patterns` gives article_patterns when called (computed once, only when a page needs it), `kind` what the
    site's profile knows the page as."""
    if row["listed_as_post"] == 1:
        return POSTS
    url = row["canonical"]
    path = urlsplit(url).path or "/"
    if is_probe_url(url) or not _weak(row["detection"]) or classify(url) == "listing" or LISTING_NAME.match(path):
        return None
    if kind(url) in KINDS:
        return None
    if row["listed_in_sitemap"]:
        return SITEMAP
    pattern = probe_pattern(url)
    return SHAPE if pattern is not None and patterns()[pattern] >= SHAPE_ARTICLES else None


def missed(conn: sqlite3.Connection, rows: list[dict]) -> list[dict]:
    """The rows that are posts, each with its `evidence`, without the columns that decided it."""
    found: list[dict] = []
    known: list[Counter] = []
    profiles: dict[str, SiteProfile] = {}

    def patterns() -> Counter:
        if not known:
            known.append(article_patterns(conn))
        return known[0]

    def kind(url: str) -> str | None:
        if not profiles:
            profiles.update({site: SiteProfile.from_dict(found) for site, found in stored_profiles(conn).items()})
            profiles.setdefault("", SiteProfile())
        profile = profiles.get((urlsplit(url).hostname or "").lower())
        return profile.kind(url) if profile is not None else None

    for row in rows:
        why = evidence(row, patterns, kind)
        if why is not None:
            found.append({"canonical": row["canonical"], "reason": row["reason"], "last_fetched": row["last_fetched"],
                          "source": row["source"], "evidence": why})
    return found
