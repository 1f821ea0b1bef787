"""Care of the archive: `verify`, `backup`, `ingest`, `reextract`, `rebuild`, `reindex`."""

from __future__ import annotations

from pathlib import Path

import click

from archive.cli.options import (
    data_option,
    existing,
    locked,
    print_json,
    progress_bar,
    resolve_data_dir,
    say,
    with_warc,
)

OUTCOMES = (("new", "articles"), ("version", "later versions"), ("unchanged", "unchanged captures"),
            ("refreshed", "refreshed"), ("failed", "failed"))
# pages refused as articles by a rule (archive/pages/not_articles.py), said only when there are some
REFUSED = (("soft-404", "soft-404s"), ("truncated", "truncated"), ("too_large", "too large"))


def outcome_line(outcome) -> str:
    """An extraction's counts as `reextract`, `rebuild` and the docs spell them."""
    parts = [f"{outcome.get(k, 0)} {label}" for k, label in OUTCOMES]
    refused = [f"{outcome[k]} {label}" for k, label in REFUSED if outcome.get(k)]
    if refused:
        parts.append("refused as articles: " + ", ".join(refused))
    if "gained" in outcome:  # reextract: what detection decided differently from the archive's last extraction
        parts.append(f"{outcome['gained']} articles gained, {outcome['lost']} lost")
    return ", ".join(parts)


@click.command("verify")
@data_option
@click.option("--deep", is_flag=True, help="Also read every record and recompute its block and payload digests.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON array.")
@click.pass_context
def verify(ctx, data, deep, as_json):
    """Check that every database pointer resolves to its WARC record, and every file's fixity.

    \b
    Examples:
      arshif verify
      arshif verify --deep --json
    Exit status: 0 all good, 1 problems found (each names the file and record).
    """
    from archive.ops.verify import verify as run

    problems = run(existing(ctx, data), deep=deep, say=say)
    if as_json:
        print_json([p.as_dict() for p in problems])
    else:
        for problem in problems:
            click.echo(str(problem))
        say(f"{len(problems)} problem(s)" if problems else "archive verified: no problems")
    ctx.exit(1 if problems else 0)


@click.command("backup")
@data_option
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-warc", "no_warc", is_flag=True,
              help="Copy the database and write the fixity list only (the WARC files are copied some other way).")
@click.option("--rehash", is_flag=True,
              help="Read every WARC file already in DEST again to check its SHA-256 (by default a copy whose size "
                   "and mtime are those the last backup recorded is trusted).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def backup(ctx, data, dest, no_warc, rehash, as_json):
    """Back up the archive into DEST while a crawl may be running: a consistent copy of the database (SQLite's
    online backup, integrity-checked), the WARC files it references (after the first run only the new ones), and
    their fixity list, DEST/warc-fixity.sha256 (`cd DEST && sha256sum -c warc-fixity.sha256`).

    A file still being written is copied up to the last record the copied database references and keeps its
    .open suffix. DEST/backup.json describes the backup; DEST/backup.incomplete is there while one is under way.

    \b
    Examples:
      arshif backup /mnt/backup/arshif
      arshif --data /srv/arshif backup /mnt/backup/arshif --json
    Exit status: 0 done, 1 failed or incomplete (one line per problem), 2 usage.
    """
    from archive.ops.backup import BackupError
    from archive.ops.backup import backup as run

    data_dir = existing(ctx, data)
    say(f"backing up {data_dir} into {dest} …")
    update, finish = progress_bar("copying WARC files")
    try:
        report = run(data_dir, dest, progress=update, copy_warc=not no_warc, rehash=rehash)
    except BackupError as exc:
        finish()
        say(f"arshif backup: {exc}")
        ctx.exit(1)
    finish()
    if as_json:
        print_json(report.as_dict())
    for problem in report.problems:
        say(f"arshif backup: {problem}")
    say(("backup incomplete: " if report.problems else "backup done: ") + report.summary())
    ctx.exit(1 if report.problems else 0)


@click.command("reextract")
@data_option
@click.pass_context
def reextract(ctx, data):
    """Extract every article again from the captured records (after an extractor upgrade).

    Not an edit: the new extractor replaces the old one over the whole history, so only real text changes
    between captures make versions.

    \b
    Example:
      arshif reextract
    """
    from archive.ops.rebuild import reextract as run

    data_dir = existing(ctx, data)
    update, finish = progress_bar("re-extracting")
    with locked(data_dir, "reextract"):
        outcome = run(data_dir, progress=update)
    finish()
    say(outcome_line(outcome))


@click.command("rebuild")
@data_option
@click.pass_context
def rebuild(ctx, data):
    """Rebuild the whole database (captures, articles, versions) from the WARC files alone.

    The previous database is kept as archive.db.before-rebuild.

    \b
    Example:
      arshif --data /srv/arshif rebuild
    """
    from archive.ops.rebuild import rebuild as run

    data_dir = with_warc(ctx, data)
    update, finish = progress_bar("indexing WARC files")
    with locked(data_dir, "rebuild"):
        outcome = run(data_dir, progress=update)
    finish()
    say(f"{outcome.pop('captures')} records indexed; " + outcome_line(outcome))


@click.command("ingest")
@data_option
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def ingest(ctx, data, paths, as_json):
    """Take WARC files made elsewhere (the workers of a shared frontier) into this archive: each file copied into
    warc/ under its name, its records indexed, its articles and versions extracted as `arshif rebuild` does.

    PATHS are WARC files or directories of them; files still being written (.open) are left for later. A file
    already ingested (same name, size and SHA-256) is skipped, so ingesting twice changes nothing; a different
    file under a name the archive has is refused. Takes the data directory's lock.

    \b
    Examples:
      arshif --data /srv/arshif ingest /srv/incoming/w1/warc /srv/incoming/w2/warc
      arshif ingest arshif-20260101120000-w1-00000.warc.gz --json
    Exit status: 0 done, 1 a file was refused (each named) or the archive is busy, 2 usage.
    """
    from archive.ops.ingest import IngestError
    from archive.ops.ingest import ingest as run

    data_dir = resolve_data_dir(ctx, data)
    update, finish = progress_bar("copying and checking WARC files")
    update_rows, finish_rows = progress_bar("extracting articles")
    files_done: list[bool] = []

    def extracting(done: int, total: int) -> None:
        if not files_done:  # the first bar ends where the second begins
            files_done.append(True)
            finish()
        update_rows(done, total)

    with locked(data_dir, "ingest"):
        try:
            report = run(data_dir, paths, progress=update, extract_progress=extracting)
        except IngestError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            if not files_done:
                finish()
            finish_rows()
    if as_json:
        print_json(report.as_dict())
    for problem in report.problems:
        say(f"arshif ingest: refused {problem}")
    if report.skipped_open:
        say(f"arshif ingest: {len(report.skipped_open)} file(s) still being written (.open) left for later")
    say(report.summary())
    ctx.exit(1 if report.problems else 0)


@click.command("reindex")
@data_option
@click.pass_context
def reindex(ctx, data):
    """Build the search index again from the stored article text (after a normaliser upgrade; search does it by
    itself when it finds the index stale). A running crawl waits for it.

    \b
    Example:
      arshif reindex
    """
    from archive.ops.searching import reindex as run

    data_dir = existing(ctx, data)
    update, indexed = progress_bar("indexing articles")
    lists, listed = progress_bar("building search lists")
    phase = {"lists": False}

    def lists_update(done: int, total: int) -> None:
        if not phase["lists"]:
            phase["lists"] = True
            indexed()
        lists(done, total)
    try:
        count = run(data_dir, progress=update, lists_progress=lists_update)
    finally:
        if not phase["lists"]:
            indexed()
        listed()
    say(f"{count} article versions indexed")
