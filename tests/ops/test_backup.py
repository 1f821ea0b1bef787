"""`arshif backup DEST` (issue 9): a consistent copy of the database and the WARC files, with their fixity, taken
while a crawl may be running."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from archive.ops.backup import FIXITY, MANIFEST, UNDER_WAY, BackupError, backup
from archive.ops.recovery import recover
from archive.ops.verify import verify
from archive.store.database import Store
from tests.conftest import REPORT
from tests.crawling import ROOT, arshif, crawl
from tests.replica_process import ReplicaProcess

LEFT_OPEN = "file left open by an interrupted crawl"


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory):
    """40 articles crawled into several small WARC files; tests that change it work on a copy."""
    site = ReplicaProcess(tmp_path_factory.mktemp("replica-backup"), articles=40).start()
    try:
        run = crawl(site, tmp_path_factory.mktemp("crawl-backup") / "data", "--no-assets", "--warc-max-size", "100K")
    finally:
        site.stop()
    assert run.returncode == 0, run.stderr
    assert len(run.warc_files()) >= 3
    return run.data


@pytest.fixture
def archive_copy(small_archive, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(small_archive, data)
    return data


def fixity_lines(dest) -> dict[str, str]:
    lines = (dest / FIXITY).read_text().splitlines()
    assert all(len(line.split("  ")) == 2 for line in lines)  # sha256sum format: <hex>, two spaces, the path
    return {path: digest for digest, path in (line.split("  ") for line in lines)}


def check_fixity(dest) -> None:
    """What `cd DEST && sha256sum -c warc-fixity.sha256` does (with sha256sum itself when it is there)."""
    if shutil.which("sha256sum"):
        result = subprocess.run(["sha256sum", "--quiet", "-c", FIXITY], cwd=dest, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    for path, digest in fixity_lines(dest).items():
        assert hashlib.sha256((dest / path).read_bytes()).hexdigest() == digest, path


def integrity(db_path) -> str:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_backup_is_a_verified_copy_and_the_next_one_copies_nothing(small_archive, tmp_path):
    dest = tmp_path / "backup"
    seen = []
    report = backup(small_archive, dest, progress=lambda done, total: seen.append((done, total)))
    closed = sorted(p.name for p in (small_archive / "warc").glob("*.warc.gz"))
    assert report.complete and report.open_files == [] and report.named("copied") == closed
    assert sorted(p.name for p in dest.iterdir()) == [".backup.lock", "archive.db", MANIFEST, "warc", FIXITY]
    assert integrity(dest / "archive.db") == "ok"
    assert sorted(fixity_lines(dest)) == [f"warc/{name}" for name in closed]
    check_fixity(dest)
    assert verify(dest, deep=True) == []
    assert (dest / "warc" / "index.cdxj").read_text() == (small_archive / "warc" / "index.cdxj").read_text()
    assert seen and seen[-1][0] == seen[-1][1] == sum((small_archive / "warc" / n).stat().st_size for n in closed)
    manifest = json.loads((dest / MANIFEST).read_text())
    assert manifest["complete"] and manifest["schema_version"] >= 6 and manifest["source"] == str(small_archive)
    assert manifest["counts"]["captures"] == sqlite3.connect(small_archive / "archive.db").execute(
        "SELECT count(*) FROM captures").fetchone()[0] and manifest["counts"]["articles"] == 40
    assert manifest["database"]["sha256"] == hashlib.sha256((dest / "archive.db").read_bytes()).hexdigest()
    assert not (dest / UNDER_WAY).exists() and not list(dest.rglob("*.part"))

    result = arshif("--data", str(small_archive), "backup", str(dest), "--json")
    again = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert again["copied"] == [] and again["unchanged"] == closed and again["copied_bytes"] == 0
    assert "0 copied" in result.stderr and f"{len(closed)} already there" in result.stderr


def test_a_damaged_copy_in_dest_is_found_by_rehash_and_copied_again(small_archive, tmp_path):
    dest = tmp_path / "backup"
    backup(small_archive, dest)
    victim = sorted((dest / "warc").glob("*.warc.gz"))[1]
    stat = victim.stat()
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    victim.write_bytes(bytes(raw))  # bit rot on the backup disk: same size, same mtime
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (dest / "warc" / (victim.name + ".part")).write_bytes(b"half")  # what a killed backup leaves
    (dest / "archive.db.part").write_bytes(b"half")
    (dest / UNDER_WAY).write_text("")
    trusting = backup(small_archive, dest)
    assert not list(dest.rglob("*.part")) and not (dest / UNDER_WAY).exists()
    assert trusting.named("copied") == []  # trusted from the last backup.json: not read again
    checked = backup(small_archive, dest, rehash=True)
    assert checked.named("copied") == [victim.name] and checked.repaired == [victim.name]
    check_fixity(dest)
    raw[0] ^= 0xFF
    victim.write_bytes(bytes(raw))  # changed in any other way (new mtime): read again without being asked
    assert backup(small_archive, dest).repaired == [victim.name]
    check_fixity(dest)


def test_a_source_file_that_no_longer_matches_its_fixity_fails_the_backup(archive_copy, tmp_path):
    victim = sorted((archive_copy / "warc").glob("*.warc.gz"))[0]
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    victim.write_bytes(bytes(raw))
    dest = tmp_path / "backup"
    result = arshif("--data", str(archive_copy), "backup", str(dest))
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("arshif backup:")]
    assert len(problems) == 1 and victim.name in problems[0] and "fixity" in problems[0]
    assert "backup incomplete" in result.stderr
    assert not (dest / "warc" / victim.name).exists()  # a bad copy is never installed
    manifest = json.loads((dest / MANIFEST).read_text())
    assert not manifest["complete"] and manifest["problems"] == [problems[0].removeprefix("arshif backup: ")]
    others = sorted(p.name for p in (archive_copy / "warc").glob("*.warc.gz") if p != victim)
    assert manifest["copied"] == others


@pytest.mark.parametrize("renamed", [False, True], ids=["still-open", "renamed-not-yet-marked-closed"])
def test_a_file_being_written_is_copied_up_to_its_last_indexed_record(archive_copy, tmp_path, renamed):
    """The state a crawl is in mid-write: the last file open, records past the last committed row, half a record
    at the end. (Renamed: closed on disk between the snapshot and the copy, its fixity row not yet written.)"""
    warc = archive_copy / "warc"
    last = sorted(warc.glob("*.warc.gz"))[-1]
    conn = sqlite3.connect(archive_copy / "archive.db")
    end = conn.execute("SELECT max(offset + length) FROM captures WHERE warc_file = ?", [last.name]).fetchone()[0]
    offset, length = conn.execute("SELECT offset, length FROM captures WHERE warc_file = ? ORDER BY offset LIMIT 1",
                                  [last.name]).fetchone()
    with conn:
        conn.execute("UPDATE warc_files SET closed = NULL, size = NULL, sha256 = NULL, records = NULL WHERE name = ?",
                     [last.name])
    conn.close()
    assert end == last.stat().st_size
    member = last.read_bytes()[offset:offset + length]
    with last.open("ab") as f:
        f.write(member * 2 + member[:length // 2])  # two records whose rows are not committed yet, half of a third
    being_written = last if renamed else last.rename(warc / (last.name + ".open"))
    just_opened = "arshif-29991231235959-00000.warc.gz"  # a second worker's file: its warcinfo, half a record
    warcinfo = being_written.read_bytes()[:offset]  # the first record, before the first capture
    (warc / (just_opened + ".open")).write_bytes(warcinfo + member[:length // 2])
    with sqlite3.connect(archive_copy / "archive.db") as conn:
        conn.execute("INSERT INTO warc_files (name, created) VALUES (?, '2999-12-31T23:59:59+00:00')", [just_opened])
    conn.close()
    dest = tmp_path / "backup"
    report = backup(archive_copy, dest)
    assert report.complete and report.open_files == [last.name + ".open", just_opened + ".open"]
    assert (dest / "warc" / (just_opened + ".open")).read_bytes() == warcinfo
    copy = dest / "warc" / (last.name + ".open")
    assert copy.stat().st_size == end
    assert copy.read_bytes() == being_written.read_bytes()[:end]
    assert f"warc/{last.name}" not in fixity_lines(dest)  # no fixity yet
    check_fixity(dest)
    assert [(p.file, p.message) for p in verify(dest, deep=True)] == [(last.name + ".open", LEFT_OPEN),
                                                                     (just_opened + ".open", LEFT_OPEN)]
    store = Store(dest / "archive.db")  # after a restore, the next crawl's recovery closes them
    try:
        assert recover(dest, store).closed_files == [last.name, just_opened]
    finally:
        store.close()
    assert verify(dest, deep=True) == []


def test_refusals_are_one_clear_line(archive_copy, tmp_path):
    def refused(*args):
        result = arshif("--data", str(archive_copy), "backup", *args)
        lines = [line for line in result.stderr.splitlines() if "arshif backup:" in line or "Error:" in line]
        assert result.returncode == 1 and len(lines) == 1, result.stderr
        return lines[0]

    assert "inside the data directory" in refused(str(archive_copy / "backups"))
    assert not (archive_copy / "backups").exists()
    result = arshif("--data", str(tmp_path / "nowhere"), "backup", str(tmp_path / "b"))
    assert result.returncode == 1 and "no archive at" in result.stderr
    foreign = tmp_path / "other-archive"
    foreign.mkdir()
    (foreign / "archive.db").write_bytes(b"")
    assert "not an arshif backup" in refused(str(foreign))
    assert (foreign / "archive.db").read_bytes() == b""
    aliased = tmp_path / "aliased"
    aliased.mkdir()
    (aliased / "warc").symlink_to(archive_copy / "warc")
    assert "own WARC directory" in refused(str(aliased))
    busy = tmp_path / "busy"
    busy.mkdir()
    with (busy / ".backup.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert "another backup" in refused(str(busy))
    afile = tmp_path / "a-file"
    afile.write_text("")
    assert arshif("--data", str(archive_copy), "backup", str(afile)).returncode == 2
    assert arshif("--data", str(archive_copy), "backup").returncode == 2
    plain = tmp_path / "plain"
    plain.mkdir()
    with sqlite3.connect(plain / "archive.db") as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(BackupError, match="not an arshif archive"):
        backup(plain, tmp_path / "plain-backup")
    assert not (tmp_path / "plain-backup" / "archive.db").exists()


def test_no_warc_lists_the_files_with_their_fixity_without_copying_them(small_archive, tmp_path):
    dest = tmp_path / "backup"
    result = arshif("--data", str(small_archive), "backup", str(dest), "--no-warc", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert not (dest / "warc").exists() and report["copied"] == [] and not report["warc_copied"]
    closed = sorted(p.name for p in (small_archive / "warc").glob("*.warc.gz"))
    assert sorted(fixity_lines(dest)) == [f"warc/{name}" for name in closed]
    (dest / "warc").symlink_to(small_archive / "warc")  # WARC files replicated some other way
    check_fixity(dest)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def captures_so_far(data) -> int:
    try:
        conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM captures").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_backup_during_a_running_crawl(tmp_path):
    site = ReplicaProcess(tmp_path / "replica", articles=150, latency_ms=50).start()
    data, dest = tmp_path / "data", tmp_path / "backup"
    crawler = subprocess.Popen([sys.executable, "-m", "archive", "--data", str(data), "crawl", "--site",
                                site.url + "/", "--no-assets", "--warc-max-size", "200K"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: captures_so_far(data) >= 100 or crawler.poll() is not None, 60, "100 captures")
        assert crawler.poll() is None, "the crawl ended before the backup could run"
        started = time.monotonic()
        result = arshif("--data", str(data), "backup", str(dest), "--json")
        took = time.monotonic() - started
        still_running = crawler.poll() is None
        assert result.returncode == 0, result.stderr
        assert still_running, "the crawl finished during the backup: nothing was tested"
        first = json.loads(result.stdout)
        assert first["counts"]["captures"] >= 100
        assert integrity(dest / "archive.db") == "ok"
        check_fixity(dest)
        # every record the copied database references is in the copied WARC files; the file being written at
        # that moment is reported as left open, exactly as an interrupted crawl's would be
        checked = arshif("--data", str(dest), "verify", "--json")
        problems = json.loads(checked.stdout)
        assert {(p["file"], p["message"]) for p in problems} == {(name, LEFT_OPEN) for name in first["open_files"]}, \
            problems
        _, err = crawler.communicate(timeout=120)
        assert crawler.returncode == 0, err
    finally:
        if crawler.poll() is None:
            crawler.kill()
            crawler.wait()
        site.stop()

    # the backed-up database against the original WARC directory, now that the crawl has finished: every pointer
    # resolves; the only remarks are about files closed or created after the snapshot
    view = tmp_path / "view"
    view.mkdir()
    shutil.copy(dest / "archive.db", view / "archive.db")
    (view / "warc").symlink_to(data / "warc")
    known = {f["name"] for f in first["files"]}
    then_open = {name.removesuffix(".open") for name in first["open_files"]}
    problems = json.loads(arshif("--data", str(view), "verify", "--json").stdout)
    for p in problems:
        assert (p["file"] in then_open and "never closed" in p["message"]) or (
            p["file"] not in known and "orphan" in p["message"]), p

    # the next backup copies only what is new, drops the partial copies, and now verifies clean
    result = arshif("--data", str(data), "backup", str(dest), "--json")
    assert result.returncode == 0, result.stderr
    second = json.loads(result.stdout)
    first_closed = {f["name"] for f in first["files"] if f["state"] == "closed"}
    all_closed = sorted(p.name for p in (data / "warc").glob("*.warc.gz"))
    assert second["unchanged"] == sorted(first_closed)
    assert second["copied"] == sorted(set(all_closed) - first_closed) and second["copied"]
    assert second["open_files"] == [] and not list((dest / "warc").glob("*.open"))
    check_fixity(dest)
    assert arshif("--data", str(dest), "verify").returncode == 0
    db_mb = first["database"]["bytes"] / 1e6
    REPORT.append(f"backup during a crawl: {first['counts']['captures']} captures, archive.db {db_mb:.1f} MB in "
                  f"{first['database']['seconds']:.2f} s, {len(first['copied'])} WARC files "
                  f"({len(first['open_files'])} being written) "
                  f"({first['copied_bytes'] / 1e6:.1f} MB) in {first['seconds']:.2f} s ({took:.1f} s with the "
                  f"command's start-up); the next: {len(second['copied'])} new files, "
                  f"{second['copied_bytes'] / 1e6:.1f} MB, {second['seconds']:.2f} s")
