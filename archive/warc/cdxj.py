"""`warc/index.cdxj`: pywb's CDXJ index of every closed WARC file, kept sorted so pywb can binary-search it.

Lines are cdxj-indexer's own (the archivists' tool: pywb and we agree on the format), made from the records our
reader read (archive/warc/indexer.py), so a damaged member is skipped and named rather than ending the file;
merging a closed file's lines rewrites the index atomically (write, fsync, rename).

One difference, for replay (docs/archiving.md, Replaying revisits): a server-not-modified revisit (the HTTP 304 a
conditional request got) is a record with a 304 status line and no body. pywb replays any revisit whose own status
is a redirect or 304 as it is, empty (`ResolvingLoader.load_headers_and_payload`, "always replay zero-length
payload"), and wabac.js answers a 304 index entry with no body (`isNullBodyStatus`). So in the archive's index
such a line is resolved to the response it confirms (`for_pywb`), and a WACZ's index leaves it out
(`without_not_modified`), while the record itself stays the honest 304 it was. Which response a revisit confirms
is the rule every reader shares (archive/warc/revisits.py).
"""

from __future__ import annotations

import io
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path

from archive.core.urls import canonical
from archive.warc.reader import RecordError, open_record
from archive.warc.revisits import Response, Revisit, original

with warnings.catch_warnings():  # cdxj-indexer imports pyamf, which warns about pkg_resources: cron would mail it
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from cdxj_indexer.main import CDXJIndexer

Revisits = dict[tuple[str, str], Revisit]  # (filename, offset) of a revisit's line → what its record says


class _At:
    """Where a record is, as cdxj-indexer asks its record iterator."""

    def __init__(self, offset: int, length: int):
        self.offset, self.length = offset, length

    def get_record_offset(self) -> int:
        return self.offset

    def get_record_length(self) -> int:
        return self.length


class LineMaker(CDXJIndexer):
    """cdxj-indexer's line for one record read elsewhere: its fields, its SURT key, its JSON."""

    RECORDS = tuple(CDXJIndexer.DEFAULT_RECORDS)

    def __init__(self, filename: str):
        super().__init__(io.StringIO(), [], filename=filename)
        self.curr_filename = filename

    def line(self, record, offset: int, length: int) -> str | None:
        if not self.filter_record(record):
            return None
        out = io.StringIO()
        self.process_index_entry(_At(offset, length), record, self.curr_filename, out)
        return out.getvalue().rstrip("\n") or None


_KEYS = LineMaker("-")


def _parse(line: str) -> tuple[str, str, dict] | None:
    try:
        key, stamp, fields = line.split(" ", 2)
        return key, stamp, json.loads(fields)
    except (ValueError, TypeError):
        return None


def _is_not_modified(fields: dict) -> bool:
    return fields.get("mime") == "warc/revisit" and str(fields.get("status")) == "304"


def _page_key(key: str) -> str:
    """A SURT key without its query and trailing slash: every line of one page (canonical URL) shares it."""
    return key.split("?", 1)[0].rstrip("/")


def _as_revisit(fields: dict) -> dict:
    """The revisit line a resolved line was made from."""
    return {"url": fields["url"], "mime": "warc/revisit", "status": "304", "digest": fields.get("digest"),
            **{name: fields.get(f"revisit.{name}") for name in ("length", "offset", "filename")}}


def _facts(stamp: str, fields: dict, revisits: Revisits | None, warc_dir: Path | None) -> Revisit:
    """What a revisit line's record says of its original: told by the indexer, read from the record, or (neither
    at hand) what the line itself says."""
    known = (revisits or {}).get((fields.get("filename"), fields.get("offset")))
    if known is not None:
        return known
    if warc_dir is not None:
        try:
            with open_record(warc_dir, fields["filename"], int(fields["offset"]), int(fields["length"])) as rec:
                return Revisit.of_headers(rec.rec_headers, stamp)
        except (OSError, RecordError, KeyError, TypeError, ValueError):
            pass
    return Revisit(fields["url"], stamp, fields.get("digest"))


def _resolve(lines: list[str], rewrite: Callable[[dict, dict], dict], revisits: Revisits | None = None,
             warc_dir: Path | None = None, again: set[str] | None = None) -> list[str]:
    """Each server-not-modified revisit line passed through `rewrite(revisit fields, original fields)`, the
    original chosen among the lines by archive.warc.revisits; one whose original the lines lack is left as
    cdxj-indexer made it. Lines already resolved are resolved again when their page is in `again` (new lines
    arrived for it). Only the lines of pages that have such a revisit are parsed: the index of years of crawls
    is mostly other lines."""
    pending: dict[int, tuple[str, str, dict]] = {}
    for n, line in enumerate(lines):
        if '"warc/revisit"' in line and '"304"' in line:
            item = _parse(line)
            if item and _is_not_modified(item[2]):
                pending[n] = item
        elif again and '"revisit.offset"' in line and _page_key(line.split(" ", 1)[0]) in again:
            item = _parse(line)
            if item:
                pending[n] = (item[0], item[1], _as_revisit(item[2]))
    if not pending:
        return lines
    facts = {n: _facts(stamp, fields, revisits, warc_dir) for n, (_key, stamp, fields) in pending.items()}
    wanted = {_page_key(key) for key, _stamp, _fields in pending.values()}
    wanted |= {_page_key(_KEYS.get_url_key(f.refers_to_uri)) for f in facts.values() if f.refers_to_uri}
    responses: dict[str, list[tuple[Response, dict]]] = {}
    for line in lines:
        if _page_key(line.split(" ", 1)[0]) not in wanted or '"warc/revisit"' in line or '"revisit.offset"' in line:
            continue
        item = _parse(line)
        if item:
            _key, stamp, fields = item
            responses.setdefault(canonical(fields.get("url", "")), []).append(
                (Response(fields.get("url", ""), stamp, fields.get("digest")), fields))
    out = list(lines)
    for n, (key, stamp, fields) in pending.items():
        found = original(facts[n], responses.get(facts[n].page, []), lambda candidate: candidate[0])
        if found is not None:
            out[n] = f"{key} {stamp} {json.dumps(rewrite(dict(fields), found[1]))}"
    return out


def _for_pywb(fields: dict, original: dict) -> dict:
    """Point at the confirmed response (pywb takes the status line from the record it loads); `revisit.*` keep
    where the revisit record itself is, as pywb's own `orig.*` keys do the other way round."""
    resolved = {"url": fields["url"], "mime": original.get("mime"), "status": original.get("status"),
                "digest": fields.get("digest")}
    for name in ("length", "offset", "filename"):
        resolved[name] = original.get(name)
    for name in ("length", "offset", "filename"):
        resolved[f"revisit.{name}"] = fields.get(name)
    return resolved


def without_not_modified(lines: list[str], revisits: Revisits | None = None) -> list[str]:
    """The lines but those of server-not-modified revisits whose confirmed response the lines hold. For wabac.js:
    it serves such a revisit as the 304's own headers over the confirmed body (`RemoteArchiveDB.loadPayload`) —
    no Content-Type, no Content-Encoding, so a gzip-encoded page arrives as bytes a browser will not show — and it
    refuses a line pointing at another record. Without the line, the capture at that moment is the nearest one:
    the response the 304 confirmed, for a page's latest capture."""
    confirmed = _resolve(lines, lambda fields, original: {**fields, "_resolved": True}, revisits)
    return [line for line, resolved in zip(lines, confirmed, strict=True) if line == resolved]


def for_pywb(lines: list[str], revisits: Revisits | None = None, warc_dir: Path | None = None,
             again: set[str] | None = None) -> list[str]:
    """The lines with each server-not-modified revisit resolved to its original; `warc_dir` lets the revisit
    records the indexer did not describe (`revisits`) be read for their Refers-To headers."""
    return _resolve(lines, _for_pywb, revisits, warc_dir, again)


def merge(index: Path, lines: list[str], revisits: Revisits | None = None) -> None:
    """Add a file's lines to the index in `index` (its WARC directory's), resolved with those already there."""
    existing = index.read_text(encoding="utf-8").splitlines() if index.exists() else []
    again = {_page_key(line.split(" ", 1)[0]) for line in lines if '"warc/revisit"' not in line}
    merged = sorted(set(for_pywb(sorted(set(existing) | set(lines)), revisits, index.parent, again)))
    tmp = index.with_name(index.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in merged))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, index)
