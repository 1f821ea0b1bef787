"""A third real platform: a Pelican 4.12 site (default theme, pelican-sitemap, Atom and RSS feeds of the 100 newest
articles) of 120 Arabic and Italian articles and 3 static pages, served by nginx, crawled by `arshif crawl` as a new
user would, then rebuilt as edition 2 and crawled again with the clock 31 days on (tests/pelican/site.py).

These tests hold what must hold and holds today. What issue 28 still has to fix on this site (the short briefs
outside the feeds lost and not in `missed`, the privacy page taken for an article, empty sections and tags, the edit
without a new `Modified:` never seen, the 304s that keep being asked) is measured by `python -m bench.pelican`.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.crawling import CrawlRun, crawl
from tests.pelican import content
from tests.pelican.site import PelicanSite, pelican_missing
from tests.shared import shared

pytestmark = pytest.mark.slow

LISTINGS = ("/index", "/archives.html", "/categories.html", "/tags.html", "/authors.html", "/category/", "/tag/",
            "/author/", "/feeds/", "/sitemap.xml")


def path_of(url: str) -> str:
    return unquote(urlsplit(url).path)


def crawl_two_editions(folder: Path) -> dict:
    """Edition 1 crawled (its archive kept apart), edition 2 built in place and crawled 31 days later."""
    site = PelicanSite(folder / "site")
    site.build(1)
    site.start()
    try:
        first = crawl(site, folder / "data")
        assert first.returncode == 0, first.stderr[-3000:]
        shutil.copytree(folder / "data", folder / "data1")
        site.build(2)
        later = datetime.now(UTC) + timedelta(days=31)
        second = crawl(site, folder / "data", "--set", f"ARSHIF_CLOCK={later:%Y-%m-%dT%H:%M:%S}")
        assert second.returncode == 0, second.stderr[-3000:]
    except BaseException:
        site.stop()
        raise
    return {"site": site.state(), "pids": [site.pid],
            "first": {**asdict(first), "data": str(folder / "data1")},
            "second": {**asdict(second), "data": str(folder / "data")}}


@pytest.fixture(scope="session")
def pelican_crawls(tmp_path_factory):
    if why := pelican_missing():
        pytest.skip(why)
    with shared(tmp_path_factory, "pelican", crawl_two_editions,
                stop=lambda state: PelicanSite.attach(state["site"]).stop()) as state:
        yield (CrawlRun(**{**state["first"], "data": Path(state["first"]["data"])}),
               CrawlRun(**{**state["second"], "data": Path(state["second"]["data"])}))


def stored(run: CrawlRun) -> dict[str, dict]:
    with run.db() as conn:
        return {path_of(r["canonical"]): dict(r) for r in conn.execute("SELECT * FROM articles")}


def test_the_crawl_ends_well(pelican_crawls):
    for run in pelican_crawls:
        assert run.returncode == 0 and "Traceback" not in run.stderr
        assert {r["status"] for r in run.requests} <= {200, 304, 404}


def test_every_page_fetched_is_archived(pelican_crawls):
    first, _ = pelican_crawls
    fetched = {path_of(r["path"]) for r in first.requests if r["status"] == 200}
    archived = {path_of(record.rec_headers.get_header("WARC-Target-URI")) for _, record in first.records()
                if record.rec_type == "response"}
    assert fetched and fetched <= archived


def test_each_page_is_asked_once(pelican_crawls):
    first, _ = pelican_crawls
    asked = Counter(r["path"] for r in first.requests)
    assert [path for path, n in asked.items() if n > 1] == []


def test_every_full_length_article_is_stored_right(pelican_crawls):
    """Titles, bodies, authors, languages and dates as written, Arabic and Italian, one row each."""
    first, _ = pelican_crawls
    rows = stored(first)
    for post in content.edition1():
        if post.short:
            continue
        row = rows.get(post.path)
        assert row, f"#{post.n} not stored: {post.path}"
        assert row["title"] == post.title and row["body"].split() == post.text.split()
        assert row["author"] == post.author and row["lang"] == post.lang
        assert datetime.fromisoformat(row["published"]) == post.date
        assert row["versions"] == 1 and not row["removed"]


def test_no_duplicate_articles(pelican_crawls):
    first, _ = pelican_crawls
    rows = stored(first).values()
    assert len({r["canonical"] for r in rows}) == len(rows)
    texts = Counter(" ".join(r["body"].split()) for r in rows)  # two posts may share a title, never a text
    assert [t[:80] for t, n in texts.items() if n > 1] == []


def test_listing_pages_are_not_articles(pelican_crawls):
    first, _ = pelican_crawls
    posts = {p.path for p in content.edition1()}
    others = [path for path in stored(first) if path not in posts]
    assert [path for path in others if path == "/" or path.startswith(LISTINGS)] == []
    assert not {"/pages/about.html", "/pages/contact.html"} & set(others)


def test_edition_two(pelican_crawls):
    """New articles stored, the edit with a new Modified: seen as a second version, the deleted article marked
    removed, and every untouched article still at one version."""
    _, second = pelican_crawls
    rows = stored(second)
    ed1 = {p.n: p for p in content.edition1()}
    for post in content.edition2():
        if post.n not in ed1:
            assert rows[post.path]["title"] == post.title
        elif post.n == content.EDITED_WITH_MODIFIED:
            row = rows[post.path]
            assert row["versions"] == 2 and content.ADDENDUM[post.n] in row["body"]
        elif post.n not in content.ADDENDUM and post.path in rows:
            assert rows[post.path]["versions"] == 1, post.path
    assert rows[ed1[content.DELETED].path]["removed"]


def test_the_site_profile_takes_the_short_briefs_and_refuses_static_pages(pelican_crawls):
    """The short briefs outside the feeds (no signal of their own) fit the template learned from the other articles:
    stored; the privacy page (a "last updated" line) and the archives page do not: not stored (issue 28)."""
    first, _ = pelican_crawls
    rows = stored(first)
    briefs = [post.path for post in content.edition1() if post.short]
    assert briefs and [path for path in briefs if path not in rows] == []
    assert not {"/pages/privacy.html", "/archives.html"} & set(rows)
