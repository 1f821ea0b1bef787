"""The SQLite side of the archive: `archive.db`, created and migrated in place (docs/data.md, archive.db).

The WARC files are the source of truth; this database indexes them. Every schema change is a numbered migration
applied in order inside a transaction and recorded in `schema_version`, so an old database is upgraded in place
and never silently dropped. WAL mode lets readers (search, the web UI, a backup) work while a crawl writes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from archive.search import index as search_index


class StoreError(Exception):
    """The database cannot be used as it is (newer schema, not an arshif database)."""


def _v1(db: Database) -> None:
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


def _v2(db: Database) -> None:
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


def _v3(db: Database) -> None:
    """What the sitemap and feeds said of an article when we last captured it: a later difference means the
    article changed and is fetched again; no difference means a resumed or repeated crawl leaves it alone."""
    db.execute("ALTER TABLE urls ADD COLUMN captured_lastmod TEXT")
    db.execute("ALTER TABLE urls ADD COLUMN captured_feed_updated TEXT")


def _v4(db: Database) -> None:
    """Articles and their versions. A version is a distinct (title, body); the extractor that produced it is
    recorded so that re-extraction with a newer one refreshes fields instead of counting as an edit."""
    db.execute("""
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            canonical TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            author TEXT,
            published TEXT,             -- ISO 8601, with offset when the time is known, else YYYY-MM-DD
            modified TEXT,
            section TEXT,
            tags TEXT,                  -- JSON array
            image TEXT,
            lang TEXT,
            body TEXT NOT NULL,
            word_count INTEGER,
            versions INTEGER NOT NULL DEFAULT 1,
            latest_version INTEGER,     -- article_versions.id
            first_captured TEXT,        -- 14-digit timestamps
            last_captured TEXT,
            capture_record_id TEXT,     -- the capture the current fields come from
            removed TEXT,               -- when a 404/410 was first seen after captures; NULL while online
            extractor TEXT
        )""")
    db.execute("""
        CREATE TABLE article_versions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            version INTEGER NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            digest TEXT NOT NULL,        -- sha1 of title + body
            author TEXT, published TEXT, modified TEXT, section TEXT, tags TEXT, image TEXT, lang TEXT,
            word_count INTEGER,
            capture_record_id TEXT NOT NULL,
            capture_timestamp TEXT NOT NULL,
            first_seen TEXT NOT NULL,    -- 14-digit timestamps of the first and last capture with this text
            last_seen TEXT NOT NULL,
            extractor TEXT NOT NULL,
            UNIQUE (article_id, version)
        )""")
    db.execute("CREATE INDEX articles_published ON articles(published)")
    db.execute("CREATE INDEX articles_section ON articles(section)")


def _v5(db: Database) -> None:
    """The month of publication, derived, so that Datasette can facet articles by month."""
    db.execute("ALTER TABLE articles ADD COLUMN month TEXT GENERATED ALWAYS AS (substr(published, 1, 7)) VIRTUAL")


def _v6(db: Database) -> None:
    """The full-text search index (archive/search/index.py), filled from the versions already stored."""
    search_index.create(db.conn)
    search_index.index_all(db.conn)


def _v7(db: Database) -> None:
    """Nothing lost silently: whether the site lists a URL as a post (a posts sitemap or a posts feed), what
    detection said of the page at its last fetch (the reason it is, or is not, an article), and the author the
    feed named (dc:creator: the name some themes print only inside boilerplate)."""
    db.execute("ALTER TABLE urls ADD COLUMN listed_as_post INTEGER")
    db.execute("ALTER TABLE urls ADD COLUMN detection TEXT")
    db.execute("ALTER TABLE urls ADD COLUMN feed_author TEXT")


def _v8(db: Database) -> None:
    """Every look at a known article (a revisit, a re-check, a refetch because a source said it changed): when, by
    the scheduling clock (ARSHIF_CLOCK when set), why, and what it found. Revisits are scheduled from it."""
    db.execute("""
        CREATE TABLE checks (
            id INTEGER PRIMARY KEY,
            canonical TEXT NOT NULL,
            checked TEXT NOT NULL,      -- ISO 8601, the scheduling clock
            why TEXT,                   -- revisit, recheck, listed (a source listed it as new or changed), refresh
            status INTEGER,             -- the HTTP status answered
            found TEXT,                 -- not modified, same payload, fetched (the text decides), gone, error
            timestamp TEXT,             -- the capture's 14-digit timestamp (real time): joins captures, versions
            crawl_id INTEGER
        )""")
    db.execute("CREATE INDEX checks_canonical ON checks(canonical, checked)")
    # the sitemap or feed that last listed each article: a source that fails withholds only its own evidence
    db.execute("ALTER TABLE urls ADD COLUMN listed_by TEXT")


MIGRATIONS: list[Callable[[Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8]
SCHEMA_VERSION = len(MIGRATIONS)


class Database:
    """What arshif asks of a database handle: `execute`, `conn`, `table_names` — the part of sqlite-utils'
    `Database` it used. Importing sqlite-utils costs 130 ms (it brings numpy and dateutil), a third of the start of
    `arshif search`, `show` and `stats` (issue 21); Datasette, which builds on sqlite-utils, still reads the file."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def execute(self, sql: str, parameters=None) -> sqlite3.Cursor:
        return self.conn.execute(sql) if parameters is None else self.conn.execute(sql, parameters)

    def table_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_db(path: Path | str, migrate: bool = True) -> Database:
    """Open (creating when absent) and migrate archive.db; WAL mode, foreign keys, a busy timeout."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    db = Database(conn)
    if migrate:
        upgrade(db)
    return db


def schema_version(db: Database) -> int:
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    return row[0] or 0


def upgrade(db: Database) -> int:
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

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error); inside another, part of it.

        The connection is in autocommit mode (isolation_level=None), where `with conn:` opens nothing and every
        statement would be its own transaction, with its own fsync."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def checkpoint(self) -> None:
        """Move the WAL into the database file and empty it: the way to write a little more when the WAL, not
        the disk, hit a limit."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- crawls ---------------------------------------------------------------------------------------------
    def start_crawl(self, site: str, options: dict, worker: str | None = None) -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO crawls (started, site, worker, options, status) VALUES (?, ?, ?, ?, 'running')",
                [now_iso(), site, worker, json.dumps(options, ensure_ascii=False, default=str)])
        return cur.lastrowid

    def finish_crawl(self, crawl_id: int, status: str, stats: dict, exit_code: int | None = None) -> None:
        with self.transaction():
            self.db.execute("UPDATE crawls SET finished = ?, status = ?, stats = ?, exit_code = ? WHERE id = ?",
                            [now_iso(), status, json.dumps(stats, ensure_ascii=False, default=str), exit_code,
                             crawl_id])

    def set_exit_code(self, crawl_id: int, exit_code: int) -> None:
        with self.transaction():
            self.db.execute("UPDATE crawls SET exit_code = ? WHERE id = ?", [exit_code, crawl_id])

    # -- WARC files and captures ----------------------------------------------------------------------------
    def add_warc_file(self, name: str, crawl_id: int | None) -> None:
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO warc_files (name, crawl_id, created) VALUES (?, ?, ?)",
                            [name, crawl_id, now_iso()])

    def close_warc_file(self, name: str, size: int, sha256: str, records: int) -> None:
        with self.transaction():
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
        with self.transaction():
            self.db.conn.executemany(sql, [[row.get(c) for c in columns] for row in rows])
        return len(rows)

    def note_urls(self, rows: Iterable[dict]) -> None:
        """Upsert what discovery and fetching learned about URLs; later facts win, first_seen and source stay."""
        rows = list(rows)
        if not rows:
            return
        with self.transaction():
            self.db.conn.executemany(
                """INSERT INTO urls (canonical, kind, is_article, source, sitemap_lastmod, feed_updated, first_seen,
                                     last_seen, last_fetched, last_status, crawl_id, captured_lastmod,
                                     captured_feed_updated, listed_as_post, detection, feed_author, listed_by)
                   VALUES (:canonical, :kind, :is_article, :source, :sitemap_lastmod, :feed_updated, :seen, :seen,
                           :fetched, :status, :crawl_id, :captured_lastmod, :captured_feed_updated,
                           :listed_as_post, :detection, :feed_author, :listed_by)
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
                     crawl_id = excluded.crawl_id""",
                [{"is_article": None, "source": None, "sitemap_lastmod": None, "feed_updated": None,
                  "fetched": None, "status": None, "captured_lastmod": None, "captured_feed_updated": None,
                  "listed_as_post": None, "detection": None, "feed_author": None, "listed_by": None, **row}
                 for row in rows])

    def listing_facts(self) -> dict[str, tuple[bool, str | None]]:
        """Canonical URL → (listed as a post, the feed's author) for every URL a source listed: the evidence
        detection and extraction take from outside the page, again when articles are re-extracted."""
        rows = self.db.execute("SELECT canonical, listed_as_post, feed_author FROM urls WHERE "
                               "listed_as_post IS NOT NULL OR feed_author IS NOT NULL").fetchall()
        return {url: (bool(listed), author) for url, listed, author in rows}

    def fill_authors_from_feeds(self) -> int:
        """Articles stored without an author, whose feed named one after their page was extracted (a crawl reads
        a long feed's older pages while it fetches the posts they list): the feed's name, on the article and
        its latest version. Not an edit: no new version."""
        named = "(SELECT u.feed_author FROM urls u WHERE u.canonical = articles.canonical)"
        with self.transaction():
            self.db.execute(
                "UPDATE article_versions SET author = (SELECT u.feed_author FROM articles a JOIN urls u ON "
                "u.canonical = a.canonical WHERE a.latest_version = article_versions.id) WHERE author IS NULL AND id "
                "IN (SELECT a.latest_version FROM articles a JOIN urls u ON u.canonical = a.canonical "
                "WHERE a.author IS NULL AND u.feed_author IS NOT NULL)")
            return self.db.execute(f"UPDATE articles SET author = {named} WHERE author IS NULL "
                                   f"AND {named} IS NOT NULL").rowcount

    def note_detection(self, outcomes: Iterable[tuple[str, bool, str]]) -> None:
        """What re-extraction concluded of each page: (canonical, is an article, why)."""
        with self.transaction():
            self.db.conn.executemany("UPDATE urls SET is_article = ?, detection = ? WHERE canonical = ?",
                                     [(int(is_article), reason, url) for url, is_article, reason in outcomes])

    def add_checks(self, rows: Iterable[dict]) -> None:
        rows = list(rows)
        if rows:
            self.db.conn.executemany(
                "INSERT INTO checks (canonical, checked, why, status, found, timestamp, crawl_id) VALUES "
                "(:canonical, :checked, :why, :status, :found, :timestamp, :crawl_id)", rows)

    def revisit_candidates(self) -> list[tuple[str, str | None, str | None, int, str | None]]:
        """(canonical, published, first captured, earlier versions, last looked at) of every article online by our
        last knowledge whose changes the site does not announce (no sitemap lastmod): the ones only a revisit
        sees edited or removed. "Last looked at" is the latest check by the scheduling clock, else the last
        capture (real time)."""
        return self.db.execute(
            """SELECT a.canonical, a.published, a.first_captured, a.versions - 1,
                      coalesce((SELECT max(c.checked) FROM checks c WHERE c.canonical = a.canonical), a.last_captured)
               FROM articles a LEFT JOIN urls u ON u.canonical = a.canonical
               WHERE a.removed IS NULL AND u.sitemap_lastmod IS NULL""").fetchall()

    def missed_posts(self) -> list[dict]:
        """Pages the site lists as posts, fetched with 200, that are not stored as articles, with the reason."""
        cursor = self.db.execute(
            """SELECT u.canonical, coalesce(u.detection, 'not detected') AS reason, u.last_fetched, u.source
               FROM urls u WHERE u.listed_as_post = 1 AND u.last_status = 200 AND coalesce(u.is_article, 0) = 0
               AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.canonical = u.canonical)
               ORDER BY u.canonical""")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

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

    def last_response(self, canonical_url: str) -> tuple[str, int, int, str, str, str] | None:
        """(WARC file, offset, length, payload digest, WARC-Date, record id) of the latest 200 response for this
        URL: the validators of a conditional request, and the body a 304 stands for."""
        return self.db.execute(
            "SELECT warc_file, offset, length, digest, date, record_id FROM captures WHERE canonical = ? AND "
            "record_type = 'response' AND status = 200 ORDER BY id DESC LIMIT 1", [canonical_url]).fetchone()

    def last_fetches(self) -> dict[str, tuple[str, int]]:
        """Canonical URL → (when last fetched, status) for every URL that is not an article or an asset:
        sitemaps, feeds, listing pages, other pages, redirects and dead links: what the refetch intervals are
        measured from."""
        rows = self.db.execute(
            "SELECT canonical, last_fetched, last_status FROM urls WHERE kind != 'asset' AND "
            "coalesce(is_article, 0) = 0 AND last_fetched IS NOT NULL AND last_status IS NOT NULL").fetchall()
        return {canonical: (fetched, status) for canonical, fetched, status in rows}

    def listed_by(self, urls: list[str]) -> dict[str, str | None]:
        """Canonical URL → the sitemap or feed that last listed it."""
        found: dict[str, str | None] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start:start + 500]
            found.update(self.db.execute(f"SELECT canonical, listed_by FROM urls WHERE canonical IN "
                                         f"({', '.join('?' * len(chunk))})", chunk).fetchall())
        return found

    def article_urls(self) -> set[str]:
        """Every URL detected as an article at its last fetch: whatever its URL's shape, it is one next time."""
        return {row[0] for row in self.db.execute("SELECT canonical FROM urls WHERE is_article = 1")}

    def removed_articles(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT canonical FROM articles WHERE removed IS NOT NULL")}

    def listed_articles(self) -> set[str]:
        """Articles online by our last knowledge that a sitemap or feed once listed: the ones whose absence from
        every sitemap and feed means something (an article only ever linked to never was listed)."""
        return {row[0] for row in self.db.execute(
            "SELECT a.canonical FROM articles a JOIN urls u ON u.canonical = a.canonical WHERE a.removed IS NULL "
            "AND (u.source IN ('sitemap', 'feed') OR u.sitemap_lastmod IS NOT NULL OR u.feed_updated IS NOT NULL)")}

    def touch_articles(self, seen: Iterable[tuple[str, str]]) -> int:
        """Articles answered 304 Not Modified: seen online at these times, nothing else changed."""
        seen = list(seen)
        if not seen:
            return 0
        touched = 0
        with self.transaction():
            for canonical_url, timestamp in seen:
                cur = self.db.conn.execute(
                    "UPDATE article_versions SET last_seen = max(last_seen, ?) WHERE id = "
                    "(SELECT latest_version FROM articles WHERE canonical = ?)", [timestamp, canonical_url])
                self.db.conn.execute("UPDATE articles SET last_captured = max(last_captured, ?), removed = NULL "
                                     "WHERE canonical = ?", [timestamp, canonical_url])
                touched += cur.rowcount
        return touched

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

    # -- articles ------------------------------------------------------------------------------------------
    def store_articles(self, items: Iterable[tuple[dict, dict]]) -> Counter:
        """Apply extracted articles with the capture each came from, in one transaction.

        A (title, body) different from the article's latest version is a new version; the same text refreshes
        the fields (and the extractor) and moves last_seen. Captures must come in time order per article."""
        outcome: Counter = Counter()
        with self.transaction():
            for article, capture in items:
                outcome[self._store_article(article, capture)] += 1
        return outcome

    def _store_article(self, a: dict, capture: dict) -> str:
        conn = self.db.conn
        digest = hashlib.sha1(f"{a['title']}\n{a['body']}".encode()).hexdigest()
        tags = json.dumps(a.get("tags") or [], ensure_ascii=False)
        fields = {k: a.get(k) for k in ("title", "author", "published", "modified", "section", "image", "lang",
                                        "body", "word_count")}
        fields["tags"] = tags
        ts, record_id = capture["timestamp"], capture["record_id"]
        row = conn.execute("SELECT id, latest_version, versions, first_captured FROM articles WHERE canonical = ?",
                           [a["url"]]).fetchone()
        version_fields = ("author", "published", "modified", "section", "tags", "image", "lang", "word_count")
        if row is None:
            cur = conn.execute(
                "INSERT INTO articles (canonical, title, author, published, modified, section, tags, image, lang, "
                "body, word_count, versions, first_captured, last_captured, capture_record_id, extractor) "
                "VALUES (:canonical, :title, :author, :published, :modified, :section, :tags, :image, :lang, "
                ":body, :word_count, 1, :ts, :ts, :record_id, :extractor)",
                {**fields, "canonical": a["url"], "ts": ts, "record_id": record_id, "extractor": a["extractor"]})
            article_id = cur.lastrowid
            version_id = self._add_version(article_id, 1, a, fields, digest, record_id, ts, version_fields)
            conn.execute("UPDATE articles SET latest_version = ? WHERE id = ?", [version_id, article_id])
            search_index.add_latest(conn, article_id, fields["title"], fields["body"])
            return "new"
        article_id, latest_id, versions, first = row
        latest = conn.execute("SELECT digest, last_seen, extractor FROM article_versions WHERE id = ?",
                              [latest_id]).fetchone()
        if latest and latest[0] == digest:
            conn.execute(
                "UPDATE article_versions SET last_seen = max(last_seen, :ts), extractor = :extractor, "
                + ", ".join(f"{k} = :{k}" for k in version_fields) + " WHERE id = :id",
                {**{k: fields[k] for k in version_fields}, "ts": ts, "extractor": a["extractor"], "id": latest_id})
            self._refresh_article(article_id, fields, ts, record_id, a["extractor"], versions, latest_id)
            return "unchanged" if latest[2] == a["extractor"] else "refreshed"
        version_id = self._add_version(article_id, versions + 1, a, fields, digest, record_id, ts, version_fields)
        old_title, old_body = conn.execute("SELECT title, body FROM article_versions WHERE id = ?",
                                           [latest_id]).fetchone()
        search_index.retire(conn, article_id, latest_id, old_title, old_body)
        search_index.add_latest(conn, article_id, fields["title"], fields["body"])
        self._refresh_article(article_id, fields, ts, record_id, a["extractor"], versions + 1, version_id)
        return "version"

    def _add_version(self, article_id, number, a, fields, digest, record_id, ts, version_fields) -> int:
        cur = self.db.conn.execute(
            "INSERT INTO article_versions (article_id, version, title, body, digest, "
            + ", ".join(version_fields) + ", capture_record_id, capture_timestamp, first_seen, last_seen, "
            "extractor) VALUES (:article_id, :version, :title, :body, :digest, "
            + ", ".join(f":{k}" for k in version_fields) + ", :record_id, :ts, :ts, :ts, :extractor)",
            {**fields, "article_id": article_id, "version": number, "digest": digest, "record_id": record_id,
             "ts": ts, "extractor": a["extractor"]})
        return cur.lastrowid

    def _refresh_article(self, article_id, fields, ts, record_id, extractor, versions, latest_id) -> None:
        self.db.conn.execute(
            "UPDATE articles SET " + ", ".join(f"{k} = :{k}" for k in fields)
            + ", versions = :versions, latest_version = :latest, last_captured = max(last_captured, :ts), "
            "capture_record_id = :record_id, extractor = :extractor, removed = NULL WHERE id = :id",
            {**fields, "versions": versions, "latest": latest_id, "ts": ts, "record_id": record_id,
             "extractor": extractor, "id": article_id})

    def ensure_search_index(self, progress=None) -> bool:
        """Rebuild the search index when it was made by another normaliser or format; True if it was."""
        if search_index.is_current(self.db.conn):
            return False
        search_index.rebuild(self.db.conn, progress)
        return True

    def clear_articles(self) -> None:
        """Forget every article, version and their index entries (re-extraction starts from nothing)."""
        with self.transaction():
            search_index.create(self.db.conn)
            self.db.execute("DELETE FROM article_versions")
            self.db.execute("DELETE FROM articles")

    def touch_article(self, canonical_url: str, timestamp: str) -> bool:
        """An identical payload was captured again: the article was seen, nothing else changed."""
        return self.touch_articles([(canonical_url, timestamp)]) > 0

    def mark_removed(self, canonical_url: str, when: str) -> bool:
        with self.transaction():
            cur = self.db.conn.execute("UPDATE articles SET removed = ? WHERE canonical = ? AND removed IS NULL",
                                       [when, canonical_url])
        return cur.rowcount > 0

    def latest_payloads(self) -> dict[str, tuple[str, str, str]]:
        """URL as fetched → (payload digest, WARC-Date, record id) of its latest full response."""
        rows = self.db.execute(
            "SELECT url, digest, date, record_id, max(id) FROM captures WHERE record_type = 'response' "
            "GROUP BY url").fetchall()
        return {url: (digest, date, record_id) for url, digest, date, record_id, _ in rows}

    def count(self, table: str) -> int:
        return self.db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
