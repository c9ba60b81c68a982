"""The extraction pool: pages analyzed in worker processes, failures kept per page."""

from __future__ import annotations

import asyncio
import os
from functools import lru_cache
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import scrapy
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.extract import ExtractOptions, NotAnArticle
from crawler.extract.analyze import PageAnalysis, analyze_page
from crawler.items import FailedCaptureItem
from crawler.spiders.portal import PortalSpider
from crawler.workers import ExtractionPool, PageFailure
from tests.fixtures.portal import article_body, build_portal

BASE = "http://127.0.0.1:8000/"


def explode(body: bytes, url: str, headers: Mapping[str, str] | None = None,
            options: ExtractOptions | None = None) -> PageAnalysis:
    raise ZeroDivisionError("a bug in the extractor")


def die(body: bytes, url: str, headers: Mapping[str, str] | None = None,
        options: ExtractOptions | None = None) -> PageAnalysis:
    if b"die" in body:
        os._exit(3)  # a segfaulting lxml looks like this to the pool
    return analyze_page(body, url, headers, options)


def refuse(body: bytes, url: str, headers: Mapping[str, str] | None = None,
           options: ExtractOptions | None = None) -> PageAnalysis:
    raise NotAnArticle("body_too_short", url=url)


@lru_cache(maxsize=1)
def article_page() -> tuple[str, bytes]:
    portal = build_portal(BASE)
    path, _ = next(iter(portal.articles.items()))
    return BASE.rstrip("/") + path, article_body(portal.articles[path], BASE, False)


def analyze(pool: ExtractionPool, body: bytes, url: str) -> Any:
    async def run() -> Any:
        return await pool.analyze(body, url, {"Content-Type": "text/html; charset=utf-8"},
                                  ExtractOptions())
    return asyncio.run(run())


@pytest.fixture(scope="module")
def workers() -> Iterator[ExtractionPool]:
    """Two worker processes for the module (starting them is the slow part)."""
    pool = ExtractionPool(2)
    yield pool
    pool.shutdown()


@pytest.fixture
def pool(workers: ExtractionPool) -> Iterator[ExtractionPool]:
    yield workers
    workers.analyzer = analyze_page


def test_workers_give_what_analyze_page_gives(pool: ExtractionPool) -> None:
    url, body = article_page()
    answer = analyze(pool, body, url)
    expected = analyze_page(body, url, {"Content-Type": "text/html; charset=utf-8"})
    assert answer.analysis is not None
    assert (answer.analysis.kind, answer.analysis.article.title) == (  # type: ignore[union-attr]
        expected.kind, expected.article.title)  # type: ignore[union-attr]
    assert answer.error_reason is None and answer.cpu_seconds > 0


def test_a_crashed_worker_fails_its_page_and_the_pool_carries_on(pool: ExtractionPool) -> None:
    url, body = article_page()
    pool.analyzer = die
    with pytest.raises(PageFailure) as failure:
        analyze(pool, b"<html><body>die</body></html>", url)
    assert failure.value.reason == "extract_worker_crashed"
    answer = analyze(pool, body, url)
    assert answer.analysis is not None and answer.analysis.kind == "article"


@pytest.mark.parametrize("in_process", [True, False])
def test_an_extractor_bug_fails_the_page_and_not_article_is_a_reason(
    pool: ExtractionPool, in_process: bool
) -> None:
    url, body = article_page()
    if in_process:
        pool = ExtractionPool(0)
    pool.analyzer = explode
    with pytest.raises(PageFailure) as failure:
        analyze(pool, body, url)
    assert failure.value.reason == "extract_failed"
    pool.analyzer = refuse
    answer = analyze(pool, body, url)
    assert (answer.analysis, answer.error_reason) == (None, "body_too_short")


def test_the_spider_counts_a_failed_extraction_as_a_page_error() -> None:
    url, body = article_page()
    crawler = get_crawler(PortalSpider, {"CRAWL_EXTRACT_PROCESSES": 0,
                                         "CRAWL_HTML_CONTENT_TYPES": ["text/html"]})
    spider = PortalSpider.from_crawler(crawler, start_urls=BASE)
    crawler.spider = spider
    crawler.stats.open_spider()  # type: ignore[union-attr,call-arg]
    spider.pool = ExtractionPool(0, analyzer=explode)
    request = scrapy.Request(url, meta={"identity": url, "crawl_depth": 2, "state": None})
    response = HtmlResponse(url, body=body, request=request,
                            headers={"Content-Type": "text/html; charset=utf-8"})

    async def run() -> list[Any]:
        return [output async for output in spider.parse(response)]

    [item] = asyncio.run(run())
    assert isinstance(item, FailedCaptureItem)
    assert item.capture.error == "extract_failed" and item.fetch["error"] == "extract_failed"  # type: ignore[index]
    assert crawler.stats.get_value("crawl/error/extract_failed") == 1  # type: ignore[union-attr]


def test_the_pool_size_setting_is_checked() -> None:
    assert ExtractionPool.from_setting(None).processes == (os.cpu_count() or 1)
    assert ExtractionPool.from_setting("0").in_process
    with pytest.raises(ValueError, match="CRAWL_EXTRACT_PROCESSES"):
        ExtractionPool.from_setting("many")
