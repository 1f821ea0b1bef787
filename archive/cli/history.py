"""Snapshots: `snapshots`, `show`, `diff`, `changes`. `show` starts in 0.15 s: nothing heavy at this module's top."""

from __future__ import annotations

import sys

import click

from archive.cli.options import data_option, existing, fail, not_found, print_json, say


@click.command("snapshots")
@data_option
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the captures as a JSON array.")
@click.pass_context
def snapshots(ctx, data, url, as_json):
    """Every capture of URL (in any of its forms: raw Arabic, escapes, utm_*, ?m=1 …), oldest first.

    \b
    Examples:
      arshif snapshots 'http://127.0.0.1:8765/2021/09/14/…/'
      arshif snapshots URL --json
    """
    from archive.history.lookup import capture_list

    found = capture_list(existing(ctx, data), url, say)
    if as_json:
        print_json(found.as_list(), indent=2)
        return
    if not found.captures:
        not_found(ctx, found.summary())
    for line in found.lines():
        click.echo(line)
    say(found.summary())


@click.command("show")
@data_option
@click.argument("url")
@click.option("--at", metavar="TIMESTAMP", help="The capture nearest this moment (YYYY … YYYYMMDDhhmmss).")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "warc"]), default="text", show_default=True,
              help="The article text with its metadata, the archived HTML, or the raw WARC record.")
@click.pass_context
def show(ctx, data, url, at, fmt):
    """What URL looked like: the capture nearest --at (the latest by default), as the Wayback Machine picks it.

    A revisit shows the response it refers to. The text is the article version in effect at that capture.

    \b
    Examples:
      arshif show URL
      arshif show URL --at 2021 --format html > page.html
      arshif show URL --at 20260101120000 --format warc | warcio index -
    """
    from archive.history.lookup import BadTimestamp, page_at, record_at
    from archive.history.snapshots import NotArchived
    from archive.history.versions import article_at

    data_dir = existing(ctx, data)
    try:
        if fmt == "text":
            click.echo(article_at(data_dir, url, at, say).text())
            return
        sys.stdout.buffer.write((record_at if fmt == "warc" else page_at)(data_dir, url, at, say))
    except BadTimestamp as exc:
        fail(ctx, f"--at: {exc}")
    except NotArchived as exc:
        not_found(ctx, exc)


def _pieces(pieces, tty: bool) -> str:
    """Diff pieces: removed in red and struck through, added in green; piped, [-…-] and {+…+}."""
    out = []
    for op, text in pieces:
        if op == "=":
            out.append(text)
        elif tty:
            out.append(click.style(text, fg="red", strikethrough=True) if op == "-" else
                       click.style(text, fg="green", bold=True))
        else:
            out.append(f"[-{text}-]" if op == "-" else f"{{+{text}+}}")
    return " ".join(out)


@click.command("diff")
@data_option
@click.argument("url")
@click.option("--from", "from_", metavar="TIMESTAMP", help="The version in effect then (default: the one before).")
@click.option("--to", metavar="TIMESTAMP", help="The version in effect then (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the change as JSON pieces.")
@click.pass_context
def diff(ctx, data, url, from_, to, as_json):
    """What changed in an article's title and text between two versions, word by word.

    Removed words in red (piped: [-…-]), added in green (piped: {+…+}), long unchanged stretches shortened.

    \b
    Examples:
      arshif diff URL
      arshif diff URL --from 2021-09 --to 2022
    """
    from archive.history.lookup import BadTimestamp
    from archive.history.snapshots import NotArchived
    from archive.history.versions import diff as compare

    try:
        change = compare(existing(ctx, data), url, from_, to, say)
    except NotArchived as exc:
        not_found(ctx, exc)
    except BadTimestamp as exc:
        fail(ctx, str(exc))
    if as_json:
        print_json(change.as_dict(), indent=2)
        return
    click.echo(change.heading())
    if change.same:
        say("the same version: nothing changed")
        return
    tty = sys.stdout.isatty()
    click.echo()
    click.echo(_pieces(change.title, tty))
    click.echo()
    click.echo(_pieces(change.shortened_body(), tty))


@click.command("changes")
@data_option
@click.option("--since", metavar="DATE", help="From this date (YYYY … YYYYMMDDhhmmss or YYYY-MM-DD); "
              "default: seven days ago.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as a JSON array.")
@click.pass_context
def changes(ctx, data, since, as_json):
    """Articles edited (title or text) or removed from the site since a date, newest first: the weekly
    "stealth edits" report. A newer extractor is not an edit.

    \b
    Examples:
      arshif changes
      arshif changes --since 2026-11 --json
    """
    from archive.history.lookup import BadTimestamp
    from archive.history.versions import changes_since

    try:
        report = changes_since(existing(ctx, data), since, say)
    except BadTimestamp as exc:
        fail(ctx, f"--since: {exc}")
    if as_json:
        print_json(report.as_list(), indent=2)
        return
    if not report.changes:
        say(report.summary())
    for line in report.lines():
        click.echo(line)
