"""Fetch limits and faults (issue 6): each fault comes from a real server on 127.0.0.1.

Every run is a real `newsarchive archive --allow-private` in a subprocess
with several faults and one good page: each bad URL gets its short reason
(printed as ``failed: REASON`` and stored in ``captures.error``), the good
page is still stored, and the run exits 1.  The site's misbehaving routes are
described in ``tests/crawler/conftest.py``; robots.txt faults need servers of
their own, since robots.txt is read once per host and port.
"""

from __future__ import annotations

import gzip
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlite_utils

from tests.crawler.conftest import (
    BOMB_INFLATED_BYTES,
    SOFT_404_PAGES,
    RunNewsarchive,
    Site,
    changing_page,
    free_port,
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


def test_soft_404_pages_are_not_archived(
    site: Site, run_newsarchive: RunNewsarchive, tmp_path: Path
) -> None:
    good = site.url("/changing.html")
    expected = {good: "archived",
                **{site.url(f"/soft404/{key}"): "failed: soft_404" for key in SOFT_404_PAGES}}
    result = run_newsarchive("archive", *expected, "--db", "s.db", "--allow-private", *NO_DELAY)
    check_run(expected, result.stdout, result.returncode, tmp_path / "s.db")


# robots.txt faults: one server (host:port) per behaviour.

ROBOTS_SLOW_SECONDS = 3.0
# DOWNLOAD_MAXSIZE of the robots.txt test, so that its bomb stays small.
ROBOTS_MAXSIZE = 100_000


@dataclass
class RobotsHost:
    server: ThreadingHTTPServer
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


class RobotsFaultHandler(BaseHTTPRequestHandler):
    """/robots.txt misbehaves as the server's ``robots`` mode says; /article.html is an article."""

    server: Any

    def do_GET(self) -> None:
        self.server.host.requests.append(self.path)
        if self.path != "/robots.txt":
            self.send(200, changing_page(0))
            return
        mode = self.server.robots
        if mode.startswith("status/"):
            # Rules that say the opposite of what the status means: an error
            # answer's body is not robots.txt.
            status = int(mode.removeprefix("status/"))
            self.send(status, b"User-agent: *\nDisallow: /\n" if status < 500 else b"User-agent: *\nAllow: /\n")
        elif mode == "slow":
            time.sleep(ROBOTS_SLOW_SECONDS)
            self.send(200, b"User-agent: *\nAllow: /\n")
        elif mode == "bomb":  # larger than ROBOTS_MAXSIZE once decompressed
            body = gzip.compress(b"User-agent: *\nAllow: /\n" + b"#" * (2 * ROBOTS_MAXSIZE))
            self.send(200, body, encoding="gzip")
        elif mode == "reset":
            # SO_LINGER with a zero timeout: close() sends RST, before any answer.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True

    def send(self, status: int, body: bytes, encoding: str | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except ConnectionError:
            pass  # the crawler gave up on the slow robots.txt

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def robots_hosts() -> Iterator[dict[str, RobotsHost]]:
    """Start one server per robots.txt behaviour; return {mode: RobotsHost}."""
    hosts = {}
    for mode in ("status/503", "status/500", "status/429", "slow", "reset", "bomb", "status/404",
                 "status/403"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), RobotsFaultHandler)
        server.daemon_threads = True
        server.robots = mode  # type: ignore[attr-defined]
        server.host = hosts[mode] = RobotsHost(server)  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield hosts
    for host in hosts.values():
        host.server.shutdown()
        host.server.server_close()


def test_unreachable_robots_txt_disallows_its_host(
    site: Site, robots_hosts: dict[str, RobotsHost], run_newsarchive: RunNewsarchive, tmp_path: Path
) -> None:
    refused = f"http://127.0.0.1:{free_port()}/article.html"
    expected = {
        site.url("/changing.html"): "archived",
        **{robots_hosts[mode].url("/article.html"): "failed: robots_txt_unreachable"
           for mode in ("status/503", "status/500", "status/429", "slow", "reset", "bomb")},
        # 4xx: robots.txt is unavailable, which allows everything (RFC 9309 2.3.1.3).
        robots_hosts["status/404"].url("/article.html"): "archived",
        robots_hosts["status/403"].url("/article.html"): "archived",
        # Unreachable too, but so is the page: its own reason is the better one.
        refused: "failed: connection_refused",
    }
    result = run_newsarchive("archive", *expected, "--db", "robots.db", "--allow-private",
                             "--timeout", "1", "-v", *NO_DELAY, *PARALLEL, *NO_RETRY,
                             "-s", f"DOWNLOAD_MAXSIZE={ROBOTS_MAXSIZE}")

    check_run(expected, result.stdout, result.returncode, tmp_path / "robots.db")
    for mode in ("status/503", "status/500", "status/429", "slow", "reset", "bomb"):
        host = robots_hosts[mode]
        assert "/article.html" not in host.requests, mode
        netloc = host.url("").removeprefix("http://")
        assert f"robots.txt of {netloc} is unreachable" in result.stderr
    assert "'robotstxt/unreachable': 7" in result.stderr  # six servers and the refused port
