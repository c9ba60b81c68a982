"""`newsarchive crawl` end to end: real crawls of the generated test portal.

Each crawl runs the CLI in a subprocess (Twisted's reactor starts once per
process) into tmp_path, against ``tests/fixtures/portal`` served on
127.0.0.1; the assertions read the archive and the portal's request log.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlite_utils

from tests.fixtures.portal import PortalServer, RequestRecord, stored_articles

# Fast but still through every middleware: no AutoThrottle, no delay, the slow
# page times out after 2 s (a busy 2-core machine needs 1 s for a normal page).
FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "DOWNLOAD_TIMEOUT=2",
        "-s", "CRAWL_PROGRESS_INTERVAL_SECONDS=1", "-s", "RETRY_TIMES=0")
# Every known article is due again at once, so a rerun revisits all of them.
REVISIT_ALL = """
[recrawl]
article_revisit_hours = 0
article_max_age_days = 100000
list_revisit_minutes = 0
"""


def write_profile(folder: Path, portal: PortalServer, name: str, extra: str = "") -> Path:
    base = portal.base
    path = folder / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\nstart_urls = ["{base}"]\n'
        f'feeds = ["{base}feed.xml", "{base}atom.xml"]\n{extra}', encoding="utf-8")
    return path


def crawl_args(profile: Path, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "crawl", "--profile", str(profile),
            "--db", str(db), "--allow-private", *FAST, *extra]


def run_crawl(profile: Path, db: Path, *extra: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(crawl_args(profile, db, *extra), capture_output=True, text=True,
                          timeout=90, cwd=db.parent, env=dict(os.environ))


def article_requests(portal: PortalServer, requests: list[RequestRecord]) -> Counter[tuple[int, bool]]:
    """Count (status, conditional) of the requests for article pages."""
    return Counter((r.status, r.conditional) for r in requests if r.path in portal.portal.articles)


def test_crawl_stores_each_article_once_and_revisits_with_conditional_get(
    portal: PortalServer, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, portal, "harbor", REVISIT_ALL)
    db_path = tmp_path / "news.db"
    expected = stored_articles(portal.portal)
    busy = "/world/2024/03/9.html"  # answers 429 with Retry-After: 1, once
    portal.state.busy.add(busy)
    mark = portal.state.mark()
    first = run_crawl(profile, db_path)
    assert first.returncode == 0, first.stderr
    requests = portal.state.since(mark)
    assert [r.status for r in requests if r.path == busy] == [429, 200]  # came back and got it
    assert "pages (" in first.stderr and "/min)" in first.stderr  # the progress line

    db = sqlite_utils.Database(db_path)
    rows = {row["key"]: row for row in db["articles"].rows}
    keys = {"https://" + portal.base.split("://", 1)[1].rstrip("/") + path for path in expected}
    assert set(rows) == keys  # every article once; no list, home or error page
    for path, article in expected.items():
        row = rows["https://" + portal.base.split("://", 1)[1].rstrip("/") + path]
        assert (row["title"], row["published"], row["source"]) == (
            article.title, article.published, article.source), path
    assert db.execute("select count(*), count(distinct key) from articles").fetchone() == (310, 310)
    assert not [r for r in requests if r.path.startswith("/opinion/")]  # robots.txt obeyed
    assert {r.user_agent for r in requests} == {next(iter(requests)).user_agent}
    assert "(+http" in requests[0].user_agent
    assert article_requests(portal, requests) == Counter({(200, False): 310, (429, False): 1})
    run = db.execute("select * from crawl_runs").fetchone()
    run = dict(zip([c[0] for c in db.execute("select * from crawl_runs").description], run))
    assert (run["status"], run["articles_new"]) == ("finished", 310)
    assert '"http_404": 1' in run["errors"] and '"timeout": 1' in run["errors"]
    assert '"robots_txt_forbidden"' in run["errors"]
    assert '"page/section/' in run["skipped"]
    assert (tmp_path / "news.db.crawl.log").stat().st_size > 0

    # Nothing changed: every article is asked for conditionally and answers 304.
    mark = portal.state.mark()
    second = run_crawl(profile, db_path)
    assert second.returncode == 0, second.stderr
    assert article_requests(portal, portal.state.since(mark)) == Counter({(304, True): 310})
    assert db["articles"].count == 310 and db["versions"].count == 0

    # One article changes: one 200, one update, one version.
    changed = "/world/2024/03/7.html"
    portal.state.changed.add(changed)
    try:
        mark = portal.state.mark()
        third = run_crawl(profile, db_path)
    finally:
        portal.state.changed.discard(changed)
    assert third.returncode == 0, third.stderr
    assert article_requests(portal, portal.state.since(mark)) == Counter({(304, True): 309, (200, True): 1})
    [version] = list(db["versions"].rows)
    assert version["article_key"].endswith(changed)
    assert "Update: this story was revised" in rows_after(db, changed)
    assert "1 updated" in third.stdout
    statuses = [r[0] for r in db.execute("select status from crawl_runs order by id")]
    assert statuses == ["finished", "finished", "finished"]


def rows_after(db: sqlite_utils.Database, path: str) -> str:
    [body] = [row["body"] for row in db["articles"].rows if row["key"].endswith(path)]
    return str(body)


def wait_for_done_rows(db_path: Path, count: int, process: "subprocess.Popen[str]") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with sqlite3.connect(db_path, timeout=1) as conn:
                done = conn.execute("select count(*) from urls where state = 'done' "
                                    "and kind = 'article'").fetchone()[0]
        except sqlite3.OperationalError:
            done = 0
        if done >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the crawl did not store {count} articles in time")


def test_killed_crawl_resumes_and_a_second_run_of_the_profile_is_refused(
    portal: PortalServer, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, portal, "harbor")
    db_path = tmp_path / "news.db"
    # Slower on purpose, so it is still running when we look.
    slow = crawl_args(profile, db_path, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    process = subprocess.Popen(slow, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=tmp_path, env=dict(os.environ))
    try:
        wait_for_done_rows(db_path, 40, process)
        refused = run_crawl(profile, db_path)
        assert refused.returncode == 1
        assert "another crawl of profile 'harbor'" in refused.stderr
        assert process.poll() is None, "the first crawl ended before the kill"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    killed_at = sqlite_utils.Database(db_path)["articles"].count
    assert 40 <= killed_at < 310

    mark = portal.state.mark()
    rerun = run_crawl(profile, db_path)
    assert rerun.returncode == 0, rerun.stderr
    fetched = Counter(r.path for r in portal.state.since(mark) if r.path in portal.portal.articles)
    db = sqlite_utils.Database(db_path)
    assert db.execute("select count(*), count(distinct key) from articles").fetchone() == (310, 310)
    assert len(fetched) + killed_at >= 310 and max(fetched.values()) == 1
    stored_before = 310 - len(fetched)  # what the rerun did not fetch again
    assert stored_before >= killed_at - 8  # at most the requests in flight at the kill
    assert db.execute("select count(*) from captures where article_key is not null").fetchone()[0] \
        == 310 + (310 - stored_before - (310 - killed_at))
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    runs = [r[0] for r in db.execute("select status from crawl_runs order by id")]
    assert runs == ["interrupted", "finished"]

    # Default recrawl policy: a run right after fetches no article at all.
    mark = portal.state.mark()
    again = run_crawl(profile, db_path)
    assert again.returncode == 0, again.stderr
    assert article_requests(portal, portal.state.since(mark)) == Counter()
    assert "0 new" in again.stdout
