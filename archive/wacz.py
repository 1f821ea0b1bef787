"""`arshif export --format wacz`: the chosen articles as one WACZ file that ReplayWeb.page and pywb open.

WACZ 1.1.1 is a ZIP: `archive/*.warc.gz` (the records), `indexes/index.cdx` (CDXJ lines made by cdxj-indexer, as our own
index is), `pages/pages.jsonl` (one line per article: the entry points a replay tool lists), `datapackage.json`
(every file with its size and SHA-256) and `datapackage-digest.json` (the digest of that). The records are copied
byte for byte — each is its own gzip member, so a member moves without being decompressed — which keeps every
digest and signature of the original capture valid: an export is a subset of the archive, not a re-encoding.
For each article: every capture of it (responses and revisits, with their request records), the responses its
revisits refer to, and the captures of its lead image.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from warcio.warcwriter import WARCWriter

from archive import __version__
from archive.cdxj import index_lines

WARC_NAME = "data.warc.gz"


def _records(conn: sqlite3.Connection, article_ids: list[int]) -> tuple[list[tuple], list[dict]]:
    """(warc_file, offset, length) of every record to copy, in time order, and the pages."""
    pages: list[dict] = []
    urls: set[str] = set()
    for at in range(0, len(article_ids), 500):
        chunk = article_ids[at:at + 500]
        for canon, title, image, last in conn.execute(
                f"SELECT canonical, title, image, last_captured FROM articles WHERE id IN "
                f"({', '.join('?' * len(chunk))})", chunk):
            urls.add(canon)
            if image:
                urls.add(image)
            if last:
                pages.append({"url": canon, "title": title, "ts": last})
    rows: dict[str, tuple] = {}
    for url in urls:
        for row in conn.execute(
                "SELECT record_id, warc_file, offset, length, timestamp, record_type, concurrent_to, digest, "
                "revisit_profile FROM captures WHERE canonical = ? OR url = ?", [url, url]):
            rows[row[0]] = row
    wanted = dict(rows)
    for record_id, *_rest in list(rows.values()):  # the request of each response and revisit
        for row in conn.execute("SELECT record_id, warc_file, offset, length, timestamp, record_type, "
                                "concurrent_to, digest, revisit_profile FROM captures WHERE concurrent_to = ?",
                                [record_id]):
            wanted[row[0]] = row
    ordered = sorted(wanted.values(), key=lambda r: (r[4], r[5] != "request", r[0]))
    return [(r[1], r[2], r[3]) for r in ordered], pages


def _warcinfo(count: int) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    info = {"software": f"arshif {__version__}", "format": "WARC File Format 1.1",
            "description": f"arshif export of {count} articles", "isPartOf": "arshif-export"}
    writer.write_record(writer.create_warcinfo_record(WARC_NAME, info))
    return out.getvalue()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _iso(ts: str) -> str:
    return datetime.strptime(ts[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def write(data: Path, conn: sqlite3.Connection, article_ids: Iterable[int], output: Path,
          title: str = "arshif export") -> int:
    """Write the WACZ; returns the number of articles (pages) in it."""
    ids = list(article_ids)
    records, pages = _records(conn, ids)
    warc_dir = Path(data) / "warc"
    with tempfile.TemporaryDirectory(dir=Path(output).parent) as tmp:
        work = Path(tmp)
        warc = work / WARC_NAME
        with warc.open("wb") as out:
            out.write(_warcinfo(len(pages)))
            handles: dict[str, object] = {}
            try:
                for name, offset, length in records:
                    fh = handles.get(name) or handles.setdefault(name, (warc_dir / name).open("rb"))
                    fh.seek(offset)
                    out.write(fh.read(length))
            finally:
                for fh in handles.values():
                    fh.close()
        index = work / "index.cdxj"
        index.write_text("".join(line + "\n" for line in sorted(index_lines(warc, WARC_NAME))), encoding="utf-8")
        pages_file = work / "pages.jsonl"
        with pages_file.open("w", encoding="utf-8") as f:
            f.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title}) + "\n")
            for n, page in enumerate(sorted(pages, key=lambda p: p["ts"])):
                f.write(json.dumps({"id": f"p{n}", "url": page["url"], "ts": _iso(page["ts"]),
                                    "title": page["title"]}, ensure_ascii=False) + "\n")
        members = [(warc, f"archive/{WARC_NAME}"), (index, "indexes/index.cdx"), (pages_file, "pages/pages.jsonl")]
        package = {
            "profile": "data-package", "wacz_version": "1.1.1", "title": title,
            "created": datetime.now(UTC).isoformat().replace("+00:00", "Z"), "software": f"arshif {__version__}",
            "mainPageURL": pages[0]["url"] if pages else None,
            "resources": [{"name": Path(arcname).name, "path": arcname, "hash": _sha256(path),
                           "bytes": path.stat().st_size} for path, arcname in members],
        }
        package_file = work / "datapackage.json"
        package_file.write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
        digest_file = work / "datapackage-digest.json"
        digest_file.write_text(json.dumps({"path": "datapackage.json", "hash": _sha256(package_file)}),
                               encoding="utf-8")
        partial = Path(output).with_name(Path(output).name + ".part")
        with zipfile.ZipFile(partial, "w") as z:
            z.write(warc, f"archive/{WARC_NAME}", compress_type=zipfile.ZIP_STORED)  # already gzip
            for path, arcname in members[1:] + [(package_file, "datapackage.json"),
                                                (digest_file, "datapackage-digest.json")]:
                z.write(path, arcname, compress_type=zipfile.ZIP_DEFLATED)
        partial.replace(output)
    return len(pages)
