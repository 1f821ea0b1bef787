"""Soft-404s: the page a site serves, with status 200, for any path it does not have (issue 27).

Crawlers find them by asking (Heritrix, Google): once per URL pattern, a path of that pattern that cannot exist is
asked for; an honest site answers 404, 410 or a redirect, a soft-404 site answers 200 with its "not found" page. A
page of that pattern whose answer matches the probe's is that same page, not an article. Pure functions here: the
pattern and the probe's URL of an address, the signature of a page, and whether a page matches a signature. The
spider's side (asking, holding the pages of a pattern until its probe answers) is crawler/discovery/soft404.py.

What matches (decided for safety, tested in tests/pages/test_soft404.py). A site's "not found" page wears the same
chrome as its articles: header, menus, a sidebar of latest posts, a footer, often hundreds of words. So neither a
shared title nor a high word overlap alone can tell, since a short article under a long sidebar shares most of its
words with the "not found" page, and some themes title every page with the site's name. What no real article lacks
is words of its own: a page matches only when it adds at most NOVEL_MAX words to the probe's (room for the slug the
"not found" page echoes, "100 sure"), *and* it has the probe's title or near-identical text (word-set Jaccard at least
NEAR_IDENTICAL).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from archive.pages.detection import parse_html
from archive.pages.not_articles import SOFT_404, refused
from archive.pages.shapes import PROBE_PREFIX, is_probe_url, probe_pattern, slug_parts  # noqa: F401 (theirs)

NOVEL_MAX = 15          # words a matching page may have that the probe's answer has not (an echoed slug, a date)
NEAR_IDENTICAL = 0.9    # word-set Jaccard of two answers that are the same page
TEXT_LIMIT = 300_000    # characters of visible text read from a page: a "not found" page is never that long
WORD = re.compile(r"\w+")
VISIBLE = "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"


def probe_url(url: str, token: str | None = None) -> str | None:
    """A URL of `url`'s pattern that cannot exist: the same directory (and query) with a random slug,
    `/2021/10/09/arshif-probe-5f0c9a1e2b3d/`; for a page named by its query (`/?p=12`), the number replaced by one
    no site has reached. None when the URL has no pattern (probe_pattern)."""
    token = token or secrets.token_hex(6)
    parts = urlsplit(url)
    slug = slug_parts(parts.path)
    if slug is not None:
        folder, ext, slash = slug
        path = f"{folder}{PROBE_PREFIX}{token}{ext}{slash}"
        return urlunsplit(parts._replace(path=quote(path, safe="/%"), fragment=""))
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(value.isdigit() for _, value in query):
        return None
    number = str(9_000_000_000 + int(token, 16) % 999_999_999)
    probed = urlencode([(key, number if value.isdigit() else value) for key, value in query])
    return urlunsplit(parts._replace(query=probed, fragment=""))





@dataclass(frozen=True)
class Signature:
    """What a page says, for comparing two answers: its title (whitespace collapsed) and the set of words of its
    visible text (lower-cased, numbers left out: a "not found" page may echo the path's)."""

    title: str
    words: frozenset[str]


def signature(doc) -> Signature:
    """The signature of a parsed page (an lxml document, archive.pages.detection.parse_html)."""
    title = " ".join((doc.findtext(".//title") or "").split())
    parts, size = [], 0
    for text in doc.xpath(VISIBLE):
        parts.append(text)
        size += len(text)
        if size > TEXT_LIMIT:
            break
    return Signature(title, text_words(" ".join(parts)))


def text_words(text: str) -> frozenset[str]:
    return frozenset(word for word in WORD.findall(text.lower()) if not word.isdigit())


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def matches(probe: Signature, page: Signature) -> str | None:
    """Why `page` is the answer `probe` is (the detail of a refusal as a soft-404), or None when it is not: at most
    NOVEL_MAX words of its own, and the probe's title or near-identical text (see the module's docstring)."""
    novel = len(page.words - probe.words)
    if novel > NOVEL_MAX:
        return None
    if probe.title and page.title == probe.title:
        return f'the title "{probe.title}" of the answer to a path that cannot exist, and {novel} word(s) more'
    similarity = jaccard(probe.words, page.words)
    if similarity >= NEAR_IDENTICAL:
        return (f"the text of the answer to a path that cannot exist (word-set Jaccard {similarity:.2f}), "
                f"and {novel} word(s) more")
    return None


def answer_signature(body: bytes, url: str, encoding: str | None = None) -> Signature | None:
    """The signature of a stored answer (a probe's, read back from the archive), None when it is not HTML that
    parses."""
    doc = parse_html(body, url, encoding)
    return signature(doc) if doc is not None else None


def soft_404(url: str, page: Signature, probes: dict[str, Signature]) -> str | None:
    """The `detection` text refusing the page at `url` as a soft-404 (archive.pages.not_articles), or None: `probes`
    holds the signature of each pattern's probe that answered 200 (probe_pattern → Signature). For the crawl, and for
    reextract or rebuild, which find the probes' answers among the captures (is_probe_url) and keep the refusals."""
    probe = probes.get(probe_pattern(url) or "")
    if probe is None or is_probe_url(url):
        return None
    detail = matches(probe, page)
    return refused(SOFT_404, detail) if detail else None
