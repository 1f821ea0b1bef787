"""Issue 28's Pelican numbers: the real Pelican site of tests/pelican/ crawled as a new user would, three times.

Run 1 crawls edition 1 (120 articles, 15 of them short briefs outside the feeds, 3 static pages, Pelican's archives
and listings). Edition 2 is then built in place (4 new articles, an edit with a new `Modified:`, an edit without one,
a deleted article) and run 2 crawls it with the scheduling clock 31 days on (`--set ARSHIF_CLOCK=`), past the
revisit period; run 3 crawls once more a day later, nothing changed. For each run: what was stored of the site's
articles and what was lost (with what `arshif missed` says of each), which static or listing pages were stored as
articles, empty sections and tags, the edits and the deletion seen or not, and the requests the site answered. The
site is always this tree's; `--baseline COMMIT` crawls it with that commit's arshif (a git worktree). Not part of
`make test`; needs `make install` (.venv-pelican) and nginx.

Run: .venv/bin/python -m bench.pelican [--baseline COMMIT] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bench.cpu_per_article import baseline_tree, drop_tree

ROOT = Path(__file__).resolve().parent.parent
RUN2_DAYS, RUN3_DAYS = 31, 32
QUIET_EDIT_DAYS = 30  # the revisit period: an edit without a new Modified must be seen within it
BASELINE = "3160b5d"  # the commit before issue 28: arshif as it met Pelican


def arshif(tree: Path, *args: str) -> subprocess.CompletedProcess:
    """`arshif …` as the arshif of `tree` runs it."""
    return subprocess.run([sys.executable, "-m", "archive", *args], cwd=tree, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tree)}, timeout=1800)


def path_of(url: str) -> str:
    return unquote(urlsplit(url).path)


def crawl(tree: Path, site, data: Path, clock: datetime | None) -> dict:
    """One crawl: exit status, seconds, and the requests the site answered during it."""
    before = len(site.requests())
    extra = ("--set", f"ARSHIF_CLOCK={clock:%Y-%m-%dT%H:%M:%S}") if clock else ()
    started = time.monotonic()
    done = arshif(tree, "--data", str(data), "crawl", "--site", site.url + "/", *extra)
    seconds = time.monotonic() - started
    time.sleep(0.2)  # nginx writes a request's log line after its last byte
    requests = site.requests()[before:]
    return {"exit": done.returncode, "seconds": round(seconds, 1), "requests": requests,
            "tail": (done.stdout + done.stderr)[-600:]}


def archived(data: Path) -> dict[str, dict]:
    """The articles table by URL path."""
    with sqlite3.connect(data / "archive.db") as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM articles").fetchall()
    return {path_of(r["canonical"]): dict(r) for r in rows}


def missed(tree: Path, data: Path) -> dict[str, str]:
    done = arshif(tree, "--data", str(data), "missed", "--json")
    try:
        return {path_of(m["url"]): m.get("reason", "?") for m in json.loads(done.stdout)}
    except ValueError:
        return {}


def last_crawl(tree: Path, data: Path) -> dict:
    done = arshif(tree, "--data", str(data), "stats", "--json")
    try:
        return sorted(json.loads(done.stdout).get("crawls", []), key=lambda c: c["id"])[-1]
    except (ValueError, IndexError):
        return {}


def empty_list(value) -> bool:
    return not value or value in ("[]", "null")


def run_numbers(tree: Path, data: Path, run: dict, posts, pages) -> dict:
    """What one run left in the archive, measured against the edition it crawled."""
    from tests.pelican import content

    rows = archived(data)
    wanted = {p.path: p for p in posts}
    stored = [p for p in posts if p.path in rows]
    lost = [p for p in posts if p.path not in rows]
    reasons = missed(tree, data)
    feeds = content.in_feeds(posts)
    statuses = Counter(r["status"] for r in run["requests"])
    crawl_stats = last_crawl(tree, data)
    page_paths = {pg.path for pg in pages}
    not_articles = sorted(path for path in rows if path not in wanted and not rows[path].get("removed"))
    return {
        "exit": run["exit"], "seconds": run["seconds"],
        "requests": len(run["requests"]), "requests_per_s": round(len(run["requests"]) / max(run["seconds"], 0.1), 1),
        "statuses": dict(sorted(statuses.items())),
        "stored": len(stored), "of": len(posts),
        "lost": [{"n": p.n, "path": p.path, "words": p.words, "short": p.short, "lang": p.lang,
                  "in_feeds": p.n in feeds, "missed": reasons.get(p.path, "(not in `missed`)")} for p in lost],
        "missed_lines": len(reasons),
        "static_pages_stored": sorted(path for path in not_articles if path in page_paths),
        "listing_pages_stored": sorted(path for path in not_articles if path not in page_paths),
        "extraction_failures": crawl_stats.get("extraction_failures"),
        "crawl_articles_said": crawl_stats.get("articles"),
        "empty_section": sum(1 for p in stored if not rows[p.path].get("section")),
        "empty_tags": sum(1 for p in stored if empty_list(rows[p.path].get("tags"))),
        "modified_recorded": sum(1 for p in stored if p.modified and rows[p.path].get("modified")),
        "with_modified": sum(1 for p in stored if p.modified),
        "titles_wrong": sum(1 for p in stored if rows[p.path]["title"] != p.title),
    }


def article_requests(run: dict, posts) -> list[str]:
    """The article pages asked in a run, with the answer's status."""
    paths = {p.path for p in posts}
    return sorted(f"{r['status']} {path_of(r['path'])}" for r in run["requests"] if path_of(r["path"]) in paths)


def kinds(asked: list[str]) -> dict[str, list[str]]:
    """The article pages asked in a run, by what the post is in the site's story, each as 'STATUS #n'."""
    from tests.pelican import content

    by_path = {p.path: p for p in content.edition1() + content.edition2()}
    out: dict[str, list[str]] = {}
    for line in asked:
        status, path = line.split(" ", 1)
        post = by_path[path]
        kind = ("deleted" if post.n == content.DELETED else "edited, new Modified" if post.n ==
                content.EDITED_WITH_MODIFIED else "edited, no new Modified" if post.n == content.EDITED_QUIETLY
                else "new" if post.n >= content.ARTICLES else "short" if post.short else "other")
        out.setdefault(kind, []).append(f"{status} #{post.n}")
    return out


def measure(tree: Path, follow_quiet_edit: bool = True) -> dict:
    from tests.pelican import content
    from tests.pelican.site import PelicanSite, pelican_missing

    if why := pelican_missing():
        raise SystemExit(why)
    work = Path(tempfile.mkdtemp(prefix="pelican-bench-"))
    site = PelicanSite(work / "site")
    site.build(1)
    site.start()
    data = work / "data"
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        first = crawl(tree, site, data, None)
        one = run_numbers(tree, data, first, content.edition1(), content.PAGES)
        site.build(2)
        second = crawl(tree, site, data, now + timedelta(days=RUN2_DAYS))
        two = run_numbers(tree, data, second, content.edition2(), content.PAGES)
        rows = archived(data)
        ed1 = {p.n: p for p in content.edition1()}
        new = [p for p in content.edition2() if p.n not in ed1]
        untouched = [p for p in content.edition2() if p.n in ed1 and p.n not in content.ADDENDUM]

        def versions(n: int) -> int | None:
            row = rows.get(ed1[n].path)
            return row["versions"] if row else None

        deleted = rows.get(ed1[content.DELETED].path)
        two.update({
            "new_stored": sum(1 for p in new if p.path in rows), "new": len(new),
            "edited_with_modified_versions": versions(content.EDITED_WITH_MODIFIED),
            "edited_quietly_versions": versions(content.EDITED_QUIETLY),
            "deleted_marked_removed": bool(deleted and deleted.get("removed")) if deleted else None,
            "untouched_one_version": sum(1 for p in untouched if p.path in rows and rows[p.path]["versions"] == 1),
            "untouched_stored": sum(1 for p in untouched if p.path in rows),
            "articles_asked": kinds(article_requests(second, content.edition2() + (ed1[content.DELETED],))),
        })
        third = crawl(tree, site, data, now + timedelta(days=RUN3_DAYS))
        three = run_numbers(tree, data, third, content.edition2(), content.PAGES)
        three["articles_asked"] = kinds(article_requests(third, content.edition2() + (ed1[content.DELETED],)))
        # the edit without a new Modified: a run a day (the clock moved) until it is seen, within the revisit period
        day, rows = RUN3_DAYS, archived(data)
        while follow_quiet_edit and versions(content.EDITED_QUIETLY) == 1 and day < RUN2_DAYS + QUIET_EDIT_DAYS:
            day += 1
            crawl(tree, site, data, now + timedelta(days=day))
            rows = archived(data)
        seen = (versions(content.EDITED_QUIETLY) or 0) > 1
        two["quiet_edit_seen_after_days"] = (day - RUN2_DAYS if day > RUN3_DAYS else
                                             (0 if two["edited_quietly_versions"] > 1 else 1)) if seen else None
    finally:
        site.stop()
    return {"tree": str(tree), "work": str(work), "runs": {"1 (edition 1)": one, f"2 (edition 2, +{RUN2_DAYS} d)": two,
                                                           f"3 (unchanged, +{RUN3_DAYS} d)": three}}


def report(result: dict) -> str:
    lines = [f"arshif of {result['tree']} (data and site in {result['work']})"]
    before: list = []
    for name, run in result["runs"].items():
        lines.append(f"\nrun {name}: exit {run['exit']}, {run['seconds']} s, {run['requests']} requests "
                     f"({run['requests_per_s']}/s), statuses {run['statuses']}")
        lines.append(f"  articles stored: {run['stored']} of {run['of']} (the crawl said {run['crawl_articles_said']},"
                     f" {run['extraction_failures']} extraction failures); `missed` lists {run['missed_lines']}")
        same, before = bool(before) and run["lost"] == before, run["lost"]
        if same:
            lines.append("    lost: the same as in the run before")
        for lost in () if same else run["lost"]:
            lines.append(f"    lost #{lost['n']} {lost['lang']} {lost['words']} words"
                         f"{' short' if lost['short'] else ''}{' in feeds' if lost['in_feeds'] else ' in no feed'}"
                         f": missed says {lost['missed']!r}  {lost['path']}")
        lines.append(f"  static pages stored as articles: {run['static_pages_stored']}")
        lines.append(f"  listing pages stored as articles: {run['listing_pages_stored']}")
        lines.append(f"  empty section: {run['empty_section']}, empty tags: {run['empty_tags']} (of {run['stored']});"
                     f" Modified recorded on {run['modified_recorded']} of {run['with_modified']}; "
                     f"titles wrong: {run['titles_wrong']}")
        if "new" in run:
            lines.append(f"  new stored: {run['new_stored']} of {run['new']}; edit with Modified: "
                         f"{run['edited_with_modified_versions']} versions; edit without Modified: "
                         f"{run['edited_quietly_versions']} versions; deleted marked removed: "
                         f"{run['deleted_marked_removed']}; untouched with one version: {run['untouched_one_version']}"
                         f" of {run['untouched_stored']} stored")
        if "articles_asked" in run:
            asked = run["articles_asked"]
            parts = [f"{kind} {len(v)} ({', '.join(v) if len(v) <= 4 else dict(Counter(a.split()[0] for a in v))})"
                     for kind, v in asked.items()]
            lines.append(f"  article pages asked: {sum(len(v) for v in asked.values())}: " + "; ".join(parts))
    return "\n".join(lines)


def run(baseline: str | None = BASELINE) -> dict:
    """`make bench`'s part: this tree's arshif, and `baseline`'s beside it (a git worktree) when given."""
    result = {"now": measure(ROOT)}
    if baseline:
        folder = Path(tempfile.mkdtemp(prefix="pelican-baseline-")) / "tree"
        tree = baseline_tree(baseline, folder)
        try:
            # (a run a day for the quiet edit would take the baseline's slow refresh 45 minutes: not followed)
            result["baseline"] = measure(tree, follow_quiet_edit=False) if tree is not None else None
        finally:
            drop_tree(folder)
        result["baseline_commit"] = baseline
    return result


ROWS = (("articles stored (of the site's)", lambda r: f"{r['stored']} of {r['of']}"),
        ("`missed` lines", lambda r: r["missed_lines"]),
        ("static or listing pages stored as articles",
         lambda r: len(r["static_pages_stored"]) + len(r["listing_pages_stored"])),
        ("articles with no section", lambda r: r["empty_section"]),
        ("articles with no tags", lambda r: r["empty_tags"]),
        ("articles with a Modified date recorded", lambda r: r["modified_recorded"]),
        ("extraction failures said", lambda r: r["extraction_failures"]),
        ("requests", lambda r: r["requests"]), ("requests per second", lambda r: r["requests_per_s"]))


def markdown(result: dict) -> str:
    """The part's section of docs/BENCHMARKS.md: each run, before issue 28 and now."""
    now, before = result["now"], result.get("baseline")
    names = list(now["runs"])
    head = "| | " + " | ".join(f"run {n}" for n in names) + " |"
    lines = ["### Pelican (issue 28): 120 articles (15 short briefs outside the feeds), 3 static pages, three runs", "",
             "tests/pelican/'s site (Pelican 4.12, its default theme, pelican-sitemap) served by nginx; run 2 crawls "
             f"edition 2 (4 new, an edit with a new Modified, one without, one deleted) with the clock {RUN2_DAYS} "
             f"days on, run 3 a day later with nothing changed. `python -m bench.pelican [--baseline COMMIT]`. "
             + (f"Each cell: {result['baseline_commit']} (before issue 28) → now." if before else ""), "",
             head, "|---|" + "---:|" * len(names)]
    for label, cell in ROWS:
        values = []
        for n in names:
            mine = cell(now["runs"][n])
            values.append(f"{cell(before['runs'][n])} → {mine}" if before and n in before["runs"] else f"{mine}")
        lines.append(f"| {label} | " + " | ".join(str(v) for v in values) + " |")
    two = now["runs"].get(names[1], {}) if len(names) > 1 else {}
    if "new" in two:
        edits = (f"edition 2 (now): new stored {two['new_stored']} of {two['new']}; the edit with Modified has "
                 f"{two['edited_with_modified_versions']} versions, the edit without one "
                 f"{two['edited_quietly_versions']} (seen {two.get('quiet_edit_seen_after_days')} day(s) after it, "
                 f"a run a day); the deleted one marked removed: {two['deleted_marked_removed']}; "
                 f"untouched articles with one version: {two['untouched_one_version']} of {two['untouched_stored']}")
        lines += ["", "- " + edits]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a commit whose arshif crawls the site, in a git worktree")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    folder = None
    tree = ROOT
    if args.baseline:
        folder = Path(tempfile.mkdtemp(prefix="pelican-baseline-")) / "tree"
        tree = baseline_tree(args.baseline, folder)
        if tree is None:
            raise SystemExit(f"cannot check out {args.baseline} in a worktree")
    try:
        result = measure(tree)
    finally:
        if folder:
            drop_tree(folder)
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else report(result))


if __name__ == "__main__":
    main()
