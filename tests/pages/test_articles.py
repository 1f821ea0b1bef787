"""Articles (issue 6): clean text and metadata against the replica's manifest, versions across editions,
re-extraction and rebuild from WARC files, deep verification, exports."""

from __future__ import annotations

import csv
import difflib
import gzip
import json
import shutil
import sqlite3
import subprocess
import sys
import time
import zlib
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from replica.content import Site
from tests.crawling import ROOT, arshif, crawl

pytestmark = pytest.mark.slow
ROME = ZoneInfo("Europe/Rome")
CHROME = ("الأكثر قراءة", "مقالات ذات صلة", "شارك المقال", "نسخ الرابط", "جميع الحقوق محفوظة", "اترك تعليقاً",
          "يقول...", "المقال السابق", "المقال التالي", "رسالة أقدم", "رسالة أحدث", "التسميات:", "الوسوم:",
          "تسجيل الدخول", "نسخة الجوال", "الصفحة الرئيسية")


def articles_of(run) -> dict[str, dict]:
    conn = run.db()
    return {r["canonical"]: dict(r) for r in conn.execute("SELECT * FROM articles")}


def day(value: str) -> str:
    if len(value) == 10:
        return value
    return datetime.fromisoformat(value).astimezone(ROME).date().isoformat()


def test_fields_match_the_manifest(any_crawl):
    site, run = any_crawl
    stored = articles_of(run)
    manifest = site.manifest["articles"]
    assert set(stored) == {a["url"] for a in manifest}
    replica = Site(site.articles, site.seed, site.edition)
    authors_ok = 0
    for a in manifest:
        got = stored[a["url"]]
        assert got["title"] == a["title"], a["url"]
        assert day(got["published"]) == day(a["published"]), a["url"]
        assert got["section"] == a["section"] and json.loads(got["tags"]) == a["tags"], a["url"]
        assert got["lang"] == a["lang"], a["url"]
        authors_ok += got["author"] == a["author"]
        ratio = difflib.SequenceMatcher(None, got["body"].split(), " ".join(a["paragraphs"]).split(),
                                        autojunk=False).ratio()
        assert ratio >= 0.95, (a["url"], ratio)
        for chrome in CHROME:
            assert chrome not in got["body"], (a["url"], chrome)
        for _, comment in replica.article(a["id"]).comments[:5]:
            assert comment not in got["body"], (a["url"], comment)
        for other in replica.most_read():
            if other != a["id"]:
                assert replica.title(other) not in got["body"]
    assert authors_ok >= 0.99 * len(manifest)


def test_reextract_reproduces_the_crawl_row_by_row(crawled_wordpress, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(crawled_wordpress.data, copy)
    query = ("SELECT canonical, title, body, author, published, modified, section, tags, image, lang, word_count, "
             "versions FROM articles ORDER BY canonical")
    vquery = "SELECT a.canonical, v.version, v.digest FROM article_versions v JOIN articles a ON a.id = v.article_id " \
             "ORDER BY 1, 2"
    before = sqlite3.connect(copy / "archive.db")
    rows, versions = before.execute(query).fetchall(), before.execute(vquery).fetchall()
    before.close()
    result = arshif("--data", str(copy), "reextract")
    assert result.returncode == 0, result.stderr
    after = sqlite3.connect(copy / "archive.db")
    assert after.execute(query).fetchall() == rows
    assert after.execute(vquery).fetchall() == versions
    # rebuild: the whole database from the WARC files alone
    (copy / "archive.db").unlink()
    for suffix in ("-wal", "-shm"):
        (copy / f"archive.db{suffix}").unlink(missing_ok=True)
    result = arshif("--data", str(copy), "rebuild")
    assert result.returncode == 0, result.stderr
    rebuilt = sqlite3.connect(copy / "archive.db")
    assert rebuilt.execute(query).fetchall() == rows
    assert rebuilt.execute(vquery).fetchall() == versions
    cq = ("SELECT record_id, record_type, url, canonical, timestamp, status, mime, digest, warc_file, offset, length,"
          " revisit_profile, crawl_id FROM captures ORDER BY record_id")
    original = sqlite3.connect(crawled_wordpress.data / "archive.db")
    assert rebuilt.execute(cq).fetchall() == original.execute(cq).fetchall()
    assert arshif("--data", str(copy), "verify").returncode == 0


def requests_by_path(run) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in run.requests:
        out.setdefault(r["path"], []).append(r)
    return out


@pytest.mark.parametrize("theme", ["wordpress", "blogger"])
def test_editions_make_versions_and_chrome_does_not(replica_factory, tmp_path, theme):
    site = replica_factory(articles=60, theme=theme)
    data = tmp_path / "data"
    assert crawl(site, data, "--no-assets").returncode == 0
    site.restart(edition=2)
    second = crawl(site, data, "--no-assets")
    assert second.returncode == 0, second.stderr
    changes = site.manifest["changes"]
    stored = articles_of(second)
    # the incremental rule, as the replica's request log shows it (docs/operating.md, Incremental crawls)
    asked = requests_by_path(second)
    all_urls = {a["url"] for a in site.manifest["articles"]}
    for url in all_urls - set(changes["edited"]) - set(changes["new"]):
        assert all(r["status"] == 304 and r["bytes"] == 0 for r in asked.get(urlsplit(url).path, [])), url
    for url in changes["edited"]:  # refetched because the sitemap's lastmod moved, conditionally: a new ETag
        got = asked[urlsplit(url).path]
        assert got[0]["if_none_match"] and got[-1]["status"] == 200, url
    for url in changes["new"]:
        assert asked[urlsplit(url).path][-1]["status"] == 200, url
    for url in changes["removed"]:  # gone from sitemaps and feeds: asked again, conditionally, and marked
        got = asked[urlsplit(url).path]
        assert [r["status"] for r in got] == [404] and got[0]["if_none_match"], url
        assert stored[url]["removed"], url
    for url in changes["edited"]:
        assert stored[url]["versions"] == 2, url
    for url in changes["new"]:
        assert stored[url]["versions"] == 1
    edited_titles = {a["url"]: a["title"] for a in site.manifest["articles"] if a["url"] in changes["edited"]}
    for url, title in edited_titles.items():
        assert stored[url]["title"] == title  # a title edit is the new title
    unchanged = {a["url"] for a in site.manifest["articles"]} - set(changes["edited"]) - set(changes["new"])
    fetched = {r["path"] for r in second.requests if r["kind"] == "article"}
    assert len(fetched) == len(changes["edited"]) + len(changes["new"])
    # every article again, each with its new "most read" chrome: no version for an unchanged article
    refresh = crawl(site, data, "--no-assets", "--refresh")
    assert refresh.returncode == 0, refresh.stderr
    again = articles_of(refresh)
    assert all(again[url]["versions"] == 1 for url in unchanged)
    assert all(again[url]["versions"] == 2 for url in changes["edited"])
    assert len([r for r in refresh.requests if r["kind"] == "article"]) == len(site.manifest["articles"])
    # --refresh asks conditionally: every article is answered 304, none is sent in full
    assert {r["status"] for r in refresh.requests if r["kind"] == "article"} == {304}
    conn = refresh.db()
    profiles = dict(conn.execute("SELECT revisit_profile, count(*) FROM captures WHERE crawl_id = 3 AND "
                                 "record_type = 'revisit' GROUP BY 1"))
    assert profiles.get("server-not-modified", 0) >= len(site.manifest["articles"])
    assert all(again[url]["removed"] is None for url in all_urls)


def test_deep_verify_finds_what_plain_verify_cannot(crawled_blogger, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(crawled_blogger.data, copy)
    conn = sqlite3.connect(copy / "archive.db")
    name, = conn.execute("SELECT name FROM warc_files ORDER BY name LIMIT 1").fetchone()
    record_id, offset, length = conn.execute(
        "SELECT record_id, offset, length FROM captures WHERE warc_file = ? ORDER BY offset DESC LIMIT 1",
        [name]).fetchone()
    path = copy / "warc" / name
    raw = path.read_bytes()
    member = zlib.decompress(raw[offset:offset + length], wbits=31)
    assert b"Accept-Language: ar" in member
    altered = gzip.compress(member.replace(b"Accept-Language: ar", b"Accept-Language: ur", 1))
    path.write_bytes(raw[:offset] + altered + raw[offset + length:])
    import hashlib

    conn.execute("UPDATE captures SET length = ? WHERE record_id = ?", [len(altered), record_id])
    conn.execute("UPDATE warc_files SET size = ?, sha256 = ? WHERE name = ?",
                 [path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest(), name])
    conn.commit()
    conn.close()
    assert arshif("--data", str(copy), "verify").returncode == 0
    deep = arshif("--data", str(copy), "verify", "--deep")
    assert deep.returncode == 1 and record_id in deep.stdout and name in deep.stdout


def test_broken_article_markup_makes_the_crawl_exit_1(replica_factory, tmp_path):
    site = replica_factory(articles=30, extra=["--without", "body"])
    run = crawl(site, tmp_path / "data", "--no-assets")
    assert run.returncode == 1
    assert "extraction failed for" in run.stderr and "markup" in run.stderr


def test_stats_and_exports(crawled_wordpress, wordpress_site, tmp_path):
    result = arshif("--data", str(crawled_wordpress.data), "stats", "--json")
    stats = json.loads(result.stdout)
    assert set(stats) >= {"articles", "versions", "captures", "warc_files", "warc_bytes", "languages", "sections",
                          "first_published", "last_published", "crawls"}
    assert stats["articles"] == len(wordpress_site.manifest["articles"])
    assert set(stats["languages"]) == {"ar", "it"} and len(stats["sections"]) == 6
    out = tmp_path / "it.jsonl"
    assert arshif("--data", str(crawled_wordpress.data), "export", "--format", "jsonl", "--output", str(out),
                  "--lang", "it").returncode == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    italian = [a for a in wordpress_site.manifest["articles"] if a["lang"] == "it"]
    assert len(rows) == len(italian) and all(r["lang"] == "it" for r in rows)
    assert set(rows[0]) == {"url", "title", "published", "lang", "section", "author", "body", "tags", "modified",
                            "word_count", "image", "versions", "removed", "replay"}
    assert rows[0]["replay"].startswith("/web/") and rows[0]["replay"].endswith(rows[0]["url"])
    out = tmp_path / "section.csv"
    section = wordpress_site.manifest["sections"][0]["name"]
    assert arshif("--data", str(crawled_wordpress.data), "export", "--format", "csv", "-o", str(out), "--section",
                  section, "--since", "2023-01-01").returncode == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert table and all(r["section"] == section and r["published"][:10] >= "2023-01-01" for r in table)
    bad = arshif("--data", str(crawled_wordpress.data), "export", "--format", "csv", "-o", str(out), "--since", "x")
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_an_article_answering_404_after_capture_is_marked_removed_not_deleted(replica_factory, tmp_path):
    site = replica_factory(articles=30)
    data = tmp_path / "data"
    assert crawl(site, data, "--no-assets").returncode == 0
    site.restart(edition=2)
    removed = site.manifest["changes"]["removed"][0]
    # until the scheduling issue re-checks vanished articles, fetch the removed one directly: a crawl started on it
    arshif("--data", str(data), "crawl", "--site", removed, "--no-assets")
    row = sqlite3.connect(data / "archive.db").execute(
        "SELECT removed, body FROM articles WHERE canonical = ?", [removed]).fetchone()
    assert row is not None and row[0] and len(row[0]) == 14 and row[1]


def test_articles_are_searchable_while_the_crawl_runs(replica_factory, tmp_path):
    """A batch of 200 takes minutes to fill on a slow site; the articles fetched so far are committed every
    ARSHIF_ARTICLE_COMMIT_SECONDS all the same (after their capture rows)."""
    site = replica_factory(articles=40, latency_ms=400)
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--data", str(data), "crawl", "--site", site.url + "/",
                             "--no-assets", "--set", "ARSHIF_ARTICLE_COMMIT_SECONDS=1"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first_seen = 0  # the articles committed when the first were seen, while the crawl still ran
    try:
        while proc.poll() is None:
            if (data / "archive.db").exists():
                conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True, timeout=10)
                try:
                    rows = conn.execute("SELECT a.canonical, c.id FROM articles a LEFT JOIN captures c "
                                        "ON c.record_id = a.capture_record_id").fetchall()
                except sqlite3.OperationalError:  # the schema is not there yet
                    rows = []
                finally:
                    conn.close()
                assert all(capture is not None for _, capture in rows), "an article before its capture"
                if rows and not first_seen and proc.poll() is None:
                    first_seen = len(rows)
            time.sleep(0.2)
        assert proc.wait(60) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert 0 < first_seen < len(site.manifest["articles"])
    with sqlite3.connect(data / "archive.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == len(site.manifest["articles"])
