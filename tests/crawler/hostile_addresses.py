"""A hostile site that names requisites on forbidden addresses, crawled inside a network namespace with only loopback.

Run as root under `unshare -n -m` (tests/crawler/test_hostile_addresses.py does): this script brings `lo` up, gives
it the site's public address and every forbidden address the page names (so that a request the product failed to
refuse would reach this server and be seen), bind-mounts its own /etc/hosts and /etc/resolv.conf (names resolve
from a file; a DNS query can only go to 127.0.0.1 inside the namespace), serves every host from one server on port
80, and runs `arshif crawl` under strace. It writes what the server saw, every connect() and the crawl's output to
result.json in the directory it is given. Nothing can leave the namespace: it has no interface but `lo`.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = "93.184.216.34"        # a public address, on lo inside the namespace only
GOOD = "93.184.216.35"        # a public CDN
# (address on lo, URL the article names, why it must be refused)
FORBIDDEN = [
    ("10.0.0.1", "http://10.0.0.1/x.css", "private"),
    ("169.254.169.254", "http://169.254.169.254/latest/meta-data/x.css", "link-local"),
    ("::1", "http://[::1]/y.css", "loopback"),
    ("127.0.0.1", "http://127.0.0.1/l.css", "loopback"),
    ("10.0.0.5", "http://[::ffff:10.0.0.5]/mapped.css", "private"),
    ("10.0.0.2", "http://cdn.hostile.test/c.css", "private"),        # a name whose answer is private
    ("127.0.0.1", "http://nowhere.hostile.test/n.css", "unresolved"),  # a name that does not resolve
]
LIFTED = "10.0.0.6"           # private, but named in ARSHIF_ALLOW_PRIVATE_HOSTS
HOSTS = f"""127.0.0.1 localhost
::1 localhost
{GOOD} good.hostile.test
10.0.0.2 cdn.hostile.test
{LIFTED} lifted.hostile.test
"""
ARTICLE = "/2024/01/02/hostile-article/"


def article() -> bytes:
    links = "".join(f'<link rel="stylesheet" href="{url}">' for _, url, _ in FORBIDDEN)
    links += '<link rel="stylesheet" href="http://good.hostile.test/good.css">'
    links += '<link rel="stylesheet" href="http://lifted.hostile.test/lifted.css">'
    body = " ".join(["هذا نص مقال طويل عن الاقتصاد والسياسة في المنطقة."] * 40)
    return f"""<!doctype html><html lang="ar"><head><meta charset="utf-8"><title>مقال عدائي</title>{links}
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "مقال عدائي", "datePublished": "2024-01-02T10:00:00+00:00"}}</script></head>
<body><article><h1>مقال عدائي</h1><time datetime="2024-01-02T10:00:00+00:00">2024-01-02</time>
<p>{body}</p></article></body></html>""".encode()


class Handler(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        local = self.connection.getsockname()[0]
        if local.startswith("::ffff:"):
            local = local[7:]
        self.seen.append({"address": local, "host": self.headers.get("Host"), "path": self.path})
        if self.path == "/robots.txt":
            self.send(200, f"User-agent: *\nAllow: /\nSitemap: http://{SITE}/sitemap.xml\n".encode(), "text/plain")
        elif self.path == "/sitemap.xml":
            self.send(200, ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                            f"<url><loc>http://{SITE}{ARTICLE}</loc></url></urlset>").encode(), "application/xml")
        elif self.path == ARTICLE:
            self.send(200, article(), "text/html; charset=utf-8")
        elif self.path == "/good.css":
            self.send(200, b'@import "http://good.hostile.test/hop.css"; body{color:red}', "text/css")
        elif self.path == "/hop.css":  # a public host's redirect to a forbidden one: the hop is refused
            self.send(302, b"", "text/plain", location="http://127.0.0.1/hop-target.css")
        elif self.path == "/":
            self.send(200, f'<html><body><a href="{ARTICLE}">a</a></body></html>'.encode(), "text/html")
        else:
            self.send(200, b"body{}", "text/css")

    def send(self, status: int, body: bytes, mime: str, location: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)


class DualStackServer(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    request_queue_size = 128  # a crawler opens 8 connections at once (tests/loopback_site.LoopbackServer)
    daemon_threads = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def sh(*args: str) -> None:
    subprocess.run(args, check=True)


def main(work: Path, *extra: str) -> None:
    sh("ip", "link", "set", "lo", "up")
    for address in {SITE, GOOD, LIFTED, *(a for a, _, _ in FORBIDDEN if ":" not in a and a != "127.0.0.1")}:
        sh("ip", "addr", "add", f"{address}/32", "dev", "lo")
    interfaces = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    if [line.split(":")[1].strip() for line in interfaces.splitlines()] != ["lo"]:
        raise SystemExit(f"not alone on loopback: {interfaces}")
    (work / "hosts").write_text(HOSTS)
    (work / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    sh("mount", "--make-rprivate", "/")
    sh("mount", "--bind", str(work / "hosts"), "/etc/hosts")
    sh("mount", "--bind", str(work / "resolv.conf"), "/etc/resolv.conf")
    server = DualStackServer(("::", 80), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    trace = work / "connect.trace"
    command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto", "-o", str(trace),
               sys.executable, "-m", "archive", "--data", str(work / "data"), "crawl", "--site", f"http://{SITE}/",
               "--set", "ARSHIF_ALLOW_PRIVATE_HOSTS=lifted.hostile.test", "--set", "AUTOTHROTTLE_ENABLED=False",
               "--set", "ARSHIF_RETRY_BACKOFF_BASE=0", "--set", "RETRY_TIMES=0", *extra]
    run = subprocess.run(command, capture_output=True, text=True, timeout=240)
    server.shutdown()
    connects = [line for line in trace.read_text().splitlines() if "connect(" in line or "sendto(" in line]
    logs = "".join(p.read_text(errors="replace") for p in sorted((work / "data" / "logs").rglob("*.log")))
    (work / "result.json").write_text(json.dumps({
        "returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr, "seen": Handler.seen,
        "connects": [c for c in connects if re.search(r"sin6?_addr|AF_UNIX", c)], "log": logs}))


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:])
