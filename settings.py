"""Scrapy settings of the arshif project (`scrapy crawl alitaliya` reads them; `arshif crawl` overrides a few).

Our own settings are prefixed ARSHIF_, and this is the one place that gives them their defaults: components read
them with no fallback of their own. Politeness is on from the start: robots.txt obeyed, AutoThrottle, a
per-site concurrency cap, an honest User-Agent with a contact URL.
"""

from archive import __version__
from archive.core.paths import DEFAULT_DATA
from archive.pages.limits import ARTICLE_MAX_SIZE, ARTICLE_MAX_TAGS
from archive.warc.reader import PAYLOAD_LIMIT, RECORD_LIMIT

BOT_NAME = "arshif"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# -- arshif ----------------------------------------------------------------------------------------------------
ARSHIF_SITE = ""                        # the site to crawl; the real address is configuration, never code
ARSHIF_DATA = DEFAULT_DATA              # data directory (docs/data.md: the database, warc/, jobs/, logs/)
ARSHIF_CONTACT_URL = "https://github.com/arshif/arshif#contact"
ARSHIF_OPERATOR = ""
ARSHIF_WARC_MAX_SIZE = "1G"
ARSHIF_BATCH_SIZE = 200                 # capture rows committed per transaction …
ARSHIF_BATCH_SECONDS = 2.0              # … or at least this often
ARSHIF_ARTICLE_COMMIT_SECONDS = 5.0     # extracted articles are committed (searchable) at least this often
ARSHIF_PROGRESS_INTERVAL = 30.0         # seconds between progress log lines when not on a terminal
ARSHIF_PROGRESS_LIVE = None             # a live status line (True) or log lines (False); None: live on a terminal
ARSHIF_MAX_ARTICLES = 0                 # 0: no limit
ARSHIF_ASSETS = True                    # capture the lead image and stylesheets of article pages
ARSHIF_ASSET_HOSTS = ["*"]              # hosts (glob patterns) assets may come from, besides the site itself
ARSHIF_FRESH = False                    # True: ignore what the archive holds, capture everything again
ARSHIF_REFRESH = False                  # True: fetch every known article again (new versions if edited)
ARSHIF_SITE_NAME = "الإيطالية نيوز"       # stripped from titles ("… - الإيطالية نيوز")
ARSHIF_MAX_EXTRACTION_FAILURES = 0.2    # exit 1 when a larger share of article pages cannot be extracted
ARSHIF_MIN_FREE_SPACE = "512M"          # refuse to start, and stop cleanly, below this much free disk
# Reading stored records back (issue 27, Deliver 1): ARSHIF_PAYLOAD_LIMIT, ARSHIF_RECORD_LIMIT. A stored payload whose
# Content-Encoding decodes past the first (a gzip bomb) is kept in its WARC file, served raw, named in the run's log,
# and never decoded whole; a WARC record whose own gzip member inflates past the second is named and not read.
# Every command shares them (256M and 2G, or the environment variables of the same names: archive/warc/reader.py).
ARSHIF_PAYLOAD_LIMIT = PAYLOAD_LIMIT
ARSHIF_RECORD_LIMIT = RECORD_LIMIT
# How long a sitemap, feed or listing page fetched with success is left alone before it is fetched again (30m, 6h,
# 1d; "0": every run). A source left alone still counts: its archived copy is read instead. Robots.txt and the home
# page are fetched on every run. Listing pages (and other pages that are not articles) once a day by default, so that
# a run on an unchanged site costs its sources and its revisits, not the site.
ARSHIF_REFETCH_INTERVALS = {"sitemap": "0", "feed": "0", "listing": "1d"}
# Revisits (archive/pages/revisits.py): known articles whose changes the site does not announce (no sitemap lastmod) are
# looked at again, young ones every ARSHIF_REVISIT_YOUNG_INTERVAL, older ones less often, every one at least once
# per ARSHIF_REVISIT_PERIOD; ARSHIF_REVISIT_BUDGET caps the revisits of one run (0: no cap; the run says what it
# left out).
ARSHIF_REVISITS = True
ARSHIF_REVISIT_PERIOD = "30d"
ARSHIF_REVISIT_YOUNG_INTERVAL = "6h"
ARSHIF_REVISIT_BUDGET = 0
# Trust in lastmod is earned (crawler/discovery/lastmod_audit.py): each run asks again for this many articles whose
# sitemap lastmod has not moved since their capture, the longest unchecked first (counted in ARSHIF_REVISIT_BUDGET);
# one found edited behind an unchanged lastmod puts the site's articles on the revisit schedule. 0: no audit.
ARSHIF_LASTMOD_AUDIT = 20
# The scheduling clock (ISO 8601): when set, every "is it time?" decision (refetch intervals, revisits) takes it for
# now — for tests and what-ifs. WARC dates and capture times stay real.
ARSHIF_CLOCK = ""
# Several workers, one frontier (crawler/frontier.py, docs/scaling-out.md): redis://HOST:PORT/DB moves the scheduler
# and the duplicate filter to Redis (scrapy-redis); "" keeps them in this process.
ARSHIF_FRONTIER = ""
ARSHIF_WORKER = ""                      # names this worker's WARC files; with a frontier, default <host>_<pid>
ARSHIF_FRONTIER_PREFIX = "arshif"       # Redis keys: <prefix>:<spider>:<site host>:…
ARSHIF_FRONTIER_HEARTBEAT = 2.0         # seconds between a worker's signs of life
ARSHIF_FRONTIER_DEAD_AFTER = 60.0       # a worker silent this long is dead: it no longer keeps the others open
ARSHIF_FRONTIER_IDLE_CLOSE = 5.0        # a worker closes once the whole fleet was idle, nothing queued, this long
ARSHIF_FRONTIER_POLL = 0.5              # an idle worker of a fleet looks for work queued by the others this often

# Python's garbage collector during a crawl (crawler/extensions/collector.py): a young collection every this many
# new objects (Python's default is 700); empty: Python's defaults.
ARSHIF_GC_THRESHOLD = [20000, 20, 20]

# Where the crawl may go (crawler/middlewares/addresses.py, issue 27): no request to a loopback, private, link-local
# or reserved address outside the site's own range, judged on the resolved address; ARSHIF_ALLOW_PRIVATE_HOSTS names
# the hosts (exact names or IP literals) the ban is lifted for.
ARSHIF_ADDRESS_GUARD_ENABLED = True
ARSHIF_ALLOW_PRIVATE_HOSTS: list[str] = []

# Robots, redirects and sitemaps by their standards (issue 27, Deliver 5: crawler/middlewares/robots.py,
# crawler/discovery/sources.py, spiders/alitaliya.py): ARSHIF_MAX_SITEMAPS sitemaps read in one run at most;
# ARSHIF_SITEMAP_INDEX_MAX entries read of one sitemap index (the protocol's cap); ARSHIF_REDIRECT_SAME_SHAPE
# redirects in a row that each lead only to a new URL of the same shape (`?n=7` → `?n=8`) are a trap, not followed;
# REDIRECT_MAX_TIMES hops of any redirect chain (as browsers). Each cut is counted, logged and said at the end.
ARSHIF_MAX_SITEMAPS = 1000
ARSHIF_SITEMAP_INDEX_MAX = 50000
ARSHIF_REDIRECT_SAME_SHAPE = 5
REDIRECT_MAX_TIMES = 20

# Answers that are not articles (issue 27, Deliver 4). Soft-404s (crawler/discovery/soft404.py): once per URL pattern
# per run, a path of that pattern that cannot exist is asked for; a site that answers it 200 shows its "not found"
# page, and pages of the pattern that match it are not articles. At most ARSHIF_SOFT404_PROBES probes in a run (0: no
# probing); at most ARSHIF_SOFT404_HOLD article pages wait for their pattern's probe (past it: unchecked, counted).
# Truncated answers (crawler/middlewares/truncation.py) are retried as failed fetches (RETRY_TIMES), then not articles.
ARSHIF_SOFT404_PROBES = 50
ARSHIF_SOFT404_HOLD = 100

# Session ids (issue 27, Deliver 2: archive/core/urls.py, archive/pages/sessions.py, crawler/discovery/sessions.py):
# canonical() always drops the names everybody uses (`sid` with a session-like value, PHPSESSID, jsessionid …); with
# ARSHIF_SESSION_RULES a parameter of another name is recognised during the run (one random value on all of a page's
# links, rel=canonical without it, the same payload under two of its values) and folded for the rest of the run.
# Each one folded is logged and named in the run's last lines. False: only the known names are dropped.
ARSHIF_SESSION_RULES = True

# -- politeness ------------------------------------------------------------------------------------------------
USER_AGENT = f"arshif/{__version__} (+{ARSHIF_CONTACT_URL})"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
# crawler/extensions/throttle.py replaces Scrapy's AutoThrottle (EXTENSIONS): an answer without distress (2xx, 3xx, 4xx
# but 429: a 304 of an incremental run above all) moves the delay as a 200 does, where Scrapy's only ever raises it
# (a --refresh of 304s stayed at the start delay: 2.3 requests/s against 21). 5xx and 429 still only raise it.
# robots.txt's Crawl-delay, which Scrapy never applies, is each host's least delay. False: Scrapy's rule.
ARSHIF_THROTTLE_SMALL_ANSWERS = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0
RETRY_ENABLED = True
RETRY_TIMES = 3
ARSHIF_RETRY_BACKOFF_BASE = 1.0         # seconds before the first retry, doubling each time …
ARSHIF_RETRY_BACKOFF_MAX = 30.0         # … up to this
DOWNLOAD_TIMEOUT = 60
# Response sizes (issue 27, Deliver 2: crawler/middlewares/size.py). A download past DOWNLOAD_MAXSIZE bytes is cut
# there and archived as far as it came (WARC-Truncated: length), never an article; a body whose Content-Encoding
# decodes past it (a gzip bomb) is archived raw and not read. Scrapy's default (1 GiB) would let one answer hold a
# gigabyte: 32 MiB is 20 times the largest news page of the real-pages set (1.5 MB) and keeps a crawl under 600 MiB.
# DOWNLOAD_WARNSIZE only warns.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
# Absurd articles (issue 27, Deliver 4: archive/pages/limits.py): a page past either limit is archived but never
# parsed for article detection nor extracted (in the crawl, reextract, rebuild and ingest alike). 8 MiB is 5 times
# the largest page of the real-pages set and leaves room for images pasted into a post as data: URIs, while the
# worst text a page that size can hold costs extraction about 5 s and 270 MiB; 200,000 tags (`<`) is 60 times the
# most markup a real article there has and 1.5 times the replica's page of 6,000 reader comments, while 400,000
# bare links in 1.6 MB took 19 s and 540 MiB. The environment variables of the same names set them for every command
# (archive/pages/limits.py reads them: 8 MiB and 200,000 when unset).
ARSHIF_ARTICLE_MAX_SIZE = ARTICLE_MAX_SIZE
ARSHIF_ARTICLE_MAX_TAGS = ARTICLE_MAX_TAGS
COOKIES_ENABLED = False                 # a news archive needs no session; nothing personal is sent or stored
# Only what warcio can check and every replay tool can decode (Scrapy would also offer br and zstd).
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "ar,it;q=0.8,en;q=0.5",
    "Accept-Encoding": "gzip, deflate",
}

# -- components ------------------------------------------------------------------------------------------------
# Each of our components has a switch (False: Scrapy leaves it out).
ARSHIF_ARCHIVE_ENABLED = True           # WARC files and the capture rows (crawler/extensions/session.py)
ARSHIF_ARTICLES_ENABLED = True          # extraction into the articles table (crawler/pipelines/articles.py)
ARSHIF_PROGRESS_ENABLED = True          # progress lines (crawler/extensions/progress.py)
ARSHIF_OFFLINE_SUFFIX_LIST = True       # the bundled public suffix list (crawler/extensions/offline.py)
DOWNLOADER_MIDDLEWARES = {
    # before robots.txt (100): a forbidden host is not even asked for its robots.txt
    "crawler.middlewares.addresses.AddressGuard": 40,
    # above 600: sees redirects (RedirectMiddleware 600), raw compressed bodies (HttpCompression 590)
    # and server errors before they are retried (RetryMiddleware 550)
    "crawler.middlewares.recorder.WarcRecorderMiddleware": 950,
    # robots.txt as RFC 9309 reads it: 5xx or no answer disallows (or the archive's last good copy), 4xx allows
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.StandardRobotsTxt": 100,
    "crawler.middlewares.backoff.RetryBackoffMiddleware": 560,
    # just above RetryMiddleware (550), below the recorder (every attempt archived) and HttpCompression (590):
    # an answer cut short (a Content-Length not met, HTML that stops mid-document) is retried, then marked
    "crawler.middlewares.truncation.TruncatedAnswers": 555,
    # Scrapy's decompression (590), run by the component that keeps a download past DOWNLOAD_MAXSIZE as far as it came
    # and names the bodies that decode past it (crawler/middlewares/size.py)
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.size.SizeLimits": 590,
    # just above HttpCompression (590): spares it guessing the charset of gzip bytes
    "crawler.middlewares.compression.CompressedEncodingHint": 595,
}
ITEM_PIPELINES = {
    "crawler.pipelines.articles.ArticleStorePipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.session.ArchiveSession": 100,
    "crawler.extensions.progress.Progress": 200,
    "crawler.extensions.offline.OfflineSuffixList": 0,
    "crawler.extensions.collector.CollectorTuning": 0,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.throttle.AutoThrottle": None,  # replaced: a 304 is a fast answer, Crawl-delay obeyed
    "crawler.extensions.throttle.PoliteThrottle": 0,
    # Scrapy 2.19's HTTP server that runs any Python code it is sent (a token in a file under the user's home
    # guards it): an unattended archiver has no use for it, and its import (aiohttp) costs every run
    "scrapy.extensions.remote_control.RemoteControl": None,
}

ADDONS = {
    "crawler.frontier_addon.FrontierAddon": 0,  # ARSHIF_FRONTIER → scrapy-redis's SCHEDULER, DUPEFILTER_CLASS, …
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REQUEST_FINGERPRINTER_CLASS = "crawler.fingerprint.CanonicalRequestFingerprinter"  # one URL, one fetch
FEED_EXPORT_ENCODING = "utf-8"
# Scrapy reads the source of every callback, for every response, to warn about a generator that returns a value: a
# bound method is a new object each time, so its cache never hits (docs/BENCHMARKS.md). tests/crawler/test_discovery.py
# makes the same check once, on every callback of our spiders (test_callbacks_return_no_value).
WARN_ON_GENERATOR_RETURN_VALUE = False
LOG_LEVEL = "INFO"
