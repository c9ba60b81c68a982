"""Portal crawls hand Scrapy at most CRAWL_MAX_SCHEDULED_REQUESTS requests at a time.

The frontier in the archive is the crawl's queue (crawler/spiders/portal.py):
with a cap far below the test portal's 400-odd pages, the crawl must still
fetch and store every article exactly once, keep the scheduler under the cap
(the ``crawl/scheduled_max`` stat) and record its run as usual.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import sqlite_utils

from crawler.spiders.portal import (
    DEFAULT_MAX_SCHEDULED_REQUESTS,
    max_scheduled_requests,
)
from tests.crawler.test_portal import article_requests, run_crawl, write_profile
from tests.fixtures.portal import PortalServer, stored_articles

CAP = 20


def logged_stat(log: Path, key: str) -> int | None:
    match = re.search(rf"'{re.escape(key)}': (\d+)", log.read_text(encoding="utf-8"))
    return None if match is None else int(match.group(1))


def test_a_capped_crawl_stores_every_article_once_and_holds_few_requests(
    portal: PortalServer, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, portal, "harbor")
    db_path = tmp_path / "news.db"
    mark = portal.state.mark()
    result = run_crawl(profile, db_path, "-s", f"CRAWL_MAX_SCHEDULED_REQUESTS={CAP}")
    assert result.returncode == 0, result.stderr
    expected = len(stored_articles(portal.portal))
    assert article_requests(portal, portal.state.since(mark)) == Counter({(200, False): expected})
    # No page twice (robots.txt is read by Scrapy's middleware and, for its
    # sitemaps, by the spider).
    paths = Counter(r.path for r in portal.state.since(mark) if r.path != "/robots.txt")
    assert max(paths.values()) == 1, [p for p, n in paths.items() if n > 1]
    db = sqlite_utils.Database(db_path)
    assert db.execute("select count(*), count(distinct key) from articles").fetchone() == (
        expected, expected)
    assert db.execute("select count(*) from urls where state = 'queued'").fetchone() == (0,)
    [(status, new)] = db.execute("select status, articles_new from crawl_runs").fetchall()
    assert (status, new) == ("finished", expected)
    log = tmp_path / "news.db.crawl.log"
    scheduled_max = logged_stat(log, "crawl/scheduled_max")
    assert scheduled_max is not None and 1 <= scheduled_max <= CAP
    assert logged_stat(log, "scheduler/enqueued") == logged_stat(log, "scheduler/dequeued")


def test_the_cap_setting_is_checked() -> None:
    assert max_scheduled_requests(None) == DEFAULT_MAX_SCHEDULED_REQUESTS
    assert max_scheduled_requests("20") == 20
    for bad in ("0", "-3", "many"):
        with pytest.raises(ValueError, match="CRAWL_MAX_SCHEDULED_REQUESTS"):
            max_scheduled_requests(bad)
