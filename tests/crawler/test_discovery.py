"""Discovery (issue 4): every article of either theme, exactly once, politely — proven by the replica's request log."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import unquote, urlsplit

import pytest

from tests.crawling import crawl

pytestmark = pytest.mark.slow


def decoded(url_or_path: str) -> str:
    return unquote(urlsplit(url_or_path).path)


def article_rows(run) -> dict[str, list]:
    rows: dict[str, list] = {}
    for row in run.db().execute("SELECT canonical, status, record_type FROM captures WHERE record_type != 'request'"):
        rows.setdefault(row[0], []).append((row[1], row[2]))
    return rows


def test_every_article_captured_once_as_its_canonical_url(any_crawl):
    site, run = any_crawl
    manifest = {a["url"] for a in site.manifest["articles"]}
    captures = article_rows(run)
    for url in manifest:
        assert captures.get(url) == [(200, "response")], url
    detected = {r[0] for r in run.db().execute("SELECT canonical FROM urls WHERE is_article = 1")}
    assert detected == manifest
    # not an article: listings, about/contact pages
    not_articles = {r[0] for r in run.db().execute("SELECT canonical FROM urls WHERE is_article = 0")}
    assert site.manifest["pages"][0] in not_articles or site.url + "/" in not_articles


def test_no_variant_is_fetched_again_and_robots_is_obeyed(any_crawl):
    site, run = any_crawl
    requests = [r for r in run.requests if r["origin"] == "site"]
    article_paths = {decoded(a["url"]) for a in site.manifest["articles"]}
    gets = Counter(decoded(r["path"]) for r in requests if r["method"] == "GET")
    for path in article_paths:
        assert gets[path] == 1, path
    for r in requests:
        assert not re.search(r"(^|&)(utm_|fbclid|gclid|m=1|showComment)", r["query"]), r
        if decoded(r["path"]) in article_paths:
            assert not re.search("%([0-9a-f][a-f]|[a-f][0-9a-f])", r["path"]), "lower-case escapes"
            assert r["path"].isascii()
    disallowed = site.manifest["robots_disallowed"]
    assert not [r for r in requests if any(decoded(r["path"]).startswith(d) for d in disallowed)]
    assert all((r["user_agent"] or "").startswith("arshif/") for r in run.requests)
    assert sum(1 for r in requests if r["path"] == "/robots.txt") == 1


def test_page_requisites_are_captured_once(any_crawl):
    """Lead images, stylesheets, the script, and what the stylesheets name (a font, a background image; on
    Blogger also an image of the widgets' stylesheet on the image host): each captured, each once."""
    site, run = any_crawl
    captures = article_rows(run)
    for article in site.manifest["articles"]:
        assert captures.get(article["image"]) == [(200, "response")], article["image"]
    paths = {urlsplit(url).path: url for url in captures}
    named = [p for p in paths if p.endswith((".css", ".js", ".ttf", "/header-pattern.png", "/bullet.png"))]
    expected = {".css", ".js", ".ttf", "/header-pattern.png"} | ({"/bullet.png"} if site.theme == "blogger" else set())
    assert {next(e for e in expected if p.endswith(e)) for p in named} == expected, named
    assert all(captures[paths[p]] == [(200, "response")] for p in named)
    images = [r for r in run.requests if r["origin"] == "images" and "/lead-" in r["path"]]
    assert len(images) == len({r["path"] for r in images}) == len(site.manifest["articles"])


def test_redirects_and_errors_are_recorded(any_crawl):
    site, run = any_crawl
    moved = site.manifest["traps"]["moved"]
    conn = run.db()
    row = conn.execute("SELECT status, warc_file, offset, length FROM captures WHERE canonical = ? AND "
                       "record_type = 'response'", [moved["from"]]).fetchone()
    assert row is not None and row[0] == 301
    from archive.warc.reader import read_member

    with (run.data / "warc" / row[1]).open("rb") as f:
        record = read_member(f, row[2], row[3])
    assert record.http_headers.get_header("Location") == moved["to"]
    missing = site.manifest["traps"]["missing"]
    assert conn.execute("SELECT status FROM captures WHERE canonical = ? AND record_type = 'response'",
                        [missing]).fetchone()[0] == 404
    log = next((run.data / "logs").glob("*.crawl.log")).read_text()
    assert re.search(r" 404 .* http-error$", log, re.M) and re.search(r" 301 .* ok$", log, re.M)


def test_requests_per_article_stay_low(any_crawl):
    site, run = any_crawl
    articles = len(site.manifest["articles"])
    kinds = Counter(r["kind"] for r in run.requests)
    # each article page and its lead image once; sitemaps, feeds, listings and the rest are a small overhead
    overhead = len(run.requests) - 2 * articles
    assert overhead <= 0.05 * articles + 20, kinds


@pytest.mark.parametrize("theme", ["wordpress", "blogger"])
@pytest.mark.parametrize("without", [("sitemap",), ("feeds",), ("sitemap", "feeds")], ids="-".join)
def test_discovery_does_not_depend_on_one_source(replica_factory, tmp_path, theme, without):
    extra = [arg for name in without for arg in ("--without", name)]
    site = replica_factory(articles=80, theme=theme, extra=extra)
    run = crawl(site, tmp_path / "data", "--no-assets")
    assert run.returncode == 0, run.stderr
    captures = article_rows(run)
    missing = [a["url"] for a in site.manifest["articles"] if captures.get(a["url"]) != [(200, "response")]]
    assert not missing
    disallowed = site.manifest["robots_disallowed"]
    assert not [r for r in run.requests if any(decoded(r["path"]).startswith(d) for d in disallowed)]
    gets = Counter(decoded(r["path"]) for r in run.requests if r["method"] == "GET")
    assert max(gets[decoded(a["url"])] for a in site.manifest["articles"]) == 1


def test_max_articles_stops_scheduling(replica_factory, tmp_path):
    site = replica_factory(articles=60)
    run = crawl(site, tmp_path / "data", "--max-articles", "10", "--no-assets")
    assert run.returncode == 0, run.stderr
    fetched = [r for r in run.requests if r["kind"] == "article"]
    assert len(fetched) == 10
    assert not [r for r in run.requests if r["kind"] == "image"]


def test_callbacks_return_no_value():
    """settings.py turns off Scrapy's per-response check (it re-reads the callback's source every time): the same
    check, once, on every method of our spider. A generator callback that returns a value loses it silently."""
    import inspect

    from scrapy.utils.misc import is_generator_with_return_value

    from spiders.alitaliya import AlitaliyaSpider

    generators = [name for name, member in inspect.getmembers(AlitaliyaSpider, inspect.isfunction)
                  if inspect.isgeneratorfunction(member)]
    assert "parse_page" in generators and "parse_asset" in generators
    assert [name for name in generators if is_generator_with_return_value(getattr(AlitaliyaSpider, name))] == []


def test_a_truncated_gzipped_sitemap_is_a_broken_source_not_a_crash(tmp_path):
    """A `.xml.gz` sitemap cut short raised EOFError out of the spider's callback: the source was never counted
    done (the re-check of unlisted articles waits for every source) and the crawl logged a traceback. It is a
    sitemap that did not parse, counted as a broken source."""
    import gzip

    from scrapy.http import Request, Response
    from scrapy.settings import Settings
    from scrapy.utils.test import get_crawler, get_reactor_settings

    from spiders.alitaliya import AlitaliyaSpider

    project = Settings()
    project.setmodule("settings")
    crawler = get_crawler(AlitaliyaSpider, {**dict(project.items()), **get_reactor_settings(),
                                            "ARSHIF_DATA": str(tmp_path), "ARSHIF_ARCHIVE_ENABLED": False})
    spider = AlitaliyaSpider.from_crawler(crawler, site="http://127.0.0.1:9/")
    url = "http://127.0.0.1:9/sitemap.xml.gz"
    xml = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
           b'http://127.0.0.1:9/2021/09/14/a/</loc></url></urlset>')
    spider.sources_pending = 1  # as request() counted it
    response = Response(url, body=gzip.compress(xml)[:40], request=Request(url, meta={"arshif_path": "P"}))
    assert list(spider.parse_sitemap(response)) == []
    assert spider.sources_pending == 0 and spider.sources_broken == 1 and spider.failed_sources == {url}
    assert crawler.stats.get_value("arshif/discovery/sitemap_unparsable") == 1
