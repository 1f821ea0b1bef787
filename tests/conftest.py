"""Shared fixtures: replicas on free loopback ports, started once per session where tests only read them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawling import crawl, shared_crawl
from tests.replica_process import ReplicaProcess
from tests.shared import shared, stop_leftovers
from tests.wordpress.fixtures import (  # noqa: F401
    crawled_wp_block,
    crawled_wp_classic,
    real_wp_block,
    real_wp_classic,
    real_wp_private,
    wordpress_world,
)


def shared_replica(tmp_path_factory, name: str, **options):
    """A replica started once for all test workers, stopped after the last one."""
    with shared(tmp_path_factory, name, lambda folder: ReplicaProcess(folder, **options).start().state(),
                stop=lambda state: ReplicaProcess.attach(state).stop()) as state:
        yield ReplicaProcess.attach(state)


@pytest.fixture(scope="session")
def wordpress_site(tmp_path_factory):
    """The WordPress-theme replica, 500 articles, edition 1, with its manifest and request log."""
    yield from shared_replica(tmp_path_factory, "replica-wp", articles=500, theme="wordpress")


@pytest.fixture(scope="session")
def blogger_site(tmp_path_factory):
    yield from shared_replica(tmp_path_factory, "replica-blogger", articles=500, theme="blogger")


@pytest.fixture(params=["wordpress", "blogger"])
def any_site(request, wordpress_site, blogger_site):
    return wordpress_site if request.param == "wordpress" else blogger_site


@pytest.fixture(scope="session")
def crawled_wordpress(wordpress_site, tmp_path_factory):
    """One full crawl of the WordPress replica, shared by every test that only reads the archive it made."""
    yield from shared_crawl(tmp_path_factory, "crawl-wp", wordpress_site)


@pytest.fixture(scope="session")
def crawled_blogger(blogger_site, tmp_path_factory):
    yield from shared_crawl(tmp_path_factory, "crawl-blogger", blogger_site)


def crawl_two_editions(folder: Path) -> dict:
    site = ReplicaProcess(folder / "replica", articles=60).start()
    data = folder / "data"
    first = crawl(site, data, "--no-assets")
    assert first.returncode == 0, first.stderr
    before = site.manifest
    site.restart(edition=2)
    second = crawl(site, data, "--no-assets")
    assert second.returncode == 0, second.stderr
    again = crawl(site, data, "--no-assets", "--refresh")  # every article again: revisits of the unchanged
    assert again.returncode == 0, again.stderr
    return {"site": site.state(), "data": str(data), "before": before, "pids": [site.pid]}


@pytest.fixture(scope="session")
def two_editions(tmp_path_factory):
    """A 60-article replica crawled at edition 1, then at edition 2 on the same port (new, edited and removed
    articles: the removed one, gone from the sitemaps, is re-checked and its 404 recorded), then every article once
    more with --refresh (conditional requests: 304s become server-not-modified revisits). Returns (replica now at
    edition 2, data directory, edition-1 manifest). Made once for all test workers."""
    with shared(tmp_path_factory, "two-editions", crawl_two_editions,
                stop=lambda state: ReplicaProcess.attach(state["site"]).stop()) as state:
        yield ReplicaProcess.attach(state["site"]), Path(state["data"]), state["before"]


REPORT: list[str] = []


def pytest_sessionfinish(session):
    """Under pytest-xdist (`make test` runs two workers) each worker hands its measurements to the controller; the
    controller (or the only process) stops whatever a shared fixture left running."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["arshif_report"] = list(REPORT)
    elif hasattr(session.config, "_tmp_path_factory"):
        stop_leftovers(session.config._tmp_path_factory.getbasetemp())


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
