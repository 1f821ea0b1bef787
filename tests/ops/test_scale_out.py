"""Past one machine (issue 11): workers sharing a frontier in a real Redis, their WARC files ingested into one
archive; a worker killed with kill -9 loses nothing; ingesting twice changes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.crawling import ROOT, arshif
from tests.replica_process import free_port
from tests.system import need

pytestmark = pytest.mark.slow

# A dead worker must not keep the survivors waiting a minute in a test; nor an idle fleet five seconds.
FAST = ["--set", "ARSHIF_FRONTIER_HEARTBEAT=1", "--set", "ARSHIF_FRONTIER_DEAD_AFTER=6",
        "--set", "ARSHIF_FRONTIER_IDLE_CLOSE=2"]


def test_frontier_setting_becomes_scrapy_redis_settings():
    """Without ARSHIF_FRONTIER nothing changes; with it, scrapy-redis's scheduler and a duplicate filter on arshif's
    fingerprints, its keys kept when a worker closes, and a worker id fit for a WARC file name."""
    from scrapy.settings import Settings

    from crawler.frontier_addon import FrontierAddon, namespace

    plain = Settings({"ARSHIF_FRONTIER": ""})
    FrontierAddon().update_settings(plain)
    assert plain.get("SCHEDULER") == Settings().get("SCHEDULER") and not plain.get("REDIS_URL")
    shared = Settings({"ARSHIF_FRONTIER": "redis://127.0.0.1:6379/3", "ARSHIF_WORKER": ""})
    FrontierAddon().update_settings(shared)
    assert shared.get("SCHEDULER") == "crawler.frontier.SharedScheduler"
    assert shared.get("DUPEFILTER_CLASS") == "crawler.frontier.CanonicalRedisDupeFilter"
    assert shared.get("REDIS_URL") == "redis://127.0.0.1:6379/3" and shared.getbool("SCHEDULER_PERSIST")
    assert shared.get("ARSHIF_WORKER").replace("_", "").isalnum()
    assert namespace("arshif", "alitaliya", "http://Example.org:8080/") == "arshif:alitaliya:example.org_8080"
    assert namespace("arshif", "alitaliya", "https://example.org/") != namespace("arshif", "alitaliya",
                                                                                 "https://example.net/")
    with pytest.raises(ValueError):
        FrontierAddon().update_settings(Settings({"ARSHIF_FRONTIER": "redis://x/0", "ARSHIF_WORKER": "w-1"}))


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real redis-server on a free loopback port, with nothing saved to disk."""
    server = need("redis-server")
    home = tmp_path_factory.mktemp("redis")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no", "--bind",
                             "127.0.0.1", "--dir", str(home)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def start_worker(site, data: Path, frontier: str, worker: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "archive", "--data", str(data), "crawl", "--site", site.url + "/",
                             "--no-assets", "--frontier", frontier, "--worker", worker, *FAST, *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 120) -> str:
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return err


def article_paths(site) -> set[str]:
    return {unquote(urlsplit(a["url"]).path) for a in site.manifest["articles"]}


def fresh_article_responses(site, files: list[Path]) -> Counter:
    """Article path → 200 responses (not revisits) for it in these WARC files."""
    wanted = article_paths(site)
    found: Counter = Counter()
    for path in files:
        with path.open("rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type != "response" or record.http_headers.get_statuscode() != "200":
                    continue
                target = unquote(urlsplit(record.rec_headers.get_header("WARC-Target-URI")).path)
                if target in wanted:
                    found[target] += 1
    return found


def closed_warcs(data: Path) -> list[Path]:
    return sorted((data / "warc").glob("*.warc.gz"))


def fingerprint(data: Path) -> dict:
    """Row counts and a digest of every row of the tables an ingest writes."""
    conn = sqlite3.connect(data / "archive.db")
    out = {}
    for table, order in (("captures", "record_id"), ("articles", "canonical"), ("article_versions", "id"),
                         ("warc_files", "name"), ("crawls", "id")):
        digest = hashlib.sha256()
        rows = conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
        for row in rows:
            digest.update(repr(row).encode())
        out[table] = (len(rows), digest.hexdigest())
    conn.close()
    return out


@pytest.fixture(scope="module")
def fleet(redis_url, tmp_path_factory):
    """Two workers, started together on one frontier, crawl an 80-article replica into their own directories."""
    from tests.replica_process import ReplicaProcess

    home = tmp_path_factory.mktemp("fleet")
    site = ReplicaProcess(home / "replica", articles=80, latency_ms=50).start()
    workers = {name: home / name for name in ("w1", "w2")}
    procs = [start_worker(site, data, redis_url, name) for name, data in workers.items()]
    errors = [finish(proc) for proc in procs]
    yield site, workers, errors
    site.stop()


def test_two_workers_fetch_each_article_once(fleet):
    site, workers, errors = fleet
    per_worker = {name: fresh_article_responses(site, closed_warcs(data)) for name, data in workers.items()}
    assert all(name in closed_warcs(data)[0].name for name, data in workers.items())  # arshif-<ts>-<worker>-…
    both = set(per_worker["w1"]) & set(per_worker["w2"])
    assert not both, sorted(both)[:3]
    union = per_worker["w1"] + per_worker["w2"]
    assert set(union) == article_paths(site), sorted(article_paths(site) - set(union))[:3]
    assert max(union.values()) == 1
    assert all(per_worker.values()), f"one worker did all the work: {[len(c) for c in per_worker.values()]}"
    # the site's own log agrees: every article path asked for once in all
    asked = Counter(unquote(r["path"]) for r in site.requests() if unquote(r["path"]) in article_paths(site))
    assert set(asked) == article_paths(site) and max(asked.values()) == 1, asked.most_common(2)


def test_ingest_makes_one_archive_idempotently(fleet, tmp_path):
    site, workers, _ = fleet
    central = tmp_path / "central"
    result = arshif("--data", str(central), "ingest", *(str(d / "warc") for d in workers.values()), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [f["status"] for f in report["files"]] == ["ingested"] * len(report["files"])
    conn = sqlite3.connect(central / "archive.db")
    stored = {row[0] for row in conn.execute("SELECT canonical FROM articles WHERE body != ''")}
    conn.close()
    assert stored == {a["url"] for a in site.manifest["articles"]}
    verify = arshif("--data", str(central), "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    for article in [a for a in site.manifest["articles"] if a["lang"] == "ar"][:3]:
        words = sorted((w for w in article["title"].split() if w.isalpha()), key=len)[-2:]
        found = arshif("--data", str(central), "search", *words, "--json")
        assert found.returncode == 0, found.stderr
        assert article["url"] in [hit["url"] for hit in json.loads(found.stdout)], (words, article["url"])
    # the same files again: nothing changes
    before = fingerprint(central)
    again = arshif("--data", str(central), "ingest", *(str(d / "warc") for d in workers.values()), "--json")
    assert again.returncode == 0, again.stderr
    assert {f["status"] for f in json.loads(again.stdout)["files"]} == {"already"}
    assert fingerprint(central) == before
    # a different file under a name the archive holds is refused, never overwritten
    known = closed_warcs(workers["w1"])[0]
    impostor = tmp_path / "elsewhere" / known.name
    impostor.parent.mkdir()
    shutil.copy(closed_warcs(workers["w2"])[0], impostor)
    refused = arshif("--data", str(central), "ingest", str(impostor))
    assert refused.returncode == 1
    assert "refused" in refused.stderr and known.name in refused.stderr
    assert fingerprint(central) == before


def _edited_pair(source: Path, out: Path) -> tuple[Path, Path, str]:
    """Two one-page WARC files of one article, a month apart, the later one with a sentence added: an earlier
    and a later capture made by two workers."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with source.open("rb") as f:
        for record in ArchiveIterator(f):
            uri = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type == "response" and record.http_headers.get_statuscode() == "200" and "/20" in uri:
                content_type, body = record.http_headers.get_header("Content-Type"), record.content_stream().read()
                break
    cut = body.find(b"</p>", body.find(b"<article")) + 4
    edited = body[:cut] + b"<p>Aggiornamento: una frase aggiunta dopo la pubblicazione.</p>" + body[cut:]
    files = []
    for worker, stamp, payload in (("A", "20260101120000", body), ("B", "20260201120000", edited)):
        path = out / f"arshif-{stamp}-{worker}-00000.warc.gz"
        with path.open("wb") as f:
            writer = WARCWriter(f, gzip=True, warc_version="1.1")
            writer.write_record(writer.create_warcinfo_record(path.name, {"isPartOf": "arshif-crawl-1"}))
            date = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T12:00:00Z"
            writer.write_record(writer.create_warc_record(
                uri, "response", payload=BytesIO(payload), warc_headers_dict={"WARC-Date": date},
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")))
        files.append(path)
    return files[0], files[1], uri


def test_ingest_orders_versions_by_capture_time(fleet, tmp_path):
    """The later capture ingested first, the earlier one next: the versions come out as if in time order."""
    _, workers, _ = fleet
    (tmp_path / "in").mkdir()
    earlier, later, uri = _edited_pair(closed_warcs(workers["w1"])[0], tmp_path / "in")
    histories, rederived = [], []
    for n, order in enumerate(((later, earlier), (earlier, later))):
        archive = tmp_path / f"archive-{n}"
        for path in order:
            result = arshif("--data", str(archive), "ingest", str(path), "--json")
            assert result.returncode == 0, result.stderr
        rederived.append(json.loads(result.stdout)["rederived"])
        conn = sqlite3.connect(archive / "archive.db")
        histories.append(conn.execute(
            "SELECT v.version, v.digest, v.capture_timestamp, v.first_seen, v.last_seen, a.versions, a.last_captured "
            "FROM article_versions v JOIN articles a ON a.id = v.article_id ORDER BY v.version").fetchall())
        conn.close()
    assert rederived == [1, 0]  # an older capture arriving late: that article derived again; in order: appended
    assert histories[0] == histories[1]
    assert [(v[0], v[2]) for v in histories[0]] == [(1, "20260101120000"), (2, "20260201120000")], histories[0]


def test_the_next_run_knows_what_the_fleet_archived(fleet, redis_url):
    """A later run of one worker leaves alone the unchanged articles the other worker archived: the fleet's
    captures are shared through the frontier when their WARC files are closed, not only in each archive."""
    site, workers, _ = fleet
    before = len(site.requests())
    finish(start_worker(site, workers["w2"], redis_url, "w2"))
    again = [r for r in site.requests()[before:] if unquote(r["path"]) in article_paths(site)]
    assert not [r for r in again if r["status"] == 200], again[:3]


def test_a_killed_worker_loses_nothing(redis_url, replica_factory, tmp_path):
    site = replica_factory(articles=50, latency_ms=50)
    w1, w2 = tmp_path / "w1", tmp_path / "w2"
    doomed = start_worker(site, w1, redis_url, "w1")
    survivor = start_worker(site, w2, redis_url, "w2")
    deadline = time.monotonic() + 90
    while len([r for r in site.requests() if r.get("kind") == "article"]) < 15:
        assert time.monotonic() < deadline, "the workers never got going"
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    finish(survivor)
    # one more run, by the survivor: the dead worker's machine never comes back, its open file with it
    finish(start_worker(site, w2, redis_url, "w2"))
    files = closed_warcs(w1) + closed_warcs(w2)
    captured = fresh_article_responses(site, files)
    assert set(captured) == article_paths(site), sorted(article_paths(site) - set(captured))[:3]
    central = tmp_path / "central"
    result = arshif("--data", str(central), "ingest", str(w1 / "warc"), str(w2 / "warc"))
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(central / "archive.db")
    stored = {row[0] for row in conn.execute("SELECT canonical FROM articles WHERE body != ''")}
    conn.close()
    missing = [a["url"] for a in site.manifest["articles"] if a["url"] not in stored]
    assert not missing, missing[:3]
    assert arshif("--data", str(central), "verify").returncode == 0
