"""Reading one stored WARC record back by its pointer (file, offset, length)."""

from __future__ import annotations

import io
import zlib

from warcio.archiveiterator import ArchiveIterator


def inflate(raw: bytes) -> bytes:
    """One gzip member decompressed in full and CRC-checked. warcio, left to decompress a damaged member itself,
    writes zlib's error to stderr and ends the record early: a flipped bit would pass for a shorter record."""
    decomp = zlib.decompressobj(wbits=31)
    try:
        data = decomp.decompress(raw)
    except zlib.error as exc:
        raise ValueError(f"the record is damaged: {exc}") from None
    if not decomp.eof:
        raise ValueError("the record is damaged: its gzip member ends early")
    return data


def read_member(fh, offset: int, length: int):
    """The one record stored in the gzip member at [offset, offset+length); ValueError when it is not whole."""
    fh.seek(offset)
    raw = fh.read(length)
    if len(raw) < length:
        raise ValueError(f"file ends {length - len(raw)} bytes before the record does")
    record = next(iter(ArchiveIterator(io.BytesIO(inflate(raw)))), None)
    if record is None:
        raise ValueError("no WARC record there")
    return record
