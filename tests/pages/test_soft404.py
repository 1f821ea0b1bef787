"""archive/pages/soft404.py: a URL's pattern and probe, a page's signature, and what matches a probe's answer. Above
all: a real article that merely wears the site's chrome (a long header, sidebar and footer shared with the "not
found" page) never matches, whatever its length or title."""

from __future__ import annotations

from archive.pages import soft404
from archive.pages.detection import parse_html
from archive.pages.soft404 import NEAR_IDENTICAL, NOVEL_MAX, Signature, jaccard, matches, probe_pattern, probe_url
from tests.crawler.hostile_answers import ARTICLES, NOT_FOUND_TITLE, article, not_found, page


def sig(body: bytes) -> Signature:
    return soft404.signature(parse_html(body, "http://h/", "utf-8"))


def test_patterns_generalise_numbers_and_the_last_segment():
    assert probe_pattern("http://h/2021/10/09/100%25-sure/") == "http://h/N/N/N/*/"
    assert probe_pattern("http://h/2021/10/09/khabar/") == probe_pattern("http://h/2020/01/31/akhar/")
    assert probe_pattern("http://h/2021/10/slug.html") == "http://h/N/N/*.html"
    assert probe_pattern("http://h/2021/10/slug.html") != probe_pattern("http://h/2021/10/slug/")
    assert probe_pattern("http://h/2021/10/09/a.b.c/") == "http://h/N/N/N/*/"  # a dotted slug has no extension
    assert probe_pattern("http://h/?p=12") == probe_pattern("http://h/?p=13") == "http://h/?p"
    assert probe_pattern("http://h/2021/10/09/x/") != probe_pattern("https://h/2021/10/09/x/")
    assert probe_pattern("http://h/") is None and probe_pattern("http://h/?s=word") is None


def test_a_probe_asks_the_same_directory_for_a_slug_that_cannot_exist():
    assert probe_url("http://h/2021/10/09/100%25-sure/", "ab12") == "http://h/2021/10/09/arshif-probe-ab12/"
    assert probe_url("http://h/2021/10/slug.html", "ab12") == "http://h/2021/10/arshif-probe-ab12.html"
    assert probe_url("http://h/%D8%A7/slug?x=1", "ab12") == "http://h/%D8%A7/arshif-probe-ab12?x=1"
    number = probe_url("http://h/?p=12", "ab12")
    assert number.startswith("http://h/?p=9") and number != probe_url("http://h/?p=12", "ab13")
    assert probe_url("http://h/") is None
    first, second = probe_url("http://h/2021/10/09/x/"), probe_url("http://h/2021/10/09/x/")
    assert first != second and soft404.is_probe_url(first) and not soft404.is_probe_url("http://h/2021/10/09/x/")
    assert probe_pattern(first) == probe_pattern("http://h/2021/10/09/x/")


def test_the_not_found_page_matches_itself_at_any_path():
    probe = sig(not_found("/2021/10/09/arshif-probe-5f0c9a1e2b3d/"))
    assert probe.title == NOT_FOUND_TITLE
    for path in ("/2021/10/09/100%-sure/", "/2021/10/12/khabar-qadim/", "/2021/11/la-wujud.html"):
        assert matches(probe, sig(not_found(path))) is not None, path
    # a theme that titles the "not found" page after the path: the text alone, near-identical
    renamed = sig(not_found("/2021/10/09/x/").replace(NOT_FOUND_TITLE.encode(), "x غير موجودة".encode(), 1))
    assert renamed.title != probe.title and jaccard(probe.words, renamed.words) >= NEAR_IDENTICAL
    assert "Jaccard" in matches(probe, renamed)


def test_real_articles_in_the_same_chrome_never_match():
    probe = sig(not_found("/2021/10/09/arshif-probe-5f0c9a1e2b3d/"))
    for path, title, paragraphs in ARTICLES:
        assert matches(probe, sig(article(path, title, paragraphs))) is None, path
    # the shortest real article there is: one sentence, under a chrome of hundreds of words that it shares whole
    short = sig(page("افتتاح مكتبة", "<article><h1>افتتاح مكتبة</h1><p>افتتحت جمعية ثقافية مكتبة عربية صغيرة في "
                                     "حي سان سالفاريو تضم كتبا للأطفال ودروسا مسائية في الخط العربي.</p></article>"))
    assert len(short.words - probe.words) > NOVEL_MAX
    assert matches(probe, short) is None


def test_a_shared_title_alone_is_not_enough():
    """Some themes title every page with the site's name: the "not found" page and every article alike."""
    same = "الإيطالية نيوز"
    probe = sig(not_found("/2021/10/09/arshif-probe-1/").replace(NOT_FOUND_TITLE.encode(), same.encode(), 1))
    path, _, paragraphs = ARTICLES[3]
    assert matches(probe, sig(article(path, same, paragraphs))) is None


def test_near_identical_text_alone_is_not_enough_for_a_page_with_words_of_its_own():
    words = frozenset(f"كلمة{i}" for i in range(400))
    own = frozenset(f"خبر{i}" for i in range(NOVEL_MAX + 1))
    probe, page_ = Signature("x", words), Signature("y", words | own)
    assert jaccard(probe.words, page_.words) >= NEAR_IDENTICAL
    assert matches(probe, page_) is None
    assert matches(probe, Signature("y", words | frozenset(list(own)[:NOVEL_MAX]))) is not None


def test_signature_reads_visible_text_only_and_leaves_numbers_out():
    body = ("<html><head><title>  عنوان   الصفحة </title><style>.a{color:red}</style></head><body><p>نص ظاهر 2021</p>"
            "<script>var hidden = 1;</script><noscript>مخفي</noscript></body></html>").encode()
    assert sig(body) == Signature("عنوان الصفحة", frozenset({"نص", "ظاهر"}))
    assert jaccard(frozenset(), frozenset()) == 1.0


def test_soft_404_gives_the_detection_text_from_the_probes_of_each_pattern():
    """What reextract or rebuild would do with the probes' answers found among the captures."""
    probe_at = "http://h/2021/10/09/arshif-probe-5f0c9a1e2b3d/"
    probes = {probe_pattern(probe_at): soft404.answer_signature(not_found(probe_at[8:]), probe_at)}
    assert soft404.answer_signature(b"", "http://h/") is None
    found = soft404.soft_404("http://h/2021/10/12/khabar-qadim/", sig(not_found("/2021/10/12/khabar-qadim/")), probes)
    assert found.startswith("soft-404: the title")
    assert soft404.soft_404(probe_at, probes[probe_pattern(probe_at)], probes) is None  # the probe itself
    path, title, paragraphs = ARTICLES[0]
    assert soft404.soft_404("http://h" + path, sig(article(path, title, paragraphs)), probes) is None
    other = "http://h/2021/11/la-wujud.html"  # a pattern without a probe
    assert soft404.soft_404(other, sig(not_found("/2021/11/la-wujud.html")), probes) is None
