"""Language identification: the script decides for Arabic text, langdetect for the rest — and on every article of
the replica (three seeds, both languages) the answer is the one langdetect alone gave (the rule only saves time)."""

from __future__ import annotations

import pytest
from langdetect import DetectorFactory, LangDetectException, detect

from archive.pages.extraction import LANGDETECT_CHARS, detect_language
from replica.content import Site

DetectorFactory.seed = 0


def langdetect_alone(text: str) -> str | None:
    """What detect_language answered before the script rule: langdetect on every text of 120 characters or more."""
    text = text[:LANGDETECT_CHARS]
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    arabic = sum(1 for ch in letters if "\u0600" <= ch <= "\u06ff") / len(letters)
    if len(text) < 120:
        return "ar" if arabic > 0.5 else None
    try:
        return detect(text)
    except LangDetectException:
        return "ar" if arabic > 0.5 else None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_script_rule_answers_as_langdetect_did(seed):
    site = Site(articles=400, seed=seed)
    bodies = [("\n\n".join(site.article(i).paragraphs), site.lang(i)) for i in range(400)]
    assert {lang for _, lang in bodies} == {"ar", "it"}
    for body, lang in bodies:
        assert detect_language(body) == langdetect_alone(body) == lang


# Our own sentences: Persian and Urdu share the Arabic script, and their own letters (پ چ ژ گ ک ی, ٹ ڈ ڑ ں ے)
# send them to langdetect.
PERSIAN = ("دولت ایتالیا امروز گفت که برنامه تازه‌ای برای پذیرش پناهجویان در جزیره لامپدوزا آماده کرده است. "
           "وزیر کشور در یک نشست خبری توضیح داد که این برنامه چند ماه طول می‌کشد و شهرداری‌ها هم در آن نقش دارند.")
URDU = ("اٹلی کی حکومت نے آج کہا کہ لامپیڈوسا کے جزیرے پر پناہ گزینوں کے لیے نیا منصوبہ تیار کیا گیا ہے۔ "
        "وزیر داخلہ نے ایک پریس کانفرنس میں بتایا کہ اس منصوبے میں کئی مہینے لگیں گے اور شہروں کا بھی کردار ہوگا۔")
ARABIC_WITH_NAMES = ("قالت رئيسة الوزراء «جورجا ميلوني» (Giorgia Meloni) إن حكومتها ستعرض خطة جديدة لاستقبال "
                     "المهاجرين في جزيرة لامبيدوزا (Lampedusa)، وإن %90 من الوافدين سيُنقلون إلى مراكز في البر "
                     "خلال ثلاثة أيام، وفق ما نقلته وكالة «أنسا» (ANSA) الإيطالية.")
ARABIC_WITH_VEH = ("أعلنت وزارة الصحة الإيطالية أن ڤيروس الإنفلونزا الموسمية انتشر هذا الشتاء في مدن الشمال أسرع "
                   "من العام الماضي، ودعت كبار السن إلى التطعيم قبل نهاية الشهر في المراكز الصحية القريبة منهم.")


def test_other_languages_in_the_arabic_script_still_go_to_langdetect():
    assert detect_language(PERSIAN) == langdetect_alone(PERSIAN) == "fa"
    assert detect_language(URDU) == langdetect_alone(URDU) == "ur"


def test_arabic_with_latin_names_and_foreign_letters_is_arabic():
    assert detect_language(ARABIC_WITH_NAMES) == langdetect_alone(ARABIC_WITH_NAMES) == "ar"
    assert detect_language(ARABIC_WITH_VEH) == langdetect_alone(ARABIC_WITH_VEH) == "ar"
    assert detect_language("Il governo italiano ha presentato oggi un nuovo piano per l'accoglienza dei migranti "
                           "a Lampedusa, con trasferimenti verso la terraferma entro tre giorni.") == "it"
