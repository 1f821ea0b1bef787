"""Reading a Content-Type header: the one place that splits it into a media type and a charset."""

from __future__ import annotations

import re

CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


def header_text(value: bytes | str | None) -> str:
    """A header value as text (HTTP header bytes are Latin-1), '' when absent."""
    if value is None:
        return ""
    return value.decode("latin-1") if isinstance(value, bytes) else value


def mime_type(content_type: bytes | str | None) -> str | None:
    """The media type of a Content-Type value, without parameters, as sent; None when there is none."""
    return header_text(content_type).split(";", 1)[0].strip() or None


def charset(content_type: bytes | str | None) -> str | None:
    """The charset a Content-Type value names, or None."""
    m = CHARSET.search(header_text(content_type))
    return m.group(1) if m else None
