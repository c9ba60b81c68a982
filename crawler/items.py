"""The items the spider hands to the pipelines: an extracted article or a failed capture.

Each may carry ``fetch``: the facts the frontier (``archive.frontier``'s
``urls`` table) records for the URL in the same transaction as the capture
(see ``archive.save_article``).  ``NotModifiedItem`` is a portal-crawl revisit
that found the page unchanged (a 304, or the same body hash).  All are
dataclass items (Scrapy supports them through itemadapter) holding
plain values only, so a pipeline turns them into the dicts ``archive`` takes
with ``article_dict()`` and ``capture_dict()`` and nothing of Scrapy reaches
the archive.  Imports the stdlib and crawler.extract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawler.extract import Article


@dataclass
class Capture:
    """What the downloader saw for one requested URL: the fetch facts."""

    url: str
    final_url: str
    fetched_at: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    declared_encoding: str | None = None
    encoding: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the capture dict ``archive.save_article``/``save_failure`` take."""
        return {
            "url": self.url,
            "final_url": self.final_url,
            "fetched_at": self.fetched_at,
            "status": self.status,
            "headers": dict(self.headers),
            "body": self.body,
            "declared_encoding": self.declared_encoding,
            "encoding": self.encoding,
            "error": self.error,
        }


@dataclass
class ArticleItem:
    """An extracted article and the capture it came from."""

    article: Article
    capture: Capture
    fetch: dict[str, Any] | None = None

    def article_dict(self) -> dict[str, Any]:
        """Return the article as the JSON-ready dict ``archive.save_article`` takes."""
        return self.article.to_dict()


@dataclass
class FailedCaptureItem:
    """A requested URL that gave no article; ``capture.error`` holds the reason."""

    capture: Capture
    fetch: dict[str, Any] | None = None


@dataclass
class NotModifiedItem:
    """A revisited URL whose page has not changed: a capture, the article untouched."""

    capture: Capture
    fetch: dict[str, Any]
