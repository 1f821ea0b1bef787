"""`arshif ingest PATH…`: WARC files made elsewhere (by the workers of a shared frontier) into this archive.

WARC files are the unit that moves between machines (docs/scaling-out.md): each worker writes its own, and one
archive takes them all in and serves search and replay. A file is copied into `warc/` under its own name (worker
ids keep names unique across a fleet), its records indexed and its articles extracted by the code `arshif
rebuild` uses (archive/ops/rebuild.py), and only then is its fixity recorded: that row is the mark that the file is
wholly ingested, so a run that dies half-way is simply done again.

Idempotent: a file whose identical copy (name, size, SHA-256) is already ingested is skipped, so ingesting the same
files twice changes nothing. A different file under a name the archive already has is refused, never overwritten.

Versions are made in capture-time order. Captures of an article that arrive later than newer ones already
applied (worker B's files ingested after worker A's later ones) cannot be appended: that article's versions are
derived again from all its captures.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from archive.core.files import fsync_dir, sha256_of
from archive.core.paths import database
from archive.core.paths import warc_dir as warc_dir_of
from archive.ops.rebuild import close_file, extract_captures, index_file
from archive.store.database import Store
from archive.warc.indexer import Damage, members, warcinfo
from archive.warc.names import NAME, OPEN_SUFFIX

Progress = Callable[[int, int], None]
PARTIAL_SUFFIX = ".ingesting"


class IngestError(Exception):
    """Nothing can be ingested (no WARC file found)."""


@dataclass
class FileOutcome:
    name: str
    status: str             # ingested, already (an identical copy was ingested before), refused
    size: int = 0
    sha256: str | None = None
    records: int = 0
    reason: str | None = None


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    captures: int = 0
    articles: Counter = field(default_factory=Counter)
    rederived: int = 0       # articles whose versions were derived again (an older capture arrived)
    skipped_open: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        return [f"{f.name}: {f.reason}" for f in self.files if f.status == "refused"]

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def new_articles(self) -> int:
        """Articles the archive did not have (a re-derived article is counted new by the extraction again)."""
        return self.articles.get("new", 0) - self.rederived

    def summary(self) -> str:
        a = self.articles
        return (f"{self.count('ingested')} file(s) ingested, {self.count('already')} already there, "
                f"{self.count('refused')} refused; {self.captures} records indexed; {self.new_articles} new articles, "
                f"{a.get('version', 0)} later versions, {a.get('unchanged', 0)} unchanged captures, "
                f"{a.get('failed', 0)} failed" + (f"; {self.rederived} articles' versions derived again"
                                                   if self.rederived else "") + f" in {self.seconds:.1f} s")

    def as_dict(self) -> dict:
        return {"files": [vars(f) for f in self.files], "captures": self.captures, "new_articles": self.new_articles,
                "articles": dict(self.articles), "rederived": self.rederived, "skipped_open": self.skipped_open,
                "problems": self.problems, "seconds": round(self.seconds, 3)}


def warc_paths(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """The closed arshif WARC files named or inside the directories named (not recursive), and the `.open` ones
    left out: a file still being written is taken once its worker has closed it."""
    found: list[Path] = []
    still_open: list[str] = []
    for path in map(Path, paths):
        if path.is_dir():
            candidates = sorted(path.glob("*.warc.gz")) + sorted(path.glob(f"*.warc.gz{OPEN_SUFFIX}"))
        elif path.exists():
            candidates = [path]
        else:
            raise IngestError(f"{path}: no such file or directory")
        for candidate in candidates:
            if candidate.name.endswith(OPEN_SUFFIX):
                still_open.append(str(candidate))
            else:
                found.append(candidate)
    if not found and not still_open:
        raise IngestError("no WARC file (*.warc.gz) in " + ", ".join(map(str, paths)))
    return found, still_open


def ingest(data: Path, paths: Iterable[Path], progress: Progress | None = None,
           extract_progress: Progress | None = None, site_name: str | None = None) -> IngestReport:
    """Copy, index and extract the WARC files at `paths` into the archive at `data` (created if need be).
    The caller holds the data directory's lock."""
    started = time.monotonic()
    data = Path(data)
    warc_dir = warc_dir_of(data)
    warc_dir.mkdir(parents=True, exist_ok=True)
    files, report_open = warc_paths(paths)
    report = IngestReport(skipped_open=report_open)
    store = Store(database(data))
    try:
        store.ensure_search_index()
        incoming: list[Path] = []
        admitted: dict[str, str | None] = {}
        for n, path in enumerate(files, 1):
            if path.name in admitted:  # the same name twice on the command line (a file and its directory)
                same = sha256_of(path) == admitted[path.name]
                report.files.append(FileOutcome(path.name, "already" if same else "refused", path.stat().st_size,
                                                reason=None if same else "two different files with this name"))
                continue
            outcome, dest = _admit(store, warc_dir, path)
            admitted[path.name] = outcome.sha256
            report.files.append(outcome)
            if dest is not None:
                incoming.append(dest)
            if progress:
                progress(n, len(files))
        names = [p.name for p in incoming]
        read = []
        for dest, outcome in zip(incoming, [f for f in report.files if f.status == "ingested"], strict=True):
            read.append(index_file(store, dest, _crawl_for(store, dest), close_it=False))
            outcome.records = len(read[-1].rows)
            read[-1].rows.clear()  # in the database now; the rest (CDXJ lines) waits for the closing
            report.captures += outcome.records
        if incoming:
            report.rederived, rows = _captures_to_extract(store, names)
            report.articles = extract_captures(store, warc_dir, rows, extract_progress, site_name)
            store.mark_removals(sorted({row["canonical"] for row in rows}))
            store.date_crawls("ingested")
        for dest, its in zip(incoming, read, strict=True):  # last: the fixity row says the file is wholly in
            close_file(store, dest, its)
    finally:
        store.close()
    report.seconds = time.monotonic() - started
    return report


def _admit(store: Store, warc_dir: Path, path: Path) -> tuple[FileOutcome, Path | None]:
    """Whether a file goes in (copied, when it is not there yet), is already in, or is refused."""
    name = path.name
    if not NAME.match(name):
        return FileOutcome(name, "refused", reason="not an arshif WARC file name (arshif-<timestamp>[-<worker>]-"
                                                   "<serial>.warc.gz)"), None
    size = path.stat().st_size
    damaged: list[Damage] = []
    whole = 0
    for member in members(path, damaged, keep=0):
        whole = member.offset + member.length
    if damaged or whole < size:
        where = damaged[0].offset if damaged else whole
        return FileOutcome(name, "refused", size, reason=f"damaged or cut short at byte {where} of {size} "
                                                         "(copied while written? copy it again)"), None
    sha = sha256_of(path)
    outcome = FileOutcome(name, "ingested", size, sha)
    dest = warc_dir / name
    row = store.warc_file(name)
    closed = row is not None and row["closed"] is not None
    if closed and (row["size"], row["sha256"]) != (size, sha):
        outcome.status, outcome.reason = "refused", "the archive holds a different file under this name"
        return outcome, None
    if dest.exists():
        same = dest.stat().st_size == size and ((closed and row["sha256"] == sha) or sha256_of(dest) == sha)
        if not same:
            outcome.status, outcome.reason = "refused", f"a different file is already at {dest}"
            return outcome, None
        if closed:
            outcome.status = "already"
            outcome.records = max(0, (row["records"] or 1) - 1)  # without the warcinfo record
            return outcome, None
        return outcome, dest  # copied by an ingest that died before it finished: index it now
    _copy(path, dest)
    return outcome, dest


def _copy(source: Path, dest: Path) -> None:
    """Copy under a temporary name, fsync, rename: the warc/ directory never shows half a file."""
    partial = dest.with_name(dest.name + PARTIAL_SUFFIX)
    with source.open("rb") as src, partial.open("wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, dest)
    fsync_dir(dest.parent)


def _crawl_for(store: Store, path: Path) -> int | None:
    """A crawls row for the worker's crawl a file belongs to (its warcinfo: `isPartOf: arshif-crawl-N`, crawl
    ids of the worker's own database, which mean nothing here), so captures keep their provenance."""
    info = warcinfo(path)
    part = info.get("isPartOf")
    if not part:
        return None
    worker = NAME.match(path.name).group(2)
    site = re.sub(r"^crawl \d+ of ", "", info.get("description", ""))
    return store.ingested_crawl(worker, part, site, info.get("software"))


def _captures_to_extract(store: Store, names: list[str]) -> tuple[int, list]:
    """The captures the new files bring, in time order; for an article that already has a capture at or after
    the oldest of them, all its captures, after its versions are forgotten (derived again in order)."""
    new = store.article_captures(in_files=names)
    oldest: dict[str, str] = {}
    for row in new:
        oldest.setdefault(row["canonical"], row["timestamp"])
    late = [url for url, last in store.last_captures(list(oldest)).items() if last is not None and oldest[url] <= last]
    if not late:
        return 0, new
    store.forget_articles(late)
    again = store.article_captures(of_articles=late)
    late_set = set(late)
    rows = [row for row in new if row["canonical"] not in late_set] + again
    rows.sort(key=lambda row: (row["timestamp"], row["id"]))
    return len(late), rows
