"""Bringing the archive back to a consistent state after a crash, before a crawl starts (docs/operating.md, Resume).

A crawl killed with `kill -9` (or stopped by a full disk, or a power loss) can leave: a `.open` WARC file whose
last record is cut short; a file renamed but not yet marked closed; and complete records whose rows were in the
batch that died with the process. Recovery truncates the cut record, closes the file (rename, SHA-256 fixity,
CDXJ), and indexes every complete record the captures table lacks. Files whose rows are all present are skipped
by comparing counts, so recovery on a large healthy archive reads almost nothing.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from archive.store.database import Store
from archive.warc.indexer import capture_rows, complete_length, index_cdxj, members
from archive.warc.writer import NAME, OPEN_SUFFIX, fsync_dir, sha256_of

logger = logging.getLogger(__name__)


@dataclass
class RecoveryReport:
    closed_files: list[str] = field(default_factory=list)
    truncated: dict[str, int] = field(default_factory=dict)   # file → bytes cut off
    indexed_records: int = 0

    def __bool__(self) -> bool:
        return bool(self.closed_files or self.truncated or self.indexed_records)

    def summary(self) -> str:
        parts = []
        if self.truncated:
            parts.append("cut an incomplete record off " + ", ".join(f"{n} ({b} bytes)" for n, b in
                                                                      self.truncated.items()))
        if self.closed_files:
            parts.append(f"closed {len(self.closed_files)} file(s) left open")
        if self.indexed_records:
            parts.append(f"indexed {self.indexed_records} record(s) the database had lost")
        return "; ".join(parts) or "nothing to recover"


def _index_missing(store: Store, path: Path, name: str) -> int:
    known = {row[0] for row in store.db.execute("SELECT record_id FROM captures WHERE warc_file = ?", [name])}
    crawl = store.db.execute("SELECT crawl_id FROM warc_files WHERE name = ?", [name]).fetchone()
    rows = [row for row in capture_rows(path, name, crawl[0] if crawl else None) if row["record_id"] not in known]
    for start in range(0, len(rows), 500):
        store.add_captures(rows[start:start + 500])
    return len(rows)


def _close(store: Store, warc_dir: Path, name: str, path: Path, report: RecoveryReport) -> None:
    records = sum(1 for _ in members(path))
    store.add_warc_file(name, None)
    store.close_warc_file(name, path.stat().st_size, sha256_of(path), records)
    index_cdxj(warc_dir, path)
    report.closed_files.append(name)


def recover(data: Path, store: Store) -> RecoveryReport:
    report = RecoveryReport()
    warc_dir = Path(data) / "warc"
    if not warc_dir.exists():
        return report
    known = {row[0]: row for row in store.db.execute("SELECT name, closed, records FROM warc_files")}
    done: set[str] = set()
    for open_path in sorted(warc_dir.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        name = open_path.name.removesuffix(OPEN_SUFFIX)
        if not NAME.match(name):
            continue
        good = complete_length(open_path)
        size = open_path.stat().st_size
        if good < size:
            with open_path.open("r+b") as f:
                f.truncate(good)
                f.flush()
                os.fsync(f.fileno())
            report.truncated[name] = size - good
            logger.warning("recovery: %s ended in an incomplete record; %d bytes cut off", open_path.name, size - good)
        final = warc_dir / name
        os.replace(open_path, final)
        fsync_dir(warc_dir)
        store.add_warc_file(name, None)
        report.indexed_records += _index_missing(store, final, name)
        _close(store, warc_dir, name, final, report)
        done.add(name)
    for path in sorted(warc_dir.glob("*.warc.gz")):
        name = path.name
        if not NAME.match(name) or name in done:
            continue
        row = known.get(name)
        rows = store.db.execute("SELECT count(*) FROM captures WHERE warc_file = ?", [name]).fetchone()[0]
        if row is not None and row[1] is not None and row[2] is not None and row[2] == rows + 1:
            continue  # closed, and every record but the warcinfo has its row
        store.add_warc_file(name, None)
        report.indexed_records += _index_missing(store, path, name)
        if row is None or row[1] is None:
            _close(store, warc_dir, name, path, report)
    return report
