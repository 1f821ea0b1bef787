"""Normalisation for search, checked against the replica's planted forms (not against the normaliser itself)."""

from __future__ import annotations

import pytest

from archive.core.arabic import clitic_variants, fold, light_stem, normal, strip_article, tokens
from replica import planted


def index_keys(form: str) -> set[str]:
    """What an index holds for a planted form: its normal and stem columns, token by token."""
    return {key for _, _, tok in tokens(form) for key in (normal(tok), light_stem(tok))}


def query_keys(word: str) -> set[str]:
    n = normal(word)
    return set(clitic_variants(n)) | {light_stem(word)}


# phrases and prefixes are the query language's business (the search issue); every other family is about forms
@pytest.mark.parametrize("family", [f for f in planted.FAMILIES if f.key not in ("corridor", "parliament")],
                         ids=lambda f: f.key)
def test_every_planted_form_is_found_by_its_base_word(family):
    base = family.base
    for form in family.forms:
        keys = index_keys(form.text)
        assert keys & query_keys(base), (family.key, form.text, keys)


def test_one_original_token_one_index_token():
    text = "زار «بُوتِين» موسكو، والأسد (Bashar) في 7319 و٧٣١٩ — بوتـــين!"
    toks = tokens(text)
    assert [t for _, _, t in toks] == ["زار", "بُوتِين", "موسكو", "والأسد", "Bashar", "في", "7319", "و٧٣١٩", "بوتـــين"]
    assert all(text[start:end] == tok for start, end, tok in toks)


def test_folding_rules():
    assert fold("بُوتِين") == fold("بوتـــين") == "بوتين"
    assert {fold(w) for w in ("أسد", "إسد", "آسد", "ٱسد")} == {"اسد"}
    assert fold("مسؤولية") == fold("مسئولية") and normal("المسؤولية") == normal("المسئولية")
    assert normal("صقلية") == normal("صقليه") and normal("مستشفى") == normal("مستشفي")
    assert fold("٢٠٢١") == fold("۲۰۲۱") == "2021"
    assert fold("città") == "citta" and fold("CAFFÈ") == "caffe"
    assert light_stem("vigneto") == light_stem("vigneti") and light_stem("sindacato") == light_stem("sindacati")
    assert fold("ﻻ") == "لا"


def test_article_keep_list_and_minimum_length():
    assert strip_article("والأسد".replace("أ", "ا")) == "اسد"
    assert strip_article("الله") == "الله" and strip_article("التي") == "التي"
    assert strip_article("الي") == "الي"  # too short to lose its article
    assert normal("للأسد") == normal("الأسد") == normal("«الأسد»"[1:-1])


def _fold_the_long_way(token: str) -> str:
    """Folding with every step always taken (what fold's shortcut for plain letters must agree with)."""
    import unicodedata

    from archive.core.arabic import DIGITS, LETTERS, PRESENTATION

    if PRESENTATION.search(token):
        token = unicodedata.normalize("NFKC", token)
    token = unicodedata.normalize("NFD", token.translate(LETTERS))
    token = "".join(ch for ch in token if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", token).translate(DIGITS).lower()


def test_folding_plain_letters_takes_a_shortcut_to_the_same_result():
    from tests.search.precision_articles import ARTICLES

    words = {t for _, _, t in tokens(" ".join(t + " " + b for t, b in ARTICLES.values()))}
    words |= {"أحمد", "إلى", "آخر", "مسئول", "ﻻ", "ﷲ", "CNN", "Città", "٤٠", "۱۲", "لـCNN", "بِسْمِ", "ـ", "x_y", "ÉTÉ",
              "ß", "İstanbul", "ک", "ی", "ۀ", "مستشفى", "ة", "Ⅻ"}
    assert len(words) > 500
    assert [w for w in words if fold.__wrapped__(w) != _fold_the_long_way(w)] == []
