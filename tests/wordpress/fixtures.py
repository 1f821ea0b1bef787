"""Fixtures for tests against a real WordPress (tests/wordpress/site.py), imported by tests/conftest.py.

- wordpress_world: MariaDB and the two shared sites, started once for all pytest-xdist workers, stopped after the
  last one (tests/shared.py).
- real_wp_classic, real_wp_block: the shared sites (themes twentytwentyone and twentytwentythree). READ-ONLY: any
  test of the session may be reading them at the same moment.
- real_wp_private: a factory, `real_wp_private("classic" | "block")`, of sites of one's own with the same content,
  to change through `site.php(...)`; stopped and dropped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.shared import shared
from tests.system import need
from tests.wordpress.site import PACKAGES, WordPressSite, WordPressWorld


def _start(folder, php: str) -> dict:
    return WordPressWorld(folder, php).start().state()


@pytest.fixture(scope="session")
def wordpress_world(tmp_path_factory) -> Iterator[WordPressWorld]:
    """Skips (or fails under CI) naming the first Debian package missing, before starting anything."""
    need(*PACKAGES)
    php = need("php-cli")
    with shared(tmp_path_factory, "wordpress-world", lambda folder: _start(folder, php),
                stop=lambda state: WordPressWorld.attach(state).stop()) as state:
        yield WordPressWorld.attach(state)


@pytest.fixture(scope="session")
def real_wp_classic(wordpress_world: WordPressWorld) -> WordPressSite:
    return wordpress_world.site("classic")


@pytest.fixture(scope="session")
def real_wp_block(wordpress_world: WordPressWorld) -> WordPressSite:
    return wordpress_world.site("block")


@pytest.fixture
def real_wp_private(wordpress_world: WordPressWorld, tmp_path) -> Iterator[Callable[..., WordPressSite]]:
    made: list[WordPressSite] = []

    def make(theme: str = "classic") -> WordPressSite:
        site = wordpress_world.private_site(theme, tmp_path / f"wordpress-{theme}-{len(made)}")
        made.append(site)
        return site

    yield make
    for site in made:
        wordpress_world.discard_site(site)


@pytest.fixture(scope="session")
def crawled_wp_classic(real_wp_classic, tmp_path_factory):
    """One crawl of the shared classic-theme WordPress, made once for all workers and modules."""
    from tests.crawling import shared_crawl

    yield from shared_crawl(tmp_path_factory, "crawl-real-wp-classic", real_wp_classic)


@pytest.fixture(scope="session")
def crawled_wp_block(real_wp_block, tmp_path_factory):
    from tests.crawling import shared_crawl

    yield from shared_crawl(tmp_path_factory, "crawl-real-wp-block", real_wp_block)
