"""bench/cpu_per_article.py decides whether two archives hold the same thing and where a crawl's CPU goes: both
checked here on archives and samples of our own, so that the bench can say "no" (its full runs are `make bench`)."""

from __future__ import annotations

from pathlib import Path

from archive.store.database import Store
from bench.cpu_per_article import differences, profile_shares

SITE = "http://127.0.0.1:9"
ARTICLE = {"url": f"{SITE}/2024/01/02/lampedusa/", "title": "لامبيدوزا", "body": "نص المقال", "author": "ليلى",
           "published": "2024-01-02", "modified": None, "section": "سياسة", "tags": ["إيطاليا"], "image": None,
           "lang": "ar", "word_count": 2, "extractor": "test"}


def archive(folder: Path, article: dict, feed_pages: int) -> Path:
    """An archive holding one article and `feed_pages` pages of its feed, as a crawl would have stored them."""
    folder.mkdir()
    store = Store(folder / "archive.db")
    urls = [article["url"]] + [f"{SITE}/feed/?paged={p}" for p in range(1, feed_pages + 1)]
    store.add_captures({"record_id": f"<urn:uuid:{folder.name}-{n}>", "record_type": "response", "url": url,
                        "canonical": url, "timestamp": "20240102000000", "date": "2024-01-02T00:00:00Z",
                        "status": 200, "mime": "text/html", "digest": f"sha1:{n}", "payload_length": 10,
                        "warc_file": "f.warc.gz", "offset": n * 5, "length": 5} for n, url in enumerate(urls))
    store.store_articles([(article, {"record_id": f"<urn:uuid:{folder.name}-0>", "timestamp": "20240102000000"})])
    store.close()
    return folder / "archive.db"


def test_the_same_archive_twice_has_no_differences(tmp_path):
    assert differences(archive(tmp_path / "a", ARTICLE, 2), archive(tmp_path / "b", ARTICLE, 2)) == []


def test_an_article_field_that_differs_is_reported(tmp_path):
    found = differences(archive(tmp_path / "a", ARTICLE, 2), archive(tmp_path / "b", {**ARTICLE, "lang": "fa"}, 2))
    assert found[0] == "articles: 1 rows only in a, 1 only in b"
    assert "'ar'" in found[1] and "'fa'" in found[2]


def test_feed_pages_fetched_to_another_depth_are_reported_apart(tmp_path):
    a, b = archive(tmp_path / "a", ARTICLE, 3), archive(tmp_path / "b", ARTICLE, 2)
    assert differences(a, b) == []
    sources = differences(a, b, sources=True)
    assert sources[0] == "captures: 1 rows only in a, 0 only in b" and "/feed/?paged=3" in sources[1]


def test_profile_shares_name_the_innermost_part_and_skip_waiting(tmp_path):
    raw = tmp_path / "profile.txt"
    raw.write_text("main (archive/cli.py:1);extract (trafilatura/core.py:2);compare_extraction (x.py:3) 30\n"
                   "main (archive/cli.py:1);extract (trafilatura/core.py:2) 50\n"
                   "main (archive/cli.py:1);run (twisted/internet/base.py:9) 20\n"
                   "main (archive/cli.py:1);_worker (concurrent/futures/thread.py:8) 400\n", encoding="utf-8")
    assert profile_shares(raw) == {"trafilatura (body text)": 0.5,
                                   "trafilatura's readability/justext comparison": 0.3,
                                   "Scrapy, Twisted and asyncio machinery": 0.2}
