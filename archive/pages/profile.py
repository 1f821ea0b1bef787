"""A site's own article template, learned from its pages that say plainly they are articles (issue 28).

Detection's platform signals (JSON-LD, og:type, microdata, WordPress post classes, microformats with a date, a
posts feed listing the page) are strong: a page carrying one is an article on any site. Its last resorts (a dateline,
a date in the text, a long text) are weak: a short brief has none of them, and a privacy page's "last updated" line
passes for a dateline. A news site's articles share one template, so what the pages with strong signals share tells
the rest apart: their URL patterns (archive.pages.soft404.probe_pattern) and the elements that hold their title,
date, byline and body, as a tag path with classes (`section>article>div.entry-content`).

A profile is learned from at least CONFIDENT_FROM strong pages before it decides anything. Then a page with no
signal is an article when its URL pattern is one of the articles' patterns and it carries every marker of the
template (`fits`), and a page whose only signal is weak and that does not fit is not one. Pure: no Scrapy, no
database; the profile is a JSON-serialisable dict (archive/store/profiles.py keeps it per site), its `version` a
hash of what it decides by (the article patterns and the template), so that a change is seen.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

from archive.pages.shapes import probe_pattern

CONFIDENT_FROM = 20     # strong pages a profile is learned from before it decides anything
SHARE = 0.9             # a marker belongs to the template when at least this share of the strong pages carry it
PATTERN_SHARE = 0.05    # a URL pattern is an articles' pattern when this share of the strong pages have it
PATTERN_MIN = 3         # … and at least this many
KEEP = 30               # patterns and paths kept per role (the most common): a bounded profile
STRONG = {"json-ld", "microdata", "og:type", "a WordPress post", "microformats with a date", "<article> with a date",
          "article-shaped URL with a date", "listed as a post"}
WEAK = {"dateline", "a date in the text", "a substantial main text"}
NOTHING_AGAINST = {"no article signal"}
ROLES = ("title", "date", "byline", "body")
DATE_XPATH = ('//time[@datetime] | //abbr[contains(@class, "published")] | '
              '//*[@itemprop="datePublished"][not(self::meta)] | '
              '//*[contains(concat(" ", @class, " "), " published ") or contains(concat(" ", @class, " "), '
              '" dt-published ")]')
BYLINE_XPATH = ('//address[contains(@class, "author")] | //*[@rel="author"] | //*[@itemprop="author"] | '
                '//*[contains(concat(" ", @class, " "), " byline ")] | '
                '//*[not(self::body)][contains(concat(" ", @class, " "), " author ")]')
OUTSIDE = "ancestor::nav or ancestor::footer[not(ancestor::article)] or ancestor::aside or ancestor::form"


SHOWN = ("version", "confident", "strong_pages", "article_patterns", "template")


def shown(found: dict) -> dict:
    """What `arshif profile --json` and `stats --json` print of a stored profile: what it decides by, not the
    counts it is learned from."""
    return {key: found.get(key) for key in SHOWN}


def strong_signal(reason: str, listed: bool) -> str | None:
    """The strong signal behind detection's `reason`, or "listed as a post" for a page a posts feed or sitemap
    lists (detection names a dateline first when a page has both); None when the page has no strong signal."""
    if reason in STRONG:
        return reason
    return "listed as a post" if listed else None


def _classes(element) -> tuple[str, ...]:
    """The element's class names that name a kind, not one item (`post-123`, `category-sport-5` left out)."""
    return tuple(sorted({c for c in (element.get("class") or "").lower().split() if not any(ch.isdigit() for ch in c)}))


def _path(element) -> str:
    """The element's tag under its parent's and grandparent's: `article>header>h1`."""
    tags = [element.tag]
    parent = element.getparent()
    for _ in range(2):
        if parent is None or not isinstance(parent.tag, str):
            break
        tags.insert(0, parent.tag)
        parent = parent.getparent()
    return ">".join(tags)


def _first(doc, xpath: str):
    found = [e for e in doc.xpath(xpath) if isinstance(e.tag, str)]
    return found[0] if found else None


def _body(doc):
    """The element holding the largest run of the page's own paragraphs."""
    words: Counter = Counter()
    for p in doc.xpath(f"//p[not({OUTSIDE} or ancestor::header)]"):
        words[p.getparent()] += len(p.text_content().split())
    return words.most_common(1)[0][0] if words else None


def role_elements(doc) -> dict[str, object]:
    """The elements that hold the page's title, date, byline and body, those it has."""
    # `//article//h1[…]` costs libxml2 seconds on a page of 6,000 comments (each an <article>): the ancestor test
    # per h1 is linear
    title = _first(doc, f"//h1[ancestor::article][not({OUTSIDE})]")
    found = {
        "title": title if title is not None else _first(doc, f"//h1[not({OUTSIDE})]"),
        "date": _first(doc, DATE_XPATH),
        "byline": _first(doc, BYLINE_XPATH),
        "body": _body(doc),
    }
    return {role: element for role, element in found.items() if element is not None}


def _carries(doc, path: str, classes: list[str]) -> bool:
    """Whether the page has an element at this tag path with (at least) these classes."""
    tag = path.rsplit(">", 1)[-1]
    wanted = set(classes)
    return any(_path(e) == path and wanted <= set(_classes(e)) for e in doc.iter(tag))


@dataclass
class SiteProfile:
    """What a site's articles look like, learned from its strong pages: counts, from which the template and the
    articles' URL patterns are derived (so that learning goes on across runs)."""

    strong_pages: int = 0
    patterns: Counter = field(default_factory=Counter)
    paths: dict[str, Counter] = field(default_factory=dict)            # role → tag path → pages
    classes: dict[str, dict[str, Counter]] = field(default_factory=dict)  # role → tag path → class → pages

    def learn(self, doc, url: str) -> None:
        """Count one page that has a strong article signal."""
        self.strong_pages += 1
        pattern = probe_pattern(url)
        if pattern:
            self.patterns[pattern] += 1
        for role, element in role_elements(doc).items():
            path = _path(element)
            self.paths.setdefault(role, Counter())[path] += 1
            per_class = self.classes.setdefault(role, {}).setdefault(path, Counter())
            per_class.update(_classes(element))

    def article_patterns(self) -> list[str]:
        least = max(PATTERN_MIN, PATTERN_SHARE * self.strong_pages)
        return sorted(p for p, n in self.patterns.items() if n >= least)

    def template(self) -> dict[str, dict]:
        """Role → {"path", "classes"}: the markers at least SHARE of the strong pages carry."""
        least = SHARE * self.strong_pages
        found = {}
        for role in ROLES:
            paths = self.paths.get(role) or Counter()
            if not paths:
                continue
            path, n = paths.most_common(1)[0]
            if n >= least:
                kept = sorted(c for c, k in self.classes.get(role, {}).get(path, Counter()).items() if k >= least)
                found[role] = {"path": path, "classes": kept}
        return found

    def confident(self) -> bool:
        """Learned from enough strong pages, with a template of at least two markers and an article pattern."""
        return (self.strong_pages >= CONFIDENT_FROM and len(self.template()) >= 2
                and bool(self.article_patterns()))

    @property
    def version(self) -> str:
        """A hash of what the profile decides by: changes when the site's template or URL shapes change."""
        decided = json.dumps({"patterns": self.article_patterns(), "template": self.template()}, sort_keys=True)
        return hashlib.sha256(decided.encode()).hexdigest()[:12]

    def fits(self, doc, url: str) -> tuple[bool, str]:
        """(whether the page looks like this site's articles, why): its URL pattern is an articles' pattern and it
        carries every marker of the template."""
        if not self.confident():
            return False, f"the site profile is not confident yet ({self.strong_pages} strong pages)"
        pattern = probe_pattern(url)
        if pattern not in self.article_patterns():
            return False, f"its URL pattern {pattern} is not one of the site's article patterns"
        template = self.template()
        lacking = [role for role, marker in template.items() if not _carries(doc, marker["path"], marker["classes"])]
        if lacking:
            return False, f"it lacks the site's article template ({', '.join(lacking)})"
        return True, f"fits the site profile {self.version}"

    def judge(self, doc, url: str, is_article: bool, reason: str, listed: bool = False) -> tuple[bool, str] | None:
        """What the profile changes of detection's verdict, as (is an article, why), or None to leave it: a page
        with no signal that fits is taken; a page taken only by a weak signal that does not fit is refused. A page
        a posts feed or sitemap lists, or with a strong signal, is left alone; so is everything while the profile
        is not confident."""
        if listed or not self.confident():
            return None
        if not is_article and reason in NOTHING_AGAINST:
            ok, why = self.fits(doc, url)
            return (True, why) if ok else None
        if is_article and reason in WEAK:
            ok, why = self.fits(doc, url)
            return None if ok else (False, f"only a weak signal ({reason}), and {why}")
        return None

    def as_dict(self) -> dict:
        """JSON-serialisable: the counts it learns from, and what it decides by (for people and `--json`)."""
        return {"version": self.version, "confident": self.confident(), "strong_pages": self.strong_pages,
                "article_patterns": self.article_patterns(), "template": self.template(),
                "patterns": dict(self.patterns.most_common(KEEP)),
                "paths": {role: dict(c.most_common(KEEP)) for role, c in self.paths.items()},
                "classes": {role: {path: dict(c) for path, c in per.items() if path in dict(
                    self.paths[role].most_common(KEEP))} for role, per in self.classes.items()}}

    @classmethod
    def from_dict(cls, data: dict | None) -> SiteProfile:
        if not data:
            return cls()
        return cls(int(data.get("strong_pages", 0)), Counter(data.get("patterns") or {}),
                   {role: Counter(c) for role, c in (data.get("paths") or {}).items()},
                   {role: {path: Counter(c) for path, c in per.items()}
                    for role, per in (data.get("classes") or {}).items()})
