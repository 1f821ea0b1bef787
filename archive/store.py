"""The SQLite side of the archive: `archive.db`, created and migrated in place (DESIGN.md §4).

The WARC files are the source of truth; this database indexes them. Every schema change is a numbered migration
applied in order inside a transaction and recorded in `schema_version`, so an old database is upgraded in place
and never silently dropped. WAL mode lets readers (search, the web UI, a backup) work while a crawl writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils


class StoreError(Exception):
    """The database cannot be used as it is (newer schema, not an arshif database)."""


def _v1(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE crawls (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            site TEXT NOT NULL,
            worker TEXT,
            options TEXT,            -- JSON: the command's options
            stats TEXT,              -- JSON: Scrapy's stats at the end
            status TEXT NOT NULL,    -- running, finished, failed, interrupted
            exit_code INTEGER
        )""")
    db.execute("""
        CREATE TABLE warc_files (
            name TEXT PRIMARY KEY,   -- file name under warc/, without .open
            crawl_id INTEGER REFERENCES crawls(id),
            created TEXT NOT NULL,
            closed TEXT,
            size INTEGER,
            sha256 TEXT,             -- fixity, recorded when the file is closed
            records INTEGER
        )""")
    db.execute("""
        CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL UNIQUE,
            record_type TEXT NOT NULL,   -- response, revisit, request
            url TEXT NOT NULL,           -- as fetched (WARC-Target-URI)
            canonical TEXT NOT NULL,
            timestamp TEXT NOT NULL,     -- 14 digits, UTC
            date TEXT NOT NULL,          -- WARC-Date
            status INTEGER,
            mime TEXT,
            digest TEXT,                 -- WARC-Payload-Digest, sha1:BASE32
            payload_length INTEGER,
            warc_file TEXT NOT NULL,
            offset INTEGER NOT NULL,
            length INTEGER NOT NULL,
            revisit_profile TEXT,        -- identical-payload-digest or server-not-modified
            refers_to_uri TEXT,
            refers_to_date TEXT,
            concurrent_to TEXT,
            ip TEXT,
            crawl_id INTEGER REFERENCES crawls(id)
        )""")
    db.execute("CREATE INDEX captures_canonical ON captures(canonical, timestamp)")
    db.execute("CREATE INDEX captures_url ON captures(url, timestamp)")
    db.execute("CREATE INDEX captures_file ON captures(warc_file, offset)")


def _v2(db: sqlite_utils.Database) -> None:
    """What the crawler knows about each canonical URL: how it was found, what the site said of it, whether
    the page was an article. The frontier of a resumed or incremental crawl is rebuilt from this and from the
    captures, never from Scrapy's transient job state."""
    db.execute("""
        CREATE TABLE urls (
            canonical TEXT PRIMARY KEY,
            kind TEXT NOT NULL,          -- article, listing, feed, sitemap, asset, page, robots
            is_article INTEGER,          -- 1/0 once fetched and detected; NULL while only discovered
            source TEXT,                 -- how it was first found: sitemap, feed, link, asset, start
            sitemap_lastmod TEXT,        -- as the sitemap last said
            feed_updated TEXT,           -- as a feed last said
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            last_fetched TEXT,
            last_status INTEGER,
            crawl_id INTEGER REFERENCES crawls(id)
        )""")
    db.execute("CREATE INDEX urls_kind ON urls(kind, is_article)")


def _v3(db: sqlite_utils.Database) -> None:
    """What the sitemap and feeds said of an article when we last captured it: a later difference means the
    article changed and is fetched again; no difference means a resumed or repeated crawl leaves it alone."""
    db.execute("ALTER TABLE urls ADD COLUMN captured_lastmod TEXT")
    db.execute("ALTER TABLE urls ADD COLUMN captured_feed_updated TEXT")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_db(path: Path | str, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating when absent) and migrate archive.db; WAL mode, foreign keys, a busy timeout."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    db = sqlite_utils.Database(conn)
    if migrate:
        upgrade(db)
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    return row[0] or 0


def upgrade(db: sqlite_utils.Database) -> int:
    """Apply the migrations this database lacks; returns the version reached."""
    if "schema_version" not in db.table_names():
        if db.table_names():
            raise StoreError("this database has tables but no schema_version: not an arshif archive")
        db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise StoreError(f"archive.db has schema version {current}, newer than this arshif ({SCHEMA_VERSION}): "
                         "upgrade arshif")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with db.conn:
            db.execute("BEGIN IMMEDIATE")
            MIGRATIONS[version - 1](db)
            db.execute("INSERT INTO schema_version (version, applied) VALUES (?, ?)", [version, now_iso()])
    return SCHEMA_VERSION


class Store:
    """What the crawl and the commands ask of the database, in batches and transactions."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.db = open_db(self.path)

    def close(self) -> None:
        self.db.conn.close()

    def checkpoint(self) -> None:
        """Move the WAL into the database file and empty it: the way to write a little more when the WAL, not
        the disk, hit a limit."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- crawls ---------------------------------------------------------------------------------------------
    def start_crawl(self, site: str, options: dict, worker: str | None = None) -> int:
        with self.db.conn:
            cur = self.db.execute(
                "INSERT INTO crawls (started, site, worker, options, status) VALUES (?, ?, ?, ?, 'running')",
                [now_iso(), site, worker, json.dumps(options, ensure_ascii=False, default=str)])
        return cur.lastrowid

    def finish_crawl(self, crawl_id: int, status: str, stats: dict, exit_code: int | None = None) -> None:
        with self.db.conn:
            self.db.execute("UPDATE crawls SET finished = ?, status = ?, stats = ?, exit_code = ? WHERE id = ?",
                            [now_iso(), status, json.dumps(stats, ensure_ascii=False, default=str), exit_code,
                             crawl_id])

    def set_exit_code(self, crawl_id: int, exit_code: int) -> None:
        with self.db.conn:
            self.db.execute("UPDATE crawls SET exit_code = ? WHERE id = ?", [exit_code, crawl_id])

    # -- WARC files and captures ----------------------------------------------------------------------------
    def add_warc_file(self, name: str, crawl_id: int | None) -> None:
        with self.db.conn:
            self.db.execute("INSERT OR IGNORE INTO warc_files (name, crawl_id, created) VALUES (?, ?, ?)",
                            [name, crawl_id, now_iso()])

    def close_warc_file(self, name: str, size: int, sha256: str, records: int) -> None:
        with self.db.conn:
            self.db.execute("UPDATE warc_files SET closed = ?, size = ?, sha256 = ?, records = ? WHERE name = ?",
                            [now_iso(), size, sha256, records, name])

    def add_captures(self, rows: Iterable[dict]) -> int:
        """Insert capture rows in one transaction; a row already present (same record id) is left alone."""
        rows = list(rows)
        if not rows:
            return 0
        columns = list(rows[0])
        sql = (f"INSERT OR IGNORE INTO captures ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        with self.db.conn:
            self.db.conn.executemany(sql, [[row.get(c) for c in columns] for row in rows])
        return len(rows)

    def note_urls(self, rows: Iterable[dict]) -> None:
        """Upsert what discovery and fetching learned about URLs; later facts win, first_seen and source stay."""
        rows = list(rows)
        if not rows:
            return
        with self.db.conn:
            self.db.conn.executemany(
                """INSERT INTO urls (canonical, kind, is_article, source, sitemap_lastmod, feed_updated, first_seen,
                                     last_seen, last_fetched, last_status, crawl_id, captured_lastmod,
                                     captured_feed_updated)
                   VALUES (:canonical, :kind, :is_article, :source, :sitemap_lastmod, :feed_updated, :seen, :seen,
                           :fetched, :status, :crawl_id, :captured_lastmod, :captured_feed_updated)
                   ON CONFLICT(canonical) DO UPDATE SET
                     kind = CASE WHEN excluded.is_article IS NOT NULL OR urls.kind IS NULL THEN excluded.kind
                                 ELSE urls.kind END,
                     is_article = coalesce(excluded.is_article, urls.is_article),
                     sitemap_lastmod = coalesce(excluded.sitemap_lastmod, urls.sitemap_lastmod),
                     feed_updated = coalesce(excluded.feed_updated, urls.feed_updated),
                     last_seen = excluded.last_seen,
                     last_fetched = coalesce(excluded.last_fetched, urls.last_fetched),
                     last_status = coalesce(excluded.last_status, urls.last_status),
                     captured_lastmod = CASE WHEN excluded.last_fetched IS NOT NULL AND excluded.last_status = 200
                                        THEN excluded.captured_lastmod ELSE urls.captured_lastmod END,
                     captured_feed_updated = CASE WHEN excluded.last_fetched IS NOT NULL
                                                  AND excluded.last_status = 200
                                        THEN excluded.captured_feed_updated ELSE urls.captured_feed_updated END,
                     crawl_id = excluded.crawl_id""",
                [{"is_article": None, "source": None, "sitemap_lastmod": None, "feed_updated": None,
                  "fetched": None, "status": None, "captured_lastmod": None, "captured_feed_updated": None, **row}
                 for row in rows])

    def captured_pages(self) -> dict[str, tuple[str | None, str | None]]:
        """Canonical URL → (sitemap lastmod, feed updated) as seen at its last good capture, for every URL the
        captures table holds a 200 (or a 304 revisit) for. URLs whose rows were recovered from WARC files
        alone have (None, None): nothing says they changed."""
        rows = self.db.execute(
            """SELECT c.canonical, u.captured_lastmod, u.captured_feed_updated
               FROM (SELECT DISTINCT canonical FROM captures
                     WHERE record_type IN ('response', 'revisit') AND status IN (200, 304)) c
               LEFT JOIN urls u ON u.canonical = c.canonical""").fetchall()
        return {canonical: (lastmod, updated) for canonical, lastmod, updated in rows}

    def previous_discovery(self, before: int) -> int:
        """The most article URLs a finished earlier crawl discovered (0 when none did)."""
        best = 0
        for (stats,) in self.db.execute("SELECT stats FROM crawls WHERE id < ? AND status = 'finished' "
                                        "AND stats IS NOT NULL", [before]):
            try:
                best = max(best, int(json.loads(stats).get("arshif/discovery/article_urls") or 0))
            except (ValueError, TypeError):
                continue
        return best

    def latest_payloads(self) -> dict[str, tuple[str, str, str]]:
        """URL as fetched → (payload digest, WARC-Date, record id) of its latest full response."""
        rows = self.db.execute(
            "SELECT url, digest, date, record_id, max(id) FROM captures WHERE record_type = 'response' "
            "GROUP BY url").fetchall()
        return {url: (digest, date, record_id) for url, digest, date, record_id, _ in rows}

    def count(self, table: str) -> int:
        return self.db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
