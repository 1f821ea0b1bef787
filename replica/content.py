"""The replica's articles: a deterministic function of (seed, article id, edition).

Nothing is stored: a light index (date, section, language, tags per id) is computed at start-up, a few bytes per
article, so 100,000 articles start in about a second with flat memory, and every article is generated again
from its seed when a page needs it (with a small cache for the hot ones).
"""

from __future__ import annotations

import hashlib
import random
import re
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from urllib.parse import quote
from zoneinfo import ZoneInfo

from . import planted, vocab
from .arabic_dates import dateline, digits, italian_dateline

ROME = ZoneInfo("Europe/Rome")
EDITION1_END = datetime(2025, 6, 30, 18, 0, tzinfo=ROME)
EDITION2_TIME = datetime(2025, 7, 15, 9, 0, tzinfo=ROME)
SPAN = timedelta(days=3 * 365)


@dataclass(frozen=True)
class Section:
    key: str
    name: str  # Arabic, as the site shows it

    @property
    def slug(self) -> str:
        return self.name.replace(" ", "-")


SECTIONS = (
    Section("politics", "سياسة"),
    Section("economy", "اقتصاد"),
    Section("italy", "إيطاليا"),
    Section("arab_world", "العالم العربي"),
    Section("culture", "ثقافة"),
    Section("sports", "رياضة"),
)

ITALIAN_ORGS = ["il Ministero dell'Interno", "la Commissione europea", "la Regione Lazio", "l'Istat",
                "la Banca d'Italia", "il Comune di Roma", "la Protezione civile", "l'Università di Bologna",
                "la Confcommercio", "il Consiglio di Stato"]
ITALIAN_ROLES = ["il ministro", "la sindaca", "il presidente della regione", "l'economista", "il portavoce",
                 "la direttrice", "l'allenatore", "lo scrittore", "l'ambasciatore", "la ricercatrice"]
DATE_SOURCES = ("all", "jsonld", "meta", "time", "dateline-only")
# Markup real Blogger blogs carry (docs/replica.md, "Real Blogger variants"): the classic editor's <br /> runs
# instead of <p>, schema.org microdata with no JSON-LD or article: meta, and no date but the body's dateline.
BLOGGER_VARIANTS = ("classic-editor", "microdata-only", "dateline-only")
BLOGGER_VARIANT_SHARE = 0.25
MONTH_SERIES = ("egyptian",) * 12 + ("levantine",) * 5 + ("maghreb",) * 3
TASHKEEL = ("\u064e", "\u064f", "\u0650", "\u0651", "\u0652")
_WORD = re.compile(r"[\u0621-\u064a]{4,}")
_SLUG_DROP = re.compile(r"[«»\"'“”:،,.؟?!()%]")


def mix(*parts: object) -> int:
    """A stable 64-bit hash of the parts (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


def unit(*parts: object) -> float:
    return mix(*parts) / 2**64


@dataclass
class Article:
    id: int
    lang: str
    section: Section
    tags: list[str]
    author: str
    published: datetime
    modified: datetime
    title: str
    slug: str
    paragraphs: list[str]
    planted: list[dict]
    comments: list[tuple[str, str]]
    image_format: str
    date_sources: str
    og: bool
    dateline_series: str
    digit_style: str
    gzip: bool
    encoding: str = "utf-8"
    large: bool = False
    edited: dict | None = None
    link_to: int | None = None       # an older article linked from the body
    flags: dict = field(default_factory=dict)
    blogger_variants: tuple[str, ...] = ()  # chosen for the blogger theme only (pages.Pages.variants)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


class Site:
    """Which articles exist in an edition, in what order, and everything about each one."""

    def __init__(self, articles: int = 200, seed: int = 1, edition: int = 1):
        if articles < 20:
            raise ValueError("the replica needs at least 20 articles")
        if edition not in (1, 2):
            raise ValueError("edition must be 1 or 2")
        self.n, self.seed, self.edition = articles, seed, edition
        self.new_count = max(3, articles // 20)
        self.total = articles + self.new_count
        self._build_index()
        self._choose_special()
        live = [i for i in range(self.total if edition == 2 else articles)
                if not (edition == 2 and i == self.removed_id)]
        self.live = array("i", live)
        self.live_set = frozenset(live)
        self.by_section = {s.key: array("i") for s in SECTIONS}
        self.by_tag: dict[str, array] = {}
        for i in live:
            section = SECTIONS[self.section_of[i]]
            self.by_section[section.key].append(i)
            for tag in self.tags_of(i):
                self.by_tag.setdefault(tag, array("i")).append(i)
        self.live_published = array("q", (self.published_ts[i] for i in live))
        self.moved_link = True

    def hide_articles(self) -> None:
        """A site whose redesign broke every list: sitemaps, feeds and listings show no article (the pages
        themselves still answer). What the crawl's exit status must notice."""
        self.live = array("i")
        self.live_published = array("q")
        self.by_section = {s.key: array("i") for s in SECTIONS}
        self.by_tag = {}
        self.most_read_ids = []
        self.moved_link = False

    # -- the light index -------------------------------------------------------------------------------------
    def _build_index(self) -> None:
        step = SPAN / self.n
        self.published_ts = array("q")
        self.section_of = bytearray()
        self.lang_of = bytearray()  # 0 = ar, 1 = it
        self.tag_idx = bytearray()  # three tag indexes per article into its section's tag list
        for i in range(self.total):
            h = mix(self.seed, i, "index")
            if i < self.n:
                # jitter < step/2 keeps publication order = id order; the last one is the edition's end
                when = EDITION1_END - step * (self.n - 1 - i) - step * ((h & 0xFFFF) / 0x1FFFF)
            else:
                when = EDITION1_END + timedelta(hours=7 * (i - self.n + 1))
            when = when.replace(second=0, microsecond=0)
            self.published_ts.append(int(when.timestamp()))
            self.section_of.append((h >> 16) % len(SECTIONS))
            self.lang_of.append(1 if ((h >> 24) & 0xFF) < 26 else 0)  # about 10% Italian
            tags = vocab.TAGS[SECTIONS[self.section_of[i]].key]
            first = (h >> 32) % len(tags)
            count = 1 + (h >> 40) % 3
            chosen = [(first + k * (1 + (h >> 48) % 5)) % len(tags) for k in range(count)]
            chosen = list(dict.fromkeys(chosen)) + [255] * 3
            self.tag_idx.extend(chosen[:3])

    def _choose_special(self) -> None:
        """Articles with a role: the legacy windows-1256 page, the very large page, the moved one, edits."""
        arabic = [i for i in range(self.n) if not self.lang_of[i]]
        order = sorted(arabic, key=lambda i: mix(self.seed, i, "special"))
        self.legacy_id, self.large_id, self.moved_id, self.removed_id = order[:4]
        special = set(order[:4])
        edits = max(3, self.n // 25)
        self.edited_ids = frozenset(sorted((i for i in range(self.n) if i not in special),
                                           key=lambda i: mix(self.seed, i, "edit"))[:edits])

    def tags_of(self, i: int) -> list[str]:
        tags = vocab.TAGS[SECTIONS[self.section_of[i]].key]
        return [tags[t] for t in self.tag_idx[3 * i: 3 * i + 3] if t != 255]

    def published(self, i: int) -> datetime:
        return datetime.fromtimestamp(self.published_ts[i], ROME)

    def modified(self, i: int) -> datetime:
        """Cheap (no article generation), so sitemaps of 100,000 articles stay fast."""
        if self.edition == 2 and i in self.edited_ids:
            return EDITION2_TIME - timedelta(hours=1 + i % 20)
        published = self.published(i)
        h = mix(self.seed, i, "modified")
        if i >= self.n or h % 10 >= 3:  # about 30% of articles were updated after publication
            return published
        return min(published + timedelta(hours=1 + (h >> 8) % 30, minutes=(h >> 16) % 60), EDITION1_END)

    def lang(self, i: int) -> str:
        return "it" if self.lang_of[i] else "ar"

    def newest_first(self, ids: array | list[int]) -> list[int]:
        return list(reversed(ids))

    def live_between(self, start: datetime, end: datetime) -> list[int]:
        """Live ids published in [start, end), oldest first."""
        lo = bisect_left(self.live_published, int(start.timestamp()))
        hi = bisect_left(self.live_published, int(end.timestamp()))
        return list(self.live[lo:hi])

    @cached_property
    def month_counts(self) -> list[tuple[int, int, int]]:
        return self.months()

    def months(self) -> list[tuple[int, int, int]]:
        """(year, month, count) of live articles, newest month first."""
        counts: dict[tuple[int, int], int] = {}
        for i in self.live:
            when = self.published(i)
            counts[(when.year, when.month)] = counts.get((when.year, when.month), 0) + 1
        return [(y, m, c) for (y, m), c in sorted(counts.items(), reverse=True)]

    @cached_property
    def most_read_ids(self) -> list[int]:
        """The sidebar's 'most read' list: site-wide, different in each edition (chrome, not content)."""
        picks = []
        k = 0
        while len(picks) < 5:
            i = self.live[mix(self.seed, self.edition, k, "most-read") % len(self.live)]
            if i != self.large_id and i not in picks:
                picks.append(i)
            k += 1
        return picks

    def most_read(self) -> list[int]:
        return self.most_read_ids

    def related(self, i: int) -> list[int]:
        ids = self.by_section[SECTIONS[self.section_of[i]].key]
        pos = bisect_right(ids, i)
        before = [j for j in ids[max(0, pos - 4): pos] if j != i]
        after = [j for j in ids[pos: pos + 3]]
        return (before[::-1] + after)[:3]

    # -- slugs -----------------------------------------------------------------------------------------------
    def slug(self, i: int) -> str:
        return self._month_slugs(*self._month_of(i))[i]

    def _month_of(self, i: int) -> tuple[int, int]:
        when = self.published(i)
        return when.year, when.month

    @lru_cache(maxsize=512)  # noqa: B019 - one Site per server process; the cache lives as long as it
    def _month_slugs(self, year: int, month: int) -> dict[int, str]:
        """Slugs of every article of a month, made unique within the month the way WordPress does (-2, -3)."""
        start = datetime(year, month, 1, tzinfo=ROME)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=ROME)
        lo = bisect_left(self.published_ts, int(start.timestamp()))
        hi = bisect_left(self.published_ts, int(end.timestamp()))
        seen: dict[str, int] = {}
        slugs: dict[int, str] = {}
        for i in range(lo, hi):
            base = slugify(self.original_title(i), self.lang(i))
            seen[base] = seen.get(base, 0) + 1
            slugs[i] = base if seen[base] == 1 else f"{base}-{seen[base]}"
        return slugs

    def slug_lookup(self, year: int, month: int, slug: str) -> int | None:
        for i, s in self._month_slugs(year, month).items():
            if s == slug:
                return i
        return None

    # -- articles --------------------------------------------------------------------------------------------
    @lru_cache(maxsize=200_000)  # noqa: B019
    def original_title(self, i: int) -> str:
        return self._fill(i)[0]

    def title(self, i: int) -> str:
        article = self.article(i) if i in self.edited_ids and self.edition == 2 else None
        return article.title if article else self.original_title(i)

    def _people(self, rng: random.Random, count: int) -> list[tuple[str, str, str]]:
        return rng.sample(vocab.PEOPLE, count)

    def _fill(self, i: int) -> tuple[str, dict]:
        """The article's title and the slot values its sentences share."""
        rng = random.Random(mix(self.seed, i, "slots"))
        people = self._people(rng, 3)
        places = rng.sample(vocab.PLACES, 3)
        key = SECTIONS[self.section_of[i]].key
        lang = self.lang(i)
        slots = {
            "people": people, "places": places, "number": str(rng.randint(12, 980)),
            "percent": f"%{rng.randint(5, 95)}", "year": str(rng.randint(2015, 2024)),
        }
        if lang == "it":
            slots.update(org=rng.choice(ITALIAN_ORGS), topic=rng.choice(vocab.ITALIAN_TOPICS),
                         role=rng.choice(ITALIAN_ROLES))
            template = rng.choice(vocab.ITALIAN_TITLE_TEMPLATES)
            values = {"person": people[0][1], "place": places[0][1], "place2": places[1][1]}
        else:
            slots.update(org=rng.choice(vocab.ORGS), topic=rng.choice(vocab.TOPICS[key]), role=people[0][2])
            template = rng.choice(vocab.TITLE_TEMPLATES[key])
            values = {"person": f"«{people[0][0]}»", "place": places[0][0], "place2": places[1][0]}
        values.update(org=slots["org"], topic=slots["topic"], number=slots["number"])
        title = " ".join(template.format(**values).split())
        return title, slots

    def article(self, i: int) -> Article:
        return _generate(self, i)


@lru_cache(maxsize=4096)
def _generate(site: Site, i: int) -> Article:
    title, slots = site._fill(i)
    rng = random.Random(mix(site.seed, i, "body"))
    lang = site.lang(i)
    section = SECTIONS[site.section_of[i]]
    published = site.published(i)
    modified = site.modified(i)
    series = MONTH_SERIES[(i * 7 + site.seed) % len(MONTH_SERIES)]
    digit_style = "arabic-indic" if i % 7 == 3 else "western"
    legacy = i == site.legacy_id
    if legacy:
        digit_style = "western"
    people = slots["people"]
    if lang == "it":
        author = vocab.ITALIAN_AUTHORS[mix(site.seed, i, "author") % len(vocab.ITALIAN_AUTHORS)]
        sentences = _sentences(rng, vocab.ITALIAN_SENTENCE_TEMPLATES, slots, italian=True)
        opening = italian_dateline(published)
    else:
        author = vocab.AUTHORS[mix(site.seed, i, "author") % len(vocab.AUTHORS)]
        pool = vocab.SENTENCE_TEMPLATES[section.key] + vocab.SENTENCE_TEMPLATES["generic"]
        sentences = _sentences(rng, pool, slots, italian=False)
        opening = dateline(published, series, digit_style)
        if i % 4 == 1 and not legacy:
            sentences = [_decorate(s, rng) for s in sentences]
        if digit_style == "arabic-indic":
            sentences = [digits(s, digit_style) for s in sentences]
    paragraphs = _paragraphs(sentences, rng)
    plants = [] if legacy else _plant(site, i, lang, rng, paragraphs)
    paragraphs[0] = opening + paragraphs[0]
    comments = _comments(rng, people, 6000 if i == site.large_id else rng.randint(0, 6))
    article = Article(
        id=i, lang=lang, section=section, tags=site.tags_of(i), author=author, published=published,
        modified=modified, title=title, slug=site.slug(i), paragraphs=paragraphs, planted=plants,
        comments=comments, image_format=image_format(i),
        date_sources=DATE_SOURCES[(i + site.seed) % len(DATE_SOURCES)],
        og=(i // 5 + site.seed) % 4 != 0, dateline_series=series if lang == "ar" else "italian",
        digit_style=digit_style if lang == "ar" else "western",
        gzip=not (i == site.large_id or mix(site.seed, i, "gzip") % 10 == 0),
        encoding="windows-1256" if legacy else "utf-8", large=i == site.large_id,
        blogger_variants=() if legacy else blogger_variants(site.seed, i),
    )
    older = [j for j in site.related(i) if j < i]
    article.link_to = older[0] if older and i % 3 == 0 else None
    if site.edition == 2 and i in site.edited_ids:
        _edit(site, article)
    return article


def blogger_variants(seed: int, i: int) -> tuple[str, ...]:
    """The real-Blogger variants a post is written in on the blogger theme: about a quarter of the posts, each with
    one of the seven non-empty combinations of BLOGGER_VARIANTS; the others none."""
    if unit(seed, i, "blogger-variants") >= BLOGGER_VARIANT_SHARE:
        return ()
    mask = 1 + mix(seed, i, "blogger-variant-set") % 7
    return tuple(v for k, v in enumerate(BLOGGER_VARIANTS) if mask >> k & 1)


def image_format(i: int) -> str:
    return "png" if i % 4 == 2 else "jpg"


def _person(person: tuple[str, str, str], mentioned: set, italian: bool) -> str:
    if italian:
        return person[1]
    if person[0] in mentioned:
        return f"«{person[0]}»"
    mentioned.add(person[0])
    return f"«{person[0]}» ({person[1]})"


def _sentences(rng: random.Random, pool: list[str], slots: dict, italian: bool) -> list[str]:
    people, places = slots["people"], slots["places"]
    mentioned: set[str] = set()
    chosen = rng.sample(pool, min(len(pool), rng.randint(12, 24)))
    out = []
    for template in chosen:
        p1, p2 = rng.sample(people, 2)
        pl1, pl2 = rng.sample(places, 2)
        col = 1 if italian else 0
        values = {
            "person": _person(p1, mentioned, italian) if "{person}" in template else "",
            "person2": _person(p2, mentioned, italian) if "{person2}" in template else "",
            "role": slots["role"] if italian else p1[2], "place": pl1[col], "place2": pl2[col],
            "org": slots["org"], "topic": slots["topic"], "number": str(rng.randint(3, 999)),
            "percent": f"%{rng.randint(3, 97)}", "year": slots["year"],
        }
        out.append(" ".join(template.format(**values).split()))
    return out


def _decorate(sentence: str, rng: random.Random) -> str:
    """Tashkeel on one word and tatweel in another, as some writers on the site do."""
    words = _WORD.findall(sentence)
    if not words:
        return sentence
    word = rng.choice(words)
    k = rng.randint(1, len(word) - 2)
    marked = word[:k] + rng.choice(TASHKEEL) + word[k:-1] + "\u064f" + word[-1]  # e.g. a shadda and a damma
    sentence = sentence.replace(word, marked, 1)
    words = [w for w in _WORD.findall(sentence) if w != word]
    if words and rng.random() < 0.5:
        word = rng.choice(words)
        sentence = sentence.replace(word, word[:2] + "ـــ" + word[2:], 1)
    return sentence


def _paragraphs(sentences: list[str], rng: random.Random) -> list[str]:
    paragraphs, k = [], 0
    while k < len(sentences):
        size = rng.randint(2, 4)
        paragraphs.append(" ".join(sentences[k: k + size]))
        k += size
    return paragraphs


def _plant(site: Site, i: int, lang: str, rng: random.Random, paragraphs: list[str]) -> list[dict]:
    """Put two or three recorded forms of planted words into the body."""
    candidates = planted.pairs(lang)
    picks = []
    for salt in range(3 if lang == "it" else 2):
        family, form = candidates[mix(site.seed, i, "plant", salt) % len(candidates)]
        if all(family.key != f.key for f, _ in picks):
            picks.append((family, form))
    records = []
    for n, (family, form) in enumerate(picks):
        sentence = planted.render(family, form, rng.randint(0, 9))
        # never the first paragraph (the dateline) nor the last one (edition 2 edits it)
        target = 1 + n % max(1, len(paragraphs) - 2)
        paragraphs[target] = f"{paragraphs[target]} {sentence}"
        records.append({"family": family.key, "form": form.text, "kind": form.kind})
    return records


def _comments(rng: random.Random, people: list, count: int) -> list[tuple[str, str]]:
    out = []
    for _ in range(count):
        template = rng.choice(vocab.COMMENT_TEMPLATES)
        text = template.format(person=f"«{rng.choice(people)[0]}»", place=rng.choice(vocab.PLACES)[0])
        out.append((rng.choice(vocab.COMMENTERS), text))
    return out


EDIT_SENTENCES_AR = (
    "وفي تحديث لاحق، أكدت مصادر مطلعة أن المفاوضات ستستأنف مطلع الأسبوع المقبل.",
    "وأضاف البيان الصادر مساء اليوم أن اللجنة ستنشر تقريرها النهائي قبل نهاية الشهر.",
    "وتم تعديل هذا الخبر بعد ورود معلومات جديدة من مصادر رسمية في العاصمة.",
)
EDIT_SENTENCES_IT = (
    "Aggiornamento: secondo fonti ufficiali il confronto riprenderà all'inizio della prossima settimana.",
    "In serata è arrivata la conferma che il rapporto finale sarà pubblicato entro fine mese.",
)


def _edit(site: Site, article: Article) -> None:
    """Edition 2's change to an article: a sentence added, a sentence replaced, or the title reworded."""
    kinds = ("sentence-added", "sentence-changed", "title-changed")
    kind = kinds[mix(site.seed, article.id, "edit-kind") % 3]
    extra = (EDIT_SENTENCES_IT if article.lang == "it" else EDIT_SENTENCES_AR)[article.id % 2]
    before_title = article.title
    if kind == "sentence-added":
        article.paragraphs[-1] = f"{article.paragraphs[-1]} {extra}"
    else:
        target = len(article.paragraphs) - 1
        last = article.paragraphs[target]
        cut = max(last.rfind(". ", 0, len(last) - 2), last.rfind(".", 0, len(last) - 2))
        article.paragraphs[target] = (last[: cut + 1] + " " + extra) if cut > 0 else extra
        if kind == "title-changed":
            suffix = " (aggiornato)" if article.lang == "it" else " (محدث)"
            article.title = article.title + suffix
    article.edited = {"kind": kind, "title_before": before_title, "sentence": extra}


def slugify(title: str, lang: str) -> str:
    """An article slug as WordPress makes it: the title's first words, joined with dashes."""
    words = _SLUG_DROP.sub(" ", title).replace("-", " ").split()
    words = [w for w in words if w]
    if lang == "it":
        import unicodedata
        ascii_words = []
        for w in words:
            plain = unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode().lower()
            plain = re.sub(r"[^a-z0-9]", "", plain)
            if plain:
                ascii_words.append(plain)
        words = ascii_words
    return "-".join(words[:7]) or "post"


def quote_path(path: str) -> str:
    """Percent-encode a path the way the site writes its links: UTF-8, upper-case hex."""
    return quote(path, safe="/-_.~")
