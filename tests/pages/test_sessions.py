"""Session ids of unknown names recognised by rules during a run (archive/pages/sessions.py), and never a real
parameter: a language, a page number, a WordPress post id, a category."""

from __future__ import annotations

import secrets

import pytest

from archive.core.urls import canonical
from archive.pages.sessions import SessionRules, random_looking, token_like

SITE = "http://127.0.0.1:8000"
PATHS = ["/", "/2021/10/01/khabar-1/", "/2021/10/02/khabar-2/", "/2021/10/03/khabar-3/", "/page/2/"]


def links(query: str, paths=PATHS) -> list[str]:
    return [f"{SITE}{p}?{query}" for p in paths]


@pytest.mark.parametrize("value", ["9f86d081884c7d659a2feaa0c55ad015", "3f2a8c1e-77b0-4d2e-9a61-0c5e2b7d4f10",
                                   "k2q8v5r1m9c3t7x0a4e6b2n8"])
def test_generated_ids_look_random(value):
    assert random_looking(value) and token_like(value)


@pytest.mark.parametrize("value", ["it", "ar", "2", "123", "5", "20210914", "date", "world-cup-2022", "cup2022",
                                   "breaking-news-2021", "9f86d081", "desc", "1632000000000"])
def test_words_numbers_and_slugs_are_not_random(value):
    assert not random_looking(value)


def test_one_random_value_on_a_page_s_links_is_a_session_id_at_once():
    rules = SessionRules()
    found = rules.observe_links(SITE + "/", links(f"visit={secrets.token_hex(16)}"))
    assert [f.name for f in found] == ["visit"] and found[0].rule == "links"
    other = secrets.token_hex(16)
    assert rules.fold(f"{SITE}/2021/10/01/khabar-1/?visit={other}") == f"{SITE}/2021/10/01/khabar-1/"
    assert rules.fold(f"{SITE}/?p=12&Visit={other}&lang=it#top") == f"{SITE}/?p=12&lang=it#top"
    assert rules.fold(f"{SITE}/?p=12") == f"{SITE}/?p=12"


def test_a_shorter_token_needs_a_second_page_with_another_value():
    rules = SessionRules()
    assert rules.observe_links(SITE + "/", links("s=a1b2c3d4")) == []
    assert rules.observe_links(SITE + "/page/2/", links("s=a1b2c3d4")) == []  # the same value: not a session
    assert [f.name for f in rules.observe_links(SITE + "/page/3/", links("s=e5f6a7b8"))] == ["s"]


@pytest.mark.parametrize("query", ["lang=it", "page=2", "p=123", "cat=5", "sort=date", "tag=world-cup-2022"])
def test_real_parameters_are_never_folded(query):
    """`?lang=it` on every link of every Italian page, a page number, a post id, a category: never sessions, on
    any number of pages, whatever their values."""
    rules = SessionRules()
    for n in range(6):
        name = query.split("=")[0]
        value = query.split("=")[1] if n % 2 else query.split("=")[1] + str(n)  # even a value changing per page
        assert rules.observe_links(f"{SITE}/page/{n}/", links(f"{name}={value}")) == []
        page = f"{SITE}/x/?{name}={value}"
        assert rules.observe_canonical(page, f"{SITE}/x/") == []
        assert rules.observe_payload(page, "sha1:SAME") == []
    assert rules.folded == {}


def test_a_value_the_page_itself_carries_is_not_a_session_id():
    """A category page whose links all carry its own id is not handing out sessions."""
    category = secrets.token_hex(16)
    rules = SessionRules()
    assert rules.observe_links(f"{SITE}/list?cat={category}", links(f"cat={category}")) == []


def test_a_value_per_link_is_an_id_and_few_paths_prove_nothing():
    rules = SessionRules()
    per_link = [f"{SITE}{p}?ref={secrets.token_hex(16)}" for p in PATHS]
    assert rules.observe_links(SITE + "/", per_link) == []
    assert rules.observe_links(SITE + "/", links(f"v={secrets.token_hex(16)}", PATHS[:2])) == []


def test_known_names_are_left_to_canonical():
    rules = SessionRules()
    assert rules.observe_links(SITE + "/", links(f"sid={secrets.token_hex(16)}")) == []
    assert rules.carries_session(f"{SITE}/a/?sid={secrets.token_hex(16)}")
    assert rules.carries_session(f"{SITE}/a/;jsessionid=ABC")
    assert not rules.carries_session(f"{SITE}/a/?sid=12")


def test_rel_canonical_without_the_parameter():
    rules = SessionRules()
    page = f"{SITE}/2021/10/01/khabar-1/?token=7d1e0c9a4b2f&p=3"
    assert rules.observe_canonical(page, f"{SITE}/2021/10/01/khabar-1/?p=4") == []  # another page
    assert rules.observe_canonical(page, f"{SITE}/2021/10/02/khabar-2/?p=3") == []
    assert [f.name for f in rules.observe_canonical(page, f"{SITE}/2021/10/01/khabar-1/?p=3")] == ["token"]


def test_the_same_payload_under_two_values():
    rules = SessionRules()
    assert rules.observe_payload(f"{SITE}/a/?u=k3j4h5g6f7&x=1", "sha1:A") == []
    assert rules.observe_payload(f"{SITE}/b/?u=q1w2e3r4t5&x=1", "sha1:A") == []  # another path
    assert rules.observe_payload(f"{SITE}/a/?u=q1w2e3r4t5&x=2", "sha1:A") == []  # two parameters differ
    assert [f.name for f in rules.observe_payload(f"{SITE}/a/?u=q1w2e3r4t5&x=1", "sha1:A")] == ["u"]


def test_folding_then_canonical_is_one_url_for_every_variant():
    rules = SessionRules()
    rules.observe_links(SITE + "/", links(f"visit={secrets.token_hex(16)}"))
    forms = {canonical(rules.fold(f"{SITE}/2021/10/01/خبر/?visit={secrets.token_hex(16)}&sid={secrets.token_hex(16)}"))
             for _ in range(5)}
    assert forms == {f"{SITE}/2021/10/01/%D8%AE%D8%A8%D8%B1/"}
