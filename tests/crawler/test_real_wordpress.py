"""arshif on a real WordPress (Debian's 6.1, Arabic locale, a classic and a block theme; tests/wordpress/): every
published post archived once and right, nothing else taken for an article, and no request spent twice.

The replica agrees with our own assumptions; this site does not. Ground truth is what WordPress itself says of its
posts (the manifest written through its PHP API), never what arshif stored.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

import pytest

from archive.core.urls import canonical
from tests.conftest import REPORT
from tests.crawling import CrawlRun, arshif, crawl

pytestmark = pytest.mark.slow




@pytest.fixture(params=["classic", "block"])
def real_crawl(request):
    """(WordPress site, the crawl of it) for each theme."""
    theme = request.param
    return request.getfixturevalue(f"real_wp_{theme}"), request.getfixturevalue(f"crawled_wp_{theme}")


def words(markup: str) -> list[str]:
    """The words of a text or of HTML (tags dropped, entities decoded), lower-cased, punctuation apart."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", markup))
    return re.findall(r"\w+", text.lower())


def overlap(gold: list[str], ours: list[str]) -> float:
    """Token-level F1 of two bags of words."""
    common = sum((Counter(gold) & Counter(ours)).values())
    if not common:
        return 0.0
    precision, recall = common / len(ours), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def articles(run: CrawlRun) -> dict[str, dict]:
    with sqlite3.connect(run.data / "archive.db") as db:
        db.row_factory = sqlite3.Row
        return {row["canonical"]: dict(row) for row in db.execute("SELECT * FROM articles")}


def test_every_published_post_is_one_article_and_nothing_else_is(real_crawl):
    site, run = real_crawl
    posts = {canonical(p["url"]) for p in site.manifest["posts"]}
    stored = set(articles(run))
    assert posts - stored == set(), f"{len(posts - stored)} posts not archived as articles"
    assert stored - posts == set(), f"{len(stored - posts)} articles that are not posts"
    never = [p["url"] for p in site.manifest["pages"]] + [c["url"] for c in site.manifest["categories"]]
    never += [t["url"] for t in site.manifest["tags"]] + [a["url"] for a in site.manifest["authors"]]
    assert not {canonical(u) for u in never} & stored


def test_fields_are_what_wordpress_says(real_crawl):
    site, run = real_crawl
    stored = articles(run)
    wrong: dict[str, list[str]] = {}
    for post in site.manifest["posts"]:
        a = stored[canonical(post["url"])]
        checks = {
            "title": a["title"] in (post["title"], post["title_raw"]),
            "author": a["author"] == post["author"],
            "published": (a["published"] or "")[:10] == post["date"],
            "section": a["section"] == post["category"],
            "tags": set(json.loads(a["tags"] or "[]")) == set(post["tags"]),
            "lang": a["lang"] == post["lang"],
            "body": overlap(words(post["content"]), words(a["body"])) >= 0.95,
        }
        for field, ok in checks.items():
            if not ok:
                wrong.setdefault(field, []).append(f"{unquote(post['url'])}: {a.get(field)!r}")
    assert not wrong, {field: (len(bad), bad[:3]) for field, bad in wrong.items()}


def test_no_reply_copies_and_nothing_asked_twice(real_crawl):
    site, run = real_crawl
    asked = [r for r in run.requests if r["method"] == "GET"]
    assert not [r for r in asked if "replytocom" in (r.get("query") or "")]
    twice = [path for path, n in Counter((r["path"], r.get("query") or "") for r in asked).items() if n > 1]
    assert not twice, twice[:5]
    per_post = len(asked) / len(site.manifest["posts"])
    assert per_post <= 2.5, f"{per_post:.2f} requests per post"


def test_what_the_requests_were(real_crawl):
    """The first crawl's requests are the posts, their lead images (with the resized copies WordPress lists in
    their srcset), the theme's requisites, the sources, and the other listed pages."""
    site, run = real_crawl
    posts = {urlsplit(canonical(p["url"])).path for p in site.manifest["posts"]}
    leads = {urlsplit(p["image"]).path.rsplit(".", 1)[0] for p in site.manifest["posts"] if p.get("image")}
    kinds = Counter()
    images = []
    for r in run.requests:
        path = urlsplit(canonical(site.url + r["path"])).path
        kind = ("post" if path in posts else "image" if "/wp-content/uploads/" in path else
                "source" if re.search(r"(robots\.txt|sitemap|/feed/)", path) else
                "theme" if "/wp-content/themes/" in path or "/wp-includes/" in path else "other")
        kinds[kind] += 1
        if kind == "image":
            images.append(path)
    assert kinds["post"] == len(posts)
    # every image asked for is a post's lead image or one of its resized copies (`name-300x169.jpg`), once
    assert {re.sub(r"-\d+x\d+$", "", path.rsplit(".", 1)[0]) for path in images} <= leads
    assert len(images) == len(set(images))
    assert kinds["theme"] >= 1
    REPORT.append(f"real WordPress ({site.manifest.get('theme', '?')}), first crawl: {dict(kinds)} requests")


def test_a_listed_post_not_stored_is_said_and_listed(real_wp_private, tmp_path):
    """A post WordPress lists but whose page has no text to extract: the crawl's last lines, `stats --json` and
    `arshif missed` all say so, with the reason."""
    site = real_wp_private("classic")
    site.php("wp_insert_post(['post_title' => 'صورة اليوم', 'post_content' => '', 'post_status' => 'publish', "
             "'post_author' => 2, 'post_date' => '2025-06-30 09:00:00']);")
    site.write_manifest()
    empty = next(p for p in site.manifest["posts"] if p["title"] == "صورة اليوم")
    run = crawl(site, tmp_path / "data", "--no-assets")
    assert run.returncode == 0, run.stderr
    assert "1 page(s) the site lists as posts are not stored as articles" in run.stderr
    assert "extraction failed: no body text" in run.stderr
    stats = json.loads(arshif("--data", str(run.data), "stats", "--json").stdout)
    assert stats["missed_posts"] == 1 and stats["missed_reasons"] == {"extraction failed: no body text": 1}
    listed = json.loads(arshif("--data", str(run.data), "missed", "--json").stdout)
    assert [(m["url"], m["reason"]) for m in listed] == [(canonical(empty["url"]), "extraction failed: no body text")]
    assert len(articles(run)) == len(site.manifest["posts"]) - 1


def test_reextract_gains_missed_articles_and_drops_false_ones(crawled_wp_classic, real_wp_classic, tmp_path):
    """An archive made by an older arshif (here: three posts missing, the about page stored as an article) is put
    right by `reextract`, from the captures alone, and says what it changed."""
    data = shutil.copytree(crawled_wp_classic.data, tmp_path / "data")
    posts = sorted(canonical(p["url"]) for p in real_wp_classic.manifest["posts"])
    about = canonical(real_wp_classic.manifest["pages"][0]["url"])
    with sqlite3.connect(data / "archive.db") as db:
        for url in posts[:3]:
            ids = [row[0] for row in db.execute("SELECT id FROM articles WHERE canonical = ?", [url])]
            db.execute("DELETE FROM article_versions WHERE article_id = ?", ids)
            db.execute("DELETE FROM articles WHERE id = ?", ids)
        db.execute("INSERT INTO articles (canonical, title, body) VALUES (?, 'من نحن', 'نص')", [about])
    result = arshif("--data", str(data), "reextract")
    assert result.returncode == 0, result.stderr
    assert "3 articles gained, 1 lost" in result.stderr
    with sqlite3.connect(data / "archive.db") as db:
        stored = {row[0] for row in db.execute("SELECT canonical FROM articles")}
    assert stored == set(posts)


SOURCES = re.compile(r"^/(robots\.txt|wp-sitemap[^/]*\.xml|feed/)?$")


def at(clock: datetime) -> tuple[str, str]:
    return "--set", f"ARSHIF_CLOCK={clock.isoformat(timespec='seconds')}"


def publish(site, title: str, days_ago: float, text: str) -> int:
    """A post published `days_ago` before the real now; its id."""
    return int(site.php(
        f"$gmt = gmdate('Y-m-d H:i:s', time() - {int(days_ago * 86400)}); echo wp_insert_post(["
        f"'post_title' => {json.dumps(title)}, 'post_content' => {json.dumps(text)}, 'post_status' => 'publish', "
        "'post_author' => 3, 'post_category' => [2], 'post_date_gmt' => $gmt, "
        "'post_date' => get_date_from_gmt($gmt)]);").strip())


def versions(run: CrawlRun) -> dict[str, int]:
    with sqlite3.connect(run.data / "archive.db") as db:
        return dict(db.execute("SELECT canonical, versions FROM articles"))


def test_edits_and_removals_on_a_site_that_announces_nothing(real_wp_private, tmp_path):
    """WordPress says nothing of edits (no lastmod, no validators): revisits see them, on a 30-minute schedule
    whose clock (ARSHIF_CLOCK) is moved forward between runs, and a run with nothing new costs its sources."""
    site = real_wp_private("classic")
    paragraph = "<p>" + " ".join(["وأكدت «لجنة المتابعة» أن الأعمال في الميناء ستستمر حتى نهاية الشهر."] * 8) + "</p>"
    young = publish(site, "افتتاح مركز ثقافي عربي في ميلانو", 2, paragraph)
    site.write_manifest()
    data, start = tmp_path / "data", datetime.now(UTC)
    first = crawl(site, data, *at(start))
    assert first.returncode == 0, first.stderr
    posts = {p["id"]: canonical(p["url"]) for p in site.manifest["posts"]}
    assert set(versions(first)) == set(posts.values())

    quiet = crawl(site, data, *at(start + timedelta(minutes=30)))
    sources = [r for r in quiet.requests if SOURCES.match(r["path"])]
    assert len(quiet.requests) == len(sources), [r["path"] for r in quiet.requests if r not in sources]
    assert len(quiet.requests) <= 0.1 * len(first.requests), (len(quiet.requests), len(first.requests))

    old = min(posts)  # the site's oldest post, years old
    trashed = sorted(posts)[len(posts) // 2]
    site.php(f"$p = get_post({young}); wp_update_post(['ID' => {young}, 'post_content' => $p->post_content . "
             "'<p>وأضاف المنظمون أن المركز سيفتح أبوابه للجمهور يوم السبت المقبل.</p>']);")
    site.php(f"$p = get_post({old}); wp_update_post(['ID' => {old}, 'post_content' => $p->post_content . "
             "'<p>تصحيح: ورد في نسخة سابقة من هذا الخبر تاريخ خاطئ للاجتماع.</p>']);")
    site.php(f"wp_trash_post({trashed});")
    fresh = [publish(site, f"خبر عاجل رقم {n} من روما", 0, paragraph) for n in (1, 2)]
    site.write_manifest()
    changed = crawl(site, data, *at(start + timedelta(hours=1)))
    assert changed.returncode == 0, changed.stderr
    now = {p["id"]: canonical(p["url"]) for p in site.manifest["posts"]}
    assert {now[n] for n in fresh} <= set(versions(changed))
    with sqlite3.connect(data / "archive.db") as db:
        assert db.execute("SELECT removed FROM articles WHERE canonical = ?", [posts[trashed]]).fetchone()[0]
    known = {urlsplit(u).path for u in posts.values()}
    revisits = [r for r in changed.requests if urlsplit(canonical(site.url + r["path"])).path in known]
    non_sources = [r for r in changed.requests if not SOURCES.match(r["path"])]
    assert len(non_sources) <= len(revisits) + 2 * (len(fresh) + 3), [r["path"] for r in non_sources]

    later = crawl(site, data, *at(start + timedelta(hours=6, minutes=30)))
    assert versions(later)[posts[young]] == 2, "the young post's edit is seen 6 hours after it"
    month = crawl(site, data, *at(start + timedelta(days=30, hours=1)))
    assert month.returncode == 0, month.stderr
    final = versions(month)
    assert final[posts[old]] == 2, "the old post's edit is seen within the period"
    untouched = {url: n for pid, url in posts.items() if pid not in (young, old, trashed) for n in [final[url]]}
    assert set(untouched.values()) == {1}
    stats = json.loads(arshif("--data", str(data), "stats", "--json").stdout)
    assert stats["revisits"]["checked_within_period"] == 1.0
    capped = crawl(site, data, *at(start + timedelta(days=70)), "--set", "ARSHIF_REVISIT_BUDGET=5")
    assert "were left for a later run (ARSHIF_REVISIT_BUDGET)" in capped.stderr
    assert json.loads(arshif("--data", str(data), "stats", "--json").stdout)["revisits"]["left_out_last_run"] > 0
    REPORT.append(f"revisits on the real WordPress ({len(posts)} posts): first crawl {len(first.requests)} requests; "
                  f"+30 min, nothing new: {len(quiet.requests)} (all sources); +1 h, 2 new, 2 edited, 1 trashed: "
                  f"{len(changed.requests)} ({len(non_sources)} beyond the sources); +6.5 h: {len(later.requests)}; "
                  f"+30 d: {len(month.requests)}")


def test_a_failing_source_withholds_only_its_own_evidence(real_wp_private, tmp_path):
    """The posts feed fails for a run: the removal check goes on for what the sitemaps say (a trashed post, gone
    from them, is re-checked and marked removed), and stats says since when removal checks have been limited."""
    site = real_wp_private("classic")
    data = tmp_path / "data"
    assert crawl(site, data, "--no-assets").returncode == 0
    old = min(site.manifest["posts"], key=lambda p: p["published"])  # listed by the sitemap alone
    with sqlite3.connect(data / "archive.db") as db:
        listed_by = db.execute("SELECT listed_by FROM urls WHERE canonical = ?", [canonical(old["url"])]).fetchone()
    assert "sitemap" in listed_by[0]
    site.php(f"wp_trash_post({old['id']});")
    plugins = site.docroot / "wp-content" / "mu-plugins"
    plugins.mkdir(exist_ok=True)
    failing = plugins / "arshif-test-failing-feed.php"
    failing.write_text("<?php add_action('init', function () { if (rtrim(strtok($_SERVER['REQUEST_URI'], '?'), '/') "
                       "=== '/feed') { status_header(500); exit('down'); } });\n")
    run = crawl(site, data, "--no-assets", "--set", "RETRY_TIMES=0")
    assert run.returncode == 0, run.stderr
    assert [r for r in run.requests if r["path"] == "/feed/" and r["status"] == 500]
    with sqlite3.connect(data / "archive.db") as db:
        assert db.execute("SELECT removed FROM articles WHERE canonical = ?", [canonical(old["url"])]).fetchone()[0]
    stats = json.loads(arshif("--data", str(data), "stats", "--json").stdout)
    assert stats["removal_checks"]["limited_runs"] == 1 and stats["removal_checks"]["limited_since"]
    failing.unlink()
    assert crawl(site, data, "--no-assets").returncode == 0
    assert json.loads(arshif("--data", str(data), "stats", "--json").stdout)["removal_checks"]["limited_runs"] == 0
