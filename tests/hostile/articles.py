"""The hostile site's real articles: varied Arabic news in the site's own style, made from the replica's vocabulary.

Each article has a title ("… - الإيطالية نيوز" in <title>), a body opened by the site's dateline ("الإيطالية نيوز،
الثلاثاء 14 سبتمبر 2021 - "), names in «» with their Latin spelling in parentheses at first mention, and a dated
WordPress path. Deterministic: the same seed gives the same articles, so a test knows exactly what must be stored.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from replica import vocab
from replica.arabic_dates import SITE_NAME, dateline
from replica.content import quote_path, slugify

ROME = ZoneInfo("Europe/Rome")
FIRST = datetime(2021, 9, 1, 9, 30, tzinfo=ROME)


@dataclass(frozen=True)
class Article:
    n: int
    title: str
    paragraphs: tuple[str, ...]
    published: datetime
    path: str                 # /YYYY/MM/DD/slug/, the slug percent-encoded as WordPress writes it
    section: str

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def plain(self) -> Article:
        """The same article without «» (ISO-8859-6 has no guillemets: the site's legacy pages use quotes)."""
        def swap(s: str) -> str:
            return s.replace("«", '"').replace("»", '"')
        return Article(self.n, swap(self.title), tuple(swap(p) for p in self.paragraphs), self.published,
                       self.path, self.section)


def _person(person: tuple[str, str, str], mentioned: set[str]) -> str:
    if person[0] in mentioned:
        return f"«{person[0]}»"
    mentioned.add(person[0])
    return f"«{person[0]}» ({person[1]})"


def article(n: int, seed: int = 27) -> Article:
    """Article number n: a section, three people, two places, a topic; 9 to 15 sentences in 3 to 6 paragraphs."""
    rng = random.Random(seed * 100_003 + n)
    section = vocab.SECTION_KEYS[n % len(vocab.SECTION_KEYS)]
    people = rng.sample(vocab.PEOPLE, 3)
    places = rng.sample(vocab.PLACES, 3)
    topic, org = rng.choice(vocab.TOPICS[section]), rng.choice(vocab.ORGS)
    year = str(rng.randint(2015, 2020))
    title_values = {"person": f"«{people[0][0]}»", "place": places[0][0], "place2": places[1][0], "org": org,
                    "topic": topic, "number": str(rng.randint(12, 900))}
    title = " ".join(rng.choice(vocab.TITLE_TEMPLATES[section]).format(**title_values).split())
    mentioned: set[str] = set()
    pool = vocab.SENTENCE_TEMPLATES[section] + vocab.SENTENCE_TEMPLATES["generic"]
    sentences = []
    for template in rng.sample(pool, rng.randint(9, 15)):
        p1, p2 = rng.sample(people, 2)
        pl1, pl2 = rng.sample(places, 2)
        values = {"person": _person(p1, mentioned) if "{person}" in template else "",
                  "person2": _person(p2, mentioned) if "{person2}" in template else "",
                  "role": p1[2], "place": pl1[0], "place2": pl2[0], "org": org, "topic": topic,
                  "number": str(rng.randint(3, 999)), "percent": f"%{rng.randint(3, 97)}", "year": year}
        sentences.append(" ".join(template.format(**values).split()))
    paragraphs, k = [], 0
    while k < len(sentences):
        size = rng.randint(2, 3)
        paragraphs.append(" ".join(sentences[k:k + size]))
        k += size
    published = FIRST + timedelta(days=2 * n, hours=rng.randint(0, 9), minutes=rng.randint(0, 59))
    paragraphs[0] = dateline(published) + paragraphs[0]
    slug = f"{slugify(title, 'ar')}-{n}"
    path = quote_path(f"/{published:%Y/%m/%d}/{slug}/")
    return Article(n, title, tuple(paragraphs), published, path, section)


def articles(count: int, seed: int = 27) -> list[Article]:
    return [article(n, seed) for n in range(count)]


def page(a: Article, base: str, *, head: str = '<meta charset="utf-8">', links: str = "", assets: str = "",
         canonical: bool = True, nul: bool = False) -> str:
    """The article's page as WordPress themes write it: chrome around an <article>, JSON-LD, og:type article.
    `head` goes first in <head> (the charset declaration, or nothing); `links` is the sidebar's list items;
    `assets` more <link>/<meta> requisites; `nul` puts NUL bytes inside words, as a broken CMS export does."""
    body = "".join(f"<p>{escape(p, quote=False)}</p>\n" for p in a.paragraphs)
    if nul:
        body = body.replace("ال", "ال\x00", 3).replace("في ", "ف\x00\x00ي ", 2)
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": a.title,
                     "datePublished": a.published.isoformat(), "author": {"@type": "Person", "name": "هيئة التحرير"}},
                    ensure_ascii=False)
    rel = f'<link rel="canonical" href="{base}{a.path}">\n' if canonical else ""
    return (f'<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head>{head}\n<title>{escape(a.title)} - {SITE_NAME}</title>\n'
            f'{rel}<meta property="og:type" content="article">\n{assets}'
            f'<script type="application/ld+json">{ld}</script>\n</head>\n<body>\n'
            f'<header class="site-header"><p class="site-title"><a href="{base}/">{SITE_NAME}</a></p></header>\n'
            f'<main><article class="post"><h1 class="entry-title">{escape(a.title)}</h1>\n'
            f'<time class="entry-date" datetime="{a.published.isoformat()}">{a.published:%Y-%m-%d}</time>\n'
            f'<div class="entry-content">\n{body}</div></article></main>\n'
            f'<aside class="widget-area"><h2 class="widget-title">اقرأ أيضا</h2><ul>{links}</ul></aside>\n'
            f'<footer class="site-footer"><p>جميع الحقوق محفوظة © {SITE_NAME}</p></footer>\n</body></html>\n')
