"""Drill 1: `kill -9` at ten random moments of one crawl, the same command again after each, then a run to the end
(docs/operating.md, Resume: "`kill -9` at any moment, then the same command again, and the crawl continues";
"Nothing that was written is lost").

The moments come from a seeded RNG and mix three kinds, because each exercises different code: *early* (seconds
after the run's log began: the end of start-up, recovery of the previous kill, catch-up extraction, robots.txt,
sitemaps), *progress* (once a share of the site's articles has been fetched and the run has fetched something new:
the WARC writer and the batched database commits under load), and *mid-record* (the crawl is frozen with SIGSTOP
whenever its `.open` file grows and killed only when the file ends inside a gzip member, the one state that
recovery must cut off). Whether an article was fetched again is judged twice: from the replica's request log
(fetches repeated, e.g. lost in flight) and from the WARC files (an article archived twice would mean the resume
ignored the archive).
"""

from __future__ import annotations

import random
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.drills.common import DrillResult, Replica, article_path, check_archive_whole, seconds, start_crawl
from bench.drills.killer import TRAILER, Killer, Moment, complete_end, run_logs

KILLS = 10


def plan(rng: random.Random) -> list[Moment]:
    """Three early moments at random places among six progress moments in crawl order; the tenth kill is the
    mid-record one, whichever run writes the large article's record (the only record big enough to be caught
    half-written: the others are written in one or two `write` calls)."""
    fractions = [rng.uniform(0.05, 0.35) for _ in range(2)] + [rng.uniform(0.35, 0.7) for _ in range(2)] \
        + [rng.uniform(0.7, 0.95) for _ in range(2)]
    progress = iter(Moment("progress", fraction=f) for f in sorted(fractions))
    early = iter(Moment("early", delay=rng.uniform(0.3, 3.0)) for _ in range(3))
    slots = set(rng.sample(range(KILLS - 1), 3))
    return [next(early) if i in slots else next(progress) for i in range(KILLS - 1)]


@dataclass
class Run:
    number: int
    moment: Moment | None
    started: float
    log_start: int            # index of the run's first line in the replica's request log
    seconds: float = 0.0
    outcome: str = ""
    fetched_at_kill: int = 0
    open_bytes: int = 0
    cut: tuple[str, int] | None = None  # the open file and the bytes of its incomplete last record, when killed
    log: Path | None = None   # the crawl's own log (absent when killed before it made one)

    def label(self) -> str:
        if self.moment is None:
            return "to the end" if self.outcome.startswith("exit") else f"mid-record: {Moment('mid').planned()}"
        return f"{self.moment.kind}: {self.moment.planned()}"


def _open_state(warc_dir: Path) -> tuple[int, tuple[str, int] | None]:
    path = next(iter(warc_dir.glob("*.open")), None) if warc_dir.exists() else None
    if path is None:
        return 0, None
    size = path.stat().st_size
    cut = size - complete_end(path, 0)
    return size, (path.name.removesuffix(".open"), cut) if cut else None


def run(work: Path, quick: bool, seed: int) -> DrillResult:
    articles = 150 if quick else 1000
    result = DrillResult("kill", f"kill -9 at {KILLS} random moments of one crawl, resuming each time")
    planned = plan(random.Random(seed))
    data = work / "data"
    with Replica(work / "replica", articles, latency_ms=20) as replica:
        manifest = replica.manifest()
        paths = {article_path(a["url"]) for a in manifest["articles"]}
        killer = Killer(replica, paths, article_path(manifest["traps"]["large"]), data)
        result.done.append(f"replica with {articles} articles, `--latency 20`; `arshif --data DIR crawl --site "
                           f"{replica.url}/` started {KILLS + 1} times: killed with SIGKILL {KILLS} times (moments "
                           f"from RNG seed {seed}), then run to completion")
        runs: list[Run] = []
        logs_seen: set[Path] = set()
        for number in range(1, KILLS + 2):
            moment = planned[0] if planned else None
            r = Run(number, moment, time.monotonic(), len(replica.log.read()))
            killer.start_run()
            proc = start_crawl(data, replica.url, work / "runs" / f"{number:02d}")
            try:
                if number > KILLS:
                    r.moment, r.outcome = None, f"exit {proc.wait(timeout=3600)}"
                else:
                    if moment is None and not killer.hunting:
                        moment = r.moment = Moment("fallback", delay=1.0)
                    how = killer.wait(moment, proc, logs_seen)
                    if how == "planned" and r.moment is None:
                        r.moment = Moment("fallback")
                    if how == "ended":
                        r.outcome = f"ended before the moment (exit {proc.returncode})"
                    else:
                        if proc.poll() is None:
                            proc.send_signal(signal.SIGKILL)
                            proc.wait()
                        r.outcome = "killed"
                        r.fetched_at_kill = len(killer.fetched())
                        r.open_bytes, r.cut = _open_state(data / "warc")
                    if how == "mid-record":
                        r.moment = None
                    elif planned:
                        planned.pop(0)
            finally:
                if proc.poll() is None:  # the drill itself failed: leave no crawl behind
                    proc.kill()
                    proc.wait()
            r.seconds = time.monotonic() - r.started
            new_logs = run_logs(data) - logs_seen
            logs_seen |= new_logs
            r.log = max(new_logs) if new_logs else None
            runs.append(r)
        _report(result, runs, replica, paths, articles)
        scan = check_archive_whole(result, data, manifest)
    archived_twice = sorted(p for p, n in scan.good.items() if n > 1)
    result.check("no archived article fetched again: one 200 record (response or revisit) per article in the "
                 "WARC files", not archived_twice, ", ".join(archived_twice[:3]))
    return result


def _recovery_lines(log: Path | None) -> str:
    if log is None:
        return "none (killed before its log began)"
    text = log.read_text(encoding="utf-8", errors="replace")
    parts = [m.group(1) for m in re.finditer(r"recovery before the crawl: (.*)", text)]
    parts += [f"articles extracted that a killed run had captured but not stored: {m.group(1)}"
              for m in re.finditer(r"captured but not stored, extracted now: (.*)", text)]
    if not re.search(r"crawl \d+, \d+ URLs known", text):
        parts.append("killed before its recovery ended")
    return "; ".join(parts) or "nothing to recover"


def _report(result: DrillResult, runs: list[Run], replica: Replica, paths: set[str], articles: int) -> None:
    lines = replica.log.read()
    fetched_by_run: list[Counter] = []
    for i, r in enumerate(runs):
        end = runs[i + 1].log_start if i + 1 < len(runs) else len(lines)
        fetched_by_run.append(Counter(article_path(x["path"]) for x in lines[r.log_start:end]
                                      if x["status"] == 200 and article_path(x["path"]) in paths))
    total = sum(fetched_by_run, Counter())
    repeated = sum(n - 1 for n in total.values())
    table = ["| run | moment | outcome | after | articles fetched so far | `.open` at the kill | incomplete record "
             "at its end | the next run's recovery | articles fetched again by the next run |", "|---" * 9 + "|"]
    seen: set[str] = set()
    for i, r in enumerate(runs):
        seen |= set(fetched_by_run[i])
        last = i + 1 == len(runs)
        again = "-" if last else len(set(fetched_by_run[i + 1]) & seen)
        killed = r.outcome == "killed"
        table.append(f"| {r.number} | {r.label()} | {r.outcome} | {seconds(r.seconds)} | "
                     f"{r.fetched_at_kill if killed else len(seen)} of {articles} | "
                     f"{f'{r.open_bytes:,} B' if killed and r.open_bytes else '-'} | "
                     f"{f'{r.cut[1]:,} B' if r.cut else '-'} | "
                     f"{'-' if last else _recovery_lines(runs[i + 1].log)} | {again} |")
    result.notes.append("\n".join(table))
    kills = [r for r in runs if r.outcome == "killed"]
    inside = [r for r in kills if r.cut and r.cut[1] > TRAILER]
    result.number("kills that landed", f"{len(kills)} of {KILLS} ({len(inside)} inside a record being written, "
                                       f"{len([r for r in kills if r.cut]) - len(inside)} just after a gzip "
                                       "member's first bytes)")
    result.number("article fetches repeated across the resumes (replica log: 200 answers for an article already "
                  "answered 200 before)", f"{repeated} ({len([p for p, n in total.items() if n > 1])} articles)")
    result.number("requests served in all runs", f"{len(lines):,}")
    result.number("time of all runs", seconds(sum(r.seconds for r in runs)) + f" (the last run: "
                                                                            f"{seconds(runs[-1].seconds)})")
    result.check(f"all {KILLS} kills landed while the crawl was running", len(kills) == KILLS,
                 "; ".join(f"run {r.number}: {r.outcome}" for r in runs[:-1] if r.outcome != "killed"))
    result.check("at least one kill inside a record being written", bool(inside))
    cut_by_recovery = set()
    for r in runs:
        text = r.log.read_text(encoding="utf-8", errors="replace") if r.log else ""
        cut_by_recovery |= {(m.group(1), int(m.group(2))) for m in
                            re.finditer(r"recovery: (\S+)\.open ended in an incomplete record; (\d+) bytes", text)}
    left = {r.cut for r in kills if r.cut}
    result.check("every incomplete record a kill left was cut off by a later run's recovery (same file, same bytes)",
                 left == cut_by_recovery, f"left by kills {sorted(left)}, cut by recovery {sorted(cut_by_recovery)}")
    result.check("the final run exits 0", runs[-1].outcome == "exit 0", runs[-1].outcome)
