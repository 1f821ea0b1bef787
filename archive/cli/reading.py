"""Research and the archive's state: `search`, `export`, `stats`, `missed`. `search` and `stats` start in 0.15 s:
this module imports nothing at its top but click and the shared options."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archive.cli.options import data_option, existing, fail, filters, indexing, pieces, print_json, say, search_filters


@click.command("search", context_settings={"ignore_unknown_options": True})
@data_option
@click.argument("words", nargs=-1, required=True)
@search_filters
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance",
              show_default=True)
@click.option("--count-by", type=click.Choice(["month", "section"]),
              help="Print the number of matching articles per month or section instead of the hits.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Hits to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits (or counts) as JSON.")
@click.pass_context
def search(ctx, data, words, lang, section, tag, author, since, until, all_versions, sort, count_by, limit,
           as_json):
    """Search the articles' full text, in Arabic or Italian.

    Matching ignores tashkeel and tatweel, alef and hamza forms, ة/ه and ى/ي, the digit script, and the article
    and clitics (الأسد finds والأسد، للأسد، «الأسد»); Italian ignores accents and singular/plural.

    \b
    WORDS: words (all must match), "an exact phrase", -word to exclude, OR between words, prefix*.
    Quote a phrase twice for the shell: '"الممر الإنساني"'.

    \b
    Examples:
      arshif search الأسد
      arshif search '"الممر الإنساني" -غزة' --since 2021-09 --sort newest
      arshif search 'ميلانو OR روما' --section سياسة --json
      arshif search بوتين --count-by month
    """
    from archive.ops import searching
    from archive.search.query import QueryError

    query = " ".join(words)
    data_dir = existing(ctx, data)
    wanted = filters(lang, section, tag, author, since, until)
    try:
        with indexing() as update:
            if count_by:
                counts = searching.count_by(data_dir, query, count_by, wanted, all_versions, update, say)
            else:
                found = searching.search(data_dir, query, wanted, sort, all_versions, limit, total=not as_json,
                                         progress=update, say=say)
    except QueryError as exc:
        fail(ctx, str(exc))
    if count_by:
        if as_json:
            print_json(counts.as_list(), indent=2)
        elif not counts.counts:
            say(f"no results for {query}")
        for line in [] if as_json else counts.lines():
            click.echo(line)
        return
    if as_json:
        print_json(found.as_list(), indent=2)
        return
    if not found.hits:
        say(found.summary(limit))
        return
    tty = sys.stdout.isatty()
    for block in found.blocks(lambda segments: pieces(segments, tty)):
        click.echo(block)
    say(found.summary(limit))


@click.command("export")
@data_option
@click.argument("query", required=False)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "wacz"]), required=True,
              help="JSON Lines, CSV, or WACZ (the articles' captures, for ReplayWeb.page and pywb).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--requisites/--no-requisites", default=True, show_default=True,
              help="WACZ only: carry each capture's stylesheets, scripts, body images and the fonts and images its "
                   "stylesheets name, as captured nearest to it (without: the captures and the lead image).")
@search_filters
@click.pass_context
def export(ctx, data, query, fmt, output, requisites, lang, section, tag, author, since, until, all_versions):
    """Export articles, one per line (JSON Lines) or row (CSV, UTF-8 with BOM), with their metadata and body.

    With a QUERY (the language of `arshif search`), the matching articles, best first; without one, every
    article that passes the filters, newest first.

    \b
    Examples:
      arshif export --format jsonl --output articles.jsonl --lang ar --since 2024-01-01
      arshif export 'الأسد -بوتين' --format csv -o assad.csv --section سياسة
    """
    from archive.export.articles import articles, write, write_wacz
    from archive.ops.searching import ensure_index
    from archive.search.query import QueryError

    data_dir = existing(ctx, data)
    if query is not None:
        with indexing() as update:
            ensure_index(data_dir, update, say)
    wanted = filters(lang, section, tag, author, since, until)
    try:
        if fmt == "wacz":
            written = write_wacz(data_dir, Path(output), query, wanted, all_versions, requisites=requisites, say=say)
            count = written.pages
            if written.requisites_missing or written.unreadable:
                say(f"{written.requisites_missing} requisites named by the exported pages were never captured; "
                    f"{written.unreadable} pages or stylesheets could not be read (damaged records: `arshif "
                    "verify`)")
        else:
            count = write(articles(data_dir, query, wanted, all_versions, say), fmt, Path(output),
                          with_query=query is not None)
    except QueryError as exc:
        fail(ctx, str(exc))
    say(f"{count} articles written to {output}")


@click.command("missed")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print the pages as a JSON array.")
@click.pass_context
def missed(ctx, data, as_json):
    """Pages the site lists as posts that are not stored as articles, with the reason.

    A page counts when a sitemap of posts or a posts feed lists it and it was fetched with 200, yet detection
    decided it is not an article (noindex, a copy of another page, no article signal) or its title or body could
    not be read. `arshif reextract` runs detection again over every captured page.

    \b
    Examples:
      arshif missed
      arshif missed --json
    """
    from archive.ops.missed import missed_pages

    report = missed_pages(existing(ctx, data), say)
    if as_json:
        print_json(report.as_list())
        return
    for page in report.pages:
        click.echo(page.line())
    say(report.summary())


@click.command("stats")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.pass_context
def stats(ctx, data, as_json):
    """Counts of articles, versions, captures and WARC files; languages, sections; the last crawls.

    \b
    Examples:
      arshif stats
      arshif stats --json
    """
    from archive.ops.stats import stats as compute

    result = compute(existing(ctx, data), on_upgrade=say)
    if as_json:
        print_json(result)
        return
    for line in stats_lines(result):
        click.echo(line)


def stats_lines(result: dict) -> list[str]:
    """`arshif stats` without --json (docs/reference.md, arshif stats)."""
    from archive.core.durations import format_duration

    lines = [f"articles {result['articles']} · versions {result['versions']} · captures {result['captures']} · "
             f"WARC files {result['warc_files']} ({result['warc_bytes'] / 1e6:.1f} MB)",
             f"published {result['first_published']} … {result['last_published']}"]
    if result["missed_posts"]:
        lines.append(f"listed as posts but not stored as articles: {result['missed_posts']} (arshif missed)")
    if result["refused_posts"]:
        lines.append(f"listed as posts, refused as articles by a rule (not lost): {result['refused_posts']} ("
                     + ", ".join(f"{n} {rule}" for rule, n in result["refused_reasons"].items() if n)
                     + "; arshif missed)")
    limited = result["removal_checks"]
    if limited["limited_runs"]:
        lines.append(f"removal checks limited since {limited['limited_since']} ({limited['limited_runs']} runs with "
                     "a sitemap or feed failing)")
    revisits = result["revisits"]
    if revisits["oldest_check"]:
        lines.append(f"articles looked at within {revisits['period_days']:g} days: "
                     f"{revisits['checked_within_period']:.0%}; the longest unchecked since {revisits['oldest_check']}"
                     + (f"; {revisits['left_out_last_run']} due revisits left out by the last run's budget"
                        if revisits["left_out_last_run"] else ""))
    lines.append("languages: " + ", ".join(f"{k} {v}" for k, v in result["languages"].items()))
    lines.append("sections: " + "، ".join(f"{k} {v}" for k, v in result["sections"].items()))
    last = result["last_success"]
    lines.append(f"last successful crawl: {format_duration(last['age_seconds'])} ago (crawl {last['id']}, finished "
                 f"{last['finished']})" if last else "last successful crawl: none yet")
    for crawl in result["crawls"]:
        lines.append(f"crawl {crawl['id']}: {crawl['started']} {crawl['status']} (exit {crawl['exit_code']}), "
                     f"{crawl['pages']} pages, {crawl['new_articles']} new articles, {crawl['new_versions']} new "
                     f"versions, {crawl['extraction_failures']} extraction failures")
    return lines
