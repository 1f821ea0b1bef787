"""The replica seen from outside, over real loopback HTTP: what a crawler will meet."""

from __future__ import annotations

import re
import time
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections import deque
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest

from tests.http_client import fetch, links, path_key

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def manifest_paths(site) -> set[str]:
    return {path_key(a["url"]) for a in site.manifest["articles"]}


def test_cli_serves_the_basics(any_site):
    m = any_site.manifest
    assert m["theme"] in ("wordpress", "blogger") and m["articles_count"] == len(m["articles"]) == 500
    robots = fetch(any_site.url + "/robots.txt")
    assert robots.status == 200 and "Sitemap:" in robots.text
    for url in (m["sitemap"], m["feeds"]["atom"], m["feeds"]["rss"], any_site.url + "/",
                m["articles"][0]["url"], m["sections"][0]["url"]):
        assert fetch(url).status == 200, url


def sitemap_locs(url: str) -> list[str]:
    """Follow a sitemap index down to its urlsets; every <loc> of every urlset."""
    root = ET.fromstring(fetch(url).content)
    if root.tag == SM + "sitemapindex":
        out = []
        for loc in root.iter(SM + "loc"):
            out += sitemap_locs(loc.text)
        return out
    return [loc.text for loc in root.iter(SM + "loc")]


def test_sitemaps_list_exactly_the_manifest_articles(any_site):
    robots = fetch(any_site.url + "/robots.txt").text
    sitemap = re.search(r"^Sitemap: (\S+)$", robots, re.M).group(1)
    locs = sitemap_locs(sitemap)
    m = any_site.manifest
    others = {path_key(u) for u in m["pages"]} | {path_key(s["url"]) for s in m["sections"]} | {"/"}
    articles = [path_key(u) for u in locs if path_key(u) not in others]
    assert len(articles) == len(set(articles)), "an article is listed twice"
    assert set(articles) == manifest_paths(any_site)
    # lastmod is the article's modified time
    root = ET.fromstring(fetch(sitemap_index_child(sitemap)).content)
    first = next(root.iter(SM + "url"))
    record = {a["url"]: a for a in m["articles"]}[first.find(SM + "loc").text]
    assert first.find(SM + "lastmod").text == record["modified"]


def sitemap_index_child(index_url: str) -> str:
    root = ET.fromstring(fetch(index_url).content)
    return next(root.iter(SM + "loc")).text


def test_wordpress_feeds_parse_and_page(wordpress_site):
    seen, page = [], 1
    while True:
        url = wordpress_site.url + "/feed/" + (f"?paged={page}" if page > 1 else "")
        response = fetch(url)
        if response.status == 404:
            break
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.bozo_exception
        assert feed.version == "rss20" and 1 <= len(feed.entries) <= 10
        seen += [e.link for e in feed.entries]
        page += 1
    assert len(seen) == len(set(seen))
    assert page - 1 == -(-len(seen) // 10)  # every page full but the last, then a 404
    assert {path_key(u) for u in seen} == manifest_paths(wordpress_site)
    atom = feedparser.parse(fetch(wordpress_site.url + "/feed/atom/").content)
    assert atom.version == "atom10" and not atom.bozo and atom.entries[0].updated


def test_blogger_atom_feed_pages_by_rel_next(blogger_site):
    url, seen, pages = blogger_site.url + "/feeds/posts/default", [], 0
    while url:
        feed = feedparser.parse(fetch(url).content)
        assert not feed.bozo and feed.version == "atom10"
        seen += [next(link.href for link in e.links if link.rel == "alternate") for e in feed.entries]
        url = next((link.href for link in feed.feed.links if link.rel == "next"), None)
        pages += 1
    assert pages == 20  # 500 posts, 25 a page
    assert {path_key(u) for u in seen} == manifest_paths(blogger_site) and len(seen) == 500
    rss = feedparser.parse(fetch(blogger_site.url + "/feeds/posts/default?alt=rss").content)
    assert rss.version == "rss20" and len(rss.entries) == 25


def test_feeds_are_sent_chunked(any_site):
    response = fetch(any_site.manifest["feeds"]["rss"], headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.headers
    assert feedparser.parse(response.content).entries


def crawl_links(site, follow_robots: bool = True) -> tuple[set[str], list[str], dict[str, list[str]]]:
    """Breadth-first over HTML links from the home page, same origin, obeying robots.txt."""
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(fetch(site.url + "/robots.txt").text.splitlines())
    origin = urlsplit(site.url).netloc
    queue, seen, fetched, hrefs = deque([site.url + "/"]), {"/"}, [], {}
    while queue:
        url = queue.popleft()
        response = fetch(url)
        fetched.append(url)
        if response.status != 200 or "html" not in response.headers.get("content-type", ""):
            continue
        found, _ = links(response.text, url)
        hrefs[url] = found
        for link in found:
            parts = urlsplit(link)
            if parts.netloc != origin or parts.scheme != "http":
                continue
            if follow_robots and not robots.can_fetch("arshif-test", link):
                continue
            key = path_key(link)
            if key in seen or key.endswith((".xml", "/feed/")):
                continue
            seen.add(key)
            queue.append(urljoin(link, parts.path))
    return seen, fetched, hrefs


@pytest.mark.slow
def test_every_article_is_reachable_by_links_without_disallowed_paths(any_site):
    seen, fetched, _ = crawl_links(any_site)
    assert manifest_paths(any_site) <= seen
    disallowed = any_site.manifest["robots_disallowed"]
    assert not [u for u in fetched if any(path_key(u).startswith(d) for d in disallowed)]


def test_traps_are_linked_from_crawled_pages(any_site):
    m = any_site.manifest
    article = next(a for a in m["articles"] if not a["large"] and a["encoding"] == "utf-8")
    hrefs, assets = links(fetch(article["url"]).text, article["url"])
    joined = "\n".join(hrefs)
    assert "utm_source=" in joined and "fbclid=" in joined
    assert "m=1" in joined
    assert any(re.search("[\u0600-\u06ff]", urlsplit(h).path) for h in hrefs), "a raw-Arabic href"
    assert any(re.search("%[0-9a-f][0-9a-f]", h) and re.search("%d8", h) for h in hrefs), "lower-case escapes"
    assert any(path_key(h).startswith(tuple(m["robots_disallowed"])) for h in hrefs), "a robots-disallowed link"
    assert article["image"] in assets and urlsplit(article["image"]).netloc != urlsplit(any_site.url).netloc
    assert any(a.endswith(".css") or ".css?" in a for a in assets)
    # the 404 linked from the home page, the 301 linked from the about page
    home_links, _ = links(fetch(any_site.url + "/").text, any_site.url + "/")
    assert m["traps"]["missing"] in home_links and fetch(m["traps"]["missing"]).status == 404
    about = m["pages"][0]
    assert m["traps"]["moved"]["from"] in links(fetch(about).text, about)[0]
    moved = fetch(m["traps"]["moved"]["from"])
    assert moved.status == 301 and moved.headers["location"] == m["traps"]["moved"]["to"]
    # every variant of an article URL is the same page
    for variant in article["variants"].values():
        assert fetch(variant).status == 200


def test_blogger_mobile_pages_point_to_the_desktop_url(blogger_site):
    article = blogger_site.manifest["articles"][5]
    page = fetch(article["url"] + "?m=1").text
    assert f'<link rel="canonical" href="{article["url"]}">' in page
    assert ".html?m=1" in page
    assert "?showComment=" in fetch(article["url"]).text or article["comments"] == 0


def test_blogger_header_h1_is_the_site_name(blogger_site):
    article = blogger_site.manifest["articles"][3]
    page = fetch(article["url"]).text
    assert re.search(r"<h1 class=\"title\"><a [^>]+>الإيطالية نيوز</a></h1>", page)
    assert "/search/label/" in page and "post-labels" in page


def test_http_like_a_real_server(any_site):
    m = any_site.manifest
    plain = next(a for a in m["articles"] if not a["gzip"])
    zipped = next(a for a in m["articles"] if a["gzip"] and not a["fault"])
    gz = fetch(zipped["url"], headers={"Accept-Encoding": "gzip, deflate"})
    assert gz.headers["content-encoding"] == "gzip" and int(gz.headers["content-length"]) == len(gz.body)
    assert "content-encoding" not in fetch(zipped["url"]).headers
    assert "content-encoding" not in fetch(plain["url"], headers={"Accept-Encoding": "gzip"}).headers
    etag, last_modified = gz.headers["etag"], gz.headers["last-modified"]
    assert fetch(zipped["url"], headers={"If-None-Match": etag}).status == 304
    assert fetch(zipped["url"], headers={"If-Modified-Since": last_modified}).status == 304
    assert fetch(zipped["url"], headers={"If-None-Match": '"other"'}).status == 200
    head = fetch(zipped["url"], method="HEAD")
    assert head.status == 200 and head.body == b""


def test_request_log_records_what_the_client_sent(any_site):
    ua = "arshif-tests/1.0 (+http://127.0.0.1/contact)"
    url = any_site.manifest["articles"][7]["url"]
    fetch(url, headers={"User-Agent": ua, "Accept-Encoding": "gzip", "If-None-Match": '"x"'})
    deadline = time.monotonic() + 10  # the log line follows the response's last byte by a moment
    while not (mine := [r for r in any_site.requests() if r["user_agent"] == ua]) and time.monotonic() < deadline:
        time.sleep(0.05)
    record = mine[-1]
    assert record["path"] == urlsplit(url).path and record["status"] == 200 and record["bytes"] > 1000
    assert record["accept_encoding"] == "gzip" and record["if_none_match"] == '"x"'
    assert {"method", "query", "if_modified_since", "time"} <= set(record)


def test_windows_1256_article_decodes(any_site):
    url = any_site.manifest["traps"]["legacy_windows_1256"]
    record = next(a for a in any_site.manifest["articles"] if a["url"] == url)
    response = fetch(url)
    assert response.headers["content-type"].lower().endswith("charset=windows-1256")
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    html = response.content.decode("cp1256")
    assert re.search(r"charset=[\"']?windows-1256", html, re.I)
    from lxml import html as lxml_html

    doc = lxml_html.document_fromstring(html)
    body = doc.xpath('//div[contains(@class, "entry-content")]/p')
    assert [p.text_content() for p in body] == record["paragraphs"]


def test_large_article_page_is_several_megabytes(wordpress_site):
    response = fetch(wordpress_site.manifest["traps"]["large"], headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers and len(response.body) > 2_000_000


def test_images_are_real_and_from_the_second_origin(any_site):
    from io import BytesIO

    from PIL import Image

    for fmt in ("jpg", "png"):
        record = next(a for a in any_site.manifest["articles"] if a["image"].endswith(fmt))
        response = fetch(record["image"])
        assert response.status == 200
        image = Image.open(BytesIO(response.body))
        assert image.format == {"jpg": "JPEG", "png": "PNG"}[fmt] and image.size == (640, 360)


def test_blogger_variant_posts_over_http(blogger_site):
    """A post in all three real-Blogger variants (docs/replica.md): <br /> runs, microdata only, the date only in
    its dateline; its `?m=1` view the same."""
    from lxml import html as lxml_html

    article = next(a for a in blogger_site.manifest["articles"]
                   if a["markup_variants"] == ["classic-editor", "microdata-only", "dateline-only"])
    assert article["published_on_page"] == "date" and article["date_sources"] == "dateline-only"
    for url in (article["url"], article["url"] + "?m=1"):
        page = fetch(url).text
        doc = lxml_html.document_fromstring(page)
        body, = doc.xpath('//div[@itemprop="articleBody"]')
        assert not body.xpath(".//p") and body.xpath("./br") and "<br /><br />" in page
        assert "application/ld+json" not in page and "og:type" not in page and "datePublished" not in page
        assert not doc.xpath("//abbr") and not doc.xpath("//time") and 'property="article:' not in page
        assert doc.xpath('//*[@itemtype="http://schema.org/BlogPosting"]/h3[@itemprop="name"]')
        text = "".join(body.itertext()).strip()
        assert text.startswith(article["paragraphs"][0].split(" - ")[0] + " - "), url  # the dateline first
