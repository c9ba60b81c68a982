"""Downloader middlewares of the crawler: refuse private addresses, obey robots.txt.

``PrivateAddressMiddleware`` keeps a crawl from being pointed at the machine
it runs on or its network (loopback, RFC 1918, link-local, reserved), unless
``CRAWL_ALLOW_PRIVATE_ADDRESSES`` is on.  It checks the host of every request,
redirects included, when the host is an IP literal or ``localhost``; a public
name that resolves to a private address is not caught (that would need a
resolver hook).  ``ConcurrentRobotsTxtMiddleware`` replaces Scrapy's
robots.txt middleware to fix how it answers requests that wait for the same
robots.txt.  Imports Scrapy, Twisted and the stdlib.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

LOCAL_HOST_NAMES = frozenset({"localhost", "localhost.localdomain"})


class PrivateAddressRefused(IgnoreRequest):
    """A request to a loopback/private address while those are not allowed."""


class PrivateAddressMiddleware:
    """Raise PrivateAddressRefused for requests to non-public addresses."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "PrivateAddressMiddleware":
        if crawler.settings.getbool("CRAWL_ALLOW_PRIVATE_ADDRESSES"):
            raise NotConfigured("CRAWL_ALLOW_PRIVATE_ADDRESSES is on")
        return cls()

    def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        if is_private_host(host):
            raise PrivateAddressRefused(f"{host} is a private address")


def is_private_host(host: str) -> bool:
    """Return True for ``localhost`` and IP literals that are not global addresses."""
    host = host.strip("[]").lower()
    if host in LOCAL_HOST_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


class ConcurrentRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, with every request that waited for robots.txt checked.

    In Scrapy 2.19 the requests that arrive while a site's robots.txt is being
    fetched all await one Deferred through ``asFuture``; only the first gets
    the parser, the others get None, which reads as "no robots.txt", and go
    out unchecked (tests/crawler: a third URL under a Disallow rule was
    fetched).  Once the wait is over the parser is stored in ``_parsers``, so
    we take it from there.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            stored = self._parsers.get(urlparse_cached(request).netloc)
            if not isinstance(stored, Deferred):
                parser = stored
        return parser
