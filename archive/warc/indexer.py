"""From WARC bytes back to captures rows: the code that recovery after a crash, `arshif rebuild` and
`arshif ingest` share, so that the database can always be rebuilt from the WARC files alone.

Members are read one gzip member at a time, so a file cut short by a crash or a full disk yields every complete
record and says where the first incomplete one starts (where the file must be truncated).
"""

from __future__ import annotations

import io
import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer
from warcio.archiveiterator import ArchiveIterator

from archive.core.urls import canonical
from archive.warc import cdxj

logger = logging.getLogger(__name__)

CHUNK = 1 << 20
PROFILES = {"identical-payload-digest": "identical-payload-digest", "server-not-modified": "server-not-modified"}


@dataclass
class Member:
    offset: int
    length: int
    data: bytes  # the decompressed member: one WARC record


@dataclass
class Damage:
    offset: int
    length: int   # up to where reading resumed (the next whole record), or to the end of the file
    reason: str


MAGIC = b"\x1f\x8b\x08"


def _inflate(fh, offset: int) -> bytes | None:
    """The whole gzip member at offset, decompressed and CRC-checked; None when there is none there."""
    fh.seek(offset)
    decomp = zlib.decompressobj(wbits=31)
    out = []
    while not decomp.eof:
        data = fh.read(CHUNK)
        if not data:
            return None
        try:
            out.append(decomp.decompress(data))
        except zlib.error:
            return None
    return b"".join(out)


def _next_record(fh, start: int) -> int | None:
    """Where the next whole record begins after damage: a gzip header that opens a complete, CRC-checked member
    holding a WARC record (compressed bytes that merely look like a gzip header fail one of these)."""
    pos = start
    carry = b""
    while True:
        fh.seek(pos)
        chunk = fh.read(CHUNK)
        if not chunk:
            return None
        window = carry + chunk
        base = pos - len(carry)
        found = window.find(MAGIC)
        while found != -1:
            record = _inflate(fh, base + found)
            if record is not None and record.startswith(b"WARC/"):
                return base + found
            found = window.find(MAGIC, found + 1)
        carry = window[-(len(MAGIC) - 1):]
        pos += len(chunk)


def members(path: Path, damaged: list[Damage] | None = None) -> Iterator[Member]:
    """Every complete gzip member of a file, in order. A damaged member (bad deflate data, a CRC that does not
    match, a file that ends inside it) is skipped and reading resumes at the next whole record, so one flipped bit
    costs one record, not the rest of the file; `damaged` collects what was skipped. A file cut short ends in
    such a damage, which recovery truncates."""
    with path.open("rb") as fh:
        offset = 0
        pending = b""
        while True:
            decomp = zlib.decompressobj(wbits=31)
            out = []
            consumed = 0
            data = pending
            pending = b""
            reason = None
            while True:
                if not data:
                    data = fh.read(CHUNK)
                    if not data:
                        if consumed or out:
                            reason = "the file ends inside this record"
                        break
                try:
                    out.append(decomp.decompress(data))
                except zlib.error as exc:
                    reason = f"damaged gzip data ({exc})"
                    break
                if decomp.eof:
                    used = len(data) - len(decomp.unused_data)
                    consumed += used
                    pending = decomp.unused_data
                    break
                consumed += len(data)
                data = b""
            if reason is None and not decomp.eof:
                return  # the end of the file, between members
            if reason is not None:
                resume = _next_record(fh, offset + 1)
                if damaged is not None:
                    end = resume if resume is not None else fh.seek(0, 2)
                    damaged.append(Damage(offset, end - offset, reason))
                if resume is None:
                    return
                offset = resume
                fh.seek(offset)
                pending = fh.read(CHUNK)
                continue
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
    """The rows of every whole record; a damaged one is skipped with a warning naming it (rebuild, recovery and
    ingest go on with the rest of the file: `arshif verify` reports the damage)."""
    damaged: list[Damage] = []
    for member in members(path, damaged):
        row = record_row(member, warc_file, crawl_id)
        if row is not None:
            yield row
    for damage in damaged:
        logger.warning("warc/%s at offset %d: %s; %d bytes skipped, the rest of the file read", warc_file,
                       damage.offset, damage.reason, damage.length)


def index_cdxj(warc_dir: Path, path: Path) -> int:
    """cdxj.add_file, whole records only. cdxj-indexer (warcio) ends a file at a damaged member without a word, or
    raises on the bytes after it, so a damaged file is indexed record by record, the damaged ones left out."""
    damaged: list[Damage] = []
    for _ in members(path, damaged):
        pass
    if not damaged:
        return cdxj.add_file(warc_dir, path)
    lines = []
    with path.open("rb") as fh:
        for member in members(path):
            fh.seek(member.offset)
            out = io.StringIO()
            CDXJIndexer(out, [io.BytesIO(fh.read(member.length))], filename=path.name).process_all()
            for line in out.getvalue().splitlines():
                key, stamp, fields = line.split(" ", 2)
                fields = json.loads(fields)
                fields["offset"] = str(member.offset)
                lines.append(f"{key} {stamp} {json.dumps(fields)}")
    cdxj.merge(warc_dir / cdxj.INDEX_NAME, lines)
    return len(lines)
