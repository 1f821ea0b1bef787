"""The house's rules (docs/architecture.md): one owner for every rule, imports only downward, small modules."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRODUCT = ("archive", "crawler", "spiders")


def product_files() -> list[Path]:
    return sorted(p for top in PRODUCT for p in (ROOT / top).rglob("*.py")) + [ROOT / "settings.py"]


def where(pattern: str) -> list[str]:
    """The product files (and how often) in which `pattern`, a regular expression, occurs."""
    found = []
    for path in product_files():
        count = len(re.findall(pattern, path.read_text(encoding="utf-8")))
        if count:
            found.append(f"{path.relative_to(ROOT)} ×{count}")
    return found


# rule → (the pattern that spells it, the one module allowed to)
ONE_OWNER = {
    "the database's file name": (r"[\"']archive\.db[\"']", "archive/core/paths.py"),
    "the default data directory": (r"[\"']arshif-data[\"']", "archive/core/paths.py"),
    "the CDXJ index's file name": (r"[\"']index\.cdxj[\"']", "archive/core/paths.py"),
    "14-digit timestamps": (r"%Y%m%d%H%M%S", "archive/core/times.py"),
    "now": (r"datetime\.now\(", "archive/core/times.py"),
    "a file's SHA-256": (r"def sha256_of\b", "archive/core/files.py"),
    "a directory's fsync": (r"def fsync_dir\b", "archive/core/files.py"),
    "the gzip decompressor for records": (r"decompressobj\(", "archive/warc/reader.py"),
    "the Arabic month table": (r"[\"']سبتمبر[\"']", "archive/pages/dates.py"),
    "the Arabic-Indic digits table": (r"٠١٢٣٤٥٦٧٨٩", "archive/core/arabic.py"),
    "FTS5 phrase quoting": (r"""replace\('"', '""'\)""", "archive/search/query.py"),
    "a Content-Type's charset": (r"charset\\s\*=|charset=\(", "archive/core/http.py"),
}


@pytest.mark.parametrize("rule", ONE_OWNER)
def test_one_owner_for_every_rule(rule):
    pattern, owner = ONE_OWNER[rule]
    found = where(pattern)
    assert [line.split(" ×")[0] for line in found] == [owner], f"{rule}: spelled in {found}, owned by {owner}"
    assert found[0].endswith(" ×1"), f"{rule}: more than one definition in {owner}"


def test_no_module_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in product_files()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, f"modules over 500 lines: {long}"


def copy_of_tree(folder: Path) -> Path:
    for top in (*PRODUCT, "replica"):
        shutil.copytree(ROOT / top, folder / top, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    # the copy first on the path: the editable install's finder comes after it
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(BIN / "lint-imports"), "--config", str(tree / "pyproject.toml"), "--no-cache"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def test_the_import_contract_holds():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("module, wrong, contract", [
    ("archive/core/urls.py", "import archive.store.database", "archive's rooms import only downward"),
    ("archive/pages/detection.py", "import archive.search.query", "archive's rooms import only downward"),
    ("archive/ops/rebuild.py", "from crawler.items import ArticlePage", "only archive's CLI reaches the crawler"),
    ("crawler/pipelines/articles.py", "import archive.cli", "the Scrapy glue uses the library, never its CLI"),
])
def test_a_wrong_import_breaks_the_contract(tmp_path, module, wrong, contract):
    """The contract is not decoration: one upward import (even inside a function) fails `make test`."""
    tree = copy_of_tree(tmp_path)
    with (tree / module).open("a", encoding="utf-8") as f:
        f.write(f"\n\ndef _wrong():\n    {wrong}  # noqa\n")
    done = lint_imports(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(re.escape(contract) + r".*BROKEN", done.stdout), done.stdout
