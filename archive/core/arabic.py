"""Arabic (and Italian) text as a search index sees it: tokens, normal forms, light stems, clitic variants.

Plain SQLite FTS5 splits `بُوتِين` at every diacritic and knows neither that أ إ آ ٱ are one alef nor that `والأسد`
is `الأسد` with a conjunction (research/arabic-search.md: recall 0.43). The rules here follow the measured design:
one original token → one index token (phrases and snippets depend on it); marks, tatweel, presentation forms and
digit scripts folded; alef forms and hamza seats unified (Unicode decomposition does most of it: أ is ا + hamza
above); the definite article removed with a keep-list; a light stem (Larkey's light10 without the endings that
make other words: ان، ية، يه، ي) for a second column; ة → ه and ى → ي only after stemming, since the stemmer
uses them to find suffixes. Latin tokens lose their accents
(città = citta). NORMALISER_VERSION changes whenever the output of any function here changes: the index is then
rebuilt.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

NORMALISER_VERSION = "3"  # bump when any output here changes

# letters, digits and the marks that live inside Arabic words (tashkeel, superscript alef, Quranic marks), tatweel
TOKEN = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]+", re.UNICODE)
# the words of a token as FTS5's tokenizer reads the index apart at "_" (#وسم_بكلمات is three words there), marks
# and tatweel kept inside them: what a reader is shown as matched
TOKEN_PART = re.compile(r"(?:[^\W_]|[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640])+", re.UNICODE)
# Arabic-Indic and Persian digits as Western ones: the one digits table (the index folds with it, pages read dates)
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# hamza seats unified on the bare hamza (مسؤولية = مسئولية), before decomposition would split them off
LETTERS = str.maketrans({"ٱ": "ا", "ک": "ك", "ی": "ي", "ۀ": "ه", "ـ": None, "ؤ": "ء", "ئ": "ء"})
PRESENTATION = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")
ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
KEEP = frozenset({"الله", "التي", "الذي", "الذين", "اللذين", "اللتين", "اللاتي", "اللواتي", "الا", "الى", "الي"})
LIGHT10_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
# light10's suffixes but ان, ية, يه and ي: the dual ending ان is the ending of names (لبنان، سلمان، السودان), and ية
# and ي make other nouns (مسؤولية is not مسؤول, لبناني is not لبنان); plurals (ون، ين، ات) and ة stay merged
LIGHT10_SUFFIXES = ("ها", "ات", "ون", "ين", "ه", "ة")
PROCLITICS = ("و", "ف", "ب", "ك", "ل", "وب", "وك", "ول", "فب", "فك", "فل")
# a two-letter word takes no proclitic: و + طن is the normal form of الوطن, ب + ان of البان
SHORTEST_WITH_CLITICS = 3
ARABIC = re.compile("[\u0600-\u06ff]")


def tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, token) of every word of the original text, marks and tatweel kept inside words."""
    return [(m.start(), m.end(), m.group()) for m in TOKEN.finditer(text)]


# letters that no folding step changes (no decomposition, no mark, no case): a token made only of them, once LETTERS
# has mapped it, is already folded (most of a text's tokens: folding them is then one translate)
PLAIN = re.compile("[\u0621\u0627-\u063a\u0641-\u064a0-9a-z]+")


@lru_cache(maxsize=500_000)
def fold(token: str) -> str:
    """Marks, tatweel, presentation forms, alef forms, hamza seats, digit scripts and case folded; ة and ى kept."""
    mapped = token.translate(LETTERS)
    if PLAIN.fullmatch(mapped):
        return mapped
    if PRESENTATION.search(token):
        token = unicodedata.normalize("NFKC", token)
    token = unicodedata.normalize("NFD", token.translate(LETTERS))
    token = "".join(ch for ch in token if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", token).translate(DIGITS).lower()


def _final(token: str) -> str:
    return token.replace("ة", "ه").replace("ى", "ي")


def strip_article(word: str) -> str:
    """One leading article form (وال بال كال فال لل ال) off, when two letters or more remain; not from الله…"""
    if word in KEEP:
        return word
    for prefix in ARTICLES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix):]
    return word


@lru_cache(maxsize=500_000)
def normal(token: str) -> str:
    """The `n` index column: folded, article removed, ة → ه and ى → ي."""
    word = fold(token)
    if ARABIC.search(word):
        word = strip_article(word)
    return _final(word)


ITALIAN_ENDING = re.compile(r"(?<=[a-z]{4})[aeio]$")


@lru_cache(maxsize=500_000)
def light_stem(token: str) -> str:
    """The `s` index column: Larkey's light10 for Arabic (one prefix, then suffixes while two letters remain);
    for Latin-script words, the final vowel of Italian number and gender (vigneto = vigneti)."""
    word = fold(token)
    if not ARABIC.search(word):
        return ITALIAN_ENDING.sub("", word)
    if word.endswith("ى"):  # مستشفى and مستشفي must stem alike: final ى is stripped as ي is
        word = word[:-1] + "ي"
    if word not in KEEP:  # (light10's bare و is left on: a query adds the proclitics, as for normal forms)
        for prefix in LIGHT10_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 2:
                word = word[len(prefix):]
                break
    changed = True
    while changed:
        changed = False
        for suffix in LIGHT10_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                word = word[: -len(suffix)]
                changed = True
                break
    return _final(word)


def clitic_variants(word: str) -> list[str]:
    """A normal form or stem of a query word and its forms with a leading proclitic (بميلانو, لميلانو, وبميلانو…),
    for the query side: expanding the query keeps every index token one original token, and stems names no
    harder. A number or a Latin word takes them too (و40, لـCNN: the tatweel is folded away): Arabic text joins
    them so."""
    if not word or (ARABIC.search(word) and len(word) < SHORTEST_WITH_CLITICS):
        return [word]
    return [word] + [p + word for p in PROCLITICS]
