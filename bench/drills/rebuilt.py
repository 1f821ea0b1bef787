"""Drill 4: the database deleted and rebuilt from the WARC files alone (docs/archiving.md, reextract and
rebuild: "the archive's last line of defence"), on an archive with history: edition 1 crawled, then edition 2
(new, edited and removed articles) on the same origin, then a `--refresh` crawl (304 answers: server-not-modified
revisits).

What the rebuilt database must give back is what users see: the articles with their text and metadata, their
versions, the captures (the pointers into the WARC files) and the search results, in order, for every labelled
query of the search tests, with and without `--all-versions`. Row ids, crawl statistics and the urls table (the
crawler's memory of discovery) are not in the WARC files and are not compared.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from pathlib import Path

from bench.drills.common import DrillResult, Replica, arshif, sample, seconds, warc_files
from tests.search_queries import labelled_queries

ARTICLE_FIELDS = ("title", "body", "published", "section", "lang", "versions", "removed")
CAPTURE_FIELDS = ("record_type", "warc_file", "offset", "length", "status", "digest", "canonical", "timestamp")


def snapshot(db: Path) -> dict[str, dict]:
    conn = sqlite3.connect(db)
    try:
        return {
            "articles": {r[0]: r[1:] for r in conn.execute(
                "SELECT canonical, title, body, published, section, lang, versions, removed IS NOT NULL "
                "FROM articles")},
            "versions": {(r[0], r[1]): r[2] for r in conn.execute(
                "SELECT a.canonical, v.version, v.digest FROM article_versions v JOIN articles a "
                "ON a.id = v.article_id")},
            "captures": {r[0]: r[1:] for r in conn.execute(
                f"SELECT record_id, {', '.join(CAPTURE_FIELDS)} FROM captures")},
            "files": {r[0]: r[1:] for r in conn.execute("SELECT name, size, sha256, records FROM warc_files")},
        }
    finally:
        conn.close()


def searches(data: Path, queries) -> dict[str, list[str] | str]:
    """Each labelled query's hit URLs in order (in this process, as the search tests run them: the real command)."""
    from click.testing import CliRunner

    from archive.cli import cli

    out: dict[str, list[str] | str] = {}
    for q in queries:
        for extra in ([], ["--all-versions"]):
            result = CliRunner().invoke(cli, ["--data", str(data), "search", *q.args, *extra, "--json", "--limit",
                                              "10000"])
            key = q.label + (" --all-versions" if extra else "")
            out[key] = ([h["url"] for h in json.loads(result.stdout)] if result.exit_code == 0 else
                        f"exit {result.exit_code}: {result.stderr.strip()[-200:]}")
    return out


def _crawl(result: DrillResult, data: Path, replica: Replica, label: str, *extra: str) -> None:
    started = time.monotonic()
    run = arshif(data, "crawl", "--site", replica.url + "/", "--warc-max-size", "5M", *extra)
    result.number(f"crawl {label}", f"exit {run.returncode} in {seconds(time.monotonic() - started)}")
    result.check(f"the crawl {label} exits 0", run.returncode == 0, run.stderr[-600:])


def run(work: Path, quick: bool, seed: int) -> DrillResult:
    articles = 120 if quick else 1000
    result = DrillResult("rebuild", "the database deleted and rebuilt from the WARC files alone")
    data = work / "data"
    with Replica(work / "replica", articles) as replica:
        result.done.append(f"replica with {articles} articles: `arshif crawl --warc-max-size 5M` of edition 1; the "
                           "replica restarted with `--edition 2` on the same ports; a crawl of edition 2, then one "
                           "with `--refresh`")
        _crawl(result, data, replica, "of edition 1")
        replica.restart(edition=2)
        _crawl(result, data, replica, "of edition 2")
        _crawl(result, data, replica, "of edition 2 with --refresh", "--refresh")
        manifest = replica.manifest()
    original = snapshot(data / "archive.db")
    _edition_seen(result, manifest, original)
    queries = labelled_queries(manifest)
    before = searches(data, queries)

    conn = sqlite3.connect(data / "archive.db")
    conn.backup(aside := sqlite3.connect(work / "archive.db.original"))
    aside.close()
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        (data / f"archive.db{suffix}").unlink(missing_ok=True)
    files = warc_files(data)
    result.done.append(f"archive.db copied aside, then deleted with its -wal and -shm; `arshif rebuild` from the "
                       f"{len(files)} WARC files ({sum(p.stat().st_size for p in files) / 2**20:.1f} MiB)")
    started = time.monotonic()
    rebuild = arshif(data, "rebuild")
    result.number("`arshif rebuild`", f"exit {rebuild.returncode} in {seconds(time.monotonic() - started)}: "
                                      f"{rebuild.stderr.strip().splitlines()[-1] if rebuild.stderr.strip() else ''}")
    if not result.check("`arshif rebuild` exits 0", rebuild.returncode == 0, rebuild.stderr[-800:]):
        return result
    verify = arshif(data, "verify", "--deep")
    result.check("`arshif verify --deep` exits 0 on the rebuilt database", verify.returncode == 0,
                 (verify.stdout + verify.stderr)[-600:])
    rebuilt = snapshot(data / "archive.db")
    after = searches(data, queries)
    _compare(result, original, rebuilt, before, after, len(queries))
    return result


def _edition_seen(result: DrillResult, manifest: dict, original: dict) -> None:
    """The archive holds the history the rebuild must give back (else the comparison would prove little)."""
    changes = manifest["changes"]
    arts = original["articles"]
    versions = Counter(canonical for canonical, _ in original["versions"])
    edited = [u for u in changes["edited"] if versions[_url(u)] < 2]
    removed = [u for u in changes["removed"] if not arts.get(_url(u), (0,) * 7)[6]]
    new = [u for u in changes["new"] if _url(u) not in arts]
    result.number("edition 2", f"{len(changes['new'])} new, {len(changes['edited'])} edited, "
                               f"{len(changes['removed'])} removed articles")
    result.number("original database", f"{len(arts):,} articles, {len(original['versions']):,} versions, "
                                       f"{len(original['captures']):,} captures, {len(original['files'])} WARC files")
    result.check("before the rebuild: every edited article has 2 versions, the removed one is marked removed, the "
                 "new ones are there", not (edited or removed or new),
                 f"edited with 1 version: {sample(map(_url, edited))}; removed not marked: "
                 f"{sample(map(_url, removed))}; new missing: {sample(map(_url, new))}")


def _url(entry) -> str:
    return entry["url"] if isinstance(entry, dict) else entry


def _compare(result: DrillResult, original: dict, rebuilt: dict, before: dict, after: dict, queries: int) -> None:
    result.number("rebuilt database", f"{len(rebuilt['articles']):,} articles, {len(rebuilt['versions']):,} "
                                      f"versions, {len(rebuilt['captures']):,} captures, "
                                      f"{len(rebuilt['files'])} WARC files")
    for table, fields in (("articles", ARTICLE_FIELDS), ("versions", ("digest",)), ("captures", CAPTURE_FIELDS),
                          ("files", ("size", "sha256", "records"))):
        a, b = original[table], rebuilt[table]
        missing, extra = set(a) - set(b), set(b) - set(a)
        differing: Counter = Counter()
        examples: list[str] = []
        for key in set(a) & set(b):
            va = a[key] if isinstance(a[key], tuple) else (a[key],)
            vb = b[key] if isinstance(b[key], tuple) else (b[key],)
            for name, x, y in zip(fields, va, vb, strict=True):
                if x != y:
                    differing[name] += 1
                    if len(examples) < 3:
                        examples.append(f"{key} {name}: {str(x)[:80]!r} → {str(y)[:80]!r}")
        what = {"articles": "articles (canonical, title, body, published, section, lang, versions count, removed "
                            "flag)",
                "versions": "article versions (article, version, digest)",
                "captures": "captures (record id, type, file, offset, length, status, digest, canonical, timestamp)",
                "files": "WARC files (name, size, SHA-256, records)"}[table]
        result.check(f"{what}: the same {len(a):,}", not (missing or extra or differing),
                     f"missing {len(missing)} ({sample(map(str, missing), 2)}), extra {len(extra)} "
                     f"({sample(map(str, extra), 2)}), differing {dict(differing)}: {'; '.join(examples)}")
    differ = [k for k in before if before[k] != after.get(k)]
    failed = [k for k, v in before.items() if isinstance(v, str)]
    hits = sum(len(v) for v in before.values() if isinstance(v, list))
    result.number("search results compared", f"{len(before)} runs ({queries} labelled queries, each with and "
                                             f"without --all-versions), {hits:,} hits in all")
    result.check("every labelled query returns the same URLs in the same order", not differ,
                 "; ".join(f"{k}: {str(before[k])[:150]} → {str(after.get(k))[:150]}" for k in differ[:3]))
    result.check("every labelled query ran (exit 0)", not failed, "; ".join(f"{k}: {before[k]}" for k in failed[:3]))
