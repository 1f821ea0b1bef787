"""The query language: any input whatever is a MATCH expression SQLite accepts, or one clear QueryError."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.search import index as search_index
from archive.search.query import QueryError, parse, to_match

DOCS = ["زار الرئيس «بُوتِين» موسكو والتقى بالأسد", "مؤتمر في ميلانو حول المسؤولية الاجتماعية",
        "Il sindacato chiede un incontro sulla libertà di stampa", "أغلق الممر الإنساني بعد 13-09-2021"]


@pytest.fixture(scope="module")
def index():
    conn = sqlite3.connect(":memory:")
    search_index.create(conn)
    search_index.add(conn, [(i + 1, "", doc) for i, doc in enumerate(DOCS)])
    return conn


def search(index, text: str) -> list[int]:
    return [r[0] - 1 for r in index.execute("SELECT rowid FROM search_index WHERE search_index MATCH ? ORDER BY rowid",
                                            [to_match(parse(text))])]


def test_words_phrases_exclusion_or_prefix(index):
    assert search(index, "الاسد") == [0]
    assert search(index, "بوتين موسكو") == [0]
    assert search(index, '"الممر الإنساني"') == [3]
    assert search(index, "مؤتمر -ميلانو") == []
    assert search(index, "ميلانو OR موسكو") == [0, 1]
    assert search(index, "مسئولية") == [1]
    assert search(index, "sindacati liberta") == [2]
    assert search(index, "sindac*") == [2]


@pytest.mark.parametrize("text", ["13-09-2021", "x:y", '"الأسد', "(بوتين", "AND", "NEAR(a b)", "*",
                                  "^بوتين", "بوتين)", '""""', "a OR OR b", "-"])
def test_hostile_inputs_give_results_or_a_clear_error(index, text):
    try:
        search(index, text)
    except QueryError as exc:
        assert str(exc) and "\n" not in str(exc)


def test_nothing_to_search_is_a_query_error():
    for text in ("", "   ", "-بوتين", "«»", "!!!", "ـــ", "_", "\u064e"):
        with pytest.raises(QueryError):
            parse(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list('ab بوتين"()*:^-–« » OR AND NOT NEAR\x00\n\t🙂٣')), max_size=60)
       | st.text(max_size=200))
def test_any_input_is_safe(index, text):
    try:
        search(index, text)
    except QueryError:
        pass


def test_very_long_input_is_safe(index):
    search(index, "بوتين " * 2000)
