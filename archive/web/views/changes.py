"""The changes report: articles edited or removed since a day (the last seven by default)."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from archive.core.times import now
from archive.history import changes as ch
from archive.web.views.base import Site, param


def changes(site: Site, request: Request) -> Response:
    since = param(request, "since") or (now() - timedelta(days=7)).strftime("%Y-%m-%d")
    with site.store() as store:
        try:
            found = ch.changes(store, since)
        except ValueError:
            return site.error(400, "تاريخ غير صالح: استعمل YYYY-MM-DD")
    return site.page("changes.html", title="التعديلات الصامتة", since=since, changes=found)
