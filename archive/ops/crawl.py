"""Run one crawl of the site into a data directory: the library behind `arshif crawl`.

A `CrawlRequest` holds the command's options, checks them (a `CrawlUsageError` names the option at fault) and turns
them into the crawl's settings; `run_crawl` runs Scrapy and judges the outcome into a `CrawlResult` (exit status,
summary).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

from archive.core.addresses import refusals_line
from archive.core.paths import database, logs_dir
from archive.core.times import scheduling_now, stamp
from archive.ops.frontier import default_worker_id, frontier_problem, ping, worker_problem
from archive.ops.missed import missed_reasons, refused_reasons
from archive.store.database import DatabaseError, Store

__all__ = ["CrawlRequest", "CrawlResult", "CrawlUsageError", "project_settings", "run_crawl"]

MIN_DISCOVERY_TO_COMPARE = 10  # "earlier runs discovered many": at least this many article URLs
MIN_PAGES_FOR_FAILURE_SHARE = 5
# What the limits cut: its name in `stats --json` (crawls[].cut), its stat, and how the run's last lines say it.
STANDARD_CUTS = (
    ("redirect_chains", "arshif/redirects/too_many", "redirect chain(s) longer than REDIRECT_MAX_TIMES hops"),
    ("redirect_traps", "arshif/redirects/trap", "redirect trap(s), new URLs of one shape (ARSHIF_REDIRECT_SAME_SHAPE)"),
    ("sitemap_index_entries", "arshif/discovery/sitemap_index_cut",
     "sitemap index entries past ARSHIF_SITEMAP_INDEX_MAX"),
    ("sitemaps", "arshif/discovery/sitemaps_cut", "sitemaps past ARSHIF_MAX_SITEMAPS"),
    ("records_not_extracted", "arshif/records_over_limit/not_extracted",
     "stored record(s) past ARSHIF_PAYLOAD_LIMIT kept but not extracted"),
    ("records_not_indexed", "arshif/records_over_limit/not_indexed",
     "stored record(s) past ARSHIF_PAYLOAD_LIMIT left out of the CDXJ index"),
    ("soft_404", "arshif/not_articles/soft_404", "soft-404 page(s), the site's answer to a path that cannot exist, "
     "not taken as articles"),
    ("soft_404_unchecked", "arshif/soft404/unchecked", "article page(s) taken without the soft-404 check"),
    ("truncated_retried", "arshif/truncated/retried", "truncated answer(s) asked for again"),
    ("truncated_given_up", "arshif/truncated/given_up", "answer(s) still truncated after RETRY_TIMES retries"),
    ("download_maxsize", "arshif/cut/download_maxsize",
     "answer(s) cut at DOWNLOAD_MAXSIZE, kept as far as they came (WARC-Truncated: length)"),
    ("decompressed_size", "arshif/cut/decompressed_size",
     "answer(s) whose Content-Encoding decodes past DOWNLOAD_MAXSIZE, archived raw, not read"),
    ("truncated_pages", "arshif/not_articles/truncated", "truncated page(s) not taken as articles"),
    ("too_large_pages", "arshif/not_articles/too_large",
     "page(s) past ARSHIF_ARTICLE_MAX_SIZE or ARSHIF_ARTICLE_MAX_TAGS, not read as articles"),
    ("session_params", "arshif/urls/session_params_folded", "session id parameter(s) folded (ARSHIF_SESSION_RULES)"),
    ("session_variants", "arshif/urls/session_variants_folded", "link(s) whose session id was folded away"),
)


class CrawlUsageError(ValueError):
    """An option the crawl cannot run with (exit status 2); `option` names it (`--set`), or is None."""

    def __init__(self, message: str, option: str | None = None):
        super().__init__(message)
        self.option = option


def project_settings():
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


def _size_problem(value: str) -> str | None:
    from archive.core.sizes import parse_size

    try:
        parse_size(value)
    except ValueError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class CrawlRequest:
    """The options of one crawl, as `arshif crawl` takes them (docs/reference.md, arshif crawl)."""

    data: Path
    site: str | None = None
    warc_max_size: str = "1G"
    max_articles: int | None = None
    assets: bool = True
    refresh: bool = False
    fresh: bool = False
    frontier: str | None = None
    worker: str | None = None
    overrides: tuple[str, ...] = ()  # --set NAME=VALUE

    def overridden(self) -> dict[str, str]:
        """The `--set` settings by name; CrawlUsageError for one that is not NAME=VALUE."""
        out = {}
        for item in self.overrides:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise CrawlUsageError(f"{item!r} is not NAME=VALUE", "--set")
            out[name.strip()] = value
        return out

    def settings(self) -> dict:
        """The settings this crawl runs with over settings.py: `--set` wins over --assets, --fresh and --refresh;
        --worker, --frontier and --max-articles win over `--set`."""
        extra: dict = {"ARSHIF_WARC_MAX_SIZE": self.warc_max_size, **self.overridden()}
        extra.setdefault("ARSHIF_ASSETS", self.assets)
        extra.setdefault("ARSHIF_FRESH", self.fresh)
        extra.setdefault("ARSHIF_REFRESH", self.refresh)
        if self.worker:
            extra["ARSHIF_WORKER"] = self.worker
        if self.frontier:
            extra["ARSHIF_FRONTIER"] = self.frontier
        if self.max_articles:
            extra["ARSHIF_MAX_ARTICLES"] = self.max_articles
        return extra

    def options(self) -> dict:
        """The options as the crawls table records them."""
        return {"warc_max_size": self.warc_max_size, "max_articles": self.max_articles, "assets": self.assets,
                "refresh": self.refresh, "fresh": self.fresh, "set": list(self.overrides),
                "frontier": self.frontier, "worker": self.worker}

    def checked(self) -> CrawlRequest:
        """This request with the worker id a frontier needs filled in, once every option is known to be usable:
        CrawlUsageError (exit status 2) for the first that is not, FrontierUnreachable (exit status 1) when the
        frontier does not answer. Nothing reaches the network before the options are checked."""
        if self.worker and (problem := worker_problem(self.worker)):
            raise CrawlUsageError(problem, "--worker")
        if self.frontier and (problem := frontier_problem(self.frontier)):
            raise CrawlUsageError(problem, "--frontier")
        extra = self.overridden()
        if problem := _size_problem(self.warc_max_size):
            raise CrawlUsageError(problem, "--warc-max-size")
        if "ARSHIF_WARC_MAX_SIZE" in extra and (problem := _size_problem(extra["ARSHIF_WARC_MAX_SIZE"])):
            raise CrawlUsageError(problem, "--set ARSHIF_WARC_MAX_SIZE")
        try:
            scheduling_now(extra.get("ARSHIF_CLOCK"))
        except ValueError as exc:
            raise CrawlUsageError(str(exc), "--set ARSHIF_CLOCK") from exc
        if not self.site and not project_settings().get("ARSHIF_SITE"):
            raise CrawlUsageError("no site to crawl: give --site URL (or set ARSHIF_SITE in settings.py)")
        if not self.frontier:
            return self
        ping(self.frontier)
        return replace(self, worker=self.worker or default_worker_id())

    def describe(self) -> str:
        fleet = f" as worker {self.worker} of the frontier {self.frontier}" if self.frontier else ""
        return f"crawling {self.site or 'the configured site'} into {self.data}{fleet} …"


@dataclass
class CrawlResult:
    exit_code: int
    reason: str
    stats: dict
    log_file: Path
    crawl_id: int | None
    message: str | None = None
    missed: dict[str, int] | None = None  # reason → pages the site lists as posts not stored as articles
    refused: dict[str, int] | None = None  # rule → listed pages a rule refused as articles (not lost)
    search_lists: str | None = None  # the search's impact lists, when this crawl built them

    @property
    def locked(self) -> bool:
        """Another crawl, rebuild, reextract or ingest held the data directory: nothing was crawled."""
        return self.stats.get("arshif/stop_reason") == "locked"

    def counts(self) -> dict:
        """The run's figures, from Scrapy's and arshif's stats."""
        get = self.stats.get
        return {
            "pages": get("response_received_count", 0),
            "articles": get("arshif/articles", 0),
            "new_responses": get("arshif/records/response", 0),
            "revisits": sum(v for k, v in self.stats.items() if k.startswith("arshif/records/revisit/")),
            "unchanged": get("arshif/articles_unchanged", 0),
            "fetch_errors": sum(v for k, v in self.stats.items() if k.startswith("arshif/fetch_error/")),
            "retries": get("retry/count", 0),
            "warc_bytes": get("arshif/warc_bytes_written", 0),
            "seconds": get("elapsed_time_seconds", 0) or 0,
        }

    def as_dict(self) -> dict:
        return {"crawl_id": self.crawl_id, "reason": self.reason, "exit_code": self.exit_code,
                "message": self.message, "log": str(self.log_file), **self.counts(),
                "revisits_left_out": self.stats.get("arshif/revisits/left_out", 0),
                "recovery": self.stats.get("arshif/recovery"), "stale_lock": self.stats.get("arshif/stale_lock"),
                "missed": dict(self.missed or {}),
                "not_articles": {rule: n for rule, n in (self.refused or {}).items() if n},
                "search_lists": self.search_lists}

    def summary(self) -> str:
        c = self.counts()
        return (f"crawl {self.crawl_id} {self.reason}: {c['pages']} pages, {c['articles']} articles, "
                f"{c['new_responses']} new responses, {c['revisits']} revisits, {c['unchanged']} articles unchanged "
                f"since captured, {c['fetch_errors']} fetch errors, {c['retries']} retries, "
                f"{c['warc_bytes'] / 1e6:.1f} MB of WARC in {c['seconds']:.0f} s\nlog: {self.log_file}")

    def report(self) -> list[str]:
        """What the crawl says when it ends (docs/reference.md, arshif crawl): the summary and its notes."""
        if self.locked:
            return [f"arshif crawl: {self.message}"]
        lines = []
        if self.stats.get("arshif/stale_lock"):
            lines.append(f"arshif crawl: {self.stats['arshif/stale_lock']}")
        lines.append(self.summary())
        if self.stats.get("arshif/recovery"):
            lines.append(f"recovered from an interrupted crawl: {self.stats['arshif/recovery']}")
        if self.stats.get("arshif/revisits/left_out"):
            lines.append(f"{self.stats['arshif/revisits/left_out']} article(s) due for a revisit were left for a "
                         "later run (ARSHIF_REVISIT_BUDGET): the revisit period is not kept")
        if self.stats.get("arshif/lastmod/note"):  # a site's lastmod lost (or regained) its trust
            lines.append(self.stats["arshif/lastmod/note"])
        if self.stats.get("arshif/profile/changed"):  # a redesign (archive/ops/profile.py): said once
            lines.append(self.stats["arshif/profile/changed"] + ": `arshif profile` shows it")
        if self.stats.get("arshif/profile/error"):
            lines.append(f"the site profile could not be applied: {self.stats['arshif/profile/error']}")
        if self.missed:
            lines.append(f"{sum(self.missed.values())} page(s) the site lists as posts are not stored as articles ("
                         + "; ".join(f"{n} {reason}" for reason, n in list(self.missed.items())[:3])
                         + "): `arshif missed` lists them")
        if self.refused and any(self.refused.values()):
            lines.append(f"{sum(self.refused.values())} page(s) the site lists as posts were refused as articles, not "
                         "lost (" + "; ".join(f"{n} {rule}" for rule, n in self.refused.items() if n)
                         + "): `arshif missed` lists them")
        if self.search_lists:
            lines.append(self.search_lists)
        note = self.stats.get("arshif/robots/note")
        if note and note not in (self.message or ""):
            lines.append(note)
        if self.stats.get("arshif/urls/session_note"):  # which parameters (crawler/discovery/sessions.py)
            lines.append(self.stats["arshif/urls/session_note"])
        cuts = [f"{self.stats[key]} {what}" for _, key, what in STANDARD_CUTS if self.stats.get(key)]
        if cuts:
            lines.append("cut by a limit: " + "; ".join(cuts))
        refused = refusals_line(self.stats)
        if refused:
            lines.append(refused)
        if self.message:
            lines.append(f"arshif crawl: {self.message}")
        return lines


def run_crawl(request: CrawlRequest) -> CrawlResult:
    """Crawl `request.site` (default: the ARSHIF_SITE setting) into `request.data`, as `request.checked()` left
    it; blocks until the crawl ends."""
    from scrapy.crawler import CrawlerProcess

    settings = project_settings()
    data = Path(request.data)
    logs_dir(data).mkdir(parents=True, exist_ok=True)
    log_file = logs_dir(data) / f"{stamp()}.log"
    site = request.site or settings.get("ARSHIF_SITE")
    settings.set("ARSHIF_DATA", str(data), priority="cmdline")
    settings.set("ARSHIF_OPTIONS", {"site": site, **request.options()}, priority="cmdline")
    settings.set("LOG_FILE", str(log_file), priority="cmdline")
    settings.set("LOG_FILE_APPEND", False, priority="cmdline")
    for key, value in request.settings().items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("alitaliya")
    process.crawl(crawler, site=site)
    process.start()
    logging.getLogger().handlers.clear()
    return _judged(crawler.stats.get_stats(), settings, data, log_file)


def _judged(stats: dict, settings, data: Path, log_file: Path) -> CrawlResult:
    """The exit status an operator's monitor acts on (DESIGN §5, Exit status), and the crawl's row updated."""
    reason = stats.get("finish_reason", "unknown")
    message = stats.get("arshif/stop_message")
    exit_code = 0
    if reason != "finished":
        exit_code = 1
        message = message or f"the crawl ended early ({reason}); see {log_file}"
    elif stats.get("robotstxt/forbidden") and not stats.get("arshif/robots/allowed"):
        # nothing was let through: an operator's monitor must see this run archived nothing, and why
        exit_code = 1
        why = stats.get("arshif/robots/note") or "it disallows every page asked for"
        message = f"robots.txt blocks everything: {why}; see {log_file}"
    elif not stats.get("response_received_count"):
        if settings.get("ARSHIF_FRONTIER") and not stats.get("downloader/request_count"):
            # joined a shared run that the other workers finished: not a failure of the site
            message = "the frontier held no work for this worker: the other workers fetched everything"
        else:
            exit_code, message = 1, f"the site did not answer; see {log_file}"
    crawl_id = stats.get("arshif/crawl_id")
    if crawl_id is None:
        return CrawlResult(exit_code, reason, stats, log_file, crawl_id, message)
    store = Store(database(data))
    # with a shared frontier, whichever worker read the sitemaps discovered for the fleet
    discovered = max(int(stats.get("arshif/discovery/article_urls", 0)),
                     int(stats.get("arshif/frontier/discovered", 0)))
    before = store.previous_discovery(crawl_id)
    ok, failed = int(stats.get("arshif/extract/ok", 0)), int(stats.get("arshif/extract/failed", 0))
    share = settings.getfloat("ARSHIF_MAX_EXTRACTION_FAILURES")
    if exit_code == 0 and ok + failed >= MIN_PAGES_FOR_FAILURE_SHARE and failed > share * (ok + failed):
        exit_code = 1
        message = (f"extraction failed for {failed} of {ok + failed} article pages (more than {share:.0%}): "
                   "has the site changed its markup?")
    if exit_code == 0 and discovered == 0 and before >= MIN_DISCOVERY_TO_COMPARE:
        exit_code = 1
        message = (f"discovery found no article URL, where an earlier crawl found {before}: "
                   "has the site changed its sitemaps, feeds or markup?")
    try:
        missed, refused = missed_reasons(store), refused_reasons(store)
    except DatabaseError as exc:
        logging.getLogger(__name__).error("counting the posts not stored as articles: %s", exc)
        missed = refused = None
    try:
        store.set_exit_code(crawl_id, exit_code)
    except DatabaseError as exc:
        # the disk (or a file-size limit) that stopped the crawl may refuse this row too: the crawl's own
        # message says why it stopped; the row keeps its status, only the exit code is missing
        logging.getLogger(__name__).error("recording the exit status of crawl %s: %s", crawl_id, exc)
        if message is None:
            exit_code, message = 1, f"cannot write to the archive: {exc}"
    lists = None
    try:
        lists = store.refresh_search_lists()
    except DatabaseError as exc:
        logging.getLogger(__name__).error("building the search lists: %s", exc)
    store.close()
    return CrawlResult(exit_code, reason, stats, log_file, crawl_id, message, missed, refused, lists)
