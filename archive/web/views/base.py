"""What every page of the web UI shares: the archive opened read-only for each request, the Jinja2 templates and
their filters, the security headers, the error page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from archive.core.times import from_stamp
from archive.pages.dates import MONTHS
from archive.store.database import Store
from archive.web.replay import Pywb

WEB = Path(__file__).parent.parent  # archive/web: templates/ and static/
# each month as the site's own series spells it: the first spelling the month table lists for it
MONTHS_AR = tuple(next(name for name, number in MONTHS.items() if number == month) for month in range(1, 13))

View = Callable[["Site", Request], Response]


def when(ts: str | None) -> str:
    """A 14-digit timestamp as a reader reads it (UTC); anything else as it is."""
    if not ts:
        return ""
    try:
        return from_stamp(ts).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return ts


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(WEB / "templates"), autoescape=select_autoescape(["html"]))
    env.filters["iri"] = lambda url: unquote(url or "")
    env.filters["q"] = lambda value: quote(str(value or ""), safe="")
    env.filters["when"] = when
    env.filters["day"] = lambda value: (value or "")[:10]
    env.globals["month_name"] = lambda m: MONTHS_AR[int(m) - 1]
    return env


def param(request: Request, name: str, limit: int = 2000) -> str:
    """A query parameter as text: at most `limit` characters, no NUL, trimmed; '' when absent."""
    return (request.query_params.get(name) or "").replace("\x00", "")[:limit].strip()


class Site:
    """One data directory served: a read-only Store per request, pages rendered with the UI's headers."""

    def __init__(self, data: Path, pywb: Pywb | None):
        self.data = Path(data)
        self.pywb = pywb
        self.env = environment()
        frame_origin = pywb.origin if pywb else "'none'"
        self.csp = (f"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
                    f"frame-src {frame_origin}; frame-ancestors 'self'; form-action 'self'; base-uri 'none'")

    @contextmanager
    def store(self) -> Iterator[Store]:
        store = Store.open_for_reading(self.data)
        try:
            yield store
        finally:
            store.close()

    def page(self, template: str, status: int = 200, **context) -> HTMLResponse:
        html = self.env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": self.csp,
                                                               "X-Content-Type-Options": "nosniff",
                                                               "Referrer-Policy": "no-referrer"})

    def error(self, status: int, message: str) -> HTMLResponse:
        return self.page("error.html", status=status, message=message, title="خطأ")
