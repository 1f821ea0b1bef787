"""The site profile (archive/pages/profile.py): learned from a site's pages with strong signals, it takes the short
articles with no signal of their own that look like them, and refuses the pages taken only by a weak signal that do
not (a privacy page with a "last updated" line, an archives page)."""

from __future__ import annotations

import json

from archive.pages.detection import detect_article, parse_html
from archive.pages.profile import CONFIDENT_FROM, SiteProfile, strong_signal

SITE = "http://127.0.0.1:8000"
WORDS = ("أعلنت الحكومة اليوم عن خطة جديدة لدعم المزارعين في المناطق الجنوبية بعد موسم جاف طويل أضر بالمحاصيل "
         "وقال الوزير إن الدعم يشمل البذور والأسمدة ومياه الري").split()
MENU = ('<nav><ul><li><a href="/category/a.html">سياسة</a></li><li><a href="/category/b.html">رياضة</a></li>'
        '<li><a href="/pages/about.html">من نحن</a></li></ul></nav>')


def prose(n: int, start: int = 0) -> str:
    words = [WORDS[(start + i) % len(WORDS)] for i in range(n)]
    return "".join(f"<p>{' '.join(words[i:i + 20])}</p>" for i in range(0, n, 20))


def pelican_article(n: int, words: int = 300) -> bytes:
    return f"""<html lang="ar"><head><title>خبر {n}</title></head><body><header id="banner">{MENU}</header>
<section id="content" class="body"><article><header><h1 class="entry-title"><a href="/khabar-{n}.html"
rel="bookmark">خبر رقم {n}</a></h1></header><div class="entry-content"><footer class="post-info">
<abbr class="published" title="2021-03-0{n % 9 + 1}T10:00:00+01:00">الإثنين 0{n % 9 + 1} مارس 2021</abbr>
<address class="vcard author">بقلم <a class="url fn" href="/author/x.html">هيئة التحرير</a></address></footer>
{prose(words, n)}</div></article></section><footer id="contentinfo">حقوق النشر</footer></body></html>""".encode()


def pelican_privacy() -> bytes:
    return f"""<html lang="ar"><head><title>سياسة الخصوصية</title></head><body><header id="banner">{MENU}</header>
<section id="content" class="body"><h1 class="entry-title">سياسة الخصوصية</h1>
<p>آخر تحديث: 1 مارس 2021</p>{prose(200)}</section></body></html>""".encode()


def pelican_archives() -> bytes:
    items = "".join(f'<dt>الإثنين 0{n % 9 + 1} مارس 2021</dt><dd><a href="/khabar-{n}.html">خبر {n}</a></dd>'
                    for n in range(40))
    return f"""<html lang="ar"><head><title>الأرشيف</title></head><body><header id="banner">{MENU}</header>
<section id="content" class="body"><h1>أرشيف الموقع</h1><dl>{items}</dl></section></body></html>""".encode()


def wordpress_post(n: int, words: int = 300) -> bytes:
    return f"""<html><head><title>مقال {n}</title></head><body class="post-template-default single single-post
postid-{n} single-format-standard"><header class="site-header">{MENU}</header><main id="main">
<article id="post-{n}" class="post-{n} post type-post status-publish hentry category-news-{n % 3}">
<header class="entry-header"><h1 class="entry-title">مقال رقم {n}</h1><div class="entry-meta">
<time class="entry-date published" datetime="2022-05-0{n % 9 + 1}T08:00:00+00:00">5 مايو 2022</time>
<span class="byline"><a rel="author" href="/author/a/">كاتب</a></span></div></header>
<div class="entry-content">{prose(words, n)}</div></article></main></body></html>""".encode()


def doc_of(body: bytes, url: str):
    return parse_html(body, url, "utf-8")


def learned(pages) -> SiteProfile:
    profile = SiteProfile()
    for body, url in pages:
        profile.learn(doc_of(body, url), url)
    return profile


def pelican_profile(count: int = 30) -> SiteProfile:
    return learned((pelican_article(n), f"{SITE}/khabar-{n}.html") for n in range(count))


def test_pelican_template_is_learned():
    profile = pelican_profile()
    assert profile.confident()
    assert len(profile.article_patterns()) == 1 and profile.article_patterns()[0].endswith("/*.html")
    template = profile.template()
    assert template["title"] == {"path": "article>header>h1", "classes": ["entry-title"]}
    assert template["date"]["path"].endswith(">abbr") and template["date"]["classes"] == ["published"]
    assert template["body"] == {"path": "section>article>div", "classes": ["entry-content"]}
    assert template["byline"]["classes"] == ["author", "vcard"]


def test_a_short_brief_with_no_signal_fits_and_is_taken():
    url = f"{SITE}/khabar-99.html"
    doc = doc_of(pelican_article(99, words=60), url)
    is_article, reason = detect_article(doc, url)
    assert (is_article, reason) == (False, "no article signal")
    taken = pelican_profile().judge(doc_of(pelican_article(99, words=60), url), url, is_article, reason)
    assert taken and taken[0] and "fits the site profile" in taken[1]


def test_the_privacy_page_with_a_last_updated_line_is_refused():
    url = f"{SITE}/pages/privacy.html"
    is_article, reason = detect_article(doc_of(pelican_privacy(), url), url)
    assert is_article and reason in ("dateline", "a date in the text", "a substantial main text")
    verdict = pelican_profile().judge(doc_of(pelican_privacy(), url), url, is_article, reason)
    assert verdict and verdict[0] is False and "URL pattern" in verdict[1]


def test_the_archives_page_does_not_fit():
    """Its URL pattern is the articles' own (`/*.html`): the template tells it apart."""
    url = f"{SITE}/archives.html"
    ok, why = pelican_profile().fits(doc_of(pelican_archives(), url), url)
    assert not ok and "template" in why
    assert pelican_profile().judge(doc_of(pelican_archives(), url), url, True, "a date in the text")[0] is False


def test_nothing_is_decided_before_the_profile_is_confident():
    profile = pelican_profile(CONFIDENT_FROM - 1)
    assert not profile.confident()
    url = f"{SITE}/pages/privacy.html"
    assert profile.judge(doc_of(pelican_privacy(), url), url, True, "dateline") is None
    assert profile.judge(doc_of(pelican_article(99, 60), url), f"{SITE}/k.html", False, "no article signal") is None


def test_a_listed_brief_too_short_for_the_feed_rule_is_taken():
    url = f"{SITE}/khabar-98.html"
    doc = doc_of(pelican_article(98, words=20), url)
    assert detect_article(doc, url, listed=True) == (False, "no article signal")
    taken = pelican_profile().judge(doc, url, False, "no article signal", listed=True)
    assert taken and taken[0]


def test_the_template_surroundings_name_static_listing_and_author_pages():
    profile = pelican_profile()
    found = profile.as_dict()
    assert found["author_links"] == [f"{SITE}/author/*.html"]
    assert f"{SITE}/pages/about.html" in found["navigation"] and "من نحن" in found["boilerplate"]
    assert profile.kind(f"{SITE}/pages/about.html") == "static"
    assert profile.kind(f"{SITE}/category/b.html") == "listing"
    assert profile.kind(f"{SITE}/author/x.html") == "author"
    assert profile.kind(f"{SITE}/khabar-500.html") == "article"
    # a page of the menu with a weak signal is refused, even when it carries the template
    url = f"{SITE}/pages/about.html"
    verdict = profile.judge(doc_of(pelican_article(3), url), url, True, "dateline")
    assert verdict and verdict[0] is False and "static page" in verdict[1]
    assert pelican_profile(CONFIDENT_FROM - 1).kind(url) is None


def test_wordpress_term_links_are_learned_from_the_articles_own_footer():
    def post(n: int) -> bytes:
        footer = (f'<footer class="entry-footer"><a href="/category/news-{n % 3}/" rel="category tag">أخبار</a>'
                  f'<a href="/tag/t-{n % 5}/" rel="tag">وسم</a></footer></article>')
        return wordpress_post(n).replace(b"</article>", footer.encode())

    profile = learned((post(n), f"{SITE}/2022/05/0{n % 9 + 1}/maqal-{n}/") for n in range(25))
    assert profile.term_links() == [f"{SITE}/category/*/", f"{SITE}/tag/*/"]
    assert profile.kind(f"{SITE}/tag/t-9/") == "listing"


def test_listed_and_strong_pages_are_left_alone():
    url = f"{SITE}/pages/privacy.html"
    assert pelican_profile().judge(doc_of(pelican_privacy(), url), url, True, "dateline", listed=True) is None
    assert pelican_profile().judge(doc_of(pelican_privacy(), url), url, True, "json-ld") is None
    assert strong_signal("dateline", listed=True) == "listed as a post"
    assert strong_signal("dateline", listed=False) is None and strong_signal("og:type", False) == "og:type"


def test_wordpress_template_ignores_per_post_classes():
    profile = learned((wordpress_post(n), f"{SITE}/2022/05/0{n % 9 + 1}/maqal-{n}/") for n in range(25))
    assert profile.confident()
    template = profile.template()
    assert template["title"]["classes"] == ["entry-title"]
    assert template["date"]["classes"] == ["entry-date", "published"]
    assert template["body"]["classes"] == ["entry-content"]
    url = f"{SITE}/2022/05/03/short/"
    assert profile.fits(doc_of(wordpress_post(7, words=40), url), url)[0]
    assert not profile.fits(doc_of(pelican_article(7, 40), url), url)[0]  # another template


def test_round_trip_and_version():
    profile = pelican_profile()
    again = SiteProfile.from_dict(json.loads(json.dumps(profile.as_dict())))
    assert again.as_dict() == profile.as_dict() and again.version == profile.version
    grown = pelican_profile(40)
    assert grown.version == profile.version  # more of the same pages: the same profile
    redesigned = learned((wordpress_post(n), f"{SITE}/2022/05/01/m-{n}/") for n in range(100))
    for n in range(30):
        redesigned.learn(doc_of(pelican_article(n), f"{SITE}/k-{n}.html"), f"{SITE}/k-{n}.html")
    assert redesigned.version != learned((wordpress_post(n), f"{SITE}/2022/05/01/m-{n}/") for n in range(100)).version


def test_a_redesign_is_learned_again_and_said_once():
    from archive.ops.profile import _settle

    stored = SiteProfile.from_dict(json.loads(json.dumps(pelican_profile().as_dict())))
    first, lines = _settle(stored, SiteProfile(), 0)
    assert lines == [f"the site profile learned: {first.version}"] and first.adopted == first.version
    pages = [(wordpress_post(n), f"{SITE}/2022/05/01/m-{n}/") for n in range(25)]
    misfits = sum(not first.carries_template(doc_of(body, url)) for body, url in pages)
    assert misfits == 25
    redesigned, lines = _settle(first, learned(pages), misfits)
    assert len(lines) == 1 and lines[0].startswith("the site profile changed: 25 of 25 pages")
    assert redesigned.template()["date"]["classes"] == ["entry-date", "published"]
    assert [event["how"] for event in redesigned.history] == ["learned", "changed"]
    again, lines = _settle(redesigned, learned(pages[:10]), 0)  # the next run: the same new template
    assert lines == [] and again.version == redesigned.version
    # a few strong pages off the template are not a redesign
    same, lines = _settle(again, learned((pelican_article(n), f"{SITE}/k-{n}.html") for n in range(3)), 3)
    assert not [line for line in lines if "changed" in line]
