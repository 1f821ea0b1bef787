"""Benchmarks (`make bench`, `make bench-quick`) and long drills (`make drills`)."""

from __future__ import annotations

import os
from pathlib import Path


def hardware() -> tuple[str, float]:
    """(CPU model, GiB of RAM): the machine line every results page starts with, since numbers mean little
    without it."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return cpu, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
