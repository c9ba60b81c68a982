"""PortalSpider: discover, classify and incrementally archive a whole news site.

Driven by a ``SiteProfile`` (``-a profile=FILE`` or ``-a start_urls=A,B``).
It reads the start pages, the sitemaps robots.txt and the profile name
(indexes and ``.gz`` included) and the profile's feeds, and follows the links
of home, section, list, tag, search and pagination pages within the allowed
hosts and the depth limit.  ``analyze_page`` classifies each page once:
articles become ``ArticleItem``s; the other kinds are followed and recorded
as captures, never as articles.  Every decision is counted in the stats as
``crawl/page/<kind>/<reason>``, ``crawl/skipped/<reason>`` and
``crawl/error/<reason>``.

Pages are analyzed in the worker processes of ``crawler.workers.ExtractionPool``
(``CRAWL_EXTRACT_PROCESSES``), started when the spider opens and stopped when
it closes; ``parse`` awaits the analysis, so the reactor goes on downloading.
A page whose extraction crashed or raised is a ``crawl/error/<reason>``.

Incremental and resumable through the archive's frontier (``archive.frontier``,
table ``urls``): every URL found is queued under its canonical form before it
is requested, a known article is requested again only when
``due_for_revisit`` says so and then with its validators (conditional GET),
a 304 or an unchanged body is a ``NotModifiedItem``, and the URLs a killed run
left queued are requested first by the next run.

The frontier is the crawl's queue, so memory does not grow with the site.
Links, sitemaps and feeds only queue URLs in the archive (``consider``);
``refill`` turns the oldest queued URLs into requests and hands them to
Scrapy's scheduler with ``engine.crawl``, never more than
``CRAWL_MAX_SCHEDULED_REQUESTS`` waiting there at once.  It runs when the
scheduler runs dry (the ``scheduler_empty`` signal, sent when the downloader
has a free slot and nothing to take) and when the spider goes idle, where
``DontCloseSpider`` keeps the crawl open while the frontier still hands out
URLs.  (Scrapy's lazily read ``start()`` was the other way; but a spider
whose ``start()`` has not ended never goes idle, so that generator would
have to decide by itself when the crawl is over.)  Page requests skip
Scrapy's duplicate filter, whose fingerprints would grow with the site; a
URL is handed out once per run because the spider keeps the canonical URLs
in flight (handed out, result not yet stored: about the cap plus a batch)
and the archive tells which URLs this run has fetched (``last_fetched_at``
since the run began).  A bounded memory of the URLs met last spares the
database a lookup for the links every page repeats.  The requests of
robots.txt, sitemaps and feeds are yielded as usual.  Imports Scrapy,
Twisted, crawler.extract, crawler.urls, crawler.profiles, crawler.discovery,
crawler.workers and archive.frontier; nothing of Scrapy leaves it but
plain-valued items.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Sized
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from archive.frontier import (
    due_for_revisit,
    enqueue,
    fetch_counts_since,
    iter_pending,
    pending_count,
    requeue,
    url_states,
    utc_now,
)
from crawler.discovery import DiscoveryError, read_feed, read_sitemap, robots_sitemaps
from crawler.extract.analyze import PageAnalysis
from crawler.items import ArticleItem, Capture, FailedCaptureItem, NotModifiedItem
from crawler.pipelines import add_seconds, archive_db
from crawler.profiles import SiteProfile, load_profile, profile_from_urls
from crawler.spiders.archive import (
    capture_from_response,
    download_error_reason,
    extract_options,
    is_html,
    utc_now_iso,
)
from crawler.urls import canonicalize_url
from crawler.workers import ExtractionPool, PageFailure

FOLLOWED_KINDS = ("home", "section", "list", "tag", "search", "pagination")
# CRAWL_MAX_SCHEDULED_REQUESTS when unset (crawler/settings.py explains it).
DEFAULT_MAX_SCHEDULED_REQUESTS = 1000
# Discovered through a sitemap or feed: an article or a page one step from one.
FEED_DEPTH = 1


class PortalSpider(scrapy.Spider):
    """Crawl one site profile into the archive (see the module docstring)."""

    name = "portal"

    def __init__(self, start_urls: str | Iterable[str] = "",
                 profile: SiteProfile | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(start_urls, str):
            start_urls = [u.strip() for u in start_urls.split(",") if u.strip()]
        if isinstance(profile, SiteProfile):
            self.profile = profile
        elif profile:
            self.profile = load_profile(Path(profile))
        elif start_urls:
            self.profile = profile_from_urls(list(start_urls))
        else:
            raise ValueError("give -a start_urls=URL[,URL...] or -a profile=FILE")
        self.max_depth = self.profile.max_depth
        self.pool = ExtractionPool(0)
        self.max_scheduled = DEFAULT_MAX_SCHEDULED_REQUESTS
        # Canonical URLs handed to Scrapy whose result is not stored yet.
        self.inflight: set[str] = set()
        # The URLs met last, each with nothing left to do this run (queued,
        # fetched this run or not due): at most max_scheduled of them.
        self.settled: OrderedDict[str, None] = OrderedDict()
        # When start() began (ISO 8601 UTC, to the second); None before.
        self.run_started_at: str | None = None
        # Set by start() once the start pages are in flight; refill waits for it.
        self.refilling = False
        self.max_url_length = 0
        # Fetched in the second this run began, by an earlier run: url → fetch_count.
        self.fetched_before_start: dict[str, int] = {}
        self.frontier_changed = True

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "PortalSpider":
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        override = crawler.settings.get("CRAWL_MAX_DEPTH_OVERRIDE")
        if override is not None:
            spider.max_depth = int(override)
        if spider.profile.user_agent:
            crawler.settings.set("USER_AGENT", spider.profile.user_agent, priority="spider")
        spider.pool = ExtractionPool.from_setting(crawler.settings.get("CRAWL_EXTRACT_PROCESSES"))
        spider.max_scheduled = max_scheduled_requests(crawler.settings.get("CRAWL_MAX_SCHEDULED_REQUESTS"))
        # Scrapy's UrlLengthMiddleware never sees the requests refill hands out.
        spider.max_url_length = crawler.settings.getint("URLLENGTH_LIMIT")
        crawler.signals.connect(spider.start_pool, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_scheduler_empty, signal=signals.scheduler_empty)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    def start_pool(self) -> None:
        started = time.perf_counter()
        self.pool.start()
        self.crawler.stats.set_value("crawl/time/pool_start_seconds", time.perf_counter() - started)

    def closed(self, reason: str) -> None:
        self.pool.shutdown()

    @property
    def db(self) -> Any:
        return archive_db(self.crawler)

    async def start(self) -> AsyncIterator[Any]:
        self.run_started_at = utc_now()
        self.fetched_before_start = fetch_counts_since(self.db, self.run_started_at)
        resumed = pending_count(self.db, sites=[self.profile.name])
        if resumed:
            # Handed out first by refill: the frontier is oldest first.
            self.crawler.stats.inc_value("crawl/resumed", resumed)
        starts = {canonicalize_url(url): url for url in self.profile.start_urls}
        self.queue({identity: (url, None) for identity, url in starts.items()}, depth=0, source=None)
        for identity, url in starts.items():
            # Fetched every run, whatever the frontier says of them.
            yield self.page_request(url, depth=0, identity=identity)
        self.refilling = True
        for url in dict.fromkeys(robots_url(u) for u in self.profile.start_urls):
            yield scrapy.Request(url, callback=self.parse_robots, errback=self.on_aux_error,
                                 meta={"dont_obey_robotstxt": True}, dont_filter=True)
        for url in self.profile.sitemaps:
            yield self.aux_request(url, self.parse_sitemap)
        for url in self.profile.feeds:
            yield self.aux_request(url, self.parse_feed)

    # Requests

    def page_request(self, url: str, *, depth: int, identity: str,
                     state: dict[str, Any] | None = None) -> scrapy.Request:
        """Return the request of a page; ``state`` (a known URL) adds validators."""
        self.inflight.add(identity)
        meta: dict[str, Any] = {"identity": identity, "crawl_depth": depth, "state": state,
                                "dont_redirect": True}
        if state and state.get("kind") == "article":
            meta["validators"] = {"etag": state.get("etag"),
                                  "last_modified": state.get("last_modified")}
        # The frontier keeps the crawl to one request per URL and run.
        return scrapy.Request(url, callback=self.parse, errback=self.on_download_error,
                              meta=meta, dont_filter=True)

    def aux_request(self, url: str, callback: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_aux_error)

    def consider(self, urls: Iterable[str], *, depth: int, source: str | None) -> None:
        """Queue the URLs worth fetching in the frontier (new ones, and known ones
        due for a revisit); ``refill`` requests them."""
        stats = self.crawler.stats
        started = time.perf_counter()
        found = self.unsettled(urls)
        states = url_states(self.db, found)
        now = datetime.now(timezone.utc)
        candidates: dict[str, tuple[str, dict[str, Any] | None]] = {}
        revisits: list[str] = []
        for identity, url in found.items():
            state = states.get(identity)
            self.settle(identity)
            if state is None:
                candidates[identity] = (url, None)
            elif state.get("state") == "queued" or self.fetched_this_run(state):
                continue
            elif due_for_revisit(state, now=now, **self.revisit_policy()):
                revisits.append(identity)
            else:
                stats.inc_value("crawl/skipped/not_due")
        self.queue(candidates, depth=depth, source=source)
        if revisits:
            # Queued again, so a run killed before the revisit resumes it.
            requeue(self.db, revisits)
            stats.inc_value("crawl/revisit", len(revisits))
        if candidates or revisits:
            self.frontier_changed = True
        add_seconds(self.crawler, "crawl/time/frontier_seconds", time.perf_counter() - started)

    def unsettled(self, urls: Iterable[str]) -> dict[str, str]:
        """Return ``{canonical URL: URL}`` of the ``urls`` in the profile not
        in flight or met lately (counting those outside the profile)."""
        stats = self.crawler.stats
        found: dict[str, str] = {}
        for url in urls:
            if urlsplit(url).scheme not in ("http", "https"):
                continue
            if self.max_url_length and len(url) > self.max_url_length:
                stats.inc_value("crawl/skipped/url_too_long")
                continue
            if not self.profile.allows(url):
                stats.inc_value("crawl/skipped/outside_profile")
                continue
            identity = canonicalize_url(url)
            if identity in self.settled:
                self.settled.move_to_end(identity)
            elif identity not in self.inflight:
                found.setdefault(identity, url)
        return found

    def settle(self, identity: str) -> None:
        """Remember ``identity`` as having nothing left to do this run, forgetting
        the URL met longest ago beyond ``max_scheduled``."""
        self.settled[identity] = None
        if len(self.settled) > self.max_scheduled:
            self.settled.popitem(last=False)

    def fetched_this_run(self, state: dict[str, Any]) -> bool:
        """Whether the ``urls`` row ``state`` was fetched (and stored) by this run."""
        fetched = state.get("last_fetched_at")
        if self.run_started_at is None or not fetched or fetched < self.run_started_at:
            return False
        before = self.fetched_before_start.get(state["url"])
        return before is None or int(state.get("fetch_count") or 0) > before

    def queue(self, candidates: dict[str, tuple[str, dict[str, Any] | None]], *, depth: int,
              source: str | None) -> None:
        """Record ``{identity: (fetch URL, known state)}`` as queued in the frontier."""
        if candidates:
            enqueue(self.db, [{"url": identity, "fetch_url": url, "site": self.profile.name,
                               "depth": depth, "kind": (state or {}).get("kind") or "unknown",
                               "discovered_from": source}
                              for identity, (url, state) in candidates.items()])

    # Handing the frontier to Scrapy

    def on_scheduler_empty(self) -> None:
        if self.frontier_changed:
            self.refill()

    def on_idle(self) -> None:
        """Keep the crawl open while the frontier hands out requests."""
        if self.refill():
            raise DontCloseSpider

    def refill(self) -> int:
        """Hand the frontier's oldest queued URLs not in flight to Scrapy's
        scheduler, up to ``max_scheduled`` waiting there; return how many."""
        engine = self.crawler.engine
        if not self.refilling or engine is None:
            return 0
        room = self.max_scheduled - self.scheduler_length()
        if room <= 0:
            return 0
        started = time.perf_counter()
        scheduling = 0.0  # making and scheduling requests, not frontier time
        if len(self.inflight) >= 2 * self.max_scheduled:
            self.prune_inflight()
        handed = 0
        for row in iter_pending(self.db, sites=[self.profile.name]):
            if row["url"] in self.inflight:
                continue
            state = row if row.get("last_fetched_at") else None
            scheduled = time.perf_counter()
            engine.crawl(self.page_request(row["fetch_url"] or row["url"], identity=row["url"],
                                           depth=int(row.get("depth") or 0), state=state))
            scheduling += time.perf_counter() - scheduled
            handed += 1
            if handed >= room:
                break
        # Stopped at the cap: more may be waiting.
        self.frontier_changed = handed >= room
        self.crawler.stats.max_value("crawl/scheduled_max", self.scheduler_length())
        add_seconds(self.crawler, "crawl/time/frontier_seconds",
                    time.perf_counter() - started - scheduling)
        return handed

    def prune_inflight(self) -> None:
        """Forget the URLs in flight whose result this run has stored."""
        states = url_states(self.db, self.inflight)
        self.inflight -= {url for url, state in states.items() if self.fetched_this_run(state)}

    def scheduler_length(self) -> int:
        """Return how many requests wait in Scrapy's scheduler."""
        engine = self.crawler.engine
        scheduler = None if engine is None else engine.scheduler
        if isinstance(scheduler, Sized):
            return len(scheduler)
        stats = self.crawler.stats
        return int(stats.get_value("scheduler/enqueued", 0)) - int(stats.get_value("scheduler/dequeued", 0))

    def revisit_policy(self) -> dict[str, float]:
        recrawl = self.profile.recrawl
        return {"article_revisit_hours": recrawl.article_revisit_hours,
                "article_max_age_days": recrawl.article_max_age_days,
                "list_revisit_minutes": recrawl.list_revisit_minutes}

    # Pages

    async def parse(self, response: Response) -> AsyncIterator[Any]:
        meta = response.meta
        identity, depth, state = meta["identity"], meta["crawl_depth"], meta.get("state")
        add_seconds(self.crawler, "crawl/time/download_seconds",
                    float(meta.get("download_latency") or 0.0))
        capture = capture_from_response(response, response.url)
        early = self.answer_without_analysis(response, capture, identity, depth, state)
        if early is not None:
            for output in early:
                yield output
            return
        body_hash = hashlib.sha256(response.body).hexdigest()
        if state and state.get("kind") == "article" and state.get("content_hash") == body_hash:
            yield self.not_modified(capture, identity, state, "same_hash")
            return
        analysis = await self.analyze(response, capture, identity)
        if isinstance(analysis, FailedCaptureItem):
            yield analysis
            return
        self.count_page(analysis.kind, analysis.reason)
        if analysis.kind == "article" and analysis.article is not None:
            yield self.article_item(analysis, capture, identity, body_hash, response)
            return
        if analysis.kind == "error":
            yield self.failed(capture, identity, "error", analysis.reason, response)
            return
        # Followed, kept as a capture, never stored as an article.
        yield self.failed(capture, identity, analysis.kind, None, response)
        if analysis.kind in FOLLOWED_KINDS:
            self.follow(analysis, depth, identity)

    def answer_without_analysis(self, response: Response, capture: Capture, identity: str,
                                depth: int, state: dict[str, Any] | None) -> list[Any] | None:
        """Return the outputs of a response that needs no analysis (304, redirect,
        HTTP error, not HTML), or None for a page to analyze."""
        if response.status == 304:
            return [self.not_modified(capture, identity, state or {}, "304")]
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            target = urljoin(response.url, location.decode("latin-1"))
            self.count_page("redirect", f"http_{response.status}")
            self.consider([target], depth=depth, source=identity)
            return [self.failed(capture, identity, "redirect", None, response)]
        if response.status >= 400:
            return [self.failed(capture, identity, "error", f"http_{response.status}", response)]
        if not is_html(capture.headers.get("Content-Type"), self.settings):
            return [self.failed(capture, identity, "error", "not_html", response)]
        return None

    async def analyze(self, response: Response, capture: Capture,
                      identity: str) -> PageAnalysis | FailedCaptureItem:
        """Return the page's analysis from the extraction pool, or the failed
        capture when extraction gave up (counted as ``crawl/error/<reason>``)."""
        started = time.perf_counter()
        try:
            answer = await self.pool.analyze(
                response.body, response.url, capture.headers,
                extract_options(self.settings, self.profile.timezone))
        except PageFailure as exc:
            self.logger.warning("Could not extract %s: %s", response.url, exc.reason)
            return self.failed(capture, identity, "error", exc.reason, response)
        finally:
            add_seconds(self.crawler, "crawl/time/extract_seconds", time.perf_counter() - started)
        add_seconds(self.crawler, "crawl/time/extract_worker_seconds", answer.cpu_seconds)
        if answer.analysis is None:
            return self.failed(capture, identity, "error", answer.error_reason, response)
        return answer.analysis

    def follow(self, analysis: PageAnalysis, depth: int, identity: str) -> None:
        """Queue a followed page's next pages and links."""
        self.consider(analysis.next_pages, depth=depth, source=identity)
        if depth < self.max_depth:
            self.consider(analysis.links, depth=depth + 1, source=identity)
        else:
            self.crawler.stats.inc_value("crawl/skipped/depth_limit")

    def article_item(self, analysis: PageAnalysis, capture: Capture, identity: str,
                     body_hash: str, response: Response) -> ArticleItem:
        """Return the item of an article page, keyed by its canonical URL."""
        article = analysis.article
        assert article is not None
        declared = analysis.canonical_url
        key = canonicalize_url(declared) if declared and self.profile.allows(declared) else identity
        if key != identity:
            self.crawler.stats.inc_value("crawl/canonical/elsewhere")
        article = replace(article, canonical_url=key)
        capture.encoding = article.encoding
        capture.declared_encoding = article.declared_encoding
        fetch = self.fetch_facts(identity, response, "article", content_hash=body_hash,
                                 article_key=key, published=article.published)
        return ArticleItem(article=article, capture=capture, fetch=fetch)

    def not_modified(self, capture: Capture, identity: str, state: dict[str, Any],
                     reason: str) -> NotModifiedItem:
        self.crawler.stats.inc_value(f"crawl/not_modified/{reason}")
        self.count_page(state.get("kind") or "article", f"not_modified_{reason}")
        fetch = {
            "url": identity, "status": capture.status, "kind": state.get("kind") or "article",
            "etag": capture.headers.get("ETag") or state.get("etag"),
            "last_modified": capture.headers.get("Last-Modified") or state.get("last_modified"),
            "content_hash": state.get("content_hash"), "article_key": state.get("article_key"),
            "published": state.get("published"), "error": None, "fetched_at": capture.fetched_at,
        }
        return NotModifiedItem(capture=capture, fetch=fetch)

    def failed(self, capture: Capture, identity: str, kind: str, reason: str | None,
               response: Response | None) -> FailedCaptureItem:
        """Return the capture item of a page not stored as an article.

        ``reason`` (an error) marks the URL failed; None, a followed page, done.
        """
        if kind == "error":
            self.crawler.stats.inc_value(f"crawl/error/{reason}")
        capture.error = reason
        fetch = self.fetch_facts(identity, response, kind, error=reason)
        return FailedCaptureItem(capture=capture, fetch=fetch)

    def fetch_facts(self, identity: str, response: Response | None, kind: str, *,
                    error: str | None = None, content_hash: str | None = None,
                    article_key: str | None = None, published: str | None = None) -> dict[str, Any]:
        """Return the ``fetch`` dict the archive writes to ``urls`` with the capture."""
        def header(name: str) -> str | None:
            value = None if response is None else response.headers.get(name)
            return None if value is None else value.decode("latin-1")

        return {"url": identity, "status": None if response is None else response.status,
                "kind": kind, "etag": header("ETag"), "last_modified": header("Last-Modified"),
                "content_hash": content_hash, "article_key": article_key,
                "published": published, "error": error, "fetched_at": utc_now_iso()}

    def on_download_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        reason = download_error_reason(failure.value)
        self.logger.info("Could not fetch %s: %s (%s)", request.url, reason, failure.value)
        capture = Capture(url=request.url, final_url=request.url, fetched_at=utc_now_iso())
        yield self.failed(capture, request.meta["identity"], "error", reason, None)

    # Robots.txt, sitemaps and feeds

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status != 200:
            return
        for url in robots_sitemaps(response.body, response.url):
            self.crawler.stats.inc_value("crawl/sitemap/from_robots")
            yield self.aux_request(url, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status != 200:
            self.crawler.stats.inc_value(f"crawl/error/sitemap_http_{response.status}")
            return
        try:
            content = read_sitemap(response.body, response.url,
                                   max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        except DiscoveryError as exc:
            self.crawler.stats.inc_value(f"crawl/error/{exc.reason}")
            return
        if content.is_index:
            for url in content.urls:
                yield self.aux_request(url, self.parse_sitemap)
            return
        self.crawler.stats.inc_value("crawl/sitemap/urls", len(content.urls))
        self.consider(content.urls, depth=FEED_DEPTH, source=canonicalize_url(response.url))

    def parse_feed(self, response: Response) -> None:
        if response.status != 200:
            self.crawler.stats.inc_value(f"crawl/error/feed_http_{response.status}")
            return
        try:
            links = read_feed(response.body, response.url)
        except DiscoveryError as exc:
            self.crawler.stats.inc_value(f"crawl/error/{exc.reason}")
            return
        self.crawler.stats.inc_value("crawl/feed/urls", len(links))
        self.consider(links, depth=FEED_DEPTH, source=canonicalize_url(response.url))

    def on_aux_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        reason = download_error_reason(failure.value)
        self.crawler.stats.inc_value(f"crawl/error/{reason}")
        self.logger.info("Could not fetch %s: %s", request.url, reason)

    # Helpers

    def count_page(self, kind: str, reason: str) -> None:
        self.crawler.stats.inc_value(f"crawl/page/{kind}/{reason}")


def max_scheduled_requests(raw: Any) -> int:
    """Return CRAWL_MAX_SCHEDULED_REQUESTS as an int; ValueError unless it is 1 or more."""
    if raw is None or raw == "":
        return DEFAULT_MAX_SCHEDULED_REQUESTS
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise ValueError(f"CRAWL_MAX_SCHEDULED_REQUESTS must be a number of requests, 1 or more "
                         f"(got {raw!r}); the default is {DEFAULT_MAX_SCHEDULED_REQUESTS}")
    return value


def robots_url(url: str) -> str:
    """Return the robots.txt URL of ``url``'s site."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"
