"""The system packages arshif's tests need, installed by `make test` when it can, named when it cannot.

One list (tools/system-needs.txt) serves both sides: this script installs from it, and the tests skip by it
(tests/system.py), so the line a non-root user reads and the reason a test skips name the same package.

Two kinds of need: Debian packages, installed with apt as root, and npm packages pinned to a version and to the
registry's integrity hash (`npm:NAME@VERSION`, checked `npm-pack sha512-… FILE…`). An npm package is fetched with
`npm pack` by whoever runs the install, root or not (it needs the npm command, itself a Debian package on the list),
the tarball's hash compared with the pinned one, and only the files named unpacked, outside the work tree, into that
user's cache: ~/.cache/arshif/npm/NAME-VERSION/ (under $XDG_CACHE_HOME when set). They are unpacked into a folder
beside it first, renamed into place once complete, with a record of the tarball's integrity and each file's sha256
that says whether they are there. A hash that differs is an error (exit status 1) and leaves nothing behind.

Installing must not leave the machine different in ways nobody asked for: packages such as redis-server, nginx or
mariadb-server start and enable their service on install. A temporary `policy-rc.d` that answers 101 stops every
start, and whatever the install enabled (systemd `.wants` links, SysV `S` links) is disabled again, so the tests
start their own private servers on loopback and nothing keeps running after them.

Standard library only: `make` runs it with the system's python3, before any virtual environment exists.

    python3 tools/system_needs.py install   # as root: install what is missing; otherwise say what is
    python3 tools/system_needs.py check     # list what is missing; exit status 1 when something is
"""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

LIST = Path(__file__).with_name("system-needs.txt")
POLICY = Path("/usr/sbin/policy-rc.d")
# Where a root install finds commands that a non-root PATH often lacks (nginx lives in /usr/sbin).
EXTRA_PATH = ("/usr/sbin", "/sbin", "/usr/local/sbin")
NPM_PREFIX = "npm:"
NPM_RECORD = ".arshif-npm-pack.json"  # in an npm package's folder: what was unpacked, from which tarball


@dataclass(frozen=True)
class Need:
    package: str
    check: str  # "command NAME", "font FAMILY", "file PATH", "php-module NAME" or "npm-pack INTEGRITY FILE…"
    needed_by: str

    @property
    def from_npm(self) -> bool:
        return self.package.startswith(NPM_PREFIX)

    def present(self) -> bool:
        return bool(self.locate())

    def locate(self) -> str:
        """The command's path, the font's name, or an npm package's folder, when present; "" when not."""
        kind, _, name = self.check.partition(" ")
        if kind == "npm-pack":
            return npm_folder(self)
        if kind == "command":
            return which(name)
        if kind == "font":
            return name if font_installed(name) else ""
        if kind == "file":
            return name if os.path.exists(name) else ""
        if kind == "php-module":
            return name if php_module(name) else ""
        raise ValueError(f"{LIST}: unknown check {self.check!r} for {self.package}")


def read_needs(path: Path = LIST) -> list[Need]:
    needs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = re.split(r"\s{2,}", line.strip())
        if len(fields) != 3:
            raise ValueError(f"{path}:{number}: expected 3 columns separated by two spaces, got {line!r}")
        needs.append(Need(*fields))
    return needs


def which(command: str) -> str:
    path = os.pathsep.join([os.environ.get("PATH", ""), *EXTRA_PATH])
    return shutil.which(command, path=path) or ""


def font_installed(family: str) -> bool:
    if which("fc-list"):
        listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
        return family.lower() in listed.lower()
    stem = family.replace(" ", "")
    return bool(glob.glob(f"/usr/share/fonts/**/{stem}*", recursive=True))


def php_module(name: str) -> bool:
    php = which("php")
    if not php:
        return False
    modules = subprocess.run([php, "-m"], capture_output=True, text=True).stdout.split()
    return name.lower() in {module.lower() for module in modules}


def missing(needs: list[Need] | None = None) -> list[Need]:
    return [need for need in (read_needs() if needs is None else needs) if not need.present()]


def install_hint(packages: list[str]) -> str:
    debian = [name for name in packages if not name.startswith(NPM_PREFIX)]
    hints = [f"apt-get install --no-install-recommends {' '.join(debian)}"] if debian else []
    if len(debian) < len(packages):
        hints.append("python3 tools/system_needs.py install (as any user; it needs the npm command)")
    return ", then ".join(hints)


def skip_reason(packages: list[str]) -> str:
    """Why a test that needs these absent packages skips (tests/system.py): what they are, how to install them."""
    debian = [name for name in packages if not name.startswith(NPM_PREFIX)]
    npm = [name.removeprefix(NPM_PREFIX) for name in packages if name.startswith(NPM_PREFIX)]
    what = []
    if debian:
        what.append(f"the Debian package{'s' if len(debian) > 1 else ''} {', '.join(debian)}")
    if npm:
        what.append(f"the npm package{'s' if len(npm) > 1 else ''} {', '.join(npm)}")
    runs = "run as root installs them" if not npm else "installs them, the Debian packages only when run as root"
    return f"needs {' and '.join(what)}: {install_hint(packages)} (`make test` {runs})"


# -- npm packages ------------------------------------------------------------------------------------------------
class NpmFetchError(Exception):
    """npm could not fetch the package (no registry, no such version): its tests skip."""


class IntegrityError(Exception):
    """The tarball is not what the list pins (its hash, a file named): nothing is installed, and install fails."""


def npm_spec(need: Need) -> tuple[str, str, list[str]]:
    """(NAME@VERSION, the pinned integrity "ALGORITHM-BASE64", the files to unpack) of an `npm-pack` need."""
    kind, *fields = need.check.split()
    if (kind != "npm-pack" or len(fields) < 2 or "-" not in fields[0] or "@" not in need.package[len(NPM_PREFIX) + 1:]
            or any(name.startswith("/") or ".." in name.split("/") for name in fields[1:])):
        raise ValueError(f"{LIST}: {need.package}: expected `npm:NAME@VERSION  npm-pack ALGORITHM-BASE64 FILE…` "
                         "(FILEs relative to the tarball's package/)")
    return need.package.removeprefix(NPM_PREFIX), fields[0], fields[1:]


def npm_cache() -> Path:
    """Where npm packages are unpacked: the user's cache, never the work tree."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "arshif" / "npm"


def npm_target(need: Need) -> Path:
    spec, _, _ = npm_spec(need)
    name, _, version = spec.rpartition("@")
    return npm_cache() / f"{name.lstrip('@').replace('/', '+')}-{version}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_folder(need: Need) -> str:
    """The folder holding the need's files when every one is there as unpacked from the pinned tarball, else ""."""
    spec, integrity, files = npm_spec(need)
    folder = npm_target(need)
    try:
        record = json.loads((folder / NPM_RECORD).read_text(encoding="utf-8"))
        same = (record["spec"] == spec and record["integrity"] == integrity and sorted(record["files"]) == sorted(files)
                and all(sha256(folder / name) == digest for name, digest in record["files"].items()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ""
    return str(folder) if same else ""


def integrity_of(data: bytes, algorithm: str) -> str:
    """The tarball's hash as npm's registry writes it (Subresource Integrity form: ALGORITHM-BASE64)."""
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def npm_fetch(need: Need, npm: str) -> Path:
    """`npm pack` the pinned version into a scratch folder beside the target, check the tarball against the pinned
    integrity, unpack the files named, then rename the folder into place: complete, or not there at all."""
    spec, integrity, files = npm_spec(need)
    target = npm_target(need)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{target.name}.", dir=target.parent) as scratch:
        work = Path(scratch)
        pack = subprocess.run([npm, "pack", spec, "--json", "--ignore-scripts", "--pack-destination", str(work)],
                              cwd=work, capture_output=True, text=True, timeout=600)
        tarballs = sorted(work.glob("*.tgz"))
        if pack.returncode != 0 or len(tarballs) != 1:
            said = [line for line in pack.stderr.splitlines() if line.strip() and "complete log" not in line]
            raise NpmFetchError(f"npm pack {spec} failed (exit status {pack.returncode}): "
                                + (" / ".join(said[:2]) or "no tarball written"))
        data = tarballs[0].read_bytes()
        got = integrity_of(data, integrity.partition("-")[0])
        if got != integrity:
            raise IntegrityError(f"{spec}: the tarball npm fetched has integrity {got}, not the pinned {integrity} "
                                 f"({LIST.name}); nothing installed")
        unpacked = work / "unpacked"
        unpacked.mkdir()
        record = {"spec": spec, "integrity": integrity, "files": {}}
        with tarfile.open(tarballs[0], "r:gz") as tar:
            for name in files:
                member = next((m for m in tar.getmembers() if m.name == f"package/{name}" and m.isfile()), None)
                source = tar.extractfile(member) if member else None
                if source is None:
                    raise IntegrityError(f"{spec}: the pinned tarball holds no file package/{name}; nothing installed")
                (unpacked / name).parent.mkdir(parents=True, exist_ok=True)
                (unpacked / name).write_bytes(source.read())
                record["files"][name] = sha256(unpacked / name)
        (unpacked / NPM_RECORD).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        if target.exists():  # an incomplete or older copy: replaced whole
            shutil.rmtree(target)
        unpacked.rename(target)
    return target


def install_npm(needs: list[Need]) -> int:
    """Fetch the npm packages that are absent; as any user. Exit status 1 only when a tarball's hash is wrong."""
    absent = [need for need in needs if not need.present()]
    if not absent:
        return 0
    names = " ".join(need.package for need in absent)
    npm = which("npm")
    if not npm:
        print(f"arshif: no npm command: the tests that need {names} will be skipped; to run them, install "
              f"the Debian package npm ({install_hint(['npm'])}), then run python3 tools/system_needs.py install",
              flush=True)
        return 0
    status = 0
    for need in absent:
        spec, integrity, files = npm_spec(need)
        print(f"arshif: fetching {spec} with npm pack ({integrity.partition('-')[0]} checked; {', '.join(files)} "
              f"into {npm_target(need)})", flush=True)
        try:
            npm_fetch(need, npm)
        except IntegrityError as error:
            print(f"arshif: error: {error}", file=sys.stderr, flush=True)
            status = 1
        except (NpmFetchError, OSError, subprocess.SubprocessError) as error:
            print(f"arshif: could not fetch {spec}: the tests that need it will be skipped (CI=true makes them "
                  f"fail): {error}", flush=True)
    return status


def can_install() -> bool:
    return os.geteuid() == 0 and bool(which("apt-get")) and bool(which("dpkg"))


def enabled_links() -> set[str]:
    """Every link through which a service starts at boot: systemd `.wants`/`.requires` and SysV `S` links."""
    links = glob.glob("/etc/systemd/system/*.wants/*") + glob.glob("/etc/systemd/system/*.requires/*")
    links += glob.glob("/etc/rc[0-6S].d/S*")
    return set(links)


def disable_new_services(before: set[str]) -> list[str]:
    """Undo what the packages' install scripts enabled, the way Debian's own tools do (so that an upgrade of the
    package keeps it disabled); a link no tool claims is removed. `update-rc.d` regenerates the links of every
    init script, including ones it had not linked yet, so this goes round until nothing new is enabled."""
    disabled: set[str] = set()
    for _ in range(5):
        new = sorted(enabled_links() - before)
        if not new:
            break
        for link in new:
            name = os.path.basename(link)
            if "/systemd/" in link:
                if which("deb-systemd-helper"):
                    subprocess.run(["deb-systemd-helper", "disable", name], capture_output=True)
            else:
                name = re.sub(r"^S\d*", "", name)
                if which("update-rc.d"):
                    subprocess.run(["update-rc.d", name, "disable"], capture_output=True)
            if os.path.lexists(link):
                os.unlink(link)
            disabled.add(name)
    return sorted(disabled)


class NoServiceStarts:
    """A `policy-rc.d` answering 101 ("action forbidden") while packages install; the machine's own one, if any,
    is put back afterwards."""

    def __enter__(self) -> NoServiceStarts:
        self.saved = POLICY.read_bytes() if POLICY.exists() else None
        POLICY.write_text("#!/bin/sh\n# arshif's install of test packages: no service starts\nexit 101\n")
        POLICY.chmod(0o755)
        return self

    def __exit__(self, *exc) -> None:
        if self.saved is None:
            POLICY.unlink(missing_ok=True)
        else:
            POLICY.write_bytes(self.saved)


def apt_install(packages: list[str]) -> bool:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    if subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL).returncode != 0:
        print("arshif: apt-get update failed; trying the install with the package lists as they are", flush=True)
    return subprocess.run(command, env=env, stdout=subprocess.DEVNULL).returncode == 0


def install() -> int:
    needs = read_needs()
    install_debian([need for need in needs if not need.from_npm])
    return install_npm([need for need in needs if need.from_npm])  # after apt, which may have brought npm


def install_debian(needs: list[Need]) -> int:
    absent = missing(needs)
    if not absent:
        return 0
    packages = sorted({need.package for need in absent})
    if not can_install():
        who = "not root" if os.geteuid() != 0 else "no apt-get here"
        print(f"arshif: {who}: the tests that need {' '.join(packages)} will be skipped; "
              f"to run them, install: {install_hint(packages)}", flush=True)
        return 0
    print(f"arshif: installing the Debian packages some tests need: {' '.join(packages)} "
          "(no service is started or enabled)", flush=True)
    before = enabled_links()
    with NoServiceStarts():
        ok = apt_install(packages)
    disabled = disable_new_services(before)
    if disabled:
        print(f"arshif: left disabled, as before the install: {' '.join(disabled)}", flush=True)
    still = sorted({need.package for need in missing(needs)})
    if not ok or still:
        print(f"arshif: could not install {' '.join(still or packages)}: the tests that need them will be skipped "
              f"(CI=true makes them fail); try: {install_hint(still or packages)}", flush=True)
    return 0


def check() -> int:
    absent = missing()
    for need in absent:
        print(f"missing: {need.package} ({need.check}), needed by {need.needed_by}")
    return 1 if absent else 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["install"]:
        return install()
    if argv[1:] == ["check"]:
        return check()
    print("usage: python3 tools/system_needs.py install|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
