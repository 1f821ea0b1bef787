"""Trust in lastmod is earned (issue 28, Deliver 4): a crawl of a loopback site whose sitemap lastmod never moves sees
an edit behind it by the run's audit, loses its trust in that lastmod (said once, shown by `stats --json`), and sees
the rest by the revisit schedule within the period; an honest site keeps its trust and costs only the audit."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from tests.crawler.lastmod_site import ARTICLES, LastmodSite
from tests.crawling import arshif

pytestmark = pytest.mark.slow

QUICK = ("--no-assets", "--set", "RETRY_TIMES=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "DOWNLOAD_TIMEOUT=5",
         "--set", "ARSHIF_LASTMOD_AUDIT=2")
LOST = "missed an edit"


def crawl(site: LastmodSite, data, clock: datetime):
    del site.paths[:]
    run = arshif("--data", str(data), "crawl", "--site", site.url + "/", *QUICK,
                 "--set", f"ARSHIF_CLOCK={clock.isoformat(timespec='seconds')}", timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    return run, site.asked(ARTICLES)


def versions(data) -> dict[str, int]:
    with sqlite3.connect(data / "archive.db") as db:
        return {urlsplit(url).path: n for url, n in db.execute("SELECT canonical, versions FROM articles")}


def stats(data) -> dict:
    return json.loads(arshif("--data", str(data), "stats", "--json").stdout)


def test_an_edit_behind_a_lastmod_that_never_moves_is_seen(tmp_path):
    data, start = tmp_path / "data", datetime.now(UTC)
    with LastmodSite(honest=False) as site:
        _, first = crawl(site, data, start)
        assert sorted(first) == sorted(ARTICLES)
        assert stats(data)["lastmod_trusted"] is None  # nothing audited yet
        site.edit(0)
        site.edit(3)  # neither edit moves the sitemap's lastmod
        audit, asked = crawl(site, data, start + timedelta(days=1))
        # the audit asks for the two longest unchecked (ties by URL), and only them: the first shows the edit
        assert sorted(asked) == ARTICLES[:2], asked
        out = audit.stdout + audit.stderr
        assert out.count(LOST) == 1 and ARTICLES[0] in out, out
        said = stats(data)
        assert said["lastmod_trusted"] is False
        trust = said["lastmod_trust"]["127.0.0.1"]
        assert trust["article"].endswith(ARTICLES[0]) and trust["since"] and not trust["trusted"]
        assert versions(data)[ARTICLES[0]] == 2
        assert versions(data)[ARTICLES[3]] == 1  # not audited yet
        # a month later the untrusted site's articles are on the revisit schedule: every one looked at
        month, asked = crawl(site, data, start + timedelta(days=31))
        assert sorted(asked) == sorted(ARTICLES), asked
        assert LOST not in month.stdout + month.stderr  # said once, when trust was lost
    final = versions(data)
    assert final[ARTICLES[3]] == 2, "the edit behind the lastmod is seen within the period"
    assert sorted(final.values()) == [1, 1, 1, 1, 2, 2]
    assert stats(data)["lastmod_trusted"] is False


def test_an_honest_site_keeps_its_trust_and_costs_only_the_audit(tmp_path):
    data, start = tmp_path / "data", datetime.now(UTC)
    with LastmodSite(honest=True) as site:
        crawl(site, data, start)
        site.edit(0)  # the sitemap's lastmod moves with the edit
        month, asked = crawl(site, data, start + timedelta(days=31))
    # the edited article (its lastmod moved) and the audit's two; no revisit though a whole period passed
    assert sorted(asked) == [ARTICLES[0], *ARTICLES[1:3]], asked
    assert versions(data)[ARTICLES[0]] == 2
    said = stats(data)
    assert said["lastmod_trusted"] is True and said["lastmod_trust"]["127.0.0.1"]["clean"] == 2
    with sqlite3.connect(data / "archive.db") as db:
        run = json.loads(db.execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert run["arshif/lastmod/audits"] == 2 and run["arshif/lastmod/lapses"] == 0
    assert not run.get("arshif/revisits/made")
