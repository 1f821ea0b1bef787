"""The crawl's handle on the archive: the rotating WARC writer, the captures rows, the crawl log, the run's row.

One extension owns them so that the order of durability is kept in one place: a WARC record is written, the
file is fsynced, and only then are the rows that point at it committed (in batches, every `ARSHIF_BATCH_SIZE`
rows or `ARSHIF_BATCH_SECONDS`). A crash therefore loses at most the last batch of rows, never leaves a row
pointing at bytes that are not on disk, and the lost rows are recovered from the WARC files at the next start.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import logging
import platform
import shutil
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from archive import __version__
from archive.core.http import mime_type
from archive.core.lock import DataLock, LockHeld
from archive.core.paths import database, jobs_dir, logs_dir, warc_dir
from archive.core.sizes import parse_size
from archive.core.times import now, now_iso, scheduling_now, stamp
from archive.core.urls import canonical
from archive.ops.profile import crawl_profile
from archive.ops.rebuild import catch_up
from archive.ops.recovery import recover
from archive.pages.detection import classify
from archive.store.database import DatabaseError, Store
from archive.warc.reader import open_record
from archive.warc.writer import ClosedFile, RotatingWarcWriter
from crawler import records
from crawler.discovery.incremental import captured_dates

logger = logging.getLogger(__name__)


def payload_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


CHECK_FOUND = {"server-not-modified": "not modified", "identical-payload-digest": "same payload"}


class ArchiveSession:
    """Scrapy extension: opened with the spider, closed with it; the recorder middleware writes through it."""

    def __init__(self, crawler: Crawler, *, data: Path, max_size: int, batch_size: int, batch_seconds: float,
                 worker: str | None, options: dict, operator: str, user_agent: str | None, min_free: int,
                 fresh: bool, site_name: str | None, clock: str | None, payload_limit: int,
                 record_limit: int, article_limits: tuple[int, int]):
        self.crawler = crawler
        self.stats = crawler.stats
        self.data = data
        self.max_size = max_size
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.worker = worker
        self.options = options
        self.operator = operator
        self.user_agent = user_agent
        self.run_stamp = stamp()
        self.min_free = min_free
        self.fresh = fresh
        self.site_name = site_name
        self.payload_limit = payload_limit  # a payload decoding past this is kept, not read (ARSHIF_PAYLOAD_LIMIT)
        self.record_limit = record_limit    # … and a gzip member inflating past this (ARSHIF_RECORD_LIMIT)
        self.article_limits = article_limits  # a page past these is no article (ARSHIF_ARTICLE_MAX_SIZE, _TAGS)
        self.captured: dict[str, tuple[str | None, str | None]] = {}
        self.removed: set[str] = set()
        self.article_urls: set[str] = set()             # pages the archive knows as articles
        self.fetched_at: dict[str, tuple[str, int]] = {}
        self.touched: list[tuple[str, str]] = []
        self.checks: list[dict] = []                    # looks at article URLs, committed with their captures
        self.clock = clock  # the scheduling clock (archive.core.times.scheduling_now)
        scheduling_now(self.clock)  # a malformed ARSHIF_CLOCK stops the crawl before anything is fetched
        self.stopping = False
        self.lock: DataLock | None = None
        self.crawl_id: int | None = None
        self.store: Store | None = None
        self.writer: RotatingWarcWriter | None = None
        self.latest: dict[str, tuple[str, str, str]] = {}
        self.rows: list[dict] = []
        self.url_rows: list[dict] = []
        self.crawl_log = None
        self._flusher: task.LoopingCall | None = None
        self.frontier = None                            # crawler.frontier.FrontierRun when the frontier is shared
        self.shared: dict[str, dict] = {}               # canonical URL → what the fleet's captures said of it
        self.unpublished: dict[str, dict[str, dict]] = {}  # WARC file → such facts, told when the file is closed
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveSession:
        """Each setting read once (their defaults are in settings.py)."""
        settings = crawler.settings
        if not settings.getbool("ARSHIF_ARCHIVE_ENABLED"):
            raise NotConfigured
        return cls(crawler, data=Path(settings.get("ARSHIF_DATA")),
                   max_size=parse_size(settings.get("ARSHIF_WARC_MAX_SIZE")),
                   batch_size=settings.getint("ARSHIF_BATCH_SIZE"),
                   batch_seconds=settings.getfloat("ARSHIF_BATCH_SECONDS"),
                   worker=settings.get("ARSHIF_WORKER") or None, options=settings.getdict("ARSHIF_OPTIONS"),
                   operator=settings.get("ARSHIF_OPERATOR"), user_agent=settings.get("USER_AGENT"),
                   min_free=parse_size(settings.get("ARSHIF_MIN_FREE_SPACE")),
                   fresh=settings.getbool("ARSHIF_FRESH"), site_name=settings.get("ARSHIF_SITE_NAME"),
                   clock=settings.get("ARSHIF_CLOCK") or None,
                   payload_limit=parse_size(settings.get("ARSHIF_PAYLOAD_LIMIT")),
                   record_limit=parse_size(settings.get("ARSHIF_RECORD_LIMIT")),
                   article_limits=(parse_size(settings.get("ARSHIF_ARTICLE_MAX_SIZE")),
                                   settings.getint("ARSHIF_ARTICLE_MAX_TAGS")))

    # -- lifecycle ------------------------------------------------------------------------------------------
    def spider_opened(self, spider: scrapy.Spider) -> None:
        for folder in (warc_dir(self.data), logs_dir(self.data), jobs_dir(self.data)):
            folder.mkdir(parents=True, exist_ok=True)
        try:
            self.lock = DataLock(self.data, purpose="crawl").acquire()
        except LockHeld as exc:
            self.stop("locked", str(exc))
            return
        if self.lock.stale_note():
            logger.warning("%s", self.lock.stale_note())
            self.stats.set_value("arshif/stale_lock", self.lock.stale_note())
        free = shutil.disk_usage(self.data).free
        if free < self.min_free:
            self.stop("disk_full", f"only {free / 2**20:.0f} MiB free in {self.data}, below ARSHIF_MIN_FREE_SPACE "
                                   f"({self.min_free / 2**20:.0f} MiB): not starting")
            return
        self.store = Store(database(self.data))
        if self.store.ensure_search_index():
            logger.warning("the search index was made by another arshif: rebuilt before the crawl")
        report = recover(self.data, self.store)
        if report:
            logger.warning("recovery before the crawl: %s", report.summary())
            self.stats.set_value("arshif/recovery", report.summary())
            self.stats.set_value("arshif/recovered_records", report.indexed_records)
        over_limit: list[str] = []
        caught_up = catch_up(self.data, self.store, self.site_name, self.payload_limit, over_limit, self.record_limit,
                             *self.article_limits)
        for line in over_limit:
            logger.warning("a stored record too large to read back: %s", line)
        if over_limit:
            self.stats.set_value("arshif/records_over_limit/not_extracted", len(over_limit))
        caught_up.pop("over_limit", None)  # named above, one line each
        if caught_up:
            logger.warning("articles a killed crawl had captured but not stored, extracted now: %s",
                           dict(caught_up))
            self.stats.set_value("arshif/articles_caught_up", sum(caught_up.values()))
        site = getattr(spider, "site", "") or ""
        self.crawl_id = self.store.start_crawl(site, self.options, self.worker)
        self.latest = self.store.latest_payloads()
        self.captured = {} if self.fresh else self.store.captured_pages()
        self.removed = self.store.removed_articles()
        self.article_urls = set() if self.fresh else self.store.article_urls()
        self.fetched_at = {} if self.fresh else self.store.last_fetches()
        self.frontier = getattr(spider, "frontier", None)
        if self.frontier is not None and not self.fresh:
            # what other workers archived counts as archived: not fetched again unless changed, else conditionally
            self.shared = self.frontier.captured()
            for url, facts in self.shared.items():
                self.captured.setdefault(url, (facts.get("lastmod"), facts.get("updated")))
        self.writer = RotatingWarcWriter(warc_dir(self.data), self.max_size, self._warcinfo, worker=self.worker,
                                         on_open=self._file_opened, on_close=self._file_closed,
                                         payload_limit=self.payload_limit, record_limit=self.record_limit)
        log_path = logs_dir(self.data) / f"{self.run_stamp}-crawl{self.crawl_id}.crawl.log"
        self.crawl_log = log_path.open("a", encoding="utf-8")
        self.stats.set_value("arshif/crawl_id", self.crawl_id)
        self._flusher = task.LoopingCall(self.tick)
        self._flusher.start(self.batch_seconds, now=False)
        logger.info("archive %s: crawl %d, %d URLs known", self.data, self.crawl_id, len(self.latest))

    def spider_closed(self, spider: scrapy.Spider, reason: str) -> None:
        if self._flusher and self._flusher.running:
            self._flusher.stop()
        for step in (self.flush, self.writer.close if self.writer else None):
            if step is None:
                continue
            for attempt in (1, 2):
                try:
                    step()
                    break
                except DatabaseError as exc:
                    if attempt == 1 and self._checkpoint():
                        continue
                    self._close_error(exc)
                except OSError as exc:
                    self._close_error(exc)
                    break
        crawl_profile(self.data, self.store, self.crawl_id, getattr(spider, "site", ""), self.site_name, self.stats)
        if self.crawl_log:
            self.crawl_log.close()
        if self.store and self.crawl_id is not None:
            status = "finished" if reason == "finished" else ("interrupted" if reason == "shutdown" else "failed")
            try:
                self.store.finish_crawl(self.crawl_id, status, self.stats.get_stats())
            except DatabaseError as exc:
                logger.error("recording the crawl's end: %s", exc)
        if self.store:
            self.store.close()
        if self.lock is not None:
            self.lock.release()

    def _checkpoint(self) -> bool:
        try:
            self.store.checkpoint()
            return True
        except DatabaseError:
            return False

    def _close_error(self, exc: BaseException) -> None:
        # what could not be indexed stays in the WARC file; the next run's recovery indexes it
        logger.error("closing the archive: %s (the next crawl will recover)", exc)
        self.stats.set_value("arshif/close_error", str(exc))

    @staticmethod
    def describe(exc: BaseException) -> str:
        """One line an operator can act on."""
        full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) or (
            isinstance(exc, DatabaseError) and any(s in str(exc) for s in ("disk is full", "disk I/O error")))
        if full:
            return f"the disk is full or a file-size limit was reached ({exc}); free space, then run again"
        return f"cannot write to the archive: {exc}"

    def stop(self, reason: str, message: str) -> None:
        """Stop the crawl cleanly (what is written stays consistent) and say why, once."""
        if self.stopping:
            return
        self.stopping = True
        logger.critical("stopping the crawl: %s", message)
        self.stats.set_value("arshif/stop_reason", reason)
        self.stats.set_value("arshif/stop_message", message)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

    def tick(self) -> None:
        """Every few seconds: commit the batch, and stop before the disk is full rather than after."""
        try:
            self.flush()
        except (OSError, DatabaseError) as exc:
            self.stop("archive_error", self.describe(exc))
            return
        free = shutil.disk_usage(self.data).free
        if free < self.min_free:
            self.stop("disk_full", f"only {free / 2**20:.0f} MiB left in {self.data} (ARSHIF_MIN_FREE_SPACE is "
                                   f"{self.min_free / 2**20:.0f} MiB)")

    def _warcinfo(self, name: str) -> dict:
        return {
            "software": f"arshif/{__version__} (Scrapy {scrapy.__version__}, warcio {version('warcio')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": f"arshif-crawl-{self.crawl_id}",
            "description": f"crawl {self.crawl_id} of {self.options.get('site', '')}",
            "operator": self.operator,
            "robots": "obey",
            "http-header-user-agent": self.user_agent,
            "python": platform.python_version(),
        }

    def _file_opened(self, name: str) -> None:
        self.store.add_warc_file(name, self.crawl_id)
        self.stats.inc_value("arshif/warc_files")

    def _file_closed(self, closed: ClosedFile) -> None:
        """The writer closed a file (archive/warc/closing.py: renamed, fixity computed, CDXJ indexed): its rows
        first, then the fixity row, which then says "complete" about a file whose records are all indexed."""
        self.flush(sync=False)
        try:
            self.store.close_warc_file(closed.name, closed.size, closed.sha256, closed.records)
        except DatabaseError:
            if not self._checkpoint():
                raise
            self.store.close_warc_file(closed.name, closed.size, closed.sha256, closed.records)
        if closed.damaged:
            self.stats.inc_value("arshif/warc_damaged_records", len(closed.damaged))
        if closed.over_limit:  # named by the closing path's warnings
            self.stats.inc_value("arshif/records_over_limit/not_indexed", len(closed.over_limit))
        self.stats.inc_value("arshif/warc_bytes", closed.size)
        facts = self.unpublished.pop(closed.name, None)
        if facts and self.frontier is not None:
            try:  # only now: the file is complete and may be shipped; a killed worker's captures are fetched again
                self.frontier.publish_captured(facts)
            except Exception as exc:
                logger.warning("telling the frontier what %s holds: %s (other workers may fetch it again)",
                               closed.name, exc)
        logger.info("closed %s: %d records, %.1f MB, sha256 %s", closed.name, closed.records, closed.size / 1e6,
                    closed.sha256[:16])

    # -- recording ------------------------------------------------------------------------------------------
    def record(self, request: Request, response: Response) -> dict:
        """Write one exchange (response or revisit, then request); returns what the crawl log needs."""
        when = now()
        date = warc_date(when)
        ip = str(response.ip_address) if response.ip_address else None
        url = response.url
        digest = payload_digest(response.body)
        previous = self.latest.get(url)
        if response.status == 304:
            profile = "server-not-modified"
            refers = request.meta.get("arshif_refers_to") or previous
            record = records.revisit_record(self.writer, response, refers[0] if refers else digest,
                                            url if refers else None, refers[1] if refers else None, date, ip,
                                            profile, refers[2] if refers and len(refers) > 2 else None)
        elif previous and previous[0] == digest:
            profile = "identical-payload-digest"
            record = records.revisit_record(self.writer, response, digest, url, previous[1], date, ip, profile,
                                            previous[2])
        else:
            profile = None
            record = records.response_record(self.writer, request, response, date, ip)
        name, offset, length = self.writer.write(record)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        stored_digest = record.rec_headers.get_header("WARC-Payload-Digest") or digest
        mime = mime_type(response.headers.get("Content-Type"))
        base = {"url": url, "canonical": canonical(url), "timestamp": stamp(when), "date": date,
                "ip": ip, "crawl_id": self.crawl_id, "warc_file": name}
        self.rows.append({**base, "record_id": record_id, "record_type": "revisit" if profile else "response",
                          "status": response.status, "mime": mime, "digest": stored_digest,
                          "payload_length": 0 if profile else len(response.body), "offset": offset,
                          "length": length,
                          "revisit_profile": profile,
                          "refers_to_uri": record.rec_headers.get_header("WARC-Refers-To-Target-URI"),
                          "refers_to_date": record.rec_headers.get_header("WARC-Refers-To-Date"),
                          "concurrent_to": None})
        req = records.request_record(self.writer, request, date, record_id)
        name2, offset2, length2 = self.writer.write(req)
        self.rows.append({**base, "ip": None, "warc_file": name2,
                          "record_id": req.rec_headers.get_header("WARC-Record-ID"),
                          "record_type": "request", "status": None, "mime": None, "digest": None,
                          "payload_length": len(request.body or b""), "offset": offset2, "length": length2,
                          "revisit_profile": None, "refers_to_uri": None, "refers_to_date": None,
                          "concurrent_to": record_id})
        if response.status in (404, 410) and self.store.mark_removed(canonical(url), base["timestamp"]):
            self.stats.inc_value("arshif/articles/removed")  # after having been captured: marked, never deleted
        if response.status == 304:
            self.touched.append((canonical(url), base["timestamp"]))  # still online, unchanged
        if request.meta.get("arshif_kind") == "article":
            self.checks.append({
                # UTC, so that the latest check is also the greatest string whatever offset ARSHIF_CLOCK was given in
                "canonical": canonical(url),
                "checked": scheduling_now(self.clock).astimezone(UTC).isoformat(timespec="seconds"),
                "why": request.meta.get("arshif_why") or "listed", "status": response.status,
                "found": "gone" if response.status in (404, 410) else CHECK_FOUND.get(profile) if profile
                else "fetched" if response.status == 200 else "error",
                "timestamp": base["timestamp"], "crawl_id": self.crawl_id})
        good = response.status in (200, 304)
        self.note_url(url, request.meta.get("arshif_kind") or classify(url), fetched=date, status=response.status,
                      **(captured_dates(request.meta, self.captured.get(canonical(url))) if good else {}))
        if good and self.frontier is not None:
            self._remember_for_fleet(name, request, response, profile, (stored_digest, date), previous)
        if profile is None:
            self.latest[url] = (stored_digest, date, record_id)
            self.stats.inc_value("arshif/records/response")
        else:
            self.stats.inc_value(f"arshif/records/revisit/{profile}")
        self.stats.inc_value("arshif/warc_bytes_written", length + length2)
        if len(self.rows) >= self.batch_size:
            self.flush()
        self.writer.rotate_if_full()
        return {"digest": stored_digest, "mime": mime, "revisit": profile, "record_id": record_id,
                "timestamp": base["timestamp"]}

    def _remember_for_fleet(self, name: str, request: Request, response: Response, profile: str | None,
                            this: tuple[str, str], previous) -> None:
        """What the fleet needs to leave this URL alone next time, or to ask for it conditionally: the source
        dates this capture answered, the validators, and the full response a 304 would stand for."""
        if profile is None:
            ref = this
        elif profile == "identical-payload-digest":
            ref = previous[:2]
        else:
            ref = request.meta.get("arshif_refers_to")
        header = response.headers.get
        self.unpublished.setdefault(name, {})[canonical(response.url)] = {
            "lastmod": request.meta.get("sitemap_lastmod"), "updated": request.meta.get("feed_updated"),
            "etag": (header("ETag") or b"").decode("latin-1") or None,
            "modified": (header("Last-Modified") or b"").decode("latin-1") or None,
            "digest": ref[0] if ref else None, "date": ref[1] if ref else None}

    # -- what the archive already holds ---------------------------------------------------------------------
    def conditional(self, url: str) -> tuple[dict[str, str], tuple[str, str]] | None:
        """Headers that make a refetch conditional (If-None-Match, If-Modified-Since from the validators of the
        latest 200 response), and (payload digest, WARC-Date) of that response for the revisit record a 304
        becomes; None when the archive holds no response for the URL or its record cannot be read."""
        if self.store is None or self.fresh:
            return None
        row = self.store.last_response(canonical(url))
        if row is None:  # a 304 for a sitemap, feed or listing needs its body here: only pages that need none
            return self._fleet_conditional(canonical(url)) if classify(url) in ("article", "asset") else None
        http = self._read(row[0], row[1], row[2], lambda record: record.http_headers)
        if http is None:
            return None
        headers = {}
        etag = http.get_header("ETag")
        modified = http.get_header("Last-Modified")
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        return (headers, (row[3], row[4], row[5])) if headers else None

    def _fleet_conditional(self, url: str) -> tuple[dict[str, str], tuple[str, str]] | None:
        """The same, from what another worker's capture told the frontier."""
        facts = self.shared.get(url)
        if not facts or not facts.get("digest") or not facts.get("date"):
            return None
        headers = {name: facts[key] for name, key in (("If-None-Match", "etag"), ("If-Modified-Since", "modified"))
                   if facts.get(key)}
        return (headers, (facts["digest"], facts["date"])) if headers else None

    def archived_body(self, url: str) -> bytes | None:
        """The payload of the latest 200 response for this URL, decoded as a browser would see it: what a 304
        answer to a sitemap or feed, or a source left alone within its refetch interval, still says."""
        if self.store is None:
            return None
        row = self.store.last_response(canonical(url))
        return self._read(row[0], row[1], row[2], lambda record: record.payload(self.payload_limit)) if row else None

    def _read(self, name: str, offset: int, length: int, use):
        """`use(record)` of a record (in a closed file or the one being written), or None when it cannot be read
        (damaged, too large: the source is then fetched in full)."""
        try:
            with open_record(warc_dir(self.data), name, offset, length, self.record_limit) as record:
                return use(record)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # RecordError and RecordTooLarge are ValueErrors
            logger.warning("cannot read %s at %d: %s", name, offset, exc)
            return None

    def note_url(self, url: str, kind: str, **facts) -> None:
        """Remember what discovery or a fetch taught us about a URL (committed with the next batch)."""
        self.url_rows.append({"canonical": canonical(url), "kind": kind, "seen": now_iso(), "crawl_id": self.crawl_id,
                              **facts})

    def flush(self, sync: bool = True) -> None:
        """fsync the WARC file, then commit the rows that point into it."""
        if self.store is None:
            return
        if self.url_rows:
            url_rows, self.url_rows = self.url_rows, []
            self.store.note_urls(url_rows)
        if not self.rows or self.writer is None:
            return
        if sync:
            self.writer.sync()
        rows, self.rows = self.rows, []
        touched, self.touched = self.touched, []
        checks, self.checks = self.checks, []
        with self.store.transaction():
            self.store.add_captures(rows)
            self.stats.inc_value("arshif/articles/not_modified", self.store.touch_articles(touched))
            self.store.add_checks(checks)
        if self.crawl_log:
            self.crawl_log.flush()

    def log_fetch(self, request: Request, status: int | str, size: int, mime: str | None, digest: str | None,
                  outcome: str, duration: float | None) -> None:
        """One line per fetch, in the spirit of Heritrix's crawl.log (docs/data.md, logs)."""
        if not self.crawl_log:
            return
        via = request.headers.get("Referer")
        fields = [
            now_iso("milliseconds").replace("+00:00", "Z"), f"{status:>5}",
            f"{size:>9}", request.url, request.meta.get("arshif_path", "-") or "-",
            via.decode("latin-1") if via else "-", mime or "-",
            f"{duration * 1000:.0f}ms" if duration is not None else "-", digest or "-", outcome,
        ]
        self.crawl_log.write(" ".join(fields) + "\n")
