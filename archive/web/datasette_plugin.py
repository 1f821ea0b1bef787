"""Datasette plugin: `datasette arshif-data/archive.db` shows the archive readably, with no flags to remember.

Installed with arshif (entry point `datasette`), it gives the tables of an arshif archive (a data directory's
database file, archive/core/paths.py) titles, descriptions, label columns and facets: articles by section,
language, author and month. Our Arabic search lives in arshif, not in Datasette.
"""

from __future__ import annotations

from pathlib import Path

from datasette import hookimpl

from archive.core.paths import DATABASE as DATABASE_FILE

DATABASE = Path(DATABASE_FILE).stem  # Datasette names a database after its file

METADATA = {
    "title": "أرشيف الإيطالية نيوز — arshif",
    "description": "Captures, articles and versions of the archive made by arshif. The WARC files are the source "
                   "of truth; this database indexes them.",
    "databases": {
        DATABASE: {
            "tables": {
                "articles": {
                    "title": "Articles (المقالات)",
                    "description": "One row per article (canonical URL), with the fields of its latest version.",
                    "label_column": "title",
                    "sort_desc": "published",
                    "facets": ["section", "lang", "author", "month"],
                    "columns": {
                        "canonical": "The article's canonical URL",
                        "title": "Title, without the site's name",
                        "published": "Publication date (ISO 8601; a date alone when the page gives no time)",
                        "month": "Year and month of publication",
                        "section": "Section (القسم)",
                        "tags": "Tags, a JSON array",
                        "lang": "Language detected from the text",
                        "versions": "How many different texts the archive holds",
                        "removed": "When the site stopped serving it (404/410), if it did",
                        "capture_record_id": "The WARC record the current fields come from",
                    },
                },
                "article_versions": {
                    "title": "Article versions (النسخ)",
                    "description": "Every distinct title and body an article has had, with the capture it came from.",
                    "label_column": "title",
                    "facets": ["extractor", "section"],
                },
                "captures": {
                    "title": "Captures",
                    "description": "One row per WARC record: where it is (file, offset, length) and what it holds.",
                    "label_column": "url",
                    "facets": ["record_type", "status", "mime", "crawl_id"],
                },
                "crawls": {"title": "Crawl runs", "label_column": "started", "facets": ["status", "exit_code"]},
                "warc_files": {"title": "WARC files, with their SHA-256 fixity", "label_column": "name"},
                "urls": {"title": "URLs the crawler knows", "facets": ["kind", "source", "is_article"]},
            }
        }
    },
}


@hookimpl
def get_metadata(datasette, key, database, table):
    return METADATA
