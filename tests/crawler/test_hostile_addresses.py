"""Where the crawl may go (issue 27, Deliver 6): no requisite from a loopback, private, link-local or reserved address
outside the site's own range, judged on the resolved address, every redirect hop included.

The crawl runs inside a network namespace with only loopback (tests/crawler/hostile_addresses.py), under strace: no
packet can leave the machine, and a refused address that were asked would reach the test's own server. Where unshare
is refused, the test fails: it never falls back to the host's network.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from ipaddress import ip_address, ip_network
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.resolver import dnscache
from scrapy.utils.test import get_crawler

from archive.core import addresses
from crawler.middlewares.addresses import AddressGuard, AddressRefused
from tests.crawler import hostile_addresses as hostile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


# -- the judgement --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("host", "reason"), [
    ("10.0.0.1", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("100.64.0.1", "private"),
    ("169.254.169.254", "link-local"), ("[::1]", "loopback"), ("127.0.0.2", "loopback"), ("[fe80::1]", "link-local"),
    ("[fd00::1]", "private"), ("[::ffff:10.0.0.5]", "private"), ("0.0.0.0", "reserved"), ("240.0.0.1", "reserved"),
    ("224.0.0.1", "reserved"), ("192.0.2.1", "reserved"), ("93.184.216.34", None), ("[2606:4700::1]", None),
])
def test_kind_of_address(host, reason):
    assert addresses.kind(addresses.literal(host)) == reason


def test_the_runs_line_says_each_reason():
    assert addresses.refusals_line({"arshif/refused/private": 3, "arshif/refused/loopback": 1, "x": 2}) == (
        "refused 4 request(s) to forbidden addresses: 1 loopback, 3 private "
        "(ARSHIF_ALLOW_PRIVATE_HOSTS lifts the ban for named hosts)")
    assert addresses.refusals_line({"arshif/articles": 3}) is None


def test_a_name_is_no_literal():
    assert addresses.literal("cdn.example.com") is None
    assert addresses.literal("") is None


def test_the_sites_own_range():
    assert addresses.own_range([ip_address("127.0.0.1")]) == (ip_network("127.0.0.0/8"),)
    assert addresses.own_range([ip_address("192.168.1.5")]) == (ip_network("192.168.0.0/16"),)
    assert addresses.own_range([ip_address("93.184.216.34")]) == ()
    loopback = addresses.own_range([ip_address("127.0.0.1")])
    assert addresses.refusal([ip_address("127.0.0.2")], loopback) is None
    assert addresses.refusal([ip_address("::1")], loopback) == ("loopback", ip_address("::1"))  # not 127/8
    assert addresses.refusal([ip_address("10.0.0.1")], loopback) == ("private", ip_address("10.0.0.1"))
    # a host is refused when any one of its addresses is
    both = [ip_address("93.184.216.35"), ip_address("10.0.0.2")]
    assert addresses.refusal(both) == ("private", ip_address("10.0.0.2"))


# -- the middleware, in process: literals are judged with no DNS query ----------------------------------------------
def _guard(site: str, monkeypatch, **settings) -> AddressGuard:
    def no_dns(*args, **kwargs):
        raise AssertionError(f"a DNS query for {args[0]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    crawler = get_crawler(settings_dict={"ARSHIF_ADDRESS_GUARD_ENABLED": True, "ARSHIF_ALLOW_PRIVATE_HOSTS": [],
                                         "ARSHIF_SITE": site, **settings})
    return AddressGuard.from_crawler(crawler)


def _run(guard: AddressGuard, url: str):
    """process_request driven to its end at once: a literal never waits for a resolver."""
    coroutine = guard.process_request(Request(url))
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError(f"{url}: the guard waited for something")


@pytest.mark.parametrize("url", ["http://10.0.0.1/x.css", "http://169.254.169.254/latest/meta-data/iam",
                                 "http://[::1]/y.css", "http://127.0.0.1:8080/z.css"])
def test_a_public_site_asks_no_private_literal(url, monkeypatch):
    guard = _guard("http://93.184.216.34/", monkeypatch)
    with pytest.raises(AddressRefused) as refused:
        _run(guard, url)
    assert guard.stats.get_value(f"arshif/refused/{refused.value.reason}") == 1


def test_a_loopback_site_may_use_its_own_range(monkeypatch):
    guard = _guard("http://127.0.0.1:8000/", monkeypatch)
    assert _run(guard, "http://127.0.0.1:8000/page/") is None   # the site itself
    assert _run(guard, "http://127.0.0.2/font.woff") is None    # 127.0.0.0/8
    for url in ("http://10.0.0.1/x.css", "http://169.254.169.254/x", "http://[::1]/x"):
        with pytest.raises(AddressRefused):
            _run(guard, url)


def test_the_setting_lifts_the_ban_for_named_hosts_only(monkeypatch):
    guard = _guard("http://93.184.216.34/", monkeypatch, ARSHIF_ALLOW_PRIVATE_HOSTS=["10.0.0.9"])
    assert _run(guard, "http://10.0.0.9/x.css") is None
    with pytest.raises(AddressRefused):
        _run(guard, "http://10.0.0.1/x.css")


# -- a crawl inside a network namespace with only loopback ----------------------------------------------------------
@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile-addresses")
    run = subprocess.run(["unshare", "-n", "-m", sys.executable, str(HERE / "hostile_addresses.py"), str(work)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"the namespace could not be made or used (never skipped): {run.stderr[-2000:]}"
    return json.loads((work / "result.json").read_text())


FORBIDDEN = {address for address, _, _ in hostile.FORBIDDEN}


def test_no_forbidden_address_is_asked(hostile_crawl):
    assert hostile_crawl["returncode"] == 0, hostile_crawl["stderr"][-2000:]
    assert [s for s in hostile_crawl["seen"] if s["address"] in FORBIDDEN] == []
    asked = [c for c in hostile_crawl["connects"] if "AF_UNIX" not in c]
    dns = [c for c in asked if "htons(53)" in c]
    assert all('inet_addr("127.0.0.1")' in c for c in dns)  # the namespace's only resolver, for unknown names
    for address in FORBIDDEN:
        needle = f'inet_addr("{address}")' if ":" not in address else f'"{address}"'
        assert [c for c in asked if needle in c and c not in dns] == [], address


def test_public_and_lifted_requisites_are_fetched(hostile_crawl):
    fetched = {(s["host"], s["path"], s["address"]) for s in hostile_crawl["seen"]}
    assert ("good.hostile.test", "/good.css", hostile.GOOD) in fetched
    assert ("good.hostile.test", "/hop.css", hostile.GOOD) in fetched   # its redirect's target is refused below
    assert ("lifted.hostile.test", "/lifted.css", hostile.LIFTED) in fetched  # ARSHIF_ALLOW_PRIVATE_HOSTS


def test_each_refusal_is_logged_with_its_reason_and_counted(hostile_crawl):
    log = hostile_crawl["log"]
    for _, url, reason in hostile.FORBIDDEN:
        assert f"refused {url}: {reason} address" in log
    assert "refused http://127.0.0.1/hop-target.css: loopback address (127.0.0.1), found on " \
           "http://good.hostile.test/hop.css" in log
    assert ("refused 8 request(s) to forbidden addresses: 1 link-local, 3 loopback, 3 private, 1 unresolved"
            in log)
    for reason, count in (("link-local", 1), ("loopback", 3), ("private", 3), ("unresolved", 1)):
        assert f"'arshif/refused/{reason}': {count}," in log


def _answering(monkeypatch, *answer: str) -> None:
    """The resolver's thread answers these addresses (nothing is asked), at once."""
    from twisted.internet import defer

    from crawler.middlewares import addresses as middleware

    infos = [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in answer]
    monkeypatch.setattr(middleware, "deferToThread", lambda function, *args: defer.succeed(infos))
    monkeypatch.setattr(middleware, "maybe_deferred_to_future", lambda d: d)


def test_a_name_is_refused_when_any_of_its_addresses_is_forbidden(monkeypatch):
    guard = _guard("http://93.184.216.34/", monkeypatch)
    _answering(monkeypatch, "93.184.216.35", "10.0.0.2")
    with pytest.raises(AddressRefused) as refused:
        _run(guard, "http://cdn.example.com/x.css")
    assert refused.value.reason == "private"
    assert "cdn.example.com" not in dnscache


def test_the_address_checked_is_the_one_connected_to(monkeypatch):
    guard = _guard("http://93.184.216.34/", monkeypatch)
    _answering(monkeypatch, "2606:4700::1", "93.184.216.35")
    try:
        assert _run(guard, "http://cdn2.example.com/x.css") is None
        assert dnscache["cdn2.example.com"] == "93.184.216.35"  # Scrapy's resolver asks no second time
    finally:
        dnscache.pop("cdn2.example.com", None)


def test_the_fetch_log_and_the_runs_last_lines_name_each_refusal(hostile_crawl):
    """crawl.log called every refusal `blocked-by-robots`, and the crawl's summary said nothing of them."""
    for reason in ("link-local", "loopback", "private", "unresolved"):
        assert f" refused-{reason}-address\n" in hostile_crawl["log"]
    assert "blocked-by-robots" not in hostile_crawl["log"]
    assert ("refused 8 request(s) to forbidden addresses: 1 link-local, 3 loopback, 3 private, 1 unresolved"
            in hostile_crawl["stderr"])
