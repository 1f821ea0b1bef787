"""Every SQL statement of the archive is the Store's (archive/store/); the search room runs its own FTS5 queries on
the connection it is handed (archive/search/). No other product module spells SQL, calls `execute`, reaches for a
connection or imports sqlite3 (docs/architecture.md, Where does X live)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from archive.store import database
from archive.store.database import Store

ROOT = Path(__file__).resolve().parents[2]
OWNERS = ("archive/store/", "archive/search/")
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA|WITH|BEGIN|COMMIT|ROLLBACK)\b"
                 r"|\bSELECT\b.*\bFROM\b|\bINSERT\b.*\bINTO\b|\bUPDATE\s+\S+\s+SET\b|\bDELETE\s+FROM\b"
                 r"|\bCREATE\s+(\w+\s+)*(TABLE|INDEX|VIEW|TRIGGER)\b|\bPRAGMA\s+\w+", re.DOTALL)
EXECUTE = {"execute", "executemany", "executescript"}
DRIVERS = {"sqlite3", "sqlite_utils"}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _text(node: ast.AST) -> str | None:
    """A string literal's text; an f-string's literal parts, its fields as `?`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "?" for part in node.values)
    return None


def database_work(source: str) -> list[str]:
    """What in this module's code belongs to the Store: SQL in a string, `.execute(…)`, a `.conn`, a driver import."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    inside_fstring = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    found = []
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        text = None if id(node) in docstrings | inside_fstring else _text(node)
        if text is not None and SQL.search(text):
            found.append(f"{where}: SQL {text[:60]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EXECUTE \
                and (node.args or node.keywords):
            found.append(f"{where}: .{node.func.attr}(…)")
        elif isinstance(node, ast.Attribute) and node.attr == "conn":
            found.append(f"{where}: .conn")
        elif isinstance(node, ast.Import) and {a.name.split(".")[0] for a in node.names} & DRIVERS:
            found.append(f"{where}: import {', '.join(a.name for a in node.names)}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in DRIVERS:
            found.append(f"{where}: from {node.module} import …")
    return found


def product_modules() -> list[Path]:
    files = sorted(p for top in ("archive", "crawler", "spiders") for p in (ROOT / top).rglob("*.py"))
    return [p for p in files + [ROOT / "settings.py"] if not str(p.relative_to(ROOT)).startswith(OWNERS)]


def test_no_sql_outside_the_store_and_the_search_room():
    modules = product_modules()
    assert len(modules) > 50 and not any("archive/store" in str(p) for p in modules)
    found = {str(p.relative_to(ROOT)): work for p in modules if (work := database_work(p.read_text(encoding="utf-8")))}
    assert found == {}


@pytest.mark.parametrize("code", [
    'rows = store.db.execute("SELECT canonical FROM articles")',
    'cur.execute(f"UPDATE crawls SET status = ? WHERE id IN ({marks})", ids)',
    'DELETED = ("DELETE FROM article_versions "\n           "WHERE article_id = ?")',
    'conn.executemany(INSERT, rows)',
    'searcher = Searcher(store.conn)',
    'import sqlite3',
    'from sqlite_utils import Database',
    'ok = db.one("PRAGMA integrity_check")',
    'head = "SELECT id, canonical "',
])
def test_the_check_sees_database_work(code):
    """The check is not decoration: each way of doing the Store's work outside it is caught."""
    assert database_work(f"def f():\n    {code}\n" if "\n" not in code else code)


def test_the_check_leaves_prose_and_other_executes_alone():
    source = ('"""`PRAGMA integrity_check` checks the copy; SELECT … FROM captures says where records are."""\n'
              'def f(pipe):\n    """DELETE FROM nothing: a docstring."""\n    pipe.execute()\n'
              '    return "select the articles from the list"\n')
    assert database_work(source) == []


def test_the_compatibility_shims_are_gone():
    assert not hasattr(Store, "db")
    assert not {"Database", "open_db", "schema_version"} & set(vars(database))


def _capture(n: int, url: str, stamp: str, warc_file: str) -> dict:
    return {"record_id": f"<urn:uuid:{n}>", "record_type": "response", "url": url, "canonical": url,
            "timestamp": stamp, "date": "2026-01-01T00:00:00Z", "status": 200, "mime": "text/html",
            "warc_file": warc_file, "offset": n * 10, "length": 10}


def test_article_captures_come_in_capture_time_order_however_they_are_asked_for(tmp_path):
    """Ingest asks for an article's captures 500 URLs at a time; versions are made in capture-time order, so the
    Store gives them in that order across its chunks too (the later URLs here were captured first)."""
    urls = [f"https://example.test/{n:04d}/" for n in range(1200)]
    with Store(tmp_path / "archive.db") as store:
        store.add_captures(_capture(n, url, f"2026{9999 - n:04d}000000"[:14], f"f{n % 3}.warc.gz")
                           for n, url in enumerate(urls))
        every = store.article_captures()
        order = [(row["timestamp"], row["id"]) for row in every]
        assert len(every) == 1200 and order == sorted(order)
        asked = store.article_captures(of_articles=urls)
        assert [row["record_id"] for row in asked] == [row["record_id"] for row in every]
        in_two = store.article_captures(in_files=["f0.warc.gz", "f2.warc.gz"])
        assert [row["record_id"] for row in in_two] == [row["record_id"] for row in every
                                                        if row["warc_file"] in ("f0.warc.gz", "f2.warc.gz")]
