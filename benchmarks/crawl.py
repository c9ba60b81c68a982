"""Crawl benchmark: ``newsarchive crawl`` beside a bare Scrapy spider, same portal, same run.

Serves the generated test portal (``tests/fixtures/portal``, scaled up:
real fixture paragraphs, the modern UTF-8 JSON-LD layout and the 2000s GBK
table layout, section lists with pagination, sitemaps) from a separate
server process on 127.0.0.1, then crawls it

(a) with ``BareSpider`` below, plain Scrapy that only fetches pages and
    follows their links (no extraction, no storage), and
(b) with ``newsarchive crawl`` into a fresh archive,

both in subprocesses with the same settings (politeness off: no
AutoThrottle, no delay, 16 concurrent requests, 16 per domain).  Prints
pages/s of each and their ratio, peak RSS (VmHWM of the crawl process, and
the largest sum over the process and its extraction workers), the archive's
size, and where (b)'s time went from the stats the crawl records
(``crawl/time/*``, ``archive/time/*``).  A second newsarchive crawl of a
smaller portal shows whether memory grows with the number of pages.

    python benchmarks/crawl.py                       # 5,000 and 1,000 articles
    python benchmarks/crawl.py --articles 2000 --small 0 -s CRAWL_EXTRACT_PROCESSES=1
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The settings both crawls share: fast, as a benchmark must be, not polite.
FAST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "ROBOTSTXT_OBEY": True,
}
# How often the RSS of a crawl is sampled.
RSS_POLL_SECONDS = 0.2
STAT_LINE_RE = re.compile(r"^\s*'([^']+)': (-?[0-9.e+-]+),?\s*$")


def serve(articles: int, ready: Any) -> None:
    """Serve a portal of ``articles`` articles until killed (the server process)."""
    from tests.fixtures.portal import PortalSize, serve_portal

    parent = os.getppid()
    server = serve_portal(PortalSize.scaled(articles))
    ready.put(server.base)
    while os.getppid() == parent:  # ends with the benchmark, however that ends
        time.sleep(1)


def start_server(articles: int) -> tuple[multiprocessing.process.BaseProcess, str]:
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    process = context.Process(target=serve, args=(articles, ready), daemon=True)
    process.start()
    return process, ready.get(timeout=120)


def bare_crawl(base: str) -> None:
    """Crawl ``base`` with BareSpider in this process; print its stats as JSON."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    host = base.split("://", 1)[1].split("/", 1)[0]

    class BareSpider(scrapy.Spider):
        name = "bare"
        start_urls = [base]

        def parse(self, response: Any) -> Any:
            if not hasattr(response, "css"):
                return
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href).split("#", 1)[0]
                if url.split("://", 1)[-1].split("/", 1)[0] == host:
                    yield scrapy.Request(url, callback=self.parse)

    settings = {**FAST_SETTINGS, "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False,
                "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor"}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler)
    process.start()
    print(json.dumps(crawler.stats.get_stats(), default=str))


def run_measured(args: list[str], cwd: Path) -> tuple[float, int, int, str]:
    """Run ``args``; return (wall seconds, VmHWM of the process, peak RSS of it
    and its children together, stdout)."""
    started = time.monotonic()
    # The checkout this file lives in, whatever is installed.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, cwd=cwd, env=env)
    hwm = total = 0
    out_chunks: list[str] = []
    reader = threading.Thread(target=lambda: out_chunks.append(process.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    while process.poll() is None:
        hwm = max(hwm, status_kb(process.pid, "VmHWM"))
        total = max(total, status_kb(process.pid, "VmRSS")
                    + sum(status_kb(child, "VmRSS") for child in children(process.pid)))
        time.sleep(RSS_POLL_SECONDS)
    reader.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {process.returncode}")
    return time.monotonic() - started, hwm, total, "".join(out_chunks)


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass  # the process ended between two samples
    return 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except FileNotFoundError:
            continue
    return found


def logged_stats(log: Path) -> dict[str, float]:
    """Return the numeric stats of the dump at the end of a Scrapy log."""
    text = log.read_text(encoding="utf-8", errors="replace")
    dump = text[text.rfind("Dumping Scrapy stats"):]
    stats: dict[str, float] = {}
    for line in dump.splitlines()[1:]:
        match = STAT_LINE_RE.match(line)
        if match:
            stats[match.group(1)] = float(match.group(2))
        elif line.strip().endswith("}"):
            break
    return stats


def newsarchive_crawl(base: str, folder: Path, overrides: list[str]) -> dict[str, Any]:
    db = folder / "archive.db"
    settings = [f"{k}={v}" for k, v in FAST_SETTINGS.items() if k != "ROBOTSTXT_OBEY"]
    settings += ["CRAWL_PROGRESS_INTERVAL_SECONDS=0", "LOG_LEVEL=INFO", *overrides]
    args = [sys.executable, "-m", "crawler.cli", "crawl", base, "--db", str(db),
            "--allow-private", *[x for s in settings for x in ("-s", s)]]
    wall, hwm, total, out = run_measured(args, folder)
    stats = logged_stats(folder / "archive.db.crawl.log")
    size = sum(p.stat().st_size for p in folder.glob("archive.db*") if not p.name.endswith(".log")
               and not p.name.endswith(".lock"))
    with sqlite3.connect(db) as conn:
        articles = conn.execute("select count(*) from articles").fetchone()[0]
    return {"wall": wall, "hwm_kb": hwm, "total_kb": total, "stats": stats,
            "archive_bytes": size, "articles": articles, "summary": out.strip()}


def bare(base: str, folder: Path) -> dict[str, Any]:
    args = [sys.executable, str(Path(__file__).resolve()), "--bare", base]
    wall, hwm, total, out = run_measured(args, folder)
    stats = json.loads(out.strip().splitlines()[-1])
    return {"wall": wall, "hwm_kb": hwm, "total_kb": total, "stats": stats}


def pages_per_s(stats: dict[str, Any]) -> float:
    return float(stats.get("response_received_count", 0)) / float(stats["elapsed_time_seconds"])


def crawl_portal(articles: int, with_bare: bool, overrides: list[str]) -> dict[str, Any]:
    server, base = start_server(articles)
    try:
        with tempfile.TemporaryDirectory(prefix="crawlbench-") as tmp:
            result: dict[str, Any] = {"articles": articles}
            if with_bare:
                (Path(tmp) / "bare").mkdir()
                result["bare"] = bare(base, Path(tmp) / "bare")
            (Path(tmp) / "na").mkdir()
            result["na"] = newsarchive_crawl(base, Path(tmp) / "na", overrides)
            return result
    finally:
        server.kill()
        server.join()


def print_report(big: dict[str, Any], small: dict[str, Any] | None) -> None:
    b, n = big["bare"], big["na"]
    bs, ns = b["stats"], n["stats"]
    b_rate, n_rate = pages_per_s(bs), pages_per_s(ns)
    print(f"portal: {big['articles']} articles, 2 cores, 16 concurrent requests, politeness off")
    print(f"{'crawl':<22} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'VmHWM MB':>9} {'+workers MB':>12}")
    for label, row, rate in (("bare Scrapy", b, b_rate), ("newsarchive crawl", n, n_rate)):
        st = row["stats"]
        print(f"{label:<22} {int(float(st['response_received_count'])):>6} "
              f"{float(st['elapsed_time_seconds']):>8.1f} {rate:>8.1f} "
              f"{row['hwm_kb'] / 1024:>9.0f} {row['total_kb'] / 1024:>12.0f}")
    print(f"ratio newsarchive / bare: {n_rate / b_rate:.2f}")
    print(f"archive: {n['articles']} articles, {n['archive_bytes'] / 1e6:.1f} MB")
    elapsed = ns["elapsed_time_seconds"]
    print(f"where newsarchive's {elapsed:.1f} s went (stats):")
    for label, key, note in (
        ("download latency", "crawl/time/download_seconds", "summed over concurrent requests"),
        ("extraction, waited", "crawl/time/extract_seconds",
         "analyze_page as parse awaited it, summed over concurrent pages"),
        ("extraction CPU", "crawl/time/extract_worker_seconds",
         "in the workers, or the reactor thread when in-process"),
        ("worker start-up", "crawl/time/pool_start_seconds", "once, at spider open"),
        ("storage", "archive/time/store_seconds", "SQLite writes, reactor thread"),
        ("frontier", "crawl/time/frontier_seconds", "url lookups and queueing, reactor thread"),
    ):
        if key in ns:
            print(f"  {label:<27} {ns[key]:>8.1f} s  {100 * ns[key] / elapsed:>5.0f}%  ({note})")
    if small is not None:
        print("peak RSS by portal size (newsarchive crawl):")
        for row in (small, big):
            na = row["na"]
            print(f"  {row['articles']:>5} articles: {int(na['stats']['response_received_count']):>5} pages, "
                  f"VmHWM {na['hwm_kb'] / 1024:.0f} MB, with workers {na['total_kb'] / 1024:.0f} MB, "
                  f"{pages_per_s(na['stats']):.1f} pages/s, "
                  f"scheduler max {int(na['stats'].get('crawl/scheduled_max', 0))} requests")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--small", type=int, default=1000,
                    help="articles of the second, newsarchive-only crawl (0: none)")
    ap.add_argument("-s", "--set", dest="overrides", action="append", default=[],
                    metavar="NAME=VALUE", help="extra setting of the newsarchive crawl")
    ap.add_argument("--bare", metavar="URL", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        bare_crawl(args.bare)
        return
    small = crawl_portal(args.small, False, args.overrides) if args.small else None
    big = crawl_portal(args.articles, True, args.overrides)
    print_report(big, small)


if __name__ == "__main__":
    main()
