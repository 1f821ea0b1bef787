"""What the commands share: the data directory option, the search filters, the progress bar, and the turning of
library errors into one line and an exit status."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from archive.core.paths import DATABASE, data_dir, database, warc_dir

DATA_HELP = "Data directory (default: $ARSHIF_DATA, else ./arshif-data)."


def resolve_data_dir(ctx: click.Context, value: str | None) -> Path:
    """`--data` after the command wins, then `--data` before it, then $ARSHIF_DATA, then ./arshif-data."""
    root = ctx.find_root()
    return data_dir(value or (root.obj or {}).get("data"))


def data_option(command):
    return click.option("--data", "data", metavar="DIR", default=None, help=DATA_HELP)(command)


def existing(ctx: click.Context, data: str | None) -> Path:
    """The data directory of an archive that exists: else exit 1, `no archive at DIR`."""
    found = resolve_data_dir(ctx, data)
    if not database(found).exists():
        raise click.ClickException(f"no archive at {found} ({DATABASE} not found)")
    return found


def with_warc(ctx: click.Context, data: str | None) -> Path:
    """The data directory of an archive that has WARC files: else exit 1."""
    found = resolve_data_dir(ctx, data)
    if not warc_dir(found).is_dir():
        raise click.ClickException(f"no WARC files under {warc_dir(found)}")
    return found


def fail(ctx: click.Context, message: str) -> NoReturn:
    """A query, filter or moment that cannot run: one line and exit status 2 (a usage error)."""
    click.echo(f"arshif: {message}", err=True)
    ctx.exit(2)


def not_found(ctx: click.Context, exc: Exception) -> NoReturn:
    """Nothing in the archive for what was asked: one line and exit status 1."""
    click.echo(f"arshif: {exc}", err=True)
    ctx.exit(1)


def say(line: str) -> None:
    """A message for the user, on standard error (standard output is for results)."""
    click.echo(line, err=True)


def print_json(value, indent: int = 1) -> None:
    """JSON on standard output, Arabic as is."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=indent))


def progress_bar(label: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A progress bar on a terminal (click's), nothing otherwise; returns (callback, finish)."""
    state: dict = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
            state["done"] = 0
        if total != state["bar"].length:   # a later phase of the same work makes it longer
            state["bar"].length = total
        state["bar"].update(done - state["done"])
        state["done"] = done

    def finish() -> None:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)

    return update, finish


@contextmanager
def indexing() -> Iterator[Callable[[int, int], None]]:
    """The progress callback of a search index being built."""
    update, finish = progress_bar("indexing articles")
    try:
        yield update
    finally:
        finish()


@contextmanager
def locked(data: Path, purpose: str) -> Iterator[None]:
    """The data directory's lock for a command that rewrites the archive: a running crawl makes it exit 1."""
    from archive.core.lock import DataLock, LockHeld

    lock = DataLock(data, purpose=purpose)
    try:
        lock.acquire()
    except LockHeld as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield
    finally:
        lock.release()


def search_filters(command):
    """The filters `search` and `export` share (docs/reference.md, arshif search)."""
    for option in reversed([
        click.option("--lang", type=click.Choice(["ar", "it"]), help="Only articles in this language."),
        click.option("--section", metavar="S", help="Only this section (as the site names it; ال optional)."),
        click.option("--tag", metavar="T", help="Only articles with this tag."),
        click.option("--author", metavar="A", help="Only articles by an author whose name contains A."),
        click.option("--since", metavar="DATE", help="Published on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
        click.option("--until", metavar="DATE", help="Published on or before DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
        click.option("--all-versions", is_flag=True, help="Also search earlier versions of edited articles."),
    ]):
        command = option(command)
    return command


def filters(lang, section, tag, author, since, until):
    from archive.search.searcher import Filters

    return Filters(lang=lang, section=section, tag=tag, author=author, since=since, until=until)


def pieces(segments, tty: bool) -> str:
    """Marked words (search's matches) in colour on a terminal, in [ ] when piped."""
    if tty:
        return "".join(click.style(text, fg="yellow", bold=True) if hit else text for text, hit in segments)
    from archive.search.snippets import bracketed

    return bracketed(segments)
