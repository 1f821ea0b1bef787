"""What an article page needs to look as it did (DESIGN §5, Assets): its stylesheets, its scripts, the images of its
body, and the fonts, images and further stylesheets those stylesheets name.

One reader for both sides of the archive: the crawl asks for these URLs (once per URL per crawl), and the WACZ
export reads them again out of each captured page and stylesheet to carry each page's requisites with it. Reading
them from the capture rather than from a table keeps exports right for archives made before this list grew, and
for pages whose theme changed between captures.

Not requisites: images outside the article's body (sidebar thumbnails of other articles, which would make every
page carry a dozen other pages' pictures), `<a>` targets, iframes, media. The lead image (og:image) is the
spider's own concern (`PageFacts.lead_image`).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from archive.core.http import charset, mime_type

# The article's body: where its own images are. WordPress (classic and block themes), Blogger, and <article>.
BODY = ('//article | //*[contains(concat(" ", normalize-space(@class), " "), " entry-content ") '
        'or contains(@class, "post-body") or contains(@class, "post-thumbnail") '
        'or contains(@class, "wp-block-post-content") or contains(@class, "wp-block-post-featured-image")]')
# url(...) and @import "..." in CSS; comments first stripped
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s][^)]*?))\s*\)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
SKIP = ("#", "data:", "javascript:", "about:", "blob:", "mailto:")


def _usable(href: str | None) -> str | None:
    href = (href or "").strip()
    if not href or href.lower().startswith(SKIP):
        return None
    return href


def _srcset(value: str) -> list[str]:
    """The candidate URLs of a srcset: "a.jpg 640w, b.jpg 1280w" (a candidate's URL may hold commas only when
    followed by no space; real WordPress output never does)."""
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def page_requisites(doc, base: str) -> list[str]:
    """Absolute URLs of a parsed page's requisites, in document order, each once: stylesheets (and what its inline
    <style> blocks name), scripts, and the images (src and every srcset candidate) inside the article's body."""
    base = doc.xpath("string(//base/@href)") or base
    found: list[str] = []

    def add(href: str | None, against: str = base) -> None:
        usable = _usable(href)
        if usable:
            found.append(urljoin(against, usable))

    for href in doc.xpath('//link[contains(concat(" ", normalize-space(@rel), " "), " stylesheet ")]/@href'):
        add(href)
    for text in doc.xpath("//style/text()"):
        for ref in css_references(text, base):
            found.append(ref)
    for src in doc.xpath("//script/@src"):
        add(src)
    seen: set = set()
    for body in doc.xpath(BODY):
        for img in body.iter("img", "source"):
            if img in seen:  # inside two body elements (an entry-content within an <article>)
                continue
            seen.add(img)
            add(img.get("src"))
            if img.get("srcset"):
                for candidate in _srcset(img.get("srcset")):
                    add(candidate)
    return list(dict.fromkeys(found))


def css_references(text: str, base: str) -> list[str]:
    """Absolute URLs a stylesheet names: @import targets, fonts and images (url(...)), each once, in order."""
    text = CSS_COMMENT.sub("", text)
    found = []
    for match in (*CSS_IMPORT.finditer(text), *CSS_URL.finditer(text)):
        href = _usable(next(group for group in match.groups() if group is not None))
        if href:
            found.append(urljoin(base, href))
    return list(dict.fromkeys(found))


def is_stylesheet(url: str, mime: str | None = None) -> bool:
    """By its Content-Type (`mime`, parameters allowed) when there is one, else by its URL."""
    if mime:
        return (mime_type(mime) or "").lower() == "text/css"
    path = url.split("?")[0].split("#")[0].lower()
    return path.endswith(".css")


def stylesheet_charset(content_type: str | None, body: bytes) -> str:
    """A stylesheet's charset: its HTTP header, else its @charset rule, else UTF-8 (CSS Syntax §3.2); UTF-8 too
    when the name it gives is no codec Python knows."""
    name = charset(content_type)
    if name is None and body.startswith(b'@charset "'):
        name = body[10:body.find(b'"', 10)].decode("ascii", "replace")
    if not name:
        return "utf-8"
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name
