"""Other tools on the archive's file: Datasette in-process with its own test client (readable labels and useful
facets), and the sqlite-utils CLI."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from datasette.app import Datasette

pytestmark = pytest.mark.slow


def test_datasette_shows_articles_with_facets(crawled_wordpress):
    async def run():
        ds = Datasette([str(crawled_wordpress.data / "archive.db")])
        await ds.invoke_startup()
        page = await ds.client.get("/archive/articles")
        data = await ds.client.get("/archive/articles.json?_shape=objects&_size=5")
        return page, data, ds

    page, data, ds = asyncio.run(run())
    assert page.status_code == 200
    html = page.text
    assert "Articles (المقالات)" in html
    for facet in ("section", "lang", "author", "month"):
        assert f'data-column="{facet}"' in html, facet
    assert "سياسة" in html  # a section value in the facet list
    rows = data.json()["rows"]
    assert rows and rows[0]["month"] == rows[0]["published"][:7]
    assert data.json()["facet_results"]
    assert ds.metadata("label_column", database="archive", table="articles") == "title"


def test_the_sqlite_utils_cli_reads_a_crawled_archive(crawled_wordpress):
    """The file is sqlite-utils' own kind: its CLI lists the tables with their counts and reads the articles."""
    db = str(crawled_wordpress.data / "archive.db")
    cli = str(Path(sys.executable).parent / "sqlite-utils")
    tables = subprocess.run([cli, "tables", db, "--counts"], capture_output=True, text=True, timeout=60)
    assert tables.returncode == 0, tables.stderr
    counts = {row["table"]: row["count"] for row in json.loads(tables.stdout)}
    conn = crawled_wordpress.db()
    for table in ("schema_version", "crawls", "warc_files", "captures", "urls", "articles", "article_versions",
                  "checks", "search_index"):
        assert counts[table] == conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0], table
    assert counts["articles"] > 0
    rows = subprocess.run([cli, "rows", db, "articles"], capture_output=True, text=True, timeout=60)
    assert rows.returncode == 0, rows.stderr
    articles = json.loads(rows.stdout)
    assert len(articles) == counts["articles"]
    assert all(a["title"] and a["body"] for a in articles)
    assert all(a["month"] == (a["published"][:7] if a["published"] else None) for a in articles)
