"""The second crawl, after the site changed (edition 2: new articles, edited ones, one removed): what arshif's
incremental crawl asks of the server, beside what `wget --mirror -N` needs to bring its mirror up to date.

Both crawl edition 1 first; then the replica restarts at edition 2 on the same ports and both crawl again. The
replica's request log counts each crawler's requests and the bytes the server sent. (wget gets no `--warc-file`:
it turns timestamping off when it writes WARC, so a WARC-writing wget would download everything again.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.crawl_vs_wget import ROOT, USER_AGENT, free_port, run_measured


def _replica(articles: int, edition: int, port: int, cdn: int, log: Path, manifest: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "archive", "replica", "--port", str(port), "--cdn-port", str(cdn),
                             "--articles", str(articles), "--edition", str(edition), "--log", str(log),
                             "--manifest", str(manifest)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    return proc


def _lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def _cost(requests: list[dict], agent: str) -> dict:
    mine = [r for r in requests if (r.get("user_agent") or "").startswith(agent)]
    return {"requests": len(mine), "bytes": sum(r["bytes"] for r in mine),
            "article_requests": sum(r["kind"] == "article" for r in mine),
            "full_articles": sum(r["kind"] == "article" and r["status"] == 200 for r in mine),
            "not_modified": sum(r["status"] == 304 for r in mine),
            "conditional": sum(bool(r.get("if_none_match") or r.get("if_modified_since")) for r in mine)}


def run(articles: int = 2000) -> dict:
    if not shutil.which("wget"):
        raise SystemExit("wget is not installed")
    with tempfile.TemporaryDirectory(prefix="arshif-bench-incr-") as tmp:
        work = Path(tmp)
        port, cdn = free_port(), free_port()
        log, manifest = work / "requests.jsonl", work / "manifest.json"
        site = f"http://127.0.0.1:{port}/"
        data, mirror = work / "arshif", work / "wget"
        mirror.mkdir()
        wget = ["wget", "--mirror", "--no-parent", "-e", "robots=on", "--compression=auto", "--no-verbose",
                f"--user-agent={USER_AGENT}", "-P", str(mirror), site]
        arshif = [sys.executable, "-m", "archive", "--data", str(data), "crawl", "--site", site]
        out: dict = {"articles": articles}
        for edition in (1, 2):
            server = _replica(articles, edition, port, cdn, log, manifest)
            try:
                start = len(_lines(log)) if log.exists() else 0
                a = run_measured(arshif)
                w = run_measured(wget, cwd=mirror)
                requests = _lines(log)[start:]
            finally:
                server.terminate()
                server.wait()
            out[f"edition_{edition}"] = {"arshif": {**a, **_cost(requests, "arshif/")},
                                         "wget": {**w, **_cost(requests, USER_AGENT)}}
        changes = json.loads(manifest.read_text(encoding="utf-8"))["changes"]
        out["changed"] = {"new": len(changes["new"]), "edited": len(changes["edited"]),
                          "removed": len(changes["removed"])}
        conn = __import__("sqlite3").connect(data / "archive.db")
        out["arshif_archive"] = {
            "versions_2": conn.execute("SELECT count(*) FROM articles WHERE versions = 2").fetchone()[0],
            "removed": conn.execute("SELECT count(*) FROM articles WHERE removed IS NOT NULL").fetchone()[0],
            "articles": conn.execute("SELECT count(*) FROM articles").fetchone()[0]}
        conn.close()
    return out


def markdown(result: dict) -> str:
    changed = result["changed"]
    n = changed["new"] + changed["edited"]
    second = result["edition_2"]
    lines = [f"### Incremental re-crawl after the site changed ({result['articles']:,}-article replica, edition 2: "
             f"{changed['new']} new, {changed['edited']} edited, {changed['removed']} removed)", "",
             "Both crawled edition 1 first; the numbers are for the second crawl. Bytes are what the server sent.", "",
             "| crawler | requests | requests per new or edited article | MB sent | kB per new or edited article | "
             "articles sent in full | 304 answers | wall s |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, label in (("arshif", "arshif crawl (incremental)"), ("wget", "wget --mirror -N")):
        r = second[name]
        lines.append(f"| {label} | {r['requests']} | {r['requests'] / max(n, 1):.1f} | {r['bytes'] / 1e6:.1f} | "
                     f"{r['bytes'] / 1e3 / max(n, 1):.1f} | {r['full_articles']} | {r['not_modified']} | "
                     f"{r['wall_s']:.1f} |")
    a, w = second["arshif"], second["wget"]
    lines.append(f"| **ratio arshif/wget** | {a['requests'] / max(w['requests'], 1):.3f}× | | "
                 f"{a['bytes'] / max(w['bytes'], 1):.3f}× | | | | {a['wall_s'] / max(w['wall_s'], 1e-9):.2f}× |")
    arch = result["arshif_archive"]
    lines += ["", f"arshif's archive after the second crawl: {arch['versions_2']} articles with a second version "
              f"(edited: {changed['edited']}), {arch['removed']} marked removed (removed: {changed['removed']}). "
              "wget re-downloads every page that has no `Last-Modified` (home, sections, tags, monthly archives, "
              "their pages, the `?m=1` and tracking-parameter variants it mirrors as separate files) and asks each "
              "article with `If-Modified-Since`; arshif reads the sitemaps (304 when unchanged, its archived copy "
              "then read), fetches only the articles whose `lastmod` moved — conditionally — and re-checks the ones "
              "the sitemaps no longer list.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    result = run(size)
    print(json.dumps(result, indent=1))
    print(markdown(result))
