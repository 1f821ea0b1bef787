"""Tests that need a system package ask for it by its Debian name, from the list `make test` installs from
(tools/system-needs.txt): present, they get what they need; absent, they skip saying what to install.

Under CI the install ran as root, so an absent package there is a failed install, and the test fails instead.
"""

from __future__ import annotations

import os

import pytest

from tools.system_needs import install_hint, read_needs

NEEDS = {need.package: need for need in read_needs()}


def need(package: str) -> str:
    """The command's path (or the font's name) that the package provides; skip the test when it is absent."""
    entry = NEEDS[package]
    found = entry.locate()
    if found:
        return found
    message = (f"needs the Debian package {package} ({entry.check}): {install_hint([package])} "
               "(`make test` run as root installs it)")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
