"""Deploy the project to a real Scrapyd on loopback, schedule the spider there, and find the archive it made.

The egg is built by `scrapyd-deploy --build-egg` (which runs our setup.py) from a copy of the work tree, and the
copy's settings.py gets one extra line, a marker in ARSHIF_OPERATOR, that the crawl writes into its warcinfo
records: finding it proves the job ran the egg's settings module, found through the egg's `scrapy` entry point,
and not a copy of the project installed next to Scrapyd.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
import urllib.parse
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.replica_process import ReplicaProcess, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROJECT = "arshif"
# loopback only, and never through a proxy the environment may name
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Scrapyd:
    """A Scrapyd process of our own: its config, eggs, logs and queues all under one directory."""

    def __init__(self, home: Path):
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.output = home / "scrapyd.out"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Scrapyd:
        self.home.mkdir(parents=True, exist_ok=True)
        # Scrapyd reads ./scrapyd.conf from its working directory (then ~/.scrapyd.conf: HOME points here too).
        (self.home / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {self.port}\n"
            f"eggs_dir = {self.home / 'eggs'}\n"
            f"logs_dir = {self.home / 'logs'}\n"
            f"dbs_dir = {self.home / 'dbs'}\n"
            "items_dir =\n"
            "max_proc = 1\n"
            "poll_interval = 0.2\n"
        )
        env = {**os.environ, "HOME": str(self.home), "PYTHONUNBUFFERED": "1"}
        with self.output.open("wb") as out:
            # a session of its own: teardown can end Scrapyd and any crawl it spawned as one group
            self.proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=self.home, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"scrapyd exited {self.proc.returncode}:\n{self.log()}")
            try:
                if self.get("daemonstatus.json")["status"] == "ok":
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"scrapyd did not answer within 30 s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        group = self.proc.pid  # the session leader's pid is the group's id
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            os.killpg(group, signal.SIGKILL)  # a crawl still running after Scrapyd stopped
        except ProcessLookupError:
            pass
        self.proc = None

    def log(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def get(self, endpoint: str, **params: str) -> dict:
        url = self.url + endpoint + ("?" + urllib.parse.urlencode(params) if params else "")
        with OPENER.open(url, timeout=30) as response:
            return json.load(response)

    def post(self, endpoint: str, fields: list[tuple[str, str]],
             files: dict[str, tuple[str, bytes]] | None = None) -> dict:
        """POST form fields (repeatable names, such as `setting`); with files, as multipart/form-data."""
        if files:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in fields:
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                             .encode())
            for name, (filename, content) in files.items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                             f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                             + content + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.url + endpoint, data=body, headers={"Content-Type": content_type})
        with OPENER.open(request, timeout=60) as response:
            return json.load(response)


@pytest.fixture
def scrapyd(tmp_path):
    server = Scrapyd(tmp_path / "scrapyd")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def small_site(tmp_path):
    site = ReplicaProcess(tmp_path / "replica", articles=20).start()
    try:
        yield site
    finally:
        site.stop()


def build_egg(workdir: Path, marker: str) -> Path:
    """Copy what pyproject.toml packages, plus the deploy files, and build the egg there as a user would."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    source = workdir / "source"
    source.mkdir(parents=True)
    for name in ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for module in config["py-modules"]:
        shutil.copy2(ROOT / f"{module}.py", source / f"{module}.py")
    for top in sorted({package.rstrip("*").split(".")[0] for package in config["packages"]["find"]["include"]}):
        shutil.copytree(ROOT / top, source / top, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    with (source / "settings.py").open("a", encoding="utf-8") as f:
        f.write(f"\nARSHIF_OPERATOR = {marker!r}  # added by tests/crawler/test_scrapyd.py\n")
    egg = workdir / "arshif.egg"
    # --debug: the build's output in the failure message; TMPDIR: --build-egg leaves its build directory behind
    result = subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(egg), "--debug"], cwd=source,
                            capture_output=True, text=True, timeout=120, env={**os.environ, "TMPDIR": str(workdir)})
    assert result.returncode == 0 and egg.exists(), result.stdout + result.stderr
    return egg


def test_deploy_and_crawl_through_scrapyd(tmp_path, scrapyd, small_site):
    marker = f"scrapyd-egg-{uuid.uuid4().hex[:12]}"
    egg = build_egg(tmp_path / "build", marker)
    with zipfile.ZipFile(egg) as z:
        names = set(z.namelist())
        entry_points = z.read("EGG-INFO/entry_points.txt").decode()
    for needed in ("settings.py", "archive/__init__.py", "archive/web/app.py", "archive/web/templates/base.html",
                   "archive/web/static/style.css", "crawler/extensions/session.py", "spiders/alitaliya.py"):
        assert needed in names, f"{needed} missing from the egg"
    assert "[scrapy]\nsettings = settings" in entry_points, entry_points

    added = scrapyd.post("addversion.json", [("project", PROJECT), ("version", "1")],
                         files={"egg": ("arshif.egg", egg.read_bytes())})
    assert added["status"] == "ok", f"{added}\n{scrapyd.log()}"
    spiders = scrapyd.get("listspiders.json", project=PROJECT)
    assert "alitaliya" in spiders.get("spiders", []), f"{spiders}\n{scrapyd.log()}"

    data = tmp_path / "srv" / "arshif"  # an absolute path, as an operator would pass it; the crawl creates it
    scheduled = scrapyd.post("schedule.json", [
        ("project", PROJECT), ("spider", "alitaliya"), ("site", small_site.url + "/"),
        ("setting", f"ARSHIF_DATA={data}"), ("setting", "ARSHIF_ASSETS=False"),
    ])
    assert scheduled["status"] == "ok", f"{scheduled}\n{scrapyd.log()}"
    job = scheduled["jobid"]
    job_log = scrapyd.home / "logs" / PROJECT / "alitaliya" / f"{job}.log"

    def explain() -> str:
        text = job_log.read_text(errors="replace") if job_log.exists() else "(no job log)"
        return f"\n--- job log {job_log} ---\n{text}\n--- scrapyd ---\n{scrapyd.log()}"

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        jobs = scrapyd.get("listjobs.json", project=PROJECT)
        if any(j["id"] == job for j in jobs["finished"]):
            break
        time.sleep(0.3)
    else:
        pytest.fail("the job did not finish within 90 s" + explain())

    if "Process died" in scrapyd.log():
        pytest.fail("the crawl process exited with an error" + explain())
    if "Spider closed (finished)" not in job_log.read_text(errors="replace"):
        pytest.fail("the crawl did not finish cleanly" + explain())
    assert not (scrapyd.home / "arshif-data").exists(), "ARSHIF_DATA was ignored: data went to the default"

    conn = sqlite3.connect(data / "archive.db")
    try:
        stored = {row[0] for row in conn.execute("SELECT canonical FROM articles")}
        status = conn.execute("SELECT status FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    wanted = {a["url"] for a in small_site.manifest["articles"]}  # the manifest's URLs are canonical
    assert wanted <= stored, f"missing articles: {sorted(wanted - stored)[:5]}" + explain()
    assert status == ("finished",), f"crawl status {status}" + explain()

    warcs = sorted((data / "warc").glob("*.warc.gz"))
    assert warcs, "no WARC file in the data directory" + explain()
    with warcs[0].open("rb") as f:
        first = next(iter(ArchiveIterator(f)))
        assert first.rec_type == "warcinfo"
        info = first.content_stream().read().decode()
    assert f"operator: {marker}" in info, f"the job did not run the egg's settings module:\n{info}"
