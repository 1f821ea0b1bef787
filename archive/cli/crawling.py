"""Capture: `crawl`, `schedule`, and `replica` (the test site they crawl)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from archive.cli.options import data_option, resolve_data_dir, say


@click.command("crawl")
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
    from archive.ops.crawl import CrawlRequest, CrawlUsageError, run_crawl
    from archive.ops.frontier import FrontierUnreachable

    request = CrawlRequest(resolve_data_dir(ctx, data), site, warc_max_size, max_articles, assets, refresh, fresh,
                           frontier, worker, tuple(overrides))
    try:
        request = request.checked()
    except CrawlUsageError as exc:
        if exc.option:
            raise click.BadParameter(str(exc), param_hint=exc.option) from None
        raise click.UsageError(str(exc)) from None
    except FrontierUnreachable as exc:
        raise click.ClickException(str(exc)) from None
    say(request.describe())
    result = run_crawl(request)
    for line in result.report():
        say(line)
    ctx.exit(result.exit_code)


@click.command("schedule", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
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
    from archive.core.lock import LockHeld
    from archive.ops.schedule import Schedule, install_signal_handlers

    try:
        plan = Schedule(resolve_data_dir(ctx, data), every, list(ctx.args), runs,
                        say=lambda line: say(f"arshif schedule: {line}"))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from exc
    install_signal_handlers(plan)
    say(f"arshif schedule: {plan.describe()}")
    try:
        code = plan.run()
    except LockHeld as exc:
        raise click.ClickException(str(exc)) from None
    ctx.exit(code)


@click.command("replica")
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
