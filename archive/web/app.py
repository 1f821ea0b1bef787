"""`arshif serve`: the archive in a browser, in Arabic, right to left (Starlette + Jinja2, nothing from the internet).

This module builds the application and its routes; each page is a view of its own under `views/` (search, browse
by month and by section, an article, replay, a diff between versions, the changes report), and templates/ holds
their HTML.

Safe by default: every value from a request reaches SQL as a parameter and HTML through Jinja2's autoescaping;
no request path reaches the file system (static files come from the package, through Starlette's own checks);
the database is opened read-only.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from archive.web.replay import Pywb
from archive.web.views import article, browse, changes, diff, replay, search
from archive.web.views.base import WEB, Site, View


def create_app(data: Path, pywb: Pywb | None) -> Starlette:
    site = Site(data, pywb)

    def route(path: str, view: View) -> Route:
        def endpoint(request: Request) -> Response:  # a plain function: Starlette runs it in its thread pool
            return view(site, request)
        return Route(path, endpoint)

    routes = [
        route("/", search.home), route("/browse", browse.months), route("/browse/{month}", browse.month),
        route("/sections", browse.sections), route("/article", article.article), route("/diff", diff.diff),
        route("/changes", changes.changes), route("/web/{rest:path}", replay.web),
        Mount("/static", StaticFiles(directory=WEB / "static"), name="static"),
    ]

    async def not_found(request: Request, exc) -> Response:
        return site.error(404, "الصفحة غير موجودة")

    async def not_allowed(request: Request, exc) -> Response:
        return site.error(405, "طريقة غير مسموحة")

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
