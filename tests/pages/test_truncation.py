"""archive/pages/truncation.py: HTML that stops mid-document. Conservative: no real page is called truncated (the
real pages corpus, when present, and pages that leave out the optional `</body>` and `</html>`), and pages cut at
any byte mostly are."""

from __future__ import annotations

import random

import pytest

from archive.pages.truncation import OPEN_DIVS_MIN, cut_short
from tests.crawler.hostile_answers import ARTICLES, article, not_found

WHOLE = article(*ARTICLES[0])


def test_a_whole_page_is_not_truncated():
    assert cut_short(WHOLE) is None
    assert cut_short(not_found("/x/")) is None
    assert cut_short(WHOLE.upper()) is None  # </HTML>
    assert cut_short(WHOLE + b"\n\n<!-- served in 0.2 s -->\n") is None


def test_pages_without_the_optional_end_tags_are_not_truncated():
    assert cut_short(b"<!doctype html><html><head><title>t</title></head><body><div><p>text</p></div>\n") is None
    assert cut_short(b"<html><body><script>var a = 1;</script>\n") is None
    assert cut_short(b"<html><body><div><div></div>\n<!-- end -->") is None


def test_what_is_not_an_html_document_is_never_truncated():
    assert cut_short(b"") is None
    assert cut_short(b'<?xml version="1.0"?><urlset><url><loc>http://h/a</lo') is None
    assert cut_short(b"body { color: red") is None
    assert cut_short(b"<p>a fragment with no html or body element") is None


def test_how_a_cut_shows():
    assert "inside a tag" in cut_short(b"<html><body><p>text</p><p cla")
    assert "in the middle of its text" in cut_short("<html><body><p>نص مقطوع في الوس".encode())
    assert "<script> never closed" in cut_short(b"<html><body><script>if (a > b) {")
    assert "<style> never closed" in cut_short(b"<html><head><style>p > a { color: red }")
    assert "inside a comment" in cut_short(b"<html><body><!-- a comment that > goes")
    deep = b"<html><body>" + b"<div>" * OPEN_DIVS_MIN + b"<p>text</p>"
    assert f"{OPEN_DIVS_MIN} <div> elements left open" in cut_short(deep)
    assert cut_short(b"<html><body>" + b"<div>" * (OPEN_DIVS_MIN - 1) + b"<p>text</p>") is None


def test_a_page_cut_anywhere_is_mostly_caught():
    rng = random.Random(27)
    cuts = [rng.randrange(len(WHOLE) // 10, len(WHOLE) - len(b"</body></html>")) for _ in range(200)]
    caught = sum(1 for n in cuts if cut_short(WHOLE[:n]))
    assert caught >= 190, caught
    assert cut_short(WHOLE[:len(WHOLE) // 2])  # the crawl test's always-cut page


def test_no_real_page_is_called_truncated():
    """The real pages corpus (bench/real_pages.py; 181 news and blog pages when fetched): none whole is called
    truncated, and nearly all cut at a random byte are. Skipped where the corpus is not on this machine."""
    real_pages = pytest.importorskip("bench.real_pages")
    try:
        _, pages, _ = real_pages.load_default()
    except real_pages.NoPages as exc:
        pytest.skip(str(exc))
    assert [p.name for p in pages if cut_short(p.html)] == []
    rng = random.Random(7)
    cut = [p.html[:rng.randrange(len(p.html) // 10, len(p.html) - 10)] for p in pages]
    assert sum(1 for body in cut if cut_short(body)) >= 0.9 * len(cut)
