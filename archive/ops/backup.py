"""`arshif backup DEST`: a consistent copy of the archive, taken while a crawl writes (docs/operating.md, Backing up).

Why it works this way:
- The database is copied with SQLite's online backup API from a read-only connection. In WAL mode a reader sees
  one committed snapshot and never blocks the crawl's writer, so the copy is consistent without stopping the
  schedule (`cp archive.db` during a commit can copy half a transaction, or miss what is still in the -wal).
  The copy is checked with `PRAGMA integrity_check`; it stays in WAL mode like the archive (one file once its
  connection closes), so that `arshif verify` opening it does not rewrite it and its recorded SHA-256 stays true.
- The WARC files to copy are named by that snapshot, not by listing `warc/`: the backed-up database is the
  inventory. A closed file is copied whole and its SHA-256 checked against the fixity row recorded at close. A file
  still being written is copied up to the end of the last record the snapshot points into and keeps its `.open`
  suffix: exactly what a crawl interrupted at that moment would have left, so `arshif verify` finds every record
  the copy references (and reports that file as left open, as it would on the live archive at that moment), and
  after a restore the next crawl's recovery closes it like any interrupted file.
- Everything is written under a temporary name, fsynced, then renamed; `backup.incomplete` marks a backup under
  way and is removed only after `backup.json` is written, so a half-written backup is never taken for a good one.
- Nightly runs are incremental: a closed file already in DEST with its fixity row's size and SHA-256 is skipped.
  Its hash is not read again when its size and mtime are those the previous backup.json recorded (`rehash=True`
  reads every copy again, to catch bit rot on the backup disk).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive import __version__
from archive.core.files import fsync_dir, sha256_of
from archive.core.paths import DATABASE, database, warc_dir
from archive.core.times import now_iso
from archive.ops import backup_files
from archive.ops.backup_files import PART, write_atomic
from archive.store.database import DatabaseError, Store
from archive.warc.names import OPEN_SUFFIX

MANIFEST = "backup.json"
FIXITY = "warc-fixity.sha256"
UNDER_WAY = "backup.incomplete"
LOCK = ".backup.lock"

Progress = Callable[[int, int], None]


class BackupError(Exception):
    """The backup could not be made; the message is the one line the operator sees."""


@dataclass
class WarcEntry:
    """One WARC file the backed-up database knows, and what this backup did with it."""

    name: str
    state: str                # "closed" (has fixity) or "open" (being written at backup time)
    size: int | None          # closed: size recorded at close; open: bytes up to the last record indexed
    sha256: str | None        # closed: the fixity row; open: SHA-256 of the copied prefix (not a fixity value)
    action: str = "listed"    # copied, unchanged, missing, damaged, or listed (--no-warc)
    mtime_ns: int | None = None  # of the copy in DEST: lets the next backup trust it without reading it


@dataclass
class BackupReport:
    dest: str
    source: str
    started: str
    finished: str = ""
    seconds: float = 0.0
    arshif_version: str = __version__
    schema_version: int = 0
    database: dict = field(default_factory=dict)   # bytes, sha256, seconds (the online backup and its check)
    counts: dict = field(default_factory=dict)     # articles, versions, captures, warc_files
    files: list[WarcEntry] = field(default_factory=list)
    copied_bytes: int = 0
    repaired: list[str] = field(default_factory=list)  # copies in DEST that no longer matched: copied again
    problems: list[str] = field(default_factory=list)
    warc_copied: bool = True

    @property
    def complete(self) -> bool:
        return not self.problems

    def named(self, *actions: str) -> list[str]:
        return [f.name for f in self.files if f.action in actions]

    @property
    def open_files(self) -> list[str]:
        return [f.name + OPEN_SUFFIX for f in self.files if f.state == "open"]

    def as_dict(self) -> dict:
        out = asdict(self)
        out["complete"] = self.complete
        out["open_files"] = self.open_files
        out["copied"] = self.named("copied")
        out["unchanged"] = self.named("unchanged")
        return out

    def summary(self) -> str:
        db = self.database
        line = (f"{DATABASE} {db.get('bytes', 0) / 1e6:.1f} MB ({self.counts.get('captures', 0)} captures, "
                f"{self.counts.get('articles', 0)} articles, integrity ok, {db.get('seconds', 0):.1f} s)")
        closed = [f for f in self.files if f.state == "closed"]
        if self.warc_copied:
            line += (f"; {len(closed)} closed WARC files: {len(self.named('copied'))} copied "
                     f"({self.copied_bytes / 1e6:.1f} MB), {len(self.named('unchanged'))} already there")
            if self.open_files:
                line += f"; {len(self.open_files)} open, copied up to its last indexed record"
        else:
            line += f"; {len(closed)} closed WARC files listed with their fixity (not copied)"
        return f"{line} → {self.dest} in {self.seconds:.1f} s"


def backup(data: Path, dest: Path, progress: Progress | None = None, copy_warc: bool = True,
           rehash: bool = False) -> BackupReport:
    """Back up the archive in `data` into `dest`; safe while a crawl writes `data`, never writes to it.

    Raises BackupError when nothing trustworthy could be made (no archive, DEST unusable, integrity check
    failed); problems with single WARC files (missing from the source, SHA-256 not matching the fixity row) are
    in `report.problems`, the rest of the backup done all the same."""
    data, dest = Path(data), Path(dest)
    source_db = database(data)
    if not source_db.is_file():
        raise BackupError(f"no archive at {data} ({DATABASE} not found)")
    _check_places(data, dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create {dest}: {exc.strerror}") from exc
    if not os.access(dest, os.W_OK | os.X_OK):
        raise BackupError(f"{dest} is not writable")
    if database(dest).exists() and not (dest / MANIFEST).exists() and not (dest / UNDER_WAY).exists():
        raise BackupError(f"{dest} holds an {DATABASE} that is not an arshif backup (no {MANIFEST}): "
                          "refusing to overwrite it")
    clock = time.monotonic()
    report = BackupReport(dest=str(dest), source=str(data.resolve()), started=now_iso(), warc_copied=copy_warc)
    try:
        with _locked(dest):
            _run(data, dest, report, progress, copy_warc, rehash, clock)
    except OSError as exc:  # a full or failing backup disk: one line; the next run clears the .part files
        raise BackupError(f"{exc.strerror or exc}: {exc.filename or dest} (the backup is incomplete; files "
                          "already copied are kept for the next run)") from exc
    return report


def _run(data: Path, dest: Path, report: BackupReport, progress: Progress | None, copy_warc: bool,
         rehash: bool, clock: float) -> None:
    write_atomic(dest / UNDER_WAY, f"backup from {report.source} started {report.started}, pid {os.getpid()}\n")
    _remove_leftovers(dest)
    previous = _previous_copies(dest)
    db_part = dest / (DATABASE + PART)
    last_records = _copy_database(database(data), db_part, report)
    try:
        if copy_warc:
            backup_files.copy_warc(warc_dir(data), warc_dir(dest), last_records, report, previous, progress, rehash)
        write_atomic(dest / FIXITY, "".join(f"{f.sha256}  warc/{f.name}\n" for f in report.files
                                             if f.state == "closed"))
        os.replace(db_part, database(dest))
    except BaseException:
        _discard(db_part)
        raise
    fsync_dir(dest)
    if copy_warc:
        backup_files.drop_superseded(warc_dir(dest), report)
    report.finished = now_iso()
    report.seconds = round(time.monotonic() - clock, 3)
    write_atomic(dest / MANIFEST, json.dumps(report.as_dict(), ensure_ascii=False, indent=1) + "\n")
    (dest / UNDER_WAY).unlink()
    fsync_dir(dest)


# -- where -------------------------------------------------------------------------------------------------------
def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _check_places(data: Path, dest: Path) -> None:
    """A backup inside the archive would be backed up into itself, and one onto the archive's own warc/ would
    "copy" files onto themselves: refuse both, symlinks resolved."""
    data_r, dest_r = data.resolve(), dest.resolve()
    if _inside(dest_r, data_r):
        raise BackupError(f"{dest} is inside the data directory {data}: back up to another directory (another disk)")
    warc_r, dest_warc_r = warc_dir(data).resolve(), warc_dir(dest).resolve()
    if _inside(dest_warc_r, warc_r) or _inside(warc_r, dest_warc_r) or _inside(data_r, dest_warc_r):
        raise BackupError(f"{dest}/warc is the archive's own WARC directory {warc_r}")
    if dest.exists() and not dest.is_dir():
        raise BackupError(f"{dest} exists and is not a directory")


@contextmanager
def _locked(dest: Path) -> Iterator[None]:
    """Two backups into one DEST (an overlapping cron run) would rename files under each other."""
    try:
        fd = os.open(dest / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BackupError(f"cannot write to {dest}: {exc.strerror}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"another backup into {dest} is running") from None
        yield
    finally:
        os.close(fd)


def _remove_leftovers(dest: Path) -> None:
    """Temporary files of a backup that was killed: never complete, never worth keeping."""
    for path in [*dest.glob("*" + PART), *dest.glob("*" + PART + "-*"), *warc_dir(dest).glob("*" + PART)]:
        path.unlink(missing_ok=True)


def _previous_copies(dest: Path) -> dict[str, tuple[int, str, int]]:
    """name → (size, sha256, mtime_ns) of the closed copies the last backup made or checked."""
    try:
        files = json.loads((dest / MANIFEST).read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return {}
    return {f["name"]: (f["size"], f["sha256"], f["mtime_ns"]) for f in files
            if isinstance(f, dict) and f.get("state") == "closed" and f.get("action") in ("copied", "unchanged")
            and f.get("mtime_ns") is not None}


# -- the database ------------------------------------------------------------------------------------------------
def _copy_database(source: Path, part: Path, report: BackupReport) -> dict[str, tuple[str, int, int]]:
    """SQLite's online backup from a read-only connection, in one step (Store.online_copy), then the copy checked
    and read for its inventory over the connection that made it.

    Returns the last record (id, offset, length) of each file still open, for checking the copied prefix."""
    start = time.monotonic()
    try:
        archive = Store.open_as_is(source)
    except DatabaseError as exc:
        raise BackupError(f"cannot open {source}: {exc}") from exc
    try:
        with archive.online_copy(part) as copy:
            result = copy.integrity_check()
            last_records = _inventory(copy, report) if result == ["ok"] else {}
    except BackupError:
        _discard(part)
        raise
    except DatabaseError as exc:
        _discard(part)
        raise BackupError(f"the online backup of {source} failed: {exc}") from exc
    except OSError as exc:
        _discard(part)
        raise BackupError(f"cannot write {part}: {exc.strerror}") from exc
    finally:
        archive.close()
    if result != ["ok"]:
        _discard(part)
        raise BackupError("integrity check of the copied database failed: " + "; ".join(result[:3]))
    if part.with_name(part.name + "-wal").exists():  # closing the last connection checkpoints and removes it
        _discard(part)
        raise BackupError(f"the copied database left {part.name}-wal behind: the copy is not one file")
    fsync_dir(part)  # any path: it opens it read-only and fsyncs
    report.database = {"bytes": part.stat().st_size, "sha256": sha256_of(part),
                       "seconds": round(time.monotonic() - start, 3)}
    return last_records


def _discard(part: Path) -> None:
    """A database copy that will not be used, with the journal or WAL its connection may have left."""
    for path in (part, *(part.with_name(part.name + suffix) for suffix in ("-journal", "-wal", "-shm"))):
        path.unlink(missing_ok=True)


def _inventory(copy: Store, report: BackupReport) -> dict[str, tuple[str, int, int]]:
    """The WARC files of the snapshot into report.files: closed ones with their fixity, open ones with how far the
    snapshot reads into them."""
    tables = copy.table_names()
    if "schema_version" not in tables or "warc_files" not in tables:
        raise BackupError(f"{report.source}/{DATABASE} is not an arshif archive (no schema_version/warc_files)")
    report.schema_version = copy.schema_version()
    report.counts = {table: copy.count(table)
                     for table in ("articles", "article_versions", "captures", "warc_files") if table in tables}
    ends = copy.capture_ends()
    files = []
    for row in copy.warc_files():
        name, closed, size, sha256 = row["name"], row["closed"], row["size"], row["sha256"]
        if closed is not None and size is not None and sha256:
            files.append(WarcEntry(name, "closed", size, sha256))
        else:
            files.append(WarcEntry(name, "open", ends.get(name), None))
    report.files = files
    last_records = {}
    for entry in files:
        if entry.state == "open":
            row = copy.last_record_in(entry.name)
            if row:
                last_records[entry.name] = row
    return last_records
