"""The search page: the CLI's query language and filters, snippets with the matches marked."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from archive.search.query import QueryError
from archive.search.searcher import Filters
from archive.web.views.base import Site, param


def home(site: Site, request: Request) -> Response:
    q = param(request, "q")
    filters = Filters(lang=param(request, "lang") or None, section=param(request, "section") or None,
                      tag=param(request, "tag") or None, author=param(request, "author") or None,
                      since=param(request, "since") or None, until=param(request, "until") or None)
    if filters.lang not in (None, "ar", "it"):
        return site.error(400, "اللغة: ar أو it")
    sort = param(request, "sort") or "relevance"
    all_versions = param(request, "all_versions") == "1"
    hits, count, problem = [], 0, None
    with site.store() as store:
        sections = store.sections()
        total = store.article_count()
        if q:
            searcher = store.searcher()
            try:
                hits = searcher.search(q, filters, sort, all_versions, limit=50)
                count = searcher.count(q, filters, all_versions) if hits else 0
            except QueryError as exc:
                problem = str(exc)
    return site.page("search.html", title=q or "بحث", q=q, filters=filters, sort=sort, all_versions=all_versions,
                     sections=sections, hits=hits, count=count, problem=problem, total=total,
                     status=400 if problem else 200)
