"""Issue 28's acceptance on real text: a Pelican site of real Arabic news crawled once, every article accounted for.

The articles are a seeded sample of the ANT corpus (bench/corpus.py: five Arabic news sites of 2018, each source,
section and length class in its share, so about three in ten are under 150 words), published as Markdown posts of
the Pelican site of tests/pelican/site.py (Pelican 4.12, its default theme, pelican-sitemap, feeds of the 100 newest,
the three static pages of tests/pelican/content.py) with their own title, date, author, the section as category,
and tags: the source site, the countries the title names, the body's hashtags. Served by nginx, crawled once by
`arshif crawl` as a new user would. Reported: articles stored of all, by length class; each one not stored with
what `arshif missed --json` says of it (or that it says nothing) and the detection the archive recorded; pages that
are not posts stored as articles; stored articles with an empty section or no tags; the crawl's seconds and
requests. Not part of `make test`; `make bench` runs it as the part `pelican_real`. Needs the corpus
($ARSHIF_REAL_CORPUS or the `fetch` mirror), `make install` (.venv-pelican) and nginx.

Run: .venv/bin/python -m bench.pelican_real [--articles 2000] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bench import corpus
from bench.pelican import ROOT, archived, crawl, missed, path_of, run_numbers

if TYPE_CHECKING:
    from tests.pelican.content import Post

ARTICLES = 2000
SITE_TIMEZONE = ZoneInfo("Europe/Rome")  # tests/pelican/site.py's TIMEZONE: Pelican reads a post's Date in it
SECTIONS = {"culture": "ثقافة", "economy": "اقتصاد", "internationalNews": "العالم", "middleEast": "الشرق الأوسط",
            "sport": "رياضة", "technology": "تكنولوجيا"}  # the corpus's own Arabic names for its categories
SOURCES = {"Alarabia": "العربية نت", "BBC": "بي بي سي عربي", "CNN": "سي إن إن بالعربية", "France24": "فرانس 24",
           "SkyNews": "سكاي نيوز عربية"}
PLACES = ("مصر", "السعودية", "الإمارات", "قطر", "الكويت", "البحرين", "اليمن", "العراق", "سوريا", "لبنان",
          "الأردن", "فلسطين", "غزة", "إسرائيل", "إيران", "تركيا", "ليبيا", "تونس", "الجزائر", "المغرب", "السودان",
          "روسيا", "الصين", "فرنسا", "ألمانيا", "بريطانيا", "أمريكا", "واشنطن", "كوريا", "اليابان", "الهند")
MAX_TAGS = 5
_HASHTAG = re.compile(r"#(\w+)")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]#|>])")  # what Python-Markdown (with `extra`) reads as markup in a line
_LIST_ITEM = re.compile(r"^(\d+)\. ")


def tags(record: corpus.Record) -> tuple[str, ...]:
    """The source site, the places the title names, then the body's hashtags (Alarabia tags its text so)."""
    found = [SOURCES.get(record.source, record.source), *(p for p in PLACES if p in record.title)]
    found += [h.replace("_", " ").strip() for p in record.paragraphs for h in _HASHTAG.findall(p)]
    found = [t for t in found if t and "," not in t]  # Pelican splits Tags at commas
    return tuple(dict.fromkeys(found))[:MAX_TAGS]


def markdown_text(paragraph: str) -> str:
    """A paragraph of plain text written in Markdown so that Pelican shows it as it was: `#hashtags`, `*`, `_`
    and brackets escaped, `&` and `<` as entities, nothing at its start read as a list item, a rule or a
    definition."""
    text = _MARKDOWN.sub(r"\\\1", paragraph.replace("&", "&amp;").replace("<", "&lt;"))
    text = _LIST_ITEM.sub(r"\1\\. ", text)
    if text.startswith(("-", "+")):  # a list item, or a rule (a line of dashes)
        text = "\\" + text
    return "&#58;" + text[1:] if text.startswith(": ") else text


def posts(records: list[corpus.Record]) -> tuple[Post, ...]:
    """The records as tests/pelican/content.py's Posts, numbered oldest first, slugs made as content.py makes them
    (a repeated title gets its number); `short` marks an article under corpus.SHORT_WORDS words."""
    from replica.content import slugify
    from tests.pelican.content import Post

    slugs: dict[str, int] = {}
    out = []
    for n, record in enumerate(records):
        slug = slugify(record.title, "ar")
        if slugs.setdefault(slug, n) != n:
            slug = f"{slug}-{n}"
        out.append(Post(n, "ar", record.title, slug, SECTIONS.get(record.section, record.section), tags(record),
                        record.author, record.date.astimezone(SITE_TIMEZONE), None,
                        tuple(markdown_text(p) for p in record.paragraphs), record.words < corpus.SHORT_WORDS))
    return tuple(out)


def detections(data: Path) -> dict[str, dict]:
    """The urls table by URL path: what detection said of each page at its last fetch, and the lists naming it."""
    with sqlite3.connect(data / "archive.db") as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM urls").fetchall()
    keep = ("detection", "is_article", "source", "listed_as_post", "listed_in_sitemap", "listed_by")
    return {path_of(r["canonical"]): {k: r[k] for k in keep if k in r.keys()} for r in rows}


def words(text: str) -> list[str]:
    """The text's words as a reader sees them: in NFC (a shadda and a fatha in either order are one letter), without
    the invisible direction marks (Unicode Cf) that a stored body drops."""
    return "".join(ch for ch in unicodedata.normalize("NFC", text) if unicodedata.category(ch) != "Cf").split()


def same_minute(stored: str | None, date: datetime) -> bool:
    return bool(stored) and datetime.fromisoformat(stored).replace(second=0) == date.replace(second=0)


def measure(articles: int = ARTICLES, tree: Path = ROOT) -> dict:
    """The numbers; {"skipped": why} when the corpus, Pelican or nginx is not on this machine."""
    import pytest

    from tests.pelican import content
    from tests.pelican.site import PelicanSite, pelican_missing

    try:
        records = corpus.sample(articles)
    except corpus.CorpusMissing as e:
        return {"skipped": f"corpus missing (set {corpus.ENV})", "why": str(e)}
    if why := pelican_missing():
        return {"skipped": why}
    site_posts = posts(records)
    work = Path(tempfile.mkdtemp(prefix="pelican-real-"))
    site = PelicanSite(work / "site", posts=lambda edition: site_posts)
    started = time.monotonic()
    site.build(1)
    build_seconds = time.monotonic() - started
    try:
        site.start()
    except pytest.skip.Exception as e:  # nginx is not installed here
        return {"skipped": str(e.msg)}
    data = work / "data"
    try:
        run = crawl(tree, site, data, None)
        numbers = run_numbers(tree, data, run, site_posts, content.PAGES)
    finally:
        site.stop()
    rows, seen, said = archived(data), detections(data), missed(tree, data)
    post_paths = {p.path for p in site_posts}
    by_n = dict(enumerate(records))
    for lost in numbers["lost"]:
        record = by_n[lost["n"]]
        lost.update({"id": record.id, "source": record.source, "section": record.section, "title": record.title,
                     **{f"url_{k}": v for k, v in seen.get(lost["path"], {}).items()}})
    stored = [p for p in site_posts if p.path in rows]
    numbers.update({
        "articles": len(site_posts), "build_seconds": round(build_seconds, 1), "corpus": str(corpus.locate()),
        "sample": corpus.summary(records),
        "by_length": {name: {"stored": sum(1 for p in site_posts if p.short == short and p.path in rows),
                             "of": sum(1 for p in site_posts if p.short == short)}
                      for name, short in ((f"under {corpus.SHORT_WORDS} words", True),
                                          (f"{corpus.SHORT_WORDS} words or more", False))},
        "lost_reasons": dict(Counter(lost["missed"] for lost in numbers["lost"]).most_common()),
        "lost_detection": dict(Counter(str(lost.get("url_detection")) for lost in numbers["lost"]).most_common()),
        "missed_not_posts": sorted(f"{reason}\t{path}" for path, reason in said.items() if path not in post_paths),
        "titles_wrong": sum(1 for p in stored if words(rows[p.path]["title"] or "") != words(p.title)),
        "dates_wrong": sum(1 for p in stored if not same_minute(rows[p.path].get("published"), p.date)),
        "sections_wrong": sum(1 for p in stored if rows[p.path].get("section") not in (None, "", p.category)),
        "bodies_exact": sum(1 for p in stored if words(rows[p.path]["body"]) == words(" ".join(by_n[p.n].paragraphs))),
    })
    return {"work": str(work), **numbers}


def share(stored: int, of: int) -> str:
    return f"{stored / of:.1%}" if of else "–"


def markdown(result: dict) -> str:
    """The part of docs/BENCHMARKS.md."""
    if result.get("skipped"):
        why = f" ({result['why']})" if result.get("why") else ""
        return f"### Pelican with real text (issue 28)\n\nskipped: {result['skipped']}{why}\n"
    sample, n = result["sample"], result["articles"]
    sources = ", ".join(f"{k} {v}" for k, v in sample["by_source"].items())
    lines = [
        f"### Pelican with real text (issue 28): {n:,} real Arabic news articles crawled once", "",
        f"`python -m bench.pelican_real --articles {n}`: a seeded sample of the ANT corpus "
        f"(antcorpus/antcorpus.multisource.data, read where `fetch` put it; {sources}; {sample['first'][:10]} to "
        f"{sample['last'][:10]}; median {sample['median_words']} words), each source, section and length in its "
        "share, published by Pelican 4.12 with its default theme, pelican-sitemap, feeds of the 100 newest and three "
        "static pages (tests/pelican/site.py); category = the corpus's section, tags = the source, places in the "
        f"title, hashtags. Built in {result['build_seconds']:.0f} s, served by nginx, crawled once by `arshif crawl`.",
        "",
        "| articles | stored | of | share |", "|---|---:|---:|---:|",
        *(f"| {name} | {c['stored']:,} | {c['of']:,} | {share(c['stored'], c['of'])} |"
          for name, c in result["by_length"].items()),
        f"| **all** | **{result['stored']:,}** | **{result['of']:,}** | **{share(result['stored'], result['of'])}** |",
        "",
        f"- crawl: {result['seconds']} s, {result['requests']:,} requests ({result['requests_per_s']}/s), statuses "
        f"{result['statuses']}, exit {result['exit']}; the crawl's own count: {result['crawl_articles_said']} article "
        f"pages (stats `articles`: the pages it judged articles, those its profile refused at the close among them), "
        f"{result['extraction_failures']} extraction failure(s)",
        f"- `arshif missed` lists {result['missed_lines']} page(s); of the {len(result['lost'])} article(s) not "
        "stored it says: " + (", ".join(f"{why!r} {k}" for why, k in result["lost_reasons"].items()) or "–")
        + "; detection recorded for them (urls.detection): "
        + (", ".join(f"{why!r} {k}" for why, k in result["lost_detection"].items()) or "–"),
        f"- pages that are not posts stored as articles: static {result['static_pages_stored'] or 'none'}, "
        f"listings {result['listing_pages_stored'] or 'none'}; pages `missed` lists that are not posts: "
        + (", ".join(line.replace("\t", " ") for line in result["missed_not_posts"]) or "none"),
        f"- stored articles with an empty section: {result['empty_section']}, no tags: {result['empty_tags']}, "
        f"another section: {result['sections_wrong']}; title wrong: {result['titles_wrong']}, date wrong: "
        f"{result['dates_wrong']}; body word for word as published (NFC, direction marks aside): "
        f"{result['bodies_exact']:,} of {result['stored']:,}",
        "",
    ]
    if result["lost"]:
        lines += ["<details><summary>The articles not stored, each with what <code>arshif missed</code> says"
                  "</summary>", "",
                  "| corpus id | words | in a feed | `missed` says | detection | path |", "|---|---:|---|---|---|---|"]
        lines += [f"| {lost['id']} | {lost['words']} | {'yes' if lost['in_feeds'] else 'no'} | {lost['missed']} | "
                  f"{lost.get('url_detection')} | {lost['path']} |" for lost in result["lost"]]
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def report(result: dict) -> str:
    if result.get("skipped"):
        return f"bench.pelican_real: skipped: {result['skipped']} ({result.get('why', '')})"
    table = markdown(result).split("\n\n", 2)[2].split("<details>")[0].rstrip()
    lines = [table, f"(data and site in {result['work']})"]
    lines += [f"  not stored: {lost['id']}, {lost['words']} words{', in a feed' if lost['in_feeds'] else ''}: missed "
              f"says {lost['missed']!r}, detection {lost.get('url_detection')!r}  {lost['path']}"
              for lost in result["lost"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=ARTICLES, help="how many corpus articles the site publishes")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    result = measure(args.articles)
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else report(result))
    if result.get("skipped"):
        sys.exit(2)


if __name__ == "__main__":
    main()
