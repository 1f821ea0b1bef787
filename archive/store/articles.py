"""Articles and their versions as extraction delivers them, and the search index kept in step with them.

A (title, body) different from an article's latest version is a new version, indexed as the latest while the
previous one moves to its earlier-version row id (archive/search/index.py); the same text refreshes the fields."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable

from archive.search import index as search_index
from archive.store.connection import Connected, in_slices

Progress = search_index.Progress


def kept_details(new: dict, old: dict) -> dict:
    """What an earlier capture of the same text said that this one does not: a new theme may show the day without
    the time, no modified date or no image (a redesign), and the same text keeps them; a value the page now gives
    otherwise replaces them."""
    kept = {}
    for name in ("modified", "image"):
        if not new.get(name) and old.get(name):
            kept[name] = old[name]
    published, before = new.get("published"), old.get("published")
    if before and (not published or (len(published) == 10 and before[:10] == published)):
        kept["published"] = before
    return kept


class ArticleRecords(Connected):
    def store_articles(self, items: Iterable[tuple[dict, dict]]) -> Counter:
        """Apply extracted articles with the capture each came from, in one transaction.

        A (title, body) different from the article's latest version is a new version; the same text refreshes
        the fields (and the extractor) and moves last_seen. Captures must come in time order per article."""
        outcome: Counter = Counter()
        with self.transaction():
            for article, capture in items:
                outcome[self._store_article(article, capture)] += 1
        return outcome

    def _store_article(self, a: dict, capture: dict) -> str:
        conn = self.conn
        digest = hashlib.sha1(f"{a['title']}\n{a['body']}".encode()).hexdigest()
        tags = json.dumps(a.get("tags") or [], ensure_ascii=False)
        fields = {k: a.get(k) for k in ("title", "author", "published", "modified", "section", "image", "lang",
                                        "body", "word_count")}
        fields["tags"] = tags
        ts, record_id = capture["timestamp"], capture["record_id"]
        row = conn.execute("SELECT id, latest_version, versions, first_captured FROM articles WHERE canonical = ?",
                           [a["url"]]).fetchone()
        version_fields = ("author", "published", "modified", "section", "tags", "image", "lang", "word_count")
        if row is None:
            cur = conn.execute(
                "INSERT INTO articles (canonical, title, author, published, modified, section, tags, image, lang, "
                "body, word_count, versions, first_captured, last_captured, capture_record_id, extractor) "
                "VALUES (:canonical, :title, :author, :published, :modified, :section, :tags, :image, :lang, "
                ":body, :word_count, 1, :ts, :ts, :record_id, :extractor)",
                {**fields, "canonical": a["url"], "ts": ts, "record_id": record_id, "extractor": a["extractor"]})
            article_id = cur.lastrowid
            version_id = self._add_version(article_id, 1, a, fields, digest, record_id, ts, version_fields)
            conn.execute("UPDATE articles SET latest_version = ? WHERE id = ?", [version_id, article_id])
            search_index.add_latest(conn, article_id, fields["title"], fields["body"])
            return "new"
        article_id, latest_id, versions, first = row
        latest = conn.execute("SELECT digest, last_seen, extractor, published, modified, image FROM article_versions "
                              "WHERE id = ?", [latest_id]).fetchone()
        if latest and latest[0] == digest:
            fields.update(kept_details(fields, dict(zip(("published", "modified", "image"), latest[3:], strict=True))))
            conn.execute(
                "UPDATE article_versions SET last_seen = max(last_seen, :ts), extractor = :extractor, "
                + ", ".join(f"{k} = :{k}" for k in version_fields) + " WHERE id = :id",
                {**{k: fields[k] for k in version_fields}, "ts": ts, "extractor": a["extractor"], "id": latest_id})
            self._refresh_article(article_id, fields, ts, record_id, a["extractor"], versions, latest_id)
            return "unchanged" if latest[2] == a["extractor"] else "refreshed"
        version_id = self._add_version(article_id, versions + 1, a, fields, digest, record_id, ts, version_fields)
        old_title, old_body = conn.execute("SELECT title, body FROM article_versions WHERE id = ?",
                                           [latest_id]).fetchone()
        search_index.retire(conn, article_id, latest_id, old_title, old_body)
        search_index.add_latest(conn, article_id, fields["title"], fields["body"])
        self._refresh_article(article_id, fields, ts, record_id, a["extractor"], versions + 1, version_id)
        return "version"

    def _add_version(self, article_id, number, a, fields, digest, record_id, ts, version_fields) -> int:
        cur = self.conn.execute(
            "INSERT INTO article_versions (article_id, version, title, body, digest, "
            + ", ".join(version_fields) + ", capture_record_id, capture_timestamp, first_seen, last_seen, "
            "extractor) VALUES (:article_id, :version, :title, :body, :digest, "
            + ", ".join(f":{k}" for k in version_fields) + ", :record_id, :ts, :ts, :ts, :extractor)",
            {**fields, "article_id": article_id, "version": number, "digest": digest, "record_id": record_id,
             "ts": ts, "extractor": a["extractor"]})
        return cur.lastrowid

    def _refresh_article(self, article_id, fields, ts, record_id, extractor, versions, latest_id) -> None:
        self.conn.execute(
            "UPDATE articles SET " + ", ".join(f"{k} = :{k}" for k in fields)
            + ", versions = :versions, latest_version = :latest, last_captured = max(last_captured, :ts), "
            "capture_record_id = :record_id, extractor = :extractor, removed = NULL WHERE id = :id",
            {**fields, "versions": versions, "latest": latest_id, "ts": ts, "record_id": record_id,
             "extractor": extractor, "id": article_id})

    def clear_articles(self) -> None:
        """Forget every article, version and their index entries (re-extraction starts from nothing)."""
        with self.transaction():
            search_index.create(self.conn)
            self.conn.execute("DELETE FROM article_versions")
            self.conn.execute("DELETE FROM articles")

    def forget_articles(self, canonicals: list[str]) -> int:
        """Drop these articles, their versions and their search entries, in one transaction, so that their history
        can be derived again from all their captures (a capture older than their latest arrived: versions are
        made in time order). How many there were."""
        conn = self.conn
        gone = 0
        with self.transaction():
            for url in canonicals:
                row = conn.execute("SELECT id, latest_version FROM articles WHERE canonical = ?", [url]).fetchone()
                if row is None:
                    continue
                article_id, latest = row
                for version_id, title, body in conn.execute(
                        "SELECT id, title, body FROM article_versions WHERE article_id = ?", [article_id]).fetchall():
                    search_index.remove(conn, article_id, version_id, version_id == latest, title, body)
                conn.execute("DELETE FROM article_versions WHERE article_id = ?", [article_id])
                conn.execute("DELETE FROM articles WHERE id = ?", [article_id])
                gone += 1
        return gone

    def mark_removals(self, canonicals: list[str] | None = None) -> None:
        """Removal is what the captures say: a 404 or 410 after an article's last good capture (of these articles,
        or of all), in one transaction."""
        removed = ("UPDATE articles SET removed = (SELECT min(c.timestamp) FROM captures c WHERE c.canonical = "
                   "articles.canonical AND c.status IN (404, 410) AND c.timestamp > articles.last_captured)")
        with self.transaction():
            if canonicals is None:
                self.conn.execute(removed)
                return
            for chunk, marks in in_slices(canonicals):
                self.conn.execute(f"{removed} WHERE canonical IN ({marks})", chunk)

    def record_profile(self, version: str | None, crawl_id: int | None, host: str = "") -> int:
        """Record the site profile version in force with the articles crawl `crawl_id` fetched (every article with
        None) on `host`, and with their latest versions: the way the extractor is recorded, never a new version.
        How many articles."""
        where = "canonical IN (SELECT canonical FROM urls WHERE crawl_id = ?)" if crawl_id is not None else "1"
        args = [crawl_id] if crawl_id is not None else []
        if host:
            where += " AND (" + " OR ".join(["canonical LIKE ?"] * 4) + ")"
            args += [f"{scheme}://{host}{end}%" for scheme in ("http", "https") for end in ("/", ":")]
        with self.transaction():
            self.conn.execute(f"UPDATE article_versions SET profile = ? WHERE id IN "
                              f"(SELECT latest_version FROM articles WHERE {where})", [version, *args])
            return self.conn.execute(f"UPDATE articles SET profile = ? WHERE {where}", [version, *args]).rowcount

    def first_stored_in(self, crawl_id: int, canonicals: list[str]) -> int:
        """How many of these articles have one version, from a capture of crawl `crawl_id`: stored new by it."""
        found = 0
        for at in range(0, len(canonicals), 900):
            chunk = canonicals[at:at + 900]
            found += self.conn.execute(
                "SELECT count(*) FROM articles a JOIN captures c ON c.record_id = a.capture_record_id "
                f"WHERE a.versions = 1 AND c.crawl_id = ? AND a.canonical IN ({', '.join('?' * len(chunk))})",
                [crawl_id, *chunk]).fetchone()[0]
        return found

    def stored_articles(self) -> set[str]:
        """The canonical URL of every stored article."""
        return {row[0] for row in self.conn.execute("SELECT canonical FROM articles")}

    def touch_article(self, canonical_url: str, timestamp: str) -> bool:
        """An identical payload was captured again: the article was seen, nothing else changed."""
        return self.touch_articles([(canonical_url, timestamp)]) > 0

    def mark_removed(self, canonical_url: str, when: str) -> bool:
        """The site answered 404/410 for an archived article at `when` (a 14-digit timestamp)."""
        with self.transaction():
            cur = self.conn.execute("UPDATE articles SET removed = ? WHERE canonical = ? AND removed IS NULL",
                                    [when, canonical_url])
        return cur.rowcount > 0

    def touch_articles(self, seen: Iterable[tuple[str, str]]) -> int:
        """Articles answered 304 Not Modified: seen online at these times, nothing else changed."""
        seen = list(seen)
        if not seen:
            return 0
        touched = 0
        with self.transaction():
            for canonical_url, timestamp in seen:
                cur = self.conn.execute(
                    "UPDATE article_versions SET last_seen = max(last_seen, ?) WHERE id = "
                    "(SELECT latest_version FROM articles WHERE canonical = ?)", [timestamp, canonical_url])
                self.conn.execute("UPDATE articles SET last_captured = max(last_captured, ?), removed = NULL "
                                  "WHERE canonical = ?", [timestamp, canonical_url])
                touched += cur.rowcount
        return touched

    def fill_authors_from_feeds(self) -> int:
        """Articles stored without an author, whose feed named one after their page was extracted (a crawl reads
        a long feed's older pages while it fetches the posts they list): the feed's name, on the article and
        its latest version. Not an edit: no new version."""
        named = "(SELECT u.feed_author FROM urls u WHERE u.canonical = articles.canonical)"
        with self.transaction():
            self.conn.execute(
                "UPDATE article_versions SET author = (SELECT u.feed_author FROM articles a JOIN urls u ON "
                "u.canonical = a.canonical WHERE a.latest_version = article_versions.id) WHERE author IS NULL AND id "
                "IN (SELECT a.latest_version FROM articles a JOIN urls u ON u.canonical = a.canonical "
                "WHERE a.author IS NULL AND u.feed_author IS NOT NULL)")
            return self.conn.execute(f"UPDATE articles SET author = {named} WHERE author IS NULL "
                                     f"AND {named} IS NOT NULL").rowcount

    def fill_sections_from_feeds(self) -> int:
        """Articles stored without a section or without tags, for which a feed named categories (`<category>`)
        after their page was extracted: filled as extraction would have (archive.pages.sources.listed_fallback), on
        the article and its latest version. Not an edit: no new version. How many articles were filled."""
        from archive.pages.sources import listed_fallback

        rows = self.conn.execute(
            "SELECT a.id, a.latest_version, a.section, a.tags, u.feed_categories FROM articles a JOIN urls u ON "
            "u.canonical = a.canonical WHERE u.feed_categories IS NOT NULL AND (a.section IS NULL "
            "OR a.tags IS NULL OR a.tags = '[]')").fetchall()
        filled = 0
        with self.transaction():
            for article_id, version_id, section, tags, listed in rows:
                old_tags = json.loads(tags) if tags else []
                new_section, new_tags = listed_fallback(section, old_tags, json.loads(listed))
                if (new_section, new_tags) == (section, old_tags):
                    continue
                values = [new_section, json.dumps(new_tags, ensure_ascii=False)]
                self.conn.execute("UPDATE articles SET section = ?, tags = ? WHERE id = ?", [*values, article_id])
                self.conn.execute("UPDATE article_versions SET section = ?, tags = ? WHERE id = ?",
                                  [*values, version_id])
                filled += 1
        return filled

    # -- the search index -------------------------------------------------------------------------------------
    def search_index_state(self) -> str | None:
        """What made the search index (normaliser/format), None before there was one."""
        return search_index.state(self.conn)

    def search_index_is_current(self) -> bool:
        return search_index.is_current(self.conn)

    def ensure_search_index(self, progress: Progress | None = None) -> bool:
        """Rebuild the search index when it was made by another normaliser or format; True if it was."""
        if search_index.is_current(self.conn):
            return False
        search_index.rebuild(self.conn, progress)
        return True

    def refresh_search_lists(self) -> str | None:
        """The search's impact lists built again when the archive has outgrown them; a line for the user or None."""
        return search_index.refresh_lists(self.conn)

    def reindex(self, progress: Progress | None = None, workers: int | None = None,
                lists_progress: Progress | None = None) -> int:
        """Index every article version again (`arshif reindex`), then the search's impact lists, in one
        transaction, preparing the text on `workers` processes (every core by default); how many were indexed."""
        return search_index.rebuild(self.conn, progress, workers, lists_progress)
