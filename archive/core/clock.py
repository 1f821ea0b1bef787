"""The scheduling clock: what every "is it time?" decision of a crawl reads (refetch intervals, revisits).

`ARSHIF_CLOCK` (ISO 8601) sets it, for tests and for an operator's what-if ("what would a run next Monday
fetch?"); otherwise it is the system clock. WARC dates and capture times never read it: they stay real.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def scheduling_now(setting: str | None = None) -> datetime:
    """The instant a run schedules against: ARSHIF_CLOCK when set (a time without an offset is UTC)."""
    if not setting:
        return datetime.now(UTC)
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
            return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
