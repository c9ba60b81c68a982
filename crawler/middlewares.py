"""Downloader middlewares of the crawler: refuse requests to private addresses.

``PrivateAddressMiddleware`` keeps a crawl from being pointed at the machine
it runs on or its network (loopback, RFC 1918, link-local, reserved), unless
``CRAWL_ALLOW_PRIVATE_ADDRESSES`` is on.  It checks the host of every request,
redirects included, when the host is an IP literal or ``localhost``; a public
name that resolves to a private address is not caught (that would need a
resolver hook).  Imports Scrapy and the stdlib.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

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
