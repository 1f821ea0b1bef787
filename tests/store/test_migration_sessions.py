"""Schema 9: canonical() drops session ids, so the URLs an older arshif stored with one take their new form, and the
rows that become one are merged: every capture kept, one `urls` row, one article with every version in time order.
The upgrade says what it did."""

from __future__ import annotations

import re
import sqlite3

from archive.store.database import SCHEMA_VERSION, Store
from tests.store.old_schema import MIGRATIONS_AS_SHIPPED

SITE = "http://127.0.0.1:8000"
HEX = "9f86d081884c7d659a2feaa0c55ad015"
A = f"{SITE}/2021/10/01/khabar/"
B = f"{SITE}/2021/10/02/akhar/"
SHORT_SID = f"{SITE}/news?sid=5"  # a short `sid` is a real parameter: left alone
VARIANTS = [f"{A}?PHPSESSID={HEX}", f"{A}?PHPSESSID={HEX[::-1]}"]
OLD_B = f"{B};jsessionid={HEX.upper()}?sid={HEX}"


def capture(n: int, url: str) -> dict:
    return {"record_id": f"<urn:uuid:{n:08d}-0000-0000-0000-000000000000>", "record_type": "response", "url": url,
            "canonical": url, "timestamp": f"2025010{n}000000", "date": f"2025-01-0{n}T00:00:00Z", "status": 200,
            "mime": "text/html", "digest": f"sha1:{n}", "warc_file": "a.warc.gz", "offset": n * 100, "length": 90,
            "crawl_id": None}


def article(url: str, n: int, title: str, body: str) -> tuple[dict, dict]:
    return ({"url": url, "title": title, "body": body, "author": None, "published": "2021-10-01", "modified": None,
             "section": "محليات", "tags": [], "image": None, "lang": "ar", "word_count": len(body.split()),
             "extractor": "test"},
            {"record_id": capture(n, url)["record_id"], "timestamp": capture(n, url)["timestamp"]})


def archive_as_schema_8_left_it(folder) -> None:
    """What crawls under the old rule stored: a page under two session ids and its plain URL, each an article (the
    same text twice, then an edit), another page under `;jsessionid=` and `sid`, and a short `sid` that stays."""
    old = [(1, VARIANTS[0]), (2, VARIANTS[1]), (3, A), (4, OLD_B), (5, SHORT_SID)]
    with Store.open_for_writing(folder) as store:
        store.add_captures(capture(n, url) for n, url in old)
        store.note_urls([{"canonical": url, "kind": "article", "seen": f"2025-01-0{n}", "crawl_id": None,
                          "is_article": 1, "fetched": f"2025-01-0{n}", "status": 200} for n, url in old])
        with store.transaction():
            store.add_checks([{"canonical": VARIANTS[0], "checked": "2025-01-01", "why": "recheck"}])
        store.store_articles([article(VARIANTS[0], 1, "افتتاح مكتبة الميناء", "افتتحت البلدية مكتبة جديدة"),
                              article(VARIANTS[1], 2, "افتتاح مكتبة الميناء", "افتتحت البلدية مكتبة جديدة"),
                              article(A, 3, "افتتاح مكتبة الميناء", "افتتحت البلدية مكتبة جديدة للأطفال"),
                              article(OLD_B, 4, "موسم الزيتون", "بدأ موسم قطف الزيتون مبكرا"),
                              article(SHORT_SID, 5, "خبر قصير", "نص قصير عن المدينة")])
    back_to_schema_8(folder)


def back_to_schema_8(folder) -> None:
    """The database as schema 8 left it: what every later migration added (tests/store/old_schema.py) taken out, so
    that they run again."""
    conn = sqlite3.connect(folder / "archive.db", isolation_level=None)
    for number in range(SCHEMA_VERSION, 8, -1):
        for sql in MIGRATIONS_AS_SHIPPED[number]:
            if added := re.match(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", sql):
                conn.execute(f"ALTER TABLE {added[1]} DROP COLUMN {added[2]}")
            elif created := re.match(r"\s*CREATE TABLE (\w+)", sql):
                conn.execute(f"DROP TABLE {created[1]}")
    conn.execute("DELETE FROM schema_version WHERE version >= 9")
    conn.close()


def test_stored_urls_with_session_ids_are_recanonicalised_and_merged(tmp_path):
    folder = tmp_path / "data"
    archive_as_schema_8_left_it(folder)
    said: list[str] = []
    with Store.open_for_reading(folder, on_upgrade=said.append) as store:
        assert store.schema_version() == SCHEMA_VERSION >= 9
        conn = store.conn
        assert sorted(r[0] for r in conn.execute("SELECT canonical FROM captures")) == sorted([A] * 3 + [B, SHORT_SID])
        assert conn.execute("SELECT count(*) FROM captures WHERE url = ?", [OLD_B]).fetchone()[0] == 1  # as fetched
        assert sorted(r[0] for r in conn.execute("SELECT canonical FROM urls")) == sorted([A, B, SHORT_SID])
        assert conn.execute("SELECT first_seen, last_fetched, is_article FROM urls WHERE canonical = ?",
                            [A]).fetchone() == ("2025-01-01", "2025-01-03", 1)
        assert [r[0] for r in conn.execute("SELECT canonical FROM checks")] == [A]
        articles = conn.execute("SELECT canonical, versions, first_captured, last_captured, body FROM articles "
                                "ORDER BY canonical").fetchall()
        assert articles == [
            (A, 2, "20250101000000", "20250103000000", "افتتحت البلدية مكتبة جديدة للأطفال"),
            (B, 1, "20250104000000", "20250104000000", "بدأ موسم قطف الزيتون مبكرا"),
            (SHORT_SID, 1, "20250105000000", "20250105000000", "نص قصير عن المدينة")]
        versions = conn.execute("SELECT v.version, v.first_seen, v.last_seen, v.body FROM article_versions v "
                                "JOIN articles a ON a.id = v.article_id WHERE a.canonical = ? ORDER BY v.version",
                                [A]).fetchall()
        assert versions == [(1, "20250101000000", "20250102000000", "افتتحت البلدية مكتبة جديدة"),
                            (2, "20250103000000", "20250103000000", "افتتحت البلدية مكتبة جديدة للأطفال")]
        assert [hit.url for hit in store.searcher().search("الأطفال")] == [A]
        assert [hit.url for hit in store.searcher().search("الزيتون")] == [B]
        assert store.search_index_is_current()
    assert said[0].startswith(f"upgrading the database from schema 8 to {SCHEMA_VERSION}")
    assert said[1] == ("3 stored URL(s) carried a session id (archive/core/urls.py): now in their canonical form; "
                       "2 URL row(s) and 2 article(s) merged into the page they copied, every capture and every "
                       "version kept; the WARC files are unchanged"), said


def test_nothing_to_say_when_no_url_carried_a_session_id(tmp_path):
    folder = tmp_path / "data"
    with Store.open_for_writing(folder) as store:
        store.store_articles([article(A, 1, "عنوان", "نص")])
    back_to_schema_8(folder)
    said: list[str] = []
    Store.open_for_reading(folder, on_upgrade=said.append).close()
    assert said == [f"upgrading the database from schema 8 to {SCHEMA_VERSION} (once)…"]
