"""`make drills`: run the long failure drills and write docs/DRILLS.md; exit status 1 when any drill fails.

Options: `--quick` (small sizes), `--only kill,faults,damage,rebuild`, `--seed N` (the kill moments and the damage
places), `--keep` (leave the temporary directories for inspection and print where they are), `--render` (the page
again from docs/drills.json, nothing run).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.drills import damage, faults, kill, rebuilt
from bench.drills.common import ROOT, DrillResult
from bench.drills.report import machine, markdown

DRILLS = {
    "kill": (kill.run, "kill -9 at 10 random moments of one crawl, resuming each time"),
    "faults": (faults.run, "server faults (--faults 0.2) on a large site"),
    "damage": (damage.run, "WARC files damaged after the fact: one truncated, one bit flipped"),
    "rebuild": (rebuilt.run, "the database deleted and rebuilt from the WARC files alone"),
}
OUT = ROOT / "docs" / "DRILLS.md"
SAVED = ROOT / "docs" / "drills.json"


def _run_one(name: str, quick: bool, seed: int, keep: bool) -> DrillResult:
    function, title = DRILLS[name]
    work = Path(tempfile.mkdtemp(prefix=f"arshif-drill-{name}-"))
    started = time.monotonic()
    try:
        result = function(work, quick, seed)
    except Exception:
        result = DrillResult(name, title)
        result.check("the drill ran to its end", False, traceback.format_exc()[-1500:])
        traceback.print_exc()
    finally:
        if keep:
            print(f"{name}: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drills", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a quick check (a few minutes)")
    parser.add_argument("--only", metavar="NAME,...", help=f"run only these drills ({', '.join(DRILLS)})")
    parser.add_argument("--seed", type=int, default=20261129, help="seed of the random moments and places")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    parser.add_argument("--render", action="store_true", help="write docs/DRILLS.md again from docs/drills.json")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(SAVED.read_text())
        last = max((r["run"] for r in saved), key=lambda run: run["date"])
        OUT.write_text(markdown(saved, list(DRILLS), {"machine": machine(), **last}), encoding="utf-8")
        return 1 if not all(r["passed"] for r in saved) else 0
    names = list(DRILLS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in DRILLS]
        if unknown:
            parser.error(f"unknown drill(s) {', '.join(unknown)}; choose from {', '.join(DRILLS)}")
    command = "python -m bench.drills" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    header = {"machine": machine(), "command": command, "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"}
    saved = {r["name"]: r for r in json.loads(SAVED.read_text())} if SAVED.exists() and args.only else {}
    failed = []
    for name in names:
        print(f"drill {name}: {DRILLS[name][1]} …", file=sys.stderr, flush=True)
        result = _run_one(name, args.quick, args.seed, args.keep)
        verdict = "PASS" if result.passed else "FAIL"
        print(f"drill {name}: {verdict} in {result.seconds / 60:.1f} min", file=sys.stderr, flush=True)
        for c in result.checks:
            if not c.passed:
                print(f"  FAIL {c.what}: {c.detail[:400]}", file=sys.stderr)
        if not result.passed:
            failed.append(name)
        saved[name] = {**result.as_dict(), "run": {"command": command, "date": header["date"], "quick": args.quick}}
        OUT.parent.mkdir(exist_ok=True)
        SAVED.write_text(json.dumps(list(saved.values()), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        OUT.write_text(markdown(list(saved.values()), list(DRILLS), header), encoding="utf-8")
    print(f"{len(names) - len(failed)} of {len(names)} drills passed; results in {OUT.relative_to(ROOT)}",
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
