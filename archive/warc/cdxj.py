"""`warc/index.cdxj`: pywb's CDXJ index of every closed WARC file, kept sorted so pywb can binary-search it.

Lines come from cdxj-indexer itself (the archivists' own tool), so pywb and we agree on the format; merging a
closed file's lines rewrites the index atomically (write, fsync, rename).

One difference, for replay (docs/archiving.md, Replaying revisits): a server-not-modified revisit (the HTTP 304 a
conditional request got) is a record with a 304 status line and no body. pywb replays any revisit whose own status
is a redirect or 304 as it is, empty (`ResolvingLoader.load_headers_and_payload`, "always replay zero-length
payload"), and wabac.js answers a 304 index entry with no body (`isNullBodyStatus`). So in the archive's index
such a line is resolved to the response it confirms (`for_pywb`), and a WACZ's index leaves it out
(`without_not_modified`), while the record itself stays the honest 304 it was.
"""

from __future__ import annotations

import io
import json
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


def _parse(line: str) -> tuple[str, str, dict] | None:
    try:
        key, stamp, fields = line.split(" ", 2)
        return key, stamp, json.loads(fields)
    except (ValueError, TypeError):
        return None


def _is_not_modified(fields: dict) -> bool:
    return fields.get("mime") == "warc/revisit" and str(fields.get("status")) == "304"


def _resolve(lines: list[str], rewrite) -> list[str]:
    """Each server-not-modified revisit line passed through `rewrite(revisit fields, original fields)`, the original
    being the latest response for the same URL key with the payload digest the revisit confirms, at or before it.
    A revisit whose original the lines lack is left as cdxj-indexer made it. Only the lines of URLs that have such a
    revisit are parsed: the index of years of crawls is mostly other lines."""
    pending = {n: item for n, line in enumerate(lines)
               if '"warc/revisit"' in line and '"304"' in line and (item := _parse(line)) and _is_not_modified(item[2])}
    if not pending:
        return lines
    keys = {item[0] for item in pending.values()}
    originals: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    for line in lines:
        if line.split(" ", 1)[0] in keys and (item := _parse(line)) and item[2].get("mime") != "warc/revisit" \
                and item[2].get("digest"):
            originals.setdefault((item[0], item[2]["digest"]), []).append((item[1], item[2]))
    out = list(lines)
    for n, (key, stamp, fields) in pending.items():
        earlier = [o for o in originals.get((key, fields.get("digest")), []) if o[0] <= stamp]
        if earlier:
            original = max(earlier, key=lambda o: o[0])[1]
            out[n] = f"{key} {stamp} {json.dumps(rewrite(dict(fields), original))}"
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


def without_not_modified(lines: list[str]) -> list[str]:
    """The lines but those of server-not-modified revisits whose confirmed response the lines hold. For wabac.js:
    it serves such a revisit as the 304's own headers over the confirmed body (`RemoteArchiveDB.loadPayload`) —
    no Content-Type, no Content-Encoding, so a gzip-encoded page arrives as bytes a browser will not show — and it
    refuses a line pointing at another record. Without the line, the capture at that moment is the nearest one:
    the response the 304 confirmed, for a page's latest capture."""
    confirmed = _resolve(lines, lambda fields, original: {**fields, "_resolved": True})
    return [line for line, resolved in zip(lines, confirmed, strict=True) if line == resolved]


def for_pywb(lines: list[str]) -> list[str]:
    return _resolve(lines, _for_pywb)


def merge(index: Path, lines: list[str]) -> None:
    existing = index.read_text(encoding="utf-8").splitlines() if index.exists() else []
    merged = sorted(set(for_pywb(sorted(set(existing) | set(lines)))))
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
