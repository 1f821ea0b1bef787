"""Datasette on the archive, in-process with Datasette's own test client: readable labels and useful facets."""

from __future__ import annotations

import asyncio

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
