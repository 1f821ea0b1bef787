"""What the archive has learned about a site as a whole, one named fact a row (`site_facts`, docs/data.md): today
the trust in its sitemap `lastmod` (archive/pages/revisits.py, LastmodTrust), and the looks that judge it."""

from __future__ import annotations

import json

from archive.core.times import now_iso
from archive.store.connection import Connected, in_slices

LASTMOD_TRUST = "lastmod_trust"
LOOKS_BEHIND_LASTMOD = ("audit", "revisit")  # checks.why of the looks at an article whose lastmod had not moved


class SiteFacts(Connected):
    def site_fact(self, site: str, name: str) -> dict | None:
        """A fact about a site (JSON), or None when none was recorded."""
        row = self.conn.execute("SELECT value FROM site_facts WHERE site = ? AND name = ?", [site, name]).fetchone()
        return json.loads(row[0]) if row else None

    def site_facts(self, name: str) -> dict[str, dict]:
        """Site → this fact, for every site that has it."""
        return {site: json.loads(value) for site, value in
                self.conn.execute("SELECT site, value FROM site_facts WHERE name = ? ORDER BY site", [name])}

    def set_site_fact(self, site: str, name: str, value: dict) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO site_facts (site, name, value, updated) VALUES (?, ?, ?, ?) ON CONFLICT (site, name) "
                "DO UPDATE SET value = excluded.value, updated = excluded.updated",
                [site, name, json.dumps(value, ensure_ascii=False), now_iso()])

    def lastmod_articles(self) -> list[tuple[str, str | None, str | None, int, str | None]]:
        """(canonical, published, first captured, earlier versions, last looked at) of every article online whose
        sitemap gives a `lastmod`: the other half of `revisit_candidates`, audited, or revisited once the site's
        lastmod has lost its trust."""
        return self.conn.execute(
            """SELECT a.canonical, a.published, a.first_captured, a.versions - 1,
                      coalesce((SELECT max(c.checked) FROM checks c WHERE c.canonical = a.canonical), a.last_captured)
               FROM articles a JOIN urls u ON u.canonical = a.canonical
               WHERE a.removed IS NULL AND u.sitemap_lastmod IS NOT NULL""").fetchall()

    def looks_found(self, crawl_id: int, urls: list[str]) -> dict[str, str]:
        """Of these articles, looked at by this crawl behind an unchanged lastmod (an audit or a revisit), what each
        look found: "edited" when its capture made a new version of the text, "same" when it answered and the text
        had not changed (a 304, the same payload, or a page whose title and body were the same). An article that
        answered otherwise (gone, an error) is left out."""
        found: dict[str, str] = {}
        whys = ", ".join("?" * len(LOOKS_BEHIND_LASTMOD))
        for chunk, marks in in_slices(urls):
            for url, status, edited in self.conn.execute(
                    f"""SELECT c.canonical, c.status, EXISTS (
                            SELECT 1 FROM articles a JOIN article_versions v ON v.article_id = a.id
                            WHERE a.canonical = c.canonical AND v.version > 1 AND v.capture_timestamp = c.timestamp)
                        FROM checks c WHERE c.crawl_id = ? AND c.why IN ({whys}) AND c.canonical IN ({marks})""",
                    [crawl_id, *LOOKS_BEHIND_LASTMOD, *chunk]):
                if edited:
                    found[url] = "edited"
                elif status in (200, 304):
                    found.setdefault(url, "same")
        return found
