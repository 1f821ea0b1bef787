"""The `arshif` command: a group that imports a command's module only when that command runs, so that `search`,
`show` and `stats` load nothing of the crawl. Each module parses options, calls one library function and prints
what it returns; library errors become one line and an exit status there (docs/reference.md)."""

from __future__ import annotations

import importlib
import sys

import click

from archive import __version__
from archive.cli.options import DATA_HELP

# command → (module under archive.cli, the one line `arshif --help` shows: kept here so that --help imports none)
COMMANDS: dict[str, tuple[str, str]] = {
    "crawl": ("crawling", "Crawl the site into the archive."),
    "schedule": ("crawling", "Crawl at an interval until stopped."),
    "replica": ("crawling", "Serve the deterministic replica of the site on loopback."),
    "ingest": ("maintenance", "Take WARC files made elsewhere into this archive."),
    "verify": ("maintenance", "Check every database pointer and every file's fixity."),
    "backup": ("maintenance", "Back up the archive, also while a crawl runs."),
    "reextract": ("maintenance", "Extract every article again from the captured records."),
    "rebuild": ("maintenance", "Rebuild the whole database from the WARC files alone."),
    "reindex": ("maintenance", "Build the search index again."),
    "search": ("reading", "Search the articles' full text, in Arabic or Italian."),
    "export": ("reading", "Export articles as JSON Lines, CSV or WACZ."),
    "stats": ("reading", "Counts, languages, sections, the last crawls."),
    "missed": ("reading", "Pages listed as posts that are not stored as articles."),
    "profile": ("profile", "The article profile learned of each site: show it or reset it."),
    "snapshots": ("history", "Every capture of a URL, oldest first."),
    "show": ("history", "What a URL looked like at a moment."),
    "diff": ("history", "What changed in an article between two versions."),
    "changes": ("history", "Articles edited or removed since a date."),
    "serve": ("serving", "The archive in a browser."),
}


class LazyGroup(click.Group):
    """Commands listed from COMMANDS, each loaded from its module when it runs (or its --help is asked for)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__name__}.{COMMANDS[cmd_name][0]}")
        return getattr(module, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--data", "data", metavar="DIR", default=None, help=DATA_HELP)
@click.version_option(__version__, prog_name="arshif")
@click.pass_context
def cli(ctx: click.Context, data: str | None) -> None:
    """arshif — archive الإيطالية نيوز: WARC capture, clean articles, Arabic full-text search.

    \b
    Example:
      arshif replica --port 8000 --articles 200
    """
    ctx.obj = {"data": data}


def main() -> None:
    from archive.core.sizes import ConfigurationError
    from archive.store.database import StoreError

    try:
        cli(prog_name="arshif")
    except StoreError as exc:  # a database we must not touch: say so in one line
        click.echo(f"arshif: {exc}", err=True)
        sys.exit(1)
    except ConfigurationError as exc:  # an environment variable the commands cannot run with
        click.echo(f"arshif: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
