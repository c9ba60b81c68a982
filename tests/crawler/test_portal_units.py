"""Pieces of portal crawls tested in-process: discovery, Retry-After, progress, lock, CLI input."""

from __future__ import annotations

import fcntl
import gzip
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.discovery import DiscoveryError, read_feed, read_sitemap, robots_sitemaps
from crawler.extensions import lock_path_for, progress_line, run_counts
from crawler.middlewares import retry_after_seconds
from tests.fixtures.portal import build_portal

BASE = "http://127.0.0.1:8000/"


def test_sitemap_index_plain_and_gzipped_children() -> None:
    pages = build_portal(BASE).pages
    index = read_sitemap(pages["/sitemap_index.xml"][1], BASE + "sitemap_index.xml")
    assert index.is_index and BASE + "sitemaps/local.xml.gz" in index.urls
    local = read_sitemap(pages["/sitemaps/local.xml.gz"][1], BASE + "sitemaps/local.xml.gz")
    assert not local.is_index and len(local.urls) == 85
    with pytest.raises(DiscoveryError) as error:
        read_sitemap(gzip.compress(b"x" * 5000), BASE + "s.xml.gz", max_size=100)
    assert error.value.reason == "sitemap_too_large"
    with pytest.raises(DiscoveryError):
        read_sitemap(b"<html><body>not a sitemap</body></html>", BASE + "s.xml")


def test_feeds_and_robots_name_their_urls() -> None:
    pages = build_portal(BASE).pages
    rss = read_feed(pages["/feed.xml"][1], BASE + "feed.xml")
    assert len(rss) == 15 and rss[0].startswith(BASE + "world/")
    atom = read_feed(pages["/atom.xml"][1], BASE + "atom.xml")
    assert atom[0] == BASE + "local/2024/04/1.html"
    assert robots_sitemaps(pages["/robots.txt"][1], BASE) == (BASE + "sitemap_index.xml",)
    with pytest.raises(DiscoveryError):
        read_feed(b"<html/>", BASE + "feed.xml")


@pytest.mark.parametrize(("header", "seconds"), [(b"7", 7.0), (None, None), (b"soon", None),
                                                 (b"Wed, 21 Oct 2015 07:28:00 GMT", 0.0)])
def test_retry_after_seconds(header: bytes | None, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds


def test_progress_line_and_run_counts() -> None:
    stats = {"response_received_count": 120, "archive/articles_archived": 90,
             "crawl/error/http_404": 2, "crawl/skipped/not_due": 5,
             "crawl/page/section/section_url": 3, "crawl/page/article/article": 90,
             "scheduler/enqueued": 150, "scheduler/dequeued": 130}
    line = progress_line("harbor", stats, 60.0)
    assert "120 pages (120/min)" in line and "90 new" in line
    assert "2 errors" in line and "queue 20" in line
    # During a crawl the queue is the frontier's, most of it not yet in Scrapy's scheduler.
    assert "queue 4000" in progress_line("harbor", stats, 60.0, queued=4000)
    counts = run_counts(stats)
    assert counts["skipped"] == {"not_due": 5, "page/section/section_url": 3}
    assert counts["errors"] == {"http_404": 2} and counts["articles_new"] == 90


def test_crawl_refuses_when_the_profile_lock_is_held(tmp_path: Path) -> None:
    profile = tmp_path / "harbor.toml"
    profile.write_text('name = "harbor"\nstart_urls = ["http://127.0.0.1:9/"]\n', encoding="utf-8")
    db = tmp_path / "news.db"
    with lock_path_for(db, "harbor").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # A subprocess: Scrapy's reactor must not start inside the test process.
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "crawl", "--profile", str(profile),
             "--db", str(db)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    assert "another crawl of profile 'harbor'" in result.stderr
    assert not (tmp_path / "news.db.crawl.log").exists() or "Crawled" not in \
        (tmp_path / "news.db.crawl.log").read_text(encoding="utf-8")


def test_sites_check_names_each_mistake(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('name = "good"\nstart_urls = ["https://example.com/"]\n', encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nstart_url = ["https://example.com/"]\ntimezone = "Mars/Base"\n'
                   "deny = ['(']\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sites", "check", str(good), str(bad)])
    assert result.exit_code == 1
    assert "good.toml: ok" in result.output
    assert "start_url" in result.output and "did you mean" in result.output
    assert "Mars/Base" in result.output and "deny" in result.output
    assert "1 of 2 profiles have mistakes" in result.output
    assert CliRunner().invoke(main, ["sites", "check", str(good)]).exit_code == 0


@pytest.mark.parametrize("args", [[], ["https://example.com/", "--profile", "."]])
def test_crawl_wants_urls_or_a_profile(args: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["crawl", *args, "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and "--profile" in result.output
