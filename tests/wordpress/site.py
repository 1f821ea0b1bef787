"""A real WordPress 6.1 (Debian's packages) on loopback, for tests: one private MariaDB, two sites with the same
posts under two themes, each with a manifest of what WordPress says it holds and a log of what it was asked.

How it is put together, and why:
- MariaDB runs as our own process (its data and socket in a temporary folder, no TCP port at all), never as the
  system's service.
- WordPress is installed ONCE into a template database (tests/wordpress/install.php, one PHP process, a few
  seconds), then each site is a copy of that database moved to its own address (clone.php), as a migration is
  done. Both sites therefore hold the same posts with the same ids, and a test that wants to change content gets a
  private copy the same way (`WordPressWorld.private_site`) instead of disturbing the shared, read-only ones.
- /usr/share/wordpress is copied once (symlinks kept) for the template; each site's docroot is its own tree of
  hard links to that copy (the pictures included) with its own wp-config.php, served by `php -S` through
  tests/wordpress/router.php, which logs one JSON line per request.

Processes write to files, never to pipes: shared sites outlive the test worker that started them (tests/shared.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.replica_process import free_port, read_request_log
from tests.wordpress.content import plan
from tools.system_needs import which

HERE = Path(__file__).resolve().parent
WORDPRESS = Path("/usr/share/wordpress")
THEMES = {"classic": "twentytwentyone", "block": "twentytwentythree"}
# Stored in the template's posts (guids, links between posts) and replaced by each site's own address. Port 1 on
# loopback: nothing is meant to answer there, and nothing ever asks, since the template is never served.
TEMPLATE_URL = "http://127.0.0.1:1"
TEMPLATE_DB = "wp_template"
# The Debian packages the world needs, by the names tools/system-needs.txt gives them (tests/system.py).
PACKAGES = ("php-cli", "php-mysql", "php-gd", "php-mbstring", "php-xml", "mariadb-server", "wordpress",
            "wordpress-l10n", "wordpress-theme-twentytwentyone", "wordpress-theme-twentytwentythree")
WORKERS = 4  # php -S serves this many requests at once (PHP_CLI_SERVER_WORKERS)
PHP_FLAGS = ("-d", "display_errors=0", "-d", "log_errors=1", "-d", "memory_limit=512M")


def _which(command: str) -> str:
    found = which(command)
    if not found:
        raise FileNotFoundError(f"{command} not found (see tools/system-needs.txt)")
    return found


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie; reaped here when it is our child (the worker that started it),
    otherwise left to its parent or to init."""
    try:
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z":
            return False
    except (FileNotFoundError, ProcessLookupError):
        return True
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return _gone(pid)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[-1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(found)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _copy_wordpress(docroot: Path) -> None:
    """Debian's WordPress, symlinks kept (they point at packaged libraries); of the translations only Arabic's,
    which is all the site uses, and a third of the copying time."""
    def skip(folder: str, names: list[str]) -> list[str]:
        if not folder.endswith("wp-content/languages"):
            return []
        return [n for n in names if n.endswith(".mo") and n != "ar.mo" and not n.endswith("-ar.mo")]

    shutil.copytree(WORDPRESS, docroot, symlinks=True, ignore=skip)
    # Debian's wp-config.php looks for /etc/wordpress/config-<host>.php: ours replaces it (_write_config).
    (docroot / "wp-config.php").unlink()
    (docroot / ".htaccess").unlink(missing_ok=True)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or hard links not allowed here
        shutil.copy2(source, target)


def _link_wordpress(template: Path, docroot: Path) -> None:
    """A site's docroot from the installed template's: its own tree of folders, the files hard links to the
    template's (our private copy, never the system's files), so that two sites take a fraction of a second
    instead of copying 60 MB each. wp-config.php is then replaced, never written through the link."""
    shutil.copytree(template, docroot, symlinks=True, copy_function=_link_or_copy)


def _write_config(docroot: Path, database: str, db_socket: str, url: str) -> None:
    """The settings a test site needs: its own database and address, and nothing that would reach out (no cron
    requests to itself, no HTTP beyond loopback, no automatic updates)."""
    (docroot / "wp-config.php").unlink(missing_ok=True)  # maybe a hard link to the template's
    salts = "".join(f"define('{k}', 'arshif-tests-{k.lower()}');\n" for k in (
        "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT",
        "LOGGED_IN_SALT", "NONCE_SALT"))
    (docroot / "wp-config.php").write_text(f"""<?php
// Written by tests/wordpress/site.py for a test site on loopback.
define('DB_NAME', '{database}');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:{db_socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
{salts}$table_prefix = 'wp_';
define('WP_HOME', '{url}');
define('WP_SITEURL', '{url}');
define('WP_DEFAULT_THEME', 'twentytwentyone');
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('DISALLOW_FILE_MODS', true);
define('WP_DEBUG', false);
if (!defined('ABSPATH')) {{
    define('ABSPATH', __DIR__ . '/');
}}
require_once ABSPATH . 'wp-settings.php';
""", encoding="utf-8")


def _run_php(php: str, script: str, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
    result = subprocess.run([php, *PHP_FLAGS, str(HERE / script), *args], input=stdin, capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"php {script} failed ({result.returncode}): {result.stderr.strip()}"
                           f"\n{result.stdout[-2000:]}")
    return result.stdout


@dataclass
class MariaDB:
    """A private mariadbd: no TCP port, a socket in our folder, stopped by its pid."""

    folder: Path
    socket: str = ""
    pid: int = 0
    socket_dir: str = ""  # a short folder made for the socket when `folder` is too long a path for one

    def start(self) -> MariaDB:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = self.folder / "data"
        user = ["--user=root"] if os.geteuid() == 0 else []
        install = subprocess.run(
            [_which("mariadb-install-db"), "--no-defaults", f"--datadir={data}", "--skip-test-db",
             "--skip-name-resolve", "--auth-root-authentication-method=normal", *user],
            capture_output=True, text=True, timeout=120)
        if install.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {install.stderr}{install.stdout}")
        sock = self.folder / "mysqld.sock"
        if len(str(sock)) > 100:  # sun_path holds 108 bytes
            self.socket_dir = tempfile.mkdtemp(prefix="arshif-wpdb-")
            sock = Path(self.socket_dir) / "mysqld.sock"
        self.socket = str(sock)
        log = self.folder / "mariadb.err"
        with (self.folder / "mariadb.out").open("w") as out:
            proc = subprocess.Popen(
                [_which("mariadbd"), "--no-defaults", f"--datadir={data}", f"--socket={self.socket}",
                 "--skip-networking", f"--pid-file={self.folder / 'mariadb.pid'}", f"--log-error={log}",
                 f"--tmpdir={self.folder}", "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
                 # a database thrown away after the tests: no waiting for the disk on each commit
                 "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--skip-log-bin", *user],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = proc.pid
        deadline = time.monotonic() + 60
        while not self._answers():
            if proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mariadbd did not start: {log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        with socket.socket(socket.AF_UNIX) as s:
            try:
                s.connect(self.socket)
                return True
            except OSError:
                return False

    def stop(self) -> None:
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)  # a clean shutdown takes about a second
            except ProcessLookupError:
                pass
            if not _wait_gone(self.pid, 30):
                os.kill(self.pid, signal.SIGKILL)
                _wait_gone(self.pid, 5)
            self.pid = 0
        if self.socket_dir:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def state(self) -> dict:
        return {"folder": str(self.folder), "socket": self.socket, "pid": self.pid, "socket_dir": self.socket_dir}

    @classmethod
    def attach(cls, state: dict) -> MariaDB:
        return cls(**{**state, "folder": Path(state["folder"])})


@dataclass
class WordPressSite:
    """One WordPress on one loopback port: `url`, `manifest`, `requests()`, `php(code)`.

    The shared sites (fixtures real_wp_classic, real_wp_block) are READ-ONLY: every test of the session sees
    them. A test that changes content asks for a private copy (fixture real_wp_private)."""

    name: str
    theme: str
    folder: Path
    database: str
    db_socket: str
    php_binary: str
    port: int = 0
    url: str = ""
    pid: int = 0
    worker_pids: list[int] = field(default_factory=list)  # php -S's forked workers, for stop_leftovers
    _manifest: dict | None = field(default=None, repr=False)

    @property
    def docroot(self) -> Path:
        return self.folder / "docroot"

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    @property
    def log_path(self) -> Path:
        return self.folder / "requests.jsonl"

    def state(self) -> dict:
        return {"name": self.name, "theme": self.theme, "folder": str(self.folder), "database": self.database,
                "db_socket": self.db_socket, "php_binary": self.php_binary, "port": self.port, "url": self.url,
                "pid": self.pid, "worker_pids": self.worker_pids}

    @classmethod
    def attach(cls, state: dict) -> WordPressSite:
        """A site another test worker started (stop() ends it by its process group)."""
        return cls(**{**state, "folder": Path(state["folder"])})

    def prepare(self, template: Path) -> WordPressSite:
        """The template's docroot (WordPress and the pictures) as this site's, with its own wp-config.php:
        everything but the database."""
        if not self.port:
            self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        _link_wordpress(template, self.docroot)
        _write_config(self.docroot, self.database, self.db_socket, self.url)
        return self

    def install_from(self, template_db: str, ids_file: Path) -> WordPressSite:
        """The template's database copied to this site's, moved to this address, under this site's theme."""
        _run_php(self.php_binary, "clone.php", self.db_socket, template_db, str(self.docroot), TEMPLATE_URL,
                 self.theme)
        shutil.copy(ids_file, self.folder / "ids.json")
        self.write_manifest()
        return self

    def write_manifest(self) -> dict:
        """Ask WordPress again what it holds (after a test changed content with php())."""
        _run_php(self.php_binary, "manifest.php", str(self.docroot), str(self.folder / "ids.json"),
                 str(self.manifest_path))
        self._manifest = None
        return self.manifest

    def start(self) -> WordPressSite:
        self.log_path.touch()
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": str(WORKERS), "ARSHIF_WP_LOG": str(self.log_path)}
        with (self.folder / "php-server.log").open("a") as out:
            proc = subprocess.Popen(
                [self.php_binary, *PHP_FLAGS, "-d", "opcache.enable_cli=1", "-S", f"127.0.0.1:{self.port}",
                 "-t", str(self.docroot), str(HERE / "router.php")],
                cwd=self.docroot, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)  # its own process group: php -S forks workers, stopped together
        self.pid = proc.pid
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    log = (self.folder / "php-server.log").read_text(errors="replace")
                    raise RuntimeError(f"php -S did not start on {self.port}: {log[-2000:]}") from None
                time.sleep(0.05)
        deadline = time.monotonic() + 5
        while len(self.worker_pids) < WORKERS and time.monotonic() < deadline:
            self.worker_pids = _children(self.pid)
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """SIGINT to the whole group: php -S's workers end cleanly and its master reaps them (a SIGTERM to the
        master alone would leave the workers serving)."""
        if not self.pid:
            return
        _signal_group(self.pid, signal.SIGINT)
        if not _wait_gone(self.pid, 10):
            _signal_group(self.pid, signal.SIGKILL)
            _wait_gone(self.pid, 5)
        self.pid, self.worker_pids = 0, []

    @property
    def manifest(self) -> dict:
        if self._manifest is None:
            self._manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        return self._manifest

    def requests(self) -> list[dict]:
        """Every request the site answered, in the order the answers ended (as tests/replica_process.py's log):
        time (when it arrived), method, path (as sent, still percent-encoded), query, status, bytes, user_agent,
        accept_encoding, if_none_match, if_modified_since, ms. A line still being written is left out."""
        return read_request_log(self.log_path)

    def clear_log(self) -> None:
        self.log_path.write_text("")

    def php(self, code: str) -> str:
        """Run PHP code inside this WordPress (wp-load.php loaded, as the administrator) and return what it
        printed. Only on a private site: the shared ones are read-only. The manifest is not refreshed by itself:
        call write_manifest() after changing content."""
        code = code.strip()
        if code.startswith("<?php"):
            code = code[len("<?php"):]
        return _run_php(self.php_binary, "run.php", str(self.docroot), stdin=code)


@dataclass
class WordPressWorld:
    """MariaDB, the installed template, and the two shared sites `classic` and `block`."""

    folder: Path
    php_binary: str
    mariadb: MariaDB | None = None
    sites: dict[str, WordPressSite] = field(default_factory=dict)
    seconds: float = 0.0  # how long start() took
    timings: dict[str, float] = field(default_factory=dict)  # its steps, in seconds

    @property
    def template(self) -> Path:
        return self.folder / "template"

    def start(self, posts: int | None = None) -> WordPressWorld:
        started = time.monotonic()
        self.folder.mkdir(parents=True, exist_ok=True)
        plan_file = self.folder / "plan.json"
        plan_file.write_text(json.dumps(plan() if posts is None else plan(posts), ensure_ascii=False),
                             encoding="utf-8")
        self.mariadb = MariaDB(self.folder / "mariadb")
        mark = started

        def lap(step: str) -> None:
            nonlocal mark
            self.timings[step] = round(time.monotonic() - mark, 2)
            mark = time.monotonic()

        try:
            with ThreadPoolExecutor(2) as pool:
                db = pool.submit(self.mariadb.start)
                copy = pool.submit(_copy_wordpress, self.template / "docroot")
                db.result()
                copy.result()
            lap("mariadb and copy")
            _write_config(self.template / "docroot", TEMPLATE_DB, self.mariadb.socket, TEMPLATE_URL)
            _run_php(self.php_binary, "install.php", self.mariadb.socket, str(self.template / "docroot"),
                     str(plan_file), str(self.ids_file), timeout=300)
            lap("install")
            for name, theme in THEMES.items():
                self.sites[name] = WordPressSite(name, theme, self.folder / name, f"wp_{name}",
                                                 self.mariadb.socket, self.php_binary)
            with ThreadPoolExecutor(len(self.sites)) as pool:
                for future in [pool.submit(self._make_site, site) for site in self.sites.values()]:
                    future.result()
            lap("sites")
        except BaseException:
            self.stop()
            raise
        self.seconds = round(time.monotonic() - started, 1)
        return self

    @property
    def ids_file(self) -> Path:
        return self.folder / "ids.json"

    def _make_site(self, site: WordPressSite) -> WordPressSite:
        site.prepare(self.template / "docroot")
        return site.install_from(TEMPLATE_DB, self.ids_file).start()

    def private_site(self, theme: str = "classic", folder: Path | None = None) -> WordPressSite:
        """A site of one's own, made from the same template (same posts, same ids) on a new port and database:
        change it with php() freely. discard_site() stops it and drops its database."""
        key = uuid.uuid4().hex[:10]
        folder = folder or Path(tempfile.mkdtemp(prefix=f"private-{theme}-", dir=self.folder))
        site = WordPressSite(f"private-{theme}", THEMES[theme], folder, f"wp_private_{key}", self.mariadb.socket,
                             self.php_binary)
        try:
            return self._make_site(site)
        except BaseException:
            self.discard_site(site)
            raise

    def discard_site(self, site: WordPressSite) -> None:
        site.stop()
        subprocess.run([self.php_binary, "-r", "(new mysqli('localhost', 'root', '', '', 0, $argv[1]))"
                        "->query('DROP DATABASE IF EXISTS `' . $argv[2] . '`');", self.mariadb.socket,
                        site.database], capture_output=True, timeout=60)
        shutil.rmtree(site.folder, ignore_errors=True)

    def stop(self) -> None:
        for site in self.sites.values():
            site.stop()
        if self.mariadb is not None:
            self.mariadb.stop()

    def state(self) -> dict:
        """How another test worker reaches this world (tests/shared.py). "pids" lists every process, php -S's
        workers included, because stop_leftovers signals each pid alone and a php -S master's death does not end
        its workers."""
        pids = [pid for site in self.sites.values() for pid in (*site.worker_pids, site.pid) if pid]
        return {"folder": str(self.folder), "php_binary": self.php_binary, "seconds": self.seconds,
                "pids": pids + ([self.mariadb.pid] if self.mariadb and self.mariadb.pid else []),
                "timings": self.timings, "mariadb": self.mariadb.state() if self.mariadb else None,
                "sites": {name: site.state() for name, site in self.sites.items()}}

    @classmethod
    def attach(cls, state: dict) -> WordPressWorld:
        return cls(folder=Path(state["folder"]), php_binary=state["php_binary"], seconds=state["seconds"],
                   timings=state["timings"], mariadb=MariaDB.attach(state["mariadb"]) if state["mariadb"] else None,
                   sites={name: WordPressSite.attach(s) for name, s in state["sites"].items()})

    def site(self, name: str) -> WordPressSite:
        return self.sites[name]
