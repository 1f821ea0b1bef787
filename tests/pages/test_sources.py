"""What sitemaps and feeds list (archive.pages.sources) and how a page or a stylesheet is read from its Content-Type:
pure functions, no network."""

from __future__ import annotations

import gzip

import pytest

from archive.pages.detection import html_encoding
from archive.pages.requisites import is_stylesheet, stylesheet_charset
from archive.pages.sources import first_page, is_comments_feed, is_posts_sitemap, parse_feed, same_time, sitemap_xml

RSS = b"""<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<item><link>http://x/2021/09/a/</link><pubDate>Tue, 14 Sep 2021 10:00:00 +0000</pubDate><dc:creator>Leila</dc:creator>
</item><item><link> /2021/09/b/ </link></item></channel></rss>"""


@pytest.mark.parametrize("url, posts", [
    ("http://x/wp-sitemap-posts-post-1.xml", True), ("http://x/wp-sitemap-posts-page-1.xml", False),
    ("http://x/wp-sitemap-taxonomies-category-1.xml", False), ("http://x/wp-sitemap-users-1.xml", False),
    ("http://x/sitemap.xml?page=2", True), ("http://x/sitemap-pages.xml", False), ("http://x/post-sitemap2.xml", True),
    ("http://x/post_tag-sitemap.xml", False), ("http://x/news-sitemap.xml", True), ("http://x/sitemap.xml", False),
])
def test_which_sitemaps_list_posts(url, posts):
    assert is_posts_sitemap(url) is posts


@pytest.mark.parametrize("url, comments", [
    ("http://x/feed/", False), ("http://x/feeds/posts/default", False), ("http://x/feed/atom/", False),
    ("http://x/comments/feed/", True), ("http://x/feeds/comments/default", True),
    ("http://x/2021/09/14/slug/feed/", True),
])
def test_comment_feeds_are_not_sources(url, comments):
    assert is_comments_feed(url) is comments


def test_a_wordpress_feed_is_paged_by_query_and_an_entry_belongs_to_its_first_page():
    page = parse_feed(RSS, "http://x/feed/")
    assert page.dialect == "rss" and page.entries == [("http://x/2021/09/a/", "Tue, 14 Sep 2021 10:00:00 +0000"),
                                                      ("http://x/2021/09/b/", None)]
    assert page.authors == {"http://x/2021/09/a/": "Leila"} and page.next_url == "http://x/feed/?paged=2"
    assert parse_feed(RSS, page.next_url).next_url == "http://x/feed/?paged=3"
    assert first_page("http://x/feed/?paged=3") == "http://x/feed/"
    assert first_page("http://x/feeds/posts/default?start-index=26&max-results=25") == \
        "http://x/feeds/posts/default?max-results=25"
    assert parse_feed(b"<html><body>not a feed</body></html>", "http://x/feed/") is None


def test_a_sitemap_is_read_gzipped_or_not():
    xml = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'
    assert sitemap_xml(xml) == xml and sitemap_xml(gzip.compress(xml)) == xml
    assert sitemap_xml(gzip.compress(xml)[:20]) == b""  # damaged: nothing, counted as a sitemap that did not parse


def test_dates_of_sources_compare_as_instants():
    assert same_time("2021-09-14T10:00:00+00:00", "Tue, 14 Sep 2021 10:00:00 +0000")
    assert same_time("2021-09-14T10:00:00.000Z", "2021-09-14T12:00:00+02:00")
    assert not same_time("2021-09-14T10:00:00Z", "2021-09-14T10:00:01Z")
    assert same_time("yesterday", "yesterday") and not same_time("yesterday", "today")


@pytest.mark.parametrize("content_type, encoding", [
    ("text/html; charset=windows-1256", "cp1256"),
    ("text/html; charset=WINDOWS-1256", "cp1256"),
    ('text/html; charset="windows-1256"', "cp1256"),  # a quoted value, as HTTP allows
    ("text/html;Charset = windows-1256", "cp1256"),   # parameter names are case-insensitive
    ("text/html", "cp1256"), ("", "cp1256"), (None, "cp1256"),  # detected: never windows-1252 (issue 27)
])
def test_a_legacy_page_is_read_in_the_charset_its_header_names(content_type, encoding):
    body = "<html><body><p>خبر</p></body></html>".encode("cp1256")  # not UTF-8, no <meta charset>
    assert html_encoding(body, content_type) == encoding
    assert html_encoding("<p>خبر</p>".encode(), content_type) == "utf-8"  # valid UTF-8 first, whatever the header


def test_a_stylesheet_by_its_content_type_and_its_charset():
    assert is_stylesheet("http://x/style", "text/css; charset=utf-8") and is_stylesheet("http://x/a.css?v=2")
    assert not is_stylesheet("http://x/a.css", "text/html") and not is_stylesheet("http://x/style")
    body = b'@charset "iso-8859-6"; a { content: "x" }'
    assert stylesheet_charset("text/css; charset=windows-1256", body) == "windows-1256"
    assert stylesheet_charset("text/css", body) == "iso-8859-6"
    assert stylesheet_charset("", b"a {}") == "utf-8" and stylesheet_charset("text/css; charset=nonsense", body) == \
        "utf-8"
