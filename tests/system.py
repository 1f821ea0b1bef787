"""Tests that need a system package ask for it by its Debian name, from the list `make test` installs from
(tools/system-needs.txt): present, they get what they need; absent, they skip saying what to install.

Under CI the install ran as root, so an absent package there is a failed install, and the test fails instead.
"""

from __future__ import annotations

import os

import pytest

from tools.system_needs import read_needs, skip_reason

NEEDS = {need.package: need for need in read_needs()}


def need(package: str, *more: str) -> str:
    """The command's path (or the font's name, or an npm package's folder: `npm:NAME@VERSION`) that the first
    package provides; skip the test, naming every package that is absent, when any is."""
    absent = [name for name in (package, *more) if not NEEDS[name].locate()]
    if not absent:
        return NEEDS[package].locate()
    message = skip_reason(absent)
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
