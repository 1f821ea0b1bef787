"""Closing a WARC file: the one path the crawl's rotation, recovery after a crash, `rebuild` and `ingest` take.

A closed file is final: renamed without `.open` (the file and its directory fsynced first), read once through the
bounded reader (its whole records counted and indexed, a damaged member named and skipped), its SHA-256 computed
— the fixity value `arshif verify` checks for as long as the archive exists — and its CDXJ lines merged into
`warc/index.cdxj`. Recording the fixity row is the caller's, through the Store (warc/ sits below store/):
`store.close_warc_file(closed.name, closed.size, closed.sha256, closed.records)`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from archive.core.files import fsync_dir, sha256_of
from archive.core.paths import CDXJ
from archive.warc import cdxj
from archive.warc.indexer import Damage, FileIndex, OverLimit, index, report_damage
from archive.warc.names import OPEN_SUFFIX
from archive.warc.reader import PAYLOAD_LIMIT, RECORD_LIMIT

logger = logging.getLogger(__name__)


@dataclass
class ClosedFile:
    name: str
    path: Path
    size: int
    sha256: str
    records: int                                        # whole records, warcinfo included
    lines: int = 0                                      # CDXJ lines merged into the index
    cut: int = 0                                        # bytes of an incomplete last record cut off
    damaged: list[Damage] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)      # captures rows, when asked for
    over_limit: list[OverLimit] = field(default_factory=list)  # responses kept but left out of index.cdxj


def close(warc_dir: Path, name: str, *, read: FileIndex | None = None, rows: bool = False,
          crawl_id: int | None = None, cut: bool = False, cdxj_index: Path | None = None,
          limit: int = PAYLOAD_LIMIT, record_limit: int = RECORD_LIMIT) -> ClosedFile:
    """Close the WARC file `name` in `warc_dir` (written as `name.open`, or already renamed).

    `read`: the file already read by archive.warc.indexer.index (rebuild and ingest read it for its rows
    before they close it); else it is read here, with its captures rows when `rows`. `cut`: an incomplete last
    record (a crash, a full disk) is cut off first. `cdxj_index`: the index to merge into (default
    `warc/index.cdxj`). A response whose payload decodes past `limit` is kept, named in a warning, and left out
    of the index; a member that inflates past `record_limit` is named as damage."""
    warc_dir = Path(warc_dir)
    final = warc_dir / name
    open_path = warc_dir / (name + OPEN_SUFFIX)
    path = open_path if open_path.exists() else final
    if read is None:
        read = index(path, name, crawl_id, rows=rows, limit=limit, record_limit=record_limit)
    size = path.stat().st_size
    cut_bytes = 0
    if cut and read.end < size:
        with path.open("r+b") as f:
            f.truncate(read.end)
            f.flush()
            os.fsync(f.fileno())
        cut_bytes = size - read.end
        read.damaged = [d for d in read.damaged if d.offset < read.end]
        logger.warning("%s ended in an incomplete record; %d bytes cut off", path.name, cut_bytes)
    if path == open_path:
        with path.open("rb") as f:  # durable before its name says it is complete
            os.fsync(f.fileno())
        os.replace(open_path, final)
        fsync_dir(warc_dir)
    report_damage(name, read.damaged)
    for item in read.over_limit:
        logger.warning("%s", item.line(name))
    cdxj.merge(cdxj_index or warc_dir / CDXJ, read.lines, read.revisits)
    return ClosedFile(name, final, final.stat().st_size, sha256_of(final), read.records, len(read.lines),
                      cut_bytes, read.damaged, read.rows, read.over_limit)
