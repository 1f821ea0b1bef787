"""A crawl worker's name and its shared frontier: checked before a crawl starts (docs/scaling-out.md).

The Scrapy side (crawler/frontier.py, crawler/frontier_addon.py) reads the same rules from here, so that a worker
id `arshif crawl` accepts is one the crawl accepts too.
"""

from __future__ import annotations

import os
import re
import socket

WORKER_ID = re.compile(r"^[A-Za-z0-9_]{1,40}$")  # what a WARC file name can carry (archive.warc.writer.NAME)
SCHEMES = ("redis://", "rediss://", "unix://")


class FrontierUnreachable(Exception):
    """The frontier's Redis did not answer a ping: the crawl cannot share its queue (exit status 1)."""


def default_worker_id() -> str:
    """Host name and process id: unique in a fleet without configuration, and legal in a WARC file name."""
    host = re.sub(r"[^A-Za-z0-9]+", "_", socket.gethostname().split(".")[0]).strip("_")[:30] or "worker"
    return f"{host}_{os.getpid()}"


def worker_problem(worker: str) -> str | None:
    """Why `worker` cannot name a worker, or None when it can."""
    return None if WORKER_ID.match(worker) else f"{worker!r}: letters, digits and _ only, up to 40"


def frontier_problem(url: str) -> str | None:
    """Why `url` cannot be a frontier, or None when it can."""
    return None if url.startswith(SCHEMES) else f"{url!r} is not a redis:// URL"


def ping(url: str, timeout: float = 5) -> None:
    """Raise FrontierUnreachable unless the Redis at `url` answers."""
    import redis  # half a second: only for a crawl with a frontier

    try:
        redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping()
    except (redis.RedisError, ValueError) as exc:
        raise FrontierUnreachable(f"cannot reach the frontier {url}: {exc}") from None
