"""ArchivePipeline in-process: items are stored in batches, and the rest at the close."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.extract import Article
from crawler.items import ArticleItem, Capture, FailedCaptureItem
from crawler.pipelines import ArchivePipeline

BASE = "https://news.example.org/"


def pipeline(tmp_path: Path, **settings: Any) -> tuple[ArchivePipeline, Path]:
    db = tmp_path / "news.db"
    crawler = get_crawler(settings_dict={"ARCHIVE_DB_PATH": str(db), **settings})
    return ArchivePipeline.from_crawler(crawler), db


def article_item(n: int) -> ArticleItem:
    url = f"{BASE}{n}.html"
    article = Article(url=url, title=f"Story {n}",
                      body=f"Paragraph of story {n}, long enough to be a body. " * 4)
    return ArticleItem(article=article,
                       capture=Capture(url=url, final_url=url, fetched_at="2024-06-01T10:00:00+00:00",
                                       status=200, body=b"<html></html>"),
                       fetch={"url": url, "fetched_at": "2024-06-01T10:00:00+00:00"})


def done_urls(db: Path) -> int:
    conn = sqlite_utils.Database(db)
    return int(conn.execute("select count(*) from urls where state = 'done'").fetchone()[0])


def test_items_wait_for_a_full_batch_and_the_rest_is_stored_at_close(tmp_path: Path) -> None:
    archive, db = pipeline(tmp_path, ARCHIVE_BATCH_ITEMS=3, ARCHIVE_BATCH_SECONDS=3600)
    for n in range(4):
        archive.process_item(article_item(n))
    assert sqlite_utils.Database(db)["articles"].count == 3  # one batch of three
    assert done_urls(db) == 3  # marked with their batch, not before
    failed = Capture(url=BASE + "gone", final_url=BASE + "gone", fetched_at="2024-06-01T10:00:00+00:00",
                     status=404, error="http_404")
    archive.process_item(FailedCaptureItem(capture=failed, fetch={"url": BASE + "gone",
                                                                  "error": "http_404"}))
    archive.item_dropped(article_item(9), None, DropItem("no_title"))
    archive.close_spider()
    stored = sqlite_utils.Database(db)
    assert stored["articles"].count == 4 and stored["captures"].count == 6
    assert done_urls(db) == 4
    stats = archive.crawler.stats
    assert stats is not None
    assert stats.get_value("archive/articles_archived") == 4
    assert stats.get_value("archive/captures_failed") == 2
    assert stats.get_value("archive/batches") == 2


def test_a_bad_item_fails_alone(tmp_path: Path) -> None:
    archive, db = pipeline(tmp_path, ARCHIVE_BATCH_ITEMS=3)
    bad = article_item(2)
    bad.article = Article(url=bad.article.url, title="Story 2", body="")
    for item in (article_item(1), bad, article_item(3)):
        archive.process_item(item)
    assert sqlite_utils.Database(db)["articles"].count == 2
    stats = archive.crawler.stats
    assert stats is not None
    assert stats.get_value("archive/batch_failed") == 1
    assert stats.get_value("archive/error/store_failed") == 1


def test_batch_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ARCHIVE_BATCH_ITEMS"):
        pipeline(tmp_path, ARCHIVE_BATCH_ITEMS=0)
