"""One article, one URL: the canonical form every component and command uses (docs/archiving.md, Canonical URLs).

Links to the same article arrive as raw Arabic, lower-case escapes, upper-case escapes, with `utm_*`, `fbclid` or
`?m=1`, with a fragment or a default port. The archive stores and looks up one form: lower-case host, no default
port, no fragment, tracking and mobile parameters dropped, session ids dropped (the names Heritrix's StripSessionIDs
and StripSessionCFIDs rules know, and the `;jsessionid=` path parameter: a server that puts a fresh one on every
link would otherwise make every page a new URL at every visit), everything non-ASCII percent-encoded as UTF-8 with
upper-case hex. `canonical()` is idempotent. A session parameter of another name is recognised during a crawl
(crawler/discovery/sessions.py, by the rules of archive/pages/sessions.py) and folded before canonical().
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "showcomment",
                             "_ga", "igshid"})
MOBILE_PARAMS = frozenset({"m"})
# Session ids, whatever their value (case-insensitive): Java, PHP, ASP (`ASPSESSIONIDQQGGQGPG`: a prefix), ColdFusion,
# osCommerce, Zen Cart and the generic names. A change here changes stored URLs: it needs a migration
# (archive/store/schema.py, _v9 re-canonicalises the rows these names touched).
SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "sessionid", "session_id", "cfid", "cftoken", "oscsid",
                            "zenid"})
SESSION_PREFIXES = ("aspsessionid",)
# `sid` only when its value looks like a session id (PHP writes 26 to 32 characters of [0-9a-v] or hex; other stacks
# longer): `?sid=5` or `?sid=20931` names a story or a section on some sites and is kept. Heritrix asks for exactly
# 32 characters; shorter PHP ids exist, so 16 or more here.
SESSION_SID = re.compile(r"[0-9A-Za-z,-]{16,}")
_DROPPED_PREFIXES = TRACKING_PREFIXES + SESSION_PREFIXES
_PATH_SESSION = re.compile(r";jsessionid=[^;/?#]*", re.IGNORECASE)
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/:@!$'()*,;-._~?"
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def _requote(text: str, safe: str) -> str:
    """Decode then encode again, so raw Arabic, %d8%a7 and %D8%A7 all become %D8%A7."""
    return quote(unquote(text, errors="surrogateescape"), safe=safe, errors="surrogateescape")


def is_session_param(name: str, value: str) -> bool:
    """Whether canonical() drops this query parameter as a session id (its name, and for `sid` its value)."""
    low = name.lower()
    return low in SESSION_PARAMS or low.startswith(SESSION_PREFIXES) or \
        low == "sid" and SESSION_SID.fullmatch(value) is not None


def _is_dropped(name: str, value: str) -> bool:
    low = name.lower()
    if low.startswith(_DROPPED_PREFIXES) or low in TRACKING_PARAMS or low in SESSION_PARAMS:
        return True
    if low == "sid":
        return SESSION_SID.fullmatch(value) is not None
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
    if ";" in path:  # after requoting, so that `%3Bjsessionid=` goes too and a second pass changes nothing
        path = _PATH_SESSION.sub("", path) or "/"
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
