"""The data directory: where it is, and the name of everything in it (docs/data.md).

Every other module asks here for a path instead of spelling a file name, so that the layout has one owner.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA = "arshif-data"
DATABASE = "archive.db"
WARC = "warc"
CDXJ = "index.cdxj"
JOBS = "jobs"
LOGS = "logs"


def data_dir(option: str | os.PathLike | None = None) -> Path:
    """`--data` when given, else $ARSHIF_DATA, else ./arshif-data."""
    return Path(option or os.environ.get("ARSHIF_DATA") or DEFAULT_DATA)


def database(data: str | os.PathLike) -> Path:
    return Path(data) / DATABASE


def warc_dir(data: str | os.PathLike) -> Path:
    return Path(data) / WARC


def cdxj_index(data: str | os.PathLike) -> Path:
    return Path(data) / WARC / CDXJ


def jobs_dir(data: str | os.PathLike) -> Path:
    return Path(data) / JOBS


def logs_dir(data: str | os.PathLike) -> Path:
    return Path(data) / LOGS
