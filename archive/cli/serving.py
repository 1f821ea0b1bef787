"""The web UI: `serve`."""

from __future__ import annotations

import signal
import sys

import click

from archive.cli.options import data_option, existing, indexing, say


@click.command("serve")
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

    from archive.ops.searching import ensure_index
    from archive.web.app import create_app
    from archive.web.replay import Pywb

    data_dir = existing(ctx, data)
    with indexing() as update:
        ensure_index(data_dir, update, say)
    pywb = Pywb(data_dir, host, replay_port)
    try:
        pywb.start()
        say(f"replay (pywb): {pywb.base}/")
    except (FileNotFoundError, RuntimeError) as exc:
        say(f"arshif: replay is off: {exc}")
        pywb = None
    say(f"http://{host}:{port}/")
    # uvicorn stops gracefully on SIGTERM, then raises the signal again: by default that would end this process
    # before `finally`, leaving pywb running (systemd's stop, `kill`). Exiting instead stops pywb first.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(create_app(data_dir, pywb), host=host, port=port, log_level="warning")
    finally:
        if pywb:
            pywb.stop()
