"""From WARC bytes back to what the archive knows of them: every member of a file read once, in order, for the
captures rows, the CDXJ lines, the record count and the damage that closing a file (archive/warc/closing.py),
recovery after a crash, `arshif rebuild` and `arshif ingest` share — the database can always be rebuilt from the
WARC files alone.

A file is read one gzip member at a time through the bounded inflater (archive/warc/reader.py), keeping only the
head of each record (its headers): a file cut short by a crash or a full disk yields every complete record and says
where the first incomplete one starts (where the file must be truncated); a damaged member is named and skipped,
and reading resumes at the next whole record.
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParserException

from archive.core.http import mime_type
from archive.core.times import instant, stamp
from archive.core.urls import canonical
from archive.warc import cdxj
from archive.warc.reader import BLOCK, GZIP, PAYLOAD_LIMIT, RECORD_LIMIT, Inflater, RecordError, may_exceed, read_member
from archive.warc.revisits import Revisit

logger = logging.getLogger(__name__)

CHUNK = 1 << 20
HEAD = 64 << 10      # bytes of each record kept while a file is read: its headers, and all of most records
MAGIC = b"\x1f\x8b\x08"
PROFILES = {"identical-payload-digest": "identical-payload-digest", "server-not-modified": "server-not-modified"}


@dataclass
class Member:
    offset: int
    length: int   # compressed, in the file
    size: int     # decompressed: one WARC record
    head: bytes   # its first bytes (all of it when `whole`)

    @property
    def whole(self) -> bool:
        return len(self.head) == self.size


@dataclass
class Damage:
    offset: int
    length: int   # up to where reading resumed (the next whole record), or to the end of the file
    reason: str


def _inflate_member(fh: BinaryIO, data: bytes, keep: int, limit: int = RECORD_LIMIT
                    ) -> tuple[int, int, bytes, bytes, str | None]:
    """The gzip member that starts `data` (more is read from fh as needed), inflated and CRC-checked, keeping its
    first `keep` bytes: (compressed length, size, head, what was read past it, why it is not whole or None)."""
    inflater = Inflater(GZIP)
    parts: list[bytes] = []
    kept = consumed = 0
    while True:
        if not data:
            data = fh.read(CHUNK)
            if not data:
                return consumed, inflater.produced, b"", b"", "the file ends inside this record"
        try:
            out = inflater.inflate(data, CHUNK)
        except zlib.error as exc:
            return consumed, inflater.produced, b"", b"", f"damaged gzip data ({exc})"
        if kept < keep and out:
            parts.append(out[:keep - kept])
            kept += len(parts[-1])
        if inflater.produced > limit:
            return consumed, inflater.produced, b"", b"", f"inflates past {limit >> 20} MiB"
        if inflater.eof:
            rest = inflater.unused
            return consumed + len(data) - len(rest), inflater.produced, b"".join(parts), rest, None
        tail = inflater.tail
        consumed += len(data) - len(tail)
        data = tail


def _next_record(fh: BinaryIO, start: int) -> int | None:
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
            fh.seek(base + found)
            _, _, head, _, reason = _inflate_member(fh, b"", 8)
            if reason is None and head.startswith(b"WARC/"):
                return base + found
            found = window.find(MAGIC, found + 1)
        carry = window[-(len(MAGIC) - 1):]
        pos += len(chunk)


def scan(fh: BinaryIO, damaged: list[Damage] | None = None, keep: int = HEAD, limit: int = RECORD_LIMIT
         ) -> Iterator[Member]:
    """Every complete gzip member of an open file, in order (see `members`)."""
    fh.seek(0)
    offset = 0
    pending = fh.read(CHUNK)
    while pending:
        length, size, head, rest, reason = _inflate_member(fh, pending, keep, limit)
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
        where = fh.tell()
        yield Member(offset, length, size, head)
        fh.seek(where)  # the consumer may have read elsewhere in the file
        offset += length
        pending = rest or fh.read(CHUNK)


def members(path: Path, damaged: list[Damage] | None = None, keep: int = HEAD) -> Iterator[Member]:
    """Every complete gzip member of a file, in order. A damaged member (bad deflate data, a CRC that does not
    match, a file that ends inside it) is skipped and reading resumes at the next whole record, so one flipped bit
    costs one record, not the rest of the file; `damaged` collects what was skipped. A file cut short ends in
    such a damage, which recovery truncates."""
    with Path(path).open("rb") as fh:
        yield from scan(fh, damaged, keep)


def complete_length(path: Path) -> int:
    """Bytes of the file made of complete members: where a cut-short file must be truncated."""
    end = 0
    for member in members(path, keep=0):
        end = member.offset + member.length
    return end


def first_member_end(fh: BinaryIO) -> int:
    """Where the first member (the warcinfo record) of a file being written ends; 0 while it is not whole."""
    for member in scan(fh, [], keep=0):
        return member.length if member.offset == 0 else 0
    return 0


def warcinfo(path: Path) -> dict[str, str]:
    """The fields of a file's warcinfo record (its first), {} when it has none."""
    for member in members(path):
        head, _, body = member.head.partition(b"\r\n\r\n")
        if b"WARC-Type: warcinfo" not in head:
            return {}
        fields = {}
        for line in body.decode("utf-8", "replace").splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        return fields
    return {}


_LOADER = ArcWarcRecordLoader(arc2warc=True)  # as cdxj-indexer's ArchiveIterator reads


class _Parsed:
    """A member's record parsed from its head, or (headers longer than the head) read again from the file."""

    def __init__(self, fh: BinaryIO, member: Member):
        stream = io.BytesIO(member.head)
        self.record = _LOADER.parse_record_stream(stream)
        self.at = stream.tell()  # decompressed bytes before the payload
        self.streamed = not member.whole and self.at >= len(member.head)
        if self.streamed:
            self.record = read_member(fh, member.offset, member.length)

    def payload_length(self, member: Member) -> int:
        """Bytes of payload stored in the record, as sent (what warcio would read of its raw stream)."""
        raw = self.record.raw_stream
        if self.streamed:
            count = 0
            while block := raw.read(BLOCK):
                count += len(block)
            return count
        left = raw.limit if isinstance(raw, LimitReader) else member.size
        return max(0, min(left, member.size - self.at))


def _short_profile(uri: str | None) -> str | None:
    if not uri:
        return None
    return next((short for key, short in PROFILES.items() if uri.endswith(key)), uri)


ROW_TYPES = ("response", "revisit", "request")


def record_row(record, payload_length: int, member: Member, warc_file: str, crawl_id: int | None) -> dict | None:
    """The captures row of one record (None for warcinfo and other records we do not index)."""
    if record.rec_type not in ROW_TYPES:
        return None
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI")
    date = headers.get_header("WARC-Date")
    http = record.http_headers
    status = None
    mime = None
    if record.rec_type != "request" and http is not None:
        try:
            status = int(http.get_statuscode())
        except (TypeError, ValueError):
            status = None
        mime = mime_type(http.get_header("Content-Type"))
    return {
        "record_id": headers.get_header("WARC-Record-ID"), "record_type": record.rec_type, "url": url,
        "canonical": canonical(url), "timestamp": _stamp(date), "date": date, "status": status, "mime": mime,
        "digest": headers.get_header("WARC-Payload-Digest") if record.rec_type != "request" else None,
        "payload_length": 0 if record.rec_type == "revisit" else payload_length, "warc_file": warc_file,
        "offset": member.offset, "length": member.length,
        "revisit_profile": _short_profile(headers.get_header("WARC-Profile")),
        "refers_to_uri": headers.get_header("WARC-Refers-To-Target-URI"),
        "refers_to_date": headers.get_header("WARC-Refers-To-Date"),
        "concurrent_to": headers.get_header("WARC-Concurrent-To") if record.rec_type == "request" else None,
        "ip": headers.get_header("WARC-IP-Address"), "crawl_id": crawl_id,
    }


def _stamp(warc_date: str | None) -> str:
    """The 14-digit timestamp of a WARC-Date."""
    when = instant(warc_date)
    return stamp(when) if when else ""


@dataclass
class FileIndex:
    """What one read of a WARC file yields."""

    name: str
    records: int = 0                                  # whole records, warcinfo included
    end: int = 0                                      # where the last whole record ends
    rows: list[dict] = field(default_factory=list)    # captures rows (when asked for)
    lines: list[str] = field(default_factory=list)    # CDXJ lines
    revisits: dict[tuple[str, str], Revisit] = field(default_factory=dict)  # (filename, offset) of a revisit line
    damaged: list[Damage] = field(default_factory=list)
    over_limit: list[OverLimit] = field(default_factory=list)  # responses kept but left out of the CDXJ lines


@dataclass
class OverLimit:
    """A response whose payload decodes past the payload limit (a gzip bomb, stored as received): kept in its file
    and its captures row, left out of index.cdxj and a WACZ's index, so that it is served only raw (`id_`)."""

    url: str
    offset: int
    limit: int

    def line(self, name: str) -> str:
        return (f"warc/{name} at offset {self.offset}: {self.url} decodes past {self.limit / 2**20:.0f} MiB "
                "(ARSHIF_PAYLOAD_LIMIT): kept, served raw, left out of the replay index")


def _over_limit(fh: BinaryIO, member: Member, record, stored: int, limit: int) -> bool:
    """Whether a response's payload decodes past `limit`: known without decoding for nearly every record (a gzip
    payload under limit/1032 bytes cannot), else found by streaming it (nothing held)."""
    if record.rec_type != "response" or record.http_headers is None:
        return False
    if not may_exceed(stored, record.http_headers.get_header("Content-Encoding"), limit):
        return False
    return read_member(fh, member.offset, member.length).over_limit(limit)


_TYPE = re.compile(rb"\r\nWARC-Type:[ \t]*([A-Za-z]+)", re.I)


def _unlisted(head: bytes) -> bool:
    """Whether the record at the start of `head` is of a type the CDXJ index leaves out (request, warcinfo), read
    from its WARC-Type header alone."""
    m = _TYPE.search(head, 0, head.find(b"\r\n\r\n"))
    return m is not None and m.group(1).lower() in (b"request", b"warcinfo")


def index(path: Path, name: str | None = None, crawl_id: int | None = None, rows: bool = True,
          keep: int = HEAD, limit: int = PAYLOAD_LIMIT, record_limit: int = RECORD_LIMIT) -> FileIndex:
    """Read a WARC file once: its captures rows (with `rows`), its CDXJ lines (cdxj-indexer's own, made from the
    records read here), the revisit facts its lines are resolved by, what is damaged, and the responses whose
    payload decodes past `limit` (a row, no line). A member that inflates past `record_limit` is damage."""
    path = Path(path)
    found = FileIndex(name or path.name.removesuffix(".open"))
    lines = cdxj.LineMaker(found.name)
    with path.open("rb") as fh:
        for member in scan(fh, found.damaged, keep, record_limit):
            found.records += 1
            found.end = member.offset + member.length
            if not rows and _unlisted(member.head):
                continue  # a request or warcinfo record: no line, nothing to parse
            try:
                parsed = _Parsed(fh, member)
                record = parsed.record
                if not member.whole and record.rec_type in lines.RECORDS and \
                        not record.rec_headers.get_header("WARC-Payload-Digest") and not parsed.streamed:
                    parsed.record, parsed.streamed = read_member(fh, member.offset, member.length), True
                    record = parsed.record
                stored = parsed.payload_length(member) if record.rec_type in ROW_TYPES else 0
                row = record_row(record, stored, member, found.name, crawl_id) \
                    if rows and record.rec_type in ROW_TYPES else None
                line = lines.line(record, member.offset, member.length)
                if line is not None and _over_limit(fh, member, record, stored, limit):
                    found.over_limit.append(OverLimit(record.rec_headers.get_header("WARC-Target-URI"),
                                                      member.offset, limit))
                    line = None
            except (ArchiveLoadFailed, StatusAndHeadersParserException, RecordError, EOFError, ValueError) as exc:
                found.records -= 1
                found.damaged.append(Damage(member.offset, member.length, f"not a WARC record ({exc})"))
                continue
            if row is not None:
                found.rows.append(row)
            if line is not None:
                found.lines.append(line)
                if record.rec_type == "revisit":
                    found.revisits[(found.name, str(member.offset))] = Revisit.of_headers(
                        record.rec_headers, line.split(" ", 2)[1])
    found.damaged.sort(key=lambda d: d.offset)
    return found


def index_lines(path: Path, name: str | None = None) -> list[str]:
    """The CDXJ lines of one WARC file, with `filename` relative to the WARC directory (`name`, default its own)."""
    return index(path, name or Path(path).name, rows=False).lines


def report_damage(name: str, damaged: list[Damage]) -> None:
    """A warning naming each damaged member (rebuild, recovery, ingest and the crawl go on with the rest of the
    file: `arshif verify` reports the damage)."""
    for damage in damaged:
        logger.warning("warc/%s at offset %d: %s; %d bytes skipped, the rest of the file read", name, damage.offset,
                       damage.reason, damage.length)
