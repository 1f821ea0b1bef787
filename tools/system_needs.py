"""The system packages arshif's tests need, installed by `make test` when it can, named when it cannot.

One list (tools/system-needs.txt) serves both sides: this script installs from it, and the tests skip by it
(tests/system.py), so the line a non-root user reads and the reason a test skips name the same package.

Installing must not leave the machine different in ways nobody asked for: packages such as redis-server, nginx or
mariadb-server start and enable their service on install. A temporary `policy-rc.d` that answers 101 stops every
start, and whatever the install enabled (systemd `.wants` links, SysV `S` links) is disabled again, so the tests
start their own private servers on loopback and nothing keeps running after them.

Standard library only: `make` runs it with the system's python3, before any virtual environment exists.

    python3 tools/system_needs.py install   # as root: install what is missing; otherwise say what is
    python3 tools/system_needs.py check     # list what is missing; exit status 1 when something is
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LIST = Path(__file__).with_name("system-needs.txt")
POLICY = Path("/usr/sbin/policy-rc.d")
# Where a root install finds commands that a non-root PATH often lacks (nginx lives in /usr/sbin).
EXTRA_PATH = ("/usr/sbin", "/sbin", "/usr/local/sbin")


@dataclass(frozen=True)
class Need:
    package: str
    check: str  # "command NAME", "font FAMILY", "file PATH" or "php-module NAME"
    needed_by: str

    def present(self) -> bool:
        return bool(self.locate())

    def locate(self) -> str:
        """The command's path, or the font's name, when present; "" when not."""
        kind, _, name = self.check.partition(" ")
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
    return f"apt-get install --no-install-recommends {' '.join(packages)}"


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
