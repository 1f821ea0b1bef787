"""Durations as an operator writes them (`30m`, `6h`, `1d`, `90s`, `1h30m`), for `schedule --every` and the
refetch intervals of listing pages, feeds and sitemaps."""

from __future__ import annotations

import re

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)", re.I)


def parse_duration(text: str | int | float) -> float:
    """'30m' → 1800.0; a bare number is seconds; '0' is zero (every run)."""
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"not a duration: {text!r} (negative)")
        return float(text)
    value = str(text).strip().lower()
    pos, total = 0, 0.0
    while pos < len(value):
        m = PART.match(value, pos)
        if not m or m.end() == pos:
            break
        total += float(m.group(1)) * UNITS[m.group(2) or "s"]
        pos = m.end()
        while pos < len(value) and value[pos] == " ":
            pos += 1
    if not value or pos != len(value):
        raise ValueError(f"not a duration: {text!r} (examples: 30m, 6h, 1d, 90s)")
    return total


def format_duration(seconds: float) -> str:
    """1800 → '30m', 5400 → '1h30m', 93784 → '1d2h3m'; what `stats` shows for the age of a run."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)
