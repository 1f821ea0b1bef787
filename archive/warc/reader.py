"""Reading one stored WARC record back by its pointer (file, offset, length): the one place records are inflated.

Every record is its own gzip member, inflated here rather than by warcio, which writes zlib's error to stderr and
ends the record early (a flipped bit would pass for a shorter record). The inflater checks the member's CRC at its
end and never gives more than a limit of bytes: a member that inflates past it (a bomb) is refused with
RecordTooLarge instead of being held. The HTTP payload's Content-Encoding (a gzip-encoded body is stored as it was
received) is undone by the same inflater, with a limit of its own. Small members — pages, stylesheets, images —
are read and inflated in one call; larger ones stream, a block at a time.
"""

from __future__ import annotations

import io
import logging
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParserException

from archive.core.sizes import size_from_environment
from archive.warc.names import open_warc

logger = logging.getLogger(__name__)

# Every reader's limits (the crawl's settings ARSHIF_RECORD_LIMIT and ARSHIF_PAYLOAD_LIMIT default to them): the
# environment variables of the same names change them for every command, the crawl included.
RECORD_LIMIT = size_from_environment("ARSHIF_RECORD_LIMIT", 2 << 30)     # decompressed bytes of one record
PAYLOAD_LIMIT = size_from_environment("ARSHIF_PAYLOAD_LIMIT", 256 << 20)  # decoded payload bytes handed over at once
ONE_READ = 1 << 20         # a member this small (compressed) is read in one call …
ONE_CALL = 8 << 20         # … and inflated in one, when it gives at most this much
BLOCK = 256 << 10          # otherwise: compressed bytes read, and bytes given, at a time

GZIP, ZLIB, RAW_DEFLATE = 31, 15, -15  # zlib's wbits for a gzip member, a zlib stream, bare deflate data
DEFLATE_RATIO = 1032   # deflate's largest expansion: a gzip or deflate payload this many times under a limit fits it
ENCODINGS = ("gzip", "deflate", "br")  # the Content-Encodings undone (any other is passed on as stored)


class RecordError(ValueError):
    """A record that cannot be read whole: damaged, cut short, not a WARC record. `file` and `offset` say where."""

    def __init__(self, message: str, file: str | None = None, offset: int | None = None):
        super().__init__(message)
        self.file, self.offset = file, offset


class RecordTooLarge(RecordError):
    """A record, or its decoded payload, inflates past the limit it was read with: refused, not held."""


class Inflater:
    """One gzip member or zlib stream, inflated a bounded amount at a time (`most` bytes per call)."""

    __slots__ = ("_z", "produced")

    def __init__(self, wbits: int = GZIP):
        self._z = zlib.decompressobj(wbits=wbits)
        self.produced = 0

    def inflate(self, data: bytes, most: int) -> bytes:
        """Up to `most` bytes out of `data`; what is left of `data` is `tail`. zlib.error on damaged data (a CRC
        that does not match included)."""
        out = self._z.decompress(data, most)
        self.produced += len(out)
        return out

    @property
    def eof(self) -> bool:
        return self._z.eof

    @property
    def tail(self) -> bytes:
        """Input not inflated yet because `most` was reached."""
        return self._z.unconsumed_tail

    @property
    def unused(self) -> bytes:
        """Input past the end of the stream (the next member)."""
        return self._z.unused_data


def _where(file: str | None, offset: int) -> str:
    return f"warc/{file} at offset {offset}" if file else f"offset {offset}"


def _too_large(what: str, limit: int, file: str | None, offset: int) -> RecordTooLarge:
    return RecordTooLarge(f"{what} of the record at {_where(file, offset)} inflates past the limit of "
                          f"{limit / 2**20:.0f} MiB: refused", file, offset)


class _MemberStream(io.RawIOBase):
    """The rest of a member too large to inflate in one call, as it inflates."""

    def __init__(self, fh: BinaryIO, left: int, inflater: Inflater, pending: bytes, ready: bytes, limit: int,
                 file: str | None, offset: int):
        self._fh, self._left, self._inflater, self._pending = fh, left, inflater, pending
        self._ready = memoryview(ready)
        self._limit, self._file, self._offset = limit, file, offset

    def readable(self) -> bool:
        return True

    def _damaged(self, why: str) -> RecordError:
        return RecordError(f"the record is damaged: {why}", self._file, self._offset)

    def readinto(self, buffer) -> int:
        if not self._ready:
            self._ready = memoryview(self._more(len(buffer)))
        n = min(len(buffer), len(self._ready))
        buffer[:n] = self._ready[:n]
        self._ready = self._ready[n:]
        return n

    def _more(self, most: int) -> bytes:
        while not self._inflater.eof:
            if not self._pending:
                if self._left <= 0:
                    raise self._damaged("its gzip member ends early")
                self._pending = self._fh.read(min(BLOCK, self._left))
                if not self._pending:
                    raise RecordError(f"file ends {self._left} bytes before the record does", self._file,
                                      self._offset)
                self._left -= len(self._pending)
            try:
                out = self._inflater.inflate(self._pending, max(most, 1))
            except zlib.error as exc:
                raise self._damaged(str(exc)) from None
            self._pending = self._inflater.tail
            if self._inflater.produced > self._limit:
                raise _too_large("the member", self._limit, self._file, self._offset)
            if out:
                return out
        return b""


def _member(fh: BinaryIO, offset: int, length: int, limit: int, file: str | None) -> bytes | io.BufferedReader:
    """The member at [offset, offset+length): its bytes when it inflates in one call, else a stream of them."""
    try:
        size = os.fstat(fh.fileno()).st_size
    except (OSError, AttributeError, io.UnsupportedOperation):
        size = None
    if size is not None and offset + length > size:
        raise RecordError(f"file ends {offset + length - max(size, offset)} bytes before the record does", file,
                          offset)
    fh.seek(offset)
    want = min(length, ONE_READ)
    first = fh.read(want)
    if len(first) < want:
        raise RecordError(f"file ends {length - len(first)} bytes before the record does", file, offset)
    inflater = Inflater(GZIP)
    try:
        out = inflater.inflate(first, min(ONE_CALL, limit + 1))
    except zlib.error as exc:
        raise RecordError(f"the record is damaged: {exc}", file, offset) from None
    if inflater.produced > limit:
        raise _too_large("the member", limit, file, offset)
    if inflater.eof:
        return out
    if want == length and not inflater.tail:
        raise RecordError("the record is damaged: its gzip member ends early", file, offset)
    stream = _MemberStream(fh, length - want, inflater, inflater.tail, out, limit, file, offset)
    return io.BufferedReader(stream, BLOCK)


def member_bytes(fh: BinaryIO, offset: int, length: int, limit: int = PAYLOAD_LIMIT) -> bytes:
    """The record stored in the gzip member at [offset, offset+length), decompressed whole and CRC-checked: its
    WARC headers, HTTP headers and payload as stored. RecordTooLarge past `limit` bytes."""
    file = _file_name(fh)
    found = _member(fh, offset, length, limit, file)
    if isinstance(found, bytes):
        return found
    parts = []
    while block := found.read(BLOCK):
        parts.append(block)
    return b"".join(parts)


_LOADER = ArcWarcRecordLoader()


class Record:
    """One WARC record: warcio's parsed headers, and its payload read through the bounded inflater."""

    def __init__(self, parsed, member, file: str | None, offset: int):
        self._member = member
        self.file, self.offset = file, offset
        self.format, self.content_type = parsed.format, parsed.content_type
        self.rec_type = parsed.rec_type
        self.rec_headers = parsed.rec_headers
        self.http_headers = parsed.http_headers
        self.raw_stream = parsed.raw_stream     # the payload as stored (Content-Length bounded)
        self.length = parsed.length
        self.payload_length = parsed.payload_length
        self.digest_checker = parsed.digest_checker

    def check(self) -> None:
        """Read what is left of the member: RecordError unless it is whole (CRC checked at its end)."""
        if self._member is not None:
            while self._member.read(BLOCK):
                pass
            self._member = None

    def content_stream(self, limit: int = PAYLOAD_LIMIT) -> _Decoded:
        """The payload as a browser saw it: chunked transfer and Content-Encoding (gzip, deflate, br) undone, a
        block at a time; RecordTooLarge past `limit` decoded bytes; the member checked whole at the end."""
        return _Decoded(self, limit)

    def payload(self, limit: int = PAYLOAD_LIMIT) -> bytes:
        """The whole of content_stream(), held: what show, replay, extraction and export read."""
        return self.content_stream(limit).read()

    def over_limit(self, limit: int = PAYLOAD_LIMIT) -> bool:
        """Whether the decoded payload inflates past `limit`, found by streaming it a block at a time (nothing held):
        such a record is kept and served raw, never decoded whole (verify's notes, index.cdxj, the WACZ)."""
        stream = self.content_stream(limit)
        try:
            while stream.read(BLOCK):
                pass
        except RecordTooLarge:
            return True
        return False


def read_member(fh: BinaryIO, offset: int, length: int, limit: int = RECORD_LIMIT,
                check_digests: bool = False) -> Record:
    """The one record stored in the gzip member at [offset, offset+length). RecordError (a ValueError) when it is
    not a whole record: for a member inflated in one call (nearly all) at once, for a larger one when reading
    reaches the damage (`Record.check()` reads to the end). RecordTooLarge past `limit` decompressed bytes."""
    file = _file_name(fh)
    found = _member(fh, offset, length, limit, file)
    stream = io.BytesIO(found) if isinstance(found, bytes) else found
    try:
        parsed = _LOADER.parse_record_stream(stream, check_digests=check_digests)
    except (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, ValueError) as exc:
        raise RecordError(f"no WARC record there ({exc})", file, offset) from None
    return Record(parsed, None if isinstance(found, bytes) else found, file, offset)


@contextmanager
def open_record(warc_dir: Path, name: str, offset: int, length: int, limit: int = RECORD_LIMIT
                ) -> Iterator[Record]:
    """The record a database row points at, in its file however it is named now (archive.warc.names)."""
    with open_warc(warc_dir, name) as fh:
        yield read_member(fh, offset, length, limit)


def record_payload(warc_dir: Path, name: str, offset: int, length: int, limit: int = PAYLOAD_LIMIT,
                   record_limit: int = RECORD_LIMIT) -> tuple[Record, bytes]:
    """The record a database row points at (its headers) and its payload as a browser saw it. A payload that could
    decode past `limit` (may_exceed: a large gzip body) is first decoded without being held, so that a bomb is
    refused (RecordTooLarge) in little memory rather than after `limit` bytes were held."""
    with open_warc(warc_dir, name) as fh:
        return member_payload(fh, offset, length, limit, record_limit)


def member_payload(fh: BinaryIO, offset: int, length: int, limit: int = PAYLOAD_LIMIT,
                   record_limit: int = RECORD_LIMIT) -> tuple[Record, bytes]:
    """record_payload of the member at [offset, offset+length) of an open file."""
    record = read_member(fh, offset, length, record_limit)
    http = record.http_headers
    if http is not None and may_exceed(record.length or 0, http.get_header("Content-Encoding"), limit):
        if record.over_limit(limit):
            raise _too_large("the payload", limit, record.file, offset)
        record = read_member(fh, offset, length, record_limit)
    return record, record.payload(limit)


def record_bytes(warc_dir: Path, name: str, offset: int, length: int, limit: int = PAYLOAD_LIMIT) -> bytes:
    """member_bytes of the record a database row points at."""
    with open_warc(warc_dir, name) as fh:
        return member_bytes(fh, offset, length, limit)


def may_exceed(stored: int, encoding: str | None, limit: int = PAYLOAD_LIMIT) -> bool:
    """Whether a payload of `stored` bytes with this Content-Encoding could decode past `limit`: only such a
    payload needs decoding to know (Record.over_limit). Brotli has no useful bound; an unencoded payload is
    handed over as stored."""
    encoding = (encoding or "").strip().lower()
    if encoding in ("gzip", "deflate"):
        return stored * DEFLATE_RATIO > limit
    return encoding == "br"


def _file_name(fh) -> str | None:
    name = getattr(fh, "name", None)
    return Path(name).name.removesuffix(".open") if isinstance(name, str) else None


# -- the payload as a browser saw it -------------------------------------------------------------------------------
class _Decoded:
    """A record's payload with its Content-Encoding undone as warcio's content_stream() undoes it (gzip, deflate —
    zlib or bare — and br; data that does not decode from its first byte is passed on as it is; decoding stops
    at the end of the first encoded stream or at damage after it began), but bounded."""

    def __init__(self, record: Record, limit: int):
        self._record, self._limit = record, limit
        self._source = record.raw_stream
        self._mode: str | None = None
        http = record.http_headers
        if http is not None:
            if http.get_header("transfer-encoding") == "chunked":
                self._source = ChunkedDataReader(self._source)
            encoding = (http.get_header("content-encoding") or "").lower()
            self._mode = encoding if encoding in ENCODINGS else None
        self._decoder = None
        self._pending = b""
        self._started = False
        self._done = False
        self._given = 0

    def read(self, size: int = -1) -> bytes:
        parts, total = [], 0
        while size < 0 or total < size:
            block = self._next(BLOCK if size < 0 else min(BLOCK, size - total))
            if not block:
                break
            parts.append(block)
            total += len(block)
        return b"".join(parts)

    def _count(self, data: bytes) -> bytes:
        self._given += len(data)
        if self._given > self._limit:
            raise _too_large("the payload", self._limit, self._record.file, self._record.offset)
        return data

    def _end(self) -> bytes:
        if not self._done:
            self._done = True
            self._record.check()
        return b""

    def _next(self, most: int) -> bytes:
        if self._done:
            return b""
        while True:
            if self._mode is None:
                data = self._pending or self._source.read(most)
                self._pending = b""
                return self._count(data) if data else self._end()
            if self._decoder is not None and self._decoder_finished():
                return self._end()
            drained = False
            if not self._pending and self._decoder_wants_input():
                self._pending = self._source.read(BLOCK)
                drained = not self._pending  # the body ends: what the decoder still holds, then the end
            try:
                out = self._decode(most)
            except (zlib.error, _BrotliError) as exc:
                if self._started:
                    logger.debug("content decoding of %s stopped: %s", _where(self._record.file,
                                                                             self._record.offset), exc)
                    return self._end()
                if self._mode == "deflate":
                    self._mode, self._decoder = "deflate-raw", None
                else:
                    self._mode = None  # not encoded after all: passed on as it is
                continue
            if out:
                self._started = True
                return self._count(out)
            if drained:
                return self._end()  # an encoded body cut short: what decoded is what there is

    def _decoder_finished(self) -> bool:
        if self._mode == "br":
            return self._decoder.is_finished()
        return self._decoder.eof

    def _decoder_wants_input(self) -> bool:
        if self._decoder is None:
            return True
        if self._mode == "br":
            return self._decoder.can_accept_more_data()
        return not self._decoder.tail

    def _decode(self, most: int) -> bytes:
        if self._decoder is None:
            if self._mode == "br":
                import brotli

                self._decoder = brotli.Decompressor()
            else:
                self._decoder = Inflater({"gzip": GZIP, "deflate": ZLIB, "deflate-raw": RAW_DEFLATE}[self._mode])
        if self._mode == "br":
            data = self._pending if self._decoder.can_accept_more_data() else b""
            out = self._decoder.process(data, output_buffer_limit=most)
            if data:
                self._pending = b""
            return out
        out = self._decoder.inflate(self._pending, most)  # on an error, the input stays pending: passed on as is
        self._pending = self._decoder.tail
        return out


try:
    from brotli import error as _BrotliError
except ImportError:  # pragma: no cover - brotli comes with warcio's extras, as warcio's own decoding needs it
    class _BrotliError(Exception):
        pass
