"""Which addresses a crawl may fetch from, and the three places that enforce it.

Every fetch is server-side: whoever picks a URL (a seed list, a sitemap, a
link, a redirect) could point the crawler at the machine it runs on, its
network, or a cloud metadata service.  ``AddressPolicy`` allows only public
(global unicast) addresses, unless ``CRAWL_ALLOW_PRIVATE_ADDRESSES`` is on or
the address lies in one of the ``CRAWL_ALLOWED_NETWORKS``.  IPv6 forms that
embed an IPv4 address (``::ffff:127.0.0.1``, NAT64, 6to4) are judged by it.
Three layers enforce the policy, each one alone enough to keep a refused
address out of the archive:

* ``PrivateAddressMiddleware`` (downloader middleware, request time) refuses
  schemes other than http and https, and hosts that spell a refused address
  in any form ``inet_aton`` or ``ipaddress`` reads (``2130706433``,
  ``0x7f.1``, ``0177.0.0.1``, ``[::ffff:127.0.0.1]``) or are ``localhost``
  names, before any request is sent.
* ``PublicAddressResolver`` (``TWISTED_DNS_RESOLVER``, one per process)
  refuses a name that resolves to a refused address, so no connection is
  opened to it: public names that resolve privately, redirects included.
  Scrapy reads ``TWISTED_DNS_RESOLVER`` from the process settings only, never
  from a spider's ``custom_settings``; ``ConnectedAddressMiddleware`` checks at
  start-up that it is installed.
* ``ConnectedAddressMiddleware`` refuses a response whose connected address
  (``response.ip_address``) the policy refuses, and names the resolver's
  refusals ``PrivateAddressRefused`` instead of a DNS failure.

Exceptions: ``IgnoreRequest`` → ``PrivateAddressRefused`` (the request's
errback sees it; the spiders record ``private_address``); ``DNSLookupError`` →
``PrivateAddressLookupError`` (inside the resolver); ``ValueError`` →
``AddressPolicyError`` (a bad setting, at start-up).  Imports Scrapy, Twisted,
zope.interface and the stdlib.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any, Mapping, Sequence
from urllib.parse import unquote

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    IgnoreRequest,
    NotConfigured,
    UnsupportedURLSchemeError,
)
from scrapy.http import Response
from scrapy.resolver import CachingThreadedResolver
from scrapy.settings import BaseSettings
from scrapy.utils.datatypes import LocalCache
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

logger = logging.getLogger(__name__)

WEB_SCHEMES = frozenset({"http", "https"})
LOCAL_HOST_NAMES = frozenset({"localhost", "localhost.localdomain"})
LOOPBACK = IPv4Address("127.0.0.1")
# What inet_aton reads as an IPv4 address: one to four decimal, octal (0177)
# or hex (0x7f) parts.  The regex keeps out the text glibc's inet_aton
# ignores after a space.
NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")
# IPv6 prefixes whose last 32 bits are an IPv4 address a gateway connects to
# (RFC 6052 and RFC 8215 NAT64).
NAT64_NETWORKS = (IPv6Network("64:ff9b::/96"),)
# RFC 8215's local-use NAT64 prefix: where the IPv4 address sits depends on the
# operator's prefix length, so no address in it is taken for public (review).
LOCAL_NAT64_NETWORK = IPv6Network("64:ff9b:1::/48")
# Refused lookups remembered per host name, so the middleware can say
# private_address rather than dns_lookup_failed; bounded like Scrapy's dnscache.
REFUSED_LOOKUPS_REMEMBERED = 10000


class PrivateAddressRefused(IgnoreRequest):
    """A request to, or a response from, an address the policy refuses."""


class AddressPolicyError(ValueError):
    """``CRAWL_ALLOWED_NETWORKS`` or ``TWISTED_DNS_RESOLVER`` is set wrong."""


class PrivateAddressLookupError(DNSLookupError):
    """The resolver refused a name because of the address it resolves to."""


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, plus the allowed networks, or everything."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> "AddressPolicy":
        """Return the policy of CRAWL_ALLOW_PRIVATE_ADDRESSES and CRAWL_ALLOWED_NETWORKS.

        Raises AddressPolicyError naming an entry that is not a network.
        """
        return cls(settings.getbool("CRAWL_ALLOW_PRIVATE_ADDRESSES"),
                   parse_networks(settings.getlist("CRAWL_ALLOWED_NETWORKS")))

    def allows(self, address: IPAddress) -> bool:
        """Return True when the crawl may fetch from ``address``."""
        if self.allow_private:
            return True
        address = embedded_ipv4(address) or address
        if any(address in network for network in self.allowed_networks):
            return True
        return is_public_address(address)


def parse_networks(entries: Sequence[str]) -> tuple[IPNetwork, ...]:
    """Return the networks of ``CRAWL_ALLOWED_NETWORKS`` entries (CIDR or single address).

    Raises AddressPolicyError for an entry that is not one.
    """
    networks = []
    for entry in filter(None, (entry.strip() for entry in entries)):
        try:
            networks.append(ipaddress.ip_network(entry))
        except ValueError as exc:
            raise AddressPolicyError(
                f"CRAWL_ALLOWED_NETWORKS: {entry!r} is not a network such as 10.0.0.0/8, "
                f"192.168.1.20 or fd00::/8 ({exc})"
            ) from exc
    return tuple(networks)


def is_public_address(address: IPAddress) -> bool:
    """Return True for a global unicast address.

    Loopback, private (RFC 1918, unique local), CGNAT (100.64/10), link-local
    (169.254.169.254 metadata included), multicast, reserved, unspecified and
    site-local addresses are not public; an IPv6 address embedding an IPv4
    one is judged by the IPv4 address.
    """
    embedded = embedded_ipv4(address)
    if embedded is not None:
        return is_public_address(embedded)
    site_local = isinstance(address, IPv6Address) and (
        address.is_site_local or address in LOCAL_NAT64_NETWORK)
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_private
        or address.is_link_local or address.is_loopback or address.is_unspecified
        or site_local
    )


def embedded_ipv4(address: IPAddress) -> IPv4Address | None:
    """Return the IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4), or None."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    value = int(address)
    if value >> 32 == 0 and value > 1:  # IPv4-compatible ::a.b.c.d (not :: or ::1)
        return IPv4Address(value)
    if any(address in network for network in NAT64_NETWORKS):
        return IPv4Address(value & 0xFFFFFFFF)
    return None


def host_address(host: str) -> IPAddress | None:
    """Return the address a URL host spells literally, or None for a name.

    Reads every form the resolver would: dotted quads, ``2130706433``,
    ``0x7f000001``, ``127.1``, ``0177.0.0.1``, IPv6 with or without brackets
    and a zone; ``localhost`` names stand for 127.0.0.1.
    """
    host = unquote(host).strip("[]").lower().rstrip(".")
    if host in LOCAL_HOST_NAMES or host.endswith(".localhost"):
        return LOOPBACK
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if NUMERIC_HOST.fullmatch(host):
        try:
            return IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


class PrivateAddressMiddleware:
    """Refuse, before any request is sent, a scheme other than http(s) or a refused literal host."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "PrivateAddressMiddleware":
        return cls(AddressPolicy.from_settings(crawler.settings))

    def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        if parts.scheme not in WEB_SCHEMES:
            raise UnsupportedURLSchemeError(f"{parts.scheme!r} is not fetched, only http and https")
        if request.meta.get("proxy"):
            raise PrivateAddressRefused(
                f"{request.url}: a proxy looks the host up itself, so its address cannot be checked")
        host = parts.hostname or ""
        address = host_address(host)
        if address is not None and not self.policy.allows(address):
            raise PrivateAddressRefused(f"{host} is a private address ({address})")


@implementer(IResolverSimple)
class PublicAddressResolver(CachingThreadedResolver):
    """Scrapy's default resolver, refusing names that resolve to refused addresses.

    Twisted's HTTP client resolves every host through it, IP literals and
    numeric forms included, so no connection is opened to a refused address.
    A refusal reaches Scrapy as a failed lookup; ``refused`` remembers the
    host so ``ConnectedAddressMiddleware`` can tell the two apart.
    """

    def __init__(self, reactor: Any, cache_size: int, timeout: float,
                 policy: AddressPolicy) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy
        self.refused: LocalCache[str, str] = LocalCache(REFUSED_LOOKUPS_REMEMBERED)

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> "PublicAddressResolver":
        # ``crawler`` is the CrawlerProcess here: Scrapy installs one resolver
        # per process, from the process settings.
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        try:
            policy = AddressPolicy.from_settings(settings)
        except AddressPolicyError:
            # Raised here it would be a traceback out of the reactor set-up; the
            # middlewares raise it again where Scrapy reports a failed start.
            policy = AddressPolicy()
        return cls(reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), policy)

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        deferred: Deferred[str] = super().getHostByName(name, timeout)
        return deferred.addCallback(self.check_address, name)

    def check_address(self, address: str, name: str) -> str:
        """Return ``address`` if the policy allows it; raise PrivateAddressLookupError if not."""
        if self.policy.allows(ipaddress.ip_address(address)):
            return address
        self.refused[name.lower()] = address
        logger.info("Refused %s: it resolves to %s, a private address", name, address)
        raise PrivateAddressLookupError(f"{name} resolves to {address}, a private address")


class ConnectedAddressMiddleware:
    """Refuse a response from a refused address; report resolver refusals as such."""

    def __init__(self, policy: AddressPolicy, refused_lookups: Mapping[str, str]) -> None:
        self.policy = policy
        self.refused_lookups = refused_lookups  # host name → address, from the resolver

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ConnectedAddressMiddleware":
        policy = AddressPolicy.from_settings(crawler.settings)
        if policy.allow_private:
            raise NotConfigured("CRAWL_ALLOW_PRIVATE_ADDRESSES is on")
        if crawler.settings.getbool("HTTPPROXY_ENABLED"):
            # Through a proxy neither our resolver nor response.ip_address
            # (the proxy's) sees the address fetched (found in review).
            raise AddressPolicyError(
                "HTTPPROXY_ENABLED is on: a proxy looks host names up itself, so private "
                "addresses cannot be refused; allow them (--allow-private) to crawl through a proxy")
        return cls(policy, installed_resolver().refused)

    def process_response(self, request: Request, response: Response) -> Response:
        address = response.ip_address
        if address is not None and not self.policy.allows(address):
            raise PrivateAddressRefused(f"{request.url} was answered from {address}, a private address")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, (CannotResolveHostError, DNSLookupError)):
            host = (urlparse_cached(request).hostname or "").lower()
            address = self.refused_lookups.get(host)
            if address is not None:
                raise PrivateAddressRefused(f"{host} resolves to {address}, a private address")


def installed_resolver() -> PublicAddressResolver:
    """Return the process's PublicAddressResolver.

    Raises AddressPolicyError when another resolver is installed, which
    would let names that resolve privately through.
    """
    from twisted.internet import reactor

    resolver = getattr(reactor, "resolver", None)
    if not isinstance(resolver, PublicAddressResolver):
        raise AddressPolicyError(
            f"TWISTED_DNS_RESOLVER is {type(resolver).__name__}, which lets private "
            "addresses through: set it to crawler.addresses.PublicAddressResolver in the "
            "process settings (settings.py or -s, not a spider's custom_settings), or "
            "allow private addresses"
        )
    return resolver
