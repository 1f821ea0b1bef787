"""A redesign mid-life on the real WordPress (tests/wordpress/): crawled under its classic theme, switched by
WordPress itself to its block theme, crawled again into the same archive, then once more with nothing changed.
The pages' template changes, the posts do not: the site profile says it changed once, and no article is lost,
duplicated or given a new version.

Ground truth is WordPress's own manifest of its posts, never what arshif stored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from archive.core.urls import canonical
from tests.crawler.test_real_wordpress import at
from tests.crawling import CrawlRun, arshif, crawl

pytestmark = pytest.mark.slow

CHANGED = "site profile changed"


def stored(run: CrawlRun) -> dict[str, dict]:
    """Canonical → the article's row, for the articles not marked removed; fails on a canonical stored twice."""
    with run.db() as db:
        rows = [dict(row) for row in db.execute("SELECT * FROM articles WHERE removed IS NULL")]
        history = db.execute("SELECT COUNT(*) FROM article_versions").fetchone()[0]
    by_url = {row["canonical"]: row for row in rows}
    assert len(by_url) == len(rows), "an article stored twice"
    assert history == sum(row["versions"] for row in rows), "article_versions disagrees with the versions counts"
    return by_url


def kept(row: dict) -> dict:
    """What a theme change must leave as it was: the version count, the text and every field (the block theme shows
    no modified date: the same text keeps what the classic theme's capture said)."""
    return {key: row[key] for key in ("versions", "title", "body", "author", "published", "modified", "section",
                                      "tags", "image", "lang")}


def changed(before: dict[str, dict], after: dict[str, dict]) -> tuple[int, list]:
    """How many articles differ in kept() between two crawls, and what differs in the first two."""
    found = []
    for url, was in before.items():
        old, new = kept(was), kept(after[url])
        if old != new:
            found.append((url, {k: (str(old[k])[:80], str(new[k])[:80]) for k in old if old[k] != new[k]}))
    return len(found), found[:2]


def fetched(run: CrawlRun, site) -> set[str]:
    return {canonical(site.url + r["path"]) for r in run.requests if r["method"] == "GET" and r["status"] == 200}


def test_a_switch_to_the_block_theme_is_one_profile_change_and_no_edit(real_wp_private, tmp_path):
    site = real_wp_private("classic")
    posts = sorted(canonical(p["url"]) for p in site.manifest["posts"])
    assert len(posts) == len(set(posts))
    data, start = tmp_path / "data", datetime.now(UTC)

    first = crawl(site, data, "--no-assets", *at(start))
    assert first.returncode == 0, first.stderr
    classic = stored(first)
    assert sorted(classic) == posts
    assert {row["versions"] for row in classic.values()} == {1}
    stats = json.loads(arshif("--data", str(data), "stats", "--json").stdout)
    assert stats.get("profile"), "no site profile learned from the classic theme"

    site.php("switch_theme('twentytwentythree');")
    assert site.write_manifest()["stylesheet"] == "twentytwentythree"
    assert sorted(canonical(p["url"]) for p in site.manifest["posts"]) == posts

    def refresh(hours: int) -> CrawlRun:
        """A crawl that fetches every post again (WordPress's sitemap lastmod does not move with a theme), which
        must store the same articles with the same fields as under the classic theme."""
        run = crawl(site, data, "--no-assets", "--refresh", *at(start + timedelta(hours=hours)))
        assert run.returncode == 0, run.stderr
        assert not set(posts) - fetched(run, site), "posts not fetched again"
        now = stored(run)
        assert sorted(now) == posts
        assert changed(classic, now)[0] == 0, changed(classic, now)
        return run

    second = refresh(1)
    third = refresh(2)  # nothing changed: the profile must not change again

    # reextract learns the profile again crawl by crawl from the captures, and reaches the same articles
    redone = arshif("--data", str(data), "reextract")
    assert redone.returncode == 0, redone.stderr
    assert "0 articles gained, 0 lost" in redone.stderr, redone.stderr
    assert changed(classic, stored(third))[0] == 0

    said = [(run.stdout + run.stderr).count(CHANGED) for run in (second, third)]
    assert said == [1, 0], f"{CHANGED!r} said {said[0]} time(s) by the crawl after the switch, {said[1]} after"
