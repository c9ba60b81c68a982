"""Item pipelines: validate an extracted article, then store it in the SQLite archive.

Order (set in settings.ITEM_PIPELINES): ``ValidatePipeline`` drops articles
without a title or body (``DropItem`` with the reason); ``ArchivePipeline``
stores articles, failed captures and unchanged revisits in batches with
``archive.save_batch``, each with the item's ``fetch`` facts for the frontier
in its batch's transaction, and also stores the capture of every dropped
item, so no fetched page is lost.  Each pipeline reports the outcome of a requested
URL to the spider's ``record_outcome`` when it has one.  Imports Scrapy,
archive and crawler.items.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlite_utils import Database
from twisted.internet import task

from archive import ArchiveError, BatchEntry, open_archive, save_batch
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
    """Store articles and failed captures in the archive at ARCHIVE_DB_PATH, in batches.

    Items wait in memory until ARCHIVE_BATCH_ITEMS of them are pending or the
    oldest has waited ARCHIVE_BATCH_SECONDS, and at the close; then one
    ``archive.save_batch`` transaction stores them with their ``urls`` marks.
    A kill loses at most the pending items, whose URLs are still queued and
    fetched again by the next run.  A batch the archive refuses is stored
    again one item at a time, so one bad item fails alone.
    """

    def __init__(self, crawler: Crawler, db: Database, batch_items: int,
                 batch_seconds: float) -> None:
        self.crawler = crawler
        self.db = db
        self.batch_items = batch_items
        self.batch_seconds = batch_seconds
        self.pending: list[tuple[BatchEntry, str | None]] = []
        self.oldest_at = 0.0
        self.timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchivePipeline":
        items = crawler.settings.getint("ARCHIVE_BATCH_ITEMS")
        seconds = crawler.settings.getfloat("ARCHIVE_BATCH_SECONDS")
        if items < 1 or seconds < 0:
            raise ValueError(
                f"ARCHIVE_BATCH_ITEMS must be 1 or more and ARCHIVE_BATCH_SECONDS 0 or more "
                f"(got {items} and {seconds}); ARCHIVE_BATCH_ITEMS=1 stores every item at once"
            )
        # Opened here, not in open_spider, so a bad path stops the run at startup.
        pipeline = cls(crawler, archive_db(crawler), items, seconds)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self) -> None:
        if self.batch_items > 1 and self.batch_seconds > 0:
            self.timer = task.LoopingCall(self.flush_if_due)
            self.timer.start(self.batch_seconds, now=False)

    def close_spider(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        self.flush()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            self.add(BatchEntry("article", item.capture.to_dict(), item.fetch,
                                item.article_dict()), item.capture.url)
        elif isinstance(item, NotModifiedItem):
            self.add(BatchEntry("not_modified", item.capture.to_dict(), item.fetch), None)
        elif isinstance(item, FailedCaptureItem):
            self.add(BatchEntry("failure", item.capture.to_dict(), item.fetch), None)
        return item

    def item_dropped(self, item: Any, response: Any, exception: BaseException) -> None:
        """Store the capture of an article a pipeline dropped, with the drop reason."""
        if not isinstance(item, ArticleItem):
            return
        capture = item.capture.to_dict()
        capture["error"] = str(exception) or type(exception).__name__
        fetch = None if item.fetch is None else {**item.fetch, "error": capture["error"]}
        self.add(BatchEntry("failure", capture, fetch), item.capture.url)

    def add(self, entry: BatchEntry, requested_url: str | None) -> None:
        """Queue one entry (``requested_url``: whose outcome to report); flush when due."""
        if not self.pending:
            self.oldest_at = time.monotonic()
        self.pending.append((entry, requested_url))
        if len(self.pending) >= self.batch_items:
            self.flush()
        else:
            self.flush_if_due()

    def flush_if_due(self) -> None:
        if self.pending and time.monotonic() - self.oldest_at >= self.batch_seconds:
            self.flush()

    def flush(self) -> None:
        """Store the pending entries in one transaction, or one by one if it fails."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        started = time.perf_counter()
        entries = [entry for entry, _ in batch]
        try:
            outcomes: list[str | None] = save_batch(self.db, entries)
        except (ArchiveError, sqlite3.Error):
            logger.exception("A batch of %d items failed; storing them one by one", len(batch))
            self.crawler.stats.inc_value("archive/batch_failed")
            outcomes = [self.save_alone(entry) for entry in entries]
        self.crawler.stats.inc_value("archive/batches")
        add_seconds(self.crawler, "archive/time/store_seconds", time.perf_counter() - started)
        for (entry, requested_url), outcome in zip(batch, outcomes):
            self.count(entry, requested_url, outcome)

    def save_alone(self, entry: BatchEntry) -> str | None:
        """Store one entry in its own transaction; return its outcome or "store_failed"."""
        try:
            return save_batch(self.db, [entry])[0]
        except (ArchiveError, sqlite3.Error):  # one bad item must not stop the crawl
            logger.exception("Could not store %s", entry.capture.get("url"))
            return STORE_FAILED

    def count(self, entry: BatchEntry, requested_url: str | None, outcome: str | None) -> None:
        """Count a stored entry in the stats and report its outcome to the spider."""
        stats = self.crawler.stats
        if outcome == STORE_FAILED:
            stats.inc_value(f"archive/error/{STORE_FAILED}")
            if requested_url is not None:
                record_outcome(self.crawler, requested_url, f"failed: {STORE_FAILED}")
        elif entry.kind == "article":
            stats.inc_value(f"archive/articles_{outcome}")
            if requested_url is not None:
                record_outcome(self.crawler, requested_url, str(outcome))
        elif entry.kind == "not_modified":
            stats.inc_value("archive/not_modified")
        else:
            stats.inc_value("archive/captures_failed")
            if requested_url is not None:
                record_outcome(self.crawler, requested_url, f"failed: {entry.capture['error']}")


# The outcome of an item the archive refused even alone (stats key and outcome line).
STORE_FAILED = "store_failed"
