"""What `arshif verify` and `arshif backup` ask of the database: where every row points, which rows point nowhere,
and a consistent copy of the whole file taken while a crawl writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from archive.store.connection import Connected


class Maintenance(Connected):
    # -- verify ---------------------------------------------------------------------------------------------
    def file_captures(self, name: str) -> list[tuple[str, str, str, str | None, int, int]]:
        """(record id, record type, URL as fetched, payload digest, offset, length) of every capture row pointing
        into a WARC file, in the order of the file."""
        return self.conn.execute("SELECT record_id, record_type, url, digest, offset, length FROM captures "
                                 "WHERE warc_file = ? ORDER BY offset", [name]).fetchall()

    def articles_without_capture(self) -> list[tuple[str, str]]:
        """(canonical URL, record id) of every article whose fields come from a capture that has no row."""
        return self.conn.execute("SELECT canonical, capture_record_id FROM articles WHERE capture_record_id NOT IN "
                                 "(SELECT record_id FROM captures)").fetchall()

    def versions_without_capture(self) -> list[tuple[str, str]]:
        """(canonical URL, record id) of every article version whose capture has no row."""
        return self.conn.execute("SELECT a.canonical, v.capture_record_id FROM article_versions v JOIN articles a "
                                 "ON a.id = v.article_id WHERE v.capture_record_id NOT IN "
                                 "(SELECT record_id FROM captures)").fetchall()

    def captures_without_file(self) -> int:
        """How many capture rows name a WARC file that has no row."""
        return self.conn.execute("SELECT count(*) FROM captures WHERE warc_file NOT IN (SELECT name FROM warc_files)"
                                 ).fetchone()[0]

    # -- backup ---------------------------------------------------------------------------------------------
    @contextmanager
    def online_copy(self, part: Path) -> Iterator[Self]:
        """SQLite's online backup of this database into the file `part`, in one step: from one read transaction
        (one snapshot), which in WAL mode does not block a crawl's commits. (Copying in several steps restarts
        whenever another process commits, which a busy crawl can do forever.) Yields the copy, read over the
        connection that made it: once that closes, the copy is one file (a read-only connection would leave its
        -wal and -shm behind). DatabaseError when the copy fails."""
        conn = sqlite3.connect(part, isolation_level=None)
        try:
            self.conn.backup(conn)
            copy = type(self).__new__(type(self))
            copy.path, copy.read_only, copy.conn = Path(part), False, conn
            yield copy
        finally:
            conn.close()

    def integrity_check(self) -> list[str]:
        """SQLite's integrity check: ["ok"], or what is wrong."""
        return [row[0] for row in self.conn.execute("PRAGMA integrity_check")]

    def table_names(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def schema_version(self) -> int:
        """The highest schema version the database records (0 for none), whether or not this arshif knows it."""
        return self.conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0

    def capture_ends(self) -> dict[str, int]:
        """WARC file → the end of the furthest record a capture row points to in it."""
        return dict(self.conn.execute("SELECT warc_file, max(offset + length) FROM captures GROUP BY warc_file"))

    def last_record_in(self, name: str) -> tuple[str, int, int] | None:
        """(record id, offset, length) of the furthest record a capture row points to in a WARC file."""
        return self.conn.execute("SELECT record_id, offset, length FROM captures WHERE warc_file = ? "
                                 "ORDER BY offset + length DESC LIMIT 1", [name]).fetchone()
