"""Bringing the archive back to a consistent state after a crash, before a crawl starts (docs/operating.md, Resume).

A crawl killed with `kill -9` (or stopped by a full disk, or a power loss) can leave: a `.open` WARC file whose
last record is cut short; a file renamed but not yet marked closed; and complete records whose rows were in the
batch that died with the process. Recovery truncates the cut record, closes the file (rename, SHA-256 fixity,
CDXJ), and indexes every complete record the captures table lacks. Files whose rows are all present are skipped
by comparing counts, so recovery on a large healthy archive reads almost nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from archive.core.paths import warc_dir as warc_dir_of
from archive.store.database import Store
from archive.warc.closing import ClosedFile, close
from archive.warc.indexer import index
from archive.warc.names import NAME, OPEN_SUFFIX

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


def _add_missing(store: Store, name: str, rows: list[dict]) -> int:
    """The rows of records the captures table lacks."""
    known = store.record_ids_in(name)
    rows = [row for row in rows if row["record_id"] not in known]
    for start in range(0, len(rows), 500):
        store.add_captures(rows[start:start + 500])
    return len(rows)


def _close(store: Store, warc_dir: Path, name: str, report: RecoveryReport, cut: bool) -> ClosedFile:
    """The one closing path (archive/warc/closing.py; a `.open` file's incomplete last record cut off), then what
    the database lacks: rows, then fixity."""
    closed = close(warc_dir, name, rows=True, crawl_id=store.crawl_of_file(name), cut=cut)
    if closed.cut:
        report.truncated[name] = closed.cut
    store.add_warc_file(name, None)
    report.indexed_records += _add_missing(store, name, closed.rows)
    store.close_warc_file(name, closed.size, closed.sha256, closed.records)
    report.closed_files.append(name)
    return closed


def recover(data: Path, store: Store) -> RecoveryReport:
    report = RecoveryReport()
    warc_dir = warc_dir_of(data)
    if not warc_dir.exists():
        return report
    known = {row["name"]: row for row in store.warc_files()}
    done: set[str] = set()
    for open_path in sorted(warc_dir.glob(f"*.warc.gz{OPEN_SUFFIX}")):
        name = open_path.name.removesuffix(OPEN_SUFFIX)
        if NAME.match(name):
            _close(store, warc_dir, name, report, cut=True)
            done.add(name)
    for path in sorted(warc_dir.glob("*.warc.gz")):
        name = path.name
        if not NAME.match(name) or name in done:
            continue
        row = known.get(name)
        rows = store.captures_in(name)
        if row is not None and row["closed"] is not None and row["records"] is not None and row["records"] == rows + 1:
            continue  # closed, and every record but the warcinfo has its row
        if row is None or row["closed"] is None:  # renamed, never marked closed
            _close(store, warc_dir, name, report, cut=False)
            continue
        store.add_warc_file(name, None)
        report.indexed_records += _add_missing(store, name, index(path, name, store.crawl_of_file(name)).rows)
    return report
