"""Every JSON output against docs/reference.md, read from its key tables: each command is run on one small archive
(the `two_editions` crawls, a damaged copy of them, and their WARC files ingested anew) and each key it prints must
be in its command's table with a value of the form the table gives; each key a table names must be printed by some
run. The forms themselves are those of the reference's Conventions, each with its check here: the doc and the test
cannot drift apart."""

from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest

from archive.core.times import from_stamp
from tests.crawling import ROOT, arshif

REFERENCE = ROOT / "docs" / "reference.md"
CELL = re.compile(r"(?<!\\)\|")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _iso(value, pattern: re.Pattern = ISO) -> bool:
    if not (isinstance(value, str) and pattern.fullmatch(value)):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _date(value) -> bool:
    if not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value)):
        return False
    try:
        return bool(date.fromisoformat(value))
    except ValueError:
        return False


def _stamp(value) -> bool:
    if not (isinstance(value, str) and re.fullmatch(r"\d{14}", value)):
        return False
    try:
        return bool(from_stamp(value))
    except ValueError:
        return False


def _url(value) -> bool:
    """Absolute http(s), printable ASCII only, every escape in upper-case hex (docs/reference.md, Conventions)."""
    if not (isinstance(value, str) and re.fullmatch(r"[!-~]+", value)):
        return False
    parts = urlsplit(value)
    return (parts.scheme in ("http", "https") and bool(parts.netloc)
            and all(re.match(r"[0-9A-F]{2}", rest) for rest in value.split("%")[1:]))


def _replay(value) -> bool:
    m = re.fullmatch(r"/web/(\d{14})/(.+)", value) if isinstance(value, str) else None
    return bool(m) and _stamp(m.group(1)) and _url(m.group(2))


def _text(pattern: str):
    return lambda value: isinstance(value, str) and re.fullmatch(pattern, value) is not None


# form name (as docs/reference.md's Conventions list them) → what a value of that form passes
FORMS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": _number,
    "positive number": lambda v: _number(v) and v > 0,
    "share": lambda v: _number(v) and 0 <= v <= 1,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list) and all(isinstance(item, dict) for item in v),
    "ISO 8601": _iso,
    "ISO 8601 UTC": lambda v: _iso(v, ISO_UTC),
    "date": _date,
    "month": lambda v: _date(f"{v}-01") if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d", v) else False,
    "14-digit": _stamp,
    "URL": _url,
    "replay path": _replay,
    "language code": _text(r"[a-z]{2}(-[a-z]{2})?"),
    "MIME type": _text(r"[^/;\s]+/[^/;\s]+"),
    "sha1": _text(r"sha1:[A-Z2-7]{32}"),
    "sha256": _text(r"[0-9a-f]{64}"),
    "record id": _text(r"<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}>"),
    "file name": lambda v: isinstance(v, str) and bool(v) and "/" not in v,
    "path": lambda v: isinstance(v, str) and bool(v),
}


# -- reading the reference ---------------------------------------------------------------------------------------
class Row(NamedTuple):
    form: str
    optional: bool  # its meaning begins with "only": not in every object


def _tables(text: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(the `## ` section it is in, header cells, rows of cells) of every table of a Markdown page."""
    out, section, table = [], "", None
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if line.startswith("|"):
            cells = [cell.strip() for cell in CELL.split(line.strip())[1:-1]]
            if table is None:
                table = (section, cells, [])
                out.append(table)
            elif not all(set(cell) <= set("-:") for cell in cells):
                table[2].append(cells)
        else:
            table = None
    return out


def reference_forms() -> list[str]:
    """The form names the reference's Conventions define."""
    found = [rows for _, header, rows in _tables(REFERENCE.read_text(encoding="utf-8"))
             if header == ["form", "a value of this form"]]
    assert len(found) == 1, "docs/reference.md: one table of the JSON value forms, in Conventions"
    return [re.fullmatch(r"`([^`]+)`", row[0]).group(1) for row in found[0]]


def key_tables() -> dict[str, list[dict[str, Row]]]:
    """Command (the section `arshif X`) → its key tables in order, each key → its row."""
    out: dict[str, list[dict[str, Row]]] = {}
    for section, header, rows in _tables(REFERENCE.read_text(encoding="utf-8")):
        if header[:2] != ["key", "form"]:
            assert header[0] != "key", f"docs/reference.md, {section}: a key table is `| key | form | meaning |`"
            continue
        assert header == ["key", "form", "meaning"], section
        table: dict[str, Row] = {}
        for key_cell, form, meaning in rows:
            keys = re.findall(r"`([^`]+)`", key_cell)
            assert keys and re.fullmatch(r"`[^`]+`(, `[^`]+`)*", key_cell), (section, key_cell)
            for key in keys:
                assert key not in table, (section, key)
                table[key] = Row(form, meaning.startswith("only "))
        out.setdefault(section.removeprefix("arshif "), []).append(table)
    return out


def alternatives(form: str) -> list[str]:
    return [alt.strip() for alt in re.split(r",\s*|\s+or\s+", form) if alt.strip()]


def check(alt: str):
    """What a value of one alternative of a form passes: a form name, `array of` forms, or a `literal`."""
    if m := re.fullmatch(r"`([^`]*)`", alt):
        return lambda v: v == m.group(1)
    if alt.startswith("array of "):
        name = alt.removeprefix("array of ")
        item = FORMS.get(name) or FORMS[name.removesuffix("s")]
        return lambda v: isinstance(v, list) and all(item(i) for i in v)
    return FORMS[alt]


def matches(value, form: str) -> bool:
    return any(check(alt)(value) for alt in alternatives(form))


# -- what the commands print -------------------------------------------------------------------------------------
def observe(obj: dict, table: dict[str, Row], seen: dict[str, list], absent: set[str], prefix: str = "") -> None:
    """Every value of a printed object under its key as the reference spells it (`a.b`, `a[].b`, `a.*`), and the
    keys the reference puts in every such object that it lacks."""
    if prefix + "*" not in table:
        for key, row in table.items():
            rest = key.removeprefix(prefix)
            if key.startswith(prefix) and not row.optional and not re.search(r"[.\[]", rest) and rest not in obj:
                absent.add(key)
    for key, value in obj.items():
        path = prefix + "*" if prefix + "*" in table else prefix + key
        seen.setdefault(path, []).append(value)
        if isinstance(value, dict):
            observe(value, table, seen, absent, path + ".")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    observe(item, table, seen, absent, path + "[].")


def run_json(data: Path, *args: str, status: int = 0):
    result = arshif("--data", str(data), *args)
    assert result.returncode == status, (args, result.stderr)
    return json.loads(result.stdout)


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def damaged_copy(data: Path, folder: Path) -> Path:
    """A copy of the archive with one page listed as a post, answered 200, stored as no article (for `missed`),
    a WARC file the database does not know and a capture row whose digest is not its record's (for `verify`)."""
    copy = shutil.copytree(data, folder / "data")
    db = sqlite3.connect(copy / "archive.db")
    with db:
        page, article = db.execute(
            "SELECT a.canonical, a.id FROM articles a JOIN urls u ON u.canonical = a.canonical "
            "WHERE u.listed_as_post = 1 ORDER BY a.id LIMIT 1").fetchone()
        db.execute("DELETE FROM article_versions WHERE article_id = ?", [article])
        db.execute("DELETE FROM articles WHERE id = ?", [article])
        db.execute("UPDATE urls SET is_article = 0, detection = 'noindex', last_status = 200 WHERE canonical = ?",
                   [page])
        db.execute("UPDATE captures SET digest = 'sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' "
                   "WHERE id = (SELECT min(id) FROM captures WHERE record_type = 'response')")
    db.close()
    last = sorted((copy / "warc").glob("arshif-*.warc.gz"))[-1]
    shutil.copyfile(last, last.with_name("arshif-20000101000000-00000.warc.gz"))
    return copy


def judged_lastmod(data: Path, folder: Path) -> Path:
    """A copy of the archive in which an audit (archive.pages.revisits.judge, as crawler/discovery/lastmod_audit.py
    calls it) found an edit behind an unchanged lastmod: `stats` then prints a site's lastmod trust. The crawl that
    makes it for real is tests/crawler/test_lastmod_audit.py's."""
    from dataclasses import asdict

    from archive.pages.revisits import LastmodTrust, judge
    from archive.store.database import Store
    from archive.store.site_facts import LASTMOD_TRUST

    judged = folder / "judged"
    shutil.copytree(data, judged)
    trust, event = judge(LastmodTrust(), ["http://127.0.0.1/2021/10/09/khabar/"], 3, 1e9, None, 30 * 86400,
                         "2026-12-07T12:00:00+00:00")
    assert event == "lost"
    store = Store(judged / "archive.db")
    store.set_site_fact("127.0.0.1", LASTMOD_TRUST, asdict(trust))
    store.close()
    return judged


@pytest.fixture(scope="module")
def printed(two_editions, tmp_path_factory) -> dict[tuple[str, int], list[dict]]:
    """(command, its key table's number) → every object the commands printed for that table."""
    site, data, _ = two_editions
    folder = tmp_path_factory.mktemp("json-contract")
    out: dict[tuple[str, int], list[dict]] = {}

    def add(command: str, found, table: int = 0) -> None:
        out.setdefault((command, table), []).extend(found if isinstance(found, list) else [found])

    changes = site.manifest["changes"]
    edited, removed = changes["edited"][0], changes["removed"][0]
    unchanged = next(a["url"] for a in site.manifest["articles"]
                     if a["url"] not in changes["edited"] + changes["new"] + changes["removed"])
    add("search", run_json(data, "search", "--json", "--limit", "100", "إيطاليا"))
    add("search", run_json(data, "search", "--json", "--count-by", "month", "إيطاليا"), 1)
    add("search", run_json(data, "search", "--json", "--count-by", "section", "إيطاليا"), 1)
    for name, query in (("all.jsonl", ()), ("query.jsonl", ("إيطاليا",))):
        assert arshif("--data", str(data), "export", *query, "--format", "jsonl", "-o", str(folder / name)
                      ).returncode == 0
        add("export", jsonl(folder / name))
    for url in (edited, removed, unchanged):
        add("snapshots", run_json(data, "snapshots", url, "--json"))
    add("diff", run_json(data, "diff", edited, "--json"))
    add("changes", run_json(data, "changes", "--since", "2000", "--json"))

    copy = damaged_copy(data, folder)
    add("verify", run_json(copy, "verify", "--json", status=1))
    add("missed", run_json(copy, "missed", "--json"))
    add("profile", run_json(copy, "profile", "--json"))
    add("stats", run_json(copy, "stats", "--json"))
    add("stats", run_json(judged_lastmod(copy, folder), "stats", "--json"))
    dest = folder / "backup"
    add("backup", run_json(copy, "backup", "--json", str(dest)))
    add("backup", json.loads((dest / "backup.json").read_text(encoding="utf-8")))
    first = sorted((dest / "warc").glob("*.warc.gz"))[0]
    first.write_bytes(b"x" + first.read_bytes()[1:])  # a copy gone bad in DEST: copied again by --rehash
    add("backup", run_json(copy, "backup", "--rehash", "--json", str(dest)))

    incoming = folder / "incoming"
    incoming.mkdir()
    for path in sorted((data / "warc").glob("arshif-*.warc.gz")):
        shutil.copyfile(path, incoming / path.name)
    (incoming / "notes.warc.gz").write_bytes(b"not a WARC file")  # refused
    shutil.copyfile(path, incoming / "arshif-20991231000000-00000.warc.gz.open")  # left for later
    ingested = folder / "ingested"
    add("ingest", run_json(ingested, "ingest", "--json", str(incoming), status=1))
    add("stats", run_json(ingested, "stats", "--json"))  # crawls known only from their WARC files
    add("changes", run_json(ingested, "changes", "--since", "2000", "--json"))
    return out


def test_the_reference_tables_use_the_forms_it_defines():
    """Every form a key table gives is one of the forms the Conventions define (or a `literal`, or `array of`
    them), and every form defined there has its check in this test."""
    forms = reference_forms()
    assert sorted(forms) == sorted(FORMS)
    tables = key_tables()
    assert tables, "docs/reference.md has no key tables"
    for command, found in tables.items():
        for table in found:
            for key, row in table.items():
                for alt in alternatives(row.form):
                    assert callable(check(alt)), (command, key, alt)
                parent = key.rsplit(".", 1)[0] if "." in key else None
                if parent:  # `a.b` and `a[].b` need their `a` (an object or array, maybe null)
                    assert parent.removesuffix("[]") in table, (command, key)


def test_every_command_printing_json_has_a_key_table():
    """A command whose synopsis has `--json`, and export's JSON Lines, have a key table: and this test runs them."""
    text = REFERENCE.read_text(encoding="utf-8")
    synopses = re.finditer(r"^```\n(arshif (\w+) .*?)^```", text, re.M | re.S)
    with_json = {m.group(2) for m in synopses if "--json" in m.group(1)}
    assert with_json | {"export"} == set(key_tables())


def test_every_json_value_has_the_form_the_reference_gives(printed):
    tables = key_tables()
    runs = {(command, n) for command, found in tables.items() for n in range(len(found))}
    assert set(printed) == runs, "every key table is checked against what a command printed"
    problems = []
    for (command, n), objects in sorted(printed.items()):
        table = tables[command][n]
        seen: dict[str, list] = {}
        absent: set[str] = set()
        for obj in objects:
            assert isinstance(obj, dict), (command, obj)
            observe(obj, table, seen, absent)
        for key in sorted(absent):
            problems.append(f"{command}: `{key}` is missing from an object, and the reference does not say \"only\"")
        for key in sorted(set(seen) - set(table)):
            problems.append(f"{command}: `{key}` is printed ({seen[key][0]!r}) but not in the reference")
        for key in sorted(set(table) - set(seen)):
            problems.append(f"{command}: `{key}` is in the reference but no run printed it")
        for key in sorted(set(seen) & set(table)):
            wrong = [value for value in seen[key] if not matches(value, table[key].form)]
            if wrong:
                problems.append(f"{command}: `{key}` is {table[key].form!r} by the reference, printed {wrong[0]!r} "
                                f"({len(wrong)} of {len(seen[key])})")
    assert not problems, "\n".join(problems)


def test_csv_export_is_the_json_lines_export_in_the_reference_order(two_editions, tmp_path):
    """The columns are the reference's keys in order; each cell is the JSON Lines value (lists joined by "; ",
    null empty)."""
    _, data, _ = two_editions
    table = key_tables()["export"][0]
    removals = 0
    for query in ((), ("إيطاليا",)):
        for fmt in ("jsonl", "csv"):
            assert arshif("--data", str(data), "export", *query, "--format", fmt, "-o", str(tmp_path / f"out.{fmt}")
                          ).returncode == 0
        rows = jsonl(tmp_path / "out.jsonl")
        with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            cells = list(reader)
        keys = [key for key, row in table.items() if query or not row.optional]
        assert reader.fieldnames == keys and [list(row) for row in rows] == [keys] * len(rows)
        as_cells = [{key: "" if value is None else "; ".join(value) if isinstance(value, list) else str(value)
                     for key, value in row.items()} for row in rows]
        assert cells == as_cells
        removals += sum(1 for row in cells if row["removed"])
    assert removals, "the removed article is exported"
