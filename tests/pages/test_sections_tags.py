"""Section and tags from the site's own structure (issue 28): the article's links into the site's category and tag
listings (Pelican's default theme links them without rel=tag), never its navigation menu, and the feed's <category>
elements as the last resort. Markup written by hand after Pelican 4's default theme (notmyidea)."""

from __future__ import annotations

from archive.pages.extraction import extract, linked_terms, parse_html
from archive.pages.sources import listed_fallback, parse_feed

SITE = "http://pelican.test"
URL = SITE + "/zilzal-fi-al-shamal.html"
BODY = ("<p>ضرب زلزال خفيف المناطق الشمالية صباح اليوم، وقالت هيئة الرصد إن قوته بلغت أربع درجات، ولم تسجل أي أضرار "
        "في المباني أو إصابات بين السكان حتى الآن.</p>"
        "<p>وأوضحت الهيئة أن فرقها تتابع الوضع عن كثب، ودعت المواطنين إلى الهدوء واتباع إرشادات السلامة المعتادة.</p>")
MENU = ('<header id="banner" class="body"><h1><a href="/">موقع الأخبار</a></h1>'
        '<nav id="menu"><ul><li><a href="/pages/man-nahnu.html">من نحن</a></li>'
        '<li><a href="/category/siyasa.html">سياسة</a></li><li class="active"><a href="/category/biia.html">بيئة</a>'
        '</li><li><a href="/category/riyada.html">رياضة</a></li></ul></nav></header>')
FOOTER = ('<footer id="contentinfo" class="body"><a href="/tag/akhbar.html">أخبار</a> '
          '<a href="/category/iqtisad.html">اقتصاد</a></footer>')


def pelican_page(meta: str = "", *, menu: str = MENU, body: str = BODY) -> bytes:
    return (f'<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>زلزال خفيف في الشمال</title></head>'
            f'<body id="index" class="home">{menu}<section id="content" class="body"><article>'
            f'<header><h1 class="entry-title"><a href="/zilzal-fi-al-shamal.html" rel="bookmark">زلزال خفيف في '
            f'الشمال</a></h1></header><div class="entry-content"><footer class="post-info">'
            f'<abbr class="published" title="2021-03-04T09:00:00+01:00">الخميس 04 مارس 2021</abbr>'
            f'<address class="vcard author">بقلم <a class="url fn" href="/author/salma.html">سلمى</a></address>'
            f'{meta}</footer>{body}</div></article></section>{FOOTER}</body></html>').encode()


def take(page: bytes, **said):
    """The page's article, as a crawl that found it in the site's posts feed extracts it (short Pelican articles
    have no signal of their own: issue 28's site profile is another piece of work)."""
    return extract(page, URL, listed=True, **said)


PELICAN_META = ('<p>في <a href="/category/biia.html">بيئة</a>.</p><p>الوسوم: <a href="/tag/zalazil.html">زلازل</a> '
                '<a href="/tag/al-shamal.html">الشمال</a> </p>')


def test_pelican_links_give_the_section_and_tags_and_the_menu_gives_nothing():
    article = take(pelican_page(PELICAN_META))
    assert article.section == "بيئة"  # the menu lists every category, with this one marked active
    assert article.tags == ["زلازل", "الشمال"]  # not the page footer's أخبار


def test_a_page_whose_menu_lists_every_category_and_links_none_itself_gets_none():
    article = take(pelican_page())
    assert article.section is None and article.tags == []


def test_wordpress_and_other_shapes_and_encoded_slugs():
    meta = ('<span class="cat-links"><a href="https://www.pelican.test/ar/categoria/%D8%AB%D9%82%D8%A7%D9%81%D8%A9/">'
            '</a></span> <a href="/tags/%D9%85%D8%B3%D8%B1%D8%AD/">#مسرح (3)</a> '
            '<a href="http://other.test/tag/kharij/">خارج الموقع</a>'
            '<a href="/search/label/%D9%81%D9%86%D9%88%D9%86">فنون</a>')
    doc = parse_html(pelican_page(meta), URL)
    # an empty link text: the slug, decoded; "#" and a count dropped; another site's tags are not this site's
    assert linked_terms(doc, URL) == (["ثقافة"], ["مسرح", "فنون"])


def test_sidebars_widgets_breadcrumbs_and_the_page_header_are_navigation():
    extra = ('<aside><a href="/tag/jaanib.html">جانب</a></aside><div class="widget tagcloud">'
             '<a href="/tag/sahaba.html">سحابة</a></div><div class="breadcrumbs">'
             '<a href="/category/fatat.html">فتات</a></div><nav><a href="/tag/tanaqqul.html">تنقل</a></nav>')
    doc = parse_html(pelican_page(extra + PELICAN_META), URL)
    assert linked_terms(doc, URL) == (["بيئة"], ["زلازل", "الشمال"])


def test_a_page_without_an_article_element_reads_links_outside_its_header_and_footer():
    page = (f'<html><body>{MENU}<div class="post"><h1>زلزال</h1>{PELICAN_META}{BODY}</div>{FOOTER}</body></html>')
    assert linked_terms(parse_html(page.encode(), URL, "utf-8"), URL) == (["بيئة"], ["زلازل", "الشمال"])


def test_explicit_metadata_comes_before_links_and_links_before_the_feed():
    metas = '<meta property="article:section" content="علوم"><meta property="article:tag" content="هزات">'
    page = pelican_page(PELICAN_META).replace(b"</head>", metas.encode() + b"</head>")
    article = take(page, listed_categories=["من الخلاصة", "وسم الخلاصة"])
    assert (article.section, article.tags) == ("علوم", ["هزات"])
    article = take(pelican_page(PELICAN_META), listed_categories=["من الخلاصة", "وسم الخلاصة"])
    assert (article.section, article.tags) == ("بيئة", ["زلازل", "الشمال"])
    article = take(pelican_page(), listed_categories=["بيئة", "زلازل", "بيئة", " الشمال "])
    assert (article.section, article.tags) == ("بيئة", ["زلازل", "الشمال"])


def test_the_feed_fills_only_what_the_page_left_empty():
    assert listed_fallback("بيئة", [], ["سياسة", "زلازل"]) == ("بيئة", ["سياسة", "زلازل"])
    assert listed_fallback(None, ["زلازل"], ["بيئة", "الشمال"]) == ("بيئة", ["زلازل"])
    assert listed_fallback(None, [], []) == (None, [])


def test_feed_categories_rss_and_atom():
    rss = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
           '<item><title>زلزال</title><link>http://pelican.test/zilzal.html</link><category>بيئة</category>'
           '<category><![CDATA[ زلازل ]]></category><category>زلازل</category></item>'
           '<item><title>بلا وسوم</title><link>http://pelican.test/bila.html</link></item></channel></rss>')
    page = parse_feed(rss.encode(), "http://pelican.test/feeds/all.rss.xml")
    assert page.categories == {"http://pelican.test/zilzal.html": ["بيئة", "زلازل"]}
    atom = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
            '<entry><title>زلزال</title><link href="http://pelican.test/zilzal.html" rel="alternate"/>'
            '<category term="biia" label="بيئة"/><category term="زلازل"/>'
            '<category scheme="http://schemas.google.com/g/2005#kind" '
            'term="http://schemas.google.com/blogger/2008/kind#post"/></entry></feed>')
    page = parse_feed(atom.encode(), "http://pelican.test/feeds/all.atom.xml")
    assert page.categories == {"http://pelican.test/zilzal.html": ["بيئة", "زلازل"]}


def test_a_feed_read_after_the_page_fills_section_and_tags_without_a_new_version(tmp_path):
    from archive.core.paths import database
    from archive.pages.extraction import Article
    from archive.store.database import Store

    store = Store(database(tmp_path))
    store.store_articles([(Article(URL, "زلزال", "نص قصير.").as_dict(), {"record_id": "<urn:1>",
                                                                          "timestamp": "20260101000000"})])
    store.note_urls([{"canonical": URL, "kind": "article", "seen": "2026-01-01", "crawl_id": None,
                      "feed_categories": ["بيئة", "زلازل"]}])
    assert store.feed_categories() == {URL: ["بيئة", "زلازل"]}
    assert store.fill_sections_from_feeds() == 1 and store.fill_sections_from_feeds() == 0
    row = store.conn.execute("SELECT a.section, a.tags, a.versions, v.section, v.tags FROM articles a "
                             "JOIN article_versions v ON v.id = a.latest_version").fetchone()
    assert row == ("بيئة", '["زلازل"]', 1, "بيئة", '["زلازل"]')
    store.close()
