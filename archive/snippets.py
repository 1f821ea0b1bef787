"""Snippets of the original text with the matched words marked.

The index holds normal forms only, and FTS5's own snippet() would show them (`الرييس` for `الرئيس`): useless to a
reader. So the words are found again here, in the original text, with the same tokeniser and the same rules the
MATCH expression uses (`archive.query`): a token matches a word when its normal form is the word's normal form
or a clitic variant of it, or when their light stems agree; a prefix when its normal form starts with the
prefix; a phrase when consecutive tokens match it word by word. Tashkeel, tatweel and «» stay as written.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.arabic import clitic_variants, light_stem, normal, tokens
from archive.query import Query, Term

Segment = tuple[str, bool]  # (text, matched)


@dataclass(frozen=True)
class _Word:
    normals: frozenset[str]
    stem: str | None
    prefix: bool

    def matches(self, token: str) -> bool:
        n = normal(token)
        if self.prefix:
            return any(n.startswith(p) for p in self.normals)
        return n in self.normals or (self.stem is not None and light_stem(token) == self.stem)


def _word(word: str, prefix: bool = False, exact: bool = False) -> _Word:
    n = normal(word)
    if prefix or exact:
        return _Word(frozenset({n}), None if prefix else light_stem(word), prefix)
    return _Word(frozenset(clitic_variants(n)), light_stem(word), False)


class Matcher:
    """Finds the positive terms of a query in original text."""

    def __init__(self, query: Query):
        self.singles: list[_Word] = []
        self.phrases: list[list[_Word]] = []
        for clause in query.clauses:
            for term in clause:
                self._add(term)

    def _add(self, term: Term) -> None:
        if term.phrase:
            self.phrases.append([_word(w, exact=True) for w in term.words])
        else:
            self.singles.append(_word(term.words[0], prefix=term.prefix))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every matched token, in order."""
        toks = tokens(text)
        hit = [any(w.matches(tok) for w in self.singles) for _, _, tok in toks]
        for phrase in self.phrases:
            size = len(phrase)
            for i in range(len(toks) - size + 1):
                if all(phrase[k].matches(toks[i + k][2]) for k in range(size)):
                    hit[i:i + size] = [True] * size
        return [(start, end) for (start, end, _), matched in zip(toks, hit, strict=True) if matched]


def mark(text: str, spans: list[tuple[int, int]]) -> list[Segment]:
    segments: list[Segment] = []
    at = 0
    for start, end in spans:
        if start > at:
            segments.append((text[at:start], False))
        segments.append((text[start:end], True))
        at = end
    if at < len(text):
        segments.append((text[at:], False))
    return segments


def snippet(text: str, matcher: Matcher, words: int = 32) -> list[Segment]:
    """About `words` tokens of the text around its densest run of matches (its opening when nothing matches),
    with "…" where the text was cut. Whitespace runs (paragraph breaks) become one space."""
    text = " ".join(text.split())
    toks = tokens(text)
    if not toks:
        return []
    spans = matcher.spans(text)
    starts = {s for s, _ in spans}
    first = 0
    if spans:
        matched_at = [i for i, (s, _, _) in enumerate(toks) if s in starts]
        best, best_count = matched_at[0], 0
        for i in matched_at:
            count = sum(1 for j in matched_at if i <= j < i + words)
            if count > best_count:
                best, best_count = i, count
        first = max(0, best - words // 4)
    last = min(len(toks), first + words) - 1
    start = 0 if first == 0 else toks[first][0]
    end = len(text) if last == len(toks) - 1 else toks[last][1]
    window = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    segments = mark(text[start:end], window)
    if start > 0:
        segments.insert(0, ("…", False))
    if end < len(text):
        segments.append(("…", False))
    return segments


def bracketed(segments: list[Segment], open_: str = "[", close: str = "]") -> str:
    return "".join(f"{open_}{text}{close}" if matched else text for text, matched in segments)
