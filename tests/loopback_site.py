"""A site of a test's own on 127.0.0.1 (a free port), for the cases no replica serves: a subclass answers each GET
(`answer(handler)`, with `send` and `redirect`), and every path asked is kept in order (`paths`)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer(ThreadingHTTPServer):
    """A crawler opens 8 connections at once: with http.server's listen backlog of 5, a connection dropped then waits
    a second for its SYN to be sent again, and the order of the answers becomes chance."""

    request_queue_size = 128
    daemon_threads = True


class LoopbackSite:
    def __init__(self):
        self.paths: list[str] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 (http.server's name)
                with site._lock:
                    site.paths.append(self.path)
                site.answer(self)

        self.server = LoopbackServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    @staticmethod
    def send(h: BaseHTTPRequestHandler, body: bytes, content_type: str = "text/html; charset=utf-8",
             status: int = 200, headers: dict[str, str] | None = None, declared: int | None = None) -> None:
        """One answer; `declared`: a Content-Length that lies (the connection is closed after the body). A crawler that
        hangs up (a size limit) is no error here."""
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body) if declared is None else declared))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        if declared is not None:
            h.send_header("Connection", "close")
        h.end_headers()
        try:
            h.wfile.write(body)
        except OSError:
            pass

    @staticmethod
    def redirect(h: BaseHTTPRequestHandler, location: str, status: int = 302) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
