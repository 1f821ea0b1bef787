"""Replay of any capture: `/web/<timestamp>/<url>` (pywb in a sandboxed frame, with the captures before and after)
and `/web/<timestamp>id_/<url>` (the archived bytes, sandboxed by CSP). A capture whose payload decodes past the payload
limit (a gzip bomb, kept as stored) is not replayed: the page says so in one line, and `id_` serves its stored bytes
raw, as a download, never decoded."""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from archive.history.snapshots import (
    NotArchived,
    TooLarge,
    captures,
    nearest,
    over_limit,
    payload,
    resolve,
    stored_payload,
)
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
                try:
                    headers, body = payload(site.data, shown)
                except TooLarge:
                    return _raw(site, shown)
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
            too_large = over_limit(site.data, confirmed or resolve(store, picked))
        except NotArchived as exc:
            return site.error(404, str(exc))
    if too_large:
        return site.error(413, too_large)
    framed = confirmed or picked
    return site.page("replay.html", title=title or unquote(picked.url), capture=picked,
                     frame=site.pywb.frame_url(framed.timestamp, framed.url) if site.pywb else None,
                     confirmed=confirmed, before=found[index - 1] if index else None,
                     after=found[index + 1] if index + 1 < len(found) else None, count=len(found),
                     position=index + 1, is_article=title is not None)


def _raw(site: Site, shown) -> Response:
    """The stored payload of a record that decodes past the limit: its bytes as received (still encoded), as a
    download, streamed, never decoded here."""
    return StreamingResponse(stored_payload(site.data, shown), status_code=shown.status or 200, headers={
        "Content-Type": "application/octet-stream", "Content-Disposition": "attachment",
        "Content-Security-Policy": RAW_CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})
