"""Downloader middlewares of the crawler: conditional GET, Retry-After.

The address guards live in ``crawler.addresses``, robots.txt in
``crawler.robots``, the size cap in ``crawler.limits``.
``ConditionalGetMiddleware`` sends ``If-None-Match`` and
``If-Modified-Since`` from the validators the portal spider puts in
``request.meta["validators"]``.  ``RetryAfterMiddleware`` answers a 429 or 503
that carries ``Retry-After`` by retrying after that long, at most
``CRAWL_RETRY_AFTER_MAX_SECONDS``.  ``CanonicalDupeFilter`` makes Scrapy's
duplicate filter compare canonical URLs (``crawler.urls``).  Imports Scrapy,
crawler.urls and the stdlib.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Response

from crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)


class ConditionalGetMiddleware:
    """Turn ``request.meta["validators"]`` (etag, last_modified) into conditional headers."""

    def process_request(self, request: Request) -> None:
        validators = request.meta.get("validators") or {}
        if validators.get("etag"):
            request.headers.setdefault("If-None-Match", validators["etag"])
        if validators.get("last_modified"):
            request.headers.setdefault("If-Modified-Since", validators["last_modified"])


RETRY_AFTER_STATUSES = (429, 503)


class RetryAfterMiddleware:
    """Retry a 429/503 after the server's Retry-After, if that is short enough.

    Sits before Scrapy's RetryMiddleware in the response chain (a higher
    number), so a Retry-After the site sends wins over an immediate retry.
    A wait beyond ``CRAWL_RETRY_AFTER_MAX_SECONDS``, or a request retried
    ``CRAWL_RETRY_AFTER_TIMES`` times already, passes the response on: the
    spider records it as a failure (``http_429``, ``http_503``).
    """

    def __init__(self, crawler: Crawler, max_seconds: float, max_times: int) -> None:
        self.crawler = crawler
        self.max_seconds = max_seconds
        self.max_times = max_times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RetryAfterMiddleware":
        return cls(crawler, crawler.settings.getfloat("CRAWL_RETRY_AFTER_MAX_SECONDS"),
                   crawler.settings.getint("CRAWL_RETRY_AFTER_TIMES"))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in RETRY_AFTER_STATUSES:
            return response
        delay = retry_after_seconds(response.headers.get("Retry-After"))
        times = int(request.meta.get("retry_after_times", 0))
        stats = self.crawler.stats
        if delay is None or times >= self.max_times:
            return response
        if delay > self.max_seconds:
            stats.inc_value(f"crawl/retry_after/too_long/{response.status}")
            return response
        stats.inc_value(f"crawl/retry_after/waited/{response.status}")
        logger.info("%s answered %s, Retry-After %.0f s: retrying then", request.url,
                    response.status, delay)
        await asyncio.sleep(delay)
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = times + 1
        return retry


def retry_after_seconds(value: bytes | None) -> float | None:
    """Return the wait a Retry-After header asks for (seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class CanonicalDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter over canonical URLs: ``?utm_source=x`` is a repeat."""

    def request_seen(self, request: Request) -> bool:
        return super().request_seen(request.replace(url=canonicalize_url(request.url)))
