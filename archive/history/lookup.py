"""What the archivist asks of one URL in a data directory: its captures, the one nearest a moment, the record
behind it and the page it holds. Each call opens the archive read-only, answers, and closes it; `say` hears the
line saying so when the database must be upgraded first (Store.open_for_reading)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from archive.history.snapshots import Capture, NotArchived, captures, nearest, payload, raw_record, resolve
from archive.store.database import Say, Store


class BadTimestamp(ValueError):
    """A moment (`--at`, `--from`, `--since`) that is not one: a usage error, one line."""


def reader(data: str | os.PathLike, say: Say | None = None) -> Store:
    """The archive at `data`, read-only (its search index is not needed here)."""
    return Store.open_for_reading(data, say, search=False)


def capture_at(store: Store, url: str, at: str | None) -> Capture:
    """The capture of URL nearest `at` (the latest by default): NotArchived when URL has none."""
    found = captures(store, url)
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


def capture_list(data: str | os.PathLike, url: str, say: Say | None = None) -> CaptureList:
    with reader(data, say) as store:
        return CaptureList(url, captures(store, url))


def record_at(data: str | os.PathLike, url: str, at: str | None = None, say: Say | None = None) -> bytes:
    """The WARC record (uncompressed) of the capture of URL nearest `at`, revisit or not."""
    with reader(data, say) as store:
        picked = capture_at(store, url, at)
    return raw_record(data, picked)


def page_at(data: str | os.PathLike, url: str, at: str | None = None, say: Say | None = None) -> bytes:
    """The page of the capture of URL nearest `at` as the browser received it; a revisit shows the response it
    refers to."""
    with reader(data, say) as store:
        shown = resolve(store, capture_at(store, url, at))
    return payload(data, shown)[1]
