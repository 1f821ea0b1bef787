"""What a page tells the crawler, as pure functions of (bytes, URL): no network, no state.

Nothing here knows the real site's markup. URLs are classified by the shapes news platforms use (WordPress,
Blogger, most CMSs: a date then a slug), and pages are articles when they say so (JSON-LD, `og:type`) or look like
one (an article-shaped URL and a publication date), and not when they are lists of linked headlines. Feeds and
sitemaps are read in archive.pages.sources.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree, html
from w3lib.encoding import html_body_declared_encoding, resolve_encoding

from archive.core.http import charset
from archive.core.urls import canonical
from archive.pages.dates import DATE_TEXT, DATELINE
from archive.pages.requisites import page_requisites
from archive.pages.shapes import (  # noqa: F401 (ARTICLE_PATH and classify: theirs)
    ARTICLE_PATH,
    LISTING_PATH,
    classify,
    single_by_query,
)

ARTICLE_TYPES = {"newsarticle", "blogposting", "article", "reportagenewsarticle", "analysisnewsarticle",
                 "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting"}


@dataclass
class PageFacts:
    is_article: bool
    links: list[str]              # absolute <a href> targets, in page order
    feeds: list[str]              # <link rel=alternate> RSS/Atom
    assets: list[str]             # an article's lead image, then its requisites (archive.pages.requisites)
    canonical: str | None         # rel=canonical, absolute
    reason: str = ""
    lead_image: str | None = None  # og:image, else the first image of the body


def jsonld_objects(doc):
    """Every JSON-LD object of a page, lists and `@graph`s flattened, in document order."""
    for script in doc.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script, strict=False)  # raw newlines inside strings are common in real pages
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack[:0] = item
            elif isinstance(item, dict):
                yield item
                if "@graph" in item:
                    stack.insert(0, item["@graph"])


def jsonld_types(item: dict) -> set[str]:
    kinds = item.get("@type")
    return {k.lower() for k in (kinds if isinstance(kinds, list) else [kinds]) if isinstance(k, str)}


def _jsonld_types(doc) -> set[str]:
    types: set[str] = set()
    for item in jsonld_objects(doc):
        types |= jsonld_types(item)
    return types


def parse_html(body: bytes, url: str, encoding: str | None = None):
    """The lxml document of a page, or None when it cannot be parsed."""
    parser = None
    if encoding:
        if encoding != "utf-8":
            # decoded by Python, as page_encoding checked it (libxml2's converters differ, and miss some names),
            # then handed to lxml as UTF-8; the stored bytes stay as they came
            body, encoding = body.decode(encoding, "replace").encode("utf-8"), "utf-8"
        parser = html.HTMLParser(encoding=encoding)
    if b"\x00" in body:  # browsers drop NUL bytes; libxml2 would make each a U+FFFD in the text
        body = body.replace(b"\x00", b"")
    try:
        return html.document_fromstring(body, parser=parser, base_url=url)
    except (etree.ParserError, ValueError):
        return None


def analyse_page(body: bytes, url: str, encoding: str | None = None, listed: bool = False) -> PageFacts:
    """Links, feeds, assets, canonical, and whether this page is an article."""
    return parse_and_analyse(body, url, encoding, listed)[1]


def parse_and_analyse(body: bytes, url: str, encoding: str | None = None, listed: bool = False):
    """(the page's lxml tree or None, its PageFacts): the crawl hands the tree on to extraction."""
    doc = parse_html(body, url, encoding)
    if doc is None:
        return None, PageFacts(False, [], [], [], None, "unparsable")
    return doc, analyse_doc(doc, url, listed)


# WordPress names the kind of every page in <body class>: posts are "single"; archives, the front page, search
# results and static pages say so, and are never articles whatever else they carry (static pages carry `hentry`).
WORDPRESS_NOT_POSTS = {"archive", "category", "tag", "author", "date", "blog", "home", "search", "error404", "page",
                       "attachment"}
WORDPRESS_BODY = re.compile(r"(postid|page-id|page-template|category|tag|author|term|date|paged|single-format|wp)-")
STATIC_PATH = re.compile(r"^/p/[^/]+\.html$")  # Blogger's static pages
PUBLISHED = ('//time[@datetime] | //abbr[contains(@class, "published")] | //*[@itemprop="datePublished"] | '
             '//meta[@property="article:published_time"] | //*[contains(concat(" ", @class, " "), " published ") '
             'or contains(concat(" ", @class, " "), " dt-published ")]')
# Where a page's own text is not: the chrome around it, and reader comments.
CHROME = ("ancestor::script or ancestor::style or ancestor::noscript or ancestor::nav or ancestor::header or "
          "ancestor::footer or ancestor::aside or ancestor::form or ancestor::*[@id='comments']")
HEADLINES_OUTSIDE_ASIDES = ("//*[self::h1 or self::h2 or self::h3][.//a][not(ancestor::aside or ancestor::footer or "
                            "ancestor::nav or ancestor::*[contains(@class, 'related') or contains(@class, 'widget')])]")
# Reader comments are <article>s too (WordPress): only the others can make a list of articles.
TOP_ARTICLES = ("//article[not(ancestor::article)][not(ancestor::*[@id='comments'] or "
                "contains(@class, 'comment'))]")
LISTED_POST_WORDS = 30  # a page a sitemap or feed lists as a post, with at least this much text of its own
COPY = "a copy of the page its rel=canonical names"
SUBSTANTIAL_WORDS = 150  # the last resort: a page with this much prose in one place, and nothing against it


def _class_tokens(doc, xpath: str) -> set[str]:
    return {token for value in doc.xpath(xpath) for token in value.lower().split()}


def _has_class(doc, tokens: set[str]) -> bool:
    """Whether any element's class names one of `tokens` (lower-case). A walk that stops at the first: the XPath
    `//*[@class]/@class` is quadratic in libxml2 (each element's attribute merged into the result one at a time),
    a second on a page with 6,000 reader comments."""
    for element in doc.iter(etree.Element):
        value = element.get("class")
        if value and not tokens.isdisjoint(value.lower().split()):
            return True
    return False


def _microdata_types(doc) -> set[str]:
    """The schema.org types of the page's microdata items, lower-cased (`http://schema.org/BlogPosting` →
    `blogposting`)."""
    return {t.rstrip("/").rsplit("/", 1)[-1].lower() for value in doc.xpath("//*[@itemtype]/@itemtype")
            for t in value.split()}


def robots_noindex(doc) -> bool:
    values = doc.xpath('//meta[translate(@name, "ROBTSGE", "robtsge") = "robots" or '
                       'translate(@name, "ROBTSGE", "robtsge") = "googlebot"]/@content')
    return any("noindex" in value.lower() for value in values)


def main_text(doc, limit: int = 20000) -> str:
    """The page's own text without its chrome (navigation, header, footer, sidebars, forms, comments): where a
    dateline or an article's words are, on pages whose markup says nothing more."""
    parts, size = [], 0
    for text in doc.xpath(f"//body//text()[not({CHROME})]"):
        text = text.strip()
        if text:
            parts.append(text)
            size += len(text)
            if size > limit:
                break
    return " ".join(parts)


def _copy_of(canon: str | None, url: str) -> str | None:
    """The page's rel=canonical when it names another page of the same host (a `?replytocom=` copy of a post,
    an AMP or print view): that page is the article, this one a copy. A canonical differing only in scheme is the
    same page."""
    if not canon:
        return None
    a, b = urlsplit(canon), urlsplit(url)
    if (a.hostname or "").lower() != (b.hostname or "").lower():
        return None
    if urlsplit(canonical(canon))[2:4] == urlsplit(canonical(url))[2:4]:
        return None
    return canon


@lru_cache(maxsize=100_000)
def _join_absolute(scheme: str, href: str) -> str:
    """urljoin(base, href) for an href with a scheme and a host: only the base's scheme matters then, so the answer
    is kept for the next page (a site's menus, sidebars and footers repeat the same links on every page)."""
    return urljoin(f"{scheme}://base.invalid/", href)


def analyse_doc(doc, url: str, listed: bool = False, links: bool = True) -> PageFacts:
    """`listed`: a sitemap of posts or a posts feed lists this URL (the weakest signal that it is an article).
    `links=False`: whether it is an article and its lead image only — what extraction needs — without the page's
    links, feeds and requisites (the crawl's business; a third of the analysis' time)."""
    base = doc.xpath("string(//base/@href)") or url

    scheme = base.split(":", 1)[0]

    def absolute(href: str) -> str | None:
        href = href.strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:", "whatsapp:")):
            return None
        if href.startswith(("http://", "https://")) and href[href.index("//") + 2:][:1] not in ("", "/"):
            return _join_absolute(scheme, href)
        return urljoin(base, href)

    # rel=nofollow links (comment replies, share buttons, log-in links) lead to copies and chrome, not content
    hrefs = [u for u in (absolute(h) for h in doc.xpath(
        '//a[not(contains(concat(" ", normalize-space(@rel), " "), " nofollow "))]/@href')) if u] if links else []
    feeds = [u for u in (absolute(h) for h in doc.xpath(
        '//link[@rel="alternate"][contains(@type, "rss") or contains(@type, "atom")]/@href')) if u] if links else []
    canonical_href = doc.xpath('string(//link[@rel="canonical"]/@href)')
    canon = absolute(canonical_href) if canonical_href else None
    is_article, reason = detect_article(doc, url, canon, listed)

    assets: list[str] = []
    lead_image = None
    if is_article:
        lead = doc.xpath('string(//meta[@property="og:image"]/@content)').strip()
        if not lead:  # WordPress marks a post's featured image `wp-post-image` in every theme
            imgs = (doc.xpath('//img[contains(concat(" ", @class, " "), " wp-post-image ")]/@src')
                    or doc.xpath('(//article//img/@src | //*[contains(@class, "post-body") or contains(@class, '
                                 '"entry-content") or contains(@class, "post-thumbnail")]//img/@src)'))
            lead = imgs[0] if imgs else ""
        lead_image = (absolute(lead) or lead) if lead else None
        requisites = page_requisites(doc, base) if links else []
        assets = [a for a in dict.fromkeys([lead_image, *requisites]) if a]
    return PageFacts(is_article, hrefs, feeds, assets, canon, reason, lead_image)


def detect_article(doc, url: str, canon: str | None = None, listed: bool = False) -> tuple[bool, str]:
    """(is it an article, why). What the page says of itself decides first (robots noindex, rel=canonical
    elsewhere, JSON-LD, microdata, og:type); then what shows a list or a static page; then weaker evidence:
    microformats with a date, an <article> with a date, an article-shaped URL with a date, a dateline in the page's
    own text, a sitemap or feed listing it as a post. Cheap tests come first: most pages are decided by the first
    few."""
    if robots_noindex(doc):
        return False, "noindex"
    if _copy_of(canon, url):
        return False, COPY
    if _jsonld_types(doc) & ARTICLE_TYPES:
        return True, "json-ld"
    if _microdata_types(doc) & ARTICLE_TYPES:
        return True, "microdata"
    if doc.xpath('string(//meta[@property="og:type"]/@content)').strip().lower() == "article":
        return True, "og:type"
    path = urlsplit(url).path or "/"
    body_classes = _class_tokens(doc, "//body/@class")
    wordpress = any(map(WORDPRESS_BODY.match, body_classes))
    wordpress_kind = body_classes & WORDPRESS_NOT_POSTS if wordpress else set()
    if wordpress_kind and "single" not in body_classes:
        return False, f"a WordPress {sorted(wordpress_kind)[0]} page"
    if wordpress and "single-post" in body_classes:
        return True, "a WordPress post"
    if (LISTING_PATH.search(path) and not single_by_query(url)) or STATIC_PATH.match(path):
        return False, "a listing or static page by its URL"
    if len(doc.xpath(HEADLINES_OUTSIDE_ASIDES)) >= 3 or len(doc.xpath(TOP_ARTICLES)) >= 3:
        return False, "list of linked headlines"
    dated = bool(doc.xpath(PUBLISHED))
    if dated and _has_class(doc, {"hentry", "h-entry"}):
        return True, "microformats with a date"
    if doc.xpath("//article[.//time[@datetime]]"):
        return True, "<article> with a date"
    if dated and ARTICLE_PATH.match(path):
        return True, "article-shaped URL with a date"
    text = main_text(doc)
    head = text[:5000]
    if DATELINE.search(head):
        return True, "dateline"
    if listed and len(text.split()) >= LISTED_POST_WORDS:
        return True, "listed as a post"
    if DATE_TEXT.search(head):
        return True, "a date in the text"
    if longest_text_block(doc) >= SUBSTANTIAL_WORDS:
        return True, "a substantial main text"
    return False, "no article signal"


def longest_text_block(doc) -> int:
    """The words of the largest run of prose in one element: its <p> children, or its text between <br>s
    (Blogger's classic editor, old table layouts). A page of linked headlines or of short blurbs has none."""
    words: dict = {}
    for p in doc.xpath(f"//p[not({CHROME})]"):
        parent = p.getparent()
        words[parent] = words.get(parent, 0) + len(p.text_content().split())
    for element in doc.xpath(f"//*[count(br) >= 2][not({CHROME})]"):
        runs = [element.text or ""] + [br.tail or "" for br in element.iterchildren("br")]
        words[element] = max(words.get(element, 0), sum(len(run.split()) for run in runs))
    return max(words.values(), default=0)


def html_encoding(body: bytes, content_type: str | None) -> str:
    """The encoding to read a page with, given its Content-Type header: the same for the crawl and for extraction
    from WARC records, so that a page is read one way whoever parses it."""
    return page_encoding(body, charset(content_type))


# WHATWG's encoding sniffing, kept to what an Arabic news site meets: a BOM names the encoding outright; UTF-16 and
# UTF-32 are believed only from a BOM (a <meta> saying utf-16 is read as an ASCII-compatible page says it, wrongly)
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
ARABIC_CODEPAGES = ("cp1256", "iso8859-6")  # windows-1256 first: by far the more common, and the tie-breaker
ARABIC_LETTERS = re.compile("[\u0621-\u064a\u0660-\u0669\u0671-\u06d3]+")
# letters and signs no Arabic page is made of: what an Arabic code page shows when it is the wrong one
FOREIGN_LETTERS = re.compile("[^\x00-\x7f\u00a0-\u00bf\u00d7\u00f7\u0600-\u06ff\u2000-\u206f\ufeff]+")
CHUNK = 1 << 20
SAMPLE = 256 * 1024


def page_encoding(body: bytes, header_encoding: str | None) -> str:
    """The encoding to read a page with (a Python codec name, for parse_html), as browsers choose it, for an Arabic
    site: the BOM; else valid UTF-8 (a wrong header charset is common, and an Arabic page in a legacy charset is
    practically never valid UTF-8; this is the fast path of nearly every page); else the page's own `<meta>`
    declaration, then the header's charset, the first that decodes the bytes cleanly (a server's default charset is
    more often wrong than the page's own word); else detected from the bytes, the Arabic code pages first. Never
    windows-1252 by default: that reads an undeclared windows-1256 page as mojibake (`ÇáÈÕÑÉ`)."""
    for bom, name in BOMS:
        if body.startswith(bom):
            return name
    if _decodes(body, "utf-8"):
        return "utf-8"
    for declared in (html_body_declared_encoding(body), _resolved(header_encoding)):
        if declared and not declared.startswith(("utf-16", "utf-32")) and _decodes(body, declared):
            if declared == "cp1252":  # latin-1 and windows-1252: a server's or an editor's default, more often
                return arabic_codepage(body) or declared  # than not on an Arabic page it does not fit
            return declared
    return detected_encoding(body)


def _resolved(label: str | None) -> str | None:
    """A charset label as a Python codec name, WHATWG's way (latin-1 and us-ascii are windows-1252), or None."""
    return resolve_encoding(label) if label else None


def _decodes(body: bytes, encoding: str) -> bool:
    """Whether `encoding` reads every byte, checked by the MiB so that a huge page is never held twice as text."""
    try:
        if len(body) <= CHUNK:  # nearly every page: at once
            body.decode(encoding)
            return True
        decoder = codecs.getincrementaldecoder(encoding)()
        for start in range(0, len(body), CHUNK):
            decoder.decode(body[start:start + CHUNK])
        decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def detected_encoding(body: bytes) -> str:
    """The encoding of a page that is not UTF-8 and declares none that fits: an Arabic code page when the bytes
    read as Arabic in one (arabic_codepage); else charset-normalizer's guess (a page in some other language); else
    windows-1256, which decodes every byte."""
    best = arabic_codepage(body)
    if best:
        return best
    from charset_normalizer import from_bytes  # rare (a page neither UTF-8, declared nor Arabic): loaded then

    guess = from_bytes(body[:SAMPLE]).best()
    name = _resolved(guess.encoding) if guess else None
    return name if name and not name.startswith(("utf-16", "utf-32")) and _decodes(body, name) else "cp1256"


def arabic_codepage(body: bytes) -> str | None:
    """The Arabic code page (windows-1256, ISO-8859-6) that reads these bytes as the most Arabic and the least of
    anything else, when that is more Arabic than not; None for a page in another script. A windows-1256 page is
    rarely clean ISO-8859-6 (its ghain, feh, qaf and kaf are holes there), and an ISO-8859-6 page read as
    windows-1256 shows Latin letters for its waw and yeh (è, ê): each loses to the right reading."""
    best, best_score = None, 0
    sample = body[:SAMPLE]  # enough words to tell, and a bounded cost on a page of tens of MB
    for name in ARABIC_CODEPAGES:
        if not _decodes(body, name):
            continue
        text = sample.decode(name)
        arabic = sum(map(len, ARABIC_LETTERS.findall(text)))
        score = arabic - 2 * sum(map(len, FOREIGN_LETTERS.findall(text)))
        if score > best_score:
            best, best_score = name, score
    return best
