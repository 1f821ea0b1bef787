"""The Pelican site's articles and pages: Arabic and Italian news in the site's own style, as Pelican sources.

The text comes from the replica's generator (replica/content.py: sections, tags, authors, people with their Latin
spelling at first mention, the site's dateline), so it reads like the real site without copying a line of it. What
is Pelican's own is the shape: Markdown for the Arabic articles, reStructuredText for the Italian ones, metadata
fields (Title, Date, Modified, Category, Tags, Author, Slug, Lang), three static pages and Pelican's archives.

Edition 1: 120 articles, oldest first. Fifteen of the twenty oldest are short briefs (120 to 150 words, no dateline):
older than the 100 newest, so in no feed, listed only by the sitemap and the paginated listings. Every fifth
article has a `Modified:` from the start. Edition 2 adds four articles, edits one with a new `Modified:`, edits one
leaving its dates alone, and deletes one. Deterministic: a test knows exactly what must be stored.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache

from replica.content import EDITION1_END, Site, slugify

DEFAULT_LANG = "ar"
ARTICLES = 120
NEW = 4
SEED = 28
FEED_ITEMS = 100
SHORT = tuple(n for n in range(20) if n % 4 != 1)          # 15 of the 20 oldest
SHORT_WORDS = (120, 150)
EDITION2_TIME = EDITION1_END + timedelta(days=10)


@dataclass(frozen=True)
class Post:
    n: int
    lang: str
    title: str
    slug: str
    category: str
    tags: tuple[str, ...]
    author: str
    date: datetime
    modified: datetime | None
    paragraphs: tuple[str, ...]
    short: bool = False

    @property
    def path(self) -> str:
        """Pelican's default ARTICLE_URL, '{slug}.html' (ARTICLE_LANG_URL, '{slug}-{lang}.html', for an article
        not in the site's language), unquoted."""
        return f"/{self.slug}.html" if self.lang == DEFAULT_LANG else f"/{self.slug}-{self.lang}.html"

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def filename(self) -> str:
        return f"{self.n:03d}.{'rst' if self.lang == 'it' else 'md'}"

    def source(self) -> str:
        """The article as its author writes it for Pelican."""
        fields = {"Title": self.title, "Date": f"{self.date:%Y-%m-%d %H:%M}",
                  "Modified": f"{self.modified:%Y-%m-%d %H:%M}" if self.modified else None,
                  "Category": self.category, "Tags": ", ".join(self.tags), "Author": self.author,
                  "Slug": self.slug, "Lang": self.lang}
        if self.lang == "it":  # reStructuredText: a title underlined, then :field: lines
            head = [self.title, "#" * (2 * len(self.title))]
            head += [f":{k.lower()}: {v}" for k, v in fields.items() if v and k != "Title"]
        else:
            head = [f"{k}: {v}" for k, v in fields.items() if v]
        return "\n".join(head) + "\n\n" + "\n\n".join(self.paragraphs) + "\n"


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def path(self) -> str:
        """Pelican's default PAGE_URL."""
        return f"/pages/{self.slug}.html"

    def source(self) -> str:
        return f"Title: {self.title}\nSlug: {self.slug}\n\n" + "\n\n".join(self.paragraphs) + "\n"


PAGES = (
    Page("about", "من نحن", (
        "«الإيطالية نيوز» موقع إخباري مستقل يصدر باللغة العربية من روما، ويهتم بالشأن الإيطالي وبعلاقات إيطاليا "
        "بالعالم العربي ومنطقة البحر الأبيض المتوسط.",
        "يعمل في الموقع فريق صغير من المحررين والمترجمين في إيطاليا وتونس والمغرب ولبنان، ينقلون الأخبار عن "
        "المصادر الإيطالية الرسمية والصحف المحلية، ويكتبون تقارير خاصة عن السياسة والاقتصاد والثقافة والرياضة.",
        "نؤمن بأن القارئ العربي في إيطاليا وخارجها يستحق خبرا دقيقا بلغته، بعيدا عن الإثارة، مع ذكر المصدر "
        "كلما أمكن، وكتابة الأسماء الإيطالية بحروفها اللاتينية عند ذكرها أول مرة.",
        "لاقتراح موضوع أو لتصحيح خطأ وقع في أحد الأخبار، يسعدنا تواصلكم عبر صفحة الاتصال.",
    )),
    Page("contact", "اتصل بنا", (
        "يسعد فريق تحرير «الإيطالية نيوز» بتلقي رسائلكم واقتراحاتكم وملاحظاتكم على ما ننشره.",
        "للتواصل مع التحرير: redazione@alitaliya.example — نرد على الرسائل خلال يومي عمل في العادة.",
        "للإعلان في الموقع أو لطلب شراكة إعلامية، يرجى ذكر اسم المؤسسة وطبيعة التعاون المقترح في الرسالة.",
        "العنوان البريدي: شارع نازيونالي، روما، إيطاليا. لا نستقبل الزوار في مقر التحرير إلا بموعد مسبق.",
    )),
    Page("privacy", "سياسة الخصوصية", (
        "آخر تحديث: 1 مارس 2021",
        "تشرح هذه الصفحة كيف يتعامل موقع «الإيطالية نيوز» مع البيانات الشخصية لزواره، وفقا للائحة الأوروبية "
        "العامة لحماية البيانات المعمول بها في إيطاليا.",
        "لا يطلب الموقع من زواره التسجيل، ولا يجمع أسماءهم أو عناوين بريدهم إلا إذا راسلونا بأنفسهم، وعندها "
        "نحتفظ بالرسالة للرد عليها فقط ولا نشاركها مع أي طرف آخر.",
        "يحفظ الخادم سجلات الزيارات المعتادة، ومنها عنوان الجهاز ونوع المتصفح ووقت الزيارة، لمدة لا تتجاوز "
        "ثلاثين يوما، لأغراض الأمان وقياس عدد الزوار فقط.",
        "يحق لكل زائر أن يطلب الاطلاع على بياناته أو تصحيحها أو حذفها، بمراسلة التحرير عبر صفحة الاتصال.",
    )),
)


def _sentences(paragraph: str) -> list[str]:
    parts = [p.strip() for p in paragraph.replace(". ", ".\n").split("\n")]
    return [p for p in parts if p]


def _brief(paragraphs: list[str], n: int) -> tuple[str, ...]:
    """A short item made from a full article: its sentences, no dateline, between 120 and 150 words."""
    sentences = [s for p in paragraphs for s in _sentences(p)]
    sentences[0] = sentences[0].split(" - ", 1)[-1]
    target = random.Random(SEED * 1009 + n).randint(*SHORT_WORDS)
    chosen: list[str] = []
    count = 0
    for sentence in sentences:
        size = len(sentence.split())
        if count + size <= target:
            chosen.append(sentence)
            count += size
    if count < SHORT_WORDS[0]:  # the shortest sentences did not fill it: cut the next one at a word
        rest = next(s for s in sentences if s not in chosen).split()
        chosen.append(" ".join(rest[:SHORT_WORDS[0] - count]) + ".")
    half = max(1, len(chosen) // 2)
    return (" ".join(chosen[:half]), " ".join(chosen[half:])) if len(chosen) > 1 else tuple(chosen)


@cache
def _source() -> Site:
    return Site(articles=ARTICLES, seed=SEED)


def _post(n: int, slugs: dict[str, int]) -> Post:
    a = _source().article(n)
    slug = slugify(a.title, a.lang)
    if slugs.setdefault(slug, n) != n:
        slug = f"{slug}-{n}"
    short = n in SHORT
    modified = a.published + timedelta(hours=3 + n % 40) if n % 5 == 2 else None
    paragraphs = _brief(a.paragraphs, n) if short else tuple(a.paragraphs)
    return Post(n, a.lang, a.title, slug, a.section.name, tuple(a.tags), a.author, a.published, modified,
                paragraphs, short)


@cache
def edition1() -> tuple[Post, ...]:
    slugs: dict[str, int] = {}
    return tuple(_post(n, slugs) for n in range(ARTICLES))


def _pick(start: int, taken: set[int]) -> int:
    """The first Arabic article from `start` on that is not short, has no Modified, and plays no other part."""
    posts = edition1()
    n = next(p.n for p in posts[start:] if p.lang == "ar" and not p.short and p.modified is None and p.n not in taken)
    taken.add(n)
    return n


_taken: set[int] = set()
EDITED_WITH_MODIFIED = _pick(104, _taken)     # a new sentence and a new Modified
EDITED_QUIETLY = _pick(80, _taken)            # a new sentence, the dates left alone
DELETED = _pick(60, _taken)
ADDENDUM = {
    EDITED_WITH_MODIFIED: "وفي تحديث لاحق، أعلنت الجهات المعنية أن الاجتماع القادم سيعقد في روما منتصف الشهر المقبل.",
    EDITED_QUIETLY: "وأوضح مصدر في الوزارة أن الأرقام الواردة في التقرير أولية وقد تراجع بعد اكتمال الإحصاء.",
}


@cache
def edition2() -> tuple[Post, ...]:
    slugs = {p.slug: p.n for p in edition1()}
    out = []
    for p in edition1():
        if p.n == DELETED:
            continue
        if p.n in ADDENDUM:
            paragraphs = (*p.paragraphs[:-1], f"{p.paragraphs[-1]} {ADDENDUM[p.n]}")
            modified = EDITION2_TIME if p.n == EDITED_WITH_MODIFIED else p.modified
            p = replace(p, paragraphs=paragraphs, modified=modified)
        out.append(p)
    out += [_post(n, slugs) for n in range(ARTICLES, ARTICLES + NEW)]
    return tuple(out)


def edition(number: int) -> tuple[Post, ...]:
    return edition1() if number == 1 else edition2()


def in_feeds(posts: tuple[Post, ...]) -> set[int]:
    """The articles Pelican's feeds carry: the FEED_ITEMS newest."""
    return {p.n for p in sorted(posts, key=lambda p: p.date)[-FEED_ITEMS:]}
