"""The archive's last line of defence: everything derived, again from the WARC files (docs/archiving.md, rebuild).

`reextract` rebuilds articles and versions from the captured records already indexed (after an extractor
upgrade: one extractor over the whole history, so only real text changes make versions). `rebuild` first indexes
every WARC file into a new database (captures, files with their fixity), then re-extracts. `ingest`
(archive/ops/ingest.py) is the same indexing and the same extraction for files made elsewhere. Captures are replayed in
time order, as the crawls saw them.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from archive.core import collector
from archive.core.paths import CDXJ, database
from archive.core.paths import warc_dir as warc_dir_of
from archive.pages.detection import html_encoding, parse_html
from archive.pages.extraction import ExtractionFailed, extract, extract_page, load_language_profiles
from archive.pages.limits import ARTICLE_MAX_SIZE, ARTICLE_MAX_TAGS, not_an_article
from archive.pages.not_articles import refused_reason
from archive.pages.soft404 import Signature, answer_signature, is_probe_url, probe_pattern, signature, soft_404
from archive.store.database import Store
from archive.warc.closing import close
from archive.warc.indexer import FileIndex, index, warcinfo
from archive.warc.names import NAME
from archive.warc.reader import PAYLOAD_LIMIT, RECORD_LIMIT, RecordTooLarge, record_payload

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
BATCH = 200
OVER_LIMIT = "over_limit"  # the outcome of a record whose payload inflates past the limit: kept, not extracted
PROBE = "a soft-404 probe: the answer to a path that cannot exist"
Probes = dict[str, list[Signature]]  # URL pattern → the signatures of the 200 answers its probes got


def _record_body(warc_dir: Path, row, limit: int = PAYLOAD_LIMIT, record_limit: int = RECORD_LIMIT
                 ) -> tuple[bytes, dict[str, str], str | None]:
    """The payload a browser saw, its Content-Type and the record's WARC-Truncated (None for a whole answer), by the
    bounded reader (a record damaged is a RecordError, a ValueError: counted unreadable; one whose payload inflates
    past `limit` is RecordTooLarge: counted over_limit and named; so is one whose gzip member inflates past
    `record_limit`)."""
    record, body = record_payload(warc_dir, row["warc_file"], row["offset"], row["length"], limit, record_limit)
    return (body, {"Content-Type": record.http_headers.get_header("Content-Type") or ""},
            record.rec_headers.get_header("WARC-Truncated"))


def _refused_outcome(detection: str) -> str:
    """The outcome counted for a page refused as an article by a rule: `truncated`, `too_large` or `soft-404`."""
    return (refused_reason(detection) or "refused").replace(" ", "_")


def over_limit_line(url: str, exc: RecordTooLarge) -> str:
    """One line naming a record kept but not extracted because it inflates past the limit."""
    return f"{url}: kept in the archive (served raw), not extracted: {exc}"


def reextract(data: Path, progress: Progress | None = None, site_name: str | None = None) -> Counter:
    """Articles and versions again from the captures (HTML 200 responses and identical-payload revisits), every
    captured page through detection again: an archive made by an older version gains the articles it missed and
    loses its false ones. The outcome counts them: `gained` and `lost` articles."""
    data = Path(data)
    store = Store(database(data))
    before = store.stored_articles()
    store.clear_articles()
    outcome = extract_captures(store, warc_dir_of(data), store.article_captures(), progress, site_name)
    from archive.ops.profile import learn_again

    outcome.update(learn_again(data, store, site_name))  # the site profile, from the captures afresh
    store.mark_removals()
    after = store.stored_articles()
    outcome["gained"], outcome["lost"] = len(after - before), len(before - after)
    store.close()
    return outcome


def extract_captures(store: Store, warc_dir: Path, rows: list, progress: Progress | None = None,
                     site_name: str | None = None) -> Counter:
    """Articles and versions from captures, applied in the order given (capture time): what `reextract`,
    `rebuild` and `ingest` share. An article must see its captures oldest first, from its first one or from
    after the last one it already has (Store.store_articles)."""
    outcome: Counter = Counter()
    batch: list[tuple[dict, dict]] = []
    listing = store.listing_facts()
    detected: dict[str, tuple[bool, str]] = {}
    responses = [row for row in rows if row["record_type"] != "revisit"]
    extracted = _extractions(warc_dir, responses, site_name, listing, probe_signatures(warc_dir, responses))
    for n, row in enumerate(rows, 1):
        if row["record_type"] == "revisit":
            if row["revisit_profile"] == "identical-payload-digest":
                if batch:  # the revisit refers to an article that may still be in the batch
                    outcome.update(_flush(store, batch))
                    batch = []
                if store.touch_article(row["canonical"], row["timestamp"]):
                    outcome["unchanged"] += 1
            continue
        result, article, reason = next(extracted)
        if result == OVER_LIMIT:
            logger.warning("%s", reason)
        detected[row["canonical"]] = (result == "article", reason)
        if result != "article":
            if result != "none":
                outcome[result] += 1
            continue
        batch.append((article, {"record_id": row["record_id"], "timestamp": row["timestamp"]}))
        if len(batch) >= BATCH:
            outcome.update(_flush(store, batch))
            batch = []
        if progress:
            progress(n, len(rows))
    if batch:
        outcome.update(_flush(store, batch))
    store.note_detection((url, is_article, reason) for url, (is_article, reason) in detected.items())
    store.fill_sections_from_feeds()  # what the feeds' <category> said, where a page named none (as the crawl does)
    return outcome


PARALLEL_FROM = 32   # captures: below this, worker processes cost more than they save
WINDOW = 256         # captures handed to the pool at a time (bounded memory however long the history)


def probe_signatures(warc_dir: Path, rows) -> Probes:
    """The signature of every soft-404 probe's 200 answer among these captures, by URL pattern: the crawl's
    refusals of soft-404s (crawler/discovery/soft404.py) made again from the archive alone. Every probe of a pattern
    counts: a page that is any of them is that "not found" page."""
    probes: Probes = {}
    for row in rows:
        if not is_probe_url(row["url"]):
            continue
        try:
            body, headers, _ = _record_body(warc_dir, row)
        except (OSError, ValueError):  # unreadable or too large: no signature, as a probe that failed in the crawl
            continue
        found = answer_signature(body, row["url"], html_encoding(body, headers["Content-Type"]))
        pattern = probe_pattern(row["url"])
        if found is not None and pattern:
            probes.setdefault(pattern, []).append(found)
    return probes


def refused_as_soft_404(body: bytes, url: str, headers: dict[str, str], probes: Probes):
    """(the `detection` text refusing the page as a soft-404 or None, the parsed page to extract from or None)."""
    pattern = probe_pattern(url) or ""
    if not probes.get(pattern):
        return None, None
    doc = parse_html(body, url, html_encoding(body, headers.get("Content-Type")))
    if doc is None:
        return None, None
    page = signature(doc)
    for probe in probes[pattern]:
        detection = soft_404(url, page, {pattern: probe})
        if detection:
            return detection, None
    return None, doc


def _extract_one(warc_dir: Path, site_name: str | None, probes: Probes, row: dict) -> tuple[str, dict | None, str]:
    """("article", fields, why) of one capture, or ("none" | "failed" | "unreadable: …" | a refusal, None, why)."""
    if is_probe_url(row["url"]):
        return "none", None, PROBE
    try:
        body, headers, cut = _record_body(warc_dir, row)
        # cut short (WARC-Truncated, or HTML that stops mid-document), too large, or a soft-404: never an article
        refusal = not_an_article(body, cut)
        doc = None
        if not refusal:
            refusal, doc = refused_as_soft_404(body, row["url"], headers, probes)
        if refusal:
            return _refused_outcome(refusal), None, refusal
        article, reason = extract_page(body, row["url"], headers, listed=row["listed"],
                                       listed_author=row["listed_author"], doc=doc,
                                       **({"site_name": site_name} if site_name else {}))
    except ExtractionFailed as exc:
        return "failed", None, f"extraction failed: {exc}"
    except RecordTooLarge as exc:
        return OVER_LIMIT, None, over_limit_line(row["url"], exc)
    except (OSError, ValueError) as exc:
        return f"unreadable: {type(exc).__name__}", None, f"unreadable: {exc}"
    return ("article", article.as_dict(), reason) if article is not None else ("none", None, reason)


def _extractions(warc_dir: Path, rows: list, site_name: str | None,
                 listing: dict[str, tuple[bool, str | None]], probes: Probes
                 ) -> Iterator[tuple[str, dict | None, str]]:
    """What each capture yields, in order; on every core when there are many (extraction is CPU-bound and
    independent per page, while the store must apply them one by one, in capture order). `listing` is what the
    site's sitemaps and feeds said of each URL (Store.listing_facts)."""
    tasks = [{**{key: row[key] for key in ("warc_file", "offset", "length", "url")},
              **dict(zip(("listed", "listed_author"), listing.get(row["canonical"], (False, None)), strict=True))}
             for row in rows]
    one = partial(_extract_one, warc_dir, site_name, probes)
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(tasks) < PARALLEL_FROM:
        yield from map(one, tasks)
        return
    load_language_profiles()  # before the fork: the workers share them
    with ProcessPoolExecutor(workers, initializer=collector.tune) as pool:
        for start in range(0, len(tasks), WINDOW):
            yield from pool.map(one, tasks[start:start + WINDOW], chunksize=4)


def index_file(store: Store, path: Path, crawl_id: int | None, close_it: bool = True,
               cdxj_index: Path | None = None) -> FileIndex:
    """One WARC file's records into the captures table (a record already there is left alone) and the file into
    warc_files, from one read of the file; with `close_it`, the file closed by the one closing path (CDXJ lines
    merged into `cdxj_index`) and its fixity recorded: the mark that the file is complete."""
    read = index(path, path.name, crawl_id)
    store.add_warc_file(path.name, crawl_id)
    for start in range(0, len(read.rows), 1000):
        store.add_captures(read.rows[start:start + 1000])
    if close_it:
        close_file(store, path, read, cdxj_index)
    return read


def close_file(store: Store, path: Path, read: FileIndex | None = None, cdxj_index: Path | None = None) -> None:
    """Close a file by the one closing path (archive/warc/closing.py) and record its fixity."""
    closed = close(path.parent, path.name, read=read, cdxj_index=cdxj_index)
    store.close_warc_file(closed.name, closed.size, closed.sha256, closed.records)


def catch_up(data: Path, store: Store, site_name: str | None = None, limit: int = PAYLOAD_LIMIT,
             over_limit: list[str] | None = None, record_limit: int = RECORD_LIMIT,
             article_max_size: int = ARTICLE_MAX_SIZE, article_max_tags: int = ARTICLE_MAX_TAGS) -> Counter:
    """Extract the article pages whose capture is indexed but whose article rows never were: a crawl killed
    between writing a page's record (fsynced first) and committing the batch of articles extracted from it.
    Such a page is not fetched again (the archive holds it), so without this its text would be missing from
    search until a `reextract`. Run before a crawl, after recovery; costs one query when nothing is missing.
    A record whose payload inflates past `limit` is kept, counted `over_limit` and named in `over_limit` (a
    line each); it never stops the crawl. A record cut short (WARC-Truncated) or past `article_max_size` /
    `article_max_tags` is never parsed: noted with its reason (archive.pages.limits), counted `truncated` or
    `too_large`."""
    from archive.pages.detection import classify

    rows = store.pages_not_extracted()
    outcome: Counter = Counter()
    batch: list[tuple[dict, dict]] = []
    site = {"site_name": site_name} if site_name else {}
    listing = store.listing_facts()
    not_articles = []
    refused = []
    probes = probe_signatures(warc_dir_of(data), [row for row in store.article_captures() if is_probe_url(row["url"])]
                              ) if rows else {}
    for record_id, url, canonical, timestamp, warc_file, offset, length, kind in rows:
        if kind is None and classify(url) != "article" or is_probe_url(url):
            continue
        listed, listed_author = listing.get(canonical, (False, None))
        kwargs = {**site, "listed": listed, "listed_author": listed_author}
        row = {"warc_file": warc_file, "offset": offset, "length": length}
        try:  # the file may still be `.open`: the reader finds it by either name
            body, headers, cut = _record_body(warc_dir_of(data), row, limit, record_limit)
            refusal = not_an_article(body, cut, article_max_size, article_max_tags)
            doc = None
            if not refusal:
                refusal, doc = refused_as_soft_404(body, url, headers, probes)
            article = None if refusal else extract(body, url, headers, doc=doc, **kwargs)
        except ExtractionFailed:
            outcome["failed"] += 1
            continue
        except RecordTooLarge as exc:
            outcome[OVER_LIMIT] += 1
            if over_limit is not None:
                over_limit.append(over_limit_line(url, exc))
            continue
        except (OSError, ValueError):
            outcome["unreadable"] += 1
            continue
        if refusal:
            outcome[_refused_outcome(refusal)] += 1
            refused.append((canonical, False, refusal))
            continue
        if article is None:
            not_articles.append(canonical)
            continue
        batch.append((article.as_dict(), {"record_id": record_id, "timestamp": timestamp}))
    if batch:
        outcome.update(store.store_articles(batch))
    if not_articles:
        store.note_not_articles(not_articles)
    if refused:
        store.note_detection(refused)
    return outcome


def _flush(store: Store, batch: list) -> Counter:
    return store.store_articles(batch)


def rebuild(data: Path, progress: Progress | None = None, site_name: str | None = None) -> Counter:
    """A new archive.db from the WARC files alone; the old one is kept as archive.db.before-rebuild."""
    data = Path(data)
    warc_dir = warc_dir_of(data)
    target = database(data).with_name(database(data).name + ".rebuilding")
    index_path = warc_dir / (CDXJ + ".rebuilding")
    for stale in (*(Path(str(target) + suffix) for suffix in ("", "-wal", "-shm")), index_path):
        stale.unlink(missing_ok=True)
    store = Store(target)
    files = sorted(p for p in warc_dir.glob("*.warc.gz") if NAME.match(p.name))
    indexed = 0
    for n, path in enumerate(files, 1):
        crawl_id = _crawl_of(path)
        if crawl_id is not None:
            store.add_rebuilt_crawl(crawl_id)
        indexed += len(index_file(store, path, crawl_id, cdxj_index=index_path).rows)  # as `arshif ingest` does
        if progress:
            progress(n, len(files))
    store.date_crawls()  # what the WARC files say of their crawls: when they ran
    store.close()
    if not index_path.exists():  # no WARC file: an empty index
        index_path.write_text("", encoding="utf-8")
    os.replace(index_path, warc_dir / CDXJ)
    old = database(data)
    if old.exists():
        os.replace(old, old.with_name(old.name + ".before-rebuild"))
    for suffix in ("-wal", "-shm"):
        Path(str(old) + suffix).unlink(missing_ok=True)
    os.replace(target, old)
    outcome = reextract(data, site_name=site_name)
    for meaningless in ("gained", "lost"):  # against an empty database, every article is "gained"
        outcome.pop(meaningless, None)
    outcome["captures"] = indexed
    return outcome


def _crawl_of(path: Path) -> int | None:
    """The crawl a file belongs to, from its warcinfo record (`isPartOf: arshif-crawl-N`)."""
    m = re.match(r"arshif-crawl-(\d+)", warcinfo(path).get("isPartOf", ""))
    return int(m.group(1)) if m else None
