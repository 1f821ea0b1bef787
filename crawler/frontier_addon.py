"""The add-on that turns `ARSHIF_FRONTIER` into scrapy-redis's settings (crawler/frontier.py, docs/scaling-out.md).

Every crawl loads it, so it stays apart from the frontier itself: importing scrapy-redis (and the Redis client)
costs half a second that a crawl without a frontier has no use for.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from archive.ops.frontier import WORKER_ID, default_worker_id

__all__ = ["WORKER_ID", "FrontierAddon", "default_worker_id", "namespace"]


def namespace(prefix: str, spider: str, site: str) -> str:
    """Redis key prefix of one spider on one site (host and port: http and https of a host are one site)."""
    parts = urlsplit(site)
    host = (parts.hostname or "").lower()
    if parts.port:
        host = f"{host}_{parts.port}"
    return f"{prefix}:{spider}:{re.sub(r'[^a-z0-9._-]', '_', host)}"


class FrontierAddon:
    """Turns `ARSHIF_FRONTIER` into scrapy-redis's settings, for `arshif crawl` and `scrapy crawl` alike."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("ARSHIF_FRONTIER")
        if not url:
            return
        if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"ARSHIF_FRONTIER must be a redis:// URL, not {url!r}")
        worker = settings.get("ARSHIF_WORKER") or default_worker_id()
        if not WORKER_ID.match(worker):
            raise ValueError(f"worker id {worker!r}: letters, digits and _ only (it names WARC files), up to 40")
        for name, value in {
            "SCHEDULER": "crawler.frontier.SharedScheduler",
            "DUPEFILTER_CLASS": "crawler.frontier.CanonicalRedisDupeFilter",
            "SCHEDULER_QUEUE_CLASS": "crawler.frontier.FrontierQueue",
            "REDIS_URL": url,
            "SCHEDULER_PERSIST": True,           # a worker that closes must not clear what the others still use
            "SCHEDULER_FLUSH_ON_START": False,   # nor one that starts: a new run gets new keys instead
            "SCHEDULER_IDLE_BEFORE_CLOSE": 0,    # the fleet's idle rule below decides when a worker closes
        }.items():
            settings.set(name, value, priority="addon")
        # settings.py declares it empty (project priority): the default must win over that, not over -s
        settings.set("ARSHIF_WORKER", worker, priority=max(settings.getpriority("ARSHIF_WORKER") or 0, 15))
