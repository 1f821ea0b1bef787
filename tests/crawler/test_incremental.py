"""Incremental crawls (issue 9): sources left alone within their refetch interval, conditional sources."""

from __future__ import annotations

import json

import pytest

from tests.crawling import crawl

pytestmark = pytest.mark.slow


def test_sources_within_their_interval_are_read_from_the_archive(replica_factory, tmp_path):
    site = replica_factory(articles=40)
    data = tmp_path / "data"
    first = crawl(site, data, "--no-assets")
    assert first.returncode == 0, first.stderr
    # the sitemaps and feeds answer 304 to a conditional request: their archived copies still list everything
    second = crawl(site, data, "--no-assets")
    assert second.returncode == 0, second.stderr
    sources = [r for r in second.requests if r["kind"] in ("sitemap", "feed")]
    assert sources and all(r["status"] == 304 and r["if_none_match"] for r in sources)
    assert not [r for r in second.requests if r["kind"] == "article"]
    # within a day of their last fetch, they are not asked for at all, and nothing is lost: no article is
    # re-checked as if it had vanished, discovery still counts every article, the exit status is 0
    intervals = json.dumps({"sitemap": "1d", "feed": "1d", "listing": "1d"})
    third = crawl(site, data, "--no-assets", "--set", f"ARSHIF_REFETCH_INTERVALS={intervals}")
    assert third.returncode == 0, third.stderr
    assert {r["kind"] for r in third.requests} <= {"robots", "listing"}, third.requests
    stats = json.loads(third.db().execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert stats["arshif/discovery/sitemap_within_interval"] >= 1
    assert stats["arshif/discovery/article_urls"] == len(site.manifest["articles"])
    assert not stats.get("arshif/articles_rechecked")
