"""How `arshif backup` copies the WARC files into DEST (archive/ops/backup.py says why it works this way).

A closed file is copied whole, its SHA-256 checked against its fixity row; a file still being written is copied up
to the end of the last record the backed-up database points into, and keeps its `.open` suffix; the CDXJ index is
limited to the closed files in DEST. Everything is written under a temporary name, fsynced, then renamed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from archive.core.files import fsync_dir, sha256_of
from archive.core.paths import CDXJ
from archive.warc.indexer import first_member_end
from archive.warc.names import OPEN_SUFFIX, open_warc
from archive.warc.reader import read_member

if TYPE_CHECKING:
    from archive.ops.backup import BackupReport, Progress, WarcEntry

PART = ".part"                       # suffix of everything written before it is complete
CHUNK = 1 << 20


def copy_warc(source: Path, target: Path, last_records: dict[str, tuple[str, int, int]], report: BackupReport,
               previous: dict[str, tuple[int, str, int]], progress: Progress | None, rehash: bool) -> None:
    target.mkdir(exist_ok=True)
    total = sum(f.size or 0 for f in report.files)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(min(done, total), total)

    for entry in report.files:
        if entry.state == "closed":
            _closed_file(source, target, entry, report, previous, advance, rehash)
        else:
            _open_file(source, target, last_records.get(entry.name), entry, report, advance)
    _copy_index(source, target, report)
    fsync_dir(target)


def _closed_file(source: Path, target: Path, entry: WarcEntry, report: BackupReport,
                 previous: dict[str, tuple[int, str, int]], advance: Callable[[int], None], rehash: bool) -> None:
    copy = target / entry.name
    if copy.exists():
        st = copy.stat()
        if st.st_size == entry.size:
            trusted = not rehash and previous.get(entry.name) == (entry.size, entry.sha256, st.st_mtime_ns)
            if trusted or sha256_of(copy) == entry.sha256:
                entry.action, entry.mtime_ns = "unchanged", st.st_mtime_ns
                advance(entry.size)
                return
        report.repaired.append(entry.name)
    original = source / entry.name
    if not original.is_file():
        entry.action = "missing"
        report.problems.append(f"warc/{entry.name} is recorded as closed but is not in {source}")
        advance(entry.size)
        return
    part = target / (entry.name + PART)
    with original.open("rb") as src:
        digest, size = _copy_bytes(src, part, None, advance)
    if (size, digest) != (entry.size, entry.sha256):
        part.unlink()
        entry.action = "damaged"
        report.problems.append(f"warc/{entry.name}: the copy has SHA-256 {digest[:16]}… and {size} bytes, its fixity "
                               f"row {entry.sha256[:16]}… and {entry.size} bytes: the source file is damaged or "
                               "changed (run arshif verify); not copied")
        return
    os.replace(part, copy)
    entry.action, entry.mtime_ns = "copied", copy.stat().st_mtime_ns
    report.copied_bytes += size


def _open_file(source: Path, target: Path, last: tuple[str, int, int] | None, entry: WarcEntry, report: BackupReport,
               advance: Callable[[int], None]) -> None:
    """The part of a file being written that the snapshot references, under its `.open` name. The crawl may close
    (rename) it at any moment: it is opened by either name, and being append-only, its first bytes are the same."""
    try:
        src = open_warc(source, entry.name)
    except FileNotFoundError:
        entry.action = "missing"
        report.problems.append(f"warc/{entry.name}{OPEN_SUFFIX} (being written) is not in {source}")
        return
    part = target / (entry.name + OPEN_SUFFIX + PART)
    with src:
        if entry.size is None:  # no record indexed yet: the warcinfo record alone, if it is complete
            entry.size = first_member_end(src)
            src.seek(0)
        digest, size = _copy_bytes(src, part, entry.size, advance)
    problem = None
    if size < entry.size:
        problem = f"ends at {size} bytes, before the last record the database references ({entry.size})"
    elif last:
        record_id, offset, length = last
        try:
            with part.open("rb") as fh:
                record = read_member(fh, offset, length)
                record.check()  # whole, CRC included
                found = record.rec_headers.get_header("WARC-Record-ID")
        except (OSError, ValueError) as exc:  # RecordError: damaged, cut, or not a record
            found = f"nothing readable ({exc})"
        if found != record_id:
            problem = f"holds {found} where the database's last record {record_id} should end it"
    if problem:
        part.unlink()
        entry.action = "damaged"
        report.problems.append(f"warc/{entry.name}{OPEN_SUFFIX} (being written) {problem}; not copied")
        return
    os.replace(part, target / (entry.name + OPEN_SUFFIX))
    entry.sha256, entry.action = digest, "copied"
    report.copied_bytes += size


def _copy_bytes(src: BinaryIO, part: Path, limit: int | None, advance: Callable[[int], None]) -> tuple[str, int]:
    """Copy (the first `limit` bytes of) src into part, hashing what is read; fsynced, the source's mtime kept.
    On any error (a full backup disk) the part is removed."""
    digest = hashlib.sha256()
    size = 0
    try:
        with part.open("wb") as out:
            while limit is None or size < limit:
                block = src.read(CHUNK if limit is None else min(CHUNK, limit - size))
                if not block:
                    break
                digest.update(block)
                out.write(block)
                size += len(block)
                advance(len(block))
            out.flush()
            os.fsync(out.fileno())
        stat = os.fstat(src.fileno())
        os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def _copy_index(source: Path, target: Path, report: BackupReport) -> None:
    """warc/index.cdxj for pywb, limited to the closed files in DEST: the live index may already list files closed
    after the snapshot, or not yet list the last one closed before it (those lines are made from the copy)."""
    from archive.warc import cdxj, indexer
    index = source / CDXJ
    if not index.is_file():
        return
    present = {f.name for f in report.files if f.state == "closed" and f.action in ("copied", "unchanged")}
    kept: list[str] = []
    listed: set[str] = set()
    with index.open(encoding="utf-8") as f:  # replaced atomically by the crawl: this handle reads one version
        for line in f:
            try:
                name = json.loads(line.split(" ", 2)[2])["filename"]
            except (IndexError, ValueError, KeyError, TypeError):
                continue
            if name in present:
                kept.append(line.rstrip("\n"))
                listed.add(name)
    revisits: cdxj.Revisits = {}
    for name in sorted(present - listed):
        read = indexer.index(target / name, name, rows=False)
        kept.extend(read.lines)
        revisits.update(read.revisits)
    write_atomic(target / CDXJ, "".join(line + "\n" for line in sorted(set(cdxj.for_pywb(kept, revisits, target)))))


def drop_superseded(target: Path, report: BackupReport) -> None:
    """A partial `.open` copy made by an earlier backup, of a file now closed and copied whole."""
    for entry in report.files:
        if entry.state == "closed" and entry.action in ("copied", "unchanged"):
            with suppress(FileNotFoundError):
                (target / (entry.name + OPEN_SUFFIX)).unlink()


def write_atomic(path: Path, text: str) -> None:
    part = path.with_name(path.name + PART)
    with part.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(part, path)
