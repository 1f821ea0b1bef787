"""Snippets of the original text with the matched words marked.

The index holds normal forms only, and FTS5's own snippet() would show them (`الرييس` for `الرئيس`): useless to a
reader. So the words are found again here, in the original text, with the same tokeniser (its words read apart at
"_", as FTS5 reads the index) and the same rules the MATCH expression uses (`archive.search.query.word_forms`): a
token matches a word when its normal form or light stem is the word's or a proclitic variant of it; a prefix when
its normal form starts with the prefix; a phrase when consecutive tokens match it word by word. Tashkeel, tatweel
and «» stay as written.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from archive.core.arabic import TOKEN_PART, light_stem, normal
from archive.search.query import Query, Term, word_forms

Segment = tuple[str, bool]  # (text, matched)


class Matcher:
    """Finds the positive terms of a query in original text: sets of normal forms and stems, compared token by
    token over the cached normal forms of the text (the per-token work stays in C)."""

    def __init__(self, query: Query):
        self.normals: set[str] = set()        # a word's normal form and its clitic variants
        self.stems: set[str] = set()
        self.prefixes: tuple[str, ...] = ()
        self.phrases: list[list[tuple[set[str], set[str]]]] = []   # (normal forms, stems) word by word
        self._seen: dict[str, bool] = {}      # token as written → whether it matches a word or prefix
        for clause in query.clauses:
            for term in clause:
                self._add(term)

    def _add(self, term: Term) -> None:
        if term.phrase:
            self.phrases.append([tuple(map(set, word_forms(w))) for w in term.words])
        elif term.prefix:
            self.prefixes += (normal(term.words[0]),)
        else:
            normals, stems = word_forms(term.words[0])
            self.normals.update(normals)
            self.stems.update(stems)

    def _decide(self, token: str) -> bool:
        n = normal(token)
        found = n in self.normals or light_stem(token) in self.stems or bool(self.prefixes) and \
            n.startswith(self.prefixes)
        self._seen[token] = found
        return found

    def hits(self, toks: list[str]) -> list[bool]:
        """For each token, whether it is (part of) a match. A snippet's tokens repeat across the hits of one
        search (the same function words in every article), so each written form is decided once."""
        seen, decide = self._seen, self._decide
        hit = [seen[t] if t in seen else decide(t) for t in toks]
        if not self.phrases:
            return hit
        normals, stems = list(map(normal, toks)), list(map(light_stem, toks))
        for phrase in self.phrases:
            size = len(phrase)
            first_n, first_s = phrase[0]
            for i in range(len(toks) - size + 1):
                if (normals[i] in first_n or stems[i] in first_s) and all(
                        normals[i + k] in phrase[k][0] or stems[i + k] in phrase[k][1] for k in range(1, size)):
                    hit[i:i + size] = [True] * size
        return hit

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every matched token, in order."""
        found = list(TOKEN_PART.finditer(text))
        hit = self.hits([m.group() for m in found])
        return [m.span() for m, matched in zip(found, hit, strict=True) if matched]


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


SPLIT = re.compile(f"({TOKEN_PART.pattern})")


def snippet(text: str, matcher: Matcher, words: int = 32) -> list[Segment]:
    """About `words` tokens of the text around its densest run of matches (its opening when nothing matches),
    with "…" where the text was cut. Whitespace runs (paragraph breaks) become one space."""
    parts = SPLIT.split(" ".join(text.split()))  # separator, token, separator, token, …, separator
    toks = parts[1::2]
    if not toks:
        return []
    matched_at = [i for i, h in enumerate(matcher.hits(toks)) if h]
    first = 0
    if matched_at:
        best, best_count = matched_at[0], 0
        for n, i in enumerate(matched_at):
            count = bisect_left(matched_at, i + words, n) - n
            if count > best_count:
                best, best_count = i, count
        first = max(0, best - words // 4)
    last = min(len(toks), first + words) - 1
    matched = set(matched_at)
    segments: list[Segment] = [("…", False)] if first > 0 else [(parts[0], False)] if parts[0] else []
    for i in range(first, last + 1):
        if i > first:
            segments.append((parts[2 * i], False))
        segments.append((toks[i], i in matched))
    if last < len(toks) - 1:
        segments.append(("…", False))
    elif parts[-1]:
        segments.append((parts[-1], False))
    merged: list[Segment] = []
    for text_, hit in segments:  # neighbours of one kind as one segment
        if merged and merged[-1][1] == hit and not hit:
            merged[-1] = (merged[-1][0] + text_, False)
        else:
            merged.append((text_, hit))
    return merged


def bracketed(segments: list[Segment], open_: str = "[", close: str = "]") -> str:
    return "".join(f"{open_}{text}{close}" if matched else text for text, matched in segments)
