"""What a crawl records and asks of the database: its runs, WARC files and captures, what it learned of each URL,
every look at a known article, and the facts it plans the next fetches from; and what rebuild, ingest and
recovery write and read when they index WARC files again."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from archive.core.times import now_iso
from archive.pages.not_articles import TRUNCATED
from archive.store import missed
from archive.store.connection import Connected, dicts, in_slices, lookup

BATCH = 500  # rows per INSERT statement of a batched write
ARTICLE_CAPTURES = (  # the captures articles come from: HTML 200 responses, and revisits of them
    "SELECT id, record_id, record_type, url, canonical, timestamp, warc_file, offset, length, revisit_profile "
    "FROM captures WHERE status = 200 AND record_type IN ('response', 'revisit') "
    "AND (mime LIKE 'text/html%' OR mime LIKE 'application/xhtml%' OR mime IS NULL)")


def _categories(names: list[str] | str | None) -> str | None:
    """A feed's categories as the `feed_categories` column holds them: JSON, or null."""
    return json.dumps(names, ensure_ascii=False) if isinstance(names, list) and names else names or None


class CrawlRecords(Connected):
    # -- crawls ---------------------------------------------------------------------------------------------
    def start_crawl(self, site: str, options: dict, worker: str | None = None) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO crawls (started, site, worker, options, status) VALUES (?, ?, ?, ?, 'running')",
                [now_iso(), site, worker, json.dumps(options, ensure_ascii=False, default=str)])
        return cur.lastrowid

    def finish_crawl(self, crawl_id: int, status: str, stats: dict, exit_code: int | None = None) -> None:
        with self.transaction():
            self.conn.execute("UPDATE crawls SET finished = ?, status = ?, stats = ?, exit_code = ? WHERE id = ?",
                              [now_iso(), status, json.dumps(stats, ensure_ascii=False, default=str), exit_code,
                               crawl_id])

    def set_exit_code(self, crawl_id: int, exit_code: int) -> None:
        with self.transaction():
            self.conn.execute("UPDATE crawls SET exit_code = ? WHERE id = ?", [exit_code, crawl_id])

    # -- WARC files and captures ----------------------------------------------------------------------------
    def add_warc_file(self, name: str, crawl_id: int | None) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO warc_files (name, crawl_id, created) VALUES (?, ?, ?)",
                              [name, crawl_id, now_iso()])

    def close_warc_file(self, name: str, size: int, sha256: str, records: int) -> None:
        with self.transaction():
            self.conn.execute("UPDATE warc_files SET closed = ?, size = ?, sha256 = ?, records = ? WHERE name = ?",
                              [now_iso(), size, sha256, records, name])

    def warc_file(self, name: str) -> dict | None:
        """The file's row: name, crawl_id, created, and closed, size, sha256, records (its fixity, once closed)."""
        found = dicts(self.conn.execute("SELECT * FROM warc_files WHERE name = ?", [name]))
        return found[0] if found else None

    def warc_files(self) -> list[dict]:
        """Every WARC file's row (as `warc_file` gives it), by name."""
        return dicts(self.conn.execute("SELECT * FROM warc_files ORDER BY name"))

    def crawl_of_file(self, name: str) -> int | None:
        """The crawl that wrote a WARC file, by its row (None when the file has none, or no crawl)."""
        row = self.conn.execute("SELECT crawl_id FROM warc_files WHERE name = ?", [name]).fetchone()
        return row[0] if row else None

    def record_ids_in(self, name: str) -> set[str]:
        """The record ids of every capture row pointing into a WARC file."""
        return {row[0] for row in self.conn.execute("SELECT record_id FROM captures WHERE warc_file = ?", [name])}

    def captures_in(self, name: str) -> int:
        """How many capture rows point into a WARC file."""
        return self.conn.execute("SELECT count(*) FROM captures WHERE warc_file = ?", [name]).fetchone()[0]

    def add_captures(self, rows: Iterable[dict]) -> int:
        """Insert capture rows in one transaction; a row already present (same record id) is left alone."""
        rows = list(rows)
        if rows:
            with self.transaction():
                self.table("captures").insert_all(rows, ignore=True, batch_size=BATCH)
        return len(rows)

    def note_urls(self, rows: Iterable[dict]) -> None:
        """Upsert what discovery and fetching learned about URLs; later facts win, first_seen and source stay.

        Written by hand: sqlite-utils' `upsert_all` sets every column a row names, where this keeps the facts an
        earlier batch learned and a later one does not repeat."""
        rows = list(rows)
        if not rows:
            return
        with self.transaction():
            self.conn.executemany(
                """INSERT INTO urls (canonical, kind, is_article, source, sitemap_lastmod, feed_updated, first_seen,
                                     last_seen, last_fetched, last_status, crawl_id, captured_lastmod,
                                     captured_feed_updated, listed_as_post, detection, feed_author, listed_by,
                                     listed_in_sitemap, feed_categories)
                   VALUES (:canonical, :kind, :is_article, :source, :sitemap_lastmod, :feed_updated, :seen, :seen,
                           :fetched, :status, :crawl_id, :captured_lastmod, :captured_feed_updated,
                           :listed_as_post, :detection, :feed_author, :listed_by, :listed_in_sitemap, :feed_categories)
                   ON CONFLICT(canonical) DO UPDATE SET
                     kind = CASE WHEN excluded.is_article IS NOT NULL OR urls.kind IS NULL THEN excluded.kind
                                 ELSE urls.kind END,
                     is_article = coalesce(excluded.is_article, urls.is_article),
                     sitemap_lastmod = coalesce(excluded.sitemap_lastmod, urls.sitemap_lastmod),
                     feed_updated = coalesce(excluded.feed_updated, urls.feed_updated),
                     last_seen = excluded.last_seen,
                     last_fetched = coalesce(excluded.last_fetched, urls.last_fetched),
                     last_status = coalesce(excluded.last_status, urls.last_status),
                     captured_lastmod = coalesce(excluded.captured_lastmod, urls.captured_lastmod),
                     captured_feed_updated = coalesce(excluded.captured_feed_updated, urls.captured_feed_updated),
                     listed_as_post = coalesce(excluded.listed_as_post, urls.listed_as_post),
                     detection = coalesce(excluded.detection, urls.detection),
                     feed_author = coalesce(excluded.feed_author, urls.feed_author),
                     listed_by = coalesce(excluded.listed_by, urls.listed_by),
                     listed_in_sitemap = coalesce(excluded.listed_in_sitemap, urls.listed_in_sitemap),
                     feed_categories = coalesce(excluded.feed_categories, urls.feed_categories),
                     crawl_id = excluded.crawl_id""",
                [{"is_article": None, "source": None, "sitemap_lastmod": None, "feed_updated": None,
                  "fetched": None, "status": None, "captured_lastmod": None, "captured_feed_updated": None,
                  "listed_as_post": None, "detection": None, "feed_author": None, "listed_by": None,
                  "listed_in_sitemap": None, **row, "feed_categories": _categories(row.get("feed_categories"))}
                 for row in rows])

    def listing_facts(self) -> dict[str, tuple[bool, str | None]]:
        """Canonical URL → (listed as a post, the feed's author) for every URL a source listed: the evidence
        detection and extraction take from outside the page, again when articles are re-extracted."""
        rows = self.conn.execute("SELECT canonical, listed_as_post, feed_author FROM urls WHERE "
                                 "listed_as_post IS NOT NULL OR feed_author IS NOT NULL").fetchall()
        return {url: (bool(listed), author) for url, listed, author in rows}

    def feed_categories(self) -> dict[str, list[str]]:
        """Canonical URL → the categories a feed named for it (<category>): section and tags where the page names
        none, again when articles are re-extracted."""
        rows = self.conn.execute("SELECT canonical, feed_categories FROM urls WHERE feed_categories IS NOT NULL")
        return {url: json.loads(names) for url, names in rows}

    def note_detection(self, outcomes: Iterable[tuple[str, bool, str]]) -> None:
        """What re-extraction concluded of each page: (canonical, is an article, why)."""
        with self.transaction():
            self.conn.executemany("UPDATE urls SET is_article = ?, detection = ? WHERE canonical = ?",
                                  [(int(is_article), reason, url) for url, is_article, reason in outcomes])

    def add_checks(self, rows: Iterable[dict]) -> None:
        """Record looks at known articles (inside the caller's transaction, when there is one)."""
        rows = list(rows)
        if rows:
            self.table("checks").insert_all(rows, batch_size=BATCH)

    def revisit_candidates(self) -> list[tuple[str, str | None, str | None, int, str | None]]:
        """(canonical, published, first captured, earlier versions, last looked at) of every article online by our
        last knowledge whose changes the site does not announce (no sitemap lastmod): the ones only a revisit
        sees edited or removed. "Last looked at" is the latest check by the scheduling clock, else the last
        capture (real time)."""
        return self.conn.execute(
            """SELECT a.canonical, a.published, a.first_captured, a.versions - 1,
                      coalesce((SELECT max(c.checked) FROM checks c WHERE c.canonical = a.canonical), a.last_captured)
               FROM articles a LEFT JOIN urls u ON u.canonical = a.canonical
               WHERE a.removed IS NULL AND u.sitemap_lastmod IS NULL""").fetchall()

    def missed_posts(self) -> list[dict]:
        """Pages fetched with 200 and not stored as articles that the site gives as posts (archive.store.missed:
        listed by a posts sitemap or feed, by a sitemap of posts and pages, or shaped like its stored articles),
        with the reason they were not stored and the evidence they are posts, by URL."""
        cursor = self.conn.execute(
            """SELECT u.canonical, coalesce(u.detection, 'not detected') AS reason, u.last_fetched, u.source,
                      u.listed_as_post, u.listed_in_sitemap, u.detection
               FROM urls u WHERE u.last_status = 200 AND coalesce(u.is_article, 0) = 0
               AND coalesce(u.kind, 'page') NOT IN ('asset', 'sitemap', 'feed')
               AND (u.listed_as_post = 1 OR u.listed_in_sitemap IS NOT NULL OR u.kind IN ('article', 'page'))
               AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.canonical = u.canonical)
               ORDER BY u.canonical""")
        names = [d[0] for d in cursor.description]
        return missed.missed(self.conn, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()])

    def captured_pages(self) -> dict[str, tuple[str | None, str | None]]:
        """Canonical URL → (sitemap lastmod, feed updated) as seen at its last good capture, for every URL the
        captures table holds a 200 (or a 304 revisit) for. URLs whose rows were recovered from WARC files
        alone have (None, None): nothing says they changed. A page whose last answer was refused as truncated is
        left out: the archive does not hold it whole, so the next crawl asks for it again."""
        rows = self.conn.execute(
            """SELECT c.canonical, u.captured_lastmod, u.captured_feed_updated
               FROM (SELECT DISTINCT canonical FROM captures
                     WHERE record_type IN ('response', 'revisit') AND status IN (200, 304)) c
               LEFT JOIN urls u ON u.canonical = c.canonical
               WHERE coalesce(u.detection, '') NOT LIKE ?""", [f"{TRUNCATED}%"]).fetchall()
        return {canonical: (lastmod, updated) for canonical, lastmod, updated in rows}

    def last_response(self, canonical_url: str) -> tuple[str, int, int, str, str, str] | None:
        """(WARC file, offset, length, payload digest, WARC-Date, record id) of the latest 200 response for this
        URL: the validators of a conditional request, and the body a 304 stands for."""
        return self.conn.execute(
            "SELECT warc_file, offset, length, digest, date, record_id FROM captures WHERE canonical = ? AND "
            "record_type = 'response' AND status = 200 ORDER BY id DESC LIMIT 1", [canonical_url]).fetchone()

    def last_fetches(self) -> dict[str, tuple[str, int]]:
        """Canonical URL → (when last fetched, status) for every URL that is not an article or an asset:
        sitemaps, feeds, listing pages, other pages, redirects and dead links: what the refetch intervals are
        measured from."""
        rows = self.conn.execute(
            "SELECT canonical, last_fetched, last_status FROM urls WHERE kind != 'asset' AND "
            "coalesce(is_article, 0) = 0 AND last_fetched IS NOT NULL AND last_status IS NOT NULL").fetchall()
        return {canonical: (fetched, status) for canonical, fetched, status in rows}

    def listed_by(self, urls: list[str]) -> dict[str, str | None]:
        """Canonical URL → the sitemap or feed that last listed it."""
        return lookup(self.conn, "SELECT canonical, listed_by FROM urls WHERE canonical IN", urls)

    def article_urls(self) -> set[str]:
        """Every URL detected as an article at its last fetch: whatever its URL's shape, it is one next time."""
        return {row[0] for row in self.conn.execute("SELECT canonical FROM urls WHERE is_article = 1")}

    def removed_articles(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT canonical FROM articles WHERE removed IS NOT NULL")}

    def listed_articles(self) -> set[str]:
        """Articles online by our last knowledge that a sitemap or feed once listed: the ones whose absence from
        every sitemap and feed means something (an article only ever linked to never was listed)."""
        return {row[0] for row in self.conn.execute(
            "SELECT a.canonical FROM articles a JOIN urls u ON u.canonical = a.canonical WHERE a.removed IS NULL "
            "AND (u.source IN ('sitemap', 'feed') OR u.sitemap_lastmod IS NOT NULL OR u.feed_updated IS NOT NULL)")}

    def previous_discovery(self, before: int) -> int:
        """The most article URLs a finished earlier crawl discovered (0 when none did)."""
        best = 0
        for (stats,) in self.conn.execute("SELECT stats FROM crawls WHERE id < ? AND status = 'finished' "
                                          "AND stats IS NOT NULL", [before]):
            try:
                best = max(best, int(json.loads(stats).get("arshif/discovery/article_urls") or 0))
            except (ValueError, TypeError):
                continue
        return best

    def latest_payloads(self) -> dict[str, tuple[str, str, str]]:
        """URL as fetched → (payload digest, WARC-Date, record id) of its latest full response."""
        rows = self.conn.execute(
            "SELECT url, digest, date, record_id, max(id) FROM captures WHERE record_type = 'response' "
            "GROUP BY url").fetchall()
        return {url: (digest, date, record_id) for url, digest, date, record_id, _ in rows}

    # -- rebuild, ingest and the catch-up: articles derived again from captures ---------------------------------
    def add_rebuilt_crawl(self, crawl_id: int) -> None:
        """A row for a crawl the WARC files name (`rebuild`); its times come from its captures (`date_crawls`)."""
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO crawls (id, started, site, status) VALUES (?, '', '', 'rebuilt')",
                              [crawl_id])

    def ingested_crawl(self, worker: str | None, part: str, site: str, software: str | None) -> int:
        """The row standing for a worker's crawl whose files are ingested (its warcinfo's `isPartOf`), made the
        first time: a worker's own crawl ids mean nothing in this archive."""
        found = self.conn.execute(
            "SELECT id FROM crawls WHERE status = 'ingested' AND worker IS ? "
            "AND json_extract(options, '$.isPartOf') = ?", [worker, part]).fetchone()
        if found:
            return found[0]
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO crawls (started, site, worker, options, status) VALUES ('', ?, ?, json_object("
                "'isPartOf', ?, 'software', ?), 'ingested')", [site, worker, part, software])
        return cur.lastrowid

    def date_crawls(self, status: str | None = None) -> None:
        """Each crawl's started and finished from the WARC-Dates of its captures (of the crawls with this status,
        or of all), in one transaction."""
        dated = ("UPDATE crawls SET started = (SELECT min(date) FROM captures c WHERE c.crawl_id = crawls.id), "
                 "finished = (SELECT max(date) FROM captures c WHERE c.crawl_id = crawls.id)")
        where, args = ("", []) if status is None else (" WHERE status = ?", [status])
        with self.transaction():
            self.conn.execute(dated + where, args)

    def article_captures(self, in_files: list[str] | None = None,
                         of_articles: list[str] | None = None) -> list[sqlite3.Row]:
        """The captures articles come from (HTML 200 responses, identical-payload revisits) as rows by column name
        (id, record_id, record_type, url, canonical, timestamp, warc_file, offset, length, revisit_profile), in
        capture-time order: all of them, or those in these WARC files, or those of these canonical URLs."""
        cursor = self.conn.cursor()
        cursor.row_factory = sqlite3.Row
        if in_files is None and of_articles is None:
            return cursor.execute(f"{ARTICLE_CAPTURES} ORDER BY timestamp, id").fetchall()
        column, keys = ("warc_file", in_files) if in_files is not None else ("canonical", of_articles)
        rows: list[sqlite3.Row] = []
        for chunk, marks in in_slices(keys):
            rows += cursor.execute(f"{ARTICLE_CAPTURES} AND {column} IN ({marks})", chunk).fetchall()
        rows.sort(key=lambda row: (row["timestamp"], row["id"]))
        return rows

    def last_captures(self, canonicals: list[str]) -> dict[str, str | None]:
        """Canonical URL → the last capture (14 digits) of the article stored under it, for those stored."""
        return lookup(self.conn, "SELECT canonical, last_captured FROM articles WHERE canonical IN", canonicals)

    def pages_not_extracted(self) -> list[tuple[str, str, str, str, str, int, int, str | None]]:
        """(record id, URL, canonical, timestamp, WARC file, offset, length, the URL's kind) of every HTML 200
        response newer than its article's last capture (or of no article) on a URL not known to be something
        else: the pages a killed crawl captured but never extracted, in capture-time order."""
        return self.conn.execute(
            "SELECT c.record_id, c.url, c.canonical, c.timestamp, c.warc_file, c.offset, c.length, u.kind "
            "FROM captures c LEFT JOIN articles a ON a.canonical = c.canonical "
            "LEFT JOIN urls u ON u.canonical = c.canonical "
            "WHERE c.record_type = 'response' AND c.status = 200 "
            "AND (c.mime LIKE 'text/html%' OR c.mime LIKE 'application/xhtml%') "
            "AND (a.id IS NULL OR c.timestamp > a.last_captured) "
            "AND coalesce(u.is_article, 1) = 1 AND (u.kind IS NULL OR u.kind = 'article' OR u.is_article = 1) "
            "ORDER BY c.timestamp, c.id").fetchall()

    def note_not_articles(self, canonicals: list[str]) -> None:
        """These URLs' pages turned out not to be articles (is_article 0), in one transaction."""
        with self.transaction():
            self.conn.executemany("UPDATE urls SET is_article = 0 WHERE canonical = ?", [[c] for c in canonicals])
