"""The database is created and migrated in place; an old archive is upgraded, never dropped.

Old databases are made with the SQL arshif shipped before sqlite-utils wrote the migrations
(tests/store/old_schema.py), at every schema version, with rows in every table that version has."""

from __future__ import annotations

import sqlite3

import pytest

from archive.search import index as search_index
from archive.store import schema
from archive.store.database import SCHEMA_VERSION, Store, StoreError
from tests.store.old_schema import MIGRATIONS_AS_SHIPPED


def old_database(path, version: int) -> None:
    """archive.db as the arshif of that schema version left it, with a crawl, a WARC file, a capture, a URL and
    an article with its version (indexed for search from version 6 on)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
    for number in range(1, version + 1):
        for sql in MIGRATIONS_AS_SHIPPED[number]:
            conn.execute(sql)
        conn.execute("INSERT INTO schema_version VALUES (?, 'then')", [number])
    if version >= 1:
        conn.execute("INSERT INTO crawls (started, site, status) VALUES ('2025-01-01', 'http://x/', 'finished')")
        conn.execute("INSERT INTO warc_files (name, crawl_id, created) VALUES ('a.warc.gz', 1, '2025-01-01')")
        conn.execute("INSERT INTO captures (record_id, record_type, url, canonical, timestamp, date, status, "
                     "warc_file, offset, length, crawl_id) VALUES ('<urn:1>', 'response', 'http://x/a', "
                     "'http://x/a', '20250101000000', '2025-01-01T00:00:00Z', 200, 'a.warc.gz', 0, 10, 1)")
    if version >= 2:
        conn.execute("INSERT INTO urls (canonical, kind, first_seen, last_seen) VALUES ('http://x/a', 'article', "
                     "'2025-01-01', '2025-01-01')")
    if version >= 4:
        conn.execute("INSERT INTO articles (canonical, title, body, published, versions, latest_version) VALUES "
                     "('http://x/a', 'عنوان', 'زيارة قصيرة إلى صقلية', '2025-01-01', 1, 1)")
        conn.execute("INSERT INTO article_versions (article_id, version, title, body, digest, capture_record_id, "
                     "capture_timestamp, first_seen, last_seen, extractor) VALUES (1, 1, 'عنوان', "
                     "'زيارة قصيرة إلى صقلية', 'd', '<urn:1>', '20250101000000', '20250101000000', "
                     "'20250101000000', 'arshif-1')")
    if version >= 6:
        search_index.add_latest(conn, 1, "عنوان", "زيارة قصيرة إلى صقلية")
        search_index.set_state(conn, search_index.CURRENT)
    conn.close()


def describe(conn: sqlite3.Connection) -> dict:
    """Every table's columns (name, type, not null, default, primary key, generated), its indexes (columns,
    unique) and foreign keys: what a schema means, whatever SQL text made it."""
    tables = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'search_index_%' ORDER BY name")]
    return {table: {
        "columns": [(name, kind.upper(), notnull, default, pk, hidden)
                    for _, name, kind, notnull, default, pk, hidden in conn.execute(f"PRAGMA table_xinfo([{table}])")],
        "indexes": sorted((tuple(column for _, _, column in conn.execute(f"PRAGMA index_info([{index}])")), unique)
                          for _, index, unique, *_ in conn.execute(f"PRAGMA index_list([{table}])")),
        "foreign_keys": sorted((fk[3], fk[2], fk[4]) for fk in conn.execute(f"PRAGMA foreign_key_list([{table}])")),
    } for table in tables}


def fresh_schema(tmp_path) -> dict:
    fresh = Store(tmp_path / "fresh.db")
    described = describe(fresh.conn)
    fresh.close()
    return described


def test_an_old_database_is_upgraded_in_place(tmp_path):
    path = tmp_path / "archive.db"
    old_database(path, 1)
    upgraded = Store(path)
    assert upgraded.schema_version() == SCHEMA_VERSION
    assert upgraded.count("crawls") == 1  # the data is still there
    assert {"urls", "articles", "article_versions"} <= upgraded.table_names()
    upgraded.close()


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_every_older_schema_is_upgraded_in_place_to_the_schema_a_new_archive_has(tmp_path, version):
    path = tmp_path / "archive.db"
    old_database(path, version)
    said: list[str] = []
    upgraded = Store(path, on_upgrade=said.append)
    try:
        assert upgraded.schema_version() == SCHEMA_VERSION
        assert said == ([f"upgrading the database from schema {version} to {SCHEMA_VERSION} (once)…"] if version
                        else [f"creating the database (schema {SCHEMA_VERSION})"])
        kept = {"crawls": 1, "warc_files": 1, "captures": 1} if version else {}
        kept |= {"urls": 1} if version >= 2 else {}
        kept |= {"articles": 1, "article_versions": 1} if version >= 4 else {}
        assert {table: upgraded.count(table) for table in kept} == kept
        if version >= 4:  # indexed for search by the upgrade, or kept as it was
            assert [hit.url for hit in upgraded.searcher().search("صقلية")] == ["http://x/a"]
        assert describe(upgraded.conn) == fresh_schema(tmp_path)
        assert upgraded.search_index_is_current()
    finally:
        upgraded.close()


def test_the_schema_sqlite_utils_writes_is_the_one_arshif_shipped(tmp_path):
    """A database the older arshif made at the current version needs nothing, and means the same."""
    path = tmp_path / "archive.db"
    old_database(path, SCHEMA_VERSION)
    said: list[str] = []
    current = Store(path, on_upgrade=said.append)
    assert said == [] and describe(current.conn) == fresh_schema(tmp_path)
    current.close()


def test_an_upgrade_is_all_or_nothing_per_version(tmp_path, monkeypatch):
    """A migration that fails leaves the database at the version before it, with its data."""
    path = tmp_path / "archive.db"
    old_database(path, 6)

    def broken(db, progress):
        db["urls"].add_column("listed_as_post", int)
        raise RuntimeError("power cut")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS[:6], broken, *schema.MIGRATIONS[7:]])
    with pytest.raises(RuntimeError, match="power cut"):
        Store(path)
    conn = sqlite3.connect(path)
    assert schema.version(conn) == 6
    assert "listed_as_post" not in [row[1] for row in conn.execute("PRAGMA table_info(urls)")]
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    conn.close()


def test_a_newer_or_foreign_database_is_refused(tmp_path):
    path = tmp_path / "archive.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 'future')", [SCHEMA_VERSION + 1])
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not an arshif archive"):
        Store(other)


def test_the_same_text_keeps_what_an_earlier_capture_said_of_it(tmp_path):
    """A redesign (a WordPress block theme) may show the day without the time, no modified date and no image: the
    same text is no new version, and keeps them; a page that now says otherwise replaces them."""
    def article(**fields) -> dict:
        return {"url": "https://example.test/2025/05/23/a/", "title": "افتتاح معرض الكتاب في تورينو",
                "body": "افتتح «معرض تورينو الدولي للكتاب» أبوابه صباح اليوم.", "extractor": "arshif-6",
                "published": "2025-05-23T08:10:00+02:00", "modified": "2025-05-24T09:00:00+02:00",
                "image": "https://example.test/photo.jpg", **fields}

    with Store.open_for_writing(tmp_path / "data") as store:
        store.store_articles([(article(), {"record_id": "<urn:uuid:1>", "timestamp": "20250523081000"})])
        poorer = article(published="2025-05-23", modified=None, image=None)
        assert store.store_articles([(poorer, {"record_id": "<urn:uuid:2>", "timestamp": "20250601000000"})]) \
            == {"unchanged": 1}
        other_day = article(published="2025-05-25", modified=None, image="https://example.test/new.jpg")
        store.store_articles([(other_day, {"record_id": "<urn:uuid:3>", "timestamp": "20250602000000"})])
        rows = store.conn.execute("SELECT versions, published, modified, image FROM articles").fetchall()
        versions = store.conn.execute("SELECT published, modified, image FROM article_versions").fetchall()
    assert rows == [(1, "2025-05-25", "2025-05-24T09:00:00+02:00", "https://example.test/new.jpg")]
    assert versions == [("2025-05-25", "2025-05-24T09:00:00+02:00", "https://example.test/new.jpg")]
