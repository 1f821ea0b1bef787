"""Time: the 14-digit WARC timestamps, "now", and the scheduling clock. The one place that parses or writes them.

The scheduling clock is what every "is it time?" decision of a crawl reads (refetch intervals, revisits):
`ARSHIF_CLOCK` (ISO 8601) sets it, for tests and for an operator's what-if; otherwise it is the system clock.
WARC dates and capture times never read it: they stay real.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

STAMP = "%Y%m%d%H%M%S"


def now() -> datetime:
    """The real time, aware, in UTC."""
    return datetime.now(UTC)


def now_iso(timespec: str = "seconds") -> str:
    """The real time as ISO 8601 with its UTC offset (`2026-12-07T13:00:00+00:00`)."""
    return now().isoformat(timespec=timespec)


def stamp(when: datetime | None = None) -> str:
    """A 14-digit UTC timestamp (`20261207130000`): WARC file names, capture times. `when` defaults to now."""
    return (when or now()).astimezone(UTC).strftime(STAMP)


def from_stamp(value: str) -> datetime:
    """The aware UTC datetime of a 14-digit timestamp (longer values are cut to 14 digits); ValueError otherwise."""
    return datetime.strptime(value[:14], STAMP).replace(tzinfo=UTC)


def stamp_iso(value: str | None) -> str | None:
    """A 14-digit timestamp as ISO 8601 UTC with its offset, the form of every date in the JSON output; None stays
    None."""
    return from_stamp(value).isoformat() if value else None


def parse_partial_stamp(value: str) -> datetime:
    """A 4–14 digit timestamp (YYYY[MM[DD[hh[mm[ss]]]]]), padded as the Wayback Machine pads it; ISO dates too."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if not 4 <= len(digits) <= 14 or len(digits) % 2:
        raise ValueError(f"{value!r} is not a timestamp: use YYYY, YYYYMM, YYYYMMDD … up to YYYYMMDDhhmmss")
    padded = digits + "0101000000"[len(digits) - 4:] if len(digits) < 14 else digits
    try:
        return from_stamp(padded)
    except ValueError:
        raise ValueError(f"{value!r} is not a real moment") from None


def scheduling_now(setting: str | None = None) -> datetime:
    """The instant a run schedules against: ARSHIF_CLOCK when set (a time without an offset is UTC)."""
    if not setting:
        return now()
    try:
        when = datetime.fromisoformat(str(setting).strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"ARSHIF_CLOCK is not an ISO 8601 time: {setting!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def instant(value: str | None) -> datetime | None:
    """An ISO 8601 string, a 14-digit WARC timestamp or an RFC 822 date (RSS pubDate) as an aware datetime (UTC
    when it names no offset); None when it is none of them."""
    if not value:
        return None
    value = value.strip()
    try:
        if len(value) == 14 and value.isdigit():
            return from_stamp(value)
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def iso_utc(value: str | None) -> str | None:
    """A moment as stored (ISO 8601 in any offset, a WARC-Date with its fraction and `Z`, a 14-digit timestamp) in
    the form of arshif's own moments in the JSON output: ISO 8601 UTC to the second. None when it is no moment."""
    when = instant(value)
    return when.astimezone(UTC).isoformat(timespec="seconds") if when else None
