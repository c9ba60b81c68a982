"""Discovery helpers of portal crawls: URLs out of sitemaps, robots.txt and feeds.

Pure functions over bytes and text, used by ``crawler/spiders/portal.py``:
``read_sitemap`` (urlsets and sitemap indexes, plain or gzipped, through
Scrapy's ``Sitemap``), ``robots_sitemaps`` (the ``Sitemap:`` lines of a
robots.txt) and ``read_feed`` (RSS 2.0 items and Atom entries, parsed with
lxml without entity expansion or network access).  A document that is not
what it should be raises ``DiscoveryError`` with a stable ``reason``.
Imports Scrapy's sitemap utilities, lxml and the stdlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

GZIP_MAGIC = b"\x1f\x8b"
ATOM_NS = "{http://www.w3.org/2005/Atom}"


class DiscoveryError(ValueError):
    """A sitemap or feed that cannot be read; ``reason`` is a stats key part."""

    def __init__(self, reason: str, url: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.reason = reason
        self.url = url


@dataclass(frozen=True)
class SitemapContent:
    """What one sitemap document lists: page URLs or (for an index) sitemap URLs."""

    is_index: bool
    urls: tuple[str, ...]


def read_sitemap(body: bytes, url: str, *, max_size: int = 0) -> SitemapContent:
    """Return the URLs of a sitemap or sitemap index (gzipped or not).

    ``max_size`` bounds the gunzipped size (0: no bound).  Raises
    DiscoveryError("sitemap_gzip_invalid" | "sitemap_too_large" |
    "sitemap_invalid").
    """
    if body.startswith(GZIP_MAGIC):
        try:
            body = gunzip(body, max_size=max_size)
        except OSError as exc:
            raise DiscoveryError("sitemap_gzip_invalid", url) from exc
        except ValueError as exc:  # _DecompressionMaxSizeExceeded
            raise DiscoveryError("sitemap_too_large", url) from exc
    try:
        sitemap = Sitemap(body)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DiscoveryError("sitemap_invalid", url) from exc
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise DiscoveryError("sitemap_invalid", url)
    urls = tuple(urljoin(url, entry["loc"].strip()) for entry in sitemap if entry.get("loc"))
    return SitemapContent(is_index=sitemap.type == "sitemapindex", urls=urls)


def robots_sitemaps(robots_txt: bytes, base_url: str) -> tuple[str, ...]:
    """Return the absolute sitemap URLs a robots.txt names."""
    return tuple(sitemap_urls_from_robots(robots_txt, base_url=base_url))


def read_feed(body: bytes, url: str) -> tuple[str, ...]:
    """Return the article links of an RSS 2.0 or Atom feed, in feed order.

    Raises DiscoveryError("feed_invalid") when the document is neither.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True,
                             huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError("feed_invalid", url) from exc
    if root is None:
        raise DiscoveryError("feed_invalid", url)
    if root.tag == "rss" or root.tag.endswith("RDF"):
        links = [text for text in root.xpath("//*[local-name()='item']/*[local-name()='link']/text()")]
    elif root.tag == f"{ATOM_NS}feed":
        links = [
            link.get("href", "")
            for entry in root.iter(f"{ATOM_NS}entry")
            for link in entry.iter(f"{ATOM_NS}link")
            if link.get("rel", "alternate") == "alternate"
        ]
    else:
        raise DiscoveryError("feed_invalid", url)
    return tuple(dict.fromkeys(urljoin(url, str(link).strip()) for link in links if str(link).strip()))
