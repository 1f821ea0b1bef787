"""One article, one URL: the canonical form every component and command uses (docs/archiving.md, Canonical URLs).

Links to the same article arrive as raw Arabic, lower-case escapes, upper-case escapes, with `utm_*`, `fbclid` or
`?m=1`, with a fragment or a default port. The archive stores and looks up one form: lower-case host, no default
port, no fragment, tracking and mobile parameters dropped, everything non-ASCII percent-encoded as UTF-8 with
upper-case hex. `canonical()` is idempotent.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "showcomment",
                             "_ga", "igshid"})
MOBILE_PARAMS = frozenset({"m"})
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/:@!$'()*,;-._~?"
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def _requote(text: str, safe: str) -> str:
    """Decode then encode again, so raw Arabic, %d8%a7 and %D8%A7 all become %D8%A7."""
    return quote(unquote(text, errors="surrogateescape"), safe=safe, errors="surrogateescape")


def _is_dropped(name: str, value: str) -> bool:
    low = name.lower()
    if low.startswith(TRACKING_PREFIXES) or low in TRACKING_PARAMS:
        return True
    return low in MOBILE_PARAMS and value in ("0", "1")


@lru_cache(maxsize=200_000)
def canonical(url: str) -> str:
    """The canonical form of an http(s) URL; other strings come back stripped but unchanged."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return url
        port = parts.port
    except ValueError:  # a port that is not a number, a broken IPv6 host: not a URL we could have fetched
        return url
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and not (scheme == "http" and port == 80 or scheme == "https" and port == 443):
        host = f"{host}:{port}"
    path = _requote(parts.path or "/", _PATH_SAFE)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_dropped(k, v)]
    query = urlencode(pairs, quote_via=quote, safe=_QUERY_SAFE) if pairs else ""
    return urlunsplit((scheme, host, path, query, ""))


@lru_cache(maxsize=50_000)
def origin(url: str) -> str:
    """`host[:port]` as canonical() writes it (lower-case host, no default port); '' when not http(s)."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        port = parts.port
    except ValueError:
        return ""
    if scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port and not (scheme == "http" and port == 80 or scheme == "https" and port == 443):
        host = f"{host}:{port}"
    return host


def same_site(url: str, site: str) -> bool:
    """Whether url is on the site's host (port included), ignoring scheme case and host case."""
    return origin(url) == origin(site) != ""
