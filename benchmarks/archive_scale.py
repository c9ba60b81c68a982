"""Scale benchmark of the archive: search and Datasette on 100,000 articles.

Builds an archive of ``--articles`` articles (default 100,000) by varying the
real text of tests/fixtures/pages/*: each article takes a fixture page's
extracted metadata, a headline and body recombined from the paragraphs of all
fixture pages, one of ``SITES`` as its host, a publication time between 2000
and 2024 and one to two authors.  Each is stored through
``archive.save_article`` with a capture holding the fixture page's raw bytes
(varied by a comment so every capture differs), in transactions of
``BATCH_ARTICLES``, so the rows are exactly those a crawl writes.  Then it
prints:

- median and p95 milliseconds of ``newsarchive search`` (the click command,
  in-process, so Python's start-up is not counted) for Chinese and English
  queries; the target is a median under 100 ms;
- Datasette's articles table page with all facets (HTML and JSON, in-process
  ``Datasette(...).client`` with the settings ``newsarchive serve`` uses); the
  target is under 1 s;
- the archive's size per article.

Run from the checkout: ``python benchmarks/archive_scale.py`` (a few minutes on
two cores).  ``--db`` keeps the file somewhere else; an existing file with
enough articles is reused (``--rebuild`` to start over).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from archive import open_archive, save_article  # noqa: E402
from archive.browse import SETTINGS, metadata_path, templates_path  # noqa: E402
from datasette.utils import parse_metadata  # noqa: E402
from crawler.cli import main  # noqa: E402
from crawler.extract import ExtractionError, extract_article  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "pages"
SITES = tuple(f"news{n}.example.{tld}" for n in range(12) for tld in ("cn", "com"))
AUTHORS = ("王明", "李华", "张伟", "刘洋", "陈静", "Jane Doe", "John Smith", "Anna Müller",
           "Ivan Petrov", "山田太郎", "Li Wei", "Maria Garcia")
SECTIONS = ("国内", "国际", "本地新闻", "教育", "财经", "Local", "World", "Politics", "Sport")
BATCH_ARTICLES = 2000
SEARCH_QUERIES = ("商丘", "科学发展观", "教育", "学习实践", "新华社", "党员干部",
                  "council", "harbor", "property", "million", "school", "weather")
SEARCH_REPEATS = 7
DATASETTE_REPEATS = 5
SEARCH_TARGET_MS = 100
TABLE_TARGET_MS = 1000


def load_fixtures() -> list[tuple[dict[str, Any], bytes]]:
    """Return (article dict, raw bytes) of every fixture page that extracts."""
    out = []
    for source in sorted(PAGES.glob("*/source.html")):
        raw = source.read_bytes()
        try:
            article = extract_article(raw, url=f"http://fixture.example/{source.parent.name}.html")
        except ExtractionError:
            continue
        out.append((article.to_dict(), raw))
    return out


def build(db_path: Path, count: int, seed: int = 5) -> float:
    """Write ``count`` varied articles into ``db_path``; return seconds taken."""
    rng = random.Random(seed)
    fixtures = load_fixtures()
    paragraphs = [p for article, _ in fixtures for p in article["body"].split("\n\n") if p.strip()]
    titles = [article["title"] for article, _ in fixtures]
    start_day = datetime(2000, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    db = open_archive(db_path)
    started = time.perf_counter()
    try:
        for batch_start in range(0, count, BATCH_ARTICLES):
            db.conn.execute("BEGIN IMMEDIATE")
            for n in range(batch_start, min(count, batch_start + BATCH_ARTICLES)):
                base, raw = fixtures[n % len(fixtures)]
                site = SITES[n % len(SITES)]
                url = f"https://{site}/news/{n // 1000}/{n}.html"
                published = start_day + timedelta(minutes=rng.randrange(25 * 365 * 24 * 60))
                body_paragraphs = rng.sample(paragraphs, rng.randint(3, 10))
                article = {
                    **base, "url": url, "canonical_url": None,
                    "title": f"{rng.choice(titles)} ({n})",
                    "body": "\n\n".join(body_paragraphs),
                    "published": published.isoformat(timespec="seconds"), "modified": None,
                    "authors": rng.sample(AUTHORS, rng.randint(1, 2)),
                    "section": rng.choice(SECTIONS),
                }  # fmt: skip
                capture = {
                    "url": url, "final_url": url, "status": 200,
                    "fetched_at": (published + timedelta(hours=1)).astimezone(timezone.utc)
                    .isoformat(timespec="seconds"),
                    "headers": {"Content-Type": "text/html"},
                    "body": raw + f"<!-- capture {n} -->".encode(),
                    "encoding": base["encoding"], "declared_encoding": base["declared_encoding"],
                    "error": None,
                }  # fmt: skip
                save_article(db, article, capture)
            db.conn.commit()
            print(f"  {min(count, batch_start + BATCH_ARTICLES):>7} articles", end="\r", flush=True)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("ANALYZE")
    finally:
        db.close()
    print()
    return time.perf_counter() - started


def article_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    db = open_archive(db_path)
    try:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        db.close()


def time_search(db_path: Path) -> None:
    runner = CliRunner()
    print(f"\nnewsarchive search (in-process, {SEARCH_REPEATS} runs per query, limit 10):")
    print(f"  {'query':<12} {'shown':>7} {'median ms':>10} {'p95 ms':>8}")
    all_times: list[float] = []
    for query in SEARCH_QUERIES:
        times = []
        for _ in range(SEARCH_REPEATS):
            started = time.perf_counter()
            result = runner.invoke(main, ["search", query, "--db", str(db_path)])
            times.append((time.perf_counter() - started) * 1000)
            assert result.exit_code == 0, result.output
        shown = result.output.count("\n\n")
        all_times += times
        print(f"  {query:<12} {shown:>7} {statistics.median(times):>10.1f} {percentile(times, 95):>8.1f}")
    median = statistics.median(all_times)
    print(f"  all queries: median {median:.1f} ms, p95 {percentile(all_times, 95):.1f} ms "
          f"(target median < {SEARCH_TARGET_MS} ms: {'met' if median < SEARCH_TARGET_MS else 'NOT met'})")


def time_datasette(db_path: Path) -> None:
    from datasette.app import Datasette
    from datasette.utils import parse_metadata

    async def run() -> None:
        ds = Datasette([str(db_path)], metadata=parse_metadata(metadata_path().read_text("utf-8")),
                       template_dir=str(templates_path()), settings=SETTINGS)
        await ds.invoke_startup()
        name = db_path.stem
        for label, path in (("articles table page (HTML, facets)", f"/{name}/articles"),
                            ("articles.json with facets", f"/{name}/articles.json"),
                            ("search box 科学发展观 (HTML)", f"/{name}/articles?_search=科学发展观"),
                            ("article page", f"/-/article/{name}/1")):
            times = []
            for _ in range(DATASETTE_REPEATS):
                started = time.perf_counter()
                response = await ds.client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    break
            if response.status_code != 200:  # e.g. "SQL Interrupted": report, go on
                print(f"  {label:<36} FAILED: HTTP {response.status_code} "
                      f"after {times[-1]:.0f} ms")
                continue
            note = ""
            if path.endswith(".json"):
                data = response.json()
                # A facet past facet_time_limit_ms is left out of the JSON
                # without a word, so compare with the configured facets.
                missing = [f for f in configured_facets() if f not in data["facet_results"]]
                note = (f"  facets: {len(data['facet_results'])} of {len(configured_facets())}, "
                        f"missing: {', '.join(missing) or 'none'}")
            verdict = "" if "table" not in label else (
                f" (target < {TABLE_TARGET_MS} ms: "
                f"{'met' if statistics.median(times) < TABLE_TARGET_MS else 'NOT met'})")
            print(f"  {label:<36} median {statistics.median(times):7.1f} ms, "
                  f"max {max(times):7.1f} ms{verdict}{note}")
        for database in ds.databases.values():
            database.close()

    print(f"\nDatasette 0.65, in-process client, {DATASETTE_REPEATS} requests each:")
    asyncio.run(run())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def report_size(db_path: Path) -> None:
    db = open_archive(db_path)
    try:
        count = int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
        text = db.execute("SELECT sum(length(CAST(body AS BLOB))) FROM articles").fetchone()[0]
        raw = db.execute("SELECT sum(body_size), sum(length(body_zlib)) FROM captures").fetchone()
        tables = {}
        try:
            for name, size in db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
                tables[name] = size
        except sqlite3.OperationalError:  # dbstat is an optional SQLite build option
            tables = {}
    finally:
        db.close()
    size = db_path.stat().st_size
    print(f"\nArchive: {size / 2**20:.0f} MiB for {count} articles = {size / count / 1024:.1f} KiB per article")
    print(f"  article text {text / count / 1024:.1f} KiB, raw page {raw[0] / count / 1024:.1f} KiB "
          f"stored zlib-compressed as {raw[1] / count / 1024:.1f} KiB, per article")
    if tables:
        fts = sum(v for k, v in tables.items() if k.startswith("articles_fts"))
        print(f"  by table: articles {tables.get('articles', 0) / count / 1024:.1f} KiB, "
              f"captures {tables.get('captures', 0) / count / 1024:.1f} KiB, "
              f"full-text index {fts / count / 1024:.1f} KiB per article")


def configured_facets() -> list[str]:
    """Names of the facets archive/metadata.yaml sets on the articles table."""
    metadata = parse_metadata(metadata_path().read_text(encoding="utf-8"))
    facets = metadata["databases"]["archive"]["tables"]["articles"]["facets"]
    return [f if isinstance(f, str) else next(iter(f.values())) for f in facets]


def main_benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/newsarchive-scale/archive.db"))
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if args.rebuild or article_count(args.db) < args.articles:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        print(f"Building {args.articles} articles in {args.db} ...")
        seconds = build(args.db, args.articles)
        print(f"  built in {seconds:.0f} s ({args.articles / seconds:.0f} articles/s through save_article)")
    time_search(args.db)
    time_datasette(args.db)
    report_size(args.db)


if __name__ == "__main__":
    main_benchmark()
