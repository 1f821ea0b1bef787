"""The real WordPress world (tests/wordpress/) is what later tests assume: Arabic, both themes, the manifest true
to what is served, the sitemaps, feeds, comment links and 404s that a crawler meets on a real WordPress 6.1.

Only loopback HTTP (tests/http_client.py), as a crawler sees the sites.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest

from tests.conftest import REPORT
from tests.http_client import TEST_AGENT, fetch, path_key

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(params=["classic", "block"])
def real_wp(request, wordpress_world):
    return wordpress_world.site(request.param)


def sample(posts: list[dict], count: int = 12) -> list[dict]:
    """Oldest, newest, a few Italian ones, a few with texturized titles, and an even spread of the rest."""
    chosen = {0: posts[0], len(posts) - 1: posts[-1]}
    chosen.update([(i, p) for i, p in enumerate(posts) if p["lang"] == "it"][:3])
    chosen.update([(i, p) for i, p in enumerate(posts) if p["title_html"] != p["title_raw"]][:3])
    chosen.update({i: posts[i] for i in range(0, len(posts), max(1, len(posts) // count))})
    return [chosen[i] for i in sorted(chosen)]


def fetch_all(urls: list[str]) -> list:
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(fetch, urls))


def h1_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1))).strip()


def sitemap_locs(url: str) -> tuple[str, list[str]]:
    """(root tag, every <loc>) of one sitemap document; no <lastmod> anywhere on WordPress 6.1."""
    response = fetch(url)
    assert response.status == 200, url
    root = ET.fromstring(response.content)
    assert not list(root.iter(SM + "lastmod"))
    return root.tag, [loc.text for loc in root.iter(SM + "loc")]


def without_address(manifest: dict) -> list[dict]:
    return [{k: v.replace(manifest["url"], "") if isinstance(v, str) else v for k, v in p.items()
             if k not in ("comments", "tag_urls")} for p in manifest["posts"]]


def test_world_started_in_time(wordpress_world, real_wp_classic, real_wp_block):
    REPORT.append(f"real WordPress world (MariaDB, install, 2 sites): up in {wordpress_world.seconds} s "
                  f"{wordpress_world.timings}")
    assert wordpress_world.seconds < 60
    classic, block = real_wp_classic.manifest, real_wp_block.manifest
    assert (classic["theme"], classic["block_theme"]) == ("Twenty Twenty-One", False)
    assert (block["theme"], block["block_theme"]) == ("Twenty Twenty-Three", True)
    assert classic["wordpress"].startswith("6.1")
    # the same content on both: ids, titles, dates; only the address differs
    assert without_address(classic) == without_address(block)
    assert 140 <= classic["posts_count"] == len(classic["posts"]) <= 160
    assert {p["category"] for p in classic["posts"]} == {"سياسة", "اقتصاد", "إيطاليا", "العالم العربي", "ثقافة",
                                                         "رياضة"}
    assert {p["lang"] for p in classic["posts"]} == {"ar", "it"}
    writers = [a for a in classic["authors"] if a["posts"]]
    assert 3 <= len(writers) <= 4 and sum(bool(a["bio"]) for a in writers) == 1
    with_image = sum(bool(p["image"]) for p in classic["posts"])
    assert len(classic["posts"]) / 4 < with_image < len(classic["posts"]) / 2
    assert classic["timezone"] == "Europe/Rome" and classic["locale"] == "ar"


def test_home_page_is_arabic_right_to_left(real_wp):
    response = fetch(real_wp.url + "/")
    assert response.status == 200
    page = response.text
    assert re.search(r'<html[^>]*dir="rtl"[^>]*lang="ar"', page)
    assert f"<title>{real_wp.manifest['blogname']}" in page
    newest = real_wp.manifest["posts"][-1]
    assert newest["url"] in page
    # the home page lists posts_per_page posts and links page 2
    assert real_wp.url + "/page/2/" in page


def test_post_urls_answer_with_their_titles(real_wp):
    posts = sample(real_wp.manifest["posts"])
    for post, response in zip(posts, fetch_all([p["url"] for p in posts]), strict=True):
        assert response.status == 200, post["url"]
        page = response.text
        assert h1_text(page) == post["title"], post["url"]
        assert f'datetime="{post["published"]}"' in page
        assert f'<link rel="canonical" href="{post["url"]}" />' in page
        # no validators on pages (feeds have them)
        assert "etag" not in response.headers and "last-modified" not in response.headers
        if post["image"]:
            assert post["image"] in page


def test_manifest_titles_are_texturized(real_wp_classic):
    """What WordPress prints is not what was typed: straight quotes and spaced hyphens become typographic."""
    changed = [p for p in real_wp_classic.manifest["posts"] if p["title_html"] != p["title_raw"]]
    assert changed
    assert any("&#8211;" in p["title_html"] for p in changed)
    assert all("&#" not in p["title"] for p in changed)


def test_slugs_are_arabic_with_lower_case_escapes(real_wp_classic):
    posts = real_wp_classic.manifest["posts"]
    arabic = [p for p in posts if p["lang"] == "ar"]
    assert all(re.fullmatch(r"[0-9a-z%_-]+", p["slug"]) and "%d8%" in p["slug"] for p in arabic)
    assert all(len(p["slug"]) <= 200 for p in posts)
    assert any(p["slug"].endswith("-2") for p in posts)  # the same title twice: WordPress numbers the second


def test_sitemap_lists_exactly_the_published_posts(real_wp):
    m = real_wp.manifest
    robots = fetch(m["robots"])
    assert robots.status == 200
    sitemaps = re.findall(r"^Sitemap: (\S+)$", robots.text, re.M)
    assert sitemaps == [m["sitemap"]]
    tag, children = sitemap_locs(m["sitemap"])
    assert tag == SM + "sitemapindex"
    assert [urlsplit(c).path for c in children] == [
        "/wp-sitemap-posts-post-1.xml", "/wp-sitemap-posts-page-1.xml", "/wp-sitemap-taxonomies-category-1.xml",
        "/wp-sitemap-taxonomies-post_tag-1.xml", "/wp-sitemap-users-1.xml"]
    posts = sitemap_locs(children[0])[1]
    assert sorted(posts) == sorted(p["url"] for p in m["posts"])
    assert m["trashed"]["url"] not in posts
    # the pages' sitemap starts with the home page (the front page shows the latest posts)
    assert sitemap_locs(children[1])[1] == [m["home"]] + [p["url"] for p in m["pages"]]
    assert sorted(sitemap_locs(children[2])[1]) == sorted(c["url"] for c in m["categories"])
    assert sorted(sitemap_locs(children[4])[1]) == sorted(a["url"] for a in m["authors"])


def test_trashed_post_is_gone(real_wp):
    trashed = real_wp.manifest["trashed"]
    assert trashed["slug"].endswith("__trashed")
    assert trashed["url"] not in {p["url"] for p in real_wp.manifest["posts"]}
    assert fetch(trashed["url"]).status == 404


def test_feed_is_rss_with_pub_dates_and_validators(real_wp):
    m = real_wp.manifest
    response = fetch(m["feeds"]["rss"])
    assert response.status == 200 and "application/rss+xml" in response.headers["content-type"]
    feed = feedparser.parse(response.content)
    assert not feed.bozo and feed.version == "rss20"
    newest = list(reversed(m["posts"]))[: m["posts_per_page"]]
    assert [e.link for e in feed.entries] == [p["url"] for p in newest]
    assert all(e.get("published") for e in feed.entries)
    assert "<pubDate>" in response.text and "<lastmod>" not in response.text
    # feeds, unlike pages, carry validators and honour them
    etag, modified = response.headers["etag"], response.headers["last-modified"]
    again = fetch(m["feeds"]["rss"], {"If-None-Match": etag, "If-Modified-Since": modified})
    assert again.status == 304 and again.body == b""
    page2 = fetch(m["feeds"]["rss"] + "?paged=2")
    assert page2.status == 200 and len(feedparser.parse(page2.content).entries) == m["posts_per_page"]


def test_reply_links_are_nofollow_and_their_pages_noindex(real_wp):
    post = next(p for p in real_wp.manifest["posts"] if any(c["parent"] for c in p["comments"]))
    page = fetch(post["url"]).text
    links = re.findall(r"<a ([^>]*class='comment-reply-link'[^>]*)>", page)
    assert len(links) == post["comment_count"]
    assert all("rel='nofollow'" in link for link in links)
    first = post["comments"][0]["id"]
    href = html.unescape(re.search(rf"href='([^']*replytocom={first}[^']*)'", page).group(1))
    assert href == f"{post['url']}?replytocom={first}#respond"
    reply = fetch(href.split("#")[0])
    assert reply.status == 200
    assert re.search(r"<meta name='robots' content='[^']*noindex, follow'", reply.text)
    assert f'<link rel="canonical" href="{post["url"]}" />' in reply.text
    # threaded: a reply sits in a list inside its parent's <li>
    assert re.search(r'<li id="comment-\d+" class="[^"]*depth-2', page)


def test_author_with_a_biography_gets_the_author_box_on_twentytwentyone(real_wp_classic):
    m = real_wp_classic.manifest
    writer = next(a for a in m["authors"] if a["bio"])
    theirs = next(p for p in m["posts"] if p["author"] == writer["name"])
    others = next(p for p in m["posts"] if p["author"] != writer["name"])
    page = fetch(theirs["url"]).text
    box = re.search(r'<div class="author-bio.*?</div><!-- .author-bio -->', page, re.S).group(0)
    assert f'<h2 class="author-title">\n\t\t\tBy {writer["name"]}\t\t\t</h2>' in box
    assert writer["bio"] in box
    assert f'<a class="author-link" href="{writer["url"]}" rel="author">' in box
    assert 'class="author-bio' not in fetch(others["url"]).text


def test_static_pages_and_archives_answer(real_wp):
    m = real_wp.manifest
    titles = {p["url"]: p["title"] for p in m["pages"]}
    assert set(titles.values()) == {"من نحن", "اتصل بنا"}
    urls = list(titles) + [c["url"] for c in m["categories"]] + [a["url"] for a in m["authors"]]
    urls += [m["months"][0]["url"], m["months"][-1]["url"], m["tags"][0]["url"]]
    for url, response in zip(urls, fetch_all(urls), strict=True):
        assert response.status == 200, url
        if url in titles:
            assert h1_text(response.text) == titles[url]


def resource_urls(page: str, base: str) -> list[str]:
    """What a browser would fetch by itself: images (src, srcset), stylesheets, scripts, icons, CSS url()."""
    urls = re.findall(r"<(?:img|script|source|iframe)\b[^>]*\ssrc=['\"]([^'\"]+)", page)
    for srcset in re.findall(r"\ssrcset=['\"]([^'\"]+)", page):
        urls += [part.split()[0] for part in srcset.split(",") if part.strip()]
    for tag in re.findall(r"<link\b[^>]*>", page):
        rel = re.search(r"rel=['\"]([^'\"]+)", tag)
        href = re.search(r"href=['\"]([^'\"]+)", tag)
        if rel and href and set(rel.group(1).split()) & {"stylesheet", "icon", "preload", "modulepreload"}:
            urls.append(href.group(1))
    urls += re.findall(r"url\(['\"]?([^'\")]+)", page)
    return [urljoin(base, html.unescape(u)) for u in urls if not u.startswith("data:")]


def test_nothing_is_fetched_from_outside_loopback(real_wp):
    m = real_wp.manifest
    post = next(p for p in m["posts"] if p["image"] and p["comments"])
    hosts = set()
    for url in (m["home"], post["url"], m["categories"][0]["url"]):
        page = fetch(url).text
        outside = [u for u in resource_urls(page, url) if urlsplit(u).hostname not in LOOPBACK]
        assert outside == [], url
        hosts |= {urlsplit(u).hostname for u in re.findall(r"https?://[^\s\"'<>)\\]+", page.replace("\\/", "/"))}
    # Named but never fetched by a crawler: the footer's credit link (wordpress.org), the REST API's link
    # relation (api.w.org), the SVG namespace, and the emoji script's fallback images (s.w.org) that a browser
    # without emoji fonts would load.
    assert hosts - LOOPBACK <= {"wordpress.org", "api.w.org", "www.w3.org", "s.w.org"}


def test_request_log_records_each_request(real_wp):
    agent = f"{TEST_AGENT} request-log-{real_wp.name}"
    post = real_wp.manifest["posts"][3]
    fetch(post["url"] + "?x=1", {"User-Agent": agent})
    fetch(real_wp.url + "/no-such-page/", {"User-Agent": agent})
    fetch(real_wp.url + "/wp-includes/css/dist/block-library/style-rtl.min.css", {"User-Agent": agent})
    fetch(real_wp.manifest["feeds"]["rss"], {"User-Agent": agent, "If-None-Match": '"x"'})
    mine = [r for r in real_wp.requests() if r["user_agent"] == agent]
    assert [(r["method"], path_key(r["path"]), r["query"], r["status"]) for r in mine] == [
        ("GET", path_key(post["url"]), "x=1", 200), ("GET", "/no-such-page/", "", 404),
        ("GET", "/wp-includes/css/dist/block-library/style-rtl.min.css", "", 200), ("GET", "/feed/", "", 200)]
    assert mine[0]["path"] == urlsplit(post["url"]).path  # as sent: percent-encoded
    assert all(r["bytes"] > 0 for r in mine) and mine[3]["if_none_match"] == '"x"'


def test_php_runs_inside_wordpress(real_wp_classic):
    """Reading only: the shared sites are read-only."""
    out = real_wp_classic.php("echo get_bloginfo('name'), '|', get_option('permalink_structure');")
    assert out == "الإيطالية نيوز|/%year%/%monthnum%/%day%/%postname%/"


def test_private_site_can_be_changed_without_touching_the_shared_one(real_wp_private, real_wp_classic):
    site = real_wp_private("classic")
    assert site.url != real_wp_classic.url
    post = site.manifest["posts"][-1]
    site.php(f"wp_update_post(['ID' => {post['id']}, 'post_title' => 'عنوان معدل']);")
    manifest = site.write_manifest()
    assert manifest["posts"][-1]["title"] == "عنوان معدل"
    assert h1_text(fetch(manifest["posts"][-1]["url"]).text) == "عنوان معدل"
    shared = fetch(real_wp_classic.manifest["posts"][-1]["url"])
    assert h1_text(shared.text) == real_wp_classic.manifest["posts"][-1]["title"] == post["title"]
