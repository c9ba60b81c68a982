"""Item pipelines: validate an extracted article, then store it in the SQLite archive.

Order (set in settings.ITEM_PIPELINES): ``ValidatePipeline`` drops articles
without a title or body (``DropItem`` with the reason); ``ArchivePipeline``
saves articles with ``archive.save_article`` and failed captures with
``archive.save_failure``, and also stores the capture of every dropped item,
so no fetched page is lost.  Each pipeline reports the outcome of a requested
URL to the spider's ``record_outcome`` when it has one.  Imports Scrapy,
archive and crawler.items.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlite_utils import Database

from archive import ArchiveError, open_archive, save_article, save_failure
from crawler.items import ArticleItem, FailedCaptureItem

logger = logging.getLogger(__name__)


def record_outcome(crawler: Crawler, requested_url: str, outcome: str) -> None:
    """Tell the running spider the outcome for ``requested_url``, if it keeps them."""
    recorder = getattr(crawler.spider, "record_outcome", None)
    if recorder is not None:
        recorder(requested_url, outcome)


class ValidatePipeline:
    """Drop articles with an empty title or body; pass everything else on."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ValidatePipeline":
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            for field in ("title", "body"):
                if not getattr(item.article, field).strip():
                    reason = f"no_{field}"
                    self.crawler.stats.inc_value(f"validate/dropped/{reason}")
                    raise DropItem(reason)
        return item


class ArchivePipeline:
    """Store articles and failed captures in the archive at ARCHIVE_DB_PATH."""

    def __init__(self, crawler: Crawler, db: Database) -> None:
        self.crawler = crawler
        self.db = db

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchivePipeline":
        raw = crawler.settings.get("ARCHIVE_DB_PATH")
        if not raw:
            raise ArchiveError(
                "ARCHIVE_DB_PATH is empty: set it to the SQLite file to write, "
                "e.g. -s ARCHIVE_DB_PATH=archive.db"
            )
        # Opened here, not in open_spider, so a bad path stops the run at startup.
        pipeline = cls(crawler, open_archive(Path(raw)))
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def close_spider(self) -> None:
        self.db.close()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            status = save_article(self.db, item.article_dict(), item.capture.to_dict())
            self.crawler.stats.inc_value(f"archive/articles_{status}")
            record_outcome(self.crawler, item.capture.url, status)
        elif isinstance(item, FailedCaptureItem):
            save_failure(self.db, item.capture.to_dict())
            self.crawler.stats.inc_value("archive/captures_failed")
        return item

    def item_dropped(self, item: Any, response: Any, exception: BaseException) -> None:
        """Store the capture of an article a pipeline dropped, with the drop reason."""
        if not isinstance(item, ArticleItem):
            return
        capture = item.capture.to_dict()
        capture["error"] = str(exception) or type(exception).__name__
        save_failure(self.db, capture)
        self.crawler.stats.inc_value("archive/captures_failed")
        record_outcome(self.crawler, item.capture.url, f"failed: {capture['error']}")
