"""Sizes as operators write them ('1G', '500M', '1.5GiB', '20000'), in settings, options and the environment."""

from __future__ import annotations

import os
import re

SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.I)


class ConfigurationError(ValueError):
    """A value in the environment the commands cannot run with (the CLI says it in one line, exit status 2)."""


def parse_size(text: str | int) -> int:
    """'1G', '500M', '1.5GiB', '20000' → bytes."""
    if isinstance(text, int):
        return text
    m = SIZE.match(str(text))
    if not m:
        raise ValueError(f"not a size: {text!r} (examples: 1G, 500M, 20000)")
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def size_from_environment(name: str, default: int) -> int:
    """$name as a size when it is set, else `default`: how every command, not only the crawl, learns a limit the
    operator changed."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return parse_size(text)
    except ValueError as exc:
        raise ConfigurationError(f"{name}: {exc}") from None
