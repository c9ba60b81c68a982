"""Item pipelines: validate an extracted article, then store it in the SQLite archive.

Order (set in settings.ITEM_PIPELINES): ``ValidatePipeline`` drops articles
without a title or body (``DropItem`` with the reason); ``ArchivePipeline``
stores articles, failed captures and unchanged revisits in batches with
``archive.save_batch``, each with the item's ``fetch`` facts for the frontier
in its batch's transaction, and also stores the capture of every dropped
item, so no fetched page is lost.  Each pipeline reports the outcome of a requested
URL to the spider's ``record_outcome`` when it has one.

A storage fault that will not go away (``archive.StorageError``: disk full,
``ARCHIVE_MAX_SIZE_MB`` reached, read-only file, I/O error) stops the crawl
through ``stop_crawl``, whether the pipeline, the spider's frontier writes or
an extension met it: every further page would be fetched only to be lost.
The close reason is the fault's ``reason`` (``archive_full``,
``archive_read_only``, ``archive_io_error``) and ``archive/stop_message`` in
the stats says which file and what to do, for the CLI.  A read-only archive
is found before the crawl starts (``check_writable``).  Imports Scrapy,
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
from scrapy.utils.defer import deferred_from_coro
from sqlite_utils import Database
from twisted.internet import task
from twisted.python.failure import Failure

from archive import ArchiveError, BatchEntry, open_archive, save_batch
from archive.errors import ArchiveFull, StorageError
from archive.store import check_writable
from crawler.items import ArticleItem, FailedCaptureItem, NotModifiedItem

logger = logging.getLogger(__name__)


def archive_db(crawler: Crawler) -> Database:
    """Return the crawl's one connection to the archive at ARCHIVE_DB_PATH.

    The spider (frontier reads), the pipeline (writes) and the extensions
    (``crawl_runs``) share it: all run in the reactor thread, and one
    connection cannot wait on its own write lock.  It is opened on first use,
    so a bad path stops the run at startup, and closed when the engine stops.
    Raises ArchiveError when the setting is empty or the file unusable,
    ArchiveReadOnly when it cannot be written, ArchiveFull when it is larger
    than ARCHIVE_MAX_SIZE_MB, and ValueError for a bad ARCHIVE_MAX_SIZE_MB.
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
    db = open_archive(Path(raw), max_size_mb=max_size_mb(crawler))
    try:
        check_writable(db)
    except ArchiveError:
        db.close()
        raise
    crawler._newsarchive_db = db  # type: ignore[attr-defined]
    crawler.signals.connect(lambda: db.close(), signal=signals.engine_stopped, weak=False)
    return db


def max_size_mb(crawler: Crawler) -> float | None:
    """Return ARCHIVE_MAX_SIZE_MB as a number, None when unset; ValueError if not above 0."""
    raw = crawler.settings.get("ARCHIVE_MAX_SIZE_MB")
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = 0.0
    if not value > 0:
        raise ValueError(f"ARCHIVE_MAX_SIZE_MB must be a number of MiB above 0 (got {raw!r}); "
                         "leave it unset for no limit")
    return value


def stop_crawl(crawler: Crawler, fault: StorageError) -> None:
    """Stop the crawl because the archive refuses writes; later calls do nothing.

    Logs the fault, counts it as ``archive/error/<reason>``, keeps its reason
    in ``archive/stopped`` and its message in ``archive/stop_message`` (which
    the CLI prints) and closes the spider with the reason.
    """
    stats = crawler.stats
    assert stats is not None
    if stats.get_value(STOPPED_KEY) is not None:
        return
    message = str(fault)
    limit = crawler.settings.get("ARCHIVE_MAX_SIZE_MB")
    if isinstance(fault, ArchiveFull) and limit:
        message += f" The size limit is ARCHIVE_MAX_SIZE_MB={limit}."
    stats.set_value(STOPPED_KEY, fault.reason)
    stats.set_value(STOP_MESSAGE_KEY, message)
    stats.inc_value(f"archive/error/{fault.reason}")
    logger.error("Stopping the crawl: %s", message)
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        closing = deferred_from_coro(engine.close_spider_async(reason=fault.reason))
        closing.addErrback(lambda failure: logger.error(
            "Could not close the spider: %s", failure.getErrorMessage()))


def stopped_reason(crawler: Crawler) -> str | None:
    """Return the reason stop_crawl stopped this crawl for, or None."""
    stats = crawler.stats
    assert stats is not None
    reason = stats.get_value(STOPPED_KEY)
    return None if reason is None else str(reason)


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
    again one item at a time, so one bad item fails alone; a StorageError
    instead stops the crawl (``stop_crawl``), and the items it leaves behind
    are counted as ``archive/not_stored``, their URLs still queued.
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
        crawler.signals.connect(pipeline.spider_error, signal=signals.spider_error)
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

    def spider_error(self, failure: Failure, response: Any, spider: Any) -> None:
        """Stop the crawl when the spider's frontier writes met a StorageError."""
        if isinstance(failure.value, StorageError):
            stop_crawl(self.crawler, failure.value)

    def add(self, entry: BatchEntry, requested_url: str | None) -> None:
        """Queue one entry (``requested_url``: whose outcome to report); flush when due."""
        if stopped_reason(self.crawler) is not None:
            self.count(entry, requested_url, NOT_STORED)
            return
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
        outcomes = self.store([entry for entry, _ in batch])
        self.crawler.stats.inc_value("archive/batches")
        add_seconds(self.crawler, "archive/time/store_seconds", time.perf_counter() - started)
        for (entry, requested_url), outcome in zip(batch, outcomes):
            self.count(entry, requested_url, outcome)

    def store(self, entries: list[BatchEntry]) -> list[str | None]:
        """Store ``entries`` in one transaction, else one by one; return their outcomes.

        An entry the archive refused alone is STORE_FAILED; one left unstored
        because a StorageError stopped the crawl is NOT_STORED.
        """
        if stopped_reason(self.crawler) is not None:
            return [NOT_STORED] * len(entries)
        try:
            return save_batch(self.db, entries)
        except StorageError as exc:
            stop_crawl(self.crawler, exc)
            return [NOT_STORED] * len(entries)
        except (ArchiveError, sqlite3.Error):
            logger.exception("A batch of %d items failed; storing them one by one", len(entries))
            self.crawler.stats.inc_value("archive/batch_failed")
        return [self.save_alone(entry) for entry in entries]

    def save_alone(self, entry: BatchEntry) -> str | None:
        """Store one entry in its own transaction; return its outcome, STORE_FAILED or NOT_STORED."""
        if stopped_reason(self.crawler) is not None:
            return NOT_STORED
        try:
            return save_batch(self.db, [entry])[0]
        except StorageError as exc:
            stop_crawl(self.crawler, exc)
            return NOT_STORED
        except (ArchiveError, sqlite3.Error):  # one bad item must not stop the crawl
            logger.exception("Could not store %s", entry.capture.get("url"))
            return STORE_FAILED

    def count(self, entry: BatchEntry, requested_url: str | None, outcome: str | None) -> None:
        """Count a stored entry in the stats and report its outcome to the spider."""
        stats = self.crawler.stats
        if outcome == NOT_STORED:
            stats.inc_value("archive/not_stored")
            if requested_url is not None:
                record_outcome(self.crawler, requested_url, f"failed: {stopped_reason(self.crawler)}")
        elif outcome == STORE_FAILED:
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
# The outcome of an item left unstored because a StorageError stopped the crawl.
NOT_STORED = "not_stored"
# Stats keys of stop_crawl: the close reason and the line the CLI prints.
STOPPED_KEY = "archive/stopped"
STOP_MESSAGE_KEY = "archive/stop_message"
