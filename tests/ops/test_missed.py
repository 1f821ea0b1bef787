"""archive/ops/missed.py: pages listed as posts and not stored as articles. A page a rule refused (a soft-404, a
truncated answer, a page too large: archive.pages.not_articles) is listed with its reason but is not a lost article:
`lost` false in the list, counted apart (refused_reasons) and never among missed_reasons."""

from __future__ import annotations

from archive.core.paths import database
from archive.ops.missed import missed_pages, missed_reasons, refused_reasons
from archive.pages.extraction import Article
from archive.pages.not_articles import SOFT_404, TOO_LARGE, TRUNCATED, refused
from archive.store.database import Store

ROWS = {
    "http://h/2021/10/01/a/": "noindex",
    "http://h/2021/10/02/b/": "extraction failed: no body text",
    "http://h/2021/10/09/100%25-sure/": refused(SOFT_404, 'the title "الصفحة غير موجودة" of the answer …'),
    "http://h/2021/10/12/c/": refused(SOFT_404, "the text of the answer …"),
    "http://h/2021/10/06/d/": refused(TRUNCATED, "the document ends inside a tag (<p cla)"),
    "http://h/2021/10/07/e/": refused(TOO_LARGE, "12000000 bytes, past ARSHIF_ARTICLE_MAX_SIZE"),
}


def archive_with_missed_posts(data) -> None:
    data.mkdir()
    store = Store(database(data))
    store.note_urls([{"canonical": url, "kind": "article", "seen": "2026-01-01T00:00:00+00:00", "crawl_id": None,
                      "is_article": 0, "fetched": "2026-01-01T00:00:00+00:00", "status": 200, "listed_as_post": 1,
                      "detection": detection} for url, detection in ROWS.items()])
    store.note_urls([{"canonical": "http://h/2021/10/03/not-listed/", "kind": "article", "seen": "2026-01-01",
                      "crawl_id": None, "is_article": 0, "fetched": "2026-01-01T00:00:00+00:00", "status": 200,
                      "detection": refused(SOFT_404)}])  # not listed as a post: not in missed at all
    store.close()


def test_refused_pages_are_listed_but_not_lost(tmp_path):
    data = tmp_path / "data"
    archive_with_missed_posts(data)
    report = missed_pages(data)
    assert {page.url: (page.reason, page.lost) for page in report.pages} == {
        url: (detection, url in ("http://h/2021/10/01/a/", "http://h/2021/10/02/b/"))
        for url, detection in ROWS.items()}
    assert all(set(item) == {"url", "reason", "fetched", "lost", "evidence"} for item in report.as_list())
    assert {page.evidence for page in report.pages} == {"listed as a post"}
    assert report.summary() == ("2 page(s) the site gives as posts and not stored as articles; 4 more refused as "
                                "articles by a rule (soft-404, truncated, too large), not lost: the site served no "
                                "article there")
    with Store.open_for_reading(data, search=False) as store:
        assert missed_reasons(store) == {"noindex": 1, "extraction failed: no body text": 1}
        assert refused_reasons(store) == {"soft-404": 2, "truncated": 1, "too large": 1}


def test_an_archive_with_nothing_refused_says_so_with_zeros(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    Store(database(data)).close()
    assert missed_pages(data).summary() == "0 page(s) the site gives as posts and not stored as articles"
    with Store.open_for_reading(data, search=False) as store:
        assert missed_reasons(store) == {} and refused_reasons(store) == dict.fromkeys(("soft-404", "truncated",
                                                                                        "too large"), 0)


PELICAN = "http://p.test"


def pelican_archive(data, stored: int = 5) -> None:
    """Pelican's layout: articles at `/<slug>.html`, static pages under `/pages/`, listings by name or under
    `/category/`; one plain `sitemap.xml` lists them all (issue 28)."""
    data.mkdir()
    store = Store(database(data))
    store.store_articles([(Article(f"{PELICAN}/khabar-{n}.html", f"خبر {n}", f"نص الخبر رقم {n}.").as_dict(),
                           {"record_id": f"<urn:{n}>", "timestamp": "20260101000000"}) for n in range(stored)])
    sitemap = {"listed_in_sitemap": f"{PELICAN}/sitemap.xml"}
    pages = {
        "/qasir-1.html": ("no article signal", sitemap),             # a short article of the sitemap: lost
        "/qasir-2.html": ("no article signal", {}),                  # in no sitemap, shaped like the articles: lost
        "/qasir-3.html": (refused(TRUNCATED, "<p"), {}),             # refused: listed, not lost
        "/pages/man-nahnu.html": ("no article signal", sitemap),     # a static page of the sitemap: listed
        "/pages/khususiya.html": ("no article signal", {}),          # no sitemap, not the articles' shape
        "/archives.html": ("list of linked headlines", sitemap),     # detection knew better
        "/categories.html": ("no article signal", sitemap),          # a listing by its name
        "/category/biia.html": ("a listing or static page by its URL", sitemap),
        "/tags.html": ("no article signal", {}),
        "/arshif-probe-0a1b2c3d4e5f.html": (refused(SOFT_404), {}),  # a soft-404 probe is never an article
    }
    store.note_urls([{"canonical": PELICAN + path, "kind": "page", "seen": "2026-01-01T00:00:00+00:00",
                      "crawl_id": None, "is_article": 0, "fetched": "2026-01-01T00:00:00+00:00", "status": 200,
                      "detection": detection, **listed} for path, (detection, listed) in pages.items()])
    store.note_urls([{"canonical": f"{PELICAN}/sitemap.xml", "kind": "sitemap", "seen": "2026-01-01", "crawl_id": None,
                      "fetched": "2026-01-01T00:00:00+00:00", "status": 200}])
    store.close()


def test_missed_means_missed_a_plain_sitemap_and_the_articles_url_shape(tmp_path):
    data = tmp_path / "data"
    pelican_archive(data)
    report = missed_pages(data)
    assert {page.url.removeprefix(PELICAN): (page.evidence, page.lost) for page in report.pages} == {
        "/pages/man-nahnu.html": ("listed by a sitemap", True),
        "/qasir-1.html": ("listed by a sitemap", True),
        "/qasir-2.html": ("shaped like the site's articles", True),
        "/qasir-3.html": ("shaped like the site's articles", False)}
    with Store.open_for_reading(data, search=False) as store:
        assert missed_reasons(store) == {"no article signal": 3}
        assert refused_reasons(store)["truncated"] == 1


def test_a_shape_needs_enough_stored_articles(tmp_path):
    data = tmp_path / "data"
    pelican_archive(data, stored=4)
    assert [page.url.removeprefix(PELICAN) for page in missed_pages(data).pages] == [
        "/pages/man-nahnu.html", "/qasir-1.html"]
