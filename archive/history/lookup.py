"""What the archivist asks of one URL in a data directory: its captures, the one nearest a moment, the record
behind it and the page it holds. Each call opens the archive, answers, and closes it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from archive.core.paths import database
from archive.history.snapshots import Capture, NotArchived, captures, nearest, payload, raw_record, resolve
from archive.store.database import Store


class BadTimestamp(ValueError):
    """A moment (`--at`, `--from`, `--since`) that is not one: a usage error, one line."""


def capture_at(conn: sqlite3.Connection, url: str, at: str | None) -> Capture:
    """The capture of URL nearest `at` (the latest by default): NotArchived when URL has none."""
    found = captures(conn, url)
    if not found:
        raise NotArchived(f"no capture of {url} in the archive")
    try:
        return nearest(found, at)
    except ValueError as exc:
        raise BadTimestamp(str(exc)) from None


def kind(capture: Capture) -> str:
    if not capture.revisit:
        return "response"
    return "revisit, not modified" if capture.status == 304 else "revisit, same payload"


@dataclass
class CaptureList:
    """Every capture of one URL, oldest first (docs/reference.md, arshif snapshots)."""

    url: str  # as asked
    captures: list[Capture]

    def as_list(self) -> list[dict]:
        return [c.as_json() for c in self.captures]

    def lines(self) -> list[str]:
        return [f"{c.timestamp}  {c.status or '-':>3}  {kind(c):<22} {c.mime or '-':<24} {c.digest or '-'}  "
                f"{c.warc_file}:{c.offset}" for c in self.captures]

    def summary(self) -> str:
        if not self.captures:
            return f"no capture of {self.url} in the archive"
        return f"{len(self.captures)} captures of {self.captures[0].canonical}"


def capture_list(data: Path, url: str) -> CaptureList:
    store = Store(database(data))
    try:
        return CaptureList(url, captures(store.db.conn, url))
    finally:
        store.close()


def record_at(data: Path, url: str, at: str | None = None) -> bytes:
    """The WARC record (uncompressed) of the capture of URL nearest `at`, revisit or not."""
    store = Store(database(data))
    try:
        picked = capture_at(store.db.conn, url, at)
    finally:
        store.close()
    return raw_record(data, picked)


def page_at(data: Path, url: str, at: str | None = None) -> bytes:
    """The page of the capture of URL nearest `at` as the browser received it; a revisit shows the response it
    refers to."""
    store = Store(database(data))
    try:
        shown = resolve(store.db.conn, capture_at(store.db.conn, url, at))
    finally:
        store.close()
    return payload(data, shown)[1]
