"""Tests that need a system package ask for it by its Debian name, from the list `make test` installs from
(tools/system-needs.txt): present, they get what they need; absent, they skip saying what to install.

Under CI the install ran as root, so an absent package there is a failed install, and the test fails instead.
"""

from __future__ import annotations

import os

import pytest

from tools.system_needs import install_hint, read_needs

NEEDS = {need.package: need for need in read_needs()}


def need(package: str, *more: str) -> str:
    """The command's path (or the font's name) that the first package provides; skip the test, naming every
    package that is absent, when any is."""
    absent = [name for name in (package, *more) if not NEEDS[name].locate()]
    if not absent:
        return NEEDS[package].locate()
    plural = "s" if len(absent) > 1 else ""
    message = (f"needs the Debian package{plural} {', '.join(absent)}: {install_hint(absent)} "
               "(`make test` run as root installs them)")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
