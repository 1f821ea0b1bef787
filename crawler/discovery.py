"""What a page, a feed or a sitemap tells the crawler, as pure functions of (bytes, URL): no network, no state.

Nothing here knows the real site's markup. URLs are classified by the shapes news platforms use (WordPress,
Blogger, most CMSs: a date then a slug), feeds by their XML dialect (RSS 2.0 or Atom, with `rel=next` paging or
WordPress's `?paged=N`), and pages are articles when they say so (JSON-LD, `og:type`) or look like one (an
article-shaped URL and a publication date), and not when they are lists of linked headlines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree, html
from w3lib.encoding import html_body_declared_encoding

ARTICLE_PATH = re.compile(r"^/\d{4}/\d{2}/(?:\d{2}/)?[^/]+(?:/|\.html?)$")
LISTING_PATH = re.compile(r"(^/$|/page/\d+/?$|^/(category|tag|author|search/label)/|^/\d{4}/(\d{2}/)?$|^/search$)")
FEED_PATH = re.compile(r"(/feed/?(atom/|rss2?/)?$|^/feeds/|\.rss$|\.atom$|/rss/?$)")
SITEMAP_PATH = re.compile(r"sitemap[^/]*\.xml(\.gz)?$")
ASSET_EXT = re.compile(r"\.(css|js|jpe?g|png|gif|webp|svg|ico|woff2?|ttf|mp4|mp3|pdf)$", re.I)
ARTICLE_TYPES = {"newsarticle", "blogposting", "article", "reportagenewsarticle", "analysisnewsarticle",
                 "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting"}
ARABIC_MONTHS = ("يناير|فبراير|مارس|أبريل|ابريل|مايو|ماي|يونيو|يونيه|يوليو|يوليوز|أغسطس|اغسطس|غشت|سبتمبر|شتنبر|أكتوبر|"
                 "اكتوبر|نوفمبر|نونبر|ديسمبر|دجنبر|كانون الثاني|شباط|آذار|اذار|نيسان|أيار|ايار|حزيران|تموز|آب|اب|"
                 "أيلول|ايلول|تشرين الأول|تشرين الثاني|كانون الأول")
DATELINE = re.compile(rf"[0-9٠-٩]{{1,2}}\s+({ARABIC_MONTHS})\s+[0-9٠-٩]{{4}}")
ITALIAN_DATE = re.compile(r"\b\d{1,2}\s+(gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|"
                          r"ottobre|novembre|dicembre)\s+\d{4}\b", re.I)
ATOM = "{http://www.w3.org/2005/Atom}"


def classify(url: str) -> str:
    """article, listing, feed, sitemap, asset or page — from the URL alone, before fetching it."""
    path = urlsplit(url).path or "/"
    if SITEMAP_PATH.search(path):
        return "sitemap"
    if FEED_PATH.search(path):
        return "feed"
    if ASSET_EXT.search(path):
        return "asset"
    if ARTICLE_PATH.match(path):
        return "article"
    if LISTING_PATH.search(path):
        return "listing"
    return "page"


@dataclass
class FeedPage:
    entries: list[tuple[str, str | None]] = field(default_factory=list)  # (link, updated)
    next_url: str | None = None
    dialect: str = ""


def parse_feed(body: bytes, url: str) -> FeedPage | None:
    """Entries and the next page of an RSS 2.0 or Atom feed; None when the body is not a feed."""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    page = FeedPage()
    if root.tag == ATOM + "feed":
        page.dialect = "atom"
        for entry in root.iter(ATOM + "entry"):
            link = next((a.get("href") for a in entry.iter(ATOM + "link")
                         if a.get("rel", "alternate") == "alternate" and a.get("href")), None)
            updated = entry.findtext(ATOM + "updated") or entry.findtext(ATOM + "published")
            if link:
                page.entries.append((urljoin(url, link.strip()), updated))
        page.next_url = next((urljoin(url, a.get("href")) for a in root.findall(ATOM + "link")
                              if a.get("rel") == "next" and a.get("href")), None)
    elif root.tag == "rss" or root.find("channel") is not None:
        page.dialect = "rss"
        channel = root.find("channel")
        for item in (channel if channel is not None else root).iter("item"):
            link = (item.findtext("link") or "").strip()
            updated = item.findtext(ATOM + "updated") or item.findtext("pubDate")
            if link:
                page.entries.append((urljoin(url, link), updated))
        if channel is not None:
            page.next_url = next((urljoin(url, a.get("href")) for a in channel.findall(ATOM + "link")
                                  if a.get("rel") == "next" and a.get("href")), None)
    else:
        return None
    if page.next_url is None and page.entries and page.dialect == "rss" and urlsplit(url).path.endswith("/feed/"):
        page.next_url = wordpress_next_feed_page(url)
    return page


def wordpress_next_feed_page(url: str) -> str:
    """WordPress pages its feeds with `?paged=N` and answers 404 past the end; its feeds have no rel=next."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["paged"] = str(int(query.get("paged", "1")) + 1 if query.get("paged", "1").isdigit() else 2)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


@dataclass
class PageFacts:
    is_article: bool
    links: list[str]              # absolute <a href> targets, in page order
    feeds: list[str]              # <link rel=alternate> RSS/Atom
    assets: list[str]             # the lead image and the stylesheets
    canonical: str | None         # rel=canonical, absolute
    reason: str = ""


def jsonld_objects(doc):
    """Every JSON-LD object of a page, lists and `@graph`s flattened, in document order."""
    for script in doc.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script)
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
    parser = html.HTMLParser(encoding=encoding) if encoding else None
    try:
        return html.document_fromstring(body, parser=parser, base_url=url)
    except (etree.ParserError, ValueError):
        return None


def analyse_page(body: bytes, url: str, encoding: str | None = None) -> PageFacts:
    """Links, feeds, assets, canonical, and whether this page is an article."""
    doc = parse_html(body, url, encoding)
    if doc is None:
        return PageFacts(False, [], [], [], None, "unparsable")
    return analyse_doc(doc, url)


def analyse_doc(doc, url: str) -> PageFacts:
    base = doc.xpath("string(//base/@href)") or url

    def absolute(href: str) -> str | None:
        href = href.strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:", "whatsapp:")):
            return None
        return urljoin(base, href)

    links = [u for u in (absolute(h) for h in doc.xpath("//a/@href")) if u]
    feeds = [u for u in (absolute(h) for h in doc.xpath(
        '//link[@rel="alternate"][contains(@type, "rss") or contains(@type, "atom")]/@href')) if u]
    stylesheets = [u for u in (absolute(h) for h in doc.xpath('//link[contains(@rel, "stylesheet")]/@href')) if u]
    canonical_href = doc.xpath('string(//link[@rel="canonical"]/@href)')
    canon = absolute(canonical_href) if canonical_href else None

    types = _jsonld_types(doc)
    og_type = doc.xpath('string(//meta[@property="og:type"]/@content)').strip().lower()
    linked_headlines = len(doc.xpath("//h1[.//a] | //h2[.//a] | //h3[.//a]"))
    path_like = bool(ARTICLE_PATH.match(urlsplit(url).path))
    has_date = bool(doc.xpath('//time[@datetime] | //abbr[contains(@class, "published")] | '
                              '//meta[@property="article:published_time"]'))
    if not has_date:
        text = " ".join(doc.xpath("//body//p//text()")[:40])
        has_date = bool(DATELINE.search(text) or ITALIAN_DATE.search(text))
    if types & ARTICLE_TYPES:
        is_article, reason = True, "json-ld"
    elif og_type == "article":
        is_article, reason = True, "og:type"
    elif linked_headlines >= 3:
        is_article, reason = False, "list of linked headlines"
    elif path_like and has_date:
        is_article, reason = True, "article-shaped URL with a date"
    else:
        is_article, reason = False, "no article signal"

    assets = list(stylesheets)
    if is_article:
        lead = doc.xpath('string(//meta[@property="og:image"]/@content)').strip()
        if not lead:
            imgs = doc.xpath('(//article//img/@src | //*[contains(@class, "post-body") or contains(@class, '
                             '"entry-content") or contains(@class, "post-thumbnail")]//img/@src)')
            lead = imgs[0] if imgs else ""
        if lead:
            assets.insert(0, absolute(lead) or lead)
    return PageFacts(is_article, links, feeds, [a for a in dict.fromkeys(assets) if a], canon, reason)


def page_encoding(body: bytes, header_encoding: str | None) -> str:
    """The encoding to read a page with. Valid UTF-8 is trusted first (a wrong header charset is common, and an
    Arabic page in a legacy charset is practically never valid UTF-8), then the page's own declaration, then the
    header."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    declared = html_body_declared_encoding(body)
    return declared or header_encoding or "cp1252"
