"""WARC file names, and the one place that finds a file by its name, closed or still being written.

The database names a file by its final name (`arshif-<timestamp>[-<worker>]-<serial>.warc.gz`), while the crawl
writes it as `<name>.open` until it closes it: a reader during a crawl must find either, and a file renamed
between two looks is found by a third.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

OPEN_SUFFIX = ".open"
NAME = re.compile(r"^arshif-(\d{14})(?:-([A-Za-z0-9_]+))?-(\d{5})\.warc\.gz$")


def open_warc(warc_dir: Path, name: str) -> BinaryIO:
    """The WARC file called `name` in `warc_dir`, opened for reading: closed, still `.open`, or closed (renamed)
    while we looked. FileNotFoundError when it is none of them."""
    final = Path(warc_dir) / name
    for path in (final, final.with_name(name + OPEN_SUFFIX), final):
        try:
            return path.open("rb")
        except FileNotFoundError:
            continue
    raise FileNotFoundError(f"warc/{name} is missing (neither closed nor {OPEN_SUFFIX})")


def locate(warc_dir: Path, name: str) -> Path | None:
    """Where the file called `name` is now (closed or `.open`), or None."""
    final = Path(warc_dir) / name
    for path in (final, final.with_name(name + OPEN_SUFFIX), final):
        if path.exists():
            return path
    return None
