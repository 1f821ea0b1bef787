"""What changed between two versions of an article, word by word: `to` and `from` are version numbers, the
latest and the one before it by default (the previous-version rule of `arshif diff`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from archive.history import changes as ch
from archive.history.snapshots import NotArchived
from archive.history.versions import previous
from archive.web.views.base import Site, param


def diff(site: Site, request: Request) -> Response:
    url = param(request, "url", 4000)
    with site.store() as store:
        try:
            article_id, canon = ch.article_id(store, url)
        except NotArchived:
            return site.error(404, "هذا الرابط غير موجود في الأرشيف")
        versions = ch.versions(store, article_id)
    numbers = {v.number: v for v in versions}
    try:
        new = numbers[int(param(request, "to") or versions[-1].number)]
        chosen = param(request, "from")
        old = numbers[int(chosen)] if chosen else previous(versions, new)
    except (KeyError, ValueError):
        return site.error(404, "لا توجد نسخة بهذا الرقم")
    title = ch.diff_words(old.title, new.title)
    body = ch.diff_words(old.body, new.body)
    return site.page("diff.html", title=f"ما تغيّر: {new.title}", canon=canon, old=old, new=new, versions=versions,
                     title_diff=title, body_diff=ch.context(body, 25), summary=ch.summary(title + body))
