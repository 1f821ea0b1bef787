"""CPU per article archived: this tree against a baseline commit, side by side, same site, one run.

Each theme of the replica is exported once and served by nginx (no latency: the crawler's CPU decides), then
crawled by both trees in turn, alternating which goes first each round so that neither always meets a warm or a
cold machine. CPU is the crawler process's own (wait4: user + system), divided by the articles it archived.

Cheaper must not mean different: after each crawl pair the two archives are compared — every captured URL with
its status, type, payload digest and length; every URL's kind and detection; every article's fields and number
of versions. The real WordPress (Debian's packages, started on loopback as the tests start it) is crawled by both
trees too, and compared the same way, when its packages are here.

Run alone: .venv/bin/python -m bench.cpu_per_article [articles] [rounds]
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.crawl_vs_wget import free_port

ROOT = Path(__file__).resolve().parent.parent
# The last commit before the work being measured began: issue 26's (the house in rooms). `--baseline COMMIT` picks
# another (issue 21's was 5d0053e).
BASELINE = "56a107a9088a5d25677cc82f586841e90b6b7e0e"
THEMES = ("wordpress", "blogger")

# What must be the same in both archives. Not compared: ids, timestamps and record ids (new every crawl), which
# WARC file and offset a record landed in, the extractor's version string, and URLs known but never fetched (which
# of a listing's links were noted before the crawl ended depends on the order answers came in, run to run).
CAPTURES = "SELECT record_type, url, status, mime, digest, payload_length, revisit_profile FROM captures"
URLS = "SELECT canonical, kind, is_article, detection FROM urls WHERE last_fetched IS NOT NULL"
ARTICLES = ("SELECT canonical, title, author, published, modified, section, tags, image, lang, body, word_count, "
            "versions, removed FROM articles")


def archive_facts(db: Path) -> dict[str, Counter]:
    with sqlite3.connect(db) as conn:
        return {name: Counter(conn.execute(sql).fetchall())
                for name, sql in (("captures", CAPTURES), ("urls", URLS), ("articles", ARTICLES))}


def _is_source(table: str, row: tuple) -> bool:
    """A feed or sitemap page: how far a crawl pages a feed depends on which answers came first (paging stops at a
    page that shows nothing new, and a sitemap answered earlier makes its posts known), in one tree as in the other."""
    from archive.pages.detection import classify

    url = row[1] if table == "captures" else row[0]
    return table in ("captures", "urls") and classify(url) in ("feed", "sitemap")


def differences(a: Path, b: Path, limit: int = 5, sources: bool = False) -> list[str]:
    """What one archive holds that the other does not, table by table (at most `limit` rows of each side).
    sources=False: leaves out feed and sitemap pages; True: only those."""
    out = []
    facts_a, facts_b = archive_facts(a), archive_facts(b)
    for table in facts_a:
        only_a = [r for r in (facts_a[table] - facts_b[table]).elements() if _is_source(table, r) == sources]
        only_b = [r for r in (facts_b[table] - facts_a[table]).elements() if _is_source(table, r) == sources]
        if only_a or only_b:
            out.append(f"{table}: {len(only_a)} rows only in {a.parent.name}, {len(only_b)} only in {b.parent.name}")
            out += [f"  {a.parent.name}: {str(row)[:300]}" for row in sorted(only_a, key=str)[:limit]]
            out += [f"  {b.parent.name}: {str(row)[:300]}" for row in sorted(only_b, key=str)[:limit]]
    return out


def baseline_tree(commit: str, folder: Path) -> Path | None:
    """A worktree of `commit` (run with this tree's virtualenv: the dependencies did not change); None when this
    is not a git checkout holding that commit."""
    if not (ROOT / ".git").exists():
        return None
    done = subprocess.run(["git", "worktree", "add", "--detach", str(folder), commit], cwd=ROOT,
                          capture_output=True, text=True)
    return folder if done.returncode == 0 else None


def drop_tree(folder: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


def run_command(tree: Path, args: list[str]) -> dict:
    """One `arshif …` command by the arshif of `tree`: CPU and wall seconds, exit status."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "archive", *args], cwd=tree, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return {"cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "wall_s": round(time.monotonic() - started, 2),
            "exit": os.waitstatus_to_exitcode(status)}


def crawl(tree: Path, site: str, data: Path) -> dict:
    """One crawl by the arshif of `tree`: CPU and wall seconds, articles archived, exit status."""
    done = run_command(tree, ["--data", str(data), "crawl", "--site", site])
    with sqlite3.connect(data / "archive.db") as conn:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        pages = conn.execute("SELECT count(*) FROM captures WHERE record_type != 'request'").fetchone()[0]
    return {**done, "articles": articles, "pages": pages,
            "cpu_ms_per_article": round(1000 * done["cpu_s"] / articles, 2) if articles else None}


def which_tree_runs(tree: Path) -> str:
    """Where `archive` is imported from when run from `tree` (a check that the baseline really runs its own code)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([sys.executable, "-c", "import archive; print(archive.__file__)"],
                          cwd=tree, env=env, capture_output=True, text=True, check=True).stdout.strip()


def serve_export(theme: str, articles: int, work: Path) -> tuple[subprocess.Popen, str]:
    port, cdn = free_port(), free_port()
    export = work / f"export-{theme}"
    subprocess.run([sys.executable, "-m", "archive", "replica", "--export", str(export), "--port", str(port),
                    "--cdn-port", str(cdn), "--articles", str(articles), "--theme", theme], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    server = subprocess.Popen(["nginx", "-p", str(export), "-c", str(export / "nginx.conf")],
                              stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return server, f"http://127.0.0.1:{port}/"


def rebuilds(trees: dict[str, Path], data: Path, work: Path, rounds: int) -> dict:
    """`reextract` and `rebuild` of the same archive (a copy each time) by both trees: articles per second of CPU
    and of wall time."""
    with sqlite3.connect(data / "archive.db") as conn:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    out: dict = {"articles": articles}
    for command in ("reextract", "rebuild"):
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for n in range(rounds):
            for name in (list(trees) if n % 2 == 0 else list(reversed(trees))):
                copy = work / f"{command}-{name}-{n}"
                shutil.copytree(data, copy)
                runs[name].append(run_command(trees[name], ["--data", str(copy), command]))
                shutil.rmtree(copy, ignore_errors=True)
        out[command] = {name: {"articles_per_cpu_s": round(articles * len(done) / sum(r["cpu_s"] for r in done), 1),
                               "articles_per_s": round(articles * len(done) / sum(r["wall_s"] for r in done), 1),
                               "exit": max(r["exit"] for r in done)}
                        for name, done in runs.items()}
    return out


def startup(trees: dict[str, Path], data: Path, runs: int = 10) -> dict:
    """Wall seconds of `arshif search`, `show` and `stats` on an archive (median of `runs` warm runs, after one
    run to warm the caches), both trees."""
    with sqlite3.connect(data / "archive.db") as conn:
        url = conn.execute("SELECT canonical FROM articles ORDER BY id LIMIT 1").fetchone()[0]
    commands = {"search": ["search", "إيطاليا"], "show": ["show", url], "stats": ["stats"]}
    out: dict = {}
    for command, args in commands.items():
        out[command] = {}
        for name, tree in trees.items():
            run_command(tree, ["--data", str(data), *args])
            walls = sorted(run_command(tree, ["--data", str(data), *args])["wall_s"] for _ in range(runs))
            out[command][name] = walls[len(walls) // 2]
    return out


# Where a crawl's CPU goes, by the innermost part of arshif or of a library on the sampled stack: the first of these
# (label, frame substrings) found anywhere on the stack names the sample.
PROFILE_PARTS = (
    ("imports (start-up)", ("_find_and_load",)),
    ("trafilatura's readability/justext comparison", ("compare_extraction",)),
    ("language identification (langdetect)", ("langdetect/",)),
    ("trafilatura (body text)", ("trafilatura/",)),
    ("HTML parsing (lxml)", ("document_fromstring",)),
    ("Scrapy's decompression (and its charset guess)", ("httpcompression.py",)),
    ("Scrapy's check of callbacks' source", ("warn_on_generator_with_return_value",)),
    # each module under its path in this tree and in the baseline's
    ("WARC records (warcio: gzip, digests)", ("warcio/", "archive/warc/", "archive/warcfiles.py",
                                              "crawler/records.py")),
    ("article storage and search index", ("archive/store/", "archive/search/index.py", "archive/store.py",
                                          "archive/search_index.py")),
    ("metadata reading (extraction)", ("archive/pages/extraction.py", "crawler/extraction.py")),
    ("page analysis (detection, links, requisites)", ("archive/pages/detection.py", "archive/pages/requisites.py",
                                                      "archive/pages/dates.py", "archive/pages/sources.py",
                                                      "crawler/discovery.py", "crawler/requisites.py")),
    ("spider (scheduling decisions)", ("spiders/", "crawler/discovery/", "crawler/extensions/session.py",
                                       "crawler/session.py")),
    ("HTTP client (Twisted)", ("twisted/web/_newclient.py",)),
)
IDLE_LEAVES = ("_worker (", "Condition.wait (", "EpollSelector.select (", "Queue.get (", "wait (threading")


def profile_shares(raw: Path) -> dict[str, float]:
    """Shares of busy samples (a thread waiting is not busy) per PROFILE_PARTS label, the rest as Scrapy's,
    Twisted's and asyncio's own machinery."""
    counts: Counter = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        frames = stack.split(";")
        if not frames[-1].strip() or frames[-1].startswith(IDLE_LEAVES):
            continue
        label = next((label for label, keys in PROFILE_PARTS if any(k in f for f in frames for k in keys)),
                     "Scrapy, Twisted and asyncio machinery")
        counts[label] += int(n)
    total = sum(counts.values()) or 1
    return {label: round(n / total, 4) for label, n in counts.most_common()}


def profiles(trees: dict[str, Path], site: str, work: Path) -> dict:
    """One crawl by each tree under py-spy (sampling; {"absent": why} without it)."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        return {"absent": "py-spy is not installed (requirements.lock has it)"}
    out: dict = {}
    for name, tree in trees.items():
        raw = work / f"profile-{name}.txt"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run([str(spy), "record", "--rate", "150", "--format", "raw", "--output", str(raw), "--",
                        sys.executable, "-m", "archive", "--data", str(work / f"profiled-{name}"), "crawl",
                        "--site", site], cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not raw.exists():
            return {"absent": "py-spy could not sample (ptrace not permitted?)"}
        out[name] = profile_shares(raw)
    return out


def side_by_side(trees: dict[str, Path], site: str, work: Path, rounds: int, keep: Path | None = None) -> dict:
    """keep: where to leave the first round's archive by this tree (for rebuilds and start-up)."""
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    diffs: list[str] = []
    source_diffs: list[str] = []
    for n in range(rounds):
        order = list(trees) if n % 2 == 0 else list(reversed(trees))
        datas = {}
        for name in order:
            datas[name] = work / f"{name}-{n}"
            runs[name].append(crawl(trees[name], site, datas[name]))
        if n == 0:
            diffs = differences(datas["baseline"] / "archive.db", datas["now"] / "archive.db")
            source_diffs = differences(datas["baseline"] / "archive.db", datas["now"] / "archive.db", sources=True)
            if keep is not None:
                shutil.move(datas.pop("now"), keep)
        for data in datas.values():
            shutil.rmtree(data, ignore_errors=True)
    out: dict = {"runs": runs, "same": not diffs, "differences": diffs, "source_differences": source_diffs}
    for name, done in runs.items():
        out[name] = {"cpu_ms_per_article": statistics.median(r["cpu_ms_per_article"] or 0 for r in done),
                     "articles": done[0]["articles"], "pages": done[0]["pages"]}
    # each round's two crawls ran one after the other: their ratio is the least disturbed by a machine whose speed
    # drifts (this one's varies by a third over minutes); the median of the rounds' ratios is reported
    out["round_ratios"] = [round(n["cpu_s"] / b["cpu_s"], 3) for b, n in zip(runs["baseline"], runs["now"],
                                                                             strict=True)]
    out["ratio"] = statistics.median(out["round_ratios"])
    return out


def real_wordpress(trees: dict[str, Path], work: Path) -> dict:
    """Both trees crawl each of the real WordPress's two sites (classic and block theme); compared like the
    replica. {"absent": why} without its packages."""
    try:
        from tests.wordpress.site import WordPressWorld, _which

        php = _which("php")
    except (FileNotFoundError, ImportError) as exc:
        return {"absent": f"no real WordPress here ({exc})"}
    world = WordPressWorld(work / "wordpress", php)
    try:
        world.start()
    except Exception as exc:  # noqa: BLE001 - a bench reports what it could not run
        return {"absent": f"the real WordPress did not start: {exc}"}
    try:
        return {name: side_by_side(trees, site.manifest["home"], work / f"wp-{name}", 1)
                for name, site in world.sites.items()}
    finally:
        world.stop()


def run(articles: int = 2000, rounds: int = 3, baseline: str = BASELINE, wordpress: bool = True) -> dict:
    if not shutil.which("nginx"):
        return {"absent": "nginx is not installed"}
    with tempfile.TemporaryDirectory(prefix="arshif-cpu-") as tmp:
        work = Path(tmp)
        old = baseline_tree(baseline, work / "baseline-tree")
        if old is None:
            return {"absent": f"commit {baseline[:7]} is not in this checkout (run from a git clone)"}
        try:
            trees = {"baseline": old, "now": ROOT}
            out: dict = {"articles": articles, "rounds": rounds, "baseline": baseline[:7],
                         "runs_from": {name: which_tree_runs(tree) for name, tree in trees.items()}}
            kept = work / "kept"
            for theme in THEMES:
                server, site = serve_export(theme, articles, work)
                try:
                    out[theme] = side_by_side(trees, site, work / theme, rounds,
                                              keep=kept if theme == THEMES[0] else None)
                    if theme == THEMES[0]:
                        out["profile"] = profiles(trees, site, work / "profiles")
                finally:
                    server.terminate()
                    server.wait()
            out["rebuilds"] = rebuilds(trees, kept, work, rounds)
            out["startup"] = startup(trees, kept)
            if wordpress:
                out["real_wordpress"] = real_wordpress(trees, work)
        finally:
            drop_tree(old)
    return out


def same_cell(r: dict) -> str:
    if not r["same"]:
        return "NO: " + "; ".join(r["differences"][:3])
    sources = [line for line in r.get("source_differences") or [] if not line.startswith("  ")]
    if sources:
        return ("yes; feed or sitemap pages differ (" + "; ".join(sources) + "): how far a feed is paged depends on "
                "which answers came first")
    return "yes"


def markdown(result: dict) -> str:
    if "absent" in result:
        return f"CPU per article against the issue's starting commit: not run ({result['absent']}).\n"
    lines = [f"### CPU per article: now against {result['baseline']} (the baseline), "
             f"{result['articles']:,}-article replica, no latency (nginx), {result['rounds']} rounds alternating "
             "which goes first (medians; the ratio is the median of each round's ratio)",
             "", "| site | CPU ms/article at " + result["baseline"] + " | now | ratio now/then | pages | articles | "
             "same captures, URLs, articles |", "|---|---:|---:|---:|---:|---:|---|"]
    rows = [(f"replica, {theme} theme", result[theme]) for theme in THEMES if theme in result]
    wp = result.get("real_wordpress") or {}
    rows += [(f"real WordPress, {name} theme", r) for name, r in wp.items() if isinstance(r, dict)]
    for label, r in rows:
        lines.append(f"| {label} | {r['baseline']['cpu_ms_per_article']:.1f} | {r['now']['cpu_ms_per_article']:.1f}"
                     f" | {r['ratio']:.2f}× | {r['now']['pages']:,} | {r['now']['articles']:,} | "
                     f"{same_cell(r)} |")
    if "absent" in wp:
        lines.append(f"| real WordPress | not run: {wp['absent']} | | | | | |")
    rb = result.get("rebuilds")
    if rb:
        base = result["baseline"]
        lines += ["", f"Re-extraction from the WARC records of the {rb['articles']:,} articles of the {THEMES[0]} "
                  "theme's archive (a copy each run), articles per second of CPU and of wall time:", "",
                  f"| command | at {base}: per CPU s | now: per CPU s | ratio | at {base}: per s | now: per s |",
                  "|---|---:|---:|---:|---:|---:|"]
        for command in ("reextract", "rebuild"):
            b, n = rb[command]["baseline"], rb[command]["now"]
            lines.append(f"| `arshif {command}` | {b['articles_per_cpu_s']:.0f} | {n['articles_per_cpu_s']:.0f} | "
                         f"{n['articles_per_cpu_s'] / b['articles_per_cpu_s']:.2f}× | {b['articles_per_s']:.0f} | "
                         f"{n['articles_per_s']:.0f} |")
    prof = result.get("profile") or {}
    if "absent" in prof:
        lines += ["", f"Profile: not run ({prof['absent']})."]
    elif prof:
        base, per = result["baseline"], {name: result[THEMES[0]][name]["cpu_ms_per_article"] for name in prof}
        labels = sorted(set(prof["baseline"]) | set(prof["now"]), key=lambda k: -prof["baseline"].get(k, 0))
        lines += ["", f"Where the CPU goes: one crawl of the {THEMES[0]} theme by each under `py-spy record` "
                  "(sampling), as shares of busy samples and as milliseconds of the CPU per article measured above:",
                  "", f"| part | at {base} | ms/article | now | ms/article |", "|---|---:|---:|---:|---:|"]
        for label in labels:
            b, n = prof["baseline"].get(label, 0), prof["now"].get(label, 0)
            lines.append(f"| {label} | {100 * b:.1f} % | {b * per['baseline']:.1f} | {100 * n:.1f} % | "
                         f"{n * per['now']:.1f} |")
    up = result.get("startup")
    if up:
        lines += ["", "Start-up on the same archive, wall seconds, median of 10 warm runs:", "",
                  f"| command | at {result['baseline']} | now |", "|---|---:|---:|"]
        lines += [f"| `arshif {command}` | {r['baseline']:.2f} | {r['now']:.2f} |" for command, r in up.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    args = sys.argv[1:]
    baseline = BASELINE
    if "--baseline" in args:
        at = args.index("--baseline")
        baseline = subprocess.run(["git", "rev-parse", args[at + 1]], cwd=ROOT, capture_output=True, text=True,
                                  check=True).stdout.strip()
        del args[at:at + 2]
    size = int(args[0]) if args else 2000
    result = run(size, int(args[1]) if len(args) > 1 else 3, baseline=baseline)
    print(json.dumps(result, indent=1, ensure_ascii=False))
    print(markdown(result), file=sys.stderr)
