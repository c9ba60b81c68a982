"""Extensions of portal crawls: the per-profile lock, the ``crawl_runs`` row, progress.

``CrawlLockExtension`` takes an exclusive ``fcntl.flock`` on
``<db>.<profile>.lock`` when the crawler starts, so two runs of one profile
into one archive never overlap: the second raises ``CrawlLocked`` before it
fetches anything.  ``CrawlRunExtension`` marks runs a kill left open as
interrupted, opens this run's ``crawl_runs`` row when the spider opens and
closes it with the counts from the stats when it closes; an archive that
refuses those writes (``archive.StorageError``) stops the crawl, and a run
row it could not close is marked interrupted by the next run.
``ProgressExtension`` prints a progress line on stderr every
``CRAWL_PROGRESS_INTERVAL_SECONDS`` while Scrapy's own log goes to LOG_FILE.
All three apply to spiders with a ``profile`` (the portal spider) only.
Imports Scrapy, Twisted, archive and the stdlib.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import IO, Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from archive.errors import StorageError
from archive.frontier import finish_run, mark_interrupted_runs, pending_count, start_run
from crawler.pipelines import archive_db, stop_crawl

logger = logging.getLogger(__name__)

# Runs closed for these reasons got as far as they were asked to.
FINISHED_REASONS = ("finished", "closespider_pagecount", "closespider_itemcount",
                    "closespider_timeout", "closespider_errorcount")


class CrawlLocked(RuntimeError):
    """Another run of the same profile holds the lock on the same archive."""

    def __init__(self, profile: str, lock_path: Path) -> None:
        super().__init__(
            f"another crawl of profile {profile!r} into this archive is running "
            f"(lock {lock_path}); this run stops without fetching anything"
        )
        self.profile = profile
        self.lock_path = lock_path


def crawl_profile(crawler: Crawler) -> Any:
    """Return the portal spider's SiteProfile; raise NotConfigured for other spiders."""
    profile = getattr(getattr(crawler, "spider", None), "profile", None)
    if profile is None:
        raise NotConfigured("not a portal crawl (the spider has no profile)")
    return profile


def lock_path_for(db_path: str | Path, profile_name: str) -> Path:
    """Return the lock file of ``profile_name``'s runs into the archive ``db_path``."""
    return Path(f"{db_path}.{profile_name}.lock")


class CrawlLockExtension:
    """Hold ``<db>.<profile>.lock`` for the whole run; raise CrawlLocked if taken."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CrawlLockExtension":
        if not crawler.settings.getbool("CRAWL_LOCK_ENABLED"):
            raise NotConfigured("CRAWL_LOCK_ENABLED is off")
        profile = crawl_profile(crawler)
        path = lock_path_for(crawler.settings.get("ARCHIVE_DB_PATH"), profile.name)
        handle = path.open("a", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise CrawlLocked(profile.name, path) from exc
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        extension = cls(handle)
        crawler.signals.connect(extension.release, signal=signals.engine_stopped)
        return extension

    def release(self) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


class CrawlRunExtension:
    """Write this run's ``crawl_runs`` row at open and complete it at close."""

    def __init__(self, crawler: Crawler, profile: Any) -> None:
        self.crawler = crawler
        self.profile = profile
        self.run_id: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CrawlRunExtension":
        extension = cls(crawler, crawl_profile(crawler))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        db = archive_db(self.crawler)
        settings = {name: self.crawler.settings.get(name) for name in RUN_SETTINGS}
        try:
            mark_interrupted_runs(db)
            self.run_id = start_run(db, self.profile.name, settings)
        except StorageError as exc:
            stop_crawl(self.crawler, exc)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        status = "finished" if reason in FINISHED_REASONS else "failed"
        try:
            finish_run(archive_db(self.crawler), self.run_id, status=status,
                       counts=run_counts(self.crawler.stats.get_stats()))
        except StorageError as exc:
            # The run stays "running"; the next run marks it interrupted.
            logger.warning("Could not record the end of crawl run %s: %s", self.run_id, exc)


# Settings worth keeping with a run, to read its figures later.
RUN_SETTINGS = ("ARCHIVE_DB_PATH", "ARCHIVE_MAX_SIZE_MB", "CRAWL_MAX_DEPTH_OVERRIDE",
                "CLOSESPIDER_PAGECOUNT", "AUTOTHROTTLE_ENABLED", "DOWNLOAD_DELAY",
                "CONCURRENT_REQUESTS_PER_DOMAIN", "USER_AGENT")


def run_counts(stats: dict[str, Any]) -> dict[str, Any]:
    """Return the ``crawl_runs`` counts of a run from its Scrapy stats."""
    def grouped(prefix: str) -> dict[str, int]:
        return {key[len(prefix):]: int(value) for key, value in sorted(stats.items())
                if key.startswith(prefix)}

    # Pages followed but not stored as articles are skipped too, by kind/reason.
    followed = {f"page/{key}": n for key, n in grouped("crawl/page/").items()
                if not key.startswith(("article/", "error/", "redirect/"))}
    return {
        "pages_fetched": int(stats.get("response_received_count", 0)),
        "articles_new": int(stats.get("archive/articles_archived", 0)),
        "articles_updated": int(stats.get("archive/articles_updated", 0)),
        "articles_unchanged": int(stats.get("archive/articles_unchanged", 0)),
        "not_modified": int(stats.get("crawl/not_modified/304", 0)),
        "skipped": {**grouped("crawl/skipped/"), **followed},
        # archive/error/: store_failed, archive_full, archive_read_only...
        "errors": {**grouped("crawl/error/"), **grouped("archive/error/")},
    }


class ProgressExtension:
    """Print pages/min, articles, errors and queue size on stderr every few seconds."""

    def __init__(self, crawler: Crawler, interval: float, name: str) -> None:
        self.crawler = crawler
        self.interval = interval
        self.name = name
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ProgressExtension":
        interval = crawler.settings.getfloat("CRAWL_PROGRESS_INTERVAL_SECONDS")
        if interval <= 0:
            raise NotConfigured("CRAWL_PROGRESS_INTERVAL_SECONDS is 0")
        extension = cls(crawler, interval, crawl_profile(crawler).name)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.report(final=reason)

    def report(self, final: str | None = None) -> None:
        sys.stderr.write(progress_line(self.name, self.crawler.stats.get_stats(),
                                       time.monotonic() - self.started, final,
                                       queued=self.queued()) + "\n")
        sys.stderr.flush()

    def queued(self) -> int | None:
        """The profile's URLs queued in the archive's frontier (Scrapy's scheduler
        holds at most CRAWL_MAX_SCHEDULED_REQUESTS of them), or None if unknown."""
        try:
            return pending_count(archive_db(self.crawler), sites=[self.name])
        except (StorageError, sqlite3.Error):
            return None


def progress_line(name: str, stats: dict[str, Any], elapsed: float, final: str | None = None,
                  queued: int | None = None) -> str:
    """Return one progress line: pages, pages/min, articles, errors, queue.

    ``queued`` is the frontier's queue; without it, Scrapy's scheduler's.
    """
    pages = int(stats.get("response_received_count", 0))
    per_minute = pages * 60 / elapsed if elapsed > 0 else 0.0
    errors = sum(int(v) for k, v in stats.items() if k.startswith("crawl/error/"))
    queue = queued if queued is not None else (
        int(stats.get("scheduler/enqueued", 0)) - int(stats.get("scheduler/dequeued", 0)))
    head = f"[{name}] {'done (' + final + ')' if final else 'crawling'} {elapsed:.0f}s:"
    return (f"{head} {pages} pages ({per_minute:.0f}/min), articles "
            f"{int(stats.get('archive/articles_archived', 0))} new, "
            f"{int(stats.get('archive/articles_updated', 0))} updated, "
            f"{int(stats.get('archive/articles_unchanged', 0))} unchanged, "
            f"{int(stats.get('crawl/not_modified/304', 0))} not modified (304), "
            f"{errors} errors, queue {queue}")
