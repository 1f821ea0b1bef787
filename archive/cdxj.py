"""`warc/index.cdxj`: pywb's CDXJ index of every closed WARC file, kept sorted so pywb can binary-search it.

Lines come from cdxj-indexer itself (the archivists' own tool), so pywb and we agree on the format; merging a
closed file's lines rewrites the index atomically (write, fsync, rename).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer

INDEX_NAME = "index.cdxj"


def index_lines(path: Path, name: str | None = None) -> list[str]:
    """The CDXJ lines of one WARC file, with `filename` relative to the WARC directory."""
    out = io.StringIO()
    with path.open("rb") as f:
        CDXJIndexer(out, [f], filename=name or path.name).process_all()
    return [line for line in out.getvalue().splitlines() if line]


def merge(index: Path, lines: list[str]) -> None:
    existing = index.read_text(encoding="utf-8").splitlines() if index.exists() else []
    merged = sorted(set(existing) | set(lines))
    tmp = index.with_name(index.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in merged))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index)


def add_file(warc_dir: Path, path: Path) -> int:
    lines = index_lines(path, path.name)
    merge(warc_dir / INDEX_NAME, lines)
    return len(lines)
