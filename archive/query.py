"""The search query language (DESIGN.md §8), parsed by us into a safe FTS5 MATCH expression.

Words (all must match), "exact phrases", -exclusions, OR between terms, prefix*. Raw input is never handed to
FTS5: unbalanced quotes, stray parentheses, `x:y`, `13-09-2021`, lone operators and control characters all end as
quoted tokens or nothing. Any input yields a MATCH expression, or QueryError with a one-line reason (a query with
nothing to look for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.arabic import clitic_variants, light_stem, normal, tokens


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


LEXER = re.compile(r'(?P<neg>-)?"(?P<phrase>[^"]*)"?|(?P<word>\S+)')


def parse(text: str) -> Query:
    text = "".join(ch if ch.isprintable() else " " for ch in text)[:2000]
    query = Query()
    pending_or = False
    for m in LEXER.finditer(text):
        if m.group("phrase") is not None:
            words = [t for _, _, t in tokens(m.group("phrase"))]
            term = Term(words, phrase=len(words) > 1, negated=bool(m.group("neg")))
        else:
            raw = m.group("word")
            if raw == "OR":
                pending_or = bool(query.clauses)
                continue
            negated = raw.startswith("-") and len(raw) > 1
            prefix = raw.endswith("*")
            words = [t for _, _, t in tokens(raw)]
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


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _term_match(term: Term) -> str:
    if term.phrase:
        n = " ".join(normal(w) for w in term.words)
        s = " ".join(light_stem(w) for w in term.words)
        return f"(n : {_quote(n)} OR s : {_quote(s)})"
    word = term.words[0]
    if term.prefix:
        return f"(n : {_quote(normal(word))} *)"
    alternatives = [f"n : {_quote(v)}" for v in clitic_variants(normal(word))]
    alternatives.append(f"s : {_quote(light_stem(word))}")
    return "(" + " OR ".join(dict.fromkeys(alternatives)) + ")"


def to_match(query: Query) -> str:
    """The FTS5 MATCH expression over the index columns `n` (normal forms) and `s` (light stems)."""
    positive = " AND ".join("(" + " OR ".join(_term_match(t) for t in clause) + ")" for clause in query.clauses)
    for term in query.excluded:
        positive = f"({positive}) NOT {_term_match(term)}"
    return positive
