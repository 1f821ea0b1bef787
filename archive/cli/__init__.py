"""The `arshif` command: thin click commands over library functions, errors turned into one line here."""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import click

from archive import __version__

DEFAULT_DATA = "arshif-data"


def resolve_data_dir(ctx: click.Context, value: str | None) -> Path:
    """`--data` after the command wins, then `--data` before it, then $ARSHIF_DATA, then ./arshif-data."""
    if value:
        return Path(value)
    root = ctx.find_root()
    if root.obj and root.obj.get("data"):
        return Path(root.obj["data"])
    return Path(os.environ.get("ARSHIF_DATA") or DEFAULT_DATA)


def data_option(command):
    return click.option("--data", "data", metavar="DIR", default=None,
                        help="Data directory (default: $ARSHIF_DATA, else ./arshif-data).")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--data", "data", metavar="DIR", default=None,
              help="Data directory (default: $ARSHIF_DATA, else ./arshif-data).")
@click.version_option(__version__, prog_name="arshif")
@click.pass_context
def cli(ctx: click.Context, data: str | None) -> None:
    """arshif — archive الإيطالية نيوز: WARC capture, clean articles, Arabic full-text search.

    \b
    Example:
      arshif replica --port 8000 --articles 200
    """
    ctx.obj = {"data": data}


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=int, help="Port of the site; 0 picks a free one.")
@click.option("--cdn-port", default=None, type=int,
              help="Port of the image host (second origin); default: --port + 1, or a free one with --port 0.")
@click.option("--articles", default=200, show_default=True, type=click.IntRange(min=20))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--edition", default=1, show_default=True, type=click.Choice(["1", "2"]))
@click.option("--theme", default="wordpress", show_default=True, type=click.Choice(["wordpress", "blogger"]))
@click.option("--faults", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of article URLs that fail (500 once, 2 s stall, cut body once, wrong charset).")
@click.option("--latency", "latency_ms", default=0, show_default=True, type=click.IntRange(min=0),
              help="Delay every response by this many milliseconds.")
@click.option("--without", "without", multiple=True,
              type=click.Choice(["sitemap", "feeds", "articles", "body", "validators"]),
              help="Serve the site without its sitemaps or feeds (404), to test discovery from other sources; "
                   "'articles': sitemaps, feeds and listings list no article; 'body': article pages carry no "
                   "text (a redesign that renders them with scripts); 'validators': no ETag or Last-Modified "
                   "and never a 304, as WordPress serves its pages.")
@click.option("--manifest", type=click.Path(dir_okay=False, writable=True),
              help="Write the ground-truth manifest (JSON) here.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False, writable=True),
              help="Append one JSON line per request here.")
@click.option("--export", "export_dir", type=click.Path(file_okay=False),
              help="Write the whole site as static files (for nginx) into DIR, then exit.")
def replica(host, port, cdn_port, articles, seed, edition, theme, faults, latency_ms, without, manifest, log_path,
            export_dir):
    """Serve the deterministic replica of the site on loopback.

    The first line printed is the site's URL; the second the image host's.

    \b
    Examples:
      arshif replica --port 0 --articles 200 --theme blogger --manifest m.json
      arshif replica --port 8000 --edition 2 --log requests.jsonl
    """
    from replica import manifest as manifest_module
    from replica.server import Replica, ReplicaConfig

    if cdn_port is None:
        cdn_port = port + 1 if port else 0
    config = ReplicaConfig(articles=articles, seed=seed, edition=int(edition), theme=theme, faults=faults,
                           latency_ms=latency_ms, host=host, port=port, cdn_port=cdn_port, without=tuple(without))
    if export_dir:
        from replica.export import export_site

        if not port:
            raise click.UsageError("--export needs the --port (and --cdn-port) the copy will be served on.")
        count = export_site(config, Path(export_dir))
        click.echo(f"exported {count} files to {export_dir} (nginx config: {export_dir}/nginx.conf)")
        return
    log_stream = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115 - lives as long as the server
    try:
        server = Replica(config, log=log_stream)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    if manifest:
        with open(manifest, "w", encoding="utf-8") as out:
            manifest_module.write(server.app, out)
    server.start()
    click.echo(f"{server.url}/", nl=True)
    click.echo(f"images: {server.cdn_url}/")
    click.echo(f"{theme} theme, edition {edition}, {len(server.app.site.live)} articles, seed {seed}"
               + (f", faults {faults}" if faults else "") + (f", latency {latency_ms} ms" if latency_ms else ""))
    sys.stdout.flush()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()
    if log_stream:
        log_stream.close()


@cli.command()
@data_option
@click.option("--site", metavar="URL", help="The site to crawl (default: the ARSHIF_SITE setting).")
@click.option("--warc-max-size", metavar="SIZE", default="1G", show_default=True,
              help="Start a new WARC file past this size (e.g. 500M, 1G).")
@click.option("--max-articles", type=click.IntRange(min=1), default=None,
              help="Fetch at most this many articles (assets and discovery pages are not counted; with --frontier, "
                   "the whole fleet's budget).")
@click.option("--assets/--no-assets", default=True, show_default=True,
              help="Capture the lead image and stylesheets of article pages.")
@click.option("--refresh", is_flag=True, help="Fetch every known article again, changed or not.")
@click.option("--fresh", is_flag=True,
              help="Ignore what the archive holds and capture everything again (identical payloads become revisits).")
@click.option("--frontier", metavar="redis://HOST:PORT/DB",
              help="Share the frontier (queue and duplicate filter) in Redis with the other workers started with "
                   "it and the same site: each URL is fetched by one of them. Each worker has its own --data.")
@click.option("--worker", metavar="ID",
              help="This worker's id, in its WARC file names (letters, digits, _); with --frontier the default "
                   "is <host>_<pid>.")
@click.option("--set", "overrides", metavar="NAME=VALUE", multiple=True,
              help="Override a Scrapy or ARSHIF_ setting for this run, as `scrapy crawl -s` does.")
@click.pass_context
def crawl(ctx, data, site, warc_max_size, max_articles, assets, refresh, fresh, frontier, worker, overrides):
    """Crawl the site into the archive: every fetch into WARC files, indexed in archive.db.

    \b
    Examples:
      arshif crawl --site http://127.0.0.1:8000/
      arshif --data /srv/arshif crawl --warc-max-size 500M
      arshif --data /srv/w1 crawl --site URL --frontier redis://10.0.0.5:6379/0 --worker w1
    Exit status: 0 success, 1 the crawl failed, 2 usage.
    """
    from archive.ops.crawl import run_crawl
    from archive.warc.writer import parse_size

    data_dir = resolve_data_dir(ctx, data)
    worker = _worker_id(worker, frontier)
    extra = {}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--set")
        extra[name.strip()] = value
    extra.setdefault("ARSHIF_ASSETS", assets)
    extra.setdefault("ARSHIF_FRESH", fresh)
    extra.setdefault("ARSHIF_REFRESH", refresh)
    if worker:
        extra["ARSHIF_WORKER"] = worker
    if frontier:
        extra["ARSHIF_FRONTIER"] = frontier
    if max_articles:
        extra["ARSHIF_MAX_ARTICLES"] = max_articles
    try:
        parse_size(warc_max_size)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--warc-max-size") from exc
    from archive.core.clock import scheduling_now

    try:
        scheduling_now(extra.get("ARSHIF_CLOCK"))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--set ARSHIF_CLOCK") from exc
    if not site:
        from archive.ops.crawl import project_settings

        if not project_settings().get("ARSHIF_SITE"):
            raise click.UsageError("no site to crawl: give --site URL (or set ARSHIF_SITE in settings.py)")
    fleet = f" as worker {worker} of the frontier {frontier}" if frontier else ""
    click.echo(f"crawling {site or 'the configured site'} into {data_dir}{fleet} …", err=True)
    result = run_crawl(data_dir, site, warc_max_size, extra_settings=extra,
                       options={"warc_max_size": warc_max_size, "max_articles": max_articles, "assets": assets,
                                "refresh": refresh, "fresh": fresh, "set": list(overrides), "frontier": frontier,
                                "worker": worker})
    stats = result.stats
    if stats.get("arshif/stop_reason") == "locked":
        click.echo(f"arshif crawl: {result.message}", err=True)
        ctx.exit(result.exit_code)
    if stats.get("arshif/stale_lock"):
        click.echo(f"arshif crawl: {stats['arshif/stale_lock']}", err=True)
    revisits = sum(v for k, v in stats.items() if k.startswith("arshif/records/revisit/"))
    errors = sum(v for k, v in stats.items() if k.startswith("arshif/fetch_error/"))
    retries = stats.get("retry/count", 0)
    unchanged = stats.get("arshif/articles_unchanged", 0)
    elapsed = stats.get("elapsed_time_seconds", 0) or 0
    click.echo(
        f"crawl {result.crawl_id} {result.reason}: {stats.get('response_received_count', 0)} pages, "
        f"{stats.get('arshif/articles', 0)} articles, {stats.get('arshif/records/response', 0)} new responses, "
        f"{revisits} revisits, {unchanged} articles unchanged since captured, {errors} fetch errors, "
        f"{retries} retries, "
        f"{stats.get('arshif/warc_bytes_written', 0) / 1e6:.1f} MB of WARC in {elapsed:.0f} s\n"
        f"log: {result.log_file}", err=True)
    if stats.get("arshif/recovery"):
        click.echo(f"recovered from an interrupted crawl: {stats['arshif/recovery']}", err=True)
    if stats.get("arshif/revisits/left_out"):
        click.echo(f"{stats['arshif/revisits/left_out']} article(s) due for a revisit were left for a later run "
                   "(ARSHIF_REVISIT_BUDGET): the revisit period is not kept", err=True)
    if result.missed:
        click.echo(f"{sum(result.missed.values())} page(s) the site lists as posts are not stored as articles ("
                   + "; ".join(f"{n} {reason}" for reason, n in list(result.missed.items())[:3])
                   + "): `arshif missed` lists them", err=True)
    if result.message:
        click.echo(f"arshif crawl: {result.message}", err=True)
    ctx.exit(result.exit_code)


def _worker_id(worker: str | None, frontier: str | None) -> str | None:
    """--worker checked (it names WARC files), or the default a frontier needs; and the frontier reachable."""
    from crawler.frontier_addon import WORKER_ID, default_worker_id

    if worker and not WORKER_ID.match(worker):
        raise click.BadParameter(f"{worker!r}: letters, digits and _ only, up to 40", param_hint="--worker")
    if not frontier:
        return worker
    import redis

    if not frontier.startswith(("redis://", "rediss://", "unix://")):
        raise click.BadParameter(f"{frontier!r} is not a redis:// URL", param_hint="--frontier")
    try:
        redis.Redis.from_url(frontier, socket_connect_timeout=5, socket_timeout=5).ping()
    except (redis.RedisError, ValueError) as exc:
        raise click.ClickException(f"cannot reach the frontier {frontier}: {exc}") from None
    return worker or default_worker_id()


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@data_option
@click.option("--every", metavar="DURATION", required=True, help="Interval between the starts of runs: 30m, 6h, 1d.")
@click.option("--runs", type=click.IntRange(min=1), default=None, help="Stop after this many runs (default: never).")
@click.pass_context
def schedule(ctx, data, every, runs):
    """Crawl at an interval until stopped; every other option is passed to each `arshif crawl`.

    Each run is its own `arshif crawl` process; a run that fails (exit 1) is reported and the schedule goes on.
    SIGTERM or Ctrl-C lets the current run finish its batch and close its files, then exits 0. A lock file
    keeps two schedules (and two crawls) off one data directory.

    \b
    Examples:
      arshif --data /srv/arshif schedule --every 30m --site https://example.org/
      arshif schedule --every 6h --no-assets --set ARSHIF_MAX_ARTICLES=500
    Exit status: 0 stopped by a signal or after --runs, 1 another schedule holds the lock, 2 usage.
    """
    from archive.core.durations import parse_duration
    from archive.core.lock import LockHeld
    from archive.ops.schedule import Schedule, install_signal_handlers

    try:
        interval = parse_duration(every)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from exc
    if interval <= 0:
        raise click.BadParameter("the interval must be longer than zero", param_hint="--every")
    data_dir = resolve_data_dir(ctx, data)
    plan = Schedule(data_dir, interval, list(ctx.args), runs,
                    say=lambda line: click.echo(f"arshif schedule: {line}", err=True))
    install_signal_handlers(plan)
    click.echo(f"arshif schedule: a crawl of {data_dir} every {every}" + (f", {runs} runs" if runs else "")
               + "; SIGTERM or Ctrl-C stops after the current run", err=True)
    try:
        code = plan.run()
    except LockHeld as exc:
        raise click.ClickException(str(exc)) from None
    ctx.exit(code)


@cli.command()
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
    import json

    from archive.ops.verify import verify as run_verify

    data_dir = resolve_data_dir(ctx, data)
    if not (data_dir / "archive.db").exists():
        raise click.ClickException(f"no archive at {data_dir} (archive.db not found)")
    problems = run_verify(data_dir, deep=deep)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=1))
    else:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"{len(problems)} problem(s)" if problems else "archive verified: no problems", err=True)
    ctx.exit(1 if problems else 0)


@cli.command()
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
    import json

    from archive.ops.backup import BackupError
    from archive.ops.backup import backup as run_backup

    data_dir = _existing(ctx, data)
    click.echo(f"backing up {data_dir} into {dest} …", err=True)
    update, finish = _progress_bar("copying WARC files")
    try:
        report = run_backup(data_dir, dest, progress=update, copy_warc=not no_warc, rehash=rehash)
    except BackupError as exc:
        finish()
        click.echo(f"arshif backup: {exc}", err=True)
        ctx.exit(1)
    finish()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    for problem in report.problems:
        click.echo(f"arshif backup: {problem}", err=True)
    click.echo(("backup incomplete: " if report.problems else "backup done: ") + report.summary(), err=True)
    ctx.exit(1 if report.problems else 0)


def _progress_bar(label: str):
    """A progress bar on a terminal (click's), nothing otherwise; returns (callback, finish)."""
    state: dict = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
            state["done"] = 0
        state["bar"].update(done - state["done"])
        state["done"] = done

    def finish() -> None:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)

    return update, finish


@cli.command()
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

    data_dir = _existing(ctx, data)
    update, finish = _progress_bar("re-extracting")
    with _locked(data_dir, "reextract"):
        outcome = run(data_dir, progress=update)
    finish()
    click.echo(_outcome_line(outcome), err=True)


@cli.command()
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

    data_dir = resolve_data_dir(ctx, data)
    if not (data_dir / "warc").is_dir():
        raise click.ClickException(f"no WARC files under {data_dir}/warc")
    update, finish = _progress_bar("indexing WARC files")
    with _locked(data_dir, "rebuild"):
        outcome = run(data_dir, progress=update)
    finish()
    click.echo(f"{outcome.pop('captures')} records indexed; " + _outcome_line(outcome), err=True)


@cli.command()
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
    import json

    from archive.ops.ingest import IngestError
    from archive.ops.ingest import ingest as run

    data_dir = resolve_data_dir(ctx, data)
    update, finish = _progress_bar("copying and checking WARC files")
    update_rows, finish_rows = _progress_bar("extracting articles")
    files_done: list[bool] = []

    def extracting(done: int, total: int) -> None:
        if not files_done:  # the first bar ends where the second begins
            files_done.append(True)
            finish()
        update_rows(done, total)

    with _locked(data_dir, "ingest"):
        try:
            report = run(data_dir, paths, progress=update, extract_progress=extracting)
        except IngestError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            if not files_done:
                finish()
            finish_rows()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    for problem in report.problems:
        click.echo(f"arshif ingest: refused {problem}", err=True)
    if report.skipped_open:
        click.echo(f"arshif ingest: {len(report.skipped_open)} file(s) still being written (.open) left for later",
                   err=True)
    click.echo(report.summary(), err=True)
    ctx.exit(1 if report.problems else 0)


def _outcome_line(outcome) -> str:
    parts = [f"{outcome.get(k, 0)} {label}" for k, label in (("new", "articles"), ("version", "later versions"),
                                                            ("unchanged", "unchanged captures"),
                                                            ("refreshed", "refreshed"), ("failed", "failed"))]
    if "gained" in outcome:  # reextract: what detection decided differently from the archive's last extraction
        parts.append(f"{outcome['gained']} articles gained, {outcome['lost']} lost")
    return ", ".join(parts)


@contextmanager
def _locked(data_dir: Path, purpose: str):
    """The data directory's lock for a command that rewrites the archive: a running crawl makes it exit 1."""
    from archive.core.lock import DataLock, LockHeld

    lock = DataLock(data_dir, purpose=purpose)
    try:
        lock.acquire()
    except LockHeld as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield lock
    finally:
        lock.release()


def _existing(ctx, data) -> Path:
    data_dir = resolve_data_dir(ctx, data)
    if not (data_dir / "archive.db").exists():
        raise click.ClickException(f"no archive at {data_dir} (archive.db not found)")
    return data_dir


@cli.command()
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
    import json

    from archive.store.database import Store

    store = Store(_existing(ctx, data) / "archive.db")
    rows = store.missed_posts()
    store.close()
    if as_json:
        click.echo(json.dumps([{"url": r["canonical"], "reason": r["reason"], "fetched": r["last_fetched"]}
                               for r in rows], ensure_ascii=False, indent=1))
        return
    from urllib.parse import unquote

    for row in rows:  # Arabic as a reader types it; --json keeps the canonical form
        click.echo(f"{row['reason']}\t{unquote(row['canonical'])}")
    click.echo(f"{len(rows)} page(s) listed as posts and not stored as articles", err=True)


@cli.command()
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
    import json

    from archive.core.durations import format_duration
    from archive.ops.stats import stats as compute

    result = compute(_existing(ctx, data))
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    click.echo(f"articles {result['articles']} · versions {result['versions']} · captures {result['captures']} · "
               f"WARC files {result['warc_files']} ({result['warc_bytes'] / 1e6:.1f} MB)")
    click.echo(f"published {result['first_published']} … {result['last_published']}")
    if result["missed_posts"]:
        click.echo(f"listed as posts but not stored as articles: {result['missed_posts']} (arshif missed)")
    limited = result["removal_checks"]
    if limited["limited_runs"]:
        click.echo(f"removal checks limited since {limited['limited_since']} ({limited['limited_runs']} runs with a "
                   "sitemap or feed failing)")
    revisits = result["revisits"]
    if revisits["oldest_check"]:
        click.echo(f"articles looked at within {revisits['period_days']:g} days: "
                   f"{revisits['checked_within_period']:.0%}; the longest unchecked since {revisits['oldest_check']}"
                   + (f"; {revisits['left_out_last_run']} due revisits left out by the last run's budget"
                      if revisits["left_out_last_run"] else ""))
    click.echo("languages: " + ", ".join(f"{k} {v}" for k, v in result["languages"].items()))
    click.echo("sections: " + "، ".join(f"{k} {v}" for k, v in result["sections"].items()))
    last = result["last_success"]
    click.echo(f"last successful crawl: {format_duration(last['age_seconds'])} ago (crawl {last['id']}, finished "
               f"{last['finished']})" if last else "last successful crawl: none yet")
    for crawl in result["crawls"]:
        click.echo(f"crawl {crawl['id']}: {crawl['started']} {crawl['status']} (exit {crawl['exit_code']}), "
                   f"{crawl['pages']} pages, {crawl['new_articles']} new articles, {crawl['new_versions']} new "
                   f"versions, {crawl['extraction_failures']} extraction failures")


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


def _filters(lang, section, tag, author, since, until):
    from archive.search.searcher import Filters
    return Filters(lang=lang, section=section, tag=tag, author=author, since=since, until=until)


def _fail(ctx: click.Context, message: str) -> None:
    """A query or filter that cannot run: one line and exit status 2 (a usage error)."""
    click.echo(f"arshif: {message}", err=True)
    ctx.exit(2)


def _open_index(ctx, data):
    """The archive's store, its search index brought up to this arshif's normaliser first if it is stale."""
    from archive.search import index as search_index
    from archive.store.database import Store

    store = Store(_existing(ctx, data) / "archive.db")
    if not search_index.is_current(store.db.conn):
        click.echo(f"the search index was made by another arshif ({search_index.state(store.db.conn)}); "
                   "rebuilding it (once)", err=True)
        _reindex(store)
    return store


def _reindex(store) -> int:
    from archive.search import index as search_index

    update, finish = _progress_bar("indexing articles")
    try:
        return search_index.rebuild(store.db.conn, progress=update)
    finally:
        finish()


@cli.command(context_settings={"ignore_unknown_options": True})
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
    import json
    from urllib.parse import unquote

    from archive.search.query import QueryError
    from archive.search.searcher import Searcher
    from archive.search.snippets import bracketed

    query = " ".join(words)
    store = _open_index(ctx, data)
    searcher = Searcher(store.db.conn)
    filters = _filters(lang, section, tag, author, since, until)
    try:
        if count_by:
            counts = searcher.count_by(query, count_by, filters, all_versions)
            if as_json:
                click.echo(json.dumps([{count_by: label, "articles": n} for label, n in counts], ensure_ascii=False,
                                      indent=2))
            elif not counts:
                click.echo(f"no results for {query}", err=True)
            for label, n in [] if as_json else counts:
                click.echo(f"{label}\t{n}")
            return
        hits = searcher.search(query, filters, sort, all_versions, limit)
        if as_json:
            click.echo(json.dumps([h.as_json() for h in hits], ensure_ascii=False, indent=2))
            return
        if not hits:
            click.echo(f"no results for {query}", err=True)
            return
        total = searcher.count(query, filters, all_versions)
    except QueryError as exc:
        _fail(ctx, str(exc))
    finally:
        store.close()
    tty = sys.stdout.isatty()

    def show(segments) -> str:
        if tty:
            return "".join(click.style(text, fg="yellow", bold=True) if hit else text for text, hit in segments)
        return bracketed(segments)

    for rank, hit in enumerate(hits, 1):
        notes = []
        if hit.versions > 1:
            notes.append(f"version {hit.version} of {hit.versions}")
        if hit.removed:
            notes.append(f"removed from the site {hit.removed[:10]}")
        meta = " · ".join(x for x in ((hit.published or "")[:10], hit.section or "", hit.lang or "") if x)
        click.echo(f"{rank:>3}. {meta}" + (f"  ({'; '.join(notes)})" if notes else ""))
        click.echo(f"     {show(hit.title_marked)}")
        click.echo(f"     {unquote(hit.url)}")
        click.echo(f"     {show(hit.snippet)}")
        click.echo()
    click.echo(f"{len(hits)} of {total} matching articles" + (f" (--limit {limit})" if total > len(hits) else ""),
               err=True)


@cli.command()
@data_option
@click.pass_context
def reindex(ctx, data):
    """Build the search index again from the stored article text (after a normaliser upgrade; search does it by
    itself when it finds the index stale). A running crawl waits for it.

    \b
    Example:
      arshif reindex
    """
    from archive.store.database import Store

    store = Store(_existing(ctx, data) / "archive.db")
    try:
        count = _reindex(store)
    finally:
        store.close()
    click.echo(f"{count} article versions indexed", err=True)


@cli.command()
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
    from archive.search.query import QueryError

    data_dir = _existing(ctx, data)
    if query is not None:
        _open_index(ctx, data).close()
    filters = _filters(lang, section, tag, author, since, until)
    try:
        if fmt == "wacz":
            written = write_wacz(data_dir, Path(output), query, filters, all_versions, requisites=requisites)
            count = written.pages
            if written.requisites_missing or written.unreadable:
                click.echo(f"{written.requisites_missing} requisites named by the exported pages were never "
                           f"captured; {written.unreadable} pages or stylesheets could not be read (damaged "
                           "records: `arshif verify`)", err=True)
        else:
            count = write(articles(data_dir, query, filters, all_versions), fmt, Path(output),
                          with_query=query is not None)
    except QueryError as exc:
        _fail(ctx, str(exc))
    click.echo(f"{count} articles written to {output}", err=True)


def _lookup_failed(ctx: click.Context, exc: Exception) -> None:
    click.echo(f"arshif: {exc}", err=True)
    ctx.exit(1)


@cli.command()
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
    import json

    from archive.history.snapshots import captures
    from archive.store.database import Store

    store = Store(_existing(ctx, data) / "archive.db")
    found = captures(store.db.conn, url)
    store.close()
    if as_json:
        click.echo(json.dumps([c.as_json() for c in found], ensure_ascii=False, indent=2))
        return
    if not found:
        _lookup_failed(ctx, f"no capture of {url} in the archive")
    for c in found:
        kind = ("revisit, not modified" if c.status == 304 else "revisit, same payload") if c.revisit else "response"
        click.echo(f"{c.timestamp}  {c.status or '-':>3}  {kind:<22} {c.mime or '-':<24} {c.digest or '-'}  "
                   f"{c.warc_file}:{c.offset}")
    click.echo(f"{len(found)} captures of {found[0].canonical}", err=True)


@cli.command()
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
    from urllib.parse import unquote

    from archive.history import changes as ch
    from archive.history.snapshots import NotArchived, captures, nearest, payload, raw_record, resolve
    from archive.store.database import Store

    data_dir = _existing(ctx, data)
    store = Store(data_dir / "archive.db")
    conn = store.db.conn
    try:
        found = captures(conn, url)
        if not found:
            raise NotArchived(f"no capture of {url} in the archive")
        try:
            picked = nearest(found, at)
        except ValueError as exc:
            _fail(ctx, f"--at: {exc}")
        if fmt == "warc":
            sys.stdout.buffer.write(raw_record(data_dir, picked))
            return
        shown = resolve(conn, picked)
        if fmt == "html":
            _, body = payload(data_dir, shown)
            sys.stdout.buffer.write(body)
            return
        try:
            article, canon = ch.article_id(conn, url)
        except NotArchived:
            raise NotArchived(f"{url} is not an article (captured as {picked.mime}); --format html shows the "
                              "page") from None
        found_versions = ch.versions(conn, article)
        version = ch.version_at(found_versions, picked.timestamp)
        meta = conn.execute("SELECT v.published, v.section, v.author, v.lang, a.removed FROM article_versions v "
                            "JOIN articles a ON a.id = v.article_id WHERE v.article_id = ? AND v.version = ?",
                            [article, version.number]).fetchone()
    except NotArchived as exc:
        _lookup_failed(ctx, exc)
    finally:
        store.close()
    published, section, author, lang, removed = meta
    click.echo(version.title)
    click.echo(unquote(canon))
    click.echo(" · ".join(str(x) for x in (published, section, author, lang) if x))
    note = f"version {version.number} of {version.versions}" + (f"; removed from the site {removed}" if removed
                                                                  else "")
    click.echo(f"capture {picked.timestamp} ({note}) · replay /web/{picked.timestamp}/{canon}")
    click.echo()
    click.echo(version.body)


def _show_pieces(pieces, tty: bool) -> str:
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


@cli.command()
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
    import json
    from urllib.parse import unquote

    from archive.history import changes as ch
    from archive.history.snapshots import NotArchived
    from archive.store.database import Store

    store = Store(_existing(ctx, data) / "archive.db")
    try:
        article, canon = ch.article_id(store.db.conn, url)
        found = ch.versions(store.db.conn, article)
    except NotArchived as exc:
        _lookup_failed(ctx, exc)
    finally:
        store.close()
    try:
        new = ch.version_at(found, to)
        old = ch.version_at(found, from_) if from_ else found[max(0, new.number - 2)]
    except ValueError as exc:
        _fail(ctx, str(exc))
    title = ch.diff_words(old.title, new.title)
    body = ch.diff_words(old.body, new.body)
    if as_json:
        click.echo(json.dumps({"url": canon, "from": old.capture_timestamp, "to": new.capture_timestamp,
                               "from_version": old.number, "to_version": new.number,
                               "summary": ch.summary(title + body),
                               "title": [{"op": op, "text": t} for op, t in title],
                               "body": [{"op": op, "text": t} for op, t in body]}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{unquote(canon)}\nversion {old.number} ({old.capture_timestamp}) → version {new.number} "
               f"({new.capture_timestamp}) of {new.versions}: {ch.summary(title + body)}")
    if old.number == new.number:
        click.echo("the same version: nothing changed", err=True)
        return
    tty = sys.stdout.isatty()
    click.echo()
    click.echo(_show_pieces(title, tty))
    click.echo()
    click.echo(_show_pieces(ch.context(body), tty))


@cli.command()
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
    import json
    from datetime import UTC, datetime, timedelta
    from urllib.parse import unquote

    from archive.history.changes import changes as compute
    from archive.store.database import Store

    since = since or (datetime.now(UTC) - timedelta(days=7)).strftime("%Y%m%d%H%M%S")
    store = Store(_existing(ctx, data) / "archive.db")
    try:
        found = compute(store.db.conn, since)
    except ValueError as exc:
        _fail(ctx, f"--since: {exc}")
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo(f"no article edited or removed since {since}", err=True)
    for c in found:
        click.echo(f"{c['seen'][:16]}  {c['change']:<7}  {c['title']}\n    {unquote(c['url'])}\n"
                   f"    {c['from']} → {c['to']}: {c['summary']}")


@cli.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Loopback by default: the UI has no login.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port of the web UI.")
@click.option("--replay-port", default=None, type=int,
              help="Port of the replay engine (pywb), on the same host; default: a free one.")
@click.pass_context
def serve(ctx, data, host, port, replay_port):
    """The archive in a browser: search, browse by month and section, articles with their versions and
    captures, replay, diffs, the changes report (in Arabic, right to left). Ctrl-C stops it.

    \b
    Examples:
      arshif serve                      # http://127.0.0.1:8080/
      arshif --data /srv/arshif serve --port 9000
    """
    import uvicorn

    from archive.web.app import create_app
    from archive.web.replay import Pywb

    data_dir = _existing(ctx, data)
    _open_index(ctx, data).close()
    pywb = Pywb(data_dir, host, replay_port)
    try:
        pywb.start()
        click.echo(f"replay (pywb): {pywb.base}/", err=True)
    except (FileNotFoundError, RuntimeError) as exc:
        click.echo(f"arshif: replay is off: {exc}", err=True)
        pywb = None
    click.echo(f"http://{host}:{port}/", err=True)
    # uvicorn stops gracefully on SIGTERM, then raises the signal again: by default that would end this process
    # before `finally`, leaving pywb running (systemd's stop, `kill`). Exiting instead stops pywb first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(create_app(data_dir, pywb), host=host, port=port, log_level="warning")
    finally:
        if pywb:
            pywb.stop()


def main() -> None:
    from archive.store.database import StoreError

    try:
        cli(prog_name="arshif")
    except StoreError as exc:  # a database we must not touch: say so in one line
        click.echo(f"arshif: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
