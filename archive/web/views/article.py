"""One article: its metadata, its versions, every capture of it. A URL that is not an article goes to the replay
of its latest capture."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archive.history import changes as ch
from archive.history.snapshots import NotArchived, captures
from archive.web.views.base import Site, param


def article(site: Site, request: Request) -> Response:
    url = param(request, "url", 4000)
    if not url:
        return site.error(400, "أدخل رابط المقال")
    with site.store() as store:
        try:
            article_id, canon = ch.article_id(store, url)
        except NotArchived:
            found = captures(store, url)
            if found:
                return RedirectResponse(f"/web/{found[-1].timestamp}/{found[-1].url}", status_code=303)
            return site.error(404, "هذا الرابط غير موجود في الأرشيف")
        row = store.article(article_id)
        versions = ch.versions(store, article_id)
        found = captures(store, canon)
    return site.page("article.html", title=row["title"], a=row, versions=versions, captures=found,
                     tags=tags(row["tags"]))


def tags(raw: str | None) -> list[str]:
    try:
        return list(json.loads(raw or "[]"))
    except ValueError:
        return []
