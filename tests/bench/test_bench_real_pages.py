"""bench/real_pages.py on tiny hand-made inputs: its scoring, its readers of the three layouts (a directory, a git
directory, a tar archive), its page descriptions, its report, and its one-line answer when there are no pages. No
network, no dataset."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile

import pytest

from bench import real_pages as rp

ARTICLE = ("<html><head><title>A rocket</title>"
           '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "A rocket"}</script></head>'
           "<body><article><h1>A rocket</h1>"
           + "".join(f"<p>Paragraph {i} says the rocket flew higher than the one before it, and the crowd cheered "
                     f"as the engines roared over the launch pad number {i}.</p>" for i in range(8))
           + "</article></body></html>").encode()
GOLD = " ".join(f"Paragraph {i} says the rocket flew higher than the one before it, and the crowd cheered as the "
                f"engines roared over the launch pad number {i}." for i in range(8))


def test_tokens_lower_case_and_drop_punctuation_and_symbols():
    assert rp.tokens("Hello, World! It's 3.5% — «نعم»، لا؟") == ["hello", "world", "it", "s", "3", "5", "نعم", "لا"]
    assert rp.tokens(None) == [] and rp.tokens("  ") == []


def test_prf_is_bag_of_tokens():
    assert rp.prf("a b c", "A, b. C!") == (1.0, 1.0, 1.0)
    assert rp.prf(None, "a b") == (0.0, 0.0, 0.0)
    assert rp.prf("", "") == (1.0, 1.0, 1.0)
    assert rp.prf("x y", "a b") == (0.0, 0.0, 0.0)
    precision, recall, f1 = rp.prf("a a b", "a b c d")  # the second "a" is not in the gold once more
    assert (precision, recall) == (2 / 3, 2 / 4)
    assert f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_mean_scores_average_per_page():
    assert rp.mean_scores([(1.0, 1.0, 1.0), (0.0, 0.0, 0.0)]) == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert rp.mean_scores([]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def _scrapinghub(folder):
    (folder / "html").mkdir(parents=True)
    (folder / "html" / "p1.html.gz").write_bytes(gzip.compress(ARTICLE))
    (folder / "ground-truth.json").write_text(json.dumps(
        {"p1": {"articleBody": GOLD, "url": "https://news.example/2019/11/18/rocket"},
         "p2": {"articleBody": "no html for this one"}}))


def test_reads_the_scrapinghub_layout_and_skips_pages_without_html(tmp_path):
    _scrapinghub(tmp_path / "set")
    layout, pages, where = rp.load(tmp_path / "set")
    assert layout == "scrapinghub/article-extraction-benchmark"
    assert [(p.name, p.html, p.gold, p.url) for p in pages] == [
        ("p1", ARTICLE, GOLD, "https://news.example/2019/11/18/rocket")]
    assert where["commit"] is None


def test_reads_the_dragnet_layout_from_a_tar_archive_cp1252_crlf_and_comments_cut(tmp_path):
    folder = tmp_path / "dragnet"
    folder.mkdir()
    gold = "Caf\xe9 \x96 menu\r\nsecond line\r\n!@#$%^&*()  COMMENTS\r\na reader said".encode("latin-1")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in (("Corrected/7.html.corrected.txt", gold), ("Corrected/8.html.corrected.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    (folder / "dragnet_Corrected.tar.gz").write_bytes(buffer.getvalue())
    (folder / "HTML").mkdir()
    (folder / "HTML" / "7.html").write_bytes(b"<html><body><p>Caf\xe9</p></body></html>")
    layout, pages, _ = rp.load(folder)
    assert layout == "dragnet"
    assert [(p.name, p.gold) for p in pages] == [("7", "Café – menu\nsecond line\n")]


def test_reads_a_bare_git_directory_where_fetch_puts_it(tmp_path):
    work = tmp_path / "work"
    _scrapinghub(work)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", str(work)], check=True)
    subprocess.run([*git, "-C", str(work), "add", "."], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-qm", "set"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(tmp_path / "repo")], check=True)
    layout, pages, where = rp.load(tmp_path / "repo")
    assert [p.html for p in pages] == [ARTICLE] and len(where["commit"]) == 40


def test_no_pages_says_how_to_get_them_in_one_line(tmp_path, capsys):
    assert rp.main(["--pages", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fetch" in err and "Traceback" not in err
    (tmp_path / "lfs").mkdir()
    (tmp_path / "lfs" / "html.tar.gz").write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:0\n")
    with pytest.raises(rp.NoPages, match="html.tar.gz.*LFS"):
        rp.load(tmp_path / "lfs")
    with pytest.raises(rp.NoPages, match="inside the project"):
        rp.load(rp.ROOT / "bench")


def test_describe_names_the_signals_a_page_has():
    page = (b'<html><head><meta property="og:type" content="website"><meta name="robots" content="noindex">'
            b'<script type="application/ld+json">{"@type": "NewsArticle", "articleBody": "one\nline"}</script>'
            b'</head><body><div itemscope itemtype="http://schema.org/NewsArticle"><h2><a href="/x">x</a></h2>'
            b"<p>Published November 18, 2019</p></div></body></html>")
    d = rp.describe(page, "https://news.example/article/3834/1")
    assert d["jsonld"] == [] and d["jsonld_unparsable"] == ["NewsArticle"]
    assert "strict=False" in d["jsonld_errors"][0]
    assert d["itemtypes"] == ["NewsArticle"] and d["itemtype_on"] == ["div"]
    assert d["og_type"] == "website" and d["robots"] == ["noindex"] and d["date_text"] == "November 18, 2019"
    assert d["linked_headlines"] == 1 and not d["real_url_dated"]
    assert rp.failure_class("noindex", d) == "noindex · JSON-LD article type in JSON that does not parse"
    assert "itemtype NewsArticle on <div>" in rp.summary(d)
    assert rp.failure_class("no article signal", rp.describe(b"<html><body><p>hi</p></body></html>")) \
        == "no article signal · no article signal at all"


def test_run_scores_a_page_not_taken_for_an_article_zero(tmp_path, monkeypatch):
    folder = tmp_path / "set"
    _scrapinghub(folder)
    plain = b"<html><body>" + ARTICLE.split(b"<article>")[1].split(b"</article>")[0] + b"</body></html>"
    (folder / "html" / "p2.html.gz").write_bytes(gzip.compress(plain))
    monkeypatch.setattr(rp, "NON_ARTICLE_SOURCES", [lambda: [("listing", "http://h/category/x/", b"<html><body>"
                                                             + b"<h2><a href='/a'>a</a></h2>" * 4 + b"</body></html>",
                                                             {})]])
    result = rp.run(pages_dir=folder, per_page=True)
    assert result["pages"] == 2 and result["non_articles"]["pages"] == 1
    for row in result["per_page"]:
        if row["outcome"] != "article":
            assert row["scores"]["arshif"][2] == 0.0
    what_happened = {r["reason"] if r["outcome"] == "not an article" else r["outcome"] for r in result["per_page"]}
    assert {c["class"].split(" · ")[0] for c in result["failure_classes"]} <= what_happened
    assert result["scores"]["trafilatura_default"]["f1"] > 0.5
    text = rp.markdown(result)
    assert "taken for articles" in text and "false articles among non-article pages" in text
    assert rp.markdown({"absent": "no pages"}).endswith("Not measured: no pages\n")
