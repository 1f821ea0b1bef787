"""The Store: the archive's SQLite side (`archive.db`, docs/data.md), one connection that it owns.

The WARC files are the source of truth; this database indexes them. Writers (a crawl, ingest, rebuild) open it
read-write and bring its schema up to date (archive/store/schema.py). Readers (`search`, `show`, `stats`, the web
UI) open it read-only and never write; when they find the schema or the search index made by an older arshif, it
is upgraded once, under the data directory's lock, and they say so.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from archive.core import paths
from archive.search import index as search_index
from archive.store import schema
from archive.store.articles import ArticleRecords
from archive.store.connection import DatabaseError, connect
from archive.store.crawls import CrawlRecords
from archive.store.maintenance import Maintenance
from archive.store.queries import Queries
from archive.store.schema import MIGRATIONS, SCHEMA_VERSION, Say, StoreError
from archive.store.site_facts import SiteFacts

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "DatabaseError", "Store", "StoreError"]

Progress = Callable[[int, int], None]


class Store(CrawlRecords, ArticleRecords, Queries, Maintenance, SiteFacts):
    """What the crawl and the commands ask of the database, in batches and transactions.

    `Store(path)` opens `archive.db` read-write, creating and migrating it; `Store.open_for_reading(data)` opens it
    read-only (see there)."""

    def __init__(self, path: str | os.PathLike, on_upgrade: Say | None = None, progress: Progress | None = None):
        self.path = Path(path)
        self.read_only = False
        self.conn = connect(self.path)
        try:
            schema.upgrade(self.conn, on_upgrade, progress)
        except BaseException:
            self.conn.close()
            raise

    @classmethod
    def open_for_writing(cls, data: str | os.PathLike, on_upgrade: Say | None = None) -> Store:
        """The data directory's database, read-write: created when absent (with the directory), its schema brought
        up to date."""
        Path(data).mkdir(parents=True, exist_ok=True)
        return cls(paths.database(data), on_upgrade)

    @classmethod
    def open_for_reading(cls, data: str | os.PathLike, on_upgrade: Say | None = None,
                         progress: Progress | None = None, search: bool = True) -> Store:
        """The data directory's database, read-only (`mode=ro`, `query_only`): this Store never writes.

        A database made by an older arshif (a lower schema version, or with `search` a search index from another
        normaliser) is first upgraded, once, under the data directory's lock: `on_upgrade` hears one line saying
        what is being done and `progress` follows a rebuild of the index. A database that needs nothing is never
        opened for writing. StoreError when there is no database, when it must not be touched (newer, foreign),
        or when it needs upgrading while another process holds the lock."""
        path = paths.database(data)
        if not path.exists():
            raise StoreError(f"no archive at {data} ({paths.DATABASE} not found)")
        store = cls._reader(path)
        try:
            stale = store._stale(search)
        except BaseException:
            store.close()
            raise
        if not stale:
            return store
        store.close()
        cls._upgrade(data, stale, on_upgrade, progress, search)
        return cls._reader(path)

    @classmethod
    def open_as_is(cls, path: str | os.PathLike) -> Store:
        """A database file read-only as it is: no schema check, no upgrade (a backup copies whatever it finds).
        DatabaseError when it cannot be opened."""
        return cls._reader(Path(path))

    @classmethod
    def _reader(cls, path: Path) -> Store:
        store = cls.__new__(cls)
        store.path = path
        store.read_only = True
        store.conn = connect(path, read_only=True)
        return store

    def _stale(self, search: bool) -> str | None:
        """What an upgrade would do, in a line; None when the database is current."""
        current = schema.version(self.conn)
        if current < SCHEMA_VERSION:
            return f"the database has schema {current}, this arshif {SCHEMA_VERSION}"
        if search and not search_index.is_current(self.conn):
            return f"the search index was made by another arshif ({search_index.state(self.conn)})"
        return None

    @classmethod
    def _upgrade(cls, data: str | os.PathLike, stale: str, on_upgrade: Say | None, progress: Progress | None,
                 search: bool) -> None:
        from archive.core.lock import DataLock, LockHeld

        lock = DataLock(data, purpose="upgrade")
        try:
            lock.acquire()
        except LockHeld as exc:
            raise StoreError(f"{paths.DATABASE} must be upgraded first ({stale}), but {exc}") from None
        try:
            writer = cls(paths.database(data), on_upgrade, progress)
            try:
                if search and not writer.search_index_is_current():
                    if on_upgrade:
                        on_upgrade(f"the search index was made by another arshif ({writer.search_index_state()}); "
                                   "rebuilding it (once)…")
                    versions, lists = _one_bar(progress)
                    writer.reindex(versions, lists_progress=lists)
            finally:
                writer.close()
        finally:
            lock.release()


def _one_bar(progress: Progress | None) -> tuple[Progress | None, Progress | None]:
    """A reindex's two phases (the versions, then the search lists) as one progress from 0 to their sum: a
    command that rebuilds a stale index on its way shows one bar that never goes back."""
    if progress is None:
        return None, None
    indexed = [0]

    def versions(done: int, total: int) -> None:
        indexed[0] = total
        progress(done, total)

    def lists(done: int, total: int) -> None:
        progress(indexed[0] + done, indexed[0] + total)

    return versions, lists
