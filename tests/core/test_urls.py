"""Canonical URLs (docs/archiving.md, Canonical URLs): every form of an article's URL becomes the same string."""

from __future__ import annotations

import pytest

from archive.core.urls import canonical

CANON = "http://127.0.0.1:8000/2021/09/14/%D9%82%D9%85%D8%A9-%D8%A8%D9%88%D8%AA%D9%8A%D9%86/"


@pytest.mark.parametrize("form", [
    CANON,
    "http://127.0.0.1:8000/2021/09/14/قمة-بوتين/",
    "http://127.0.0.1:8000/2021/09/14/%d9%82%d9%85%d8%a9-%d8%a8%d9%88%d8%aa%d9%8a%d9%86/",
    "HTTP://127.0.0.1:8000/2021/09/14/%D9%82%D9%85%D8%A9-%D8%A8%D9%88%D8%AA%D9%8A%D9%86/#comments",
    "http://127.0.0.1:8000/2021/09/14/قمة-بوتين/?utm_source=facebook&utm_medium=share&fbclid=IwAR0abc",
    "http://127.0.0.1:8000/2021/09/14/قمة-بوتين/?m=1",
    "http://127.0.0.1:8000/2021/09/14/قمة-بوتين/?gclid=x&showComment=1632000000000#c123",
])
def test_every_form_of_an_article_url_is_one_canonical_url(form):
    assert canonical(form) == CANON


def test_host_case_default_port_and_real_parameters():
    assert canonical("http://Example.COM:80/a") == "http://example.com/a"
    assert canonical("https://example.com:443/a?b=2&a=1") == "https://example.com/a?b=2&a=1"
    assert canonical("http://example.com/feed/?paged=2") == "http://example.com/feed/?paged=2"
    assert canonical("http://example.com/search?updated-max=2021-09-14T10:00:00%2B02:00&max-results=7") == \
        "http://example.com/search?updated-max=2021-09-14T10:00:00%2B02:00&max-results=7"
    assert canonical("http://example.com") == "http://example.com/"
    assert canonical("mailto:someone@example.com") == "mailto:someone@example.com"
    assert canonical("http://example.com/?m=202109") == "http://example.com/?m=202109"  # a WordPress month query


SESSION = "9F86D081884C7D659A2FEAA0C55AD015"


@pytest.mark.parametrize("form", [
    f"http://example.com/a/b?sid={SESSION.lower()}&x=1",
    f"http://example.com/a/b?PHPSESSID={SESSION}&x=1",
    f"http://example.com/a/b;jsessionid={SESSION}?x=1",
    f"http://example.com/a/b;JSESSIONID={SESSION}.node01?x=1&JSessionId={SESSION}",
    "http://example.com/a/b?x=1&ASPSESSIONIDQQGGQGPG=MFMLOBFBNKHLPPBFBDMHIDOE",
    "http://example.com/a/b?CFID=8315&CFTOKEN=79543962&x=1",
    f"http://example.com/a/b?osCsid={SESSION}&x=1&zenid={SESSION}",
    f"http://example.com/a/b?sessionid={SESSION}&session_id={SESSION}&x=1",
])
def test_session_ids_heritrix_knows_are_dropped(form):
    assert canonical(form) == "http://example.com/a/b?x=1"
    assert canonical(canonical(form)) == canonical(form)


@pytest.mark.parametrize("url", ["http://example.com/story?sid=5", "http://example.com/story?sid=20931",
                                 "http://example.com/?sid=news", "http://example.com/a;type=a?lang=it&page=2&p=123"])
def test_a_short_sid_and_other_parameters_stay(url):
    assert canonical(url) == url


@pytest.mark.parametrize("url", [CANON, "http://h/x?a=%d8%a7+b", "http://h/%7Euser/a%20b", "http://h/a?q=«»",
                                 "http://h/a%3Bjsessionid=1/b", "http://h/;jsessionid=x"])
def test_canonical_is_idempotent(url):
    assert canonical(canonical(url)) == canonical(url)


def test_offline_suffix_list():
    from scrapy.downloadermiddlewares import cookies

    from crawler.extensions.offline import OfflineSuffixList

    OfflineSuffixList()
    assert cookies._split_domain.suffix_list_urls == ()
    assert cookies._split_domain("news.example.co.uk").suffix == "co.uk"
