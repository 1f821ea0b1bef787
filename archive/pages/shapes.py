"""What a URL says before it is fetched, without parsing anything: its kind (article, listing, feed, sitemap, asset,
page), its shape (numbers and query values left out), the pattern of the pages it stands beside (its last segment a
wildcard) and whether it is one of our soft-404 probes. Kept free of lxml: the reading commands (`search`, `show`,
`stats`) use these rules and must start fast."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit, urlunsplit

ARTICLE_PATH = re.compile(r"^/\d{4}/\d{2}/(?:\d{2}/)?[^/]+(?:/|\.html?)$")
LISTING_PATH = re.compile(r"(^/$|/page/\d+/?$|^/(category|tag|author|search/label)/|^/\d{4}/(\d{2}/)?$|^/search$)")
FEED_PATH = re.compile(r"(/feed/?(atom/|rss2?/)?$|^/feeds/|\.rss$|\.atom$|/rss/?$)")
SITEMAP_PATH = re.compile(r"sitemap[^/]*\.xml(\.gz)?$")
ASSET_EXT = re.compile(r"\.(css|js|jpe?g|png|gif|webp|svg|ico|woff2?|ttf|mp4|mp3|pdf)$", re.I)
PROBE_PREFIX = "arshif-probe-"
LAST_SEGMENT = re.compile(r"^(?P<dir>.*/)(?P<name>[^/]+?)(?P<ext>\.[A-Za-z0-9]{1,5})?(?P<slash>/?)$")
DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=100_000)
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
    if LISTING_PATH.search(path) and not single_by_query(url):
        return "listing"
    return "page"


def single_by_query(url: str) -> bool:
    """`/?p=12`, `/?page_id=5`: WordPress's plain permalinks name one post or page on the home page's path."""
    parts = urlsplit(url)
    return (parts.path or "/") == "/" and bool(re.search(r"(^|&)(p|page_id|attachment_id)=\d", parts.query))


def url_shape(url: str) -> str:
    """A URL with its numbers and query values left out: `/r/spin?n=7` and `/r/spin?n=8` have one shape, so a redirect
    from one to the other leads nowhere new (a trap when it goes on); `/?p=12` → `/2021/10/09/slug/` does not."""
    parts = urlsplit(url)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{parts.scheme}://{parts.netloc.lower()}{DIGITS.sub('N', parts.path)}?{'&'.join(keys)}"


def slug_parts(path: str) -> tuple[str, str, str] | None:
    """The path's directory, its last segment's extension (`.html`, only where no slash follows) and its trailing
    slash; None for a path with no last segment (`/`)."""
    match = LAST_SEGMENT.match(path or "/")
    if not match or not match["name"]:
        return None
    return match["dir"], "" if match["slash"] else (match["ext"] or ""), match["slash"]


def probe_pattern(url: str) -> str | None:
    """The URL pattern a probe speaks for: the URL's shape (archive.pages.sources.url_shape: numbers generalised,
    query values left out) with its last path segment replaced by `*`: `/2021/10/09/<slug>/` → `/N/N/N/*/`,
    `/2021/10/<slug>.html` → `/N/N/*.html`, `/?p=12` → `/?p`. None when nothing in the URL names one page."""
    parts = urlsplit(url)
    slug = slug_parts(parts.path)
    if slug is not None:
        folder, ext, slash = slug
        return url_shape(urlunsplit(parts._replace(path=f"{folder}*{ext}{slash}"))).removesuffix("?")
    if any(value.isdigit() for _, value in parse_qsl(parts.query)):
        return url_shape(url)
    return None


def is_probe_url(url: str) -> bool:
    return PROBE_PREFIX in urlsplit(url).path
