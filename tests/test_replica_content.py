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

    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-m", "archive", "replica", "--articles", "5"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--articles" in result.stderr
