"""Snapshots, show, diff, changes (issue 8) on an archive crawled at edition 1, then at edition 2."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from html import escape
from urllib.parse import unquote

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawling import ROOT, arshif
from tests.http_client import fetch, wait_until_answering
from tests.replica_process import free_port

KEYS = {"url", "canonical", "timestamp", "status", "mime", "digest", "warc_file", "offset", "length", "revisit"}


def run(data, *args):
    result = arshif("--data", str(data), *args)
    return result.returncode, result.stdout, result.stderr


def test_snapshots_lists_every_capture_of_any_url_form(two_editions):
    site, data, before = two_editions
    edited = site.manifest["changes"]["edited"][0]
    code, out, _ = run(data, "snapshots", edited, "--json")
    found = json.loads(out)
    assert code == 0 and len(found) == 3 and all(set(c) == KEYS for c in found)
    assert [c["timestamp"] for c in found] == sorted(c["timestamp"] for c in found)
    assert all(len(c["timestamp"]) == 14 and c["digest"].startswith("sha1:") for c in found)
    assert [c["revisit"] for c in found] == [False, False, True]  # edition 1, edition 2, the same again
    assert found[0]["digest"] != found[1]["digest"] == found[2]["digest"]
    for form in (unquote(edited), edited.lower(),
                 edited + "?utm_source=newsletter&fbclid=x", edited + "#comments", edited.rstrip("/")):
        code, out, _ = run(data, "snapshots", form, "--json")
        assert code == 0 and [c["timestamp"] for c in json.loads(out)] == [c["timestamp"] for c in found], form
    # an unchanged article: left alone at edition 2 (its lastmod did not move), then asked for conditionally by
    # --refresh: the server's 304 is listed as a revisit with status 304
    unchanged = next(a["url"] for a in site.manifest["articles"]
                     if a["url"] not in site.manifest["changes"]["edited"] + site.manifest["changes"]["new"])
    code, out, _ = run(data, "snapshots", unchanged, "--json")
    kinds = [(c["revisit"], c["status"]) for c in json.loads(out)]
    assert kinds == [(False, 200), (True, 304)]
    code, _, err = run(data, "snapshots", "http://127.0.0.1:9/never-archived/")
    assert code == 1 and "no capture" in err and err.count("\n") == 1


def test_show_picks_the_nearest_capture_and_the_version_in_effect(two_editions):
    site, data, before = two_editions
    retitled = next(a for a in site.manifest["articles"] if a.get("edited", {}).get("kind") == "title-changed")
    old_title = retitled["edited"]["title_before"]
    code, out, _ = run(data, "snapshots", retitled["url"], "--json")
    first, second = (c["timestamp"] for c in json.loads(out)[:2])
    code, out, _ = run(data, "show", retitled["url"], "--at", first)
    assert code == 0 and out.splitlines()[0] == old_title and "version 1 of 2" in out
    code, out, _ = run(data, "show", retitled["url"])
    assert code == 0 and out.splitlines()[0] == retitled["title"] and "version 2 of 2" in out
    assert retitled["edited"]["sentence"] in out
    code, out, _ = run(data, "show", retitled["url"], "--at", first[:4])  # a year: the nearest is the first
    assert out.splitlines()[0] in (old_title, retitled["title"])
    result = arshif("--data", str(data), "show", retitled["url"], "--at", first, "--format", "html")
    assert result.returncode == 0 and "<html" in result.stdout and old_title.split()[0] in result.stdout
    raw = subprocess.run([sys.executable, "-m", "archive", "--data", str(data), "show", retitled["url"], "--at",
                          second, "--format", "warc"], capture_output=True, cwd=ROOT)
    record = next(iter(ArchiveIterator(io.BytesIO(raw.stdout))))
    assert record.rec_type == "response" and record.rec_headers.get_header("WARC-Date")[:4] == second[:4]
    code, _, err = run(data, "show", retitled["url"], "--at", "20x1")
    assert code == 2 and "--at" in err


def test_show_resolves_a_revisit_to_the_response_it_refers_to(two_editions):
    site, data, _ = two_editions
    conn = sqlite3.connect(data / "archive.db")
    row = conn.execute("SELECT r.url, r.timestamp, r.digest FROM captures r WHERE r.record_type = 'revisit' AND "
                       "EXISTS (SELECT 1 FROM captures c WHERE c.url = r.url AND c.record_type = 'response' AND "
                       "c.status = 200 AND c.mime LIKE 'text/html%' AND c.timestamp < r.timestamp) "
                       "LIMIT 1").fetchone()
    assert row, "the second crawl left no revisit of a page"
    url, ts, digest = row
    result = subprocess.run([sys.executable, "-m", "archive", "--data", str(data), "show", url, "--at", ts,
                             "--format", "html"], capture_output=True, cwd=ROOT)
    assert result.returncode == 0 and b"<html" in result.stdout
    earlier = conn.execute("SELECT timestamp FROM captures WHERE url = ? AND record_type = 'response' "
                           "AND timestamp < ? ORDER BY timestamp DESC LIMIT 1", [url, ts]).fetchone()
    original = subprocess.run([sys.executable, "-m", "archive", "--data", str(data), "show", url, "--at",
                               earlier[0], "--format", "html"], capture_output=True, cwd=ROOT)
    assert original.returncode == 0 and original.stdout == result.stdout
    assert (digest or "").startswith("sha1:")


def test_diff_shows_the_edit_word_by_word(two_editions):
    site, data, _ = two_editions
    retitled = next(a for a in site.manifest["articles"] if a.get("edited", {}).get("kind") == "title-changed")
    code, out, _ = run(data, "diff", retitled["url"])
    assert code == 0 and "version 1" in out and "version 2" in out
    assert "{+(محدث)+}" in out or "{+(aggiornato)+}" in out
    sentence = retitled["edited"]["sentence"]
    assert "{+" + sentence + "+}" in out.replace("\n", " ")
    assert "[-" in out
    code, out, _ = run(data, "diff", retitled["url"], "--json")
    change = json.loads(out)
    assert change["from_version"] == 1 and change["to_version"] == 2
    assert {p["op"] for p in change["body"]} == {"=", "-", "+"}
    added = " ".join(p["text"] for p in change["body"] if p["op"] == "+")
    assert sentence in added


def test_changes_reports_edits_and_the_removed_article(two_editions, tmp_path):
    site, data, _ = two_editions
    code, out, _ = run(data, "changes", "--since", "2000", "--json")
    report = json.loads(out)
    assert code == 0
    assert all(set(c) == {"url", "title", "change", "seen", "from", "to", "summary"} for c in report)
    edited = {c["url"] for c in report if c["change"] == "edited"}
    assert edited == set(site.manifest["changes"]["edited"])
    removed = [c for c in report if c["change"] == "removed"]
    assert [c["url"] for c in removed] == site.manifest["changes"]["removed"]
    assert all(c["from"] < c["to"] for c in report)
    assert [c["seen"] for c in report] == sorted((c["seen"] for c in report), reverse=True)
    assert all("words" in c["summary"] for c in report if c["change"] == "edited")
    code, out, err = run(data, "changes", "--since", "2100")
    assert code == 0 and out == "" and "no article" in err
    # re-extraction with the same extractor over the same captures is not an edit (on a copy: the other test
    # workers read this archive at the same moment)
    data = shutil.copytree(data, tmp_path / "copy")
    assert arshif("--data", str(data), "reextract").returncode == 0
    code, out, _ = run(data, "changes", "--since", "2000", "--json")
    assert {c["url"] for c in json.loads(out) if c["change"] == "edited"} == edited


def test_export_gives_the_removal_in_iso_8601_utc(two_editions, tmp_path):
    """`removed` is when the site first answered 404 or 410, in ISO 8601 UTC like every date of arshif's own in the
    JSON output (it was that capture's 14-digit timestamp before issue 26), null while the article is online; the
    same in CSV, null an empty cell."""
    site, data, _ = two_editions
    removed = site.manifest["changes"]["removed"][0]
    code, out, _ = run(data, "snapshots", removed, "--json")
    ts = next(c["timestamp"] for c in json.loads(out) if c["status"] in (404, 410))
    when = f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}T{ts[8:10]}:{ts[10:12]}:{ts[12:]}+00:00"
    for fmt in ("jsonl", "csv"):
        assert run(data, "export", "--format", fmt, "-o", str(tmp_path / f"all.{fmt}"))[0] == 0
    rows = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["url"]: r["removed"] for r in rows if r["removed"] is not None} == {removed: when}
    with (tmp_path / "all.csv").open(encoding="utf-8-sig", newline="") as f:
        cells = {r["url"]: r["removed"] for r in csv.DictReader(f)}
    assert cells[removed] == when and set(cells.values()) == {when, ""}


# -- WACZ -------------------------------------------------------------------------------------------------------
PYWB_BIN = ROOT / ".venv-pywb" / "bin"


def _tool(name: str):
    path = PYWB_BIN / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: make install should have built .venv-pywb")
        pytest.skip(f"{name} not installed (.venv-pywb): run make install")
    return path


def test_wacz_export_validates_and_pywb_replays_it(two_editions, tmp_path):
    site, data, _ = two_editions
    retitled = next(a for a in site.manifest["articles"] if a.get("edited", {}).get("kind") == "title-changed")
    word = retitled["edited"]["sentence"].split()[1]
    out = tmp_path / "edits.wacz"
    result = arshif("--data", str(data), "export", word, "--format", "wacz", "-o", str(out))
    assert result.returncode == 0, result.stderr
    # crawled with --no-assets: what the pages name is not in the archive, and the export says so
    assert re.search(r"\b[1-9]\d* requisites named by the exported pages were never captured", result.stderr)
    check = subprocess.run([str(_tool("wacz")), "validate", "-f", str(out)], capture_output=True, text=True)
    assert check.returncode == 0 and "succeeded" in check.stdout + check.stderr, check.stdout + check.stderr
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
    assert {"archive/data.warc.gz", "indexes/index.cdx", "pages/pages.jsonl", "datapackage.json",
            "datapackage-digest.json"} <= names
    assert retitled["url"] in {p["url"] for p in pages}
    # pywb: unpack into a collection, replay both versions of the edited article
    root = tmp_path / "pywb"
    root.mkdir()
    subprocess.run([str(_tool("wb-manager")), "init", "edits"], cwd=root, check=True, capture_output=True)
    subprocess.run([str(_tool("wb-manager")), "add", "--unpack-wacz", "edits", str(out)], cwd=root, check=True,
                   capture_output=True)
    port = free_port()
    proc = subprocess.Popen([str(_tool("wayback")), "-p", str(port), "-b", "127.0.0.1"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/")
        code, listing, _ = run(data, "snapshots", retitled["url"], "--json")
        first, second = (c["timestamp"] for c in json.loads(listing)[:2])
        old = fetch(f"http://127.0.0.1:{port}/edits/{first}id_/{retitled['url']}",
                    headers={"Accept-Encoding": "identity"})
        new = fetch(f"http://127.0.0.1:{port}/edits/{second}id_/{retitled['url']}",
                    headers={"Accept-Encoding": "identity"})
        assert old.status == new.status == 200
        assert escape(retitled["edited"]["title_before"]) in old.text
        assert escape(retitled["title"]) in new.text and retitled["edited"]["sentence"] in new.text
    finally:
        proc.terminate()
        proc.wait()
