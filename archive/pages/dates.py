"""Dates a page writes in words: month names of every Arabic series and Italian, in any digit script.

Detection takes a dateline in a page's own text as a sign of an article, and extraction reads the publication date
from it. Both use the table and the pattern here, so that a page one of them can date, the other sees as dated.
"""

from __future__ import annotations

import re
from datetime import datetime

from archive.core.arabic import DIGITS

# The first spelling of each month is the Egyptian series' plain one: the web shows months with it.
MONTHS = {
    # Egyptian / Gulf, with the spellings of hamza and of the endings sites use (إبريل، يونيه، يوليه)
    "يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "ابريل": 4, "إبريل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6,
    "يوليو": 7, "يوليه": 7, "أغسطس": 8, "اغسطس": 8, "سبتمبر": 9, "أكتوبر": 10, "اكتوبر": 10, "نوفمبر": 11,
    "ديسمبر": 12,
    # Levant / Iraq, with and without hamza
    "كانون الثاني": 1, "شباط": 2, "آذار": 3, "اذار": 3, "نيسان": 4, "أيار": 5, "ايار": 5, "حزيران": 6, "تموز": 7,
    "آب": 8, "اب": 8, "أيلول": 9, "ايلول": 9, "تشرين الأول": 10, "تشرين الاول": 10, "تشرين الثاني": 11,
    "كانون الأول": 12, "كانون الاول": 12,
    # Maghreb
    "ماي": 5, "يوليوز": 7, "غشت": 8, "شتنبر": 9, "نونبر": 11, "دجنبر": 12,
    # Italian (the site's Italian pages)
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7, "agosto": 8,
    "settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
}
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
# "14 سبتمبر 2021", "١٤ أيلول، ٢٠٢١", "14 settembre 2021": `\d` is a digit of any script, so the pattern finds
# datelines in untranslated text; their numbers are read once DIGITS has made them Western
DATELINE = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_MONTH_ALT})\s*،?\s+(\d{{4}})(?!\d)", re.I)
DATELINE_CHARS = 400  # a dateline opens the text: extraction looks no further

# A date written as text in the other common forms (2018-08-25, 05/10/2018, 13.11.2019, October 12, 2017,
# 12 Oct 2017): on pages whose markup says nothing, the byline's date is what shows an article.
_EN_MONTHS = (r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|"
              r"nov(ember)?|dec(ember)?)")
DATE_TEXT = re.compile(
    r"\b(19|20)\d\d[-/.](0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])\b"
    r"|\b(0?[1-9]|[12]\d|3[01])[-/.](0?[1-9]|1[0-2])[-/.](19|20)\d\d\b"
    rf"|\b{_EN_MONTHS}\.?\s+\d{{1,2}}(st|nd|rd|th)?,?\s+(19|20)\d\d\b"
    rf"|\b\d{{1,2}}(st|nd|rd|th)?\s+{_EN_MONTHS}\.?,?\s+(19|20)\d\d\b", re.I)


def dateline_date(text: str) -> str | None:
    """YYYY-MM-DD of the dateline in the first DATELINE_CHARS characters of `text` (Arabic of every series or
    Italian; Western, Arabic-Indic or Persian digits), or None."""
    m = DATELINE.search(text[:DATELINE_CHARS].translate(DIGITS))
    if not m:
        return None
    day, month, year = int(m.group(1)), MONTHS.get(m.group(2).lower()) or MONTHS.get(m.group(2)), int(m.group(3))
    try:
        return datetime(year, month, day).date().isoformat()
    except (TypeError, ValueError):
        return None
