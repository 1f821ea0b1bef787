"""What the archivist asks of one URL: every capture of it, the capture nearest a moment, the record behind it.

A URL may be pasted in any form (raw Arabic, lower-case escapes, `utm_*`, `?m=1`, a fragment, no trailing
slash): it is looked up by its canonical form, then as fetched. A revisit record holds no payload; it is resolved
to the response it refers to — by WARC-Refers-To-Target-URI and -Date when present, else to the latest earlier
response of the same URL with the same payload digest (identical-payload-digest) or the latest earlier response
(server-not-modified: the server said nothing changed since).
"""

from __future__ import annotations

import io
import sqlite3
import zlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

from warcio.archiveiterator import ArchiveIterator

from archive.core.urls import canonical


class NotArchived(LookupError):
    """Nothing in the archive for this URL (or at this moment); the message says so in one line."""


class DamagedRecord(NotArchived):
    """The capture is indexed but its record no longer reads whole (bit rot, a cut file): one line, not a
    traceback, since every command and page that shows a capture catches NotArchived."""


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


COLUMNS = ("url, canonical, timestamp, status, mime, digest, warc_file, offset, length, "
           "record_type = 'revisit', record_id, revisit_profile, refers_to_uri, refers_to_date")


def _capture(row) -> Capture:
    (url, canon, ts, status, mime, digest, warc_file, offset, length, revisit, record_id, profile, refers_uri,
     refers_date) = row
    if revisit and profile == "server-not-modified":
        status = 304
    return Capture(url, canon, ts, status, mime, digest, warc_file, offset, length, bool(revisit), record_id,
                   profile, refers_uri, refers_date)


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


def captures(conn: sqlite3.Connection, url: str) -> list[Capture]:
    """Every capture (response or revisit) of a URL in any of its forms, oldest first."""
    for form in forms_of(url):
        rows = conn.execute(f"SELECT {COLUMNS} FROM captures WHERE (canonical = ? OR url = ?) "
                            "AND record_type IN ('response', 'revisit') ORDER BY timestamp, id",
                            [form, form]).fetchall()
        if rows:
            return [_capture(r) for r in rows]
    return []


def parse_timestamp(value: str) -> datetime:
    """A 1–14 digit timestamp (YYYY[MM[DD[hh[mm[ss]]]]]), padded as the Wayback Machine pads it; ISO dates too."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if not 4 <= len(digits) <= 14 or len(digits) % 2:
        raise ValueError(f"{value!r} is not a timestamp: use YYYY, YYYYMM, YYYYMMDD … up to YYYYMMDDhhmmss")
    padded = digits + "0101000000"[len(digits) - 4:] if len(digits) < 14 else digits
    try:
        return datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{value!r} is not a real moment") from None


def when(capture: Capture) -> datetime:
    return datetime.strptime(capture.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def nearest(found: list[Capture], at: str | None) -> Capture:
    """The capture closest in time to `at` (the latest when None); the earlier one on a tie."""
    if not found:
        raise NotArchived("no capture")
    if at is None:
        return found[-1]
    moment = parse_timestamp(at)
    return min(found, key=lambda c: (abs((when(c) - moment).total_seconds()), c.timestamp))


def resolve(conn: sqlite3.Connection, capture: Capture) -> Capture:
    """The response whose payload a capture shows: itself, or for a revisit the response it refers to."""
    if not capture.revisit:
        return capture
    if capture.refers_to_uri and capture.refers_to_date:
        ts = "".join(ch for ch in capture.refers_to_date if ch.isdigit())[:14]
        row = conn.execute(f"SELECT {COLUMNS} FROM captures WHERE url = ? AND timestamp = ? "
                           "AND record_type = 'response'", [capture.refers_to_uri, ts]).fetchone()
        if row:
            return _capture(row)
    same_digest = capture.profile != "server-not-modified"
    row = conn.execute(
        f"SELECT {COLUMNS} FROM captures WHERE canonical = ? AND record_type = 'response' AND timestamp <= ? "
        + ("AND digest = ? " if same_digest else "") + "ORDER BY timestamp DESC, id DESC LIMIT 1",
        [capture.canonical, capture.timestamp] + ([capture.digest] if same_digest else [])).fetchone()
    if row is None:
        raise NotArchived(f"the revisit of {capture.url} at {capture.timestamp} refers to a response that is not "
                          "in the archive")
    return _capture(row)


def raw_record(data: Path, capture: Capture) -> bytes:
    """The WARC record as stored (its gzip member decompressed): headers, HTTP headers and payload."""
    with (Path(data) / "warc" / capture.warc_file).open("rb") as fh:
        fh.seek(capture.offset)
        member = fh.read(capture.length)
    if len(member) < capture.length:
        raise DamagedRecord(f"{capture.warc_file} ends before the record at offset {capture.offset}")
    try:
        return zlib.decompress(member, wbits=31)
    except zlib.error as exc:
        raise DamagedRecord(f"the record of {unquote(capture.url)} at {capture.timestamp} (warc/{capture.warc_file}, "
                            f"offset {capture.offset}) is damaged: {exc}; `arshif verify` reports it") from None


def payload(data: Path, capture: Capture) -> tuple[dict[str, str], bytes]:
    """HTTP headers and the payload as the browser saw it (content and transfer encodings undone)."""
    record = next(iter(ArchiveIterator(io.BytesIO(raw_record(data, capture)))))
    headers = dict(record.http_headers.headers) if record.http_headers else {}
    return headers, record.content_stream().read()
