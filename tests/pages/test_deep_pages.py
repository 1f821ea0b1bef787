"""Parsing that cannot blow up (issue 27, Deliver 2 and 4): very deep trees are cut by libxml2's depth limit (lxml's
parser without huge_tree), in bounded time and with no RecursionError anywhere after; pages too large to be articles
are refused by a scan of their bytes, before any parse (archive.pages.limits)."""

from __future__ import annotations

import time

import pytest

from archive.pages.detection import parse_and_analyse, parse_html
from archive.pages.extraction import extract_page
from archive.pages.limits import ARTICLE_MAX_SIZE, ARTICLE_MAX_TAGS, not_an_article, too_large, truncated
from archive.pages.not_articles import TOO_LARGE, TRUNCATED, refused_reason

URL = "http://example.org/2022/03/14/a3maq/"
HEADERS = {"Content-Type": "text/html; charset=utf-8"}
PARAGRAPH = ("<p>ناقش المجلس البلدي مساء أمس خطة توسيع الحديقة العامة وزراعة أشجار جديدة على ضفتي القناة، "
             "وقال رئيس المجلس إن التنفيذ سيبدأ بعد انتهاء موسم الأمطار.</p>")
HEAD = ('<!doctype html><html lang="ar"><head><meta charset="utf-8"><title>الحديقة العامة</title>'
        '<meta property="og:type" content="article"></head><body><article><h1>الحديقة العامة</h1>')
LIBXML2_MAX_DEPTH = 256  # libxml2's limit on nesting without XML_PARSE_HUGE (lxml's huge_tree)
BOUND = 5.0              # seconds: each case here takes well under 0.1 s; a parser without the limit takes minutes


def deep(opening: str, closing: str, n: int = 1_000_000) -> bytes:
    """An article whose text is followed by `n` nested elements (the issue's page: 11 MB of 1,000,000 <div>s)."""
    before = "".join(PARAGRAPH.replace("<p>", f"<p>الفقرة {i}: ") for i in range(5))
    inside = PARAGRAPH.replace("<p>", "<p>الفقرة الأخيرة: ")
    return (HEAD + before + opening * n + inside + closing * n + "</article></body></html>").encode()


def depth(doc) -> int:
    """The tree's depth, walked without recursion."""
    most, level = 0, [(doc, 0)]
    while level:
        element, d = level.pop()
        most = max(most, d)
        level.extend((child, d + 1) for child in element)
    return most


@pytest.mark.parametrize(("opening", "closing"), [("<div>", "</div>"), ("<span>", "</span>"), ("<b>", "</b>"),
                                                  ("<ul><li>", "</li></ul>"), ("<blockquote>", "</blockquote>")])
def test_a_million_nested_elements_parse_in_bounded_time_and_depth(opening, closing):
    page = deep(opening, closing)
    started = time.monotonic()
    doc = parse_html(page, URL, "utf-8")
    doc_facts = parse_and_analyse(page, URL, "utf-8")[1]
    article, why = extract_page(page, URL, HEADERS)
    assert time.monotonic() - started < BOUND
    assert depth(doc) <= LIBXML2_MAX_DEPTH
    assert doc_facts.is_article and article is not None  # the text before the depth limit is read
    assert "الفقرة 4:" in article.body


def test_a_page_nested_less_than_the_limit_is_read_whole():
    page = deep("<div>", "</div>", 200)
    article, _ = extract_page(page, URL, HEADERS)
    assert article is not None and "الفقرة 4:" in article.body and "الفقرة الأخيرة:" in article.body


def test_the_issues_deep_page_is_too_large_to_be_an_article():
    page = deep("<div>", "</div>")
    assert len(page) > 11_000_000
    assert refused_reason(too_large(page)) == TOO_LARGE


def test_too_large_counts_bytes_then_tags_without_parsing():
    assert too_large(b"<p>" * 10) is None
    assert too_large(b"x" * 101, max_size=100, max_tags=0) == "too large: 101 bytes, past ARSHIF_ARTICLE_MAX_SIZE"
    assert too_large(b"<a>" * 50, max_size=0, max_tags=40) == "too large: 50 tags, past ARSHIF_ARTICLE_MAX_TAGS"
    assert too_large(b"x" * 101, max_size=0, max_tags=0) is None  # 0: no limit
    # 400,000 bare links in 1.6 MB: 19 s and 540 MiB in extraction, refused in a few milliseconds
    links = (HEAD + "<a>x" * 400_000).encode()
    started = time.monotonic()
    assert too_large(links) == "too large: 400012 tags, past ARSHIF_ARTICLE_MAX_TAGS"
    assert time.monotonic() - started < 0.5


def test_the_defaults_leave_the_replicas_largest_article_alone():
    """The replica's article with 6,000 reader comments (6 MB, 132,000 tags) is a real article and stays one."""
    from replica.server import ReplicaApp, ReplicaConfig

    app = ReplicaApp(ReplicaConfig(articles=20), "http://127.0.0.1:1", "http://127.0.0.1:2")
    page = app.pages.article(app.site.large_id)[0].encode()
    assert page.count(b"<") > 100_000
    assert too_large(page) is None and (ARTICLE_MAX_SIZE, ARTICLE_MAX_TAGS) == (8 << 20, 200_000)


def test_a_page_cut_short_is_refused_whatever_its_size():
    assert not_an_article(b"<p>short</p>", "length") == "truncated: cut at a size limit (WARC-Truncated: length)"
    assert not_an_article(b"", "disconnect") == "truncated: WARC-Truncated: disconnect"
    seen = "the document ends inside a <script> never closed"
    assert not_an_article(b"", seen) == truncated(seen) == f"truncated: {seen}"
    assert refused_reason(not_an_article(b"", "time")) == TRUNCATED
    assert not_an_article(b"<p>whole</p>") is None
