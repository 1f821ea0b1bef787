"""The charts of docs/BENCHMARKS.md, drawn from the saved result dicts (the shapes in docs/benchmarks.json).

A chart shows what the tables make hard to see: a memory curve's shape, and ratios of 10× and more between arshif
and the tool it is compared with. matplotlib is an optional extra (`pip install arshif[bench]`); without it the
page is written without charts.
"""

from __future__ import annotations

from pathlib import Path

MIN_PAGES = 2000  # as bench.memory: below it, start-up and one large page decide a memory curve
ARSHIF, OTHER = "#1f6f8b", "#c9772b"  # arshif's colour, and the colour of what it is compared with


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on a build machine
    import matplotlib.pyplot as plt

    return plt


def _num(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def _bars(ax, labels: list[str], series: list[tuple[str, list[float], str]], fmt=_num) -> None:
    """Grouped bars, each bar with its value on top (a log axis makes heights hard to read)."""
    width = 0.8 / len(series)
    for k, (name, values, colour) in enumerate(series):
        xs = [i + (k - (len(series) - 1) / 2) * width for i in range(len(labels))]
        bars = ax.bar(xs, values, width, label=name, color=colour)
        ax.bar_label(bars, [fmt(v) for v in values], fontsize=7, padding=1)
    ax.set_xticks(range(len(labels)), labels)
    ax.grid(axis="y", alpha=0.3)


def memory(result: dict, path: Path) -> Path:
    """RSS against pages crawled: a flat line after start-up means nothing accumulates per page."""
    plt = _pyplot()
    samples = result["samples"]
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    ax.plot([s[2] for s in samples], [s[1] for s in samples], color=ARSHIF, lw=1.5, label="arshif crawl, RSS")
    shares = []  # where the table's values were read: the first sample at or past each share of the pages
    for share in result["rss_at_share_mb"]:
        hit = next((s for s in samples if s[2] >= int(share) / 100 * result["pages"]), samples[-1])
        shares.append((hit[2], hit[1]))
    ax.plot([x for x, _ in shares], [y for _, y in shares], "o", color=OTHER, ms=4,
            label="at " + ", ".join(result["rss_at_share_mb"]) + "% of the pages")
    ax.set_ylim(bottom=0, top=max(s[1] for s in samples) * 1.1)
    html_end = result.get("html_done_at_page")
    if html_end and html_end < result["pages"] * 0.95:
        ax.axvspan(html_end, result["pages"], color="grey", alpha=0.1, lw=0)
        ax.annotate("lead images only", (html_end, ax.get_ylim()[1]), fontsize=8, color="grey", va="top",
                    xytext=(4, -4), textcoords="offset points")
    large = result.get("largest_page")
    if large:
        ax.axvline(large["at_page"], color="grey", ls=":", lw=1)
        ax.annotate(f"largest response, {large['mb']:.1f} MB", (large["at_page"], 0), fontsize=8, color="grey",
                    xytext=(4, 6), textcoords="offset points")
    ax.set_xlabel("pages crawled")
    ax.set_ylabel("RSS, MB")
    ax.legend(fontsize=8, loc="upper left")
    html_slope = result.get("slope_html_phase_mb_per_1000_pages")
    slopes = (f"MB per 1,000 pages: {result['slope_mb_per_1000_pages']:+.2f} over the second half"
              + (f", {html_slope:+.2f} while HTML is fetched (net of the step)" if html_slope is not None else ""))
    ax.set_title(f"Memory over a {result['articles']:,}-article crawl\n"
                 + (slopes if result["pages"] >= MIN_PAGES else "too few pages for a slope"), fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def crawl(result: dict, path: Path) -> Path:
    """Pages/s and CPU ms/page, arshif beside wget --mirror, at 50 ms latency and with none."""
    plt = _pyplot()
    settings = [(k, label) for k, label in (("latency_50", "50 ms latency"), ("latency_0", "no latency (nginx)"))
                if result.get(k)]
    labels = [label for _, label in settings]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), dpi=100)
    for ax, metric, title in ((axes[0], "pages_per_s", "pages/s (higher is better)"),
                              (axes[1], "cpu_ms_per_page", "CPU ms per page (lower is better)")):
        _bars(ax, labels, [("arshif", [result[k]["arshif"][metric] for k, _ in settings], ARSHIF),
                           ("wget --mirror", [result[k]["wget"][metric] for k, _ in settings], OTHER)])
        ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Crawl of a {result['articles']:,}-article replica", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def search(result: dict, path: Path) -> Path:
    """Query latency per class on a log axis: FTS5 and a LIKE scan differ by orders of magnitude both ways."""
    plt = _pyplot()
    classes = result["classes"]
    labels = list(classes)
    fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
    _bars(ax, labels, [
        ("arshif p50", [classes[c]["p50_ms"] for c in labels], ARSHIF),
        ("arshif p95", [classes[c]["p95_ms"] for c in labels], "#7fb3c8"),
        ("LIKE p50", [classes[c]["like_p50_ms"] for c in labels], OTHER),
        ("LIKE p95", [classes[c]["like_p95_ms"] for c in labels], "#e8b98a"),
    ])
    ax.set_yscale("log")
    top = max(max(c["p95_ms"], c["like_p95_ms"]) for c in classes.values())
    ax.set_ylim(top=top * 3)  # room for the values over the tallest bars
    ax.set_ylabel("ms per query (log scale)")
    ax.set_title(f"Search latency at {result['articles']:,} articles: arshif (FTS5, bm25, snippets) vs LIKE scan",
                 fontsize=10)
    ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.08), frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def incremental(result: dict, path: Path) -> Path:
    """What the second crawl costs the server for each new or edited article, arshif beside wget --mirror -N."""
    plt = _pyplot()
    changed = result["changed"]
    n = max(changed["new"] + changed["edited"], 1)
    second = result["edition_2"]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.8), dpi=100)
    for ax, key, scale, title in ((axes[0], "requests", 1, "requests per new or edited article"),
                                  (axes[1], "bytes", 1e3, "kB sent per new or edited article")):
        values = [second["arshif"][key] / scale / n, second["wget"][key] / scale / n]
        bars = ax.bar(["arshif crawl", "wget --mirror -N"], values, color=[ARSHIF, OTHER], width=0.6)
        ax.bar_label(bars, [f"{v:.1f}" for v in values], fontsize=8, padding=1)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"Re-crawl after the site changed ({result['articles']:,} articles; {changed['new']} new, "
                 f"{changed['edited']} edited)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


CHARTS = {"memory": memory, "crawl": crawl, "search": search, "incremental": incremental}


def render(results: dict, outdir: Path, suffix: str = "") -> dict[str, str]:
    """Draw every chart whose results exist; the file names written, by part (none without matplotlib)."""
    try:
        _pyplot()
    except ImportError:
        return {}
    written = {}
    for part, draw in CHARTS.items():
        if results.get(part):
            name = f"{part}{suffix}.png"
            draw(results[part], outdir / name)
            written[part] = name
    return written
