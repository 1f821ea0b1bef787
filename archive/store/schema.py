"""The tables of `archive.db` and their migrations (docs/data.md, archive.db).

Every schema change is a numbered migration, applied in order inside a transaction and recorded in
`schema_version`, so an old database is upgraded in place and never silently dropped. Migrations are written with
sqlite-utils (`Table.create`, `add_column`, `create_index`; `transform` for a change ALTER TABLE cannot make).
sqlite-utils is imported only when a migration runs: it brings numpy and dateutil, and `arshif search`, `show`
and `stats` must start without them (`version` alone tells them the schema is current).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from archive.core.paths import DATABASE
from archive.core.times import now_iso
from archive.search import impact
from archive.search import index as search_index

if TYPE_CHECKING:
    import sqlite_utils

Progress = Callable[[int, int], None]
Say = Callable[[str], None]


class StoreError(Exception):
    """The database cannot be used as it is (newer schema, not an arshif database, busy while it must upgrade)."""


def _v1(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """Crawl runs, the WARC files they wrote, and one row per WARC record (where it is, what it holds)."""
    db["crawls"].create({
        "id": int,
        "started": str,
        "finished": str,
        "site": str,
        "worker": str,
        "options": str,     # JSON: the command's options
        "stats": str,       # JSON: Scrapy's stats at the end
        "status": str,      # running, finished, failed, interrupted
        "exit_code": int,
    }, pk="id", not_null={"started", "site", "status"})
    db["warc_files"].create({
        "name": str,        # file name under warc/, without .open
        "crawl_id": int,
        "created": str,
        "closed": str,
        "size": int,
        "sha256": str,      # fixity, recorded when the file is closed
        "records": int,
    }, pk="name", not_null={"created"}, foreign_keys=[("crawl_id", "crawls", "id")])
    db["captures"].create({
        "id": int,
        "record_id": str,
        "record_type": str,     # response, revisit, request
        "url": str,             # as fetched (WARC-Target-URI)
        "canonical": str,
        "timestamp": str,       # 14 digits, UTC
        "date": str,            # WARC-Date
        "status": int,
        "mime": str,
        "digest": str,          # WARC-Payload-Digest, sha1:BASE32
        "payload_length": int,
        "warc_file": str,
        "offset": int,
        "length": int,
        "revisit_profile": str,  # identical-payload-digest or server-not-modified
        "refers_to_uri": str,
        "refers_to_date": str,
        "concurrent_to": str,
        "ip": str,
        "crawl_id": int,
    }, pk="id", not_null={"record_id", "record_type", "url", "canonical", "timestamp", "date", "warc_file", "offset",
                          "length"}, foreign_keys=[("crawl_id", "crawls", "id")])
    captures = db["captures"]
    captures.create_index(["record_id"], index_name="captures_record_id", unique=True)
    captures.create_index(["canonical", "timestamp"], index_name="captures_canonical")
    captures.create_index(["url", "timestamp"], index_name="captures_url")
    captures.create_index(["warc_file", "offset"], index_name="captures_file")


def _v2(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """What the crawler knows about each canonical URL: how it was found, what the site said of it, whether
    the page was an article. The frontier of a resumed or incremental crawl is rebuilt from this and from the
    captures, never from Scrapy's transient job state."""
    db["urls"].create({
        "canonical": str,
        "kind": str,            # article, listing, feed, sitemap, asset, page, robots
        "is_article": int,      # 1/0 once fetched and detected; NULL while only discovered
        "source": str,          # how it was first found: sitemap, feed, link, asset, start
        "sitemap_lastmod": str,  # as the sitemap last said
        "feed_updated": str,    # as a feed last said
        "first_seen": str,
        "last_seen": str,
        "last_fetched": str,
        "last_status": int,
        "crawl_id": int,
    }, pk="canonical", not_null={"kind", "first_seen", "last_seen"}, foreign_keys=[("crawl_id", "crawls", "id")])
    db["urls"].create_index(["kind", "is_article"], index_name="urls_kind")


def _v3(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """What the sitemap and feeds said of an article when we last captured it: a later difference means the
    article changed and is fetched again; no difference means a resumed or repeated crawl leaves it alone."""
    db["urls"].add_column("captured_lastmod", str)
    db["urls"].add_column("captured_feed_updated", str)


def _v4(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """Articles and their versions. A version is a distinct (title, body); the extractor that produced it is
    recorded so that re-extraction with a newer one refreshes fields instead of counting as an edit."""
    db["articles"].create({
        "id": int,
        "canonical": str,
        "title": str,
        "author": str,
        "published": str,       # ISO 8601, with offset when the time is known, else YYYY-MM-DD
        "modified": str,
        "section": str,
        "tags": str,            # JSON array
        "image": str,
        "lang": str,
        "body": str,
        "word_count": int,
        "versions": int,
        "latest_version": int,  # article_versions.id
        "first_captured": str,  # 14-digit timestamps
        "last_captured": str,
        "capture_record_id": str,  # the capture the current fields come from
        "removed": str,         # when a 404/410 was first seen after captures; NULL while online
        "extractor": str,
    }, pk="id", not_null={"canonical", "title", "body", "versions"}, defaults={"versions": 1})
    db["articles"].create_index(["canonical"], index_name="articles_canonical", unique=True)
    db["article_versions"].create({
        "id": int,
        "article_id": int,
        "version": int,
        "title": str,
        "body": str,
        "digest": str,          # sha1 of title + body
        "author": str, "published": str, "modified": str, "section": str, "tags": str, "image": str, "lang": str,
        "word_count": int,
        "capture_record_id": str,
        "capture_timestamp": str,
        "first_seen": str,      # 14-digit timestamps of the first and last capture with this text
        "last_seen": str,
        "extractor": str,
    }, pk="id", not_null={"article_id", "version", "title", "body", "digest", "capture_record_id",
                          "capture_timestamp", "first_seen", "last_seen", "extractor"},
        foreign_keys=[("article_id", "articles", "id")])
    db["article_versions"].create_index(["article_id", "version"], index_name="article_versions_number",
                                        unique=True)
    db["articles"].create_index(["published"], index_name="articles_published")
    db["articles"].create_index(["section"], index_name="articles_section")


def _v5(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """The month of publication, derived, so that Datasette can facet articles by month. sqlite-utils writes no
    generated column (and `transform` would drop this one: a later transform of `articles` must add it again)."""
    db.execute("ALTER TABLE articles ADD COLUMN month TEXT GENERATED ALWAYS AS (substr(published, 1, 7)) VIRTUAL")


def _v6(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """The full-text search index (archive/search/index.py), filled from the versions already stored."""
    search_index.create(db.conn)
    search_index.index_all(db.conn, progress)


def _v7(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """Nothing lost silently: whether the site lists a URL as a post (a posts sitemap or a posts feed), what
    detection said of the page at its last fetch (the reason it is, or is not, an article), and the author the
    feed named (dc:creator: the name some themes print only inside boilerplate)."""
    db["urls"].add_column("listed_as_post", int)
    db["urls"].add_column("detection", str)
    db["urls"].add_column("feed_author", str)


def _v8(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """Every look at a known article (a revisit, a re-check, a refetch because a source said it changed): when, by
    the scheduling clock (ARSHIF_CLOCK when set), why, and what it found. Revisits are scheduled from it."""
    db["checks"].create({
        "id": int,
        "canonical": str,
        "checked": str,         # ISO 8601, the scheduling clock
        "why": str,             # revisit, recheck, listed (a source listed it as new or changed), refresh
        "status": int,          # the HTTP status answered
        "found": str,           # not modified, same payload, fetched (the text decides), gone, error
        "timestamp": str,       # the capture's 14-digit timestamp (real time): joins captures, versions
        "crawl_id": int,
    }, pk="id", not_null={"canonical", "checked"})
    db["checks"].create_index(["canonical", "checked"], index_name="checks_canonical")
    # the sitemap or feed that last listed each article: a source that fails withholds only its own evidence
    db["urls"].add_column("listed_by", str)


def _v9(db: sqlite_utils.Database, progress: Progress | None) -> str | None:
    """canonical() drops session ids (`sid`, PHPSESSID, `;jsessionid=` …, issue 27): the stored URLs that carried
    one take their new form, and the rows that become one are merged, every capture and version kept
    (archive/store/recanonical.py). What it did is said to the operator; the WARC files are not touched."""
    from archive.store.recanonical import recanonicalise

    return recanonicalise(db.conn)


def _v10(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """Missed means missed (issue 28): the sitemap that lists a URL whatever its shape, when that sitemap is not one of
    static pages, taxonomies or authors (Pelican's plain `sitemap.xml` lists posts it gives no sign of); and the
    categories a feed named for it (`<category>`: section and tags where the page names none), as JSON."""
    db["urls"].add_column("listed_in_sitemap", str)
    db["urls"].add_column("feed_categories", str)


def _v11(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """What the archive learned of a site as a whole, one named fact (JSON) a row (archive/store/site_facts.py): the
    trust in its sitemap `lastmod`, earned by audits (issue 28)."""
    db["site_facts"].create({
        "site": str,            # the site's host name
        "name": str,            # lastmod_trust
        "value": str,           # JSON
        "updated": str,         # ISO 8601, real time
    }, pk=("site", "name"), not_null={"value", "updated"})


def _v12(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """Each site's article profile (archive/pages/profile.py, issue 28): learned from its pages with strong article
    signals, kept as JSON with its version (a hash of what it decides by), so that a change is seen."""
    db["site_profiles"].create({
        "site": str,            # the site's host name
        "version": str,
        "profile": str,         # JSON: SiteProfile.as_dict()
        "updated": str,         # ISO 8601, real time
    }, pk="site", not_null={"version", "profile", "updated"})


def _v13(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """The site profile version in force when an article (and each of its versions) was last stored or judged
    (archive/ops/profile.py, issue 28), beside its extractor: a profile change is not an edit."""
    db["articles"].add_column("profile", str)
    db["article_versions"].add_column("profile", str)


def _v14(db: sqlite_utils.Database, progress: Progress | None) -> None:
    """The search index in four columns: impact lists (archive/search/impact.py) replace the tier columns; indexed
    again from the stored versions (`arshif reindex` builds the lists)."""
    search_index.create(db.conn)
    search_index.index_all(db.conn, progress)


# A migration may return a line saying what it did to the data (upgrade() says it after its commit).
Migration = Callable[["sqlite_utils.Database", Progress | None], str | None]
MIGRATIONS: list[Migration] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10, _v11, _v12, _v13, _v14]
SCHEMA_VERSION = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    """The database's schema version (0 for an empty file). StoreError for a database this arshif must not touch:
    tables but no `schema_version`, or a version newer than it knows."""
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in tables:
        if tables:
            raise StoreError("this database has tables but no schema_version: not an arshif archive")
        return 0
    current = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
    if current > SCHEMA_VERSION:
        raise StoreError(f"{DATABASE} has schema version {current}, newer than this arshif ({SCHEMA_VERSION}): "
                         "upgrade arshif")
    return current


def upgrade(conn: sqlite3.Connection, say: Say | None = None, progress: Progress | None = None) -> int:
    """Apply the migrations this database lacks, each in its own transaction; returns the version reached.
    `say` hears one line first when there is anything to do (`progress` follows indexing, if a migration does), and
    the line a migration returns about what it did to the data (schema 9: the URLs that carried session ids)."""
    current = version(conn)
    if current == SCHEMA_VERSION:
        return current
    import sqlite_utils

    if say:
        say(f"upgrading the database from schema {current} to {SCHEMA_VERSION} (once)…" if current else
            f"creating the database (schema {SCHEMA_VERSION})")
    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            reached = version(conn)  # again inside the transaction: another process may have upgraded meanwhile
            if reached == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return reached
            if reached == 0:
                db["schema_version"].create({"version": int, "applied": str}, pk="version", not_null={"applied"},
                                            if_not_exists=True)
            done = MIGRATIONS[reached](db, progress)
            db["schema_version"].insert({"version": reached + 1, "applied": now_iso()})
            impact.flush(conn)  # a migration that writes the index moves the search lists' counts
        except BaseException:
            impact.discard(conn)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if say and done:
            say(done)
