"""Robots, redirects and sitemaps by their standards (issue 27, Deliver 5), on a hostile site of our own on loopback.

robots.txt per RFC 9309 (5xx or no answer: disallow, or the archive's last good copy; 4xx: allow; at most 5
redirects), redirect chains of at most 20 hops, a redirect to ever new URLs of one shape stopped as a trap, a sitemap
index capped at 50,000 entries and the sitemaps of a run capped, articles fetched before the 100th sitemap, and a
run that robots.txt blocks entirely exits 1 with that reason.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from archive.pages.sources import url_shape
from tests.crawler.hostile_standards import ARTICLES, HostileSite
from tests.crawling import arshif

pytestmark = pytest.mark.slow

QUICK = ("--no-assets", "--set", "RETRY_TIMES=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "DOWNLOAD_TIMEOUT=5")


def crawl(site: HostileSite, data, *extra: str):
    return arshif("--data", str(data), "crawl", "--site", site.url + "/", *QUICK, *extra, timeout=240)


def stored_articles(data) -> set[str]:
    with sqlite3.connect(data / "archive.db") as conn:
        return {row[0] for row in conn.execute("SELECT canonical FROM urls WHERE is_article = 1")}


@pytest.mark.parametrize("answer", ["500", "503", "hang-up"])
def test_unreachable_robots_blocks_the_run_and_exits_1(tmp_path, answer):
    with HostileSite(robots=answer) as site:
        run = crawl(site, tmp_path / "data")
        asked = list(site.paths)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "robots.txt blocks everything" in out and "RFC 9309" in out, out
    assert set(asked) == {"/robots.txt"}, asked  # not the home page, not a sitemap, not an article


def test_unreachable_robots_falls_back_on_the_archived_good_copy(tmp_path):
    data = tmp_path / "data"
    with HostileSite(robots="ok", extra=("/private/secret/",)) as site:
        first = crawl(site, data)
        assert first.returncode == 0, first.stdout + first.stderr
        assert not site.asked("/private/")
        site.robots = "503"
        del site.paths[:]
        second = crawl(site, data, "--refresh")
        asked = list(site.paths)
    out = second.stdout + second.stderr
    assert second.returncode == 0, out
    assert "answered 503" in out and "last good copy" in out, out
    assert not [p for p in asked if p.startswith("/private/")]  # the stored copy's rules are obeyed
    assert set(ARTICLES) <= set(asked)


def test_robots_4xx_allows_everything(tmp_path):
    with HostileSite(robots="404", extra=("/private/open/",)) as site:
        run = crawl(site, tmp_path / "data")
        asked = list(site.paths)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "/private/open/" in asked and set(ARTICLES) <= set(asked)
    assert len(stored_articles(tmp_path / "data")) == 3


def test_robots_redirects_followed_up_to_five_hops(tmp_path):
    # 5 hops reach the rules, which are obeyed: here they disallow everything, so the run is blocked
    with HostileSite(robots="redirect-5", robots_rules="User-agent: *\nDisallow: /\n") as site:
        run = crawl(site, tmp_path / "five")
        asked = list(site.paths)
    assert run.returncode == 1 and "robots.txt blocks everything" in run.stdout + run.stderr
    assert asked == ["/robots.txt"] + [f"/robots-hop/{i}" for i in range(1, 6)]
    # 6 hops: RFC 9309 lets the crawler take robots.txt as unavailable, and everything is allowed
    with HostileSite(robots="redirect-6", robots_rules="User-agent: *\nDisallow: /\n") as site:
        run = crawl(site, tmp_path / "six")
        asked = list(site.paths)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "/robots-hop/6" not in asked and set(ARTICLES) <= set(asked)


def test_redirect_chains_are_bounded_and_spins_are_traps(tmp_path):
    with HostileSite(extra=("/r/spin?n=0", "/chain/x")) as site:
        run = crawl(site, tmp_path / "data")
        spins, chain = site.asked("/r/spin"), site.asked("/chain/")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    # /r/spin?n=N → n=N+1: a trap after 5 redirects in a row to the same shape (ARSHIF_REDIRECT_SAME_SHAPE)
    assert spins == [f"/r/spin?n={n}" for n in range(5)], spins
    # a 30-hop chain whose URLs all differ in shape: 20 hops followed (REDIRECT_MAX_TIMES), as browsers do
    assert len(chain) == 21 and chain[-1] == "/chain/" + "x" * 21, chain
    assert "1 redirect chain(s) longer than REDIRECT_MAX_TIMES" in out and "1 redirect trap(s)" in out, out
    log = (tmp_path / "data" / "logs")
    text = "".join(p.read_text() for p in log.glob("*.log"))
    assert "redirect trap" in text and "redirect chain cut after 20 hops" in text
    assert len(stored_articles(tmp_path / "data")) == 3
    last = json.loads(arshif("--data", str(tmp_path / "data"), "stats", "--json").stdout)["crawls"][0]
    from archive.ops.crawl import STANDARD_CUTS

    assert set(last["cut"]) == {name for name, _, _ in STANDARD_CUTS}, last  # every limit named, even at 0
    assert {name: count for name, count in last["cut"].items() if count} == {"redirect_chains": 1,
                                                                             "redirect_traps": 1}, last
    assert set(last["refused"].values()) == {0}, last


def test_a_huge_sitemap_index_never_starves_articles(tmp_path):
    with HostileSite(index=100_000) as site:
        run = crawl(site, tmp_path / "data", "--set", "ARSHIF_MAX_SITEMAPS=150")
        paths = list(site.paths)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    children = [i for i, p in enumerate(paths) if p.startswith("/sm/")]
    assert len(children) == 149  # 150 sitemaps in the run: the index and 149 of its children
    first_article = min(paths.index(a) for a in ARTICLES)
    assert first_article < children[99], paths[:first_article + 1]
    assert set(ARTICLES) <= set(paths)
    # the index's entries past the protocol's 50,000 are not read; of the rest, those past the run's cap
    assert "50000 sitemap index entries past ARSHIF_SITEMAP_INDEX_MAX" in out, out
    assert f"{50_000 - 149} sitemaps past ARSHIF_MAX_SITEMAPS" in out, out


def test_url_shape():
    assert url_shape("http://h/r/spin?n=7") == url_shape("http://h/r/spin?n=8")
    assert url_shape("http://h/?p=12") != url_shape("http://h/2021/10/09/slug/")
    assert url_shape("http://h/a") != url_shape("https://h/a")
    assert url_shape("http://h/chain/x") != url_shape("http://h/chain/xx")
