"""The search query language (docs/searching.md, The query language), parsed by us into a safe FTS5 MATCH expression.

Words (all must match), "exact phrases", -exclusions, OR between terms, prefix*. Raw input is never handed to
FTS5: unbalanced quotes, stray parentheses, `x:y`, `13-09-2021`, lone operators and control characters all end as
quoted tokens or nothing. Any input yields a MATCH expression, or QueryError with a one-line reason (a query with
nothing to look for).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from archive.core.arabic import clitic_variants, light_stem, normal, tokens
from archive.search.columns import NORMAL_COLUMNS, STEM_COLUMNS


class QueryError(ValueError):
    """The query has nothing to search for; the message says why in one line."""


@dataclass
class Term:
    words: list[str]            # original tokens (one for a word, several for a phrase)
    phrase: bool = False
    prefix: bool = False
    negated: bool = False


@dataclass
class Query:
    clauses: list[list[Term]] = field(default_factory=list)   # AND of ORs
    excluded: list[Term] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        """Every positive word, for highlighting."""
        return [w for clause in self.clauses for term in clause for w in term.words]


def _words(text: str) -> list[str]:
    """The searchable tokens of a piece of query: a token that folds to nothing (a lone tatweel or mark, `_`)
    would be an empty FTS5 phrase."""
    return [t for _, _, t in tokens(text) if any(ch.isalnum() for ch in normal(t))]


LEXER = re.compile(r'(?P<neg>-)?"(?P<phrase>[^"]*)"?|(?P<word>\S+)')


def parse(text: str) -> Query:
    text = "".join(ch if ch.isprintable() else " " for ch in text)[:2000]
    query = Query()
    pending_or = False
    for m in LEXER.finditer(text):
        if m.group("phrase") is not None:
            words = _words(m.group("phrase"))
            term = Term(words, phrase=len(words) > 1, negated=bool(m.group("neg")))
        else:
            raw = m.group("word")
            if raw == "OR":
                pending_or = bool(query.clauses)
                continue
            negated = raw.startswith("-") and len(raw) > 1
            prefix = raw.endswith("*")
            words = _words(raw)
            term = Term(words, phrase=len(words) > 1, prefix=prefix and len(words) == 1, negated=negated)
        if not term.words:
            pending_or = False
            continue
        if term.negated:
            query.excluded.append(term)
        elif pending_or:
            query.clauses[-1].append(term)
        else:
            query.clauses.append([term])
        pending_or = False
    if not query.clauses:
        if query.excluded:
            raise QueryError("only exclusions: add at least one word to look for")
        raise QueryError("nothing to search for: type some words")
    return query


def quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


Known = Callable[[str], bool]


def word_forms(word: str) -> tuple[list[str], list[str]]:
    """The index forms a query word matches (the rule the MATCH expression and the snippets share): its normal form
    and its light stem, each with its proclitic variants."""
    return clitic_variants(normal(word)), clitic_variants(light_stem(word))


PHRASE_FORMS = 64  # a phrase's clitic-variant combinations tried at most (those the index holds, more common first)


def phrase_forms(words: list[str], known: Known | None = None) -> list[str]:
    """The normal forms of a phrase with a proclitic on any of its words (بمجلس النواب for "مجلس النواب"), those whose
    every token the index holds; the plain form first, always."""
    per_word = [[v for v in word_forms(w)[0] if known is None or v == normal(w) or known(v)] for w in words]
    forms = [[]]
    for variants in per_word:
        forms = [form + [v] for form in forms for v in variants][:PHRASE_FORMS]
    return [" ".join(form) for form in forms]


def _term_match(term: Term, known: Known | None = None, stems: bool = True) -> str | None:
    if term.prefix:
        return f"({NORMAL_COLUMNS} : {quote(normal(term.words[0]))} *)"
    return phrases_match(term_phrases(term, known, stems))


def phrases_match(phrases: list[tuple[str, str]]) -> str | None:
    """A MATCH of any of these (columns, text) phrases, in their order; None for none."""
    return "(" + " OR ".join(f"{columns} : {quote(text)}" for columns, text in phrases) + ")" if phrases else None


def term_phrases(term: Term, known: Known | None = None, stems: bool = True) -> list[tuple[str, str]]:
    """(columns, text) of each FTS5 phrase a word or a phrase of the query becomes, in the MATCH's order: the
    phrases bm25 sums (archive.search.impact scores them the same way). Not for a prefix."""
    if not term.phrase:
        return word_phrases(term.words[0], known, stems)
    forms = phrase_forms(term.words, known) if known is not None else [" ".join(normal(w) for w in term.words)]
    stem = " ".join(light_stem(w) for w in term.words)
    return [(NORMAL_COLUMNS, form) for form in forms] + ([(STEM_COLUMNS, stem)] if stems else [])


def word_phrases(word: str, known: Known | None = None, stems: bool = True) -> list[tuple[str, str]]:
    """(columns, token) of each phrase a query word's MATCH holds, in its order: the phrases bm25 sums
    (archive.search.impact scores them the same way)."""
    normals, stemmed = word_forms(word)
    forms = [(NORMAL_COLUMNS, v) for v in normals] + ([(STEM_COLUMNS, v) for v in stemmed] if stems else [])
    return [(columns, form) for columns, form in dict.fromkeys(forms) if known is None or known(form)]


def to_match(query: Query, known: Known | None = None, stems: bool = True) -> str | None:
    """The FTS5 MATCH expression over the index's normal-form and light-stem columns (archive.search.index).

    `known(token)` says whether the index holds a token at all: alternatives it does not hold are left out
    (a clitic variant nobody wrote costs a doclist lookup per row), and None means nothing can match.
    `stems=False` matches the query's own forms only (with their clitics): the articles that rank first
    (archive.search.searcher). Exclusions keep their stems either way."""
    clauses = []
    for clause in query.clauses:
        terms = [m for m in (_term_match(t, known, stems) for t in clause) if m]
        if not terms:
            return None
        clauses.append("(" + " OR ".join(terms) + ")")
    positive = " AND ".join(clauses)
    for term in query.excluded:
        excluded = _term_match(term, known)
        if excluded:
            positive = f"({positive}) NOT {excluded}"
    return positive
