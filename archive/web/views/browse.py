"""Browsing: a histogram of the months, a month's calendar of days with its articles, the sections and one
section's articles page by page."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from archive.web.views.base import MONTHS_AR, Site, param

WEEKDAYS_AR = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
PAGE = 50          # articles per page of a section
MONTH_LIST = 500   # articles listed under a month's calendar


def months(site: Site, request: Request) -> Response:
    with site.store() as store:
        rows = store.month_counts()
    most = max((n for _, n in rows), default=1)
    return site.page("months.html", title="تصفح حسب الشهر", months=[(m, n, round(100 * n / most)) for m, n in rows])


def month(site: Site, request: Request) -> Response:
    value = request.path_params["month"]
    m = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return site.error(404, "شهر غير صالح")
    year, mon = int(m.group(1)), int(m.group(2))
    day = param(request, "day")
    with site.store() as store:
        per_day = store.day_counts(value)
        chosen = int(day) if day.isdigit() and 1 <= int(day) <= 31 else None
        articles = store.articles_in_month(value, chosen, limit=MONTH_LIST)
    weeks = calendar.Calendar(firstweekday=5).monthdayscalendar(year, mon)  # weeks start on Saturday
    most = max(per_day.values(), default=1)
    prev_m = (datetime(year, mon, 1) - timedelta(days=1)).strftime("%Y-%m")
    next_m = (datetime(year, mon, 28) + timedelta(days=7)).strftime("%Y-%m")
    return site.page("month.html", title=f"{MONTHS_AR[mon - 1]} {year}", year=year, mon=mon, value=value,
                     weeks=weeks, per_day=per_day, most=most, articles=articles, day=day,
                     weekdays=[WEEKDAYS_AR[(5 + i) % 7] for i in range(7)], prev_m=prev_m, next_m=next_m)


def sections(site: Site, request: Request) -> Response:
    name = param(request, "name")
    with site.store() as store:
        if not name:
            return site.page("sections.html", title="الأقسام", sections=store.section_counts())
        number = int(param(request, "page") or 1) if param(request, "page").isdigit() else 1
        total = store.section_size(name)
        if not total:
            return site.error(404, "لا يوجد قسم بهذا الاسم")
        articles = store.articles_in_section(name, number, PAGE)
    return site.page("section.html", title=name, name=name, articles=articles, number=number,
                     pages=(total + PAGE - 1) // PAGE, total=total)
