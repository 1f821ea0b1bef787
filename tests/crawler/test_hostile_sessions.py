"""A site that writes a fresh session id into every link (issue 27, Deliver 2): crawled by links alone, each of its
pages is asked for once, each article stored once, and the run says which parameter it folded. Before, crawl 1
fetched 47,992 copies of such a site's pages in 8 minutes and reached 11 of its 40 articles."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import urlsplit

import pytest

from tests.crawler.hostile_sessions import ARTICLES, ITALIAN, SessionSite
from tests.crawling import arshif

pytestmark = pytest.mark.slow

QUICK = ("--no-assets", "--set", "RETRY_TIMES=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "DOWNLOAD_TIMEOUT=5",
         "--set", "CLOSESPIDER_PAGECOUNT=2000")  # a safety net for the test: the product must stop far below it


def crawl(site: SessionSite, data, *extra: str):
    return arshif("--data", str(data), "crawl", "--site", site.url + "/", *QUICK, *extra, timeout=120)


def rows(data, sql: str) -> list[tuple]:
    with sqlite3.connect(data / "archive.db") as conn:
        return conn.execute(sql).fetchall()


def check_stored_once(data, site: SessionSite) -> None:
    articles = rows(data, "SELECT canonical, title FROM articles")
    urls = [u for (u,) in rows(data, "SELECT canonical FROM urls")]
    arabic = {urlsplit(u).path for u, _ in articles if not urlsplit(u).query}
    assert arabic == set(ARTICLES), articles
    assert len(articles) == len(ARTICLES) + len(ITALIAN), articles  # each article once, its Italian version apart
    assert not [u for u in urls if site.param in u], urls  # no URL kept a session id
    for path in ARTICLES:
        assert len([u for u in urls if urlsplit(u).path == path and not urlsplit(u).query]) == 1, (path, urls)


@pytest.mark.parametrize("param", ["sid", "visit"])
def test_a_fresh_session_id_on_every_link_is_folded(tmp_path, param):
    data = tmp_path / "data"
    with SessionSite(param) as site:
        first = crawl(site, data)
        asked_first = list(site.paths)
        del site.paths[:]
        second = crawl(site, data)
        asked_second = list(site.paths)
    for run, asked in ((first, asked_first), (second, asked_second)):
        out = run.stdout + run.stderr
        assert run.returncode == 0, out
        assert len(asked) <= 2 * site.pages(), asked  # each page once, give or take robots.txt, sitemap and feeds
        pages = [p.split("?")[0] + ("?lang=it" if "lang=it" in p else "") for p in asked]
        assert len(pages) == len(set(pages)), sorted(pages)  # no page asked for twice
        assert not [p for p in asked if param in p], asked  # no session id ever sent back
        assert f"session id parameter(s) folded, their URL variants not asked for: '{param}'" in out, out
    assert set(ARTICLES) <= set(asked_first)
    check_stored_once(data, site)
    log = "".join(p.read_text() for p in (data / "logs").glob("*.log"))
    assert f"session parameter '{param}' folded" in log
    crawls = {c["id"]: c["cut"] for c in json.loads(arshif("--data", str(data), "stats", "--json").stdout)["crawls"]}
    assert crawls[1]["session_params"] == crawls[2]["session_params"] == 1, crawls
    assert crawls[1]["session_variants"] > 100, crawls  # each a request before, and a new URL for the same page


def test_italian_versions_are_kept_apart(tmp_path):
    """`?lang=it` on every link of the Italian pages is a language, not a session: the three Italian versions are
    articles of their own, under their own URLs, with their own titles."""
    data = tmp_path / "data"
    with SessionSite("visit", sitemap=True) as site:
        run = crawl(site, data)
    assert run.returncode == 0, run.stdout + run.stderr
    italian = rows(data, "SELECT canonical, title FROM articles WHERE canonical LIKE '%?lang=it'")
    assert sorted(t for _, t in italian) == sorted(ITALIAN), italian
    assert {urlsplit(u).path for u, _ in italian} == set(ARTICLES[:3])
    check_stored_once(data, site)
