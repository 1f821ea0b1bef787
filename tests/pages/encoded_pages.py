"""Arabic article pages in the encodings an old Arabic news site serves, written for the encoding tests: the same
article as bytes in windows-1256, ISO-8859-6, UTF-8 with or without a BOM, declared or not, with NUL bytes."""

from __future__ import annotations

URL = "http://news.test/2021/10/09/basra-rain/"
TITLE = "الأمطار تغمر شوارع البصرة وتعطل الدوام في المدارس"
PARAGRAPHS = [
    "غمرت الأمطار الغزيرة صباح اليوم شوارع مدينة البصرة، وقالت مديرية الدفاع المدني إن فرقها تعمل منذ الفجر على "
    "سحب المياه من الأحياء السكنية القريبة من شط العرب، وإن منسوب المياه بلغ في بعض الأزقة نصف متر.",
    "وأعلنت مديرية التربية في المحافظة تعطيل الدوام الرسمي في المدارس الابتدائية والثانوية ليوم غد، على أن تستأنف "
    "الدروس بعد انحسار المياه وتنظيف الصفوف التي غمرتها السيول في أطراف المدينة.",
    "وقال أحد سكان حي الجمهورية إن المياه دخلت البيوت القديمة قبل أن تصل سيارات البلدية، مطالبا بإصلاح شبكة "
    "تصريف الأمطار التي لم تجدد منذ سنوات طويلة رغم الوعود المتكررة من المجلس المحلي.",
]
# what windows-1252 made of the title, the old rule's mojibake
MOJIBAKE = TITLE.encode("cp1256").decode("cp1252", "replace")


def page(head_extra: str = "", nul: bool = False, title: str = TITLE) -> str:
    """The article page as text; `head_extra` goes first in <head> (a <meta charset>, say)."""
    paragraphs = "".join(f"<p>{p}</p>\n" for p in PARAGRAPHS)
    if nul:  # NUL bytes inside words, as a broken CMS export leaves them
        paragraphs = paragraphs.replace("البصرة", "البص\x00رة").replace("المياه", "المي\x00\x00اه")
    return (
        f'<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head>{head_extra}<title>{title} - أخبار الجنوب</title>\n'
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2021-10-09T08:30:00+03:00",'
        f' "headline": "{title}"}}</script>\n'
        '<meta property="og:type" content="article"></head>\n'
        f'<body><article><h1 class="entry-title">{title}</h1>\n'
        f'<div class="entry-content">\n{paragraphs}</div></article></body></html>\n'
    )


META = '<meta charset="{}">'
HTTP_EQUIV = '<meta http-equiv="Content-Type" content="text/html; charset={}">'
