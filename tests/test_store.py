"""The database is created and migrated in place; an old archive is upgraded, never dropped."""

from __future__ import annotations

import sqlite3

import pytest

from archive.store import database as store
from archive.store.database import SCHEMA_VERSION, Store, StoreError


def test_an_old_database_is_upgraded_in_place(tmp_path):
    path = tmp_path / "archive.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
    db = store.Database(conn)
    store.MIGRATIONS[0](db)
    conn.execute("INSERT INTO schema_version VALUES (1, 'then')")
    conn.execute("INSERT INTO crawls (started, site, status) VALUES ('2025-01-01', 'http://x/', 'finished')")
    conn.commit()
    conn.close()
    upgraded = Store(path)
    assert store.schema_version(upgraded.db) == SCHEMA_VERSION
    assert upgraded.count("crawls") == 1  # the data is still there
    assert {"urls", "articles", "article_versions"} <= set(upgraded.db.table_names())
    upgraded.close()


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
