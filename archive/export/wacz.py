"""`arshif export --format wacz`: the chosen articles as one WACZ file that ReplayWeb.page and pywb open.

WACZ 1.1.1 is a ZIP: `archive/*.warc.gz` (the records), `indexes/index.cdx` (CDXJ lines made by cdxj-indexer, as our own
index is), `pages/pages.jsonl` (one line per article: the entry points a replay tool lists), `datapackage.json`
(every file with its size and SHA-256) and `datapackage-digest.json` (the digest of that). The records are copied
byte for byte — each is its own gzip member, so a member moves without being decompressed — which keeps every
digest and signature of the original capture valid: an export is a subset of the archive, not a re-encoding.

For each article: every capture of it (responses and revisits, with their request records) and the responses its
revisits refer to; and for each of those captures, its requisites (archive.pages.requisites: stylesheets, scripts, body
images, and what the stylesheets name) as captured nearest in time to it, each stored once. A requisite is carried
by the response that holds its bytes: when its nearest capture is a revisit, the response that revisit confirms
(the same bytes, so a replay tool's nearest match shows the same thing), and without its request record, which no
replay reads. A page replays as it looked at each capture, with what it needed then; the archive keeps the rest.

The one difference between `indexes/index.cdx` and what cdxj-indexer makes of the WARC: a server-not-modified
revisit has no line (archive.warc.cdxj.without_not_modified), so that ReplayWeb.page shows the response it confirms at
that moment instead of an empty 304 or the 304's headers over a gzip-encoded body. And a response whose payload decodes
past the payload limit (a gzip bomb a site served as a stylesheet) is copied but has no line either: a replay tool
would decode it whole; it is named in a warning, and its references are not followed.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NamedTuple

from lxml import html as lxml_html
from warcio.warcwriter import WARCWriter

from archive import __version__
from archive.core.files import sha256_of
from archive.core.paths import warc_dir as warc_dir_of
from archive.core.times import from_stamp, now
from archive.core.urls import canonical
from archive.store.database import Store
from archive.warc.cdxj import without_not_modified
from archive.warc.indexer import index
from archive.warc.names import open_warc
from archive.warc.reader import PAYLOAD_LIMIT, RecordTooLarge, member_payload
from archive.warc.revisits import Response, Revisit, original

logger = logging.getLogger(__name__)

WARC_NAME = "data.warc.gz"


class Written(NamedTuple):
    """What an export wrote, and what it could not carry (said by `arshif export`, never dropped silently)."""
    pages: int
    requisites_missing: int
    unreadable: int
    over_limit: int = 0   # records copied but left out of the index: their payload decodes past the limit
IMPORT_DEPTH = 3  # stylesheets @import-ing stylesheets: as deep as real themes go


@dataclass
class Capture:
    record_id: str
    warc_file: str
    offset: int
    length: int
    timestamp: str
    record_type: str
    url: str
    status: int | None
    mime: str | None
    digest: str | None
    revisit_profile: str | None
    refers_to_uri: str | None
    refers_to_date: str | None

    @property
    def moment(self) -> int:
        return int(from_stamp(self.timestamp).timestamp())


FIELDS = tuple(f.name for f in fields(Capture))


def as_captures(rows: list[dict]) -> list[Capture]:
    """Captures as the Store gives them (dicts by column name)."""
    return [Capture(*(row[name] for name in FIELDS)) for row in rows]


@dataclass
class Selection:
    """What goes into one export: records by id (each once), and the pages."""
    store: Store
    warc_dir: Path
    records: dict[str, Capture] = field(default_factory=dict)
    pages: list[dict] = field(default_factory=list)
    requisites_missing: int = 0   # named by a page or stylesheet, never captured
    unreadable: int = 0           # pages or stylesheets whose record could not be read (damaged)
    limit: int = PAYLOAD_LIMIT    # a payload decoding past this is not read (its record is copied, not indexed)
    _handles: dict[str, object] = field(default_factory=dict)
    _refs: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def add(self, capture: Capture) -> None:
        """The record, its request, and for a revisit the response it confirms."""
        if capture.record_id in self.records:
            return
        self.records[capture.record_id] = capture
        request = as_captures(self.store.requests_at(capture.warc_file, capture.offset + capture.length))
        if not request or request[0].record_id in self.records:
            request = as_captures(self.store.requests_concurrent_to(capture.record_id))
        for row in request:
            self.records.setdefault(row.record_id, row)
        original = self.original(capture)
        if original is not None:
            self.add(original)

    def original(self, capture: Capture) -> Capture | None:
        """The response a revisit confirms (archive.warc.revisits: the choice `show` and the CDXJ index make)."""
        if capture.record_type != "revisit":
            return None
        revisit = Revisit(capture.url, capture.timestamp, capture.digest, None, capture.refers_to_uri,
                          capture.refers_to_date)
        candidates = as_captures(self.store.responses_until(revisit.page, capture.timestamp))
        return original(revisit, candidates, lambda c: Response(c.url, c.timestamp, c.digest, c.record_id))

    def payload(self, capture: Capture) -> bytes | None:
        """The body a capture stands for, decoded as a browser would see it."""
        source = self.original(capture) if capture.record_type == "revisit" else capture
        if source is None:
            return None
        try:
            fh = self._handles.get(source.warc_file)
            if fh is None:
                fh = self._handles[source.warc_file] = open_warc(self.warc_dir, source.warc_file)
            return member_payload(fh, source.offset, source.length, self.limit)[1]
        except RecordTooLarge:  # named when the index leaves it out
            return None
        except (OSError, ValueError):  # damaged (RecordError), too large, missing: exported without what it names
            self.unreadable += 1
            return None

    def nearest(self, url: str, moment: int) -> Capture | None:
        """The capture of a requisite nearest in time to a page's capture (a 200 response, or a revisit of one)."""
        rows = as_captures(self.store.requisite_captures(canonical(url)))
        return min(rows, key=lambda c: (abs(c.moment - moment), c.record_type != "response")) if rows else None

    def references(self, capture: Capture) -> list[str]:
        """What a captured page or stylesheet names as its requisites (read once per payload)."""
        from archive.pages.requisites import css_references, is_stylesheet, page_requisites

        kind = "css" if is_stylesheet(capture.url, capture.mime if capture.record_type == "response" else None) \
            else "html"
        key = (kind, capture.digest or capture.record_id)
        if key not in self._refs:
            body = self.payload(capture)
            found: list[str] = []
            if body:
                if kind == "css":
                    found = css_references(body.decode("utf-8", "replace"), capture.url)
                else:
                    try:
                        doc = lxml_html.document_fromstring(body)
                    except (ValueError, TypeError, SyntaxError):
                        doc = None
                    if doc is not None:
                        lead = doc.xpath('string(//meta[@property="og:image"]/@content)').strip()
                        found = ([lead] if lead else []) + page_requisites(doc, capture.url)
            self._refs[key] = found
        return self._refs[key]

    def add_requisites(self, page: Capture) -> None:
        wanted = list(self.references(page))
        seen: set[str] = set()
        depth = {url: 0 for url in wanted}
        while wanted:
            url = wanted.pop(0)
            if url in seen:
                continue
            seen.add(url)
            found = self.nearest(url, page.moment)
            if found is not None and found.record_type == "revisit":
                found = self.original(found)  # the same bytes: what replays is the response it confirms
            if found is None:
                self.requisites_missing += 1
                continue
            self.records.setdefault(found.record_id, found)
            if depth[url] < IMPORT_DEPTH and (found.mime == "text/css" or url.split("?")[0].endswith(".css")):
                for ref in self.references(found):
                    depth.setdefault(ref, depth[url] + 1)
                    wanted.append(ref)

    def close(self) -> None:
        for fh in self._handles.values():
            fh.close()


def select(store: Store, warc_dir: Path, article_ids: list[int], requisites: bool = True,
           limit: int = PAYLOAD_LIMIT) -> Selection:
    """Every record the export of these articles copies, and its pages."""
    chosen = Selection(store, Path(warc_dir), limit=limit)
    try:
        for canon, title, image, last in store.export_pages(article_ids):
            if last:
                chosen.pages.append({"url": canon, "title": title, "ts": last})
            for capture in as_captures(store.page_captures(canon)):
                chosen.add(capture)
                if requisites and capture.status in (200, 304):
                    chosen.add_requisites(capture)
            if image and not requisites:  # the lead image alone, as exports did before requisites
                for capture in as_captures(store.page_captures(canonical(image))):
                    chosen.add(capture)
    finally:
        chosen.close()
    return chosen


def _warcinfo(count: int) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    info = {"software": f"arshif {__version__}", "format": "WARC File Format 1.1",
            "description": f"arshif export of {count} articles", "isPartOf": "arshif-export"}
    writer.write_record(writer.create_warcinfo_record(WARC_NAME, info))
    return out.getvalue()


def _sha256(path: Path) -> str:
    return "sha256:" + sha256_of(path)


def _iso(ts: str) -> str:
    return from_stamp(ts).isoformat().replace("+00:00", "Z")


def write(data: Path, store: Store, article_ids: Iterable[int], output: Path,
          title: str = "arshif export", requisites: bool = True, limit: int = PAYLOAD_LIMIT) -> Written:
    """Write the WACZ; returns how many articles (pages) are in it and what requisites it lacks."""
    ids = list(article_ids)
    warc_dir = warc_dir_of(data)
    chosen = select(store, warc_dir, ids, requisites, limit)
    ordered = sorted(chosen.records.values(), key=lambda r: (r.timestamp, r.record_type != "request", r.record_id))
    records = [(r.warc_file, r.offset, r.length) for r in ordered]
    pages = chosen.pages
    with tempfile.TemporaryDirectory(dir=Path(output).parent) as tmp:
        work = Path(tmp)
        warc = work / WARC_NAME
        with warc.open("wb") as out:
            out.write(_warcinfo(len(pages)))
            handles: dict[str, object] = {}
            try:
                for name, offset, length in records:
                    fh = handles.get(name) or handles.setdefault(name, open_warc(warc_dir, name))
                    fh.seek(offset)
                    out.write(fh.read(length))
            finally:
                for fh in handles.values():
                    fh.close()
        index_path = work / "index.cdx"
        read = index(warc, WARC_NAME, rows=False, limit=limit)
        for item in read.over_limit:
            logger.warning("%s: copied into the WACZ, left out of its index (served raw only)", item.url)
        index_path.write_text("".join(line + "\n" for line in sorted(without_not_modified(read.lines, read.revisits))),
                              encoding="utf-8")
        pages_file = work / "pages.jsonl"
        with pages_file.open("w", encoding="utf-8") as f:
            f.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title}) + "\n")
            for n, page in enumerate(sorted(pages, key=lambda p: p["ts"])):
                f.write(json.dumps({"id": f"p{n}", "url": page["url"], "ts": _iso(page["ts"]),
                                    "title": page["title"]}, ensure_ascii=False) + "\n")
        members = [(warc, f"archive/{WARC_NAME}"), (index_path, "indexes/index.cdx"),
                   (pages_file, "pages/pages.jsonl")]
        package = {
            "profile": "data-package", "wacz_version": "1.1.1", "title": title,
            "created": now().isoformat().replace("+00:00", "Z"), "software": f"arshif {__version__}",
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
    return Written(len(pages), chosen.requisites_missing, chosen.unreadable, len(read.over_limit))
