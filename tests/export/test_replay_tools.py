"""Every capture replays outside arshif (issue 20): pywb on `warc/index.cdxj`, ReplayWeb.page on our WACZ.

Two archives, made once for all workers. "edited": the replica crawled at edition 1, at edition 2 (an edited
article captured again in full) and with --refresh (its latest capture a 304: a server-not-modified revisit). "plain":
a replica that sends no validators, as WordPress serves its pages, crawled twice (the second capture of every page an
identical-payload revisit whose original sits in the first crawl's WARC file).
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from html import escape
from pathlib import Path

import pytest

from archive.core.urls import canonical
from archive.store.database import Store
from tests.conftest import REPORT
from tests.crawling import arshif, crawl
from tests.http_client import fetch
from tests.replica_process import ReplicaProcess
from tests.shared import shared

pytestmark = pytest.mark.slow

SUFFIX = " - الإيطالية نيوز"


def make_replay_archives(folder: Path) -> dict:
    site = ReplicaProcess(folder / "replica", articles=40).start()
    edited = folder / "edited"
    try:
        for step in ((), ("edition 2",), ("--refresh",)):
            if step == ("edition 2",):
                before = site.manifest
                site.restart(edition=2)
                step = ()
            run = crawl(site, edited, *step)
            assert run.returncode == 0, run.stderr
        after = site.manifest
    finally:
        site.stop()
    plain_site = ReplicaProcess(folder / "plain-replica", articles=20, extra=["--without", "validators"]).start()
    plain = folder / "plain"
    try:
        for step in ((), ("--refresh",)):
            run = crawl(plain_site, plain, *step)
            assert run.returncode == 0, run.stderr
        plain_manifest = plain_site.manifest
    finally:
        plain_site.stop()
    return {"edited": str(edited), "plain": str(plain), "before": before, "after": after,
            "plain_manifest": plain_manifest}


@pytest.fixture(scope="session")
def replay_archives(tmp_path_factory):
    with shared(tmp_path_factory, "replay-archives", make_replay_archives) as state:
        yield state


def captures(data: Path, url: str) -> list[tuple[str, str, int, str | None]]:
    """(timestamp, record type, status, revisit profile) of every capture of a page, oldest first."""
    with sqlite3.connect(data / "archive.db") as conn:
        return conn.execute("SELECT timestamp, record_type, status, revisit_profile FROM captures WHERE canonical = ? "
                            "AND record_type != 'request' ORDER BY timestamp", [url]).fetchall()


def edited_article(state: dict) -> tuple[str, str, str]:
    """(URL, edition-1 title, edition-2 title) of an article whose title edition 2 changed."""
    article = next(a for a in state["after"]["articles"] if (a.get("edited") or {}).get("kind") == "title-changed")
    return article["url"], article["edited"]["title_before"], article["title"]


def article_id(data: Path, url: str) -> int:
    with sqlite3.connect(data / "archive.db") as conn:
        return conn.execute("SELECT id FROM articles WHERE canonical = ?", [url]).fetchone()[0]


def test_the_archives_hold_the_revisit_profiles_under_test(replay_archives):
    """The premise: the edited article's latest capture is a 304 revisit after two full responses; every page of
    the plain archive was captured, then confirmed by an identical-payload revisit in another WARC file."""
    edited = Path(replay_archives["edited"])
    url, _, _ = edited_article(replay_archives)
    kinds = [(c[1], c[2], c[3]) for c in captures(edited, url)]
    assert kinds == [("response", 200, None), ("response", 200, None),
                     ("revisit", 304, "server-not-modified")], kinds
    plain = Path(replay_archives["plain"])
    with sqlite3.connect(plain / "archive.db") as conn:
        pairs = conn.execute(
            "SELECT r.warc_file, o.warc_file FROM captures r JOIN captures o ON o.url = r.refers_to_uri "
            "AND o.date = r.refers_to_date AND o.record_type = 'response' WHERE r.revisit_profile = "
            "'identical-payload-digest' AND r.canonical IN (SELECT canonical FROM articles)").fetchall()
    assert len(pairs) == len(replay_archives["plain_manifest"]["articles"])
    assert all(revisit != original for revisit, original in pairs)


def test_revisit_records_stay_honest(replay_archives):
    """The 304 stays a server-not-modified revisit with no body, naming what it confirms (WARC-Refers-To,
    -Target-URI, -Date); the index is what resolves it."""
    from warcio.archiveiterator import ArchiveIterator

    edited = Path(replay_archives["edited"])
    url, _, _ = edited_article(replay_archives)
    found = []
    for path in sorted((edited / "warc").glob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "revisit" and record.rec_headers.get_header("WARC-Target-URI") == url:
                    found.append((record.rec_headers, record.http_headers.get_statuscode(),
                                  record.content_stream().read()))
    assert len(found) == 1
    headers, status, body = found[0]
    assert status == "304" and body == b""
    assert headers.get_header("WARC-Profile").endswith("/revisit/server-not-modified")
    assert headers.get_header("WARC-Refers-To", "").startswith("<urn:uuid:")
    assert headers.get_header("WARC-Refers-To-Target-URI") == url
    assert headers.get_header("WARC-Refers-To-Date")


# -- pywb standalone, on the archive's own warc/index.cdxj -------------------------------------------------------------
@pytest.fixture(scope="module")
def pywb_on(replay_archives):
    from archive.web.replay import Pywb
    from tests.replica_process import free_port

    started: list = []

    def start(name: str):
        server = Pywb(Path(replay_archives[name]), port=free_port()).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_pywb_shows_a_page_at_its_304_revisit(pywb_on, replay_archives):
    edited = Path(replay_archives["edited"])
    url, old, new = edited_article(replay_archives)
    pywb = pywb_on("edited")
    stamps = [c[0] for c in captures(edited, url)]
    for stamp, title in zip(stamps, (old, new, new), strict=True):
        page = fetch(f"{pywb.base}/{stamp}mp_/{url}")
        assert page.status == 200, (stamp, page.status)
        assert f"<title>{escape(title)}{SUFFIX}</title>" in page.text, stamp
    raw = fetch(f"{pywb.base}/{stamps[-1]}id_/{url}", headers={"Accept-Encoding": "identity"})
    assert raw.status == 200 and escape(new).encode() in raw.content


def test_pywb_shows_a_page_at_its_identical_payload_revisit(pywb_on, replay_archives):
    plain = Path(replay_archives["plain"])
    pywb = pywb_on("plain")
    for article in replay_archives["plain_manifest"]["articles"][:4]:
        latest = captures(plain, article["url"])[-1]
        assert latest[3] == "identical-payload-digest"
        page = fetch(f"{pywb.base}/{latest[0]}mp_/{article['url']}")
        assert page.status == 200 and f"<title>{escape(article['title'])}{SUFFIX}</title>" in page.text


def test_index_is_cdxj_indexer_output_but_for_resolved_304s(replay_archives):
    """docs/archiving.md names the one difference: a server-not-modified revisit's line points at the response it
    confirms (its status, type and place), `revisit.*` keeping where the revisit record is."""
    from archive.warc.indexer import index_lines

    edited = Path(replay_archives["edited"])
    ours = set((edited / "warc" / "index.cdxj").read_text(encoding="utf-8").splitlines())
    theirs = set()
    for path in sorted((edited / "warc").glob("*.warc.gz")):
        theirs |= set(index_lines(path))
    changed, added = theirs - ours, ours - theirs
    assert changed and len(changed) == len(added)
    for line in changed:
        fields = json.loads(line.split(" ", 2)[2])
        assert fields["mime"] == "warc/revisit" and fields["status"] == "304"
    for line in added:
        key, stamp, raw = line.split(" ", 2)
        fields = json.loads(raw)
        assert fields["status"] == "200" and fields["mime"] not in ("warc/revisit", None), fields
        assert {"revisit.filename", "revisit.offset", "revisit.length"} <= set(fields)
        source = next(line for line in theirs if line.startswith(f"{key} ") and json.loads(
            line.split(" ", 2)[2])["offset"] == fields["offset"])
        assert json.loads(source.split(" ", 2)[2])["filename"] == fields["filename"]


# -- the WACZ: requisites carried, sizes, validity --------------------------------------------------------------------
def _export(data: Path, out: Path, *extra: str) -> Path:
    result = arshif("--data", str(data), "export", *extra, "--format", "wacz", "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out


def index_of(wacz: Path) -> dict[str, list[tuple[str, dict]]]:
    """URL → [(timestamp, fields)] of a WACZ's index."""
    with zipfile.ZipFile(wacz) as z:
        index = z.read("indexes/index.cdx").decode().splitlines()
    by_url: dict[str, list] = {}
    for line in index:
        _key, stamp, raw = line.split(" ", 2)
        fields = json.loads(raw)
        by_url.setdefault(fields["url"], []).append((stamp, fields))
    return by_url


def test_wacz_carries_each_captures_requisites_once(replay_archives, tmp_path):
    from archive.export import wacz

    edited = Path(replay_archives["edited"])
    url, _, _ = edited_article(replay_archives)
    out = tmp_path / "one.wacz"
    with Store.open_for_reading(edited) as store:
        wacz.write(edited, store, [article_id(edited, url)], out)
    by_url = index_of(out)
    css = [u for u in by_url if ".css" in u]
    assert css, "no stylesheet in the WACZ"
    for suffix in (".ttf", "/header-pattern.png", "navigation.js"):
        assert any(suffix in u for u in by_url), suffix
    places = [(f["filename"], f["offset"]) for entries in by_url.values() for _s, f in entries]
    assert len(places) == len(set(places)), "a record stored twice"
    # The stylesheet did not change: its nearest capture to each of the page's captures is crawl 1's response or a
    # revisit confirming it, so the one response is carried, once, without its request record.
    assert [f["status"] for _, f in by_url[css[0]]] == ["200"] and by_url[css[0]][0][1]["mime"] == "text/css"
    with zipfile.ZipFile(out) as z, z.open("archive/data.warc.gz") as fh:
        from warcio.archiveiterator import ArchiveIterator

        requested = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh)
                     if r.rec_type == "request"}
    assert url in requested and not requested & set(css)


def test_wacz_validates_and_requisites_stay_small(replay_archives, tmp_path):
    """`wacz validate` accepts it; each article's WACZ is at most 1.3× the same export without requisites."""
    import subprocess

    from archive.export import wacz
    from tests.history.test_snapshots import _tool

    edited = Path(replay_archives["edited"])
    whole = _export(edited, tmp_path / "all.wacz")
    check = subprocess.run([str(_tool("wacz")), "validate", "-f", str(whole)], capture_output=True, text=True)
    assert check.returncode == 0 and "succeeded" in check.stdout + check.stderr, check.stdout + check.stderr
    ratios = []
    with sqlite3.connect(edited / "archive.db") as conn, Store.open_for_reading(edited) as store:
        for (number,) in conn.execute("SELECT id FROM articles ORDER BY id").fetchall():
            sizes = []
            for requisites in (True, False):
                out = tmp_path / f"{number}-{requisites}.wacz"
                wacz.write(edited, store, [number], out, requisites=requisites)
                sizes.append(out.stat().st_size)
            ratios.append(sizes[0] / sizes[1])
    REPORT.append(f"WACZ per article with/without requisites (3 crawls, {len(ratios)} articles): "
                  f"max {max(ratios):.3f}, median {sorted(ratios)[len(ratios) // 2]:.3f}")
    assert max(ratios) <= 1.3, max(ratios)


# -- ReplayWeb.page 2.5.3 in headless Chromium, on the exported WACZ --------------------------------------------------
THEME_ONLY = (".site-header", "background-color", "rgb(11, 61, 110)")  # set by the theme's style.css, nowhere else


@pytest.fixture(scope="module")
def viewer_parts():
    from tests.replay_viewer import REPLAYWEBPAGE, chromium_driver
    from tests.system import need

    rwp = need(REPLAYWEBPAGE)
    driver = chromium_driver(need("chromium", "chromium-driver", "fonts-noto-core"), need("chromium-driver"))
    yield driver, rwp
    driver.quit()


def _article_wacz(data: Path, url: str, out: Path) -> Path:
    from archive.export import wacz

    with Store.open_for_reading(data) as store:
        wacz.write(data, store, [article_id(data, url)], out)
    return out


def test_replaywebpage_shows_an_edited_article_styled_at_each_capture(viewer_parts, replay_archives, tmp_path):
    """Edition 1, edition 2, then the 304 of --refresh: each capture shows its own title in the innermost replay
    frame, with the theme's stylesheet in effect; the page list opens the latest one, a 304, and shows the page."""
    from tests.replay_viewer import ReplayWebPage

    driver, rwp = viewer_parts
    edited = Path(replay_archives["edited"])
    url, old, new = edited_article(replay_archives)
    stamps = [c[0] for c in captures(edited, url)]
    selector, prop, value = THEME_ONLY
    with ReplayWebPage(driver, _article_wacz(edited, url, tmp_path / "edited.wacz"), rwp) as viewer:
        for stamp, title in zip(stamps, (old, new, new), strict=True):
            shown = viewer.open(url, ts=stamp)
            assert shown.loaded and shown.title == title + SUFFIX, (stamp, shown)
            assert shown.style(selector, prop) == value, (stamp, shown.style(selector, prop))
        listed = viewer.pages()
        assert [(p["url"], p["timestamp"]) for p in listed] == [(url, stamps[-1])]
        latest = viewer.open(url)
        assert latest.loaded and latest.title == new + SUFFIX, latest


def test_replaywebpage_shows_an_identical_payload_revisit_styled(viewer_parts, replay_archives, tmp_path):
    """A site without validators: the second capture of the page (and of its stylesheet) is an identical-payload
    revisit whose original is in the first crawl's WARC file; both captures show the page, styled."""
    from tests.replay_viewer import ReplayWebPage

    driver, rwp = viewer_parts
    plain = Path(replay_archives["plain"])
    article = next(a for a in replay_archives["plain_manifest"]["articles"] if a["encoding"] == "utf-8")
    found = captures(plain, article["url"])
    assert [c[3] for c in found] == [None, "identical-payload-digest"]
    selector, prop, value = THEME_ONLY
    with ReplayWebPage(driver, _article_wacz(plain, article["url"], tmp_path / "plain.wacz"), rwp) as viewer:
        for stamp, *_ in reversed(found):  # the revisit first: nothing loaded before it
            shown = viewer.open(article["url"], ts=stamp)
            assert shown.loaded and shown.title == article["title"] + SUFFIX, (stamp, shown)
            assert shown.style(selector, prop) == value, stamp


def test_replaywebpage_shows_a_real_wordpress_post_in_its_theme(viewer_parts, real_wp_classic, crawled_wp_classic,
                                                                  tmp_path):
    """Real software's requisites: Twenty Twenty-One's stylesheets, scripts and the post's images, captured by the
    crawl of a real WordPress and carried by the export; the page's background is the theme's own green."""
    from tests.replay_viewer import ReplayWebPage

    driver, rwp = viewer_parts
    data = crawled_wp_classic.data
    post = next(p for p in real_wp_classic.manifest["posts"] if p.get("image"))
    url = canonical(post["url"])
    out = _article_wacz(data, url, tmp_path / "wordpress.wacz")
    carried = index_of(out)
    assert any("/themes/twentytwentyone/style" in u and ".css" in u for u in carried), sorted(carried)  # -rtl
    with ReplayWebPage(driver, out, rwp) as viewer:
        shown = viewer.open(url)
        assert shown.loaded and shown.title.startswith(post["title"]), shown
        assert shown.style("body", "background-color") == "rgb(209, 228, 221)"
        assert shown.script("return [...document.images].filter(i => i.complete && i.naturalWidth > 0).length") >= 1
