"""What the archivist asks of one URL: every capture of it, the capture nearest a moment, the record behind it.

A URL may be pasted in any form (raw Arabic, lower-case escapes, `utm_*`, `?m=1`, a fragment, no trailing
slash): it is looked up by its canonical form, then as fetched. A revisit record holds no payload; it is resolved
to the response it refers to by the rule the CDXJ index and a WACZ share (archive/warc/revisits.py). Records are
read by the bounded reader, in their file however it is named now (closed, or `.open` during a crawl).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from archive.core.paths import warc_dir
from archive.core.times import from_stamp
from archive.core.times import parse_partial_stamp as parse_timestamp
from archive.core.urls import canonical
from archive.store.database import Store
from archive.warc.reader import (
    BLOCK,
    PAYLOAD_LIMIT,
    RecordError,
    RecordTooLarge,
    may_exceed,
    open_record,
    record_bytes,
    record_payload,
)
from archive.warc.revisits import Response, Revisit, original

__all__ = ["Capture", "DamagedRecord", "NotArchived", "TooLarge", "captures", "forms_of", "nearest", "over_limit",
           "parse_timestamp", "payload", "raw_record", "resolve", "stored_payload"]


class NotArchived(LookupError):
    """Nothing in the archive for this URL (or at this moment); the message says so in one line."""


class DamagedRecord(NotArchived):
    """The capture is indexed but its record no longer reads whole (bit rot, a cut file, a missing file): one
    line, not a traceback, since every command and page that shows a capture catches NotArchived."""


class TooLarge(NotArchived):
    """The capture's record, or its decoded payload, is larger than a reader holds (archive.warc.reader's limits)."""


@dataclass
class Capture:
    url: str
    canonical: str
    timestamp: str
    status: int | None
    mime: str | None
    digest: str | None
    warc_file: str
    offset: int
    length: int
    revisit: bool
    record_id: str = ""
    profile: str | None = None
    refers_to_uri: str | None = None
    refers_to_date: str | None = None

    def as_json(self) -> dict:
        """The keys of docs/reference.md (arshif snapshots)."""
        out = asdict(self)
        for key in ("record_id", "profile", "refers_to_uri", "refers_to_date"):
            out.pop(key)
        return out


def _capture(row: dict) -> Capture:
    """A capture as the Store gives it (a dict by column name)."""
    revisit = row["record_type"] == "revisit"
    profile = row["revisit_profile"]
    status = 304 if revisit and profile == "server-not-modified" else row["status"]
    return Capture(row["url"], row["canonical"], row["timestamp"], status, row["mime"], row["digest"],
                   row["warc_file"], row["offset"], row["length"], revisit, row["record_id"], profile,
                   row["refers_to_uri"], row["refers_to_date"])


def forms_of(url: str) -> list[str]:
    """The forms to look a pasted URL up by: canonical, as typed, and with or without a trailing slash."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    canon = canonical(url)
    forms = [canon, url]
    if canon.endswith("/"):
        forms.append(canon.rstrip("/"))
    elif "?" not in canon:
        forms.append(canon + "/")
    return list(dict.fromkeys(forms))


def captures(store: Store, url: str) -> list[Capture]:
    """Every capture (response or revisit) of a URL in any of its forms, oldest first."""
    for form in forms_of(url):
        rows = store.captures_of(form)
        if rows:
            return [_capture(r) for r in rows]
    return []


def when(capture: Capture) -> datetime:
    return from_stamp(capture.timestamp)


def nearest(found: list[Capture], at: str | None) -> Capture:
    """The capture closest in time to `at` (the latest when None); the earlier one on a tie."""
    if not found:
        raise NotArchived("no capture")
    if at is None:
        return found[-1]
    moment = parse_timestamp(at)
    return min(found, key=lambda c: (abs((when(c) - moment).total_seconds()), c.timestamp))


def resolve(store: Store, capture: Capture) -> Capture:
    """The response whose payload a capture shows: itself, or for a revisit the response it refers to
    (archive.warc.revisits: the same choice the CDXJ index and a WACZ make)."""
    if not capture.revisit:
        return capture
    revisit = Revisit(capture.url, capture.timestamp, capture.digest, None, capture.refers_to_uri,
                      capture.refers_to_date)
    rows = store.responses_until(revisit.page, capture.timestamp)
    found = original(revisit, [_capture(r) for r in rows],
                     lambda c: Response(c.url, c.timestamp, c.digest, c.record_id))
    if found is None:
        raise NotArchived(f"the revisit of {capture.url} at {capture.timestamp} refers to a response that is not "
                          "in the archive")
    return found


def _unreadable(capture: Capture, exc: Exception) -> NotArchived:
    """One line for a record that cannot be shown."""
    where = f"the record of {unquote(capture.url)} at {capture.timestamp} (warc/{capture.warc_file}, offset " \
            f"{capture.offset})"
    if isinstance(exc, RecordTooLarge):
        return TooLarge(f"{where} is too large to show: {exc}")
    if isinstance(exc, FileNotFoundError):
        return DamagedRecord(f"{where} is in a WARC file that is missing; `arshif verify` reports it")
    reason = str(exc).removeprefix("the record is damaged: ")
    return DamagedRecord(f"{where} is damaged: {reason}; `arshif verify` reports it")


def raw_record(data: Path, capture: Capture) -> bytes:
    """The WARC record as stored (its gzip member decompressed): headers, HTTP headers and payload."""
    try:
        return record_bytes(warc_dir(data), capture.warc_file, capture.offset, capture.length)
    except (RecordError, FileNotFoundError) as exc:
        raise _unreadable(capture, exc) from None


def payload(data: Path, capture: Capture, limit: int = PAYLOAD_LIMIT) -> tuple[dict[str, str], bytes]:
    """HTTP headers and the payload as the browser saw it (content and transfer encodings undone); TooLarge when
    it decodes past `limit`."""
    try:
        record, body = record_payload(warc_dir(data), capture.warc_file, capture.offset, capture.length, limit)
        return (dict(record.http_headers.headers) if record.http_headers else {}), body
    except (RecordError, FileNotFoundError) as exc:
        raise _unreadable(capture, exc) from None


def over_limit(data: Path, capture: Capture, limit: int = PAYLOAD_LIMIT) -> str | None:
    """One line saying that the capture's payload decodes past `limit` (a gzip bomb, kept as stored, left out of
    the replay index), or None: streamed, nothing held, and only a payload that could exceed it is decoded."""
    try:
        with open_record(warc_dir(data), capture.warc_file, capture.offset, capture.length) as record:
            http = record.http_headers
            if http is None or not may_exceed(record.length, http.get_header("Content-Encoding"), limit):
                return None
            if not record.over_limit(limit):
                return None
    except (RecordError, FileNotFoundError):
        return None  # damaged or missing: whoever reads it says so
    return f"the record of {unquote(capture.url)} at {capture.timestamp} decodes past {limit / 2**20:.0f} MiB " \
           "(ARSHIF_PAYLOAD_LIMIT): kept as stored, served raw only"


def stored_payload(data: Path, capture: Capture) -> Iterator[bytes]:
    """The payload as stored (its Content-Encoding not undone), a block at a time: how a record whose payload
    decodes past the limit is served."""
    try:
        with open_record(warc_dir(data), capture.warc_file, capture.offset, capture.length) as record:
            while block := record.raw_stream.read(BLOCK):
                yield block
    except (RecordError, FileNotFoundError) as exc:
        raise _unreadable(capture, exc) from None
