"""WARC files on disk: naming, rotation, `.open` while written (docs/archiving.md, WARC records).

A file is written as `arshif-<timestamp>-<serial>.warc.gz.open`, one gzip member per record, `warcinfo` first.
When it reaches the size limit (checked between exchanges, so a request/response pair never straddles two files)
or the crawl ends, it is flushed, fsynced and closed as every file is (archive/warc/closing.py): renamed without
`.open`, its SHA-256 computed, its CDXJ lines indexed.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from pathlib import Path

from warcio.warcwriter import GzippingWrapper, WARCWriter

from archive.core.times import stamp
from archive.warc.closing import ClosedFile, close
from archive.warc.names import NAME, OPEN_SUFFIX
from archive.warc.reader import PAYLOAD_LIMIT, RECORD_LIMIT

__all__ = ["NAME", "OPEN_SUFFIX", "ClosedFile", "RotatingWarcWriter"]

class AppendOnlyFile:
    """A file written with os.write, whole or not at all: a short write is retried, an error propagates, and
    `rollback()` cuts the file back to a record boundary. (A buffered writer could keep half a record in its
    buffer after a failed write and flush it later, into the middle of the next one.)"""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self.pos = 0

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        while view:
            written = os.write(self.fd, view)
            self.pos += written
            view = view[written:]
        return len(data)

    def tell(self) -> int:
        return self.pos

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self.fd

    def rollback(self, size: int) -> None:
        os.ftruncate(self.fd, size)
        os.lseek(self.fd, size, os.SEEK_SET)
        self.pos = size

    def close(self) -> None:
        os.close(self.fd)


GZIP_LEVEL = 6


class _Member(GzippingWrapper):
    """One record's gzip member at zlib's default level. warcio compresses at 9: on our records (pages, many
    already gzip-encoded as sent, and images) 9 costs 1.6× the CPU of 6 for 1 % smaller files (issue 21)."""

    def __init__(self, out):
        super().__init__(out)
        self.compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)


class MemberWriter(WARCWriter):
    """warcio's WARCWriter, each record its own gzip member at GZIP_LEVEL."""

    def __init__(self, filebuf, **kwargs):
        super().__init__(filebuf, gzip=False, **kwargs)

    def _write_warc_record(self, out, record):
        return super()._write_warc_record(_Member(out), record)


class RotatingWarcWriter:
    """Writes warcio records into rotating gzip WARC/1.1 files and says where each one landed."""

    def __init__(self, directory: Path, max_size: int, warcinfo: Callable[[str], dict], worker: str | None = None,
                 on_open: Callable[[str], None] | None = None, on_close: Callable[[ClosedFile], None] | None = None,
                 payload_limit: int = PAYLOAD_LIMIT, record_limit: int = RECORD_LIMIT):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_size = max_size
        self.warcinfo = warcinfo
        self.worker = worker
        self.on_open, self.on_close = on_open, on_close
        self.payload_limit = payload_limit  # a response decoding past it is left out of index.cdxj when closing
        self.record_limit = record_limit    # a member inflating past it is damage when closing
        self.serial = 0
        self.name: str | None = None
        self._fh: AppendOnlyFile | None = None
        self._writer: WARCWriter | None = None
        self.records = 0

    @property
    def path(self) -> Path | None:
        return self.directory / (self.name + OPEN_SUFFIX) if self.name else None

    def _next_name(self) -> str:
        now = stamp()
        while True:
            middle = f"-{self.worker}" if self.worker else ""
            name = f"arshif-{now}{middle}-{self.serial:05d}.warc.gz"
            self.serial += 1
            if not (self.directory / name).exists() and not (self.directory / (name + OPEN_SUFFIX)).exists():
                return name

    def _open(self) -> None:
        self.name = self._next_name()
        self._fh = AppendOnlyFile(self.directory / (self.name + OPEN_SUFFIX))
        self._writer = MemberWriter(self._fh, warc_version="1.1")
        self.records = 0
        if self.on_open:
            self.on_open(self.name)
        info = self._writer.create_warcinfo_record(self.name, self.warcinfo(self.name))
        self.write(info)

    def create_record(self, *args, **kwargs):
        """warcio's record factory (the writer's settings: WARC/1.1)."""
        if self._writer is None:
            self._open()
        return self._writer.create_warc_record(*args, **kwargs)

    def create_revisit_record(self, *args, **kwargs):
        if self._writer is None:
            self._open()
        return self._writer.create_revisit_record(*args, **kwargs)

    def write(self, record) -> tuple[str, int, int]:
        """Append one record; returns (file name, offset, length) of its gzip member."""
        if self._writer is None:
            self._open()
        offset = self._fh.tell()
        try:
            self._writer.write_record(record)
        except BaseException:
            self._fh.rollback(offset)  # never leave half a record behind (ENOSPC, EFBIG, …)
            raise
        self.records += 1
        return self.name, offset, self._fh.tell() - offset

    def sync(self) -> None:
        """Make everything written so far durable (before the database may point at it)."""
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def size(self) -> int:
        return self._fh.tell() if self._fh is not None else 0

    def rotate_if_full(self) -> ClosedFile | None:
        if self._fh is not None and self._fh.tell() >= self.max_size:
            return self.close()
        return None

    def close(self) -> ClosedFile | None:
        if self._fh is None:
            return None
        self.sync()
        self._fh.close()
        name, self.name = self.name, None
        self._fh = self._writer = None  # a failure below leaves a `.open` file: the next crawl's recovery closes it
        closed = close(self.directory, name, limit=self.payload_limit, record_limit=self.record_limit)
        if self.on_close:
            self.on_close(closed)
        return closed
