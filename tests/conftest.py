"""Shared fixtures: replicas on free loopback ports, started once per session where tests only read them."""

from __future__ import annotations

import pytest

from tests.crawling import crawl
from tests.replica_process import ReplicaProcess


@pytest.fixture(scope="session")
def wordpress_site(tmp_path_factory):
    """The WordPress-theme replica, 500 articles, edition 1, with its manifest and request log."""
    site = ReplicaProcess(tmp_path_factory.mktemp("replica-wp"), articles=500, theme="wordpress").start()
    yield site
    site.stop()


@pytest.fixture(scope="session")
def blogger_site(tmp_path_factory):
    site = ReplicaProcess(tmp_path_factory.mktemp("replica-blogger"), articles=500, theme="blogger").start()
    yield site
    site.stop()


@pytest.fixture(params=["wordpress", "blogger"])
def any_site(request, wordpress_site, blogger_site):
    return wordpress_site if request.param == "wordpress" else blogger_site


@pytest.fixture(scope="session")
def crawled_wordpress(wordpress_site, tmp_path_factory):
    """One full crawl of the WordPress replica, shared by every test that only reads the archive it made."""
    run = crawl(wordpress_site, tmp_path_factory.mktemp("crawl-wp") / "data")
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="session")
def crawled_blogger(blogger_site, tmp_path_factory):
    run = crawl(blogger_site, tmp_path_factory.mktemp("crawl-blogger") / "data")
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(params=["wordpress", "blogger"])
def any_crawl(request):
    """(replica, crawl run) for each theme."""
    name = request.param
    return (request.getfixturevalue(f"{name}_site"), request.getfixturevalue(f"crawled_{name}"))


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
