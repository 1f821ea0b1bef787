"""`arshif verify`: does every database pointer still lead to its record? (docs/archiving.md, arshif verify)

The plain check reads each pointed-at gzip member (file present, offset inside it, headers parse, record id,
type, URL and payload digest as in the row) and each closed file's SHA-256 against its fixity row, and reports
files the database does not know and files left `.open`. `--deep` also reads every record of every file,
recomputes block and payload digests, and reports records that have no row. Records are read by the bounded
reader (archive/warc/reader.py), whole and CRC-checked: a damaged gzip member is named, and the reading of its file
resumes after it. A record whose payload decodes past the payload limit (a gzip bomb, stored as received) is
no problem: its digests are checked on the stored bytes, streamed, and `--deep` names it in a note.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from warcio.recordloader import ArcWarcRecordLoader

from archive.core.files import sha256_of
from archive.core.paths import warc_dir as warc_dir_of
from archive.store.database import Say, Store
from archive.warc.indexer import Damage, Member, scan
from archive.warc.names import NAME, OPEN_SUFFIX
from archive.warc.reader import BLOCK, PAYLOAD_LIMIT, RecordError, may_exceed, read_member

DEEP_KEEP = 1 << 20  # records up to this size are checked from the one read of their file; larger ones read again


@dataclass
class Problem:
    file: str
    message: str
    record_id: str | None = None
    offset: int | None = None

    def __str__(self) -> str:
        where = f"warc/{self.file}"
        if self.offset is not None:
            where += f" at offset {self.offset}"
        if self.record_id:
            where += f" (record {self.record_id})"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


def _check_rows(path: Path, name: str, rows: list[tuple]) -> Iterator[Problem]:
    size = path.stat().st_size
    with path.open("rb") as fh:
        for record_id, record_type, url, digest, offset, length in rows:
            if offset + length > size:
                yield Problem(name, f"record runs past the end of the file ({offset + length} > {size} bytes)",
                              record_id, offset)
                continue
            try:
                record = read_member(fh, offset, length)
                record.check()  # the whole member, CRC included, streamed
                headers = record.rec_headers
                found_id = headers.get_header("WARC-Record-ID")
            except (ValueError, OSError, EOFError) as exc:
                yield Problem(name, f"no readable record where the database points: {exc}", record_id, offset)
                continue
            except Exception as exc:  # warcio raises bare exceptions on garbage headers
                yield Problem(name, f"no readable record where the database points: {exc!r}", record_id, offset)
                continue
            if found_id != record_id:
                yield Problem(name, f"a different record is there ({found_id})", record_id, offset)
            elif record.rec_type != record_type:
                yield Problem(name, f"record is a {record.rec_type}, the database says {record_type}", record_id,
                              offset)
            elif headers.get_header("WARC-Target-URI") != url:
                yield Problem(name, "record URL differs from the database's", record_id, offset)
            elif digest and headers.get_header("WARC-Payload-Digest") != digest:
                yield Problem(name, f"payload digest {headers.get_header('WARC-Payload-Digest')} differs from the "
                                    f"database's {digest}", record_id, offset)


_LOADER = ArcWarcRecordLoader()


def _digested(fh, member: Member):
    """The member's record with its digests checked: from the head the scan kept, or read again when larger."""
    if member.whole:
        record = _LOADER.parse_record_stream(io.BytesIO(member.head), check_digests=True)
    else:
        record = read_member(fh, member.offset, member.length, check_digests=True)
    while record.raw_stream.read(BLOCK):
        pass
    return record


def _encoded(record, limit: int) -> bool:
    """Whether the record's payload could decode past `limit` (archive.warc.reader.may_exceed): only then is it
    decoded, streamed, to know."""
    http = record.http_headers
    return http is not None and may_exceed(record.length or 0, http.get_header("Content-Encoding"), limit)


def _over_limit(fh, member: Member, limit: int) -> bool:
    """Whether the record's encoded payload decodes past `limit`: streamed, nothing held."""
    return read_member(fh, member.offset, member.length).over_limit(limit)


def _deep(path: Path, name: str, rows: list[tuple], notes: list[Problem] | None = None,
          limit: int = PAYLOAD_LIMIT) -> Iterator[Problem]:
    """Every record of the file read whole, its digests recomputed; damaged records named and skipped over."""
    known = {r[0] for r in rows}
    at = {r[4]: r[0] for r in rows}
    damaged: list[Damage] = []
    with path.open("rb") as fh:
        yield from _deep_members(fh, name, known, at, damaged, notes, limit)
    for damage in damaged:
        yield _damage_problem(name, damage, at)


def _deep_members(fh, name: str, known: set, at: dict[int, str], damaged: list[Damage],
                  notes: list[Problem] | None, limit: int) -> Iterator[Problem]:
    for member in scan(fh, damaged, DEEP_KEEP):
        while damaged:
            yield _damage_problem(name, damaged.pop(0), at)
        try:
            record = _digested(fh, member)
        except RecordError as exc:
            yield Problem(name, f"record unreadable: {exc}", at.get(member.offset), member.offset)
            continue
        except Exception as exc:  # noqa: BLE001 - warcio raises bare exceptions on garbage headers
            yield Problem(name, f"record unreadable: {exc!r}", at.get(member.offset), member.offset)
            continue
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        checker = record.digest_checker
        if checker.passed is False:
            yield Problem(name, "digest mismatch: " + "; ".join(checker.problems), record_id, member.offset)
        if record.rec_type != "warcinfo" and record_id not in known:
            yield Problem(name, "record has no row in the database", record_id, member.offset)
        if notes is not None and _encoded(record, limit):
            try:
                if _over_limit(fh, member, limit):
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    notes.append(Problem(name, f"{url}: its payload decodes past {limit / 2**20:.0f} MiB "
                                               "(ARSHIF_PAYLOAD_LIMIT): kept, served raw, not decoded", record_id,
                                         member.offset))
            except RecordError as exc:
                yield Problem(name, f"record unreadable: {exc}", record_id, member.offset)


def _damage_problem(name: str, damage: Damage, at: dict[int, str]) -> Problem:
    lost = sorted(record_id for offset, record_id in at.items() if damage.offset <= offset < damage.offset +
                  damage.length)
    where = f"{damage.length} bytes unreadable" + (f", {len(lost)} record(s) the database points to" if lost else "")
    return Problem(name, f"{damage.reason}: {where}", lost[0] if lost else None, damage.offset)


def verify(data: Path, deep: bool = False, progress: Callable[[int, int], None] | None = None,
           say: Say | None = None, limit: int = PAYLOAD_LIMIT, notes: list[Problem] | None = None) -> list[Problem]:
    """Every problem found, none when all is well. The archive is opened read-only (an older schema is upgraded
    first, once, and `say` hears so). With `deep`, records whose payload decodes past `limit` are notes, not
    problems: added to `notes` when given, else each said as a line `note: …` through `say`."""
    data = Path(data)
    warc_dir = warc_dir_of(data)
    found: list[Problem] = [] if notes is None else notes
    with Store.open_for_reading(data, say, search=False) as store:
        problems = _verify(store, warc_dir, deep, progress, found, limit)
    if notes is None and say is not None:
        for note in found:
            say(f"note: {note}")
    return problems


def _verify(store: Store, warc_dir: Path, deep: bool, progress: Callable[[int, int], None] | None,
            notes: list[Problem], limit: int) -> list[Problem]:
    problems: list[Problem] = []
    files = {row["name"]: row for row in store.warc_files()}
    on_disk = {p.name for p in warc_dir.iterdir()} if warc_dir.exists() else set()
    for entry in sorted(on_disk):
        base = entry.removesuffix(OPEN_SUFFIX)
        if NAME.match(base) and base not in files:
            problems.append(Problem(entry, "WARC file unknown to the database (orphan)"))
    paths: dict[str, Path] = {}
    for name, row in files.items():
        closed, size, sha256 = row["closed"], row["size"], row["sha256"]
        final, still_open = warc_dir / name, warc_dir / (name + OPEN_SUFFIX)
        if final.exists():
            paths[name] = final
            if closed is None:
                problems.append(Problem(name, "file was never closed (no fixity recorded)"))
            elif final.stat().st_size != size:
                problems.append(Problem(name, f"size {final.stat().st_size} differs from the {size} bytes recorded "
                                              "at close (truncated or appended to)"))
            elif sha256_of(final) != sha256:
                problems.append(Problem(name, "SHA-256 differs from the fixity recorded at close"))
        elif still_open.exists():
            paths[name] = still_open
            problems.append(Problem(name + OPEN_SUFFIX, "file left open by an interrupted crawl"))
        else:
            problems.append(Problem(name, "WARC file is missing"))
    total = store.count("captures")
    done = 0
    for name in sorted(files):
        rows = store.file_captures(name)
        if name not in paths:
            if rows:
                problems.append(Problem(name, f"{len(rows)} captures point into a missing file"))
            continue
        problems.extend(_check_rows(paths[name], name, rows))
        done += len(rows)
        if progress:
            progress(done, total)
        if deep:
            problems.extend(_deep(paths[name], name, rows, notes, limit))
    for canonical_url, record_id in store.articles_without_capture():
        problems.append(Problem("-", f"article {canonical_url} points at a capture that does not exist", record_id))
    for canonical_url, record_id in store.versions_without_capture():
        problems.append(Problem("-", f"a version of {canonical_url} points at a capture that does not exist",
                                record_id))
    orphan_rows = store.captures_without_file()
    if orphan_rows:
        problems.append(Problem("-", f"{orphan_rows} captures name a WARC file the database does not list"))
    return problems
