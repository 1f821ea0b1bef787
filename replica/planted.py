"""Search ground truth: known words planted in known surface forms.

Search tests must not derive their expectations from the project's own normaliser (it would grade itself). So
the generator plants a few distinctive words, each in a recorded surface form — with tashkeel, tatweel, a clitic,
another alef or hamza seat, ة written ه, digits in three scripts, an Italian accent dropped — and the manifest
says which article holds which form. The sentence material in `vocab` never contains these words, which a
replica test checks, so "every article that holds a form of X" is exactly the set a search for X must return.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Form:
    text: str   # the surface form, exactly as it appears in the article text
    kind: str   # what variation it is: "plain", "tashkeel", "clitic-wa", "alef", ...


@dataclass(frozen=True)
class Family:
    key: str
    lang: str              # the language of the articles it is planted in
    base: str              # the form a researcher would type
    forms: tuple[Form, ...]
    frames: tuple[str, ...]  # sentences with a {form} slot


def _forms(*pairs: tuple[str, str]) -> tuple[Form, ...]:
    return tuple(Form(text, kind) for text, kind in pairs)


FAMILIES: tuple[Family, ...] = (
    Family(
        "putin", "ar", "بوتين",
        _forms(("بوتين", "plain"), ("بُوتِين", "tashkeel"), ("بوتـــين", "tatweel"), ("«بوتين»", "guillemets"),
               ("وبوتين", "clitic-wa"), ("لبوتين", "clitic-li")),
        ("وتطرق المتحدثون إلى مواقف {form} من الملفات المطروحة على الطاولة.",
         "ولم تصدر عن مكتب {form} أي تعليقات رسمية حتى ساعة متأخرة من المساء.",
         "ويرى مراقبون أن رسالة {form} كانت موجهة إلى العواصم الغربية قبل أي طرف آخر."),
    ),
    Family(
        "assad", "ar", "الأسد",
        _forms(("الأسد", "plain"), ("الاسد", "alef"), ("والأسد", "clitic-wal"), ("فالأسد", "clitic-fal"),
               ("بالأسد", "clitic-bal"), ("كالأسد", "clitic-kal"), ("للأسد", "clitic-lil"),
               ("«الأسد»", "guillemets"), ("الأَسَد", "tashkeel")),
        ("وأشارت المصادر إلى أن ملف {form} حضر بقوة في النقاشات المغلقة.",
         "وتحدث الشهود عن صورة كبيرة تحمل اسم {form} عند مدخل القاعة.",
         "واعتبر محللون أن الموقف من {form} سيحدد شكل المرحلة المقبلة."),
    ),
    Family(
        "milan", "ar", "ميلانو",
        _forms(("ميلانو", "plain"), ("وميلانو", "clitic-wa"), ("فميلانو", "clitic-fa"), ("بميلانو", "clitic-bi"),
               ("كميلانو", "clitic-ka"), ("لميلانو", "clitic-li")),
        ("وجرت اللقاءات بين روما {form} على مدى ثلاثة أيام متتالية.",
         "ووصل الوفد إلى المدينة قادما من تورينو {form} بحسب البرنامج المعلن.",
         "وتشهد المدن الكبرى {form} ارتفاعا ملحوظا في أسعار الإيجارات."),
    ),
    Family(
        "responsibility", "ar", "مسؤولية",
        _forms(("مسؤولية", "hamza-waw"), ("مسئولية", "hamza-ya"), ("المسؤولية", "hamza-waw-al"),
               ("المسئولية", "hamza-ya-al")),
        ("وحمّل البيان الجهات المعنية {form} ما جرى خلال الأسابيع الماضية.",
         "وقال المتحدث إن {form} الحفاظ على الاستقرار تقع على عاتق الجميع.",
         "وتثير القضية أسئلة جدية حول {form} الإدارة المحلية."),
    ),
    Family(
        "sicily", "ar", "صقلية",
        _forms(("صقلية", "ta-marbuta"), ("صقليه", "ha-for-ta")),
        ("وتستعد جزيرة {form} لاستقبال آلاف الزوار خلال الصيف المقبل.",
         "وأعلنت سلطات {form} عن خطة جديدة لدعم الصيادين المحليين."),
    ),
    Family(
        "hospital", "ar", "مستشفى",
        _forms(("مستشفى", "alef-maqsura"), ("مستشفي", "ya-for-alef-maqsura")),
        ("ونقل المصابون إلى {form} المدينة حيث تلقوا العلاج اللازم.",
         "وأكدت إدارة {form} الجامعة أن الحالات مستقرة."),
    ),
    Family(
        "istanbul", "ar", "إسطنبول",
        _forms(("إسطنبول", "alef-hamza-below"), ("اسطنبول", "alef-bare"), ("أسطنبول", "alef-hamza-above"),
               ("آسطنبول", "alef-madda")),
        ("وعقد الاجتماع التمهيدي في {form} بحضور ممثلين عن عدة دول.",
         "وغادرت الطائرة مطار {form} متجهة إلى روما بعد تأخير قصير."),
    ),
    Family(
        "number-7319", "ar", "7319",
        _forms(("7319", "digits-western"), ("٧٣١٩", "digits-arabic-indic"), ("۷۳۱۹", "digits-persian")),
        ("وبلغ عدد الطلبات المسجلة {form} طلبا حتى نهاية الشهر.",
         "وأحصت الجمعية {form} مستفيدا من برامجها خلال العام."),
    ),
    Family(
        "tagliaferri", "ar", "Tagliaferri",
        _forms(("Tagliaferri", "latin-in-arabic"),),
        ("وقال الخبير «ماركو تاليافيري» ({form}) إن الأرقام تحتاج إلى قراءة متأنية.",
         "ونقلت الصحيفة عن الباحث «ماركو تاليافيري» (Marco {form}) قوله إن الوضع معقد."),
    ),
    Family(
        "corridor", "ar", "الممر الإنساني",
        _forms(("الممر الإنساني", "phrase"), ("الممر|الإنساني", "split")),
        ("وطالبت المنظمات بإعادة فتح {form} في أقرب وقت ممكن.",
         "وأكد العاملون الميدانيون أن {form} ظل مغلقا طوال الليل."),
    ),
    Family(
        "parliament", "ar", "برلمان*",
        _forms(("البرلمان", "prefix"), ("برلماني", "prefix"), ("البرلمانية", "prefix"), ("برلمانيون", "prefix"),
               ("والبرلمان", "prefix-clitic")),
        ("وناقشت الجلسة ما وصف بأنه تحول في أداء {form} خلال الدورة الحالية.",
         "وتابع الحضور كلمة {form} باهتمام كبير."),
    ),
    Family(
        "caffe", "it", "caffè",
        _forms(("caffè", "accent"), ("caffe", "no-accent")),
        ("Al termine dell'incontro i delegati si sono fermati per un {form} in piazza.",
         "Il prezzo del {form} al bancone è salito ancora secondo l'associazione dei consumatori."),
    ),
    Family(
        "liberta", "it", "libertà",
        _forms(("libertà", "accent"), ("liberta", "no-accent")),
        ("Il corteo ha sfilato con striscioni dedicati alla {form} di stampa.",
         "Secondo il documento la {form} di movimento resta un principio irrinunciabile."),
    ),
    Family(
        "vigneto", "it", "vigneto",
        _forms(("vigneto", "singular"), ("vigneti", "plural")),
        ("La grandinata ha colpito un {form} storico sulle colline della zona.",
         "I tecnici hanno visitato ogni {form} della provincia per stimare i danni."),
    ),
    Family(
        "sindacato", "it", "sindacato",
        _forms(("sindacato", "singular"), ("sindacati", "plural")),
        ("Il {form} ha chiesto un incontro urgente con la direzione aziendale.",
         "Secondo il {form} la trattativa potrebbe riprendere già la prossima settimana."),
    ),
)

BY_KEY = {family.key: family for family in FAMILIES}

# Reserved substrings: the generic sentence material must contain none of them (checked by tests).
RESERVED = (
    "بوتين", "الأسد", "الاسد", "أسد", "اسد", "ميلانو", "مسؤول", "مسئول", "صقلي", "مستشف", "سطنبول", "7319",
    "٧٣١٩", "۷۳۱۹", "tagliaferri", "تاليافير", "الممر", "ممر", "إنساني", "انساني", "caff", "libert", "vignet",
    "sindacat", "برلمان",
)


def pairs(lang: str) -> list[tuple[Family, Form]]:
    """Every (family, form) of a language, in a fixed order the generator cycles through."""
    return [(family, form) for family in FAMILIES if family.lang == lang for form in family.forms]


def render(family: Family, form: Form, frame_index: int) -> str:
    """One sentence holding the form. A split phrase puts its two words far apart."""
    if form.kind == "split":
        first, second = form.text.split("|")
        return (f"وبقي {first} الشمالي مغلقا أمام الشاحنات، في حين واصل الطاقم الطبي عمله "
                f"{second} في المخيمات القريبة رغم الصعوبات.")
    frame = family.frames[frame_index % len(family.frames)]
    return frame.format(form=form.text)
