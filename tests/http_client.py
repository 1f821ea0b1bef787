"""A tiny HTTP client for tests: raw status, headers and body bytes, no redirects followed, no decoding."""

from __future__ import annotations

import gzip
import http.client
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urljoin, urlsplit


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes  # as sent (still gzip-encoded when the server encoded it)

    @property
    def content(self) -> bytes:
        if self.headers.get("content-encoding") == "gzip":
            return gzip.decompress(self.body)
        return self.body

    @property
    def text(self) -> str:
        charset = "utf-8"
        m = re.search(r"charset=([\w-]+)", self.headers.get("content-type", ""))
        if m:
            charset = m.group(1)
        return self.content.decode(charset)


# What the tests' own requests say they are, so that a crawl's requests can be told from theirs in the log of a
# replica that several test workers use at once (tests/crawling.py).
TEST_AGENT = "arshif-tests (the test suite's own client)"


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Fetched:
    headers = {"User-Agent": TEST_AGENT, **(headers or {})}
    parts = urlsplit(url)
    assert parts.hostname in ("127.0.0.1", "localhost", "::1"), f"tests only talk to loopback, not {url}"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    target = quote(parts.path or "/", safe="/%-_.~!$&'()*+,;=:@") + (f"?{parts.query}" if parts.query else "")
    conn.request(method, target, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    result = Fetched(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
    conn.close()
    return result


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "img" and attrs.get("src"):
            self.assets.append(attrs["src"])
        elif tag == "link" and attrs.get("rel") == "stylesheet" and attrs.get("href"):
            self.assets.append(attrs["href"])


def links(html: str, base: str) -> tuple[list[str], list[str]]:
    """Absolute <a href> targets and asset (img, stylesheet) URLs of a page."""
    parser = _Links()
    parser.feed(html)
    return [urljoin(base, h) for h in parser.links], [urljoin(base, s) for s in parser.assets]


def path_key(url: str) -> str:
    """The test's own notion of 'same page': decoded path, no query, no fragment."""
    return unquote(urlsplit(url).path)


def wait_until_answering(url: str, timeout: float = 10) -> None:
    """Poll a server that is starting until it answers at all (any status)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fetch(url)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
