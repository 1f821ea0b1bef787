"""The replica's generated content and its ground truth, checked in-process (fast) and across editions."""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from replica import manifest as manifest_module
from replica import planted, vocab
from replica.server import ReplicaApp, ReplicaConfig
from tests.http_client import fetch
from tests.replica_process import free_port
from tests.system import need

TOKEN = re.compile(r"[^\s.,،؛:!?؟()\"'«»]+|«[^»\s]+»")


def records(articles=200, **options) -> tuple[ReplicaApp, list[dict]]:
    app = ReplicaApp(ReplicaConfig(articles=articles, **options), "http://127.0.0.1:9", "http://127.0.0.1:10")
    return app, [manifest_module.article_record(app, i) for i in app.site.live]


@pytest.fixture(scope="module")
def edition1():
    return records()


def all_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from all_strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from all_strings(v)


def test_sentence_material_never_contains_planted_words():
    for name in dir(vocab):
        if name.isupper():
            for text in all_strings(getattr(vocab, name)):
                lowered = text.lower()
                assert not [w for w in planted.RESERVED if w in lowered], (name, text)


def test_planted_forms_appear_exactly_where_the_manifest_says(edition1):
    _, recs = edition1
    for family in planted.FAMILIES:
        for form in family.forms:
            holders = {r["id"] for r in recs if {"family": family.key, "form": form.text, "kind": form.kind}
                       in r["planted"]}
            assert holders, f"{family.key}/{form.kind} is planted nowhere at 200 articles"
            needle = form.text.split("|")
            for r in recs:
                text = " ".join(r["paragraphs"])
                present = all(n in text for n in needle) if form.kind == "split" \
                    else form.text in TOKEN.findall(text) or f" {form.text} " in f" {text} "
                if r["id"] in holders:
                    assert present, (r["url"], form.text)
    # no form of a family occurs, even stripped of marks, in an article the manifest does not name
    def bare(text):
        return re.sub("[\u064b-\u0652\u0640«»]", "", text)

    for family in planted.FAMILIES:
        forms = {bare(f.text) for f in family.forms if f.kind != "split"}
        holders = {r["id"] for r in recs if any(p["family"] == family.key for p in r["planted"])}
        for r in recs:
            tokens = set(TOKEN.findall(bare(" ".join(r["paragraphs"]))))
            if family.key == "corridor":
                tokens = {bare(" ".join(r["paragraphs"]))} if "الممر" in bare(" ".join(r["paragraphs"])) else set()
                forms = {bare(" ".join(r["paragraphs"]))} if tokens else {"-"}
            if tokens & forms:
                assert r["id"] in holders, (family.key, r["url"])


def test_articles_vary_as_the_real_site_does(edition1):
    _, recs = edition1
    langs = Counter(r["lang"] for r in recs)
    assert 0.05 <= langs["it"] / len(recs) <= 0.15
    assert {r["date_sources"] for r in recs} == {"all", "jsonld", "meta", "time", "dateline-only"}
    assert {r["dateline_series"] for r in recs} == {"egyptian", "levantine", "maghreb", "italian"}
    assert {"western", "arabic-indic"} == {r["digit_style"] for r in recs}
    assert {True, False} == {r["og"] for r in recs} == {r["gzip"] for r in recs}
    assert len({r["section"] for r in recs}) == 6 and len({r["author"] for r in recs}) >= 10
    assert len({r["title"] for r in recs}) >= 0.95 * len(recs) and len({r["url"] for r in recs}) == len(recs)
    for r in recs:
        first = r["paragraphs"][0]
        if r["lang"] == "ar":
            assert first.startswith("الإيطالية نيوز، ") and " - " in first[:60]
        assert 3 <= len(r["paragraphs"]) and 1 <= len(r["tags"]) <= 3
    arabic_text = " ".join(p for r in recs if r["lang"] == "ar" for p in r["paragraphs"])
    assert re.search("[\u064b-\u0652]", arabic_text) and "ـ" in arabic_text  # tashkeel and tatweel
    assert re.search("[٠-٩]{2}", arabic_text) and "«" in arabic_text and re.search(r"%\d", arabic_text)
    assert re.search(r"«[^»]+» \([A-Z][a-z]+ [A-Z]", arabic_text), "Latin names in parentheses"
    assert re.search(r"أيلول|تموز|حزيران|آذار|نيسان", arabic_text) and re.search("شتنبر|غشت|يوليوز|ماي |دجنبر",
                                                                                  arabic_text)


def test_same_seed_same_bytes_other_seed_other_site():
    def pages(seed):
        app = ReplicaApp(ReplicaConfig(seed=seed), "http://127.0.0.1:9", "http://127.0.0.1:10")
        paths = ["/", "/robots.txt", "/sitemap_index.xml", "/feed/", app.urls.article(17), app.urls.article(150)]
        return [app.site_reply(p, {}).body for p in paths] + [app.cdn_reply(app.urls.image(17, "jpg"), {}).body]

    assert pages(1) == pages(1)
    assert pages(1)[4] != pages(2)[4]


def test_editions_differ_exactly_as_the_manifest_says(edition1):
    app1, recs1 = edition1
    app2, recs2 = records(edition=2)
    one, two = {r["url"]: r for r in recs1}, {r["url"]: r for r in recs2}
    head = manifest_module.header(app2)["changes"]
    assert set(two) - set(one) == set(head["new"]) and len(head["new"]) >= 3
    assert set(one) - set(two) == set(head["removed"]) and len(head["removed"]) == 1
    assert len(head["edited"]) >= 3
    fields = ("title", "paragraphs", "modified", "author", "section", "tags", "published")
    for url in set(one) & set(two):
        changed = [f for f in fields if one[url][f] != two[url][f]]
        if url in head["edited"]:
            assert "modified" in changed and ("paragraphs" in changed or "title" in changed), url
            assert two[url]["modified"] > one[url]["modified"]
        else:
            assert changed == [], (url, changed)
    # new articles are newer than everything of edition 1
    from datetime import datetime

    assert min(datetime.fromisoformat(two[u]["published"]) for u in head["new"]) > max(
        datetime.fromisoformat(r["published"]) for r in recs1)
    # chrome differs on unchanged pages: the "most read" list
    assert app1.site.most_read() != app2.site.most_read()


MOST_READ = re.compile(r'<a href="[^"]+utm_source=most_read[^"]*">([^<]+)</a>')


@pytest.mark.slow
def test_edition_change_on_the_same_port(replica_factory):
    site = replica_factory(articles=60, theme="blogger")
    first = site.manifest
    port, cdn_port = site.port, site.cdn_port
    unchanged_url = first["articles"][0]["url"]
    before = fetch(unchanged_url, headers={"Accept-Encoding": "gzip"})
    site.restart(edition=2)
    second = site.manifest
    assert (site.port, site.cdn_port) == (port, cdn_port) and first["site"] == second["site"]
    assert unchanged_url not in second["changes"]["edited"]
    assert fetch(second["changes"]["removed"][0]).status == 404
    assert fetch(second["changes"]["new"][0]).status == 200
    # an unchanged article: same validators, so a conditional request gets 304, but different chrome
    assert fetch(unchanged_url, headers={"If-None-Match": before.headers["etag"]}).status == 304
    after = fetch(unchanged_url)
    assert MOST_READ.findall(before.text) and MOST_READ.findall(after.text) != MOST_READ.findall(before.text)
    # an edited article: its edition-1 validator no longer matches
    edited = second["changes"]["edited"][0]
    site.restart(edition=1)
    etag = fetch(edited).headers["etag"]
    site.restart(edition=2)
    assert fetch(edited, headers={"If-None-Match": etag}).status == 200


def test_fault_share_and_kinds():
    app, recs = records(faults=0.2)
    faulty = [r for r in recs if r["fault"]]
    assert 20 <= len(faulty) <= 60, len(faulty)  # 40 expected
    assert {r["fault"] for r in faulty} == {"500-once", "stall", "truncate-once", "wrong-charset"}
    assert not [r for r in records()[1] if r["fault"]]


@pytest.mark.slow
def test_faults_over_http(replica_factory):
    site = replica_factory(articles=60, faults=0.5)
    by_kind = {}
    for a in site.manifest["articles"]:
        by_kind.setdefault(a["fault"], a)
    url = by_kind["500-once"]["url"]
    assert fetch(url).status == 500 and fetch(url).status == 200
    import http.client

    with pytest.raises(http.client.IncompleteRead):
        fetch(by_kind["truncate-once"]["url"])
    assert fetch(by_kind["truncate-once"]["url"]).status == 200
    wrong = fetch(by_kind["wrong-charset"]["url"])
    assert "ISO-8859-1" in wrong.headers["content-type"] and 'charset="utf-8"' in wrong.body.decode().lower()
    started = time.monotonic()
    assert fetch(by_kind["stall"]["url"]).status == 200
    assert time.monotonic() - started >= 1.9
    wanted = {"500-once", "truncate-once", "wrong-charset", "stall"}
    deadline = time.monotonic() + 10  # the log line of a response may follow its last byte by a moment
    while time.monotonic() < deadline:
        logged = {r["fault"] for r in site.requests() if r["fault"]}
        if wanted <= logged:
            break
        time.sleep(0.1)
    assert wanted <= logged


def test_manifest_cli_file_is_valid_json(wordpress_site):
    m = wordpress_site.manifest
    assert len(m["articles"]) == m["articles_count"] == 500
    assert {f["key"] for f in m["planted_families"]} == {f.key for f in planted.FAMILIES}
    assert m["traps"]["moved"]["to"] in {a["url"] for a in m["articles"]}


def test_export_writes_a_static_copy(tmp_path):
    from replica.export import export_site

    port, cdn_port = free_port(), free_port()
    config = ReplicaConfig(articles=30, port=port, cdn_port=cdn_port)
    count = export_site(config, tmp_path)
    app = ReplicaApp(config, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{cdn_port}")
    assert count > 30 * 2
    from urllib.parse import unquote
    article = tmp_path / "site" / unquote(app.urls.article(3)).lstrip("/") / "index.html"
    assert article.read_bytes() == app.site_reply(app.urls.article(3), {}).body
    assert (tmp_path / "site" / "robots.txt").exists() and (tmp_path / "nginx.conf").exists()
    nginx = need("nginx-light")
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(50):
            try:
                response = fetch(f"http://127.0.0.1:{port}{app.urls.article(3)}")
                break
            except OSError:
                time.sleep(0.1)
        assert response.status == 200 and response.content == article.read_bytes()
        assert fetch(f"http://127.0.0.1:{port}/feed/?paged=2").status == 200
        assert fetch(f"http://127.0.0.1:{cdn_port}{app.urls.image(3, 'jpg')}").status == 200
    finally:
        proc.terminate()
        proc.wait()


def test_replica_cli_rejects_bad_options(tmp_path):
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-m", "archive", "replica", "--articles", "5"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--articles" in result.stderr


# -- real Blogger variants (docs/replica.md, "Real Blogger variants") ----------------------------------------------

def post_body(page: str):
    from lxml import html as lxml_html

    doc = lxml_html.document_fromstring(page)
    body, = doc.xpath('//div[contains(@class, "post-body")]')
    return doc, body


def body_words(body) -> list[str]:
    """The post body's words with <br /> read as a line break, the picture left out."""
    import copy

    body = copy.deepcopy(body)
    for br in body.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for separator in body.xpath('./div[@class="separator"]'):
        separator.drop_tree()
    return body.text_content().split()


def expected_dateline(record: dict) -> str:
    from datetime import datetime

    from replica.arabic_dates import dateline, italian_dateline

    when = datetime.fromisoformat(record["published"])
    if record["lang"] == "it":
        return italian_dateline(when)
    return dateline(when, record["dateline_series"], record["digit_style"])


@pytest.fixture(scope="module")
def blogger1():
    return records(theme="blogger")


def test_blogger_variants_share_and_manifest(blogger1, edition1):
    app, recs = blogger1
    chosen = [r for r in recs if app.site.article(r["id"]).blogger_variants]
    assert 0.15 <= len(chosen) / len(recs) <= 0.35, len(chosen)
    combos = Counter(tuple(r["markup_variants"]) for r in recs)
    assert {("classic-editor",), ("microdata-only",), ("classic-editor", "microdata-only"), ("microdata-only",
            "dateline-only"), ("classic-editor", "microdata-only", "dateline-only"), ()} <= set(combos)
    assert all(r["markup_variants"] == [] for r in edition1[1]), "the wordpress theme has none"
    legacy = next(r for r in recs if r["encoding"] == "windows-1256")
    assert "classic-editor" not in legacy["markup_variants"]
    for r in recs:
        variants = r["markup_variants"]
        assert r["published_date"] == r["published"][:10]  # the local (Rome) day, as the dateline writes it
        assert (r["published_on_page"] == "date") == ("dateline-only" in variants) == (
            r["date_sources"] == "dateline-only")
        assert ("microdata-only" in variants) == (r["date_sources"] in ("time", "dateline-only"))


def test_blogger_variant_pages_are_what_the_manifest_says(blogger1):
    app, recs = blogger1
    seen = Counter()
    for r in recs:
        variants = set(r["markup_variants"])
        for mobile in (False, True):
            page, charset = app.pages.article(r["id"], mobile=mobile)
            doc, body = post_body(page)
            # the rest of the page as the theme always had it
            assert doc.xpath('//div[@itemscope][@itemtype="http://schema.org/BlogPosting"]'), r["url"]
            assert body.get("itemprop") == "articleBody" and doc.xpath('//h3[@itemprop="name"]')
            assert doc.xpath('//h1[@class="title"]') and doc.xpath('//*[@itemprop="author"]')
            assert 'class="post-labels"' in page and 'class="related-posts"' in page and 'id="comments"' in page
            # the body's first words are the dateline, and its words are the manifest's
            assert " ".join(body_words(body)).startswith(expected_dateline(r).strip()), r["url"]
            assert body_words(body) == " ".join(r["paragraphs"]).split(), r["url"]
            has_p = bool(body.xpath(".//p"))
            assert has_p != ("classic-editor" in variants), r["url"]
            if "classic-editor" in variants:
                assert "<br /><br />" in page and body.xpath("./br"), r["url"]
            machine = {"ld+json": "application/ld+json" in page, "og:type": 'property="og:type"' in page,
                       "article:": 'property="article:' in page}
            if "microdata-only" in variants:
                assert not any(machine.values()), (r["url"], machine)
            else:
                assert machine["ld+json"] or machine["article:"], r["url"]
            dates = {"abbr.published": bool(doc.xpath('//abbr[contains(@class, "published")]')),
                     "time": bool(doc.xpath("//time")), "datePublished": "datePublished" in page,
                     "date-header": 'class="date-header"' in page}
            if "dateline-only" in variants:
                assert not any(dates.values()), (r["url"], dates)
            else:
                assert dates["abbr.published"] and dates["datePublished"], r["url"]
        seen.update(variants)
    assert set(seen) == {"classic-editor", "microdata-only", "dateline-only"}


def test_blogger_variants_in_feeds_and_edition_2(blogger1):
    app1, recs1 = blogger1
    app2, recs2 = records(theme="blogger", edition=2)
    classic = {r["url"]: r for r in recs2 if "classic-editor" in r["markup_variants"]}
    edited = [r for r in recs2 if r.get("edited") and r["url"] in classic]
    assert edited, "no edited classic-editor post at 200 articles"
    for r in edited:  # the edit shows in the <br /> rendering, and the validators change
        page, _ = app2.pages.article(r["id"])
        assert r["edited"]["sentence"] in " ".join(body_words(post_body(page)[1])), r["url"]
        assert body_words(post_body(page)[1]) == " ".join(r["paragraphs"]).split()
        before = app1.site_reply(urlsplit_path(r["url"]), {}).headers["ETag"]
        assert app2.site_reply(urlsplit_path(r["url"]), {}).headers["ETag"] != before
    # the post's own markup in its feed entry too
    feed = app1.site_reply("/feeds/posts/default", {}).body.decode()
    assert "&lt;br /&gt;&lt;br /&gt;" in feed and "&lt;p&gt;" in feed  # html content, escaped


def urlsplit_path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path
