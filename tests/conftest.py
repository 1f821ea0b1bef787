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


@pytest.fixture(scope="session")
def two_editions(tmp_path_factory):
    """A 60-article replica crawled at edition 1, then at edition 2 on the same port (new, edited and removed
    articles: the removed one, gone from the sitemaps, is re-checked and its 404 recorded), then every article once
    more with --refresh (conditional requests: 304s become server-not-modified revisits). Returns (replica now at
    edition 2, data directory, edition-1 manifest)."""
    site = ReplicaProcess(tmp_path_factory.mktemp("replica-editions"), articles=60).start()
    data = tmp_path_factory.mktemp("crawl-editions") / "data"
    first = crawl(site, data, "--no-assets")
    assert first.returncode == 0, first.stderr
    before = site.manifest
    site.restart(edition=2)
    second = crawl(site, data, "--no-assets")
    assert second.returncode == 0, second.stderr
    again = crawl(site, data, "--no-assets", "--refresh")  # every article again: revisits of the unchanged
    assert again.returncode == 0, again.stderr
    yield site, data, before
    site.stop()


REPORT: list[str] = []


def pytest_sessionfinish(session):
    """Under pytest-xdist (`make test` runs two workers) each worker hands its measurements to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["arshif_report"] = list(REPORT)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    REPORT.extend(getattr(node, "workeroutput", {}).get("arshif_report", []))


def pytest_terminal_summary(terminalreporter):
    """Measurements some tests make (search quality against plain FTS5, …), shown after the results."""
    if REPORT:
        terminalreporter.section("arshif measurements")
        for line in REPORT:
            terminalreporter.write_line(line)


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
