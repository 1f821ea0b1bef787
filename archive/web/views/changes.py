"""The changes report: articles edited or removed since a day (by default the period `arshif changes` covers)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from archive.core.times import now
from archive.history import changes as ch
from archive.history.versions import CHANGES_SINCE
from archive.web.views.base import Site, param


def changes(site: Site, request: Request) -> Response:
    since = param(request, "since") or (now() - CHANGES_SINCE).strftime("%Y-%m-%d")
    with site.store() as store:
        try:
            found = ch.changes(store, since)
        except ValueError:
            return site.error(400, "تاريخ غير صالح: استعمل YYYY-MM-DD")
    return site.page("changes.html", title="التعديلات الصامتة", since=since, changes=found)
