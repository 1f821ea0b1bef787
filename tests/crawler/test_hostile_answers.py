"""Answers that are not articles (issue 27, Deliver 4), on a hostile site of our own on loopback: soft-404s found by
probing once per URL pattern, truncated answers retried and, when they stay cut, not taken; `arshif missed` lists
them with their reason and not as lost; the run's last lines and `stats --json` count them."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.crawler.hostile_answers import ENDING, SOFT_404, TRUNCATED, AnswersSite
from tests.crawling import arshif

pytestmark = pytest.mark.slow

QUICK = ("--no-assets", "--set", "RETRY_TIMES=1", "--set", "ARSHIF_RETRY_BACKOFF_BASE=0.05", "--set",
         "AUTOTHROTTLE_ENABLED=False", "--set", "DOWNLOAD_TIMEOUT=5")


def crawl(site: AnswersSite, data, *extra: str):
    return arshif("--data", str(data), "crawl", "--site", site.url + "/", *QUICK, *extra, timeout=120)


def stored(data) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(data / "archive.db") as conn:
        return {url: (title, body) for url, title, body in conn.execute("SELECT canonical, title, body FROM articles")}


def crawl_stats(data) -> list[dict]:
    with sqlite3.connect(data / "archive.db") as conn:
        return [json.loads(row[0]) for row in conn.execute("SELECT stats FROM crawls ORDER BY id")]


def test_soft_404s_and_truncated_answers_are_not_articles(tmp_path):
    data = tmp_path / "data"
    with AnswersSite() as site:
        run = crawl(site, data)
        probes, asked = site.probes(), dict(site.asked)
        out = run.stdout + run.stderr
        assert run.returncode == 0, out
        articles = stored(data)
        # every real article once, whole, with its title: the two whose first answer came short were asked again
        assert {url.removeprefix(site.url): title for url, (title, _) in articles.items()} == {
            path: title for path, title, _ in site.articles()}, sorted(articles)
        assert all(ENDING in body for _, body in articles.values())
        assert asked["/2021/10/05/nisf/"] == 2 and asked["/2021/10/07/naqis/"] == 2
        assert asked[TRUNCATED[0]] == 2  # retried once (RETRY_TIMES=1), still cut: not an article
        # one probe per URL pattern: /N/N/N/*/ and /N/N/*.html
        assert len(probes) == 2, probes
        assert {p.count("/") for p in probes} == {5, 3}, probes
        first = crawl_stats(data)[0]
        assert first["arshif/soft404/probes"] == 2 and first["arshif/soft404/patterns_soft"] == 2

        missed = json.loads(arshif("--data", str(data), "missed", "--json").stdout)
        reasons = {page["url"].removeprefix(site.url): page["reason"].split(":")[0] for page in missed}
        assert reasons == {**{p.replace("%", "%25"): "soft-404" for p in SOFT_404}, TRUNCATED[0]: "truncated"}, missed
        assert not any(page["lost"] for page in missed)

        assert "3 soft-404 page(s)" in out and "3 truncated answer(s) asked for again" in out, out
        assert "1 answer(s) still truncated after RETRY_TIMES retries" in out, out
        assert "4 page(s) the site lists as posts were refused as articles, not lost (3 soft-404; 1 truncated)" in out
        assert "are not stored as articles (" not in out  # nothing lost
        stats = json.loads(arshif("--data", str(data), "stats", "--json").stdout)
        assert stats["missed_posts"] == 0 and stats["refused_posts"] == 4
        assert stats["refused_reasons"] == {"soft-404": 3, "truncated": 1, "too large": 0}
        cut = stats["crawls"][0]["cut"]
        assert (cut["soft_404"], cut["truncated_retried"], cut["truncated_given_up"], cut["soft_404_unchecked"]) == \
            (3, 3, 1, 0), cut
        log = "".join(p.read_text() for p in (data / "logs").glob("*.log"))
        assert "soft-404, not an article" in log and "truncated answer from" in log

        # crawl 2: the archive holds the articles; a new article and a new soft-404 of a known pattern are probed
        # again, once for that pattern in this run
        site.extra.append(("/2021/10/20/jadid/", "معرض جديد للفن المعاصر في روما",
                           ["افتتح في روما معرض جديد للفن المعاصر يضم أعمال فنانين من ضفتي البحر المتوسط.",
                            "ويستمر المعرض حتى نهاية الشتاء، والدخول مجاني للطلاب يوم الأحد."]))
        site.extra_soft_404.append("/2021/10/21/ghayr-mawjud/")
        before = dict(site.asked)
        second = crawl(site, data)
        assert second.returncode == 0, second.stdout + second.stderr
        assert len(site.probes()) == 3, site.probes()
        # the page that stayed truncated is asked for again (the archive does not hold it whole); the whole ones not
        assert site.asked[TRUNCATED[0]] - before[TRUNCATED[0]] == 2
        assert site.asked["/2021/10/05/nisf/"] == before["/2021/10/05/nisf/"]
    articles = stored(data)
    assert articles[site.url + "/2021/10/20/jadid/"][0] == "معرض جديد للفن المعاصر في روما"
    assert site.url + "/2021/10/21/ghayr-mawjud/" not in articles and len(articles) == 9
    assert crawl_stats(data)[1]["arshif/not_articles/soft_404"] == 1
    # reextract makes the crawl's refusals again from the records alone: the same articles, none gained or lost
    again = arshif("--data", str(data), "reextract")
    assert again.returncode == 0, again.stderr
    assert "refused as articles: " in again.stderr and "soft-404s" in again.stderr and "truncated" in again.stderr
    assert again.stderr.rstrip().endswith("0 articles gained, 0 lost"), again.stderr
    assert stored(data).keys() == articles.keys()
