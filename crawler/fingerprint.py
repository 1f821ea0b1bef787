"""Request fingerprints over the canonical URL, so the duplicate filter treats every form of a URL as one.

Scrapy's default fingerprint keeps `utm_*`, `fbclid`, `?m=1` and the difference between raw Arabic and its
escapes; ours computes the fingerprint from `archive.core.urls.canonical`, the same function the store and every
command use.
"""

from __future__ import annotations

import hashlib
from weakref import WeakKeyDictionary

from scrapy import Request
from scrapy.crawler import Crawler

from archive.core.urls import canonical


class CanonicalRequestFingerprinter:
    def __init__(self) -> None:
        self._cache: WeakKeyDictionary[Request, bytes] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CanonicalRequestFingerprinter:
        return cls()

    def fingerprint(self, request: Request) -> bytes:
        cached = self._cache.get(request)
        if cached is None:
            parts = [request.method.encode(), canonical(request.url).encode(), request.body or b""]
            cached = hashlib.sha1(b"\0".join(parts)).digest()
            self._cache[request] = cached
        return cached
