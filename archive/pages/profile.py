"""A site's own article template, learned from its pages that say plainly they are articles (issue 28).

Detection's platform signals (JSON-LD, og:type, microdata, WordPress post classes, microformats with a date, a
posts feed listing the page) are strong: a page carrying one is an article on any site. Its last resorts (a dateline,
a date in the text, a long text) are weak: a short brief has none of them, and a privacy page's "last updated" line
passes for a dateline. A news site's articles share one template, so what the pages with strong signals share tells
the rest apart: their URL patterns (archive.pages.soft404.probe_pattern) and the elements that hold their title,
date, byline and body, as a tag path with classes (`section>article>div.entry-content`).

The same pages also show the template's surroundings: the links and lines of text outside the article on most of
them (its navigation and boilerplate: a link there is a static page or a listing), the link patterns inside the
article but outside its prose (sections and tags: `/category/*.html`, `/tag/*/`) and the byline's (author pages).

A profile is learned from at least CONFIDENT_FROM strong pages before it decides anything. Then a page with no
signal is an article when its URL pattern is one of the articles' patterns and it carries every marker of the
template (`fits`), and a page whose only signal is weak and that does not fit, or that the template links as a
static page, listing or author page (`kind`), is not one. Pure: no Scrapy, no database; the profile is a
JSON-serialisable dict (archive/store/profiles.py keeps it per site), its `version` a hash of what it decides by
(the article patterns and the template), so that a change is seen; `adopted` is the version last announced, and
`history` says when it was learned, refined or changed (a redesign: archive/ops/profile.py).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from archive.core.urls import canonical
from archive.pages.shapes import classify, probe_pattern

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
AROUND_SHARE = 0.5      # a link or line outside the article on at least this share of the strong pages: the template's
TERM_SHARE = 0.3        # a link pattern inside the article (not its prose) on this share: its sections and tags
AROUND_KEEP = 100       # links and lines counted per profile (the most common): a bounded profile
LINE_CHARS = (2, 150)   # a line of boilerplate: a short text of its own
KINDS = ("listing", "author", "static")  # the pages the template links that are not articles
DATE_XPATH = ('//time[@datetime] | //abbr[contains(@class, "published")] | '
              '//*[@itemprop="datePublished"][not(self::meta)] | '
              '//*[contains(concat(" ", @class, " "), " published ") or contains(concat(" ", @class, " "), '
              '" dt-published ")]')
BYLINE_XPATH = ('//address[contains(@class, "author")] | //*[@rel="author"] | //*[@itemprop="author"] | '
                '//*[contains(concat(" ", @class, " "), " byline ")] | '
                '//*[not(self::body)][contains(concat(" ", @class, " "), " author ")]')
OUTSIDE = "ancestor::nav or ancestor::footer[not(ancestor::article)] or ancestor::aside or ancestor::form"


SHOWN = ("version", "confident", "strong_pages", "article_patterns", "template", "term_links", "author_links",
         "navigation", "boilerplate", "history")


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


def _container(body):
    """The article around its body: the nearest <article>, or the body's grandparent."""
    for ancestor in body.iterancestors("article"):
        return ancestor
    container = body
    for _ in range(2):  # (an lxml element's truth is whether it has children: compare with None)
        if container.getparent() is None:
            break
        container = container.getparent()
    return container


def _in_prose(element, stop) -> bool:
    """Whether a link sits in a paragraph of text (below `stop`): a link the author wrote, not the template's."""
    prose = False
    for ancestor in element.iterancestors():
        if ancestor is stop:
            break
        if ancestor.tag in ("footer", "header", "nav", "aside"):  # Pelican's `<footer><p>In <a>…` is the template's
            return False
        prose = prose or ancestor.tag in ("p", "blockquote", "li")
    return prose


def _same_site_link(a, host: str) -> str | None:
    href = a.get("href") or ""
    if not href or href.startswith("#"):
        return None
    url = urljoin(a.base_url or "", href) if a.base_url else href
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() != host:
        return None
    return canonical(url)  # tracking parameters and the fragment dropped


def surroundings(doc, url: str, roles: dict) -> tuple[set[str], set[str], set[str], set[str]]:
    """(links outside the article, link patterns inside it but outside its prose, the byline's link patterns, short
    lines of text outside the article) of one page: what the template puts around and beside an article."""
    host = (urlsplit(url).hostname or "").lower()
    body = roles.get("body")
    inside = _container(body) if body is not None else None
    around, terms, authors, lines = set(), set(), set(), set()
    byline = roles.get("byline")
    for a in doc.iter("a"):
        link = _same_site_link(a, host)
        if link is None:
            continue
        if inside is not None and (a is inside or any(x is inside for x in a.iterancestors())):
            pattern = probe_pattern(link)
            if pattern and not _in_prose(a, inside):
                terms.add(pattern)
        else:
            around.add(link)
    if byline is not None:
        for a in ([byline] if byline.tag == "a" else byline.iter("a")):
            link = _same_site_link(a, host)
            pattern = probe_pattern(link) if link else None
            if pattern:
                authors.add(pattern)
    for element in doc.iter("p", "li", "h2", "h3", "h4", "h5", "h6", "small"):
        if inside is not None and any(x is inside for x in element.iterancestors()):
            continue
        text = " ".join(element.text_content().split())
        if LINE_CHARS[0] <= len(text) <= LINE_CHARS[1]:
            lines.add(text)
    return around, terms - authors, authors, lines


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
    around: Counter = field(default_factory=Counter)    # link outside the article → pages
    terms: Counter = field(default_factory=Counter)     # link pattern inside the article, not its prose → pages
    authors: Counter = field(default_factory=Counter)   # the byline's link pattern → pages
    lines: Counter = field(default_factory=Counter)     # short text outside the article → pages
    adopted: str | None = None                          # the version last announced (archive/ops/profile.py)
    history: list[dict] = field(default_factory=list)   # {"at", "how": learned/refined/changed, "version", "was"}

    def learn(self, doc, url: str) -> None:
        """Count one page that has a strong article signal."""
        self.strong_pages += 1
        pattern = probe_pattern(url)
        if pattern:
            self.patterns[pattern] += 1
        roles = role_elements(doc)
        for role, element in roles.items():
            path = _path(element)
            self.paths.setdefault(role, Counter())[path] += 1
            per_class = self.classes.setdefault(role, {}).setdefault(path, Counter())
            per_class.update(_classes(element))
        around, terms, authors, lines = surroundings(doc, url, roles)
        self.around.update(around)
        self.terms.update(terms)
        self.authors.update(authors)
        self.lines.update(lines)

    def merge(self, other: SiteProfile) -> None:
        """Add what another profile counted (one run's pages) to this one's counts."""
        self.strong_pages += other.strong_pages
        self.patterns.update(other.patterns)
        for role, paths in other.paths.items():
            self.paths.setdefault(role, Counter()).update(paths)
        for role, per in other.classes.items():
            for path, counted in per.items():
                self.classes.setdefault(role, {}).setdefault(path, Counter()).update(counted)
        for mine, theirs in ((self.around, other.around), (self.terms, other.terms), (self.authors, other.authors),
                             (self.lines, other.lines)):
            mine.update(theirs)

    def carries_template(self, doc) -> bool:
        """Whether a page carries every marker of this profile's template (a strong page that does not, on a
        confident profile, is a sign of a redesign)."""
        return all(_carries(doc, marker["path"], marker["classes"]) for marker in self.template().values())

    def _shared(self, counted: Counter, share: float) -> list[str]:
        least = max(2, share * self.strong_pages)
        return sorted(key for key, n in counted.items() if n >= least)

    def term_links(self) -> list[str]:
        """Link patterns beside most articles' text (not in it): the site's section and tag listings."""
        articles = set(self.article_patterns())
        return [p for p in self._shared(self.terms, TERM_SHARE) if p not in articles]

    def author_links(self) -> list[str]:
        return [p for p in self._shared(self.authors, TERM_SHARE) if p not in set(self.article_patterns())]

    def navigation(self) -> list[str]:
        """The pages the template links around most articles, not of an article pattern: static pages and
        listings."""
        articles = set(self.article_patterns())
        return [u for u in self._shared(self.around, AROUND_SHARE) if probe_pattern(u) not in articles]

    def boilerplate(self) -> list[str]:
        """The lines of text around most articles: the template's, never an article's own."""
        return self._shared(self.lines, AROUND_SHARE)[:KEEP]

    def kind(self, url: str) -> str | None:
        """What the template links this page as: "listing" (a section or tag), "author", "static" (its
        navigation), "article" (an articles' URL pattern), or None. Only once the profile is confident."""
        if not self.confident():
            return None
        pattern = probe_pattern(url)
        if pattern is not None and pattern in self.term_links():
            return "listing"
        if pattern is not None and pattern in self.author_links():
            return "author"
        if canonical(url) in set(self.navigation()):
            return "listing" if classify(url) == "listing" else "static"
        return "article" if pattern in self.article_patterns() else None

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
        with no signal that fits is taken (one a posts feed lists too: a brief too short for detection's rule); a
        page taken only by a weak signal that does not fit, or that the template links as a static page, listing
        or author page, is refused unless a posts source lists it. A page with a strong signal is left alone; so is
        everything while the profile is not confident."""
        if not self.confident():
            return None
        kind = self.kind(url)
        if not is_article and reason in NOTHING_AGAINST:
            if kind in KINDS:
                return None
            ok, why = self.fits(doc, url)
            return (True, why) if ok else None
        if is_article and reason in WEAK and not listed:
            if kind in KINDS:
                return False, f"only a weak signal ({reason}), and the site's template links it as a {kind} page"
            ok, why = self.fits(doc, url)
            return None if ok else (False, f"only a weak signal ({reason}), and {why}")
        return None

    def as_dict(self) -> dict:
        """JSON-serialisable: the counts it learns from, and what it decides by (for people and `--json`)."""
        return {"version": self.version, "confident": self.confident(), "strong_pages": self.strong_pages,
                "article_patterns": self.article_patterns(), "template": self.template(),
                "term_links": self.term_links(), "author_links": self.author_links(),
                "navigation": self.navigation(), "boilerplate": self.boilerplate(),
                "adopted": self.adopted, "history": self.history[-KEEP:],
                "around": dict(self.around.most_common(AROUND_KEEP)), "terms": dict(self.terms.most_common(KEEP)),
                "authors": dict(self.authors.most_common(KEEP)), "lines": dict(self.lines.most_common(AROUND_KEEP)),
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
                    for role, per in (data.get("classes") or {}).items()},
                   Counter(data.get("around") or {}), Counter(data.get("terms") or {}),
                   Counter(data.get("authors") or {}), Counter(data.get("lines") or {}),
                   data.get("adopted"), list(data.get("history") or []))
