"""The shape of the `arshif` command: every command listed, documented and loaded only when it runs; no SQL in
archive/cli/; the crawl's options turned into settings and checked by the library, not the CLI."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from archive.cli import COMMANDS, cli
from archive.core.times import from_stamp, now
from archive.history.changes import Version
from archive.history.versions import changes_since, previous
from archive.ops.crawl import CrawlRequest, CrawlResult, CrawlUsageError
from archive.ops.schedule import Schedule
from archive.store.database import Store

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "archive" / "cli"


def listed_commands() -> list[str]:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    section = result.output.split("Commands:\n", 1)[1]
    return [line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.strip()]


def test_every_listed_command_is_documented_with_an_example():
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    listed = listed_commands()
    assert listed == sorted(COMMANDS)
    for name in listed:
        assert f"\n## arshif {name}\n" in reference, f"docs/reference.md has no section for `arshif {name}`"
        shown = CliRunner().invoke(cli, [name, "--help"])
        assert shown.exit_code == 0, shown.output
        assert "Example" in shown.output, f"`arshif {name} --help` shows no example"


def test_each_command_is_defined_in_the_module_the_group_names():
    ctx = click.Context(cli)
    for name, (module, _) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
        assert command.callback.__module__ == f"archive.cli.{module}"
    assert cli.get_command(ctx, "no-such-command") is None


def test_help_loads_no_command_module():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "archive", "--help"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "archive.cli" in loaded
    assert {f"archive.cli.{module}" for module, _ in COMMANDS.values()} & loaded == set()


SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b|\.execute(many)?\(|\bconn\b")


def test_no_sql_in_the_cli():
    modules = sorted(CLI.glob("*.py"))
    assert len(modules) > 3
    found = [f"{path.name}:{n}: {line.strip()}" for path in modules
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if SQL.search(line)]
    assert found == []


def test_no_cli_module_over_500_lines():
    assert {p.name: n for p in CLI.glob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500} == {}


# -- the crawl's options, as the library reads them --------------------------------------------------------------

def test_crawl_options_become_settings(tmp_path):
    request = CrawlRequest(tmp_path, "http://example.org/", "500M", max_articles=7, assets=False, refresh=True,
                           overrides=("ARSHIF_ASSETS=1", "ARSHIF_MAX_ARTICLES=3", "DOWNLOAD_DELAY= 0.5"))
    assert request.settings() == {"ARSHIF_WARC_MAX_SIZE": "500M", "ARSHIF_ASSETS": "1", "ARSHIF_MAX_ARTICLES": 7,
                                  "DOWNLOAD_DELAY": " 0.5", "ARSHIF_FRESH": False, "ARSHIF_REFRESH": True}
    assert request.options()["set"] == ["ARSHIF_ASSETS=1", "ARSHIF_MAX_ARTICLES=3", "DOWNLOAD_DELAY= 0.5"]
    assert request.checked() is request  # no frontier: nothing to fill in
    assert request.describe() == f"crawling http://example.org/ into {tmp_path} …"


@pytest.mark.parametrize(("options", "option", "message"), [
    ({"overrides": ("ARSHIF_ASSETS",)}, "--set", "'ARSHIF_ASSETS' is not NAME=VALUE"),
    ({"worker": "w-1"}, "--worker", "'w-1': letters, digits and _ only, up to 40"),
    ({"frontier": "http://x/"}, "--frontier", "'http://x/' is not a redis:// URL"),
    ({"warc_max_size": "12X"}, "--warc-max-size", "not a size: '12X'"),
    ({"overrides": ("ARSHIF_CLOCK=yesterday",)}, "--set ARSHIF_CLOCK", "ARSHIF_CLOCK is not an ISO 8601 time"),
])
def test_crawl_options_that_cannot_run_name_their_option(tmp_path, options, option, message):
    with pytest.raises(CrawlUsageError) as caught:
        CrawlRequest(tmp_path, "http://example.org/", **options).checked()
    assert caught.value.option == option and str(caught.value).startswith(message)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_warc_size_set_by_name_is_checked_as_the_option_is(tmp_path):
    """`--set ARSHIF_WARC_MAX_SIZE=12X` was passed to the crawl unchecked: a traceback and exit status 1."""
    result = CliRunner().invoke(cli, ["--data", str(tmp_path), "crawl", "--site", f"http://127.0.0.1:{closed_port()}/",
                                      "--set", "ARSHIF_WARC_MAX_SIZE=12X"])
    assert result.exit_code == 2, result.output
    assert "Error: Invalid value for --set ARSHIF_WARC_MAX_SIZE: not a size: '12X'" in result.output
    assert not (tmp_path / "logs").exists()


def test_crawl_usage_errors_come_before_the_frontier_is_asked(tmp_path):
    """A wrong --set with an unreachable frontier is a usage error (2), as documented: the options are checked
    before anything reaches the network (the frontier's ping came first, and made it 1)."""
    frontier = f"redis://127.0.0.1:{closed_port()}/0"
    runner = CliRunner()
    wrong = runner.invoke(cli, ["--data", str(tmp_path), "crawl", "--site", "http://127.0.0.1:1/", "--frontier",
                                frontier, "--set", "NOVALUE"])
    assert wrong.exit_code == 2 and "Invalid value for --set: 'NOVALUE' is not NAME=VALUE" in wrong.output
    unreachable = runner.invoke(cli, ["--data", str(tmp_path), "crawl", "--site", "http://127.0.0.1:1/",
                                      "--frontier", frontier])
    assert unreachable.exit_code == 1 and f"Error: cannot reach the frontier {frontier}: " in unreachable.output


def test_the_crawl_summary_from_its_stats(tmp_path):
    stats = {"finish_reason": "finished", "response_received_count": 75, "arshif/articles": 27,
             "arshif/records/response": 57, "arshif/records/revisit/identical-payload-digest": 10,
             "arshif/records/revisit/server-not-modified": 8, "arshif/articles_unchanged": 287,
             "arshif/fetch_error/timeout": 1, "retry/count": 2, "arshif/warc_bytes_written": 412_000,
             "elapsed_time_seconds": 3.2, "arshif/stale_lock": "took over a stale lock",
             "arshif/revisits/left_out": 4}
    result = CrawlResult(0, "finished", stats, tmp_path / "x.log", 2, None, {"noindex": 1, "no body": 1})
    assert result.report() == [
        "arshif crawl: took over a stale lock",
        "crawl 2 finished: 75 pages, 27 articles, 57 new responses, 18 revisits, 287 articles unchanged since "
        f"captured, 1 fetch errors, 2 retries, 0.4 MB of WARC in 3 s\nlog: {tmp_path / 'x.log'}",
        "4 article(s) due for a revisit were left for a later run (ARSHIF_REVISIT_BUDGET): the revisit period is "
        "not kept",
        "2 page(s) the site lists as posts are not stored as articles (1 noindex; 1 no body): `arshif missed` "
        "lists them",
    ]
    assert result.as_dict()["revisits"] == 18 and result.as_dict()["missed"] == {"noindex": 1, "no body": 1}
    locked = CrawlResult(1, "locked", {"arshif/stop_reason": "locked"}, tmp_path / "x.log", None, "busy")
    assert locked.report() == ["arshif crawl: busy"]


# -- the other rules moved out of the CLI ------------------------------------------------------------------------

def version(number: int) -> Version:
    return Version(1, "http://x/", number, 3, "t", "b", f"2026010{number}000000", "", "")


def test_a_diff_compares_a_version_with_the_one_before_it():
    found = [version(1), version(2), version(3)]
    assert previous(found, found[2]) is found[1]
    assert previous(found, found[0]) is found[0]  # the first: itself, "the same version"


def test_changes_without_since_cover_the_last_seven_days(tmp_path):
    Store(tmp_path / "archive.db").close()
    report = changes_since(tmp_path)
    assert report.changes == [] and len(report.since) == 14
    assert abs((now() - from_stamp(report.since)).total_seconds() - 7 * 86400) < 60


@pytest.mark.parametrize("every", ["0", "0s", "x1"])
def test_a_schedule_needs_a_usable_interval(tmp_path, every):
    with pytest.raises(ValueError):
        Schedule(tmp_path, every, [])
    assert Schedule(tmp_path, "1h30m", [], runs=2).describe() == (
        f"a crawl of {tmp_path} every 1h30m, 2 runs; SIGTERM or Ctrl-C stops after the current run")
