"""Shared fixtures: replicas on free loopback ports, started once per session where tests only read them."""

from __future__ import annotations

import pytest

from tests.replica_process import ReplicaProcess


@pytest.fixture(scope="session")
def wordpress_site(tmp_path_factory):
    """The WordPress-theme replica, 200 articles, edition 1, with its manifest and request log."""
    site = ReplicaProcess(tmp_path_factory.mktemp("replica-wp"), articles=200, theme="wordpress").start()
    yield site
    site.stop()


@pytest.fixture(scope="session")
def blogger_site(tmp_path_factory):
    site = ReplicaProcess(tmp_path_factory.mktemp("replica-blogger"), articles=200, theme="blogger").start()
    yield site
    site.stop()


@pytest.fixture(params=["wordpress", "blogger"])
def any_site(request, wordpress_site, blogger_site):
    return wordpress_site if request.param == "wordpress" else blogger_site


@pytest.fixture
def replica_factory(tmp_path):
    """Start replicas of one's own (restartable, same ports across an edition change); all stopped after."""
    started: list[ReplicaProcess] = []

    def make(**options) -> ReplicaProcess:
        site = ReplicaProcess(tmp_path / f"replica-{len(started)}", **options).start()
        started.append(site)
        return site

    yield make
    for site in started:
        site.stop()
