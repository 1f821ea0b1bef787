"""Replay of any capture: `/web/<timestamp>/<url>` (pywb in a sandboxed frame, with the captures before and after)
and `/web/<timestamp>id_/<url>` (the archived bytes, sandboxed by CSP)."""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from archive.history.snapshots import NotArchived, captures, nearest, payload, resolve
from archive.web.views.base import Site

# archived bytes as captured: no script, no request beyond this server (nothing reaches the live web)
RAW_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
           "font-src 'self' data:; media-src 'self' data:")
TIMESTAMP = re.compile(r"^(\d{4,14})(id_|mp_)?$")


def web(site: Site, request: Request) -> Response:
    raw = request.scope.get("raw_path", b"").decode("latin-1")
    rest = raw[len("/web/"):] if raw.startswith("/web/") else ""
    stamp, _, target = rest.partition("/")
    m = TIMESTAMP.match(stamp)
    if not m or not target:
        return site.error(404, "العنوان يجب أن يكون /web/<الطابع الزمني>/<الرابط>")
    if request.url.query:
        target += "?" + request.url.query
    target = unquote(target) if target.startswith(("http%3A", "https%3A")) else target
    with site.store() as store:
        try:
            found = captures(store, target)
            if not found:
                return site.error(404, "هذا الرابط غير موجود في الأرشيف")
            try:
                picked = nearest(found, m.group(1))
            except ValueError:
                return site.error(400, "طابع زمني غير صالح")
            if m.group(2) == "id_":
                shown = resolve(store, picked)
                headers, body = payload(site.data, shown)
                content_type = next((v for k, v in headers.items() if k.lower() == "content-type"),
                                    "application/octet-stream")
                return Response(body, status_code=shown.status or 200, headers={
                    "Content-Type": content_type, "Content-Security-Policy": RAW_CSP,
                    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})
            index = found.index(picked)
            title = store.article_title(picked.canonical)
            # pywb replays a server-not-modified revisit with its own 304 status line, which a browser shows as
            # nothing: the frame shows the response the 304 confirmed, and the page says so
            confirmed = resolve(store, picked) if picked.profile == "server-not-modified" else None
        except NotArchived as exc:
            return site.error(404, str(exc))
    framed = confirmed or picked
    return site.page("replay.html", title=title or unquote(picked.url), capture=picked,
                     frame=site.pywb.frame_url(framed.timestamp, framed.url) if site.pywb else None,
                     confirmed=confirmed, before=found[index - 1] if index else None,
                     after=found[index + 1] if index + 1 < len(found) else None, count=len(found),
                     position=index + 1, is_article=title is not None)
