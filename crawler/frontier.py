"""A frontier shared by several crawl workers, in Redis, on scrapy-redis (docs/scaling-out.md).

`ARSHIF_FRONTIER=redis://HOST:PORT/DB` (`arshif crawl --frontier …`) makes the add-on (crawler/frontier_addon.py,
which every crawl loads: it imports nothing of Redis) swap Scrapy's
scheduler and duplicate filter for scrapy-redis's, so that every worker started with the same frontier and site
pops from one queue and filters through one set of fingerprints: each URL is fetched by one worker. Without the
setting nothing changes.

What scrapy-redis leaves to its user, and is decided here:

- **Runs.** Each pass over a site is a *run*, with its own queue and fingerprint set (`<ns>:run:<id>:…`, the
  namespace naming the spider and the site's host, so two sites never share a queue). A worker joins the run in
  progress, or starts a new one when no live worker is in it — clearing the previous run's keys, so that the
  dupefilter never carries a dead worker's fingerprints into the next run: across runs the incremental logic
  (what the archives hold), not the dupefilter, decides what is fetched again.
- **Closing.** scrapy-redis's SCHEDULER_IDLE_BEFORE_CLOSE is only a blocking-pop timeout (its priority queue
  ignores it, and blocking would freeze the reactor). A worker here stays open while the queue holds requests or
  another live worker is busy (it may still add work), and closes once the whole fleet has been idle for
  `ARSHIF_FRONTIER_IDLE_CLOSE` seconds. Workers beat every `ARSHIF_FRONTIER_HEARTBEAT` seconds (from a thread,
  so that a reactor busy parsing a huge page is not taken for dead); one silent for `ARSHIF_FRONTIER_DEAD_AFTER`
  seconds is dead and no longer holds the others open.
- **Fingerprints** are arshif's canonical ones (the crawler's REQUEST_FINGERPRINTER_CLASS), not scrapy-redis's
  own (w3lib's canonicalize_url, which keeps `utm_*` and `?m=1`).
- **Discovery state** that the spider keeps per process (sources still unanswered, sitemaps read, articles
  listed, listing links waiting for proof, the article budget) lives in the run, so that a callback run on a
  worker that did not schedule the request sees the fleet's state, not its own fragment of it.
- **What the fleet has captured** (per site, across runs): published when a WARC file is closed — when its
  bytes are complete and may be shipped — so that a worker does not fetch again an unchanged article another
  worker archived, and asks conditionally for one that may have changed.

Redis must be standalone (the scripts touch keys they build from the namespace, which Redis Cluster forbids).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.frontier_addon import default_worker_id, namespace

logger = logging.getLogger(__name__)

RUN_KEYS = ("requests", "dupefilter", "workers", "state", "sources", "sitemaps", "broken", "listed", "articles",
            "discovered")

_JOIN = """
local ns, worker, dead = ARGV[1], ARGV[2], tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local run = redis.call('GET', ns .. ':run')
local fresh = 0
if run and redis.call('ZCOUNT', ns .. ':run:' .. run .. ':workers', now - dead, '+inf') == 0 then
  for _, name in ipairs(cjson.decode(ARGV[4])) do redis.call('DEL', ns .. ':run:' .. run .. ':' .. name) end
  run = false
end
if not run then
  run = tostring(redis.call('INCR', ns .. ':runs'))
  redis.call('SET', ns .. ':run', run)
  fresh = 1
end
redis.call('ZADD', ns .. ':run:' .. run .. ':workers', now, worker)
redis.call('HSET', ns .. ':run:' .. run .. ':state', worker, 'busy')
return {run, fresh}
"""
_BEAT = """
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) + tonumber(t[2]) / 1e6, ARGV[1])
"""
_FLEET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local busy = 0
for _, w in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[2]), '+inf')) do
  if w ~= ARGV[1] and redis.call('HGET', KEYS[2], w) == 'busy' then busy = busy + 1 end
end
return {busy, redis.call('ZCARD', KEYS[3])}
"""
_ENQUEUE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1
"""
_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], 'busy')
return r[1]
"""


class CanonicalRedisDupeFilter(RFPDupeFilter):
    """scrapy-redis's duplicate filter on the crawler's own fingerprints (crawler.fingerprint: the canonical URL).

    scrapy-redis 0.9.1 computes its own (sha1 of w3lib's canonicalize_url), which would fetch `?utm_…` and
    `?m=1` variants again; and it deletes its key when closed, which would empty the set under the other
    workers' feet: here closing keeps it."""

    def __init__(self, server, key: str, debug: bool = False, fingerprinter=None):
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        pass


class FrontierQueue(PriorityQueue):
    """scrapy-redis's priority queue, whose pop also marks the worker busy, in one atomic step: no other worker
    can see the queue empty and this one idle while it holds the last request."""

    def __init__(self, server, spider, key, serializer=None, run: FrontierRun | None = None):
        super().__init__(server, spider, key, serializer)
        self.run = run
        self._pop = server.register_script(_POP)

    def pop(self, timeout=0):
        data = self._pop(keys=[self.key, self.run.key("state")], args=[self.run.worker])
        if not data:
            return None
        self.run.state = "busy"
        return self._decode_request(data)


class FrontierRun:
    """One pass of the fleet over one site: membership, liveness, and the discovery state the spider shares."""

    def __init__(self, server, ns: str, run_id: str, worker: str, dead_after: float, fresh: bool):
        self.server, self.ns, self.id, self.worker = server, ns, run_id, worker
        self.dead_after, self.fresh = dead_after, fresh
        self._beat = server.register_script(_BEAT)
        self._fleet = server.register_script(_FLEET)
        self.state = "busy"

    @classmethod
    def join(cls, server, ns: str, worker: str, dead_after: float) -> FrontierRun:
        run_id, fresh = server.register_script(_JOIN)(args=[ns, worker, dead_after, json.dumps(RUN_KEYS)])
        run_id = run_id.decode() if isinstance(run_id, bytes) else str(run_id)
        return cls(server, ns, run_id, worker, dead_after, bool(fresh))

    def key(self, name: str) -> str:
        return f"{self.ns}:run:{self.id}:{name}"

    # -- membership -----------------------------------------------------------------------------------------
    def beat(self) -> None:
        self._beat(keys=[self.key("workers")], args=[self.worker])

    def mark(self, state: str) -> None:
        if state != self.state:
            self.server.hset(self.key("state"), self.worker, state)
            self.state = state

    def fleet(self) -> tuple[int, int]:
        """(other live workers that are busy, requests queued)."""
        busy, queued = self._fleet(keys=[self.key("workers"), self.key("state"), self.key("requests")],
                                   args=[self.worker, self.dead_after])
        return int(busy), int(queued)

    def leave(self) -> None:
        pipe = self.server.pipeline()
        pipe.zrem(self.key("workers"), self.worker)
        pipe.hdel(self.key("state"), self.worker)
        pipe.execute()

    # -- discovery state shared by the fleet ----------------------------------------------------------------
    def add(self, counter: str, n: int = 1) -> int:
        return int(self.server.incrby(self.key(counter), n))

    def get(self, counter: str) -> int:
        return int(self.server.get(self.key(counter)) or 0)

    def add_listed(self, urls: list[str]) -> None:
        for start in range(0, len(urls), 1000):
            self.server.sadd(self.key("listed"), *urls[start:start + 1000])

    def listed(self, urls: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(urls), 1000):
            chunk = urls[start:start + 1000]
            found.update(u for u, hit in zip(chunk, self.server.smismember(self.key("listed"), chunk), strict=True)
                         if hit)
        return found

    def _expansion_key(self, page: str) -> str:
        return self.key("expand:" + hashlib.sha1(page.encode()).hexdigest())

    def put_expansion(self, page: str, links: list[str], path: str) -> None:
        self.server.set(self._expansion_key(page), json.dumps([links, path]), ex=86400)

    def take_expansion(self, page: str) -> tuple[list[str], str] | None:
        data = self.server.getdel(self._expansion_key(page))
        if not data:
            return None
        links, path = json.loads(data)
        return links, path

    # -- what the fleet has captured (per site, across runs) ------------------------------------------------
    def captured(self) -> dict[str, dict]:
        return {(k.decode() if isinstance(k, bytes) else k): json.loads(v)
                for k, v in self.server.hgetall(f"{self.ns}:captured").items()}

    def publish_captured(self, facts: dict[str, dict]) -> None:
        """Merge what captures say of URLs into the fleet's memory; a fact a capture did not carry (a 304 without
        the sitemap's lastmod) keeps the value an earlier capture recorded."""
        if not facts:
            return
        key = f"{self.ns}:captured"
        urls = list(facts)
        for start in range(0, len(urls), 500):
            chunk = urls[start:start + 500]
            merged = {}
            for url, old in zip(chunk, self.server.hmget(key, chunk), strict=True):
                value = json.loads(old) if old else {}
                value.update({k: v for k, v in facts[url].items() if v is not None})
                merged[url] = json.dumps(value, ensure_ascii=False)
            self.server.hset(key, mapping=merged)


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler, with per-run keys, membership, and the fleet's idle rule."""

    run: FrontierRun | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        instance = super().from_crawler(crawler)
        settings = crawler.settings
        instance.crawler = crawler
        instance.worker = settings.get("ARSHIF_WORKER") or default_worker_id()
        instance.prefix = settings.get("ARSHIF_FRONTIER_PREFIX")
        instance.heartbeat = settings.getfloat("ARSHIF_FRONTIER_HEARTBEAT")
        instance.dead_after = settings.getfloat("ARSHIF_FRONTIER_DEAD_AFTER")
        instance.idle_close = settings.getfloat("ARSHIF_FRONTIER_IDLE_CLOSE")
        instance.poll = settings.getfloat("ARSHIF_FRONTIER_POLL")
        if instance.dead_after < 3 * instance.heartbeat:
            raise ValueError("ARSHIF_FRONTIER_DEAD_AFTER must be at least three ARSHIF_FRONTIER_HEARTBEATs")
        instance.idle_since = None
        instance._beating = None
        crawler.signals.connect(instance.spider_idle, signal=signals.spider_idle)
        return instance

    def open(self, spider) -> None:
        self.spider = spider
        site = getattr(spider, "site", None) or self.crawler.settings.get("ARSHIF_SITE")
        self.run = FrontierRun.join(self.server, namespace(self.prefix, spider.name, site), self.worker,
                                    self.dead_after)
        self.queue = FrontierQueue(self.server, spider, self.run.key("requests"), self.serializer, run=self.run)
        self.df = CanonicalRedisDupeFilter(self.server, self.run.key("dupefilter"),
                                           self.crawler.settings.getbool("DUPEFILTER_DEBUG"),
                                           self.crawler.request_fingerprinter)
        self._enqueue = self.server.register_script(_ENQUEUE)
        spider.frontier = self.run
        # a thread, not the reactor: a worker busy for a minute parsing a huge page is alive, not dead
        self._stop_beating = threading.Event()
        self._beating = threading.Thread(target=self._beat, name="arshif-frontier-heartbeat", daemon=True)
        self._beating.start()
        self.stats.set_value("arshif/frontier/run", f"{self.run.ns}:run:{self.run.id}")
        self.stats.set_value("arshif/frontier/worker", self.worker)
        logger.info("frontier %s: worker %s %s run %s (%d requests queued)", self.run.ns, self.worker,
                    "started" if self.run.fresh else "joined", self.run.id, len(self.queue))

    def enqueue_request(self, request: Request) -> bool:
        """The duplicate filter's test and the push in one round trip (each one stalls the reactor thread while
        extraction threads hold the GIL: two per request were a measurable share of a worker's time)."""
        data = self.queue._encode_request(request)
        if request.dont_filter:
            self.server.zadd(self.queue.key, {data: -request.priority})
        elif not self._enqueue(keys=[self.df.key, self.queue.key],
                               args=[self.df.request_fingerprint(request), data, -request.priority]):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def _beat(self) -> None:
        while True:
            try:
                self.run.beat()
            except Exception as exc:  # Redis away for a moment: the next beat tries again
                logger.warning("frontier heartbeat failed: %s", exc)
            if self._stop_beating.wait(self.heartbeat):
                return

    def close(self, reason: str) -> None:
        if self._beating is not None:
            self._stop_beating.set()
            self._beating.join(5)
        if self.run is not None:
            try:
                self.stats.set_value("arshif/frontier/discovered", self.run.get("discovered"))
                self.run.leave()
            except Exception as exc:
                logger.warning("leaving the frontier: %s", exc)

    def spider_idle(self, spider) -> None:
        """Close only when the whole fleet has been idle, with nothing queued, for `idle_close` seconds."""
        if self.run is None:
            return
        self.run.mark("idle")
        busy, queued = self.run.fleet()
        logger.debug("idle: %d other workers busy, %d requests queued", busy, queued)
        if busy or queued:
            self.idle_since = None
            self._look_again_soon()
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_close:
            self._look_again_soon()
            raise DontCloseSpider

    def _look_again_soon(self) -> None:
        """An idle Scrapy engine asks its scheduler again only at its 5-second heartbeat, and nothing tells it that
        another worker queued work in Redis: a worker that joined a small or fast crawl could sit out all of it.
        So an idle worker of a fleet looks again every ARSHIF_FRONTIER_POLL seconds."""
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule(self.poll)
