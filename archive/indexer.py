"""From WARC bytes back to captures rows: the code that recovery after a crash, `arshif rebuild` and
`arshif ingest` share, so that the database can always be rebuilt from the WARC files alone.

Members are read one gzip member at a time, so a file cut short by a crash or a full disk yields every complete
record and says where the first incomplete one starts (where the file must be truncated).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.urls import canonical

CHUNK = 1 << 20
PROFILES = {"identical-payload-digest": "identical-payload-digest", "server-not-modified": "server-not-modified"}


@dataclass
class Member:
    offset: int
    length: int
    data: bytes  # the decompressed member: one WARC record


def members(path: Path) -> Iterator[Member]:
    """Every complete gzip member of a file, in order; stops at the first incomplete or corrupt one."""
    with path.open("rb") as fh:
        offset = 0
        pending = b""
        while True:
            decomp = zlib.decompressobj(wbits=31)
            out = []
            consumed = 0
            data = pending
            pending = b""
            while True:
                if not data:
                    data = fh.read(CHUNK)
                    if not data:
                        return  # end of file inside (or before) a member
                try:
                    out.append(decomp.decompress(data))
                except zlib.error:
                    return
                if decomp.eof:
                    used = len(data) - len(decomp.unused_data)
                    consumed += used
                    pending = decomp.unused_data
                    break
                consumed += len(data)
                data = b""
            yield Member(offset, consumed, b"".join(out))
            offset += consumed
            if not pending:
                pending = fh.read(CHUNK)
                if not pending:
                    return


def complete_length(path: Path) -> int:
    """Bytes of the file made of complete members: where a cut-short file must be truncated."""
    end = 0
    for member in members(path):
        end = member.offset + member.length
    return end


def _short_profile(uri: str | None) -> str | None:
    if not uri:
        return None
    return next((short for key, short in PROFILES.items() if uri.endswith(key)), uri)


def record_row(member: Member, warc_file: str, crawl_id: int | None) -> dict | None:
    """The captures row of one record (None for warcinfo and other records we do not index)."""
    record = next(iter(ArchiveIterator(io.BytesIO(member.data))), None)
    if record is None or record.rec_type not in ("response", "revisit", "request"):
        return None
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI")
    date = headers.get_header("WARC-Date")
    stamp = "".join(ch for ch in date if ch.isdigit())[:14]
    http = record.http_headers
    status = None
    mime = None
    if record.rec_type != "request" and http is not None:
        try:
            status = int(http.get_statuscode())
        except (TypeError, ValueError):
            status = None
        content_type = http.get_header("Content-Type")
        mime = content_type.split(";")[0].strip() if content_type else None
    # bytes of payload stored in this record, as sent (a revisit stores none)
    payload_length = 0 if record.rec_type == "revisit" else len(record.raw_stream.read())
    return {
        "record_id": headers.get_header("WARC-Record-ID"), "record_type": record.rec_type, "url": url,
        "canonical": canonical(url), "timestamp": stamp, "date": date, "status": status, "mime": mime,
        "digest": headers.get_header("WARC-Payload-Digest") if record.rec_type != "request" else None,
        "payload_length": payload_length, "warc_file": warc_file, "offset": member.offset,
        "length": member.length, "revisit_profile": _short_profile(headers.get_header("WARC-Profile")),
        "refers_to_uri": headers.get_header("WARC-Refers-To-Target-URI"),
        "refers_to_date": headers.get_header("WARC-Refers-To-Date"),
        "concurrent_to": headers.get_header("WARC-Concurrent-To") if record.rec_type == "request" else None,
        "ip": headers.get_header("WARC-IP-Address"), "crawl_id": crawl_id,
    }


def capture_rows(path: Path, warc_file: str, crawl_id: int | None = None) -> Iterator[dict]:
    for member in members(path):
        row = record_row(member, warc_file, crawl_id)
        if row is not None:
            yield row
