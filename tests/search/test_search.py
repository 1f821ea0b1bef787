"""Search (issue 7): the labelled query set against the crawled replica, beside plain FTS5; the CLI contract;
snippets of the original text; versions and removed articles; any input is safe."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.cli import cli
from archive.search import index as search_index
from archive.search import searcher as searcher_module
from archive.store.database import Store
from tests.conftest import REPORT
from tests.crawling import ROOT, arshif
from tests.search_queries import labelled_queries

KEYS = {"url", "title", "published", "lang", "section", "author", "snippet", "score"}


def search(data, *args: str) -> tuple[int, str, str]:
    """`arshif search` in this process (the real command; thousands of runs would not afford a process each)."""
    result = CliRunner().invoke(cli, ["--data", str(data), "search", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def hits(data, *args: str) -> list[dict]:
    code, out, err = search(data, *args, "--json", "--limit", "10000")
    assert code == 0, err
    return json.loads(out)


def plain_fts(conn: sqlite3.Connection) -> sqlite3.Connection:
    """What a developer gets from SQLite out of the box: unicode61 over the raw title and body."""
    plain = sqlite3.connect(":memory:")
    plain.execute("CREATE VIRTUAL TABLE plain USING fts5(url UNINDEXED, title, body, "
                  "tokenize = 'unicode61 remove_diacritics 2')")
    plain.executemany("INSERT INTO plain VALUES (?, ?, ?)", conn.execute("SELECT canonical, title, body FROM articles"))
    return plain


def test_labelled_queries_beside_plain_fts5(crawled_wordpress, wordpress_site):
    queries = labelled_queries(wordpress_site.manifest)
    assert len(queries) >= 40
    plain = plain_fts(crawled_wordpress.db())
    totals = {"ours": [0, 0, 0], "plain": [0, 0, 0]}  # true positives, returned, expected
    misses = []
    for q in queries:
        ours = {h["url"] for h in hits(crawled_wordpress.data, *q.args)}
        theirs = {r[0] for r in plain.execute("SELECT url FROM plain WHERE plain MATCH ?", [q.raw])}
        if q.keep is not None:
            theirs &= q.keep
        for name, got in (("ours", ours), ("plain", theirs)):
            totals[name][0] += len(got & q.expected)
            totals[name][1] += len(got)
            totals[name][2] += len(q.expected)
        if ours != q.expected:
            misses.append((q.label, sorted(q.expected - ours)[:3], sorted(ours - q.expected)[:3]))
    measured = {name: (tp / max(returned, 1), tp / expected) for name, (tp, returned, expected) in totals.items()}
    for name, (precision, recall) in measured.items():
        REPORT.append(f"search quality, {len(queries)} labelled queries, {name:5}: precision {precision:.3f}, "
                      f"recall {recall:.3f}")
    precision, recall = measured["ours"]
    assert precision >= 0.97 and recall >= 0.97, misses
    assert measured["plain"][1] < 0.8  # the set does tell a plain index from an Arabic-aware one


def test_json_keys_and_value_forms(crawled_wordpress):
    found = hits(crawled_wordpress.data, "الأسد")
    assert found
    for h in found:
        assert set(h) == KEYS
        assert h["url"].startswith("http://127.0.0.1:") and isinstance(h["score"], float) and h["score"] > 0
        assert h["published"][:10].count("-") == 2 and ("T" not in h["published"] or "+" in h["published"][10:])
        assert "[" in h["snippet"] and "]" in h["snippet"]
    scores = [h["score"] for h in found]
    assert scores == sorted(scores, reverse=True)


def test_snippets_show_the_original_text_with_the_match_marked(crawled_wordpress, wordpress_site):
    """The snippet holds the form as written (tashkeel, tatweel, «»), not the index's normal form."""
    written = {}
    for a in wordpress_site.manifest["articles"]:
        for p in a["planted"]:
            if p["family"] == "putin":
                written[a["url"]] = p["form"]
    for h in hits(crawled_wordpress.data, "بوتين"):
        form = written[h["url"]]
        inner = form.strip("«»")
        assert f"[{inner}]" in h["snippet"], (form, h["snippet"])
    tashkeel = [h for h in hits(crawled_wordpress.data, "الأسد") if "[الأَسَد]" in h["snippet"]]
    assert tashkeel


def test_title_outranks_body(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "archive.db")
    body = "تحدث المشاركون عن المرحلة المقبلة في جلسة طويلة. " * 5
    store.store_articles([
        (article("https://example.test/a", "لقاء في روما حول الموازنة", body + "وزار الوفد مدينة ميلانو."), cap(1)),
        (article("https://example.test/b", "ميلانو تستقبل معرض الكتاب", body), cap(2)),
    ])
    store.close()
    assert [h["url"] for h in hits(data, "ميلانو")] == ["https://example.test/b", "https://example.test/a"]


def article(url: str, title: str, body: str, **fields) -> dict:
    return {"url": url, "title": title, "body": body, "author": fields.get("author", "سلمى العياشي"),
            "published": fields.get("published", "2021-09-14T10:00:00+02:00"), "modified": None,
            "section": fields.get("section", "سياسة"), "tags": fields.get("tags", ["إيطاليا"]), "image": None,
            "lang": fields.get("lang", "ar"), "word_count": len(body.split()), "extractor": "test"}


def cap(n: int) -> dict:
    return {"record_id": f"<urn:uuid:{n:08d}-0000-0000-0000-000000000000>", "timestamp": f"2026010100000{n}"}


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory):
    """Five fixture articles of our own, stored through the real Store (for exact CLI expectations)."""
    data = tmp_path_factory.mktemp("small") / "data"
    data.mkdir()
    store = Store(data / "archive.db")
    store.store_articles([
        (article("https://example.test/2021/09/a", "زيارة «بوتين» إلى أنقرة",
                 "الإيطالية نيوز، الثلاثاء 14 سبتمبر 2021 - وصل الرئيس الروسي إلى أنقرة يوم 13-09-2021 "
                 "في زيارة قصيرة التقى خلالها بالأسد ومسؤولين أتراك."), cap(1)),
        (article("https://example.test/2021/10/b", "ارتفاع أسعار الخبز في صقلية",
                 "وارتفعت الأسعار بنسبة %90 في بعض البلدات، وقال «ماركو تاليافيري» (Marco Tagliaferri) "
                 "إن الأمر يحتاج إلى متابعة.", section="اقتصاد", tags=["صقلية", "الأسعار"],
                 published="2021-10-02"), cap(2)),
        (article("https://example.test/2022/01/c", "Il caffè costa di più a Palermo",
                 "Secondo i sindacati il prezzo del caffè è aumentato del 20 per cento.", lang="it",
                 section="اقتصاد", author="Giulia Rossi", published="2022-01-05T09:00:00+01:00"), cap(3)),
    ])
    store.close()
    return data


@pytest.mark.parametrize("query, expected", [
    ("13-09-2021", ["https://example.test/2021/09/a"]),
    ('"الأسد', ["https://example.test/2021/09/a"]),
    ("x:y", []),
    ("بوتين OR caffe", ["https://example.test/2022/01/c", "https://example.test/2021/09/a"]),
    ("مسئولين", ["https://example.test/2021/09/a"]),
    ("٩٠", ["https://example.test/2021/10/b"]),
    ("sindacato", ["https://example.test/2022/01/c"]),
])
def test_awkward_queries_give_results_not_errors(small_archive, query, expected):
    assert [h["url"] for h in hits(small_archive, query)] == expected


def test_filters_resolve_what_a_researcher_types(small_archive):
    assert [h["url"] for h in hits(small_archive, "الأسعار", "--section", "الاقتصاد")] == [
        "https://example.test/2021/10/b"]
    assert [h["url"] for h in hits(small_archive, "caffè", "--author", "rossi")] == ["https://example.test/2022/01/c"]
    assert [h["url"] for h in hits(small_archive, "الأسعار OR caffè", "--since", "٢٠٢٢")] == [
        "https://example.test/2022/01/c"]
    assert [h["url"] for h in hits(small_archive, "الأسعار OR caffè", "--until", "2021-10")] == [
        "https://example.test/2021/10/b"]
    code, _, err = search(small_archive, "الأسعار", "--section", "رياضة")
    assert code == 2 and err.count("\n") == 1 and "اقتصاد" in err
    code, _, err = search(small_archive, "الأسعار", "--since", "2021-02-30")
    assert code == 2 and "--since" in err


def test_count_by_month_and_section(small_archive):
    code, out, _ = search(small_archive, "الأسعار OR caffè OR بوتين", "--count-by", "month")
    assert code == 0 and out.splitlines() == ["2021-09\t1", "2021-10\t1", "2022-01\t1"]
    code, out, _ = search(small_archive, "الأسعار OR caffè OR بوتين", "--count-by", "section", "--json")
    assert json.loads(out) == [{"section": "اقتصاد", "articles": 2}, {"section": "سياسة", "articles": 1}]


def test_sort_newest_and_oldest(small_archive):
    query = ["الأسعار OR caffè OR بوتين"]
    newest = [h["published"][:10] for h in hits(small_archive, *query, "--sort", "newest")]
    assert newest == sorted(newest, reverse=True) and len(newest) == 3
    assert [h["published"][:10] for h in hits(small_archive, *query, "--sort", "oldest")] == newest[::-1]


def test_piped_output_brackets_and_a_terminal_gets_colour(small_archive):
    run = arshif("--data", str(small_archive), "search", "بالأسد")
    assert run.returncode == 0 and "[بالأسد]" in run.stdout and "\x1b[" not in run.stdout
    assert "https://example.test/2021/09/a" in run.stdout and "2021-09-14" in run.stdout
    master, slave = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "archive", "--data", str(small_archive), "search", "بالأسد"],
                          stdout=slave, stderr=subprocess.PIPE, cwd=ROOT, timeout=60)
    os.close(slave)
    shown = os.read(master, 65536).decode()
    os.close(master)
    assert proc.returncode == 0 and "\x1b[" in shown and "بالأسد" in shown and "[بالأسد]" not in shown


def test_unparseable_queries_exit_2_with_one_line(small_archive):
    for query in ("-بوتين", "«»", "ـــ"):
        run = arshif("--data", str(small_archive), "search", query)
        assert run.returncode == 2 and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr


def test_no_results_is_not_an_error(small_archive):
    code, out, err = search(small_archive, "موسكو")
    assert code == 0 and out == "" and "no results" in err
    code, out, _ = search(small_archive, "موسكو", "--json")
    assert code == 0 and json.loads(out) == []


def test_a_stale_index_is_rebuilt_and_reindex_reports(small_archive, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_archive, data)
    conn = sqlite3.connect(data / "archive.db")
    search_index.set_state(conn, "0")
    search_index.clear(conn)
    conn.commit()
    conn.close()
    code, out, err = search(data, "صقلية", "--json")
    assert code == 0 and "rebuilding" in err and len(json.loads(out)) == 1
    assert search_index.state(sqlite3.connect(data / "archive.db")) == search_index.CURRENT
    run = arshif("--data", str(data), "reindex")
    assert run.returncode == 0 and "3 article versions indexed" in run.stderr


def test_export_takes_a_query(small_archive, tmp_path):
    out = tmp_path / "hits.jsonl"
    run = arshif("--data", str(small_archive), "export", "الأسعار OR caffè", "--format", "jsonl", "-o", str(out),
                 "--lang", "ar")
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["url"] for r in rows] == ["https://example.test/2021/10/b"] and rows[0]["body"]
    assert "[الأسعار]" in rows[0]["snippet"] and rows[0]["score"] > 0  # a QUERY adds the search keys
    plain = tmp_path / "all.jsonl"
    assert arshif("--data", str(small_archive), "export", "--format", "jsonl", "-o", str(plain)).returncode == 0
    assert all("snippet" not in json.loads(line) for line in plain.read_text(encoding="utf-8").splitlines())
    bad = arshif("--data", str(small_archive), "export", '"', "--format", "jsonl", "-o", str(out))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_earlier_versions_and_removed_articles(two_editions):
    site, data, before = two_editions
    changes = site.manifest["changes"]
    edited = {a["url"]: a for a in site.manifest["articles"] if a["url"] in changes["edited"]}
    retitled = [a for a in edited.values() if a["edited"]["kind"] == "title-changed"]
    assert retitled
    # a title word of edition 2 only ("محدث" / "aggiornato") finds the new versions; the old title finds old ones
    target = retitled[0]
    marker = "aggiornato" if target["lang"] == "it" else "محدث"
    assert target["url"] in {h["url"] for h in hits(data, marker)}
    conn = sqlite3.connect(data / "archive.db")
    old_title, new_title = conn.execute(
        "SELECT v.title, a.title FROM article_versions v JOIN articles a ON a.id = v.article_id "
        "WHERE a.canonical = ? AND v.version = 1", [target["url"]]).fetchone()
    assert old_title != new_title
    # the sentence an edit replaced is only in version 1
    changed = [a for a in edited.values() if a["edited"]["kind"] in ("sentence-changed", "title-changed")]
    for a in changed:
        v1, v2 = conn.execute(
            "SELECT (SELECT body FROM article_versions WHERE article_id = a.id AND version = 1), a.body "
            "FROM articles a WHERE canonical = ?", [a["url"]]).fetchone()
        gone = [s.strip() for s in v1.split(".") if s.strip() and s.strip() not in v2]
        if not gone:
            continue
        words = gone[-1].split()[:6]
        phrase = '"' + " ".join(w.strip("«»،()\"") for w in words) + '"'
        latest = {h["url"] for h in hits(data, phrase)}
        everything = {h["url"] for h in hits(data, phrase, "--all-versions")}
        assert a["url"] not in latest and a["url"] in everything and latest <= everything, phrase
        code, out, _ = search(data, phrase, "--all-versions", "--limit", "100")
        assert "version 1 of 2" in out
        break
    else:
        pytest.fail("no article with a replaced sentence to test --all-versions with")
    removed = changes["removed"][0]
    title = next(a["title"] for a in before["articles"] if a["url"] == removed)
    code, out, _ = search(data, f'"{title}"')
    assert code == 0 and re.search(r"removed from the site \d{4}-\d\d-\d\d\b", out), out
    assert removed in {h["url"] for h in hits(data, f'"{title}"')}


HOSTILE = st.text(alphabet=st.sampled_from(list('ab بوتين"()*:^-–«» OR AND NOT NEAR{}+\x00\x07\n\t🙂٣:.،')),
                  max_size=80)

# 10,000 characters, made of a shorter draw repeated (Hypothesis cannot draw that many characters itself)
LONG = (HOSTILE | st.text(max_size=100)).filter(bool).map(lambda t: (t * (10000 // len(t) + 1))[:10000])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE | st.text(max_size=300) | LONG)
def test_any_input_exits_0_or_2(small_archive, text):
    result = CliRunner().invoke(cli, ["--data", str(small_archive), "search", "--json", "--", text])
    assert result.exit_code in (0, 2), (text, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 0:
        json.loads(result.stdout)
    else:
        assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def corpus(crawled_wordpress):
    conn = crawled_wordpress.db()
    return [(r[0], r[1]) for r in conn.execute("SELECT canonical, body FROM articles ORDER BY id LIMIT 60")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_words_from_the_corpus_find_their_article(crawled_wordpress, corpus, data):
    url, body = data.draw(st.sampled_from(corpus))
    words = [w.strip("«»()\"'.,،:!?؟%") for w in body.split()]
    words = [w for w in words if len(w) > 1 and w.isalnum()]
    chosen = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=3))
    assert url in {h["url"] for h in hits(crawled_wordpress.data, *chosen)}, chosen


HEAVY = {"scrapy", "twisted", "trafilatura", "lxml", "langdetect", "numpy", "sqlite_utils", "redis", "scrapy_redis",
         "dateutil", "charset_normalizer", "jinja2"}


@pytest.mark.parametrize("command", ["search", "show", "stats"])
def test_reading_commands_import_nothing_heavy(crawled_wordpress, command):
    """`search`, `show` and `stats` start in ~0.15 s (docs/BENCHMARKS.md; were 0.6-1.0 s) because they import
    none of the crawl's libraries: a module-level import of any of them anywhere on their path would undo it. Not a
    timing: the list of top-level packages Python reports loading (-X importtime)."""
    url = crawled_wordpress.db().execute("SELECT canonical FROM articles LIMIT 1").fetchone()[0]
    args = {"search": ["search", "إيطاليا"], "show": ["show", url], "stats": ["stats"]}[command]
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "archive", "--data", str(crawled_wordpress.data),
                           *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert loaded, "no -X importtime lines: the check would pass whatever is imported"
    assert "click" in loaded and "archive.cli" in loaded
    assert loaded & HEAVY == set()


@pytest.mark.parametrize("own_seeks", [0, 10**9], ids=["every-own-form-read", "top-flagged"])
def test_the_word_as_typed_ranks_before_its_relatives(tmp_path, monkeypatch, own_seeks):
    """A short article full of «المهاجرون» has the higher bm25 for مهاجر than long articles that mention «مهاجر»
    once; the articles with the word as typed still come first (docs/searching.md, Ranking), in every path: the
    own forms flagged on the best few, or read for every match."""
    monkeypatch.setattr(searcher_module, "OWN_SEEKS", own_seeks)
    filler = "ناقش المجلس البلدي في المدينة خطة النقل العام وتوسيع الحدائق وصيانة المدارس القديمة قبل الشتاء. "
    rows = [article(f"https://italianews.test/own-{n}", f"تقرير رقم {n} عن البلدية",
                    filler * 6 + f"والتقى رئيس البلدية مهاجر من تونس في الحي {n}. " + filler * 6)
            for n in range(8)]
    rows.append(article("https://italianews.test/relatives", "المهاجرون والمهاجرات في روما",
                        "المهاجرون يعملون. المهاجرات يدرسن. وصل مهاجرون جدد."))
    rows += [article(f"https://italianews.test/other-{n}", f"خبر رياضي {n}", filler * 2) for n in range(21)]
    store = Store(tmp_path / "archive.db")
    store.store_articles((row, cap(n)) for n, row in enumerate(rows, 1))
    searcher = store.searcher()
    plain = searcher.conn.execute(
        f"SELECT rowid FROM {search_index.TABLE} WHERE {search_index.TABLE} MATCH ? "
        f"ORDER BY bm25({search_index.TABLE}, {', '.join(map(str, search_index.WEIGHTS))}) "
        "LIMIT 1", [searcher._match("مهاجر")[1]]).fetchone()[0]
    relatives = searcher.conn.execute("SELECT id FROM articles WHERE canonical LIKE '%relatives'").fetchone()[0]
    assert plain == relatives, "the fixture must make bm25 alone put the relative first"
    for ranked in (searcher.search("مهاجر", limit=20), searcher.search("مهاجر", limit=3),
                   searcher.search("مهاجر", all_versions=True, limit=20)):
        urls = [h.url for h in ranked]
        assert "https://italianews.test/relatives" not in urls[:min(8, len(urls))], urls
    every = [h.url for h in searcher.search("مهاجر", limit=20)]
    assert every[-1].endswith("relatives") and len(every) == 9
    store.close()


def test_a_word_inside_a_hashtag_is_marked_where_it_matched(tmp_path):
    """FTS5 reads #الهجرة_في_روما as three words, so روما finds an article that names the city only in a hashtag;
    the snippet marks the word there (and a phrase across the hashtag's words), not nothing."""
    store = Store(tmp_path / "archive.db")
    store.store_articles([(article("https://italianews.test/tag", "صورة من العاصمة",
                                   "نشر الحساب صورة للساحة مع وسم #الهجرة_في_روما مساء أمس."), cap(1))])
    searcher = store.searcher()
    for query, marked in (("روما", "#الهجرة_في_[روما]"), ('"في روما"', "#الهجرة_[في]_[روما]")):
        hits = searcher.search(query)
        assert len(hits) == 1, query
        assert marked in hits[0].as_json()["snippet"], hits[0].as_json()["snippet"]
    store.close()
