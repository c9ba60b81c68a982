"""ArchiveSpider: fetch exactly the URLs it is given and extract each into an item.

No link following: every requested URL yields one item, an ``ArticleItem`` or
a ``FailedCaptureItem`` whose ``capture.error`` is a short, stable reason
(``http_404``, ``not_html``, ``dns_lookup_failed``, ``too_large``, ``timeout``,
``robots_txt_unreachable``, ``body_too_short`` ...).
The spider keeps one outcome line per requested URL in ``outcomes`` (the
pipelines fill in "archived"/"updated"/"unchanged"), which the CLI prints.
Imports Scrapy, Twisted and crawler.extract; nothing of Scrapy leaves it but
plain-valued items.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, AsyncIterator, Iterable, Iterator

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.internet import error as twisted_error
from twisted.python.failure import Failure

from crawler.extract import ExtractionError, ExtractOptions, NotAnArticle, extract_article
from crawler.items import ArticleItem, Capture, FailedCaptureItem
from crawler.limits import ResponseTooLarge
from crawler.addresses import PrivateAddressRefused
from crawler.robots import RobotsTxtUnreachable

# Download errors and the reason we record for them.  Scrapy's own exception
# types come first; the Twisted ones are what older download handlers raise.
DOWNLOAD_ERROR_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (PrivateAddressRefused, "private_address"),
    (ResponseTooLarge, "too_large"),
    (RobotsTxtUnreachable, "robots_txt_unreachable"),
    (CannotResolveHostError, "dns_lookup_failed"),
    (twisted_error.DNSLookupError, "dns_lookup_failed"),
    (DownloadConnectionRefusedError, "connection_refused"),
    (twisted_error.ConnectionRefusedError, "connection_refused"),
    (DownloadTimeoutError, "timeout"),
    (twisted_error.TimeoutError, "timeout"),
    (twisted_error.TCPTimedOutError, "timeout"),
    # Scrapy 2.19's HTTP/1.1 handler cancels a download only for a body over
    # DOWNLOAD_MAXSIZE (by Content-Length or as it streams in); its timeout
    # raises DownloadTimeoutError instead.
    (DownloadCancelledError, "too_large"),
    (ResponseDataLossError, "connection_lost"),
    (twisted_error.ConnectionLost, "connection_lost"),
    (UnsupportedURLSchemeError, "unsupported_scheme"),
    (DownloadFailedError, "download_failed"),
)
# When robots.txt failed because the host cannot be reached at all, the page
# would fail the same way: its reason says that rather than robots_txt_unreachable.
HOST_UNREACHABLE_REASONS = frozenset({"dns_lookup_failed", "connection_refused", "private_address"})
# IgnoreRequest carries no type of its own for these, only its message.
IGNORE_REQUEST_REASONS = (
    ("max redirections reached", "too_many_redirects"),
    ("robots.txt", "robots_txt_forbidden"),
)


class ArchiveSpider(scrapy.Spider):
    """Fetch the given URLs (``-a urls=a,b`` or a list) and yield one item per URL."""

    name = "archive"

    def __init__(self, urls: str | Iterable[str] = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(urls, str):
            urls = [u.strip() for u in urls.split(",")]
        self.requested_urls: list[str] = list(dict.fromkeys(u for u in urls if u))
        self.outcomes: dict[str, str] = {}

    async def start(self) -> AsyncIterator[Any]:
        for url in self.requested_urls:
            yield scrapy.Request(
                url,
                callback=self.parse,
                errback=self.on_download_error,
                cb_kwargs={"requested_url": url},
                dont_filter=True,
            )

    def record_outcome(self, requested_url: str, outcome: str) -> None:
        """Remember the outcome line for ``requested_url`` (the last one wins)."""
        self.outcomes[requested_url] = outcome

    def parse(self, response: Response, requested_url: str) -> Iterator[Any]:
        capture = capture_from_response(response, requested_url)
        if response.status >= 400:
            yield self.fail(capture, f"http_{response.status}")
            return
        if not is_html(capture.headers.get("Content-Type"), self.settings):
            yield self.fail(capture, "not_html")
            return
        try:
            article = extract_article(
                response.body, url=response.url, headers=capture.headers,
                options=extract_options(self.settings),
            )
        except ExtractionError as exc:
            self.crawler.stats.inc_value(f"extract/not_article/{exc.reason}")
            kind = "not an article" if isinstance(exc, NotAnArticle) else "unparseable"
            self.logger.info("Skipping %s (%s): %s", response.url, kind, exc.reason)
            yield self.fail(capture, exc.reason)
            return
        capture.encoding = article.encoding
        capture.declared_encoding = article.declared_encoding
        yield ArticleItem(article=article, capture=capture)

    def on_download_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        requested_url = request.cb_kwargs.get("requested_url", request.url)
        reason = download_error_reason(failure.value)
        self.crawler.stats.inc_value(f"crawl/download_error/{reason}")
        self.logger.info("Could not fetch %s: %s (%s)", request.url, reason, failure.value)
        capture = Capture(
            url=requested_url, final_url=request.url, fetched_at=utc_now_iso(),
        )
        yield self.fail(capture, reason)

    def fail(self, capture: Capture, reason: str) -> FailedCaptureItem:
        """Return the item recording a failed capture and note the outcome."""
        capture.error = reason
        self.record_outcome(capture.url, f"failed: {reason}")
        return FailedCaptureItem(capture=capture)



def capture_from_response(response: Response, requested_url: str) -> Capture:
    """Return the fetch facts of ``response`` as a Capture."""
    return Capture(
        url=requested_url,
        final_url=response.url,
        fetched_at=utc_now_iso(),
        status=response.status,
        headers=headers_to_dict(response.headers),
        body=response.body,
    )


def headers_to_dict(headers: Any) -> dict[str, str]:
    """Return Scrapy's bytes headers as ``{name: value}``, repeated values joined by ", "."""
    return {
        name.decode("latin-1"): ", ".join(v.decode("latin-1") for v in values)
        for name, values in headers.items()
    }


def is_html(content_type: str | None, settings: BaseSettings) -> bool:
    """Return True when a page may be HTML (no Content-Type counts as maybe)."""
    if not content_type:
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in settings.getlist("CRAWL_HTML_CONTENT_TYPES")


def extract_options(settings: BaseSettings, site_timezone: str | None = None) -> ExtractOptions:
    """Return the ExtractOptions of the EXTRACT_* settings; ``site_timezone`` wins."""
    return ExtractOptions(
        fetched_at=datetime.now(timezone.utc),
        site_timezone=site_timezone or settings.get("EXTRACT_SITE_TIMEZONE") or None,
        min_body_chars=settings.getint("EXTRACT_MIN_BODY_CHARS"),
        include_captions=settings.getbool("EXTRACT_INCLUDE_CAPTIONS"),
        max_replacement_ratio=settings.getfloat("EXTRACT_MAX_REPLACEMENT_RATIO"),
    )


def download_error_reason(exc: BaseException | None) -> str:
    """Return the short reason recorded for a download error."""
    if isinstance(exc, RobotsTxtUnreachable) and exc.error is not None:
        cause = download_error_reason(exc.error)
        if cause in HOST_UNREACHABLE_REASONS:
            return cause
    for exc_type, reason in DOWNLOAD_ERROR_REASONS:
        if isinstance(exc, exc_type):
            return reason
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        for needle, reason in IGNORE_REQUEST_REASONS:
            if needle in message:
                return reason
        return "ignored"
    return "download_error"


def utc_now_iso() -> str:
    """Return the current time as ISO 8601 UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
