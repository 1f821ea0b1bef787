"""Each site's article profile (`site_profiles`, docs/data.md; archive/pages/profile.py learns it): read and written
by site, shared by every crawler of a fleet through the archive database."""

from __future__ import annotations

import json

from archive.core.times import now_iso


def stored_profiles(conn) -> dict[str, dict]:
    """Site → its stored profile (SiteProfile.as_dict()), for every site that has one."""
    return {site: json.loads(value) for site, value in
            conn.execute("SELECT site, profile FROM site_profiles ORDER BY site")}


class SiteProfiles:
    """The profiles of a Store's database (`SiteProfiles(store)`): a room of its own, beside the Store's."""

    def __init__(self, store) -> None:
        self.store = store

    def get(self, site: str) -> dict | None:
        """The site's profile (SiteProfile.as_dict()), or None when none was learned."""
        row = self.store.conn.execute("SELECT profile FROM site_profiles WHERE site = ?", [site]).fetchone()
        return json.loads(row[0]) if row else None

    def all(self) -> dict[str, dict]:
        """Site → profile, for every site that has one."""
        return stored_profiles(self.store.conn)

    def put(self, site: str, profile: dict) -> None:
        with self.store.transaction():
            self.store.conn.execute(
                "INSERT INTO site_profiles (site, version, profile, updated) VALUES (?, ?, ?, ?) ON CONFLICT (site) "
                "DO UPDATE SET version = excluded.version, profile = excluded.profile, updated = excluded.updated",
                [site, profile["version"], json.dumps(profile, ensure_ascii=False), now_iso()])

    def forget(self, site: str | None = None) -> int:
        """Forget one site's profile (every site's with None): the next crawl learns it again. How many."""
        with self.store.transaction():
            if site is None:
                return self.store.conn.execute("DELETE FROM site_profiles").rowcount
            return self.store.conn.execute("DELETE FROM site_profiles WHERE site = ?", [site]).rowcount

    def capture_crawls(self) -> list[int]:
        """The crawls that captured a page (200), oldest first: the order `reextract` replays the profile in."""
        return [row[0] for row in self.store.conn.execute(
            "SELECT DISTINCT crawl_id FROM captures WHERE crawl_id IS NOT NULL AND record_type = 'response' "
            "AND status = 200 ORDER BY crawl_id")]

    def pages_to_judge(self, crawl_id: int | None) -> list[tuple[str, int, str, str, int, int, str, str, int]]:
        """(canonical, is an article, detection, WARC file, offset, length, record id, timestamp, whether that
        response is new: of crawl `crawl_id`, or any with None, so a page is learned from once) of the latest 200
        response of every page the profile may judge: the articles of this crawl (every crawl's with None) and every
        page fetched with nothing for or against it being an article, or whose extraction failed."""
        return self.store.conn.execute(
            """WITH latest AS (SELECT canonical, max(id) AS id FROM captures
                               WHERE record_type = 'response' AND status = 200 GROUP BY canonical)
               SELECT u.canonical, coalesce(u.is_article, 0), coalesce(u.detection, ''), c.warc_file, c.offset,
                      c.length, c.record_id, c.timestamp, (? IS NULL OR c.crawl_id = ?)
               FROM urls u JOIN latest l ON l.canonical = u.canonical JOIN captures c ON c.id = l.id
               WHERE (u.is_article = 1 AND (? IS NULL OR u.crawl_id = ?))
                  OR (coalesce(u.is_article, 0) = 0 AND (u.detection = 'no article signal'
                                                         OR u.detection LIKE 'extraction failed%'))
               ORDER BY c.id""", [crawl_id, crawl_id, crawl_id, crawl_id]).fetchall()
