"""docs/DRILLS.md from the drills' results: the machine first (timings mean nothing without it), then each drill
with what was done, its numbers and its checks. Results are also kept as JSON so that `--only` can re-run one
drill without losing the others' last results (each drill says which run it comes from)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from bench import hardware

FOUND = [
    "one flipped bit in a record's compressed payload: `arshif verify` named the file (its SHA-256) but not the "
    "record, and `verify --deep` did not see it at all (warcio prints zlib's error and ends the file there); "
    "`show --format html|warc` of that capture ended in a zlib traceback; `rebuild` indexed nothing after the "
    "damaged record in that file and then crashed in cdxj-indexer, leaving no database. Now records are "
    "inflated and CRC-checked by arshif's one record reader (archive/warc/reader.py), a damaged member is named "
    "and skipped and reading resumes at the next whole record (archive/warc/indexer.py), `show` says so in one "
    "line (archive/history/snapshots.py), and `index.cdxj` lists a damaged file's whole records (the one closing "
    "path, archive/warc/closing.py, taken by the crawl, rebuild, recovery and ingest).",
]


def machine() -> str:
    cpu, mem = hardware()
    from importlib.metadata import version

    import scrapy

    from archive import __version__

    os_name = platform.platform()
    try:
        pretty = next(line.split("=", 1)[1].strip('"') for line in Path("/etc/os-release").read_text().splitlines()
                      if line.startswith("PRETTY_NAME="))
        os_name = f"{pretty} ({os_name})"
    except (OSError, StopIteration):
        pass
    return (f"- CPU: {cpu}, {os.cpu_count()} cores; RAM {mem:.0f} GiB; OS {os_name}\n"
            f"- Python {platform.python_version()}, Scrapy {scrapy.__version__}, warcio {version('warcio')}, "
            f"arshif {__version__}\n")


def markdown(results: list[dict], order: list[str], header: dict) -> str:
    by_name = {r["name"]: r for r in results}
    present = [by_name[n] for n in order if n in by_name]
    verdict = "PASS" if present and all(r["passed"] for r in present) else "FAIL"
    out = ["# Failure drills", "",
           "Long versions of the crash-safety tests (tests/warc/test_crash_safety.py, "
           "tests/warc/test_capture.py): each drill damages a real crawl the way production will (SIGKILL, a faulty "
           "server, bit rot, a lost database) and checks that nothing was lost. Run them with `make drills` (a "
           "quarter of an hour on 2 cores) or `.venv/bin/python -m bench.drills --quick` (small sizes, a few "
           "minutes); `--only kill,faults,damage,rebuild` runs some of them, `--render` writes this page again from "
           "docs/drills.json. The exit status is 1 when any drill fails. What the drills found is kept small and "
           "fast in tests/ops/test_drills_regressions.py. Timings were taken while other test suites ran on the "
           "same 2 cores: they are noisy.", "",
           header["machine"].rstrip(),
           f"- command: `{header['command']}`",
           f"- date: {header['date']}", "",
           "| drill | result | time |", "|---|---|---|"]
    for r in present:
        out.append(f"| {r['name']}: {r['title']} | **{'PASS' if r['passed'] else 'FAIL'}** | "
                   f"{r['seconds'] / 60:.1f} min |")
    out += ["", f"Overall: **{verdict}**", "", "Found by these drills and fixed (regression tests in "
            "tests/ops/test_drills_regressions.py):", ""] + [f"- {line}" for line in FOUND] + [""]
    for number, r in enumerate(present, 1):
        out += [f"## {number}. {r['title']} — {'PASS' if r['passed'] else 'FAIL'}", ""]
        run = r.get("run", {})
        if run.get("command") != header["command"] or run.get("date") != header["date"]:
            out += [f"_From an earlier run: `{run.get('command')}` on {run.get('date')}._", ""]
        out += ["What was done:", ""] + [f"- {line}" for line in r["done"]] + [""]
        if r["numbers"]:
            out += ["| measured | value |", "|---|---|"]
            out += [f"| {label} | {value} |" for label, value in r["numbers"]]
            out.append("")
        out += ["| check | result |", "|---|---|"]
        for c in r["checks"]:
            detail = f" — {_cell(c['detail'])}" if c["detail"] and not c["passed"] else ""
            out.append(f"| {_cell(c['what'])} | {'PASS' if c['passed'] else '**FAIL**'}{detail} |")
        out.append("")
        for note in r["notes"]:
            out += [note, ""]
        out += [f"Time: {r['seconds'] / 60:.1f} min.", ""]
    return "\n".join(out)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")[:600]
