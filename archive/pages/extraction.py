"""An article from an HTML page: a pure function of (bytes, URL, response headers), no network, no database.

The same code runs in the crawl and when articles are extracted again from WARC records (`arshif reextract`,
`arshif rebuild`). trafilatura gives the body (comments excluded: its default includes them). Metadata is
site-aware and trusts no single source, because trafilatura's own metadata fails on this site's pages: the
Blogger theme's `<h1>` is the site name, its labels live under `/search/label/`, and Levantine month names are
silently misread by htmldate (archive.pages.dates reads datelines). Each field takes the first source that has it,
most explicit first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib.metadata import version
from urllib.parse import unquote, urljoin, urlsplit

import trafilatura
from langdetect import DetectorFactory, LangDetectException, detect
from langdetect.detector_factory import init_factory
from lxml import etree

from archive.core.arabic import DIGITS
from archive.core.urls import canonical
from archive.pages.dates import dateline_date
from archive.pages.detection import (
    ARTICLE_TYPES,
    PageFacts,
    analyse_doc,
    html_encoding,
    jsonld_objects,
    jsonld_types,
    parse_html,
)
from archive.pages.sources import listed_fallback

# arshif-4: pages read by issue 27's encoding rule (detection.page_encoding) and without their NUL bytes; a newer
# extractor's fields replace an older one's (`arshif reextract`), which repairs articles stored as mojibake.
# arshif-5: section and tags also from the article's links into the site's category and tag listings, then from the
# feed's <category> elements (issue 28: Pelican's articles had none)
# arshif-6: a WordPress block theme's date (`.wp-block-post-date time`) and featured image (`img.wp-post-image`),
# which its markup gives without the classic theme's classes; Pelican's modified date (`abbr.modified`)
EXTRACTOR_VERSION = f"arshif-6+trafilatura-{version('trafilatura')}"
DEFAULT_SITE_NAME = "الإيطالية نيوز"
DetectorFactory.seed = 0  # langdetect is random without it

SEPARATORS = (" - ", " | ", " – ", " — ", " :: ")
LANGDETECT_CHARS = 400
# trafilatura's own extractor first, alone (fast=True); its comparison with readability and justext, much of
# trafilatura's time, only when that gave less than this many characters: on the real-page set (bench/real_pages.py)
# the comparison improved only pages the extractor alone gave far less text for, and it never changes the replica's.
FALLBACK_BELOW = 500
TRAFILATURA_OPTIONS = {"include_comments": False, "include_tables": True, "favor_precision": True,
                       "deduplicate": False}


@dataclass
class Article:
    url: str                      # canonical
    title: str
    body: str                     # paragraphs separated by blank lines
    author: str | None = None
    published: str | None = None  # ISO 8601 with offset when the time is known, else YYYY-MM-DD
    modified: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    lang: str | None = None
    word_count: int = 0
    extractor: str = EXTRACTOR_VERSION

    def as_dict(self) -> dict:
        return asdict(self)


class ExtractionFailed(Exception):
    """The page is an article but no title or no body could be read from it (a redesign?)."""


def _text(node) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def _first(*values):
    for value in values:
        if isinstance(value, str):
            value = " ".join(value.split())
        if value:
            return value
    return None


def _jsonld(doc) -> dict:
    """The first Article-like JSON-LD object of the page (within @graph too)."""
    return next((item for item in jsonld_objects(doc) if jsonld_types(item) & ARTICLE_TYPES), {})


def meta_tags(doc) -> dict[tuple[str, str], str]:
    """(attribute, value) → the content of the first <meta> that has it, for `property`, `name` and `itemprop`:
    every field reads meta tags, and one walk over them costs what one XPath over the whole page did."""
    index: dict[tuple[str, str], str] = {}
    for element in doc.iter("meta"):
        content = element.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop"):
            value = element.get(attr)
            if value is not None:
                index.setdefault((attr, value), content)
    return index


def _meta(metas: dict[tuple[str, str], str], *names: str) -> str | None:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            found = metas.get((attr, name))
            if found and found.strip():
                return found.strip()
    return None


def _iso(value: str | None) -> str | None:
    """An ISO 8601 date or datetime as the page gives it, normalised; None when it is not one."""
    if not value:
        return None
    value = value.strip().translate(DIGITS)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", value)
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


def _strip_site_name(title: str, site_names: set[str]) -> str:
    for sep in SEPARATORS:
        for name in site_names:
            if name and title.endswith(sep + name):
                return title[: -len(sep + name)].strip()
            if name and title.startswith(name + sep):
                return title[len(name + sep):].strip()
    return title


def _title(doc, ld: dict, site_names: set[str], metas: dict) -> str | None:
    headings = [_text(h) for h in doc.xpath(
        '//*[contains(concat(" ", normalize-space(@class), " "), " entry-title ") or '
        'contains(concat(" ", normalize-space(@class), " "), " post-title ") or @itemprop="headline" or '
        '@itemprop="name"][self::h1 or self::h2 or self::h3]')]
    headings += [_text(h) for h in doc.xpath("//article//h1 | //main//h1")]
    headings = [h for h in headings if h and h not in site_names]
    title_tag = _strip_site_name(" ".join(doc.xpath("string(//title)").split()), site_names)
    title = _first(_meta(metas, "og:title"), ld.get("headline"), *headings, title_tag)
    if title in site_names:
        return None
    return _strip_site_name(title, site_names) if title else None


BYLINE_PREFIX = re.compile(r"^(by|di|da|par|von|por|بقلم|بواسطة|كتبه|كتب|الكاتب)\s*:?\s+", re.I)
INITIAL = re.compile(r"(?<!\w)\w{1,2}\.(?=\s)")
NOT_A_NAME = re.compile(r"[.!?:؟،|/@]|\d|https?")
NAME_WORDS = 5


def is_name(text: str) -> bool:
    """Whether link or byline text reads as a person's name, not as boilerplate around one ("View all of X's
    posts.", "عرض كل مقالات X", "Posted by X at 10:31"): a few words, no sentence punctuation, no digits."""
    words = text.split()
    bare = INITIAL.sub("", text)  # "M. Rossi", "د. أحمد": an initial's or a title's full stop is part of a name
    return 0 < len(words) <= NAME_WORDS and not NOT_A_NAME.search(bare)


def _author(doc, ld: dict, metas: dict, listed_author: str | None = None) -> str | None:
    """JSON-LD, then the meta tags, then the page's byline and microdata, then what the feed said (dc:creator).
    The text of a `rel=author` link only when it is a name: themes print "View all of X's posts." there."""
    author = ld.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, dict):
        author = author.get("name")
    bylines = doc.xpath('//*[@itemprop="author"]//*[@itemprop="name"] | //*[@itemprop="author"] | '
                        '//*[contains(@class, "author")]//*[contains(@class, "fn")] | '
                        '//*[contains(concat(" ", @class, " "), " byline ")]//a[@rel="author"] | '
                        '//span[contains(concat(" ", @class, " "), " author ")] | //*[@rel="author"]')
    names = [text for text in (_text(n) for n in bylines) if is_name(text)]
    # an author box's heading ("By X", "بقلم X") or a block theme's post-author block, where a theme prints the
    # name nowhere else
    boxed = [BYLINE_PREFIX.sub("", _text(n)) for n in doc.xpath(
        '//*[contains(@class, "author-title") or contains(@class, "author-name") or contains(@class, "author__name")]'
        '[not(self::a)][not(contains(@class, "comment"))]')]
    names += [text for text in boxed if is_name(text)]
    meta = _meta(metas, "author", "article:author")
    return _first(author, meta if meta and not meta.startswith("http") else None, *names, listed_author)


IN_CATEGORY_TERMS = 'contains(concat(" ", normalize-space(@class), " "), " taxonomy-category ")'
# The URL shapes of a site's category and tag listings: WordPress `/category/<x>/`, Pelican `/category/<x>.html` and
# `/tag/<x>.html`, `/tags/`, `/section/`, Italian and Spanish `/categoria/`, Blogger's `/search/label/<x>`; a
# language prefix (`/ar/category/…`) allowed.
SECTION_LINK = re.compile(r"/(?:category|categories|section|sections|categoria|categorie|rubrique|rubriques)/"
                          r"(?P<name>[^/]+?)(?:\.html?)?/?$", re.I)
TAG_LINK = re.compile(r"/(?:tag|tags|etiqueta|etiquetas|search/label)/(?P<name>[^/]+?)(?:\.html?)?/?$", re.I)
# what holds the site's own navigation, not the article's: every category a menu lists is not this article's
NAVIGATION = re.compile(r"(?:^|[\s_-])(?:menu|menus|nav|navbar|navigation|sidebar|widget|widgets|breadcrumbs?|"
                        r"tagcloud|cloud|site-header|site-footer|masthead)(?:$|[\s_-])", re.I)
TERM_COUNT = re.compile(r"\s*[(\[]\d+[)\]]$")  # "سياسة (12)": a listing's count is not part of the name
TERM_WORDS = 6


def _in_article_area(link, has_article: bool) -> bool:
    """Whether a link sits in the article or its own header/footer meta area, not in the site's navigation:
    outside <nav>, <aside>, a menu, sidebar or widget, and outside the page's own header and footer; inside an
    <article> or <main> when the page has an <article>."""
    in_header = in_article = False
    for node in link.iterancestors():
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("nav", "aside") or node.get("role") == "navigation":
            return False
        if NAVIGATION.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return False
        if tag in ("article", "main"):
            in_article = True
        elif tag in ("header", "footer") and not in_article:
            in_header = True  # the page's header or footer unless an article or main holds it
    if in_header and not in_article:
        return False
    return in_article or not has_article


def _term_name(link, match: re.Match) -> str | None:
    """The term a listing link names: its text (a "#" and a count dropped), else its slug decoded."""
    text = TERM_COUNT.sub("", _text(link)).lstrip("#").strip()
    if not text:
        text = unquote(match["name"]).replace("-", " ").replace("_", " ").strip()
    if not text or len(text.split()) > TERM_WORDS:
        return None
    return unicodedata.normalize("NFC", text)


def linked_terms(doc, url: str) -> tuple[list[str], list[str]]:
    """(sections, tags) the article links to by the URL shapes of the site's category and tag listings (Pelican
    links them this way, without rel=tag), the link text as the name; links of the site's navigation left out."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    has_article = bool(doc.xpath("//article"))
    sections: list[str] = []
    tags: list[str] = []
    for link in doc.iter("a"):
        href = link.get("href")
        if not href or "/" not in href:
            continue
        parts = urlsplit(urljoin(url, href.strip()))
        if (parts.hostname or "").removeprefix("www.") != host:
            continue
        match = SECTION_LINK.search(parts.path)
        found = sections
        if match is None:
            match, found = TAG_LINK.search(parts.path), tags
        if match is None or not _in_article_area(link, has_article):
            continue
        name = _term_name(link, match)
        if name:
            found.append(name)
    return list(dict.fromkeys(sections)), list(dict.fromkeys(tags))


def _section_and_tags(doc, ld: dict, metas: dict, url: str = "",
                      listed_categories: list[str] | None = None) -> tuple[str | None, list[str]]:
    """Explicit metadata first (JSON-LD, article:section and article:tag, rel=category and rel=tag, WordPress's
    and Blogger's classes, breadcrumbs), then the article's links into the site's category and tag listings
    (linked_terms), then what the feed said (`listed_categories`)."""
    meta_tags = [t.strip() for t in doc.xpath('//meta[@property="article:tag"]/@content') if t.strip()]
    # classic themes mark category links rel="category tag"; block themes (WordPress's post-terms block) mark
    # them rel="tag" inside a `taxonomy-category` element
    categories = [_text(a) for a in doc.xpath('//a[contains(concat(" ", @rel, " "), " category ")] | '
                                              f'//*[{IN_CATEGORY_TERMS}]//a')]
    labels = [_text(a) for a in doc.xpath('//*[contains(@class, "post-labels")]//a')]
    crumbs = [_text(a) for a in doc.xpath('//*[contains(@class, "breadcrumb")]//a')][1:2]
    section = _first(ld.get("articleSection") if isinstance(ld.get("articleSection"), str) else None,
                     _meta(metas, "article:section"), *categories, *crumbs, *labels[:1])
    tags = meta_tags
    if not tags:
        rel_tags = [_text(a) for a in doc.xpath('//a[contains(concat(" ", @rel, " "), " tag ")]'
                                                '[not(contains(concat(" ", @rel, " "), " category "))]'
                                                f'[not(ancestor::*[{IN_CATEGORY_TERMS}])]')]
        tags = [t for t in rel_tags if t]
    if not tags and isinstance(ld.get("keywords"), str):
        tags = [t.strip() for t in ld["keywords"].split(",") if t.strip()]
    if section and tags and tags[0] == section and labels:
        tags = tags[1:]  # Blogger: the first label is the section
    if section is None or not tags:
        linked_sections, linked_tags = linked_terms(doc, url) if url else ([], [])
        section = section or _first(*linked_sections)
        tags = tags or linked_tags  # a tag may share its name with the section (Pelican: both listed)
    section, tags = listed_fallback(section, tags, listed_categories or [])
    return section, list(dict.fromkeys(tags))


def _drop_reader_comments(doc) -> None:
    """Reader comments are never the article, and a page with thousands of them (a 6 MB page with 6,000 on the
    replica) made every field's XPath and trafilatura's own pruning scan them all: seconds per page, and a
    commenter could be taken for the author. WordPress's classic themes and Blogger wrap them in id="comments";
    block themes in `div.wp-block-comments` (their id="comments" is on the heading)."""
    for element in doc.xpath('//*[@id="comments"] | //*[contains(@class, "wp-block-comments")]'):
        if element.getparent() is not None and (element.get("id") == "comments"
                                                or "wp-block-comments" in element.get("class").split()):
            element.drop_tree()


# Letters of Persian, Urdu, Kurdish, Pashto written in the Arabic script that Arabic does not use: text without them
# is Arabic whatever langdetect would add (ڤ, ڨ are left out: Arabic writes foreign names with them).
NOT_ARABIC_LETTERS = frozenset("پچژگکیۀہۂےۓٹڈڑںۆۇۈۋێڕڵھ")
ARABIC_SCRIPT_SHARE = 0.6  # above it, and without those letters, the script decides
# the letters of the Arabic block (U+0600-U+06FF), not its digits, punctuation or diacritics
ARABIC_LETTER = re.compile("[" + "".join(re.escape(chr(c)) for c in range(0x600, 0x700) if chr(c).isalpha()) + "]")


def load_language_profiles() -> None:
    """langdetect reads its 55 profiles on first use (a third of a second): done once in a process that forks
    workers, they share it."""
    init_factory()


def detect_language(text: str) -> str | None:
    """The script decides when it can: Arabic-script text without letters of other languages written in it is
    Arabic (langdetect costs milliseconds a page to say so, and on our pages it always did:
    tests/pages/test_language.py). langdetect (seeded) for the rest — Latin-script text above all, where Italian
    and English differ by words."""
    text = text[:LANGDETECT_CHARS]  # a few sentences decide; the whole body only costs time
    letters = sum(map(str.isalpha, text))
    if not letters:
        return None
    arabic_letters = ARABIC_LETTER.findall(text)
    arabic = len(arabic_letters) / letters
    if len(text) < 120:
        return "ar" if arabic > 0.5 else None
    if arabic >= ARABIC_SCRIPT_SHARE and NOT_ARABIC_LETTERS.isdisjoint(arabic_letters):
        return "ar"
    try:
        return detect(text)
    except LangDetectException:
        return "ar" if arabic > 0.5 else None


def body_text_of(doc, url: str) -> str | None:
    """trafilatura's text of the page; the tree is left as it was (trafilatura works on its own copy)."""
    content = trafilatura.extract(doc, url=url, fast=True, **TRAFILATURA_OPTIONS)
    if len(content or "") < FALLBACK_BELOW:
        content = trafilatura.extract(doc, url=url, **TRAFILATURA_OPTIONS)
    return content


def extract(body: bytes, url: str, headers: dict[str, str] | None = None,
            site_name: str = DEFAULT_SITE_NAME, facts: PageFacts | None = None, listed: bool = False,
            listed_author: str | None = None, doc=None, listed_categories: list[str] | None = None) -> Article | None:
    """The article on this page, or None when the page is not an article. Raises ExtractionFailed when it is
    one but its title or body cannot be read. See extract_page."""
    return extract_page(body, url, headers, site_name, facts, listed, listed_author, doc, listed_categories)[0]


def extract_page(body: bytes, url: str, headers: dict[str, str] | None = None,
                 site_name: str = DEFAULT_SITE_NAME, facts: PageFacts | None = None, listed: bool = False,
                 listed_author: str | None = None, doc=None,
                 listed_categories: list[str] | None = None) -> tuple[Article | None, str]:
    """(the article or None, why detection decided so). Raises ExtractionFailed when the page is an article but
    its title or body cannot be read.

    `facts` is what the spider's discovery already learnt from the page (whether it is an article, its assets):
    given, the page is not analysed twice. `doc` is the tree the spider parsed the page into (archive.pages.detection.
    parse_html with html_encoding), handed over once the spider is done with it: it is changed here. Without it
    the page is parsed here, the same way. The same tree is handed to trafilatura after every field read from it.

    `listed`: a sitemap of posts or a posts feed lists the URL (evidence that it is an article);
    `listed_author`: the author the feed named for it (dc:creator), the last resort for the author;
    `listed_categories`: the feed's <category> elements for it, the last resort for section and tags."""
    if doc is None:
        content_type = (headers or {}).get("Content-Type") or (headers or {}).get("content-type")
        doc = parse_html(body, url, html_encoding(body, content_type))
    if doc is None:
        return None, "unparsable"
    if facts is None:
        facts = analyse_doc(doc, url, listed, links=False)
    if not facts.is_article:
        return None, facts.reason
    _drop_reader_comments(doc)
    # HTML comments inside paragraphs ("<p>When <!-- -->President …") cut the text after them in trafilatura
    # when it is handed a tree (its own parser drops them first)
    etree.strip_tags(doc, etree.Comment)
    ld = _jsonld(doc)
    metas = meta_tags(doc)
    names = {site_name, _meta(metas, "og:site_name") or ""}
    publisher = ld.get("publisher")
    if isinstance(publisher, dict) and publisher.get("name"):
        names.add(publisher["name"])
    names.discard("")
    title = _title(doc, ld, names, metas)
    times = doc.xpath('//time[contains(@class, "published") or contains(@class, "entry-date")]/@datetime | '
                      '//*[contains(@class, "wp-block-post-date")]//time/@datetime')
    abbr = doc.xpath('//abbr[contains(@class, "published")]/@title')
    microdata = doc.xpath('//*[@itemprop="datePublished"]/@content | //*[@itemprop="datePublished"]/@datetime')
    stated = [_iso(ld.get("datePublished")), _iso(_meta(metas, "article:published_time")),
              *(_iso(t) for t in times), *(_iso(t) for t in abbr), *(_iso(t) for t in microdata)]
    updated = doc.xpath('//time[contains(@class, "updated")]/@datetime')
    updated += doc.xpath('//abbr[contains(@class, "modified")]/@title')  # Pelican's, as abbr.published
    modified = _first(_iso(ld.get("dateModified")), _iso(_meta(metas, "article:modified_time")),
                      *(_iso(t) for t in updated))
    section, tags = _section_and_tags(doc, ld, metas, url, listed_categories)
    image = ld.get("image")
    if isinstance(image, dict):
        image = image.get("url")
    if isinstance(image, list):
        image = image[0] if image else None
    image = _first(_meta(metas, "og:image"), image if isinstance(image, str) else None, facts.lead_image)
    author = _author(doc, ld, metas, listed_author)
    # trafilatura's precision mode prunes <header> elements, and with an article's own header it has been seen
    # to take the body that follows (every field above has been read from the tree already)
    for header in doc.xpath("//article//header"):
        header.tag = "div"
    content = body_text_of(doc, url)
    paragraphs = [" ".join(p.split()) for p in (content or "").split("\n") if p.strip()]
    paragraphs = [p for p in paragraphs if p != title]  # a headline picked up as text is not a body
    if not title or not paragraphs:
        raise ExtractionFailed("no title" if not title else "no body text")
    body_text = "\n\n".join(paragraphs)
    article = Article(
        url=canonical(url), title=unicodedata.normalize("NFC", title), body=body_text,
        author=author, published=_first(*stated, dateline_date(paragraphs[0]), dateline_date(body_text[:400])),
        modified=modified,
        section=section, tags=tags, image=canonical(image) if image else None, lang=detect_language(body_text),
        word_count=len(body_text.split()),
    )
    return article, facts.reason
