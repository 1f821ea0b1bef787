"""The Store's one connection to `archive.db`: how it is opened (read-write, or read-only for the commands that
only read), transactions, and sqlite-utils' tables for batched writes.

WAL mode lets readers (search, the web UI, a backup) work while a crawl writes. A read-only connection is opened
with `mode=ro` and `PRAGMA query_only`: it cannot change the file, whatever it is asked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from archive.search import impact

if TYPE_CHECKING:
    import sqlite_utils

DatabaseError = sqlite3.Error
"""What the Store raises when the database fails (a full disk, a busy or damaged file, a read-only connection
asked to write): callers catch this name and never import sqlite3."""


def connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with a busy timeout; read-write ones in WAL mode
    with full sync and foreign keys, read-only ones unable to write. Read-only never creates the file."""
    if read_only:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                               isolation_level=None)
        conn.execute("PRAGMA query_only=ON")
        return conn
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


IN_LIMIT = 500  # values bound in one `IN (…)`: well under SQLite's cap on a statement's parameters


def in_slices(values: Iterable) -> Iterator[tuple[list, str]]:
    """`values` in slices one `IN (…)` can bind, each with its placeholders (`?, ?, ?`)."""
    values = list(values)
    for start in range(0, len(values), IN_LIMIT):
        chunk = values[start:start + IN_LIMIT]
        yield chunk, ", ".join("?" * len(chunk))


def lookup(conn: sqlite3.Connection, select: str, keys: Iterable) -> dict:
    """First column → second of `select` (ending in `IN`) over `keys`, however many."""
    found: dict = {}
    for chunk, marks in in_slices(keys):
        found.update(conn.execute(f"{select} ({marks})", chunk).fetchall())
    return found


def dicts(cursor: sqlite3.Cursor) -> list[dict]:
    """A query's rows as dicts by column name."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class Connected:
    """The part of the Store every room of it shares: the connection, transactions, batched writes."""

    path: Path
    conn: sqlite3.Connection
    read_only: bool
    _tables: sqlite_utils.Database | None = None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error); inside another, part of it.

        The connection is in autocommit mode (isolation_level=None), where `with conn:` opens nothing and every
        statement would be its own transaction, with its own fsync."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            impact.flush(conn)  # the search lists' counts, added up over the transaction
        except BaseException:
            impact.discard(conn)
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def table(self, name: str) -> sqlite_utils.db.Table:
        """sqlite-utils' view of a table over this connection, for batched inserts (imported on first use: the
        reading commands never need it)."""
        if self._tables is None:
            import sqlite_utils

            self._tables = sqlite_utils.Database(self.conn, recursive_triggers=False, execute_plugins=False)
        return self._tables.table(name)

    def checkpoint(self) -> None:
        """Move the WAL into the database file and empty it: the way to write a little more when the WAL, not
        the disk, hit a limit."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
