"""What a site's sitemaps and feeds list, as pure functions of (bytes, URL): no network, no state, no Scrapy.

Feeds are read by their XML dialect (RSS 2.0 or Atom, paged with `rel=next` or WordPress's `?paged=N`); sitemaps by
the name sites give them, which says whether every URL they list is a post. The spider decides from these what to
fetch; the XML of a sitemap itself is read by Scrapy's own Sitemap class.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from archive.core.times import instant
from archive.pages.shapes import ARTICLE_PATH, url_shape  # noqa: F401 (url_shape: theirs)

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


@dataclass
class FeedPage:
    entries: list[tuple[str, str | None]] = field(default_factory=list)  # (link, updated)
    next_url: str | None = None
    dialect: str = ""
    authors: dict[str, str] = field(default_factory=dict)  # link → the entry's author (dc:creator, atom:author)
    # link → the entry's categories, in the feed's order (RSS <category>, Atom <category term label>): WordPress and
    # Pelican list the category first, then the tags; Blogger its labels
    categories: dict[str, list[str]] = field(default_factory=dict)


# Sitemaps that list something other than posts, by the names WordPress (`wp-sitemap-posts-page-1.xml`,
# `wp-sitemap-taxonomies-category-1.xml`, `wp-sitemap-users-1.xml`), Yoast (`page-sitemap.xml`,
# `post_tag-sitemap.xml`, `author-sitemap.xml`) and Blogger (`sitemap-pages.xml`) give them.
NOT_POSTS_SITEMAP = {"page", "pages", "taxonomies", "taxonomy", "category", "categories", "tag", "tags", "post_tag",
                     "user", "users", "author", "authors", "attachment", "attachments", "image", "images", "video",
                     "videos", "product", "products"}
POSTS_SITEMAP = {"post", "posts", "news", "article", "articles", "blog"}


def sitemap_lists(url: str) -> str:
    """What a sitemap lists, by the name sites give it: "posts" (`wp-sitemap-posts-post-1.xml`, `post-sitemap.xml`,
    news sitemaps, Blogger's `sitemap.xml?page=N`), "other" (static pages, taxonomies, authors, media) or "mixed"
    (a plain `sitemap.xml`: posts and pages together, only an article-shaped URL there is a post)."""
    parts = urlsplit(url)
    tokens = set(re.split(r"[-_.]", parts.path.rsplit("/", 1)[-1].lower().replace("post_tag", "tag")))
    if tokens & NOT_POSTS_SITEMAP:
        return "other"
    if tokens & POSTS_SITEMAP or re.search(r"(^|&)page=\d", parts.query):
        return "posts"
    return "mixed"


def is_posts_sitemap(url: str) -> bool:
    """Whether every URL the sitemap lists is a post, whatever its shape."""
    return sitemap_lists(url) == "posts"


COMMENTS_FEED = re.compile(r"/comments/|/feeds/(\d+/)?comments/")
FEED_SUFFIX = re.compile(r"/feed/?(atom/|rss2?/)?$")


def is_comments_feed(url: str) -> bool:
    """A feed of comments (the site's, `/comments/feed/`, Blogger's `/feeds/comments/default`, or one post's,
    `/2021/09/14/slug/feed/`): its entries are comments, not posts, and it is not a source of articles."""
    path = urlsplit(url).path
    if COMMENTS_FEED.search(path):
        return True
    stem = FEED_SUFFIX.sub("/", path)
    return stem != path and ARTICLE_PATH.match(stem) is not None


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
                author = (entry.findtext(f"{ATOM}author/{ATOM}name") or "").strip()
                if author:
                    page.authors[page.entries[-1][0]] = author
                _note_categories(page, [c.get("label") or c.get("term") or ""
                                        for c in entry.findall(ATOM + "category")])
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
                author = (item.findtext(DC + "creator") or "").strip()
                if author:
                    page.authors[page.entries[-1][0]] = author
                _note_categories(page, [c.text or "" for c in item.findall("category")])
        if channel is not None:
            page.next_url = next((urljoin(url, a.get("href")) for a in channel.findall(ATOM + "link")
                                  if a.get("rel") == "next" and a.get("href")), None)
    else:
        return None
    if page.next_url is None and page.entries and page.dialect == "rss" and urlsplit(url).path.endswith("/feed/"):
        page.next_url = wordpress_next_feed_page(url)
    return page


def _note_categories(page: FeedPage, names: list[str]) -> None:
    """The last entry's categories, whitespace collapsed, each once: Blogger's scheme URLs (`term` of
    `http://schemas.google.com/g/2005#kind`) are not categories."""
    names = [" ".join(name.split()) for name in names]
    names = list(dict.fromkeys(name for name in names if name and not name.startswith(("http://", "https://"))))
    if names:
        page.categories[page.entries[-1][0]] = names


def listed_fallback(section: str | None, tags: list[str], listed: list[str]) -> tuple[str | None, list[str]]:
    """What the feed's <category> elements add when the page named no section or no tags: feeds list the
    category first, then the tags (WordPress, Pelican; Blogger's labels, the first of them the section)."""
    listed = [name for name in dict.fromkeys(" ".join(c.split()) for c in listed) if name]
    if not listed:
        return section, tags
    if section is None:
        section, listed = listed[0], listed[1:]
    if not tags:
        tags = [name for name in listed if name != section]
    return section, tags


def wordpress_next_feed_page(url: str) -> str:
    """WordPress pages its feeds with `?paged=N` and answers 404 past the end; its feeds have no rel=next."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["paged"] = str(int(query.get("paged", "1")) + 1 if query.get("paged", "1").isdigit() else 2)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def first_page(url: str) -> str:
    """A paged feed's first page: the source an entry belongs to, whichever page listed it."""
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith(("paged=", "page=", "start-index=")))
    return parts._replace(query=query).geturl()


def sitemap_xml(body: bytes) -> bytes:
    """A sitemap's XML: gunzipped when it came as `.xml.gz` bytes, b"" when those are damaged."""
    if body[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError):  # not gzip after all, or cut short
            return b""
    return body


def same_time(a: str, b: str) -> bool:
    """Whether two feed or sitemap dates name the same instant, whatever their format (ISO 8601 with or
    without milliseconds, RFC 822 pubDate); unparsable values compare as text."""
    if a == b:
        return True
    return instant(a) == instant(b) is not None


