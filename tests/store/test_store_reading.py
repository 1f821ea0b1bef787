"""Reading commands open the archive read-only: they never write, and an archive made by an older arshif is
upgraded once, under the data directory's lock, saying so (Store.open_for_reading)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from archive.core.arabic import NORMALISER_VERSION
from archive.core.lock import DataLock
from archive.search import index as search_index
from archive.store.database import SCHEMA_VERSION, Store, StoreError
from tests.crawling import ROOT, arshif

UPGRADE = f"upgrading the database from schema {SCHEMA_VERSION - 1} to {SCHEMA_VERSION} (once)"


def article(n: int, title: str, body: str) -> tuple[dict, dict]:
    return ({"url": f"https://example.test/2021/0{n}/a", "title": title, "body": body, "author": "سلمى العياشي",
             "published": f"2021-0{n}-14T10:00:00+02:00", "modified": None, "section": "سياسة", "tags": ["إيطاليا"],
             "image": None, "lang": "ar", "word_count": len(body.split()), "extractor": "test"},
            {"record_id": f"<urn:uuid:{n:08d}-0000-0000-0000-000000000000>", "timestamp": f"2026010100000{n}"})


@pytest.fixture
def data(tmp_path):
    """A current archive of two articles."""
    folder = tmp_path / "data"
    with Store.open_for_writing(folder) as store:
        store.store_articles([article(1, "زيارة إلى صقلية", "وصل الوفد إلى باليرمو في زيارة قصيرة."),
                              article(2, "أسعار الخبز", "ارتفعت الأسعار في بعض البلدات.")])
    return folder


def as_older_arshif_left_it(folder) -> None:
    """The archive at the schema before this one, as the arshif before it made it (schema 14 rebuilt the search
    index without its two tier columns)."""
    assert SCHEMA_VERSION == 14, "a new migration: make this the schema before it"
    conn = sqlite3.connect(folder / "archive.db", isolation_level=None)
    conn.execute("DROP TABLE search_index")
    conn.execute("CREATE VIRTUAL TABLE search_index USING fts5(title, title_s, body, body_s, top, top_s, content='', "
                 "tokenize='unicode61 remove_diacritics 2')")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'normaliser'", [f"{NORMALISER_VERSION}/2"])
    conn.execute("DELETE FROM schema_version WHERE version = 14")
    conn.close()


def file_state(folder) -> tuple[bytes, int]:
    path = folder / "archive.db"
    return path.read_bytes(), path.stat().st_mtime_ns


def test_reading_a_current_archive_never_writes_to_it(data):
    before = file_state(data)
    said: list[str] = []
    with Store.open_for_reading(data, on_upgrade=said.append) as store:
        assert store.read_only and said == []
        assert [hit.url for hit in store.searcher().search("صقلية")] == ["https://example.test/2021/01/a"]
        assert store.section_counts() == [("سياسة", 2)] and store.month_counts() == [("2021-02", 1), ("2021-01", 1)]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.mark_removed("https://example.test/2021/01/a", "20260102000000")
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.conn.execute("PRAGMA query_only=OFF")
            store.conn.execute("DELETE FROM articles")
    assert file_state(data) == before


def test_reading_never_creates_an_archive(tmp_path):
    with pytest.raises(StoreError, match="no archive"):
        Store.open_for_reading(tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()


def test_an_older_schema_is_upgraded_once_and_says_so(data):
    as_older_arshif_left_it(data)
    said: list[str] = []
    with Store.open_for_reading(data, on_upgrade=said.append) as store:
        assert store.read_only and store.schema_version() == SCHEMA_VERSION
        assert store.article_count() == 2
    assert said == [UPGRADE + "…"]
    again: list[str] = []
    before = file_state(data)
    Store.open_for_reading(data, on_upgrade=again.append).close()
    assert again == [] and file_state(data) == before
    lock = DataLock(data).acquire()
    assert not lock.took_over  # the upgrade released the lock, and left no holder behind
    lock.release()


def test_a_stale_search_index_is_rebuilt_once_and_says_so(data):
    conn = sqlite3.connect(data / "archive.db", isolation_level=None)
    search_index.set_state(conn, "0")
    search_index.clear(conn)
    conn.close()
    said: list[str] = []
    steps: list[tuple[int, int]] = []
    with Store.open_for_reading(data, on_upgrade=said.append, progress=lambda *step: steps.append(step)) as store:
        assert [hit.url for hit in store.searcher().search("الخبز")] == ["https://example.test/2021/02/a"]
    assert said == ["the search index was made by another arshif (0); rebuilding it (once)…"]
    assert steps[-1][0] == steps[-1][1] >= 2   # the versions, then the search lists, on one bar
    assert [done for done, _ in steps] == sorted(done for done, _ in steps)
    again: list[str] = []
    Store.open_for_reading(data, on_upgrade=again.append).close()
    assert again == []


def test_a_stale_index_waits_for_search_stats_need_none(data):
    """`search=False` (stats, show): an index made by another normaliser is left for the commands that search."""
    conn = sqlite3.connect(data / "archive.db", isolation_level=None)
    search_index.set_state(conn, "0")
    conn.close()
    before = file_state(data)
    said: list[str] = []
    Store.open_for_reading(data, on_upgrade=said.append, search=False).close()
    assert said == [] and file_state(data) == before


def test_no_upgrade_while_another_process_holds_the_lock(data):
    as_older_arshif_left_it(data)
    before = file_state(data)
    with DataLock(data, purpose="crawl"), pytest.raises(StoreError) as refused:
        Store.open_for_reading(data)
    assert "must be upgraded first" in str(refused.value) and "another crawl is running" in str(refused.value)
    assert file_state(data) == before


def test_reading_a_current_archive_does_not_import_sqlite_utils(data):
    """sqlite-utils brings numpy and dateutil: only a migration or a batched write imports it."""
    code = ("import sys; from archive.store.database import Store; "
            f"s = Store.open_for_reading({str(data)!r}); s.searcher().search('صقلية'); s.section_counts(); "
            "print(sorted(m for m in ('sqlite_utils', 'numpy', 'dateutil') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_search_upgrades_an_older_archive_once_and_says_so(data):
    as_older_arshif_left_it(data)
    first = arshif("--data", str(data), "search", "صقلية", "--json")
    assert first.returncode == 0, first.stderr
    assert first.stderr.count(UPGRADE) == 1 and len(json.loads(first.stdout)) == 1
    second = arshif("--data", str(data), "search", "صقلية", "--json")
    assert second.returncode == 0 and "upgrading" not in second.stderr and json.loads(second.stdout)


@pytest.mark.parametrize("command", [
    ("stats", "--json"), ("missed", "--json"), ("verify", "--json"), ("search", "صقلية", "--json"),
    ("export", "--format", "jsonl", "--output", "{out}"), ("export", "صقلية", "--format", "csv", "--output", "{out}"),
    ("changes", "--json"),
])
def test_every_reading_command_leaves_a_current_archive_untouched(data, tmp_path, command):
    """Each reading command's whole run, as a user starts it: the database file keeps its bytes and its mtime."""
    before = file_state(data)
    args = [part.replace("{out}", str(tmp_path / "out")) for part in command]
    done = arshif("--data", str(data), *args)
    assert done.returncode in (0, 1), done.stderr  # verify: 1, the two articles' captures are in no WARC file
    assert "upgrading" not in done.stderr
    assert file_state(data) == before


@pytest.mark.parametrize("command", [("verify", "--json"), ("export", "--format", "jsonl", "--output", "{out}")])
def test_verify_and_export_upgrade_an_older_archive_once_and_say_so(data, tmp_path, command):
    """They opened the database read-write, which upgraded an older one silently."""
    as_older_arshif_left_it(data)
    args = [part.replace("{out}", str(tmp_path / "out")) for part in command]
    first = arshif("--data", str(data), *args)
    assert first.stderr.count(UPGRADE) == 1, first.stderr
    second = arshif("--data", str(data), *args)
    assert "upgrading" not in second.stderr, second.stderr
