"""Arabic date words as the replica prints them.

The real site writes its dateline by hand ("الإيطالية نيوز، الثلاثاء 14 سبتمبر 2021 -"), and Arabic sites differ
in which month names they use: Egypt and the Gulf transliterate (سبتمبر), the Levant and Iraq use the Syriac
names (أيلول), the Maghreb its own French-derived ones (شتنبر). The replica varies all of them so that the
extractor is tested against each.
"""

from __future__ import annotations

from datetime import datetime

WEEKDAYS = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]  # Monday first

MONTHS = {
    "egyptian": ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
                 "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"],
    "levantine": ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران",
                  "تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول"],
    "maghreb": ["يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو",
                "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر"],
}

ITALIAN_WEEKDAYS = ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"]
ITALIAN_MONTHS = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
                  "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"]

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

SITE_NAME = "الإيطالية نيوز"
SITE_NAME_IT = "Al-Italiya News"


def digits(text: str, style: str) -> str:
    """Western digits as `style` ("western", "arabic-indic" or "persian") writes them."""
    if style == "arabic-indic":
        return text.translate(ARABIC_INDIC)
    if style == "persian":
        return text.translate(PERSIAN)
    return text


def arabic_date(when: datetime, series: str = "egyptian", digit_style: str = "western") -> str:
    """'الثلاثاء 14 سبتمبر 2021' in the given month series and digits."""
    day = digits(str(when.day), digit_style)
    year = digits(str(when.year), digit_style)
    return f"{WEEKDAYS[when.weekday()]} {day} {MONTHS[series][when.month - 1]} {year}"


def dateline(when: datetime, series: str = "egyptian", digit_style: str = "western") -> str:
    """The words that open every article body on the site, up to and including the dash."""
    return f"{SITE_NAME}، {arabic_date(when, series, digit_style)} - "


def italian_dateline(when: datetime) -> str:
    return f"{SITE_NAME_IT}, {ITALIAN_WEEKDAYS[when.weekday()]} {when.day} " \
           f"{ITALIAN_MONTHS[when.month - 1]} {when.year} - "
