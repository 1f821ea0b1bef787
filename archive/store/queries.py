"""The questions the reading side asks of the archive (the web UI, `stats`, `show`, `diff`, `changes`, `export`),
each named for what it answers and returning plain tuples and dicts: no caller writes SQL of its own."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from archive.store.connection import Connected, in_slices
from archive.store.connection import dicts as _dicts

if TYPE_CHECKING:
    from archive.search.searcher import Searcher

LISTED = "canonical, title, published, section, lang, versions, removed"  # an article in a list of articles
CAPTURE = ("id, record_id, record_type, url, canonical, timestamp, status, mime, digest, warc_file, offset, length, "
           "revisit_profile, refers_to_uri, refers_to_date")  # a capture, as `show`, replay and a WACZ read it


def _dict(cursor: sqlite3.Cursor) -> dict | None:
    found = _dicts(cursor)
    return found[0] if found else None


class Queries(Connected):
    def searcher(self, exact: bool = False) -> Searcher:
        """`arshif search` over this archive (archive/search/searcher.py)."""
        from archive.search.searcher import Searcher

        return Searcher(self.conn, exact=exact)

    # -- articles by month and by section -------------------------------------------------------------------
    def article_count(self) -> int:
        return self.count("articles")

    def sections(self) -> list[str]:
        """Every section an article has, in alphabetical order."""
        return [row[0] for row in self.conn.execute(
            "SELECT DISTINCT section FROM articles WHERE section IS NOT NULL ORDER BY section")]

    def section_counts(self, unnamed: str | None = None) -> list[tuple[str, int]]:
        """(section, articles), the largest first; articles with no section count under `unnamed` when it is
        given, else not at all."""
        if unnamed is None:
            return self.conn.execute("SELECT section, count(*) FROM articles WHERE section IS NOT NULL "
                                     "GROUP BY section ORDER BY 2 DESC").fetchall()
        return self.conn.execute("SELECT coalesce(section, ?), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC",
                                 [unnamed]).fetchall()

    def language_counts(self, unknown: str = "?") -> list[tuple[str, int]]:
        """(language, articles), the most common first; `unknown` for articles with none detected."""
        return self.conn.execute("SELECT coalesce(lang, ?), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC",
                                 [unknown]).fetchall()

    def month_counts(self) -> list[tuple[str, int]]:
        """(YYYY-MM, articles published that month), the latest month first."""
        return self.conn.execute("SELECT month, count(*) FROM articles WHERE published IS NOT NULL GROUP BY month "
                                 "ORDER BY month DESC").fetchall()

    def day_counts(self, month: str) -> dict[int, int]:
        """Day of the month → articles published that day, for a YYYY-MM month."""
        return dict(self.conn.execute("SELECT CAST(substr(published, 9, 2) AS INTEGER), count(*) FROM articles "
                                      "WHERE month = ? GROUP BY 1", [month]).fetchall())

    def articles_in_month(self, month: str, day: int | None = None, limit: int = 500) -> list[dict]:
        """The articles published in a YYYY-MM month (or on one day of it), the latest first."""
        if day is None:
            where, params = "month = ?", [month]
        else:
            where, params = "substr(published, 1, 10) = ?", [f"{month}-{day:02d}"]
        return _dicts(self.conn.execute(f"SELECT {LISTED} FROM articles WHERE {where} ORDER BY published DESC "
                                        "LIMIT ?", [*params, limit]))

    def section_size(self, section: str) -> int:
        return self.conn.execute("SELECT count(*) FROM articles WHERE section = ?", [section]).fetchone()[0]

    def articles_in_section(self, section: str, page: int = 1, per_page: int = 50) -> list[dict]:
        """One page (from 1) of a section's articles, the latest first."""
        return _dicts(self.conn.execute(f"SELECT {LISTED} FROM articles WHERE section = ? ORDER BY published DESC "
                                        "LIMIT ? OFFSET ?", [section, per_page, (page - 1) * per_page]))

    def published_range(self) -> tuple[str | None, str | None]:
        """The first and the last day (YYYY-MM-DD) an article was published."""
        return self.conn.execute("SELECT min(substr(published, 1, 10)), max(substr(published, 1, 10)) "
                                 "FROM articles").fetchone()

    # -- one article and its versions -----------------------------------------------------------------------
    def article(self, article_id: int) -> dict | None:
        """Every column of the article's row (the fields of its latest version)."""
        return _dict(self.conn.execute("SELECT * FROM articles WHERE id = ?", [article_id]))

    def article_title(self, canonical: str) -> str | None:
        row = self.conn.execute("SELECT title FROM articles WHERE canonical = ?", [canonical]).fetchone()
        return row[0] if row else None

    def article_by_canonical(self, canonical: str) -> tuple[int, str] | None:
        """(id, canonical URL) of the article stored under this canonical URL."""
        return self.conn.execute("SELECT id, canonical FROM articles WHERE canonical = ?", [canonical]).fetchone()

    def article_by_capture_url(self, url: str) -> tuple[int, str] | None:
        """(id, canonical URL) of the article a capture fetched at exactly this URL belongs to."""
        return self.conn.execute("SELECT a.id, a.canonical FROM captures c JOIN articles a ON a.canonical = "
                                 "c.canonical WHERE c.url = ? LIMIT 1", [url]).fetchone()

    def versions(self, article_id: int) -> list[dict]:
        """The article's versions, first to latest: article_id, canonical, number, versions (how many it has),
        title, body, first_seen, last_seen, capture_timestamp."""
        return _dicts(self.conn.execute(
            "SELECT v.article_id, a.canonical, v.version AS number, a.versions, v.title, v.body, v.first_seen, "
            "v.last_seen, v.capture_timestamp FROM article_versions v JOIN articles a ON a.id = v.article_id "
            "WHERE v.article_id = ? ORDER BY v.version", [article_id]))

    def version_facts(self, article_id: int, number: int) -> dict | None:
        """What `arshif show` prints of a version: published, section, author, lang, and when the article was
        removed from the site (None while online)."""
        return _dict(self.conn.execute(
            "SELECT v.published, v.section, v.author, v.lang, a.removed FROM article_versions v JOIN articles a "
            "ON a.id = v.article_id WHERE v.article_id = ? AND v.version = ?", [article_id, number]))

    def articles_by_ids(self, ids: Iterable[int]) -> dict[int, dict]:
        """Article id → the fields an export writes (the article's row and its last capture's timestamp)."""
        found: dict[int, dict] = {}
        for chunk, marks in in_slices(ids):
            for row in _dicts(self.conn.execute(
                    "SELECT id, canonical, title, published, lang, section, author, body, tags, modified, word_count, "
                    f"image, versions, removed, last_captured FROM articles WHERE id IN ({marks})", chunk)):
                found[row["id"]] = row
        return found

    def export_pages(self, ids: Iterable[int]) -> list[tuple[str, str, str | None, str | None]]:
        """(canonical URL, title, lead image, last capture) of these articles: a WACZ's pages."""
        found: list[tuple] = []
        for chunk, marks in in_slices(ids):
            found += self.conn.execute("SELECT canonical, title, image, last_captured FROM articles WHERE id IN "
                                       f"({marks})", chunk).fetchall()
        return found

    # -- captures: `show`, `snapshots`, replay and the WACZ ------------------------------------------------------
    def _captures(self, where: str, args: list) -> list[dict]:
        """The captures matching `where`, each a dict with the columns of CAPTURE."""
        return _dicts(self.conn.execute(f"SELECT {CAPTURE} FROM captures WHERE {where}", args))

    def captures_of(self, url: str) -> list[dict]:
        """Every response and revisit whose canonical URL, or URL as fetched, is `url`, oldest first."""
        return self._captures("(canonical = ? OR url = ?) AND record_type IN ('response', 'revisit') "
                              "ORDER BY timestamp, id", [url, url])

    def responses_until(self, canonical: str, timestamp: str) -> list[dict]:
        """The responses (not revisits) of a canonical URL captured at or before `timestamp`, oldest first: the
        candidates for the original a revisit stands for."""
        return self._captures("canonical = ? AND record_type = 'response' AND timestamp <= ? ORDER BY timestamp, id",
                              [canonical, timestamp])

    def page_captures(self, canonical: str) -> list[dict]:
        """Every capture of a canonical URL but the request records."""
        return self._captures("canonical = ? AND record_type != 'request'", [canonical])

    def requisite_captures(self, canonical: str) -> list[dict]:
        """The captures of a canonical URL that hold or confirm its bytes (status 200 or 304, no requests)."""
        return self._captures("canonical = ? AND record_type != 'request' AND status IN (200, 304)", [canonical])

    def requests_at(self, warc_file: str, offset: int) -> list[dict]:
        """The request record at this place of a WARC file (where a response's request follows it)."""
        return self._captures("warc_file = ? AND offset = ? AND record_type = 'request'", [warc_file, offset])

    def requests_concurrent_to(self, record_id: str) -> list[dict]:
        """The request records that name this record as their WARC-Concurrent-To."""
        return self._captures("concurrent_to = ? AND record_type = 'request'", [record_id])

    # -- what changed ---------------------------------------------------------------------------------------
    def edits_since(self, since: str) -> list[dict]:
        """Every version after an article's first that was first seen at or after `since` (14 digits), with the
        version before it: canonical, title, body, first_seen, capture_timestamp, and old_title, old_body,
        old_last_seen (the last capture of the text before)."""
        return _dicts(self.conn.execute(
            "SELECT a.canonical, v.title, v.body, v.first_seen, v.capture_timestamp, p.title AS old_title, "
            "p.body AS old_body, p.last_seen AS old_last_seen FROM article_versions v "
            "JOIN articles a ON a.id = v.article_id "
            "JOIN article_versions p ON p.article_id = v.article_id AND p.version = v.version - 1 "
            "WHERE v.version > 1 AND v.first_seen >= ?", [since]))

    def removals(self) -> list[dict]:
        """Every article removed from the site: canonical, title, removed, last_captured, and gone (the first
        404/410 capture after its last good one, when the archive holds it)."""
        return _dicts(self.conn.execute(
            "SELECT a.canonical, a.title, a.removed, a.last_captured, (SELECT min(c.timestamp) FROM captures c "
            "WHERE c.canonical = a.canonical AND c.status IN (404, 410) AND c.timestamp > a.last_captured) AS gone "
            "FROM articles a WHERE a.removed IS NOT NULL"))

    # -- crawls and freshness, for `arshif stats` -----------------------------------------------------------
    def totals(self) -> dict[str, int]:
        """articles, versions, captures (requests left out), warc_files, warc_bytes."""
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        return {"articles": self.count("articles"), "versions": self.count("article_versions"),
                "captures": one("SELECT count(*) FROM captures WHERE record_type != 'request'"),
                "warc_files": self.count("warc_files"),
                "warc_bytes": one("SELECT coalesce(sum(size), 0) FROM warc_files")}

    def record_counts(self) -> dict[str, int]:
        """Record type (response, revisit, request) → how many captures the archive has of it."""
        return dict(self.conn.execute("SELECT record_type, count(*) FROM captures GROUP BY 1").fetchall())

    def recent_crawls(self, limit: int = 10) -> list[dict]:
        """The last crawl runs, the latest first: id, started, finished, status, exit_code, stats (a dict)."""
        rows = _dicts(self.conn.execute("SELECT id, started, finished, status, exit_code, stats FROM crawls "
                                        "ORDER BY id DESC LIMIT ?", [limit]))
        for row in rows:
            row["stats"] = json.loads(row["stats"]) if row["stats"] else {}
        return rows

    def crawl_stats(self, limit: int = 1000) -> list[tuple[str, dict]]:
        """(started, Scrapy's stats) of the last runs that recorded stats, the latest first."""
        return [(started, json.loads(stats)) for started, stats in self.conn.execute(
            "SELECT started, stats FROM crawls WHERE stats IS NOT NULL ORDER BY id DESC LIMIT ?", [limit])]

    def last_success(self) -> tuple[int, str] | None:
        """(id, finished) of the crawl that last finished well (status finished, exit status 0)."""
        return self.conn.execute("SELECT id, finished FROM crawls WHERE status = 'finished' AND "
                                 "coalesce(exit_code, 0) = 0 AND finished IS NOT NULL ORDER BY finished DESC "
                                 "LIMIT 1").fetchone()

    def last_looks(self) -> list[str | None]:
        """For every article online by our last knowledge, when it was last looked at: its latest check (the
        scheduling clock, ISO 8601), else its last capture (14 digits)."""
        return [row[0] for row in self.conn.execute(
            "SELECT coalesce((SELECT max(c.checked) FROM checks c WHERE c.canonical = a.canonical), a.last_captured) "
            "FROM articles a WHERE a.removed IS NULL")]
