"""Which response a revisit record stands for: the one rule that `show`, the web UI, the CDXJ index and a WACZ share.

A revisit holds no payload. arshif writes two kinds (docs/archiving.md, Replaying revisits): identical-payload-digest
(a full answer whose body the archive already holds) and server-not-modified (a 304 to a conditional request). Both
carry WARC-Refers-To (the record id), WARC-Refers-To-Target-URI, WARC-Refers-To-Date and a payload digest, all
taken from one capture: for a 304, the response whose validators the request sent, so that the digest a 304
carries is its original's. The original of a revisit is then:

1. among the responses of the same page (the canonical URL of WARC-Refers-To-Target-URI, or of the revisit's own
   URL without one) captured at or before the revisit;
2. the one whose record id is WARC-Refers-To, when the caller knows record ids (the CDXJ index does not);
3. else those with the payload digest the revisit carries (both profiles; a revisit that carries none confirms
   whatever was there), and among them the one captured at WARC-Refers-To-Date (to the second, as CDXJ
   timestamps are), else the latest;
4. else none: the revisit refers to a response that is not in the archive (yet: another worker's file may bring it).

For the records arshif writes, 2 and 3 name the same record. The digest is required of a 304 too: without it, a
304 whose original is missing would be shown as whatever other capture of the page came last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from archive.core.times import instant, stamp
from archive.core.urls import canonical

T = TypeVar("T")


@dataclass(frozen=True)
class Revisit:
    """What a revisit record says of its original."""

    url: str                          # WARC-Target-URI
    timestamp: str                    # 14 digits
    digest: str | None                # WARC-Payload-Digest
    refers_to: str | None = None      # WARC-Refers-To (a record id)
    refers_to_uri: str | None = None  # WARC-Refers-To-Target-URI
    refers_to_date: str | None = None  # WARC-Refers-To-Date (ISO 8601)

    @property
    def page(self) -> str:
        """The canonical URL its original is captured under."""
        return canonical(self.refers_to_uri or self.url)

    @property
    def refers_to_stamp(self) -> str | None:
        when = instant(self.refers_to_date)
        return stamp(when) if when else None

    @classmethod
    def of_headers(cls, headers, timestamp: str) -> Revisit:
        """From a revisit record's WARC headers (warcio's StatusAndHeaders)."""
        get = headers.get_header
        return cls(get("WARC-Target-URI"), timestamp, get("WARC-Payload-Digest"), get("WARC-Refers-To"),
                   get("WARC-Refers-To-Target-URI"), get("WARC-Refers-To-Date"))


class Response(NamedTuple):
    """What the rule reads of a candidate response."""

    url: str
    timestamp: str                    # 14 digits
    digest: str | None
    record_id: str | None = None


def original(revisit: Revisit, candidates: Iterable[T], facts: Callable[[T], Response]) -> T | None:
    """The candidate the revisit stands for (see the module's docstring), or None. Candidates come in capture
    order; of two equally good ones, the later in that order wins."""
    page = revisit.page
    pool = [(c, f) for c in candidates if (f := facts(c)).timestamp <= revisit.timestamp and canonical(f.url) == page]
    if revisit.refers_to:
        named = [c for c, f in pool if f.record_id == revisit.refers_to]
        if named:
            return named[-1]
    if revisit.digest:
        pool = [(c, f) for c, f in pool if f.digest == revisit.digest]
    at = revisit.refers_to_stamp
    exact = [(c, f) for c, f in pool if f.timestamp == at] if at else []
    pool = exact or pool
    if not pool:
        return None
    latest = max(f.timestamp for _, f in pool)
    return [c for c, f in pool if f.timestamp == latest][-1]
