"""Scrapy settings of the newsarchive project: politeness, limits, pipelines, our own knobs.

Scrapy reads this module through ``scrapy.cfg``; the ``newsarchive`` CLI loads
it too and overrides a few values per run (``ARCHIVE_DB_PATH``,
``CRAWL_ALLOW_PRIVATE_ADDRESSES``).  Our own settings carry the prefix of
their room: ``EXTRACT_*`` for crawler/extract, ``ARCHIVE_*`` for archive/,
``CRAWL_*`` for the spider and middlewares.  Imports the stdlib only, so the
CLI can read it without importing Scrapy.
"""

from __future__ import annotations

from importlib import metadata

try:
    NEWSARCHIVE_VERSION = metadata.version("newsarchive")
except metadata.PackageNotFoundError:  # running from a checkout that is not installed
    NEWSARCHIVE_VERSION = "0+unknown"

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Who we are, so a site operator can find us.  Point it at a page of your own
# when you crawl at scale; USER_AGENT is derived from it below.
NEWSARCHIVE_CONTACT_URL = "https://github.com/newsarchive/newsarchive"
USER_AGENT = f"newsarchive/{NEWSARCHIVE_VERSION} (+{NEWSARCHIVE_CONTACT_URL})"

# Politeness.
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0  # seconds
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Two parallel requests per site: old portals on shared hosting slow down
# visibly above that.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
CONCURRENT_REQUESTS = 16

# Limits.  A news page that takes longer than 30 s or weighs more than 32 MiB
# is broken or not a news page.  The timeout covers the whole body (a page
# trickling a byte a second fails too); the size cap applies after gzip,
# deflate, br or zstd decoding as well (Scrapy's default, 1 GiB, let a 1 MiB
# gzip bomb take 2.1 GB of memory: issue 6).
DOWNLOAD_TIMEOUT = 30  # seconds
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
RETRY_TIMES = 1
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# The asyncio reactor is Scrapy's default since 2.13; spelled out so that the
# CLI and `scrapy crawl` run the same reactor.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# We see every status: a 404 or 500 is a failed capture we record, not noise.
HTTPERROR_ALLOW_ALL = True

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100) so a refused address costs no request at all.
    "crawler.addresses.PrivateAddressMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    # robots.txt answering 5xx or unreachable: disallow all (RFC 9309).
    "crawler.robots.ConcurrentRobotsTxtMiddleware": 100,
    "crawler.middlewares.ConditionalGetMiddleware": 560,
    # Above RetryMiddleware (550): it sees a 429/503 first and honours Retry-After.
    "crawler.middlewares.RetryAfterMiddleware": 580,
    # DOWNLOAD_MAXSIZE after decompression, failing as too_large (crawler/limits.py).
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.limits.CappedCompressionMiddleware": 590,
    # Last before the download handler (Scrapy's own stop at 900): sees every
    # response, redirects included, before anything else does (crawler/addresses.py).
    "crawler.addresses.ConnectedAddressMiddleware": 950,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.ArchivePipeline": 800,
}

# crawler/extract: passed to extract_article as ExtractOptions.
EXTRACT_MIN_BODY_CHARS = 120
EXTRACT_INCLUDE_CAPTIONS = False  # figure captions and photo credits in the body
# A body with more than this share of undecodable bytes (U+FFFD) is rejected
# as "undecodable" rather than stored as mojibake.
EXTRACT_MAX_REPLACEMENT_RATIO = 0.01
# IANA zone for dates a site writes without offset (None: guess by language).
EXTRACT_SITE_TIMEZONE = None

# archive/: where captures and articles go.
ARCHIVE_DB_PATH = "archive.db"
# Items stored per transaction (archive.save_batch): a batch is written when
# this many are pending or the oldest has waited this long, and at the close.
# A kill costs at most one batch of refetches; 1 s keeps a reader of the
# archive (and the progress line) at most about a second behind the crawl.
ARCHIVE_BATCH_ITEMS = 100
ARCHIVE_BATCH_SECONDS = 1.0
# Stop the crawl (close reason archive_full) before the archive file grows
# past this many MiB, to leave room on a shared disk; None: only the disk
# limits it.  A full disk or a read-only archive stops the crawl the same way.
ARCHIVE_MAX_SIZE_MB = None

# Refuse loopback, private, link-local and reserved addresses, so a crawl
# cannot be pointed at the machine it runs on or its network.  The CLI's
# --allow-private and the demo turn it off.
CRAWL_ALLOW_PRIVATE_ADDRESSES = False
# Content types we extract; anything else is a failed capture "not_html".
CRAWL_HTML_CONTENT_TYPES = ["text/html", "application/xhtml+xml"]

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Portal crawls (crawler/spiders/portal.py, `newsarchive crawl`).
# Canonical URLs for Scrapy's duplicate filter: ?utm_source=x is a repeat.
DUPEFILTER_CLASS = "crawler.middlewares.CanonicalDupeFilter"
# Link depth from the start pages, overriding the profile's max_depth (home 0 →
# section 1 → article 2; pagination stays at its list's depth).
CRAWL_MAX_DEPTH_OVERRIDE = None
# Retry-After of a 429/503 is honoured up to this many seconds (a site asking
# for more is better left for the next run) and this many times per URL.
CRAWL_RETRY_AFTER_MAX_SECONDS = 120
CRAWL_RETRY_AFTER_TIMES = 2
# Worker processes that run page analysis off the reactor (crawler/workers.py);
# None: one per core; 0 or 1: in the crawl's own process.
CRAWL_EXTRACT_PROCESSES = None
# At most this many page requests wait in Scrapy's scheduler; the rest wait
# in the archive's frontier (urls table) and are handed over as the scheduler
# drains, so a crawl's memory does not grow with the site (2.5 KB a page
# before: 98 MB for a 1,000-article portal, 108 MB for 5,000; issue 7).
# 1,000 is about a minute of work at 16 concurrent requests on loopback.
CRAWL_MAX_SCHEDULED_REQUESTS = 1000
# Progress line on stderr every this many seconds (0: none).
CRAWL_PROGRESS_INTERVAL_SECONDS = 5
# One run per profile and archive at a time (<db>.<profile>.lock).
CRAWL_LOCK_ENABLED = True
EXTENSIONS = {
    "crawler.extensions.CrawlLockExtension": 0,
    "crawler.extensions.CrawlRunExtension": 10,
    "crawler.extensions.ProgressExtension": 20,
}

# Server-side fetch guards (crawler/addresses.py, issue 6).  Only public
# addresses are fetched unless CRAWL_ALLOW_PRIVATE_ADDRESSES is on; these
# networks (CIDRs, e.g. ["10.1.0.0/16"] for an intranet) are allowed anyway.
CRAWL_ALLOWED_NETWORKS: list[str] = []
# Scrapy installs one resolver per process from the process settings (this
# module, the CLI's or `scrapy crawl -s`), never from a spider's
# custom_settings; it refuses names that resolve to private addresses.
TWISTED_DNS_RESOLVER = "crawler.addresses.PublicAddressResolver"
# No proxy (http_proxy and friends are ignored): a proxy resolves host names
# itself, out of the guard's sight.  Turning it on needs --allow-private.
HTTPPROXY_ENABLED = False
# http and https only: file:// in a sitemap would read local files, s3:// would
# sign requests with the machine's credentials.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
# No listeners.  Besides the telnet console (TELNETCONSOLE_ENABLED above),
# Scrapy 2.19 starts RemoteControl by default: an HTTP server on 127.0.0.1 that
# runs Python code posted to it (token in a job file under the home folder).
REMOTE_CONTROL_ENABLED = False
