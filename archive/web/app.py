"""`arshif serve`: the archive in a browser, in Arabic, right to left (Starlette + Jinja2, nothing from the internet).

Pages: search (the CLI's query language and filters, snippets with the matches marked), browse by month (a
histogram of the months, a calendar of the days) and by section, an article (metadata, its versions, every
capture), replay of any capture at the Wayback-style `/web/<timestamp>/<url>` (pywb in a sandboxed frame) and
`/web/<timestamp>id_/<url>` (the archived bytes, sandboxed by CSP), a diff between versions, the changes report.

Safe by default: every value from a request reaches SQL as a parameter and HTML through Jinja2's autoescaping;
no request path reaches the file system (static files come from the package, through Starlette's own checks);
the database is opened read-only.
"""

from __future__ import annotations

import calendar
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from archive.history import changes as ch
from archive.history.snapshots import NotArchived, captures, nearest, payload, resolve
from archive.search.query import QueryError
from archive.search.searcher import Filters, Searcher
from archive.web.replay import Pywb

HERE = Path(__file__).parent
MONTHS_AR = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
             "ديسمبر")
WEEKDAYS_AR = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
PAGE = 50
# archived bytes as captured: no script, no request beyond this server (nothing reaches the live web)
RAW_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
           "font-src 'self' data:; media-src 'self' data:")
TIMESTAMP = re.compile(r"^(\d{4,14})(id_|mp_)?$")


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    env.filters["iri"] = lambda url: unquote(url or "")
    env.filters["q"] = lambda value: quote(str(value or ""), safe="")
    env.filters["when"] = _when
    env.filters["day"] = lambda value: (value or "")[:10]
    env.globals["month_name"] = lambda m: MONTHS_AR[int(m) - 1]
    return env


def _when(ts: str | None) -> str:
    if not ts:
        return ""
    try:
        return datetime.strptime(ts[:14], "%Y%m%d%H%M%S").strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return ts


class Archive:
    """Read-only access to one data directory, a connection per request."""

    def __init__(self, data: Path):
        self.data = Path(data)
        self.db = self.data / "archive.db"

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn


def create_app(data: Path, pywb: Pywb | None) -> Starlette:
    archive = Archive(data)
    env = _env()
    frame_origin = pywb.origin if pywb else "'none'"
    ui_csp = (f"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
              f"frame-src {frame_origin}; frame-ancestors 'self'; form-action 'self'; base-uri 'none'")

    def page(template: str, status: int = 200, **context) -> HTMLResponse:
        html = env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": ui_csp,
                                                               "X-Content-Type-Options": "nosniff",
                                                               "Referrer-Policy": "no-referrer"})

    def error(status: int, message: str) -> HTMLResponse:
        return page("error.html", status=status, message=message, title="خطأ")

    def param(request: Request, name: str, limit: int = 2000) -> str:
        return (request.query_params.get(name) or "").replace("\x00", "")[:limit].strip()

    # -- search ----------------------------------------------------------------------------------------------
    def home(request: Request) -> Response:
        q = param(request, "q")
        filters = Filters(lang=param(request, "lang") or None, section=param(request, "section") or None,
                          tag=param(request, "tag") or None, author=param(request, "author") or None,
                          since=param(request, "since") or None, until=param(request, "until") or None)
        if filters.lang not in (None, "ar", "it"):
            return error(400, "اللغة: ar أو it")
        sort = param(request, "sort") or "relevance"
        all_versions = param(request, "all_versions") == "1"
        conn = archive.connect()
        try:
            sections = [r[0] for r in conn.execute("SELECT DISTINCT section FROM articles WHERE section IS NOT "
                                                   "NULL ORDER BY section")]
            total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            hits, count, problem = [], 0, None
            if q:
                searcher = Searcher(conn)
                try:
                    hits = searcher.search(q, filters, sort, all_versions, limit=50)
                    count = searcher.count(q, filters, all_versions) if hits else 0
                except QueryError as exc:
                    problem = str(exc)
        finally:
            conn.close()
        return page("search.html", title=q or "بحث", q=q, filters=filters, sort=sort, all_versions=all_versions,
                    sections=sections, hits=hits, count=count, problem=problem, total=total,
                    status=400 if problem else 200)

    # -- browse ----------------------------------------------------------------------------------------------
    def months(request: Request) -> Response:
        conn = archive.connect()
        try:
            rows = conn.execute("SELECT substr(published, 1, 7) AS m, count(*) FROM articles WHERE published IS "
                                "NOT NULL GROUP BY m ORDER BY m DESC").fetchall()
        finally:
            conn.close()
        most = max((n for _, n in rows), default=1)
        return page("months.html", title="تصفح حسب الشهر",
                    months=[(m, n, round(100 * n / most)) for m, n in rows])

    def month(request: Request) -> Response:
        value = request.path_params["month"]
        m = re.fullmatch(r"(\d{4})-(\d{2})", value)
        if not m or not 1 <= int(m.group(2)) <= 12:
            return error(404, "شهر غير صالح")
        year, mon = int(m.group(1)), int(m.group(2))
        day = param(request, "day")
        conn = archive.connect()
        try:
            per_day = dict(conn.execute("SELECT CAST(substr(published, 9, 2) AS INTEGER), count(*) FROM articles "
                                        "WHERE substr(published, 1, 7) = ? GROUP BY 1", [value]).fetchall())
            where, params = "substr(published, 1, 7) = ?", [value]
            if day.isdigit() and 1 <= int(day) <= 31:
                where, params = "substr(published, 1, 10) = ?", [f"{value}-{int(day):02d}"]
            articles = conn.execute(f"SELECT canonical, title, published, section, lang, versions, removed FROM "
                                    f"articles WHERE {where} ORDER BY published DESC LIMIT 500", params).fetchall()
        finally:
            conn.close()
        weeks = calendar.Calendar(firstweekday=5).monthdayscalendar(year, mon)  # weeks start on Saturday
        most = max(per_day.values(), default=1)
        prev_m = (datetime(year, mon, 1) - timedelta(days=1)).strftime("%Y-%m")
        next_m = (datetime(year, mon, 28) + timedelta(days=7)).strftime("%Y-%m")
        return page("month.html", title=f"{MONTHS_AR[mon - 1]} {year}", year=year, mon=mon, value=value,
                    weeks=weeks, per_day=per_day, most=most, articles=articles, day=day,
                    weekdays=[WEEKDAYS_AR[(5 + i) % 7] for i in range(7)], prev_m=prev_m, next_m=next_m)

    def sections(request: Request) -> Response:
        name = param(request, "name")
        conn = archive.connect()
        try:
            if not name:
                rows = conn.execute("SELECT section, count(*) FROM articles WHERE section IS NOT NULL "
                                    "GROUP BY section ORDER BY 2 DESC").fetchall()
                return page("sections.html", title="الأقسام", sections=rows)
            number = int(param(request, "page") or 1) if param(request, "page").isdigit() else 1
            total = conn.execute("SELECT count(*) FROM articles WHERE section = ?", [name]).fetchone()[0]
            if not total:
                return error(404, "لا يوجد قسم بهذا الاسم")
            articles = conn.execute("SELECT canonical, title, published, section, lang, versions, removed FROM "
                                    "articles WHERE section = ? ORDER BY published DESC LIMIT ? OFFSET ?",
                                    [name, PAGE, (number - 1) * PAGE]).fetchall()
        finally:
            conn.close()
        return page("section.html", title=name, name=name, articles=articles, number=number,
                    pages=(total + PAGE - 1) // PAGE, total=total)

    # -- one article -----------------------------------------------------------------------------------------
    def article(request: Request) -> Response:
        url = param(request, "url", 4000)
        if not url:
            return error(400, "أدخل رابط المقال")
        conn = archive.connect()
        try:
            try:
                article_id, canon = ch.article_id(conn, url)
            except NotArchived:
                found = captures(conn, url)
                if found:
                    return RedirectResponse(f"/web/{found[-1].timestamp}/{found[-1].url}", status_code=303)
                return error(404, "هذا الرابط غير موجود في الأرشيف")
            row = conn.execute("SELECT * FROM articles WHERE id = ?", [article_id]).fetchone()
            versions = ch.versions(conn, article_id)
            found = captures(conn, canon)
        finally:
            conn.close()
        return page("article.html", title=row["title"], a=row, versions=versions, captures=found,
                    tags=_tags(row["tags"]))

    def diff(request: Request) -> Response:
        url = param(request, "url", 4000)
        conn = archive.connect()
        try:
            try:
                article_id, canon = ch.article_id(conn, url)
            except NotArchived:
                return error(404, "هذا الرابط غير موجود في الأرشيف")
            versions = ch.versions(conn, article_id)
        finally:
            conn.close()
        numbers = {v.number: v for v in versions}
        try:
            new = numbers[int(param(request, "to") or versions[-1].number)]
            old = numbers[int(param(request, "from") or max(1, new.number - 1))]
        except (KeyError, ValueError):
            return error(404, "لا توجد نسخة بهذا الرقم")
        title = ch.diff_words(old.title, new.title)
        body = ch.diff_words(old.body, new.body)
        return page("diff.html", title=f"ما تغيّر: {new.title}", canon=canon, old=old, new=new, versions=versions,
                    title_diff=title, body_diff=ch.context(body, 25), summary=ch.summary(title + body))

    def changes(request: Request) -> Response:
        since = param(request, "since") or (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%d")
        conn = archive.connect()
        try:
            try:
                found = ch.changes(conn, since)
            except ValueError:
                return error(400, "تاريخ غير صالح: استعمل YYYY-MM-DD")
        finally:
            conn.close()
        return page("changes.html", title="التعديلات الصامتة", since=since, changes=found)

    # -- replay ----------------------------------------------------------------------------------------------
    def web(request: Request) -> Response:
        raw = request.scope.get("raw_path", b"").decode("latin-1")
        rest = raw[len("/web/"):] if raw.startswith("/web/") else ""
        stamp, _, target = rest.partition("/")
        m = TIMESTAMP.match(stamp)
        if not m or not target:
            return error(404, "العنوان يجب أن يكون /web/<الطابع الزمني>/<الرابط>")
        if request.url.query:
            target += "?" + request.url.query
        target = unquote(target) if target.startswith(("http%3A", "https%3A")) else target
        conn = archive.connect()
        try:
            found = captures(conn, target)
            if not found:
                return error(404, "هذا الرابط غير موجود في الأرشيف")
            try:
                picked = nearest(found, m.group(1))
            except ValueError:
                return error(400, "طابع زمني غير صالح")
            if m.group(2) == "id_":
                shown = resolve(conn, picked)
                headers, body = payload(archive.data, shown)
                content_type = next((v for k, v in headers.items() if k.lower() == "content-type"),
                                    "application/octet-stream")
                return Response(body, status_code=shown.status or 200, headers={
                    "Content-Type": content_type, "Content-Security-Policy": RAW_CSP,
                    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})
            index = found.index(picked)
            article = conn.execute("SELECT title FROM articles WHERE canonical = ?", [picked.canonical]).fetchone()
            # pywb replays a server-not-modified revisit with its own 304 status line, which a browser shows as
            # nothing: the frame shows the response the 304 confirmed, and the page says so
            confirmed = resolve(conn, picked) if picked.profile == "server-not-modified" else None
        except NotArchived as exc:
            return error(404, str(exc))
        finally:
            conn.close()
        return page("replay.html", title=article["title"] if article else unquote(picked.url), capture=picked,
                    frame=pywb.frame_url((confirmed or picked).timestamp, (confirmed or picked).url) if pywb else None,
                    confirmed=confirmed,
                    before=found[index - 1] if index else None,
                    after=found[index + 1] if index + 1 < len(found) else None, count=len(found),
                    position=index + 1, is_article=article is not None)

    routes = [
        Route("/", home), Route("/browse", months), Route("/browse/{month}", month),
        Route("/sections", sections), Route("/article", article), Route("/diff", diff),
        Route("/changes", changes), Route("/web/{rest:path}", web),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    async def not_found(request: Request, exc) -> Response:
        return error(404, "الصفحة غير موجودة")

    async def not_allowed(request: Request, exc) -> Response:
        return error(405, "طريقة غير مسموحة")

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
    return app


def _tags(raw: str | None) -> list[str]:
    try:
        return list(json.loads(raw or "[]"))
    except ValueError:
        return []
