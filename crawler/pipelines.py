"""Item pipelines: validate an extracted article, then store it in the SQLite archive.

Order (set in settings.ITEM_PIPELINES): ``ValidatePipeline`` drops articles
without a title or body (``DropItem`` with the reason); ``ArchivePipeline``
saves articles with ``archive.save_article`` and failed captures with
``archive.save_failure`` and unchanged revisits with
``archive.save_not_modified``, each with the item's ``fetch`` facts for the
frontier in the same transaction, and also stores the capture of every dropped item,
so no fetched page is lost.  Each pipeline reports the outcome of a requested
URL to the spider's ``record_outcome`` when it has one.  Imports Scrapy,
archive and crawler.items.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlite_utils import Database

from archive import ArchiveError, open_archive, save_article, save_failure, save_not_modified
from crawler.items import ArticleItem, FailedCaptureItem, NotModifiedItem

logger = logging.getLogger(__name__)


def archive_db(crawler: Crawler) -> Database:
    """Return the crawl's one connection to the archive at ARCHIVE_DB_PATH.

    The spider (frontier reads), the pipeline (writes) and the extensions
    (``crawl_runs``) share it: all run in the reactor thread, and one
    connection cannot wait on its own write lock.  It is opened on first use,
    so a bad path stops the run at startup, and closed when the engine stops.
    Raises ArchiveError when the setting is empty or the file unusable.
    """
    db: Database | None = getattr(crawler, "_newsarchive_db", None)
    if db is not None:
        return db
    raw = crawler.settings.get("ARCHIVE_DB_PATH")
    if not raw:
        raise ArchiveError(
            "ARCHIVE_DB_PATH is empty: set it to the SQLite file to write, "
            "e.g. -s ARCHIVE_DB_PATH=archive.db"
        )
    db = open_archive(Path(raw))
    crawler._newsarchive_db = db  # type: ignore[attr-defined]
    crawler.signals.connect(lambda: db.close(), signal=signals.engine_stopped, weak=False)
    return db


def add_seconds(crawler: Crawler, key: str, seconds: float) -> None:
    """Add ``seconds`` to the timing stat ``key`` (``crawl/time/...``, ``archive/time/...``)."""
    stats = crawler.stats
    assert stats is not None
    stats.set_value(key, float(stats.get_value(key, 0.0)) + seconds)


def fetch_kwargs(fetch: dict[str, Any] | None) -> dict[str, Any]:
    """Return ``{"fetch": fetch}`` for the archive's save functions, or nothing."""
    return {} if fetch is None else {"fetch": fetch}


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
        # Opened here, not in open_spider, so a bad path stops the run at startup.
        pipeline = cls(crawler, archive_db(crawler))
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def process_item(self, item: Any) -> Any:
        started = time.perf_counter()
        try:
            self.store(item)
        finally:
            add_seconds(self.crawler, "archive/time/store_seconds", time.perf_counter() - started)
        return item

    def store(self, item: Any) -> None:
        if isinstance(item, ArticleItem):
            status = save_article(self.db, item.article_dict(), item.capture.to_dict(),
                                  **fetch_kwargs(item.fetch))
            self.crawler.stats.inc_value(f"archive/articles_{status}")
            record_outcome(self.crawler, item.capture.url, status)
        elif isinstance(item, NotModifiedItem):
            save_not_modified(self.db, item.capture.to_dict(), fetch=item.fetch)
            self.crawler.stats.inc_value("archive/not_modified")
        elif isinstance(item, FailedCaptureItem):
            save_failure(self.db, item.capture.to_dict(), **fetch_kwargs(item.fetch))
            self.crawler.stats.inc_value("archive/captures_failed")

    def item_dropped(self, item: Any, response: Any, exception: BaseException) -> None:
        """Store the capture of an article a pipeline dropped, with the drop reason."""
        if not isinstance(item, ArticleItem):
            return
        capture = item.capture.to_dict()
        capture["error"] = str(exception) or type(exception).__name__
        fetch = None if item.fetch is None else {**item.fetch, "error": capture["error"]}
        save_failure(self.db, capture, **fetch_kwargs(fetch))
        self.crawler.stats.inc_value("archive/captures_failed")
        record_outcome(self.crawler, item.capture.url, f"failed: {capture['error']}")
