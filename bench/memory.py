"""Memory over a long crawl: does arshif's RSS stay flat as the archive grows, or does something accumulate per page?

One `arshif crawl` of a large replica runs as a child process; every second its resident set (VmRSS of the process
and of any children) and the pages fetched so far (the lines of the crawl's `*.crawl.log`, one per fetch) are
sampled. A leak shows as a slope: the result gives RSS at fixed shares of the pages, the peak, and the slope over
the second half in MB per 1,000 pages (the first half holds start-up, the imports and the caches filling).

The site is the Python replica with no latency: it renders a page in a few ms where arshif spends ~15 ms of CPU,
so it is not the bottleneck, and it starts at once, where `--export` of 20,000 articles for nginx writes 1.5 GB in
about 7 minutes.

Run: .venv/bin/python -m bench.memory [--articles 20000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.crawl_vs_wget import ROOT, free_port, start_replica

SHARES = (10, 25, 50, 75, 100)


def _vmrss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:", 1)[1].split()[0]) if "VmRSS:" in status else 0  # a zombie has none


def descendants(pid: int) -> list[int]:
    """The process ids below pid, from the parent field of /proc/*/stat (this kernel has no task/*/children)."""
    parent: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parent.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        below = parent.get(todo.pop(), [])
        out += below
        todo += below
    return out


def tree_rss_kb(pid: int) -> int:
    """VmRSS of pid and its descendants, in kB (0 once it is gone): a worker pool would hide memory from the leader."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            total += _vmrss_kb(p)
        except (OSError, ValueError, IndexError):
            continue
    return total


class LineCounter:
    """Counts the fetches in the crawl logs as they grow (all, and HTML pages), reading only whole lines appended
    since the last call."""

    def __init__(self, logs: Path):
        self.logs, self.offsets, self.lines, self.html = logs, {}, 0, 0

    def __call__(self) -> tuple[int, int]:
        for path in self.logs.glob("*.crawl.log"):
            try:
                with path.open("rb") as f:
                    f.seek(self.offsets.get(path, 0))
                    chunk = f.read()
            except OSError:
                continue
            chunk = chunk[:chunk.rfind(b"\n") + 1]  # a line still being written is counted next time
            self.offsets[path] = self.offsets.get(path, 0) + len(chunk)
            self.lines += chunk.count(b"\n")
            self.html += chunk.count(b" text/html ")
        return self.lines, self.html


def slope_per_1000(samples: list[list[float]], start_pages: float, end_pages: float = float("inf")) -> float:
    """Least-squares MB per 1,000 pages over the samples from start_pages to end_pages."""
    points = [(s[2], s[1]) for s in samples if start_pages <= s[2] <= end_pages]
    if len(points) < 3:
        return 0.0
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if not sxx:
        return 0.0
    return 1000 * sum((x - mx) * (y - my) for x, y in points) / sxx


def slope_with_step(samples: list[list[float]], start: float, end: float, step_at: float | None,
                    margin: float) -> tuple[float, float]:
    """MB per 1,000 pages from start to end, net of a one-off step at step_at (a common slope, an intercept on each
    side of it), and the step in MB. The samples within margin pages of the step, taken while that page is parsed,
    are left out."""
    groups: list[list[tuple[float, float]]] = [[], []]
    for s in samples:
        x, y = s[2], s[1]
        if start <= x <= end and (step_at is None or abs(x - step_at) > margin):
            groups[step_at is not None and x > step_at].append((x, y))
    means = [(sum(x for x, _ in g) / len(g), sum(y for _, y in g) / len(g)) if g else (0.0, 0.0) for g in groups]
    sxx = sum((x - m[0]) ** 2 for g, m in zip(groups, means, strict=True) for x, _ in g)
    if len(groups[0]) + len(groups[1]) < 3 or not sxx:
        return 0.0, 0.0
    slope = sum((x - m[0]) * (y - m[1]) for g, m in zip(groups, means, strict=True) for x, y in g) / sxx
    if not (groups[0] and groups[1]):
        return 1000 * slope, 0.0
    step = (means[1][1] - slope * means[1][0]) - (means[0][1] - slope * means[0][0])
    return 1000 * slope, step


def summarise(samples: list[list[float]], pages: int, html_done_at: int | None,
              step_at: int | None = None) -> dict:
    """RSS at shares of the pages, the peak, and two slopes: over the second half (as asked), and over the HTML
    phase after start-up. arshif fetches every article before the lead images (they queue at a lower priority),
    so on a big site the second half can be images alone, and a cost per article shows only in the first."""
    at = {}
    for share in SHARES:
        due = share / 100 * pages
        hit = next((s for s in samples if s[2] >= due), samples[-1] if samples else None)
        at[str(share)] = round(hit[1], 1) if hit else None
    html_slope, step = slope_with_step(samples, pages / 10, html_done_at or pages, step_at, pages / 100)
    return {"rss_at_share_mb": at, "peak_sampled_rss_mb": round(max((s[1] for s in samples), default=0), 1),
            "slope_mb_per_1000_pages": round(slope_per_1000(samples, pages / 2), 3),
            "slope_html_phase_mb_per_1000_pages": round(html_slope, 3), "step_at_largest_page_mb": round(step, 1)}


def crawl_sampled(site: str, data: Path, interval: float = 1.0) -> dict:
    """Run one crawl to its end, sampling [seconds, RSS MB, pages, HTML pages] every interval."""
    cmd = [sys.executable, "-m", "archive", "--data", str(data), "crawl", "--site", site]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    count = LineCounter(data / "logs")
    samples: list[list[float]] = []
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss = tree_rss_kb(proc.pid)
        if rss:
            samples.append([round(time.monotonic() - started, 2), round(rss / 1024, 1), *count()])
        time.sleep(interval)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    pages, html = count()
    return {"wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "exit": proc.returncode, "pages": pages,
            "html_pages": html, **crawl_log_facts(data / "logs"), "samples": samples}


def crawl_log_facts(logs: Path) -> dict:
    """Where the crawl fetched its largest page, and where 99% of its HTML pages were in (a straggler, such as a
    retried page, may come last). Parsing a page of megabytes raises RSS in one step, a high-water mark rather
    than a leak; the chart marks it, and shades the phase of images alone."""
    best, at, html = None, 0, []
    for path in sorted(logs.glob("*.crawl.log")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            at += 1
            fields = line.split()
            if len(fields) > 3 and fields[2].isdigit() and (best is None or int(fields[2]) > best[0]):
                best = (int(fields[2]), at, fields[3])
            if " text/html " in line:
                html.append(at)
    return {"largest_page": {"mb": round(best[0] / 1e6, 1), "at_page": best[1], "url": best[2]} if best else None,
            "html_done_at_page": html[max(0, -(-len(html) * 99 // 100) - 1)] if html else None}


def result(crawl: dict, articles: int, server: str = "the replica with no latency") -> dict:
    """The saved result of a sampled crawl (crawl_sampled's dict): the numbers the page and the chart show."""
    pages = crawl["pages"]
    return {"articles": articles, "server": server, **crawl,
            **summarise(crawl["samples"], pages, crawl["html_done_at_page"],
                        (crawl.get("largest_page") or {}).get("at_page")),
            "pages_per_s": round(pages / crawl["wall_s"], 1) if crawl["wall_s"] else 0,
            "cpu_ms_per_page": round(1000 * crawl["cpu_s"] / pages, 1) if pages else 0}


def run(articles: int = 20_000, interval: float = 1.0) -> dict:
    with tempfile.TemporaryDirectory(prefix="arshif-bench-mem-") as tmp:
        port, cdn = free_port(), free_port()
        server = start_replica(articles, 0, port, cdn)
        try:
            crawl = crawl_sampled(f"http://127.0.0.1:{port}/", Path(tmp) / "data", interval)
        finally:
            server.terminate()
            server.wait()
    return result(crawl, articles)


FLAT = 0.5  # MB per 1,000 pages: 50 MB over 100,000 pages, a few per cent of what a crawl holds anyway
MIN_PAGES = 2000


def markdown(r: dict) -> str:
    at = r["rss_at_share_mb"]
    slope = r["slope_mb_per_1000_pages"]
    html_slope = r.get("slope_html_phase_mb_per_1000_pages")
    few = r["pages"] < MIN_PAGES

    def per_1000(value: float) -> str:
        return "—" if few else f"{value:+.2f} MB per 1,000 pages"
    html_end = r.get("html_done_at_page")
    lines = [f"### Memory over a {r['articles']:,}-article crawl ({r['pages']:,} pages)", "",
             "arshif's resident set (process and children), sampled every second while one `arshif crawl` runs "
             f"against {r.get('server', 'the replica with no latency')}.", "",
             "| pages crawled | " + " | ".join(f"{s}%" for s in SHARES) + " | peak | slope, 2nd half |"
             + (" slope, HTML phase |" if html_slope is not None else ""),
             "|---|" + "---:|" * (len(SHARES) + 2 + (html_slope is not None)),
             "| RSS MB | " + " | ".join(f"{at[str(s)]}" if at.get(str(s)) is not None else "—" for s in SHARES)
             + f" | {max(r['peak_rss_mb'], r['peak_sampled_rss_mb']):.0f} | {per_1000(slope)} |"
             + (f" {per_1000(html_slope)} |" if html_slope is not None else ""), "",
             f"{r['pages_per_s']} pages/s, {r['cpu_ms_per_page']} ms of CPU a page, {r['wall_s']:.0f} s in all "
             f"(exit status {r['exit']}).", ""]
    text = (f"Over the second half ({r['pages'] - r['pages'] // 2:,} pages) RSS moves {slope:+.2f} MB per 1,000 "
            f"pages: {slope * 100:+.0f} MB for 100,000 more such pages.")
    if html_end and html_slope is not None:
        text += (f" The last HTML page is page {html_end:,} (each article's lead image is fetched right after it); "
                 f"from 10% of the pages to that point RSS grows {html_slope:+.2f} MB per 1,000 pages")
        large = r.get("largest_page") if r.get("step_at_largest_page_mb", 0) >= 5 else None
        text += (f", besides a one-off step of {r.get('step_at_largest_page_mb', 0):+.0f} MB at the largest "
                 f"response ({large['mb']:.1f} MB, page {large['at_page']:,}: the replica's one very large article; "
                 "the allocator keeps what parsing it took, a high-water mark)." if large else ".")
    if few:
        text = (f"Too few pages ({r['pages']:,}) for a slope to mean anything: start-up and the replica's one very "
                "large article decide the curve.")
    elif abs(slope) < FLAT and (html_slope is None or abs(html_slope) < FLAT):
        text += " **Flat.**"
    elif abs(slope) < FLAT:
        text += (f" **Flat in the second half; not flat while articles are fetched** (more than {FLAT} MB per "
                 "1,000 pages).")
    else:
        text += f" **Not flat** (more than {FLAT} MB per 1,000 pages)."
    lines += [text, ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=None, help="replica size (default 20,000; 2,000 with --quick)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    result = run(args.articles or (2000 if args.quick else 20_000))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    shown = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(shown, indent=1))
    print(markdown(result))


if __name__ == "__main__":
    main()
