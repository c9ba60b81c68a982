"""Fetch limits and faults (issue 6): each fault comes from a real server on 127.0.0.1.

Every run is a real `newsarchive archive --allow-private` in a subprocess
with several faults and one good page: each bad URL gets its short reason
(printed as ``failed: REASON`` and stored in ``captures.error``), the good
page is still stored, and the run exits 1.  The site's misbehaving routes are
described in ``tests/crawler/conftest.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from tests.crawler.conftest import (
    BOMB_INFLATED_BYTES,
    RunNewsarchive,
    Site,
)
from tests.crawler.test_archive import NO_DELAY, outcome_lines

MIB = 1024 * 1024
# Faults that take a second each (timeouts, Retry-After) must not queue behind
# each other on the site's two connections: more in parallel, same limits.
PARALLEL = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16")
# A timed-out request is retried once by default; the limit is the same
# without that retry, which only doubles the wait.
NO_RETRY = ("-s", "RETRY_TIMES=0")


@dataclass
class MeasuredRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_bytes: int


def run_measured(cwd: Path, *args: str, timeout: float = 60) -> MeasuredRun:
    """Run ``python -m crawler.cli ARGS`` and return its output and its own peak RSS.

    ``os.wait4`` gives the rusage of this one child, where
    ``getrusage(RUSAGE_CHILDREN)`` would give the largest child of the session.
    """
    out_path, err_path = cwd / "run.stdout", cwd / "run.stderr"
    started = time.monotonic()
    with out_path.open("w") as out, err_path.open("w") as err:
        child = subprocess.Popen([sys.executable, "-m", "crawler.cli", *args],
                                 stdout=out, stderr=err, cwd=cwd, env=dict(os.environ))
    watchdog = threading.Timer(timeout, os.kill, (child.pid, signal.SIGKILL))
    watchdog.start()
    try:
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        watchdog.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
    return MeasuredRun(child.returncode, out_path.read_text(), err_path.read_text(),
                       time.monotonic() - started, usage.ru_maxrss * 1024)


def stored_errors(db_path: Path) -> dict[str, str]:
    """Return {url: error} of the failed captures in the archive."""
    db = sqlite_utils.Database(db_path)
    return {row["url"]: row["error"] for row in db.query("select url, error from captures where error is not null")}


def check_run(expected: dict[str, str], stdout: str, returncode: int, db_path: Path) -> None:
    """Check the outcome lines, the exit code and the stored errors of a run."""
    assert outcome_lines(stdout) == expected
    assert returncode == 1
    assert stored_errors(db_path) == {
        url: outcome.removeprefix("failed: ")
        for url, outcome in expected.items() if outcome.startswith("failed: ")}
    db = sqlite_utils.Database(db_path)
    stored = db.query("select url from captures where article_key is not null")
    assert sorted(row["url"] for row in stored) == sorted(
        url for url, outcome in expected.items() if outcome == "archived")


def test_bombs_and_oversized_bodies_fail_as_too_large_in_bounded_memory(
    site: Site, tmp_path: Path
) -> None:
    good = site.url("/changing.html")
    control = run_measured(tmp_path, "archive", good, "--db", "control.db", "--allow-private", *NO_DELAY)
    assert control.returncode == 0, control.stderr
    expected = {
        good: "archived",
        **{site.url(f"/bomb/{encoding}"): "failed: too_large"
           for encoding in ("gzip", "deflate", "br", "zstd")},
        site.url("/big/length"): "failed: too_large",
        site.url("/big/chunked"): "failed: too_large",
    }
    result = run_measured(tmp_path, "archive", *expected, "--db", "big.db", "--allow-private", *NO_DELAY)

    # Four bombs of 96 MiB went through: memory grew by less than two thirds of
    # one (the 32 MiB cap plus buffers), not by what they inflate to.
    grown = result.peak_rss_bytes - control.peak_rss_bytes
    assert grown < BOMB_INFLATED_BYTES * 2 // 3, f"peak RSS grew by {grown // MIB} MiB"
    check_run(expected, result.stdout, result.returncode, tmp_path / "big.db")
    # Scrapy asks for every encoding it can decode; each bomb was decoded up to the cap.
    accepted = site.state.headers["/bomb/br"]["Accept-Encoding"]
    assert {e.strip() for e in accepted.split(",")} >= {"gzip", "deflate", "br", "zstd"}


def test_endless_and_trickling_bodies_time_out(
    site: Site, run_newsarchive: RunNewsarchive, tmp_path: Path
) -> None:
    # /trickle sends a byte every 0.5 s: never idle for the 1 s timeout, yet it
    # times out, so DOWNLOAD_TIMEOUT bounds the whole body, not silence.
    good = site.url("/changing.html")
    expected = {
        good: "archived",
        site.url("/endless"): "failed: timeout",
        site.url("/trickle"): "failed: timeout",
    }
    started = time.monotonic()
    result = run_newsarchive("archive", *expected, "--db", "t.db", "--allow-private",
                             "--timeout", "1", *NO_DELAY, *PARALLEL, *NO_RETRY)
    check_run(expected, result.stdout, result.returncode, tmp_path / "t.db")
    assert time.monotonic() - started < 15  # bounded, not forever


def test_redirect_chains_resets_and_retry_after(
    site: Site, run_newsarchive: RunNewsarchive, tmp_path: Path
) -> None:
    good = site.url("/changing.html")
    busy = site.url(f"/busy/503/{uuid.uuid4().hex}")
    expected = {
        good: "archived",
        site.url("/chain/10"): "archived",  # REDIRECT_MAX_TIMES = 10 redirects are followed
        site.url("/chain/11"): "failed: too_many_redirects",
        site.url("/loop/a"): "failed: too_many_redirects",
        site.url("/reset"): "failed: connection_lost",
        busy: "archived",  # 503 with Retry-After: 1, then the page
    }
    result = run_newsarchive("archive", *expected, "--db", "r.db", "--allow-private", *NO_DELAY, *PARALLEL)

    check_run(expected, result.stdout, result.returncode, tmp_path / "r.db")
    first, second = site.state.visits[busy.removeprefix(site.base.rstrip("/"))]
    assert second - first >= 0.9  # Retry-After: 1 was waited out, not retried at once
    assert site.state.requests.count("/chain/11") == 1 and "/chain/1" in site.state.requests


def test_binary_and_empty_pages_get_their_reason(
    site: Site, run_newsarchive: RunNewsarchive, tmp_path: Path
) -> None:
    good = site.url("/changing.html")
    expected = {
        good: "archived",
        site.url("/binary/random"): "failed: binary",
        site.url("/binary/png"): "failed: binary",
        site.url("/binary/gzip"): "failed: binary",  # gzip data without Content-Encoding
        site.url("/empty"): "failed: empty_document",
    }
    result = run_newsarchive("archive", *expected, "--db", "b.db", "--allow-private", *NO_DELAY)
    check_run(expected, result.stdout, result.returncode, tmp_path / "b.db")
