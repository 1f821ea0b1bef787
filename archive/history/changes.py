"""What changed in an article: word-level diffs between versions, and the weekly "stealth edits" report.

Versions come from `article_versions`: a new version is a real change of title or body (a newer extractor over the
same captures refreshes a version instead, so it never shows up here). Words are compared as the reader sees them
— whitespace-separated, punctuation and «» attached, tashkeel kept — so an added comma or a retouched diacritic is
a change, shown in place.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher

from archive.history.snapshots import NotArchived, forms_of, parse_timestamp

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


def article_id(conn: sqlite3.Connection, url: str) -> tuple[int, str]:
    """(id, canonical URL) of the article a pasted URL names, in any of its forms."""
    for form in forms_of(url):
        row = conn.execute("SELECT id, canonical FROM articles WHERE canonical = ?", [form]).fetchone()
        if row:
            return row
    row = conn.execute("SELECT a.id, a.canonical FROM captures c JOIN articles a ON a.canonical = c.canonical "
                       "WHERE c.url = ? LIMIT 1", [url.strip()]).fetchone()
    if row:
        return row
    raise NotArchived(f"no article archived at {url}")


def versions(conn: sqlite3.Connection, article: int) -> list[Version]:
    rows = conn.execute(
        "SELECT v.article_id, a.canonical, v.version, a.versions, v.title, v.body, v.first_seen, v.last_seen, "
        "v.capture_timestamp FROM article_versions v JOIN articles a ON a.id = v.article_id "
        "WHERE v.article_id = ? ORDER BY v.version", [article]).fetchall()
    return [Version(*row) for row in rows]


def version_at(found: list[Version], at: str | None) -> Version:
    """The version in effect at a moment: the last one first seen at or before it (the first when none was)."""
    if at is None:
        return found[-1]
    moment = parse_timestamp(at).strftime("%Y%m%d%H%M%S")
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


def iso(timestamp: str) -> str:
    return datetime.strptime(timestamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat()


def changes(conn: sqlite3.Connection, since: str) -> list[dict]:
    """Articles edited (a version first seen since `since`) or removed since then, newest first.

    Keys of docs/reference.md (arshif changes): url, title, change, seen (ISO 8601, when we first saw it), from
    and to (capture timestamps: the last capture before the change and the first one after it), summary."""
    bound = parse_timestamp(since).strftime("%Y%m%d%H%M%S")
    out = []
    rows = conn.execute(
        "SELECT a.canonical, v.title, v.body, v.first_seen, v.capture_timestamp, p.title, p.body, p.last_seen "
        "FROM article_versions v JOIN articles a ON a.id = v.article_id "
        "JOIN article_versions p ON p.article_id = v.article_id AND p.version = v.version - 1 "
        "WHERE v.version > 1 AND v.first_seen >= ?", [bound]).fetchall()
    for url, title, body, first_seen, captured, old_title, old_body, before in rows:
        pieces = diff_words(f"{old_title}\n{old_body}", f"{title}\n{body}")
        out.append({"url": url, "title": title, "change": "edited", "seen": iso(first_seen), "from": before,
                    "to": captured, "summary": summary(pieces) + ("; title changed" if title != old_title else "")})
    rows = conn.execute(
        "SELECT a.canonical, a.title, a.removed, a.last_captured, (SELECT min(c.timestamp) FROM captures c WHERE "
        "c.canonical = a.canonical AND c.status IN (404, 410) AND c.timestamp > a.last_captured) "
        "FROM articles a WHERE a.removed IS NOT NULL").fetchall()
    for url, title, removed, last, gone in rows:
        removed_ts = "".join(ch for ch in removed if ch.isdigit())[:14]
        if removed_ts < bound:
            continue
        out.append({"url": url, "title": title, "change": "removed", "seen": iso(removed_ts), "from": last,
                    "to": gone or removed_ts, "summary": "answered 404/410: gone from the site"})
    out.sort(key=lambda c: c["seen"], reverse=True)
    return out
