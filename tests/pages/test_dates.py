"""Datelines: one month table and one pattern (archive.pages.dates) for detection and extraction, so that a page
extraction can date is a page detection sees as dated. Pure functions, no network."""

from __future__ import annotations

import pytest

from archive.pages.dates import MONTHS, dateline_date
from archive.pages.detection import analyse_page
from archive.pages.extraction import extract

URL = "http://127.0.0.1:8765/p-12345"  # not article-shaped: the dateline is the page's only sign of a date
WORDS = ("وأوضح رئيس بلدية الجزيرة أن مراكز الاستقبال تعمل بأكثر من طاقتها منذ بداية الشهر، وأن نسبة الإشغال "
         "بلغت حدها الأقصى في الأيام الأخيرة بحسب ما قاله للصحفيين.")
SCRIPTS = {"western": str.maketrans("", ""), "arabic-indic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
           "persian": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")}
# spellings extraction read and detection's own table lacked (issue 26)
ONCE_MISSED = ("إبريل", "يوليه", "تشرين الاول", "كانون الاول")


def dated_page(dateline: str) -> bytes:
    """A plain page (no JSON-LD, microdata, og:type, <time> or WordPress classes) whose body opens with
    `dateline` and is too short to pass as an article by its length alone."""
    return ('<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>لاجئون في لامبيدوزا - '
            'الإيطالية نيوز</title></head><body><header><h1>الإيطالية نيوز</h1></header><div class="entry-content">'
            f'<p>الإيطالية نيوز، {dateline} - {WORDS}</p><p>{WORDS}</p><p>{WORDS}</p></div>'
            '<footer>© الإيطالية نيوز</footer></body></html>').encode()


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("month", ONCE_MISSED, ids=["ibril", "yulyuh", "tishrin-al-awal", "kanun-al-awal"])
def test_a_dateline_extraction_reads_is_one_detection_sees(month, script):
    html = dated_page(f"الثلاثاء 14 {month} 2021".translate(SCRIPTS[script]))
    facts = analyse_page(html, URL)
    assert facts.is_article and facts.reason == "dateline"
    article = extract(html, URL, facts=facts)
    assert article.published == f"2021-{MONTHS[month]:02d}-14"
    assert extract(html, URL).published == article.published  # and so when extraction analyses the page itself


@pytest.mark.parametrize("month", sorted(MONTHS))
def test_every_month_of_the_table_makes_a_dateline(month):
    html = dated_page(f"14 {month} 2021")
    assert analyse_page(html, URL).reason == "dateline"
    assert dateline_date(f"الإيطالية نيوز، 14 {month}، 2021 -") == f"2021-{MONTHS[month]:02d}-14"


def test_what_is_not_a_dateline():
    assert dateline_date("في 2021 سبتمبر 14 اجتمع المجلس") is None  # not a day, a month, a year
    assert dateline_date("114 سبتمبر 2021") is None and dateline_date("14 سبتمبر 20215") is None
    assert dateline_date("31 نونبر 2021") is None  # no such day
    assert dateline_date("x" * 400 + "14 سبتمبر 2021") is None  # a dateline opens the text
