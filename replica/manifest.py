"""The ground truth: every article's canonical URL and fields, the planted terms, the traps, the edition-2 changes.

Tests compare what the crawler archived with this file, never with the crawler's own idea of the site. It is
written as it is generated (one article a line inside the JSON array), so 100,000 articles need no memory.
"""

from __future__ import annotations

import json
from typing import IO

from . import planted
from .content import SECTIONS
from .server import ReplicaApp


def article_record(app: ReplicaApp, i: int) -> dict:
    site, urls, base = app.site, app.urls, app.base
    a = site.article(i)
    sources = app.pages.date_sources(a)
    record = {
        "id": i, "url": base + urls.article(i), "title": a.title, "author": a.author,
        "section": a.section.name, "section_key": a.section.key, "tags": a.tags,
        "published": a.published.isoformat(), "modified": a.modified.isoformat(), "lang": a.lang,
        "paragraphs": a.paragraphs, "planted": a.planted, "image": app.cdn + urls.image(i, a.image_format),
        "encoding": a.encoding, "gzip": a.gzip, "date_sources": sources, "og": a.og,
        "dateline_series": a.dateline_series, "digit_style": a.digit_style, "large": a.large,
        "comments": len(a.comments), "fault": app.fault_of(i),
        "variants": {"raw": base + urls.article_raw(i), "lower": base + urls.article_lower(i)},
        # what a reader of the page alone can know of the date: the local day where the dateline is all there is
        "published_date": a.published.date().isoformat(),
        "published_on_page": "date" if sources == "dateline-only" else "datetime",
        "markup_variants": app.pages.variants(a),
    }
    if a.edited:
        record["edited"] = a.edited
    return record


def header(app: ReplicaApp) -> dict:
    site, urls, base = app.site, app.urls, app.base
    removed = [site.removed_id] if site.edition == 2 else []
    return {
        "site": base, "images": app.cdn, "theme": urls.theme, "seed": app.config.seed,
        "edition": site.edition, "articles_count": len(site.live),
        "sections": [{"key": s.key, "name": s.name, "url": base + urls.section(s.key)} for s in SECTIONS],
        "pages": [base + p for p in urls.static_pages()],
        "feeds": {"rss": base + urls.rss_feed(), "atom": base + urls.atom_feed()},
        "sitemap": base + urls.sitemap(),
        "robots_disallowed": urls.disallowed(),
        "planted_families": [
            {"key": f.key, "lang": f.lang, "base": f.base,
             "forms": [{"text": form.text, "kind": form.kind} for form in f.forms]}
            for f in planted.FAMILIES
        ],
        "traps": {
            "moved": {"from": base + urls.moved_from(site.moved_id), "to": base + urls.article(site.moved_id)},
            "missing": base + urls.missing(),
            "legacy_windows_1256": base + urls.article(site.legacy_id),
            "large": base + urls.article(site.large_id),
        },
        "changes": {
            "new": [base + urls.article(i) for i in range(site.n, site.total)] if site.edition == 2 else [],
            "edited": [base + urls.article(i) for i in sorted(site.edited_ids)] if site.edition == 2 else [],
            "removed": [base + urls.article(i) for i in removed],
        },
    }


def write(app: ReplicaApp, out: IO[str]) -> None:
    head = json.dumps(header(app), ensure_ascii=False, indent=1)
    out.write(head[:-2] + ',\n "articles": [\n')
    for n, i in enumerate(app.site.live):
        out.write(("" if n == 0 else ",\n") + json.dumps(article_record(app, i), ensure_ascii=False))
    out.write("\n ]\n}\n")
