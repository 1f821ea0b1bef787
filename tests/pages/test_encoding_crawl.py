"""The crawl reads every page with the rule extraction uses (issue 27, Deliver 3): a site whose articles come in
windows-1256 and ISO-8859-6 declared nowhere, behind a lying header, with a BOM, NUL bytes or gzip is archived with
every title and body as written, its WARC payloads untouched, and `reextract` gives the same rows."""

from __future__ import annotations

import sqlite3

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawling import arshif
from tests.pages.encoded_pages import PARAGRAPHS
from tests.pages.encoding_site import ARTICLES, EncodingSite, body_of, path_of

pytestmark = pytest.mark.slow

QUICK = ("--no-assets", "--set", "RETRY_TIMES=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "DOWNLOAD_TIMEOUT=5")
QUERY = "SELECT canonical, title, body, versions, extractor FROM articles ORDER BY canonical"


def test_a_crawl_stores_every_encoding_right_and_reextract_agrees(tmp_path):
    data = tmp_path / "data"
    with EncodingSite() as site:
        run = arshif("--data", str(data), "crawl", "--site", site.url + "/", *QUICK, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    with sqlite3.connect(data / "archive.db") as conn:
        rows = conn.execute(QUERY).fetchall()
    by_url = {row[0]: row for row in rows}
    for slug, (title, *_) in ARTICLES.items():
        row = by_url.get(site.url + path_of(slug))
        assert row is not None, (slug, sorted(by_url))
        assert row[1] == title, slug
        assert row[2] == "\n\n".join(PARAGRAPHS), slug
    assert len(rows) == len(ARTICLES)
    payloads = {}  # the stored bytes are the site's, not a re-encoding
    for path in sorted((data / "warc").glob("*.warc.gz*")):  # every WARC file, closed or .open
        with path.open("rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    payloads[record.rec_headers.get_header("WARC-Target-URI")] = record.content_stream().read()
    for slug in ARTICLES:
        assert payloads[site.url + path_of(slug)] == body_of(slug), slug
    result = arshif("--data", str(data), "reextract")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(data / "archive.db") as conn:
        assert conn.execute(QUERY).fetchall() == rows
