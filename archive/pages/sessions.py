"""Session ids of names canonical() does not know, recognised during a run by rules, never by a learned profile.

A site that writes a fresh session id into every link (`?visit=9f3c…`, the habit of PHP's trans-sid and of many
older CMSs) makes every page a new URL at every response: a crawler that follows links fetches the same pages
forever. archive.core.urls drops the names everybody uses (`sid`, `PHPSESSID`, `jsessionid` …). A parameter of
another name is recognised as a session id when one of three things shows it (docs/archiving.md, Canonical URLs):

- **links**: one page's links to at least MIN_PATHS different paths all carry it with one value, a value the page's
  own URL does not carry (the server made it up for this response), and that value is random-looking (long, letters
  and digits mixed); or, a value only token-like, the same holds on two pages with two different values;
- **rel=canonical**: a page fetched with it names as canonical its own URL without it;
- **payload**: the same payload (digest) arrived under two URLs that differ only in its value.

Never folded, whatever the rules see: a value of digits only (`?p=123`, `?page=2`, `?cat=5`), a short or word-like
value (`?lang=it`, `?sort=date`, `?tag=world-cup-2022`). Once recognised, a parameter is folded for the rest of the
run (`fold`): the URL variants it makes are never requested. Pure logic on URLs and digests; the crawl's side is
crawler/discovery/sessions.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from archive.core.urls import is_session_param

MIN_PATHS = 3          # links to this many different paths carrying one value make the links rule
TOKEN = re.compile(r"[0-9A-Za-z_,-]{8,}")
TOKEN_SWITCHES = 2     # letter ↔ digit switches of a token-like value (a slug like `cup2022` has 1)
RANDOM_LENGTH = 16     # a random-looking value: a token this long …
RANDOM_SWITCHES = 4    # … that switches between letters and digits this often (32 random hex digits: ~14 times)
PAYLOADS_KEPT = 50_000  # digests remembered for the payload rule (a bound on memory, not on the rule)


def _switches(value: str) -> int:
    """How often the value switches between letters and digits (separators ignored)."""
    kinds = [c.isdigit() for c in value if c.isalnum()]
    return sum(a != b for a, b in zip(kinds, kinds[1:], strict=False))


def token_like(value: str) -> bool:
    """Letters and digits mixed like a generated id (8 characters or more): never a number, a word, a language
    code or a slug."""
    return TOKEN.fullmatch(value) is not None and _switches(value) >= TOKEN_SWITCHES


def random_looking(value: str) -> bool:
    """A token long and mixed enough that no editor wrote it (32 hex digits, a UUID, a base-32 PHP session id)."""
    return len(value) >= RANDOM_LENGTH and token_like(value) and _switches(value) >= RANDOM_SWITCHES


def _pairs(query: str) -> list[tuple[str, str]]:
    return [(k.lower(), v) for k, v in parse_qsl(query, keep_blank_values=True)]


@dataclass
class Finding:
    """A parameter recognised as a session id: its name (lower-case), the rule that showed it, and how."""
    name: str
    rule: str   # links, canonical, payload
    why: str


@dataclass
class SessionRules:
    """What one run has learned: the parameters it folds, and the evidence the rules are still gathering."""
    folded: dict[str, Finding] = field(default_factory=dict)
    _page_values: dict[str, dict[str, str]] = field(default_factory=dict)  # name → {token value: page}
    _payloads: dict[str, str] = field(default_factory=dict)                # digest → URL

    # -- folding ----------------------------------------------------------------------------------------------
    def fold(self, url: str) -> str:
        """The URL without the parameters recognised so far (the rest of it untouched, for canonical() to
        finish); the URL itself when there are none."""
        if not self.folded or "?" not in url:
            return url
        head, _, rest = url.partition("?")
        query, hash_, fragment = rest.partition("#")
        kept = [part for part in query.split("&")
                if unquote(part.split("=", 1)[0].replace("+", " ")).lower() not in self.folded]
        if len(kept) == query.count("&") + 1:
            return url
        return head + ("?" + "&".join(kept) if kept else "") + hash_ + fragment

    def carries_session(self, url: str) -> bool:
        """Whether the URL carries a session id: a parameter recognised in this run, or one canonical() drops."""
        if "?" not in url and ";" not in url:
            return False
        parts = urlsplit(url)
        if ";jsessionid=" in parts.path.lower():
            return True
        return any(name in self.folded or is_session_param(name, value) for name, value in _pairs(parts.query))

    def _found(self, name: str, rule: str, why: str) -> Finding:
        finding = Finding(name, rule, why)
        self.folded[name] = finding
        self._page_values.pop(name, None)
        return finding

    # -- the rules --------------------------------------------------------------------------------------------
    def observe_links(self, page: str, links: list[str]) -> list[Finding]:
        """The links rule, on one page's links (same-site ones: the caller's choice)."""
        seen: dict[str, dict[str, set[str]]] = {}  # name → value → paths
        for link in links:
            if "?" not in link:
                continue
            parts = urlsplit(link)
            for name, value in _pairs(parts.query):
                if name not in self.folded and not is_session_param(name, value):
                    seen.setdefault(name, {}).setdefault(value, set()).add(parts.path)
        if not seen:
            return []
        own = {value for _, value in _pairs(urlsplit(page).query)}
        found = []
        for name, values in seen.items():
            if len(values) != 1:
                continue  # a value per link: an id, a page number, a filter
            (value, paths), = values.items()
            if len(paths) < MIN_PATHS or value in own or not token_like(value):
                continue
            if random_looking(value):
                found.append(self._found(name, "links", f"one random-looking value on the links to {len(paths)} "
                                                        f"paths of {page}"))
                continue
            pages = self._page_values.setdefault(name, {})
            if value not in pages and len(pages) < 16:
                pages[value] = page
            if len(pages) >= 2:
                first, second = list(pages.items())[:2]
                found.append(self._found(name, "links", f"one value on all the links of a page, a new one on the "
                                                        f"next ({first[1]}, {second[1]})"))
        return found

    def observe_canonical(self, page: str, canonical_href: str | None) -> list[Finding]:
        """The rel=canonical rule: the page names its own URL without some of its parameters, each token-like."""
        if not canonical_href or "?" not in page:
            return []
        mine, named = urlsplit(page), urlsplit(canonical_href)
        if (mine.hostname or "").lower() != (named.hostname or "").lower() or \
                unquote(mine.path or "/") != unquote(named.path or "/"):
            return []
        own, kept = dict(_pairs(mine.query)), dict(_pairs(named.query))
        if any(own.get(name) != value for name, value in kept.items()):
            return []  # the canonical changes or adds a parameter: another page, not this one without a session
        dropped = [name for name in own if name not in kept and name not in self.folded
                   and not is_session_param(name, own[name])]
        if not dropped or not all(token_like(own[name]) for name in dropped):
            return []
        return [self._found(name, "canonical", f"{page} names as canonical its own URL without it")
                for name in dropped]

    def observe_payload(self, url: str, digest: str | None) -> list[Finding]:
        """The payload rule: the same digest under a URL that differs only in one token-like parameter's value."""
        if not digest:
            return []
        before = self._payloads.get(digest)
        if before is None:
            if len(self._payloads) < PAYLOADS_KEPT:
                self._payloads[digest] = url
            return []
        if before == url:
            return []
        a, b = urlsplit(before), urlsplit(url)
        if (a.hostname, a.port, a.path) != (b.hostname, b.port, b.path):
            return []
        old, new = dict(_pairs(a.query)), dict(_pairs(b.query))
        if old.keys() != new.keys():
            return []
        differ = [name for name in old if old[name] != new[name]]
        if len(differ) != 1 or differ[0] in self.folded:
            return []
        name = differ[0]
        if not (token_like(old[name]) and token_like(new[name])):
            return []
        return [self._found(name, "payload", f"the same payload under {before} and {url}")]
