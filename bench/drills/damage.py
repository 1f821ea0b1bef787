"""Drill 3: WARC files damaged after the fact — one cut in the middle (a failed copy, a full disk elsewhere), one
bit flipped inside the compressed payload of a record (bit rot) — in a finished archive of several files.

docs/archiving.md, Checking the archive: `arshif verify` exits 1 naming the file and the record; the rest of the
archive stays usable: search (database only) still finds articles, `show` works for records in undamaged files,
and `show` of a damaged record fails with one clear line, never a traceback.
"""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
import time
from pathlib import Path

from bench.drills.common import DrillResult, Replica, arshif, sample, seconds, warc_files


def _article_records(data: Path) -> list[dict]:
    conn = sqlite3.connect(data / "archive.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(
            "SELECT a.canonical, a.title, c.record_id, c.warc_file, c.offset, c.length FROM articles a "
            "JOIN captures c ON c.record_id = a.capture_record_id WHERE c.record_type = 'response' "
            "ORDER BY c.warc_file, c.offset")]
    finally:
        conn.close()


def _words(title: str) -> list[str]:
    """Three long plain words of a title: a query any article search must answer with that article."""
    words = [w for w in re.findall(r"\w+", title) if w.isalpha() and len(w) >= 4]
    return sorted(words, key=len, reverse=True)[:3]


def _own(stderr: str) -> str:
    """arshif's own lines: without the deprecation warning a dependency (pyamf, via pywb's stack) prints."""
    return "\n".join(line for line in stderr.strip().splitlines() if "pkg_resources" not in line)


def _one_clear_line(run) -> bool:
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    return run.returncode != 0 and len(lines) == 1 and "Traceback" not in run.stderr + run.stdout


def run(work: Path, quick: bool, seed: int) -> DrillResult:
    articles, max_size = (120, "300K") if quick else (500, "1M")
    result = DrillResult("damage", "WARC files damaged after the fact: one truncated, one bit flipped")
    rng = random.Random(seed)
    data = work / "data"
    with Replica(work / "replica", articles) as replica:
        result.done.append(f"replica with {articles} articles; `arshif crawl --warc-max-size {max_size}`")
        crawl = arshif(data, "crawl", "--site", replica.url + "/", "--warc-max-size", max_size)
    result.check("the crawl exits 0", crawl.returncode == 0, crawl.stderr[-600:])
    before = arshif(data, "verify")
    result.check("`arshif verify` exits 0 before the damage", before.returncode == 0, before.stdout[-600:])
    records = _article_records(data)
    by_file: dict[str, list[dict]] = {}
    for r in records:
        by_file.setdefault(r["warc_file"], []).append(r)
    files = [p.name for p in warc_files(data)]
    candidates = [f for f in files if len(by_file.get(f, [])) >= 3]
    result.number("WARC files", f"{len(files)} ({len(candidates)} holding 3 or more article records)")
    if not result.check("at least three files hold article records", len(candidates) >= 3, str(candidates)):
        return result
    cut_name, flip_name = rng.sample(candidates, 2)
    cut_path, flip_path = data / "warc" / cut_name, data / "warc" / flip_name

    size = cut_path.stat().st_size
    cut_at = size // 2
    with cut_path.open("r+b") as f:
        f.truncate(cut_at)
    lost = [r for r in by_file[cut_name] if r["offset"] + r["length"] > cut_at]
    result.done.append(f"truncated `{cut_name}` from {size:,} to {cut_at:,} bytes ({len(lost)} article records "
                       "beyond the cut)")

    flipped = rng.choice(by_file[flip_name][:-1])  # records follow it: reading must resume after the damage
    where, bit = flipped["offset"] + flipped["length"] // 2, rng.randrange(8)
    with flip_path.open("r+b") as f:
        f.seek(where)
        byte = f.read(1)[0]
        f.seek(where)
        f.write(bytes([byte ^ (1 << bit)]))
    result.done.append(f"flipped bit {bit} of the byte at offset {where:,} of `{flip_name}`: in the middle of the "
                       f"compressed member of record {flipped['record_id']} (offset {flipped['offset']:,}, "
                       f"{flipped['length']:,} bytes), the response of {flipped['canonical']}")
    _verify(result, data, cut_name, flip_name, flipped["record_id"])
    damaged = {cut_name, flip_name}
    intact = [r for r in records if r["warc_file"] not in damaged]
    _search(result, data, rng.sample(intact, min(3, len(intact))), rng.choice(lost) if lost else None)
    _show(result, data, rng.choice(intact), lost[len(lost) // 2] if lost else None, flipped)
    result.notes.append("`arshif show URL` in its default text format prints the article text stored in the database "
                        "(extracted when the page was captured) and never reads the WARC record, so it still works "
                        "for an article whose record is damaged: the text is not lost. The formats that read the "
                        "record, `--format html` and `--format warc`, are the ones that must fail, with one line.")
    _rebuild(result, data, work / "copy", cut_name, cut_at, flipped)
    return result


def _rebuild(result: DrillResult, data: Path, copy: Path, cut_name: str, cut_at: int, flipped: dict) -> None:
    """The damaged archive rebuilt from its WARC files (on a copy): every record outside the damage comes back."""
    shutil.copytree(data, copy)
    for suffix in ("", "-wal", "-shm"):
        (copy / f"archive.db{suffix}").unlink(missing_ok=True)
    started = time.monotonic()
    run = arshif(copy, "rebuild")
    result.number("`arshif rebuild` of a copy of the damaged archive", f"exit {run.returncode} in "
                                                                     f"{seconds(time.monotonic() - started)}")
    result.notes.append("`arshif rebuild` of the damaged copy said:\n\n```\n"
                        + _own("\n".join(line for line in run.stderr.splitlines() if "\r" not in line))[-1500:]
                        + "\n```")
    if not result.check("`arshif rebuild` of the damaged archive exits 0 without a traceback",
                        run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-800:]):
        return
    before, after = _records(data), _records(copy)
    expected = {rid for rid, (name, offset, length) in before.items()
                if not (name == cut_name and offset + length > cut_at) and rid != flipped["record_id"]}
    result.number("records indexed by the rebuild", f"{len(after):,} of {len(before):,} "
                                                    f"({len(before) - len(expected)} inside the damage)")
    result.check("the rebuild indexes every record outside the damage (the rest of the bit-flipped file included)",
                 set(after) == expected,
                 f"missing {sample(expected - set(after))}; unexpected {sample(set(after) - expected)}; "
                 + run.stderr[-300:])
    result.check("the rebuild names the bit-flipped record's place", f"offset {flipped['offset']}" in run.stderr,
                 run.stderr[-300:])
    flip_name = flipped["warc_file"]
    lines = {name: _cdxj_lines(d / "warc", flip_name) for name, d in (("before", data), ("after", copy))}
    result.number(f"`warc/index.cdxj` lines of `{flip_name}` (pywb's replay index)",
                  f"{lines['before']} before the damage, {lines['after']} after the rebuild")
    result.check("after the rebuild, `index.cdxj` still lists every record of the bit-flipped file but the "
                 "damaged one (pywb replays the others)", lines["after"] == lines["before"] - 1,
                 f"{lines['before']} lines before, {lines['after']} after: cdxj-indexer stops at the damaged "
                 "record (archive/warc/cdxj.py index_lines)")


def _cdxj_lines(warc: Path, name: str) -> int:
    index = warc / "index.cdxj"
    return sum(f'"filename": "{name}"' in line for line in index.read_text(encoding="utf-8").splitlines())


def _records(data: Path) -> dict[str, tuple[str, int, int]]:
    conn = sqlite3.connect(data / "archive.db")
    try:
        return {r[0]: (r[1], r[2], r[3]) for r in conn.execute("SELECT record_id, warc_file, offset, length FROM "
                                                               "captures")}
    finally:
        conn.close()


def _verify(result: DrillResult, data: Path, cut_name: str, flip_name: str, record_id: str) -> None:
    for args in (["verify"], ["verify", "--deep"]):
        command = "arshif " + " ".join(args)
        started = time.monotonic()
        run = arshif(data, *args)
        elapsed = time.monotonic() - started
        out = run.stdout.strip().splitlines()
        result.number(f"`{command}`", f"exit {run.returncode}, {len(out)} lines, {seconds(elapsed)}")
        result.check(f"`{command}` exits 1", run.returncode == 1, run.stderr[-400:])
        result.check(f"`{command}` names the truncated file", cut_name in run.stdout)
        result.check(f"`{command}` names the bit-flipped file and the damaged record",
                     any(flip_name in line and record_id in line for line in out),
                     "\n".join(line for line in out if flip_name in line)[:600])
        result.check(f"`{command}` shows no traceback", "Traceback" not in run.stdout + run.stderr,
                     run.stderr[-400:])
        shown = out if len(out) <= 12 else out[:8] + [f"… ({len(out) - 10} lines more) …"] + out[-2:]
        result.notes.append(f"`{command}` printed (exit {run.returncode}):\n\n```\n" + "\n".join(shown)
                            + f"\n{_own(run.stderr)}\n```")


def _search(result: DrillResult, data: Path, intact: list[dict], lost: dict | None) -> None:
    found = 0
    for r in intact:
        words = _words(r["title"])
        run = arshif(data, "search", *words, "--json", "--limit", "10000")
        hit = run.returncode == 0 and r["canonical"] in run.stdout
        found += hit
        result.check(f"`arshif search {' '.join(words)}` (an article in an undamaged file) exits 0 and finds it", hit,
                     run.stderr[-300:])
    if lost:
        words = _words(lost["title"])
        run = arshif(data, "search", *words, "--json", "--limit", "10000")
        result.number("search for an article whose record was cut off (the database still holds its text)",
                      f"exit {run.returncode}, {'found' if lost['canonical'] in run.stdout else 'not found'}")


def _show(result: DrillResult, data: Path, intact: dict, lost: dict | None, flipped: dict) -> None:
    run = arshif(data, "show", intact["canonical"])
    result.check("`arshif show URL` of an article in an undamaged file exits 0 with its title",
                 run.returncode == 0 and intact["title"] in run.stdout, run.stderr[-300:])
    run = arshif(data, "show", intact["canonical"], "--format", "html")
    result.check("`arshif show URL --format html` of it exits 0 with the archived page",
                 run.returncode == 0 and "<html" in run.stdout.lower(), run.stderr[-300:])
    for label, r in (("cut off by the truncation", lost), ("bit-flipped", flipped)):
        if r is None:
            continue
        for fmt in ("html", "warc"):
            run = arshif(data, "show", r["canonical"], "--format", fmt)
            result.check(f"`arshif show URL --format {fmt}` of the article whose record was {label} fails with "
                         "one clear line (exit non-zero, no traceback)", _one_clear_line(run),
                         f"exit {run.returncode}: {run.stderr.strip()[-500:]}")
            result.notes.append(f"`arshif show URL --format {fmt}` ({label}): exit {run.returncode}, stderr "
                                f"`{' / '.join(run.stderr.strip().splitlines()[-2:])[:300]}`")
        run = arshif(data, "show", r["canonical"])  # the text comes from the database, not from the record
        result.number(f"`arshif show URL` (text, from the database) of the article whose record was {label}",
                      f"exit {run.returncode}" + (f": `{run.stderr.strip()[:200]}`" if run.stderr.strip() else
                                                  ", the text as extracted before the damage"))
