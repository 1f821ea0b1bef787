"""What changed in an article: word-level diffs between versions, and the weekly "stealth edits" report.

Versions come from `article_versions`: a new version is a real change of title or body (a newer extractor over the
same captures refreshes a version instead, so it never shows up here). Words are compared as the reader sees them
— whitespace-separated, punctuation and «» attached, tashkeel kept — so an added comma or a retouched diacritic is
a change, shown in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from archive.core.times import parse_partial_stamp, stamp, stamp_iso
from archive.history.snapshots import NotArchived, forms_of
from archive.store.database import Store

Piece = tuple[str, str]  # (op, text): op is "=", "-" or "+"


@dataclass
class Version:
    article_id: int
    canonical: str
    number: int
    versions: int
    title: str
    body: str
    first_seen: str
    last_seen: str
    capture_timestamp: str


def article_id(store: Store, url: str) -> tuple[int, str]:
    """(id, canonical URL) of the article a pasted URL names, in any of its forms."""
    for form in forms_of(url):
        row = store.article_by_canonical(form)
        if row:
            return row
    row = store.article_by_capture_url(url.strip())
    if row:
        return row
    raise NotArchived(f"no article archived at {url}")


def versions(store: Store, article: int) -> list[Version]:
    """The article's versions, first to latest."""
    return [Version(**row) for row in store.versions(article)]


def version_at(found: list[Version], at: str | None) -> Version:
    """The version in effect at a moment: the last one first seen at or before it (the first when none was)."""
    if at is None:
        return found[-1]
    moment = stamp(parse_partial_stamp(at))
    earlier = [v for v in found if v.first_seen <= moment]
    return earlier[-1] if earlier else found[0]


def words(text: str) -> list[str]:
    return text.split()


def diff_words(old: str, new: str) -> list[Piece]:
    """The new text as pieces kept (=), removed (-) and added (+), word by word."""
    a, b = words(old), words(new)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("+", " ".join(b[j1:j2])))
    return pieces


def summary(pieces: list[Piece]) -> str:
    added = sum(len(text.split()) for op, text in pieces if op == "+")
    removed = sum(len(text.split()) for op, text in pieces if op == "-")
    return f"+{added} −{removed} words"


def context(pieces: list[Piece], around: int = 8) -> list[Piece]:
    """Long unchanged stretches cut to `around` words either side of a change, with "…"."""
    out: list[Piece] = []
    last = len(pieces) - 1
    for n, (op, text) in enumerate(pieces):
        ws = text.split()
        if op != "=" or len(ws) <= 2 * around + 1:
            out.append((op, text))
        elif n == 0:
            out.append(("=", "… " + " ".join(ws[-around:])))
        elif n == last:
            out.append(("=", " ".join(ws[:around]) + " …"))
        else:
            out.append(("=", " ".join(ws[:around]) + " … " + " ".join(ws[-around:])))
    return out


def changes(store: Store, since: str) -> list[dict]:
    """Articles edited (a version first seen since `since`) or removed since then, newest first.

    Keys of docs/reference.md (arshif changes): url, title, change, seen (ISO 8601, when we first saw it), from
    and to (capture timestamps: the last capture before the change and the first one after it), summary."""
    bound = stamp(parse_partial_stamp(since))
    out = []
    for edit in store.edits_since(bound):
        pieces = diff_words(f"{edit['old_title']}\n{edit['old_body']}", f"{edit['title']}\n{edit['body']}")
        out.append({"url": edit["canonical"], "title": edit["title"], "change": "edited",
                    "seen": stamp_iso(edit["first_seen"]), "from": edit["old_last_seen"],
                    "to": edit["capture_timestamp"],
                    "summary": summary(pieces) + ("; title changed" if edit["title"] != edit["old_title"] else "")})
    for gone in store.removals():
        removed_ts = "".join(ch for ch in gone["removed"] if ch.isdigit())[:14]
        if removed_ts < bound:
            continue
        out.append({"url": gone["canonical"], "title": gone["title"], "change": "removed",
                    "seen": stamp_iso(removed_ts), "from": gone["last_captured"], "to": gone["gone"] or removed_ts,
                    "summary": "answered 404/410: gone from the site"})
    out.sort(key=lambda c: c["seen"], reverse=True)
    return out
