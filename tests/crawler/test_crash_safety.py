"""Crawls that meet storage faults, readers and SIGKILL keep the archive whole.

Every crawl is a real ``newsarchive`` process over a small generated portal
(``tests/fixtures/portal``, about 50 articles) on 127.0.0.1.  To keep 20
kills affordable, processes are forked from a fork server that has already
imported the crawler (``serve_forks``): each child runs ``crawler.cli.main``
exactly as ``python -m crawler.cli`` would, minus a second of imports, and can
be killed, given a file size limit (RLIMIT_FSIZE) or, when the tests run as
root, made subject to file permissions like any other user.

Faults are real: SQLite's own size limit (ARCHIVE_MAX_SIZE_MB), a file size
limit the kernel enforces, an archive file the crawling user may not write,
a second connection holding a read transaction, a real Datasette, SIGKILL.
After each, ``check_archive`` asserts the invariants that matter: PRAGMA
integrity_check, one row per article, a capture for every counted fetch,
no URL done without its article, no repeated version.
"""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import importlib
import json
import os
import queue
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn

import pytest
from scrapy.utils.test import get_crawler

from archive import open_archive, save_article
from crawler.pipelines import ArchivePipeline
from tests.archive.browse_support import running_datasette
from tests.archive.conftest import make_capture, make_english
from tests.crawler.conftest import free_port
from tests.crawler.test_pipelines import article_item
from tests.crawler.test_portal import FAST, REVISIT_ALL, write_profile
from tests.fixtures.portal import (
    PortalServer,
    PortalSize,
    serve_portal,
    stored_articles,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
# In-process extraction (no worker pool to start) and small batches: many
# commits, so kills and faults land between and inside them.
QUICK = (*FAST, "-s", "CRAWL_EXTRACT_PROCESSES=0", "-s", "ARCHIVE_BATCH_ITEMS=5",
         "-s", "ARCHIVE_BATCH_SECONDS=0.2")
# Fewer parallel requests, so a fault stops the crawl well before its end.
SLOWER = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
KILLS = 20
KILL_SEED = 20240606
# Linux capabilities that let root write a file whatever its permissions.
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2
LINUX_CAPABILITY_VERSION_3 = 0x20080522


# The fork server

def serve_forks() -> None:
    """Fork one ``newsarchive`` process per JSON job read from stdin.

    Answers {"pid": N} once the child runs and {"status": code} when it ends
    (negative: killed by that signal).  Runs in its own process, started by
    the ``forks`` fixture: it imports the crawler, and after a job with
    ``"modules"`` (a file) what that job's child imported, but never the
    reactor, which each child installs for itself.
    """
    for name in ("crawler.cli", "crawler.cli_crawl", "crawler.spiders.portal"):
        importlib.import_module(name)

    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            run_forked(job)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        if job.get("modules") and os.path.exists(job["modules"]):
            import_like_a_child(json.loads(Path(job["modules"]).read_text()))
        print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)


def import_like_a_child(names: list[str]) -> None:
    """Import the modules a child needed, so later children start at once."""
    for name in names:
        if name.startswith("twisted.internet.") and "reactor" in name:
            continue
        try:
            importlib.import_module(name)
        except Exception:
            continue
    assert "twisted.internet.reactor" not in sys.modules, "a reactor would be shared"


def run_forked(job: dict[str, Any]) -> NoReturn:
    code = 1
    known = set(sys.modules)
    try:
        os.chdir(job["cwd"])
        for fd, name in ((1, "stdout"), (2, "stderr")):
            os.dup2(os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        if job.get("file_size_limit"):
            hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
            resource.setrlimit(resource.RLIMIT_FSIZE, (job["file_size_limit"], hard))
        if job.get("obey_permissions") and os.geteuid() == 0:
            drop_permission_override()
        from crawler.cli import main

        main(job["args"], prog_name="newsarchive")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:
        traceback.print_exc()
    finally:
        if job.get("modules"):
            Path(job["modules"]).write_text(json.dumps(sorted(set(sys.modules) - known)))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class CapabilityHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapabilityData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_permission_override() -> None:
    """Make this root process obey file permissions (capset(2) without
    CAP_DAC_OVERRIDE): a file of mode 444 is then read-only for it, as for
    any user, while everything it may read stays readable."""
    libc = ctypes.CDLL(None, use_errno=True)
    header = CapabilityHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (CapabilityData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    keep = ~((1 << CAP_DAC_OVERRIDE) | (1 << CAP_DAC_READ_SEARCH)) & 0xFFFFFFFF
    for field in ("effective", "permitted", "inheritable"):
        setattr(data[0], field, getattr(data[0], field) & keep)
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def killed(self) -> bool:
        return self.code == -signal.SIGKILL


class Forks:
    """The test's side of the fork server: run ``newsarchive ARGS``, maybe kill it."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from tests.crawler.test_crash_safety import serve_forks; "
             "serve_forks()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
            env=dict(os.environ))
        self.answers: queue.Queue[dict[str, int]] = queue.Queue()
        self.warm = False  # the first run tells the server what to import
        self.reader = threading.Thread(target=self.read_answers, daemon=True)
        self.reader.start()

    def read_answers(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.answers.put(json.loads(line))

    def run(self, cwd: Path, *args: str, kill_after: float | None = None,
            file_size_limit: int | None = None, obey_permissions: bool = False,
            timeout: float = 90) -> Run:
        """Run ``newsarchive ARGS`` in ``cwd``; SIGKILL it after ``kill_after`` seconds."""
        out, err = cwd / "run.stdout", cwd / "run.stderr"
        job = {"args": list(args), "cwd": str(cwd), "stdout": str(out), "stderr": str(err),
               "file_size_limit": file_size_limit, "obey_permissions": obey_permissions,
               "modules": None if self.warm else str(cwd / "run.modules")}
        self.warm = True
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        pid = self.answers.get(timeout=30)["pid"]
        started = time.monotonic()
        try:
            answer = self.answers.get(timeout=timeout if kill_after is None else kill_after)
        except queue.Empty:
            os.kill(pid, signal.SIGKILL)  # our child, still running: no answer came
            answer = self.answers.get(timeout=30)
            if kill_after is None:
                raise AssertionError(f"newsarchive {args} ran over {timeout} s:\n"
                                     f"{err.read_text(errors='replace')[-3000:]}") from None
        return Run(answer["status"], out.read_text(errors="replace"),
                   err.read_text(errors="replace"), time.monotonic() - started)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.reader.join(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture(scope="module")
def forks() -> Iterator[Forks]:
    server = Forks()
    yield server
    server.close()


@pytest.fixture(scope="module")
def portal() -> Iterator[PortalServer]:
    server = serve_portal(PortalSize.scaled(50))
    yield server
    server.shutdown()
    server.server_close()


# What every archive must satisfy

def article_keys(portal: PortalServer) -> set[str]:
    host = portal.base.split("://", 1)[1].rstrip("/")
    return {"https://" + host + path for path in stored_articles(portal.portal)}


def rows(conn: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return list(conn.execute(sql).fetchall())


def check_archive(path: Path, *, frontier: bool = True) -> dict[str, int]:
    """Assert the archive's invariants; return its article, capture and queued counts.

    Whatever moment a crawl stopped at, the file is intact, each article is
    one row with its search entry, no article has the same text twice in a
    row in its versions, and (``frontier``: a portal crawl's archive) every
    fetch a URL counts has its capture (they are written in one transaction)
    and a URL is done only with its article.
    """
    with closing(sqlite3.connect(path)) as conn:
        assert rows(conn, "PRAGMA integrity_check") == [("ok",)]
        assert rows(conn, "PRAGMA foreign_key_check") == []
        [(articles, keys, indexed)] = rows(conn, "SELECT count(*), count(DISTINCT key), "
                                                 "(SELECT count(*) FROM articles_fts) FROM articles")
        assert articles == keys == indexed
        [(fetches, captures)] = rows(conn, "SELECT (SELECT coalesce(sum(fetch_count), 0) FROM urls), "
                                           "(SELECT count(*) FROM captures)")
        assert fetches == captures or not frontier, "a fetch counted without its capture"
        assert {state for (state,) in rows(conn, "SELECT DISTINCT state FROM urls")} <= {
            "queued", "done", "failed"}
        orphans = rows(conn, "SELECT url FROM urls WHERE state = 'done' AND kind = 'article' "
                             "AND article_key NOT IN (SELECT key FROM articles)")
        assert orphans == [], "URLs marked done without their article"
        history: dict[str, list[str]] = {}
        for key, content_hash in rows(conn, "SELECT article_key, content_hash FROM versions "
                                            "ORDER BY id"):
            history.setdefault(key, []).append(content_hash)
        for key, content_hash in rows(conn, "SELECT key, content_hash FROM articles"):
            hashes = [*history.get(key, []), content_hash]
            assert all(a != b for a, b in pairwise(hashes)), f"repeated version of {key}"
        [(queued,)] = rows(conn, "SELECT count(*) FROM urls WHERE state = 'queued'")
    return {"articles": articles, "captures": captures, "queued": queued}


def stored_keys(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        return {key for (key,) in rows(conn, "SELECT key FROM articles")}


def run_statuses(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return [status for (status,) in rows(conn, "SELECT status FROM crawl_runs ORDER BY id")]


def article_fetches(portal: PortalServer, mark: int) -> Counter[str]:
    return Counter(r.path for r in portal.state.since(mark) if r.path in portal.portal.articles)


def new_archive(path: Path) -> Path:
    """Create and close an empty archive: its WAL file starts empty."""
    open_archive(path).close()
    return path


# Readers

def test_a_reader_holding_a_transaction_and_datasette_never_block_the_crawl(
        forks: Forks, portal: PortalServer, tmp_path: Path) -> None:
    """WAL: readers see their snapshot and the crawl's commits never wait for them."""
    profile = write_profile(tmp_path, portal, "harbor")
    db_path = new_archive(tmp_path / "news.db")
    reader = sqlite3.connect(db_path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM articles").fetchone() == (0,)  # snapshot held
    answers: list[int] = []
    problems: list[str] = []
    done = threading.Event()
    with running_datasette(db_path, free_port()) as server:
        def count_articles() -> int:
            answer = server.get_json(f"/{server.database}.json?sql=select+count(*)+as+n+"
                                     "from+articles&_shape=array")
            return int(answer[0]["n"])

        def query_in_a_loop() -> None:
            while not done.is_set():
                try:
                    answers.append(count_articles())
                except Exception as exc:
                    problems.append(repr(exc))
                time.sleep(0.05)

        querying = threading.Thread(target=query_in_a_loop)
        querying.start()
        try:
            run = forks.run(tmp_path, "crawl", "--profile", str(profile), "--db", str(db_path),
                            "--allow-private", *QUICK, timeout=60)
        finally:
            done.set()
            querying.join()
        after = count_articles()
    assert run.code == 0, run.stderr
    log = (tmp_path / "news.db.crawl.log").read_text()
    locked = [line for line in log.splitlines() if "database is locked" in line]
    assert locked == [] and "store_failed" not in log
    assert stored_keys(db_path) == article_keys(portal)
    assert reader.execute("SELECT count(*) FROM articles").fetchone() == (0,)  # still its snapshot
    reader.execute("ROLLBACK")
    reader.close()
    expected = len(stored_articles(portal.portal))
    assert problems == []
    assert any(0 < n < expected for n in answers)  # Datasette read while the crawl wrote
    assert after == expected
    check_archive(db_path)


# A full disk, a file size limit, a read-only archive

class EngineStub:
    """What stop_crawl uses of Scrapy's ExecutionEngine: the spider and closing it."""

    def __init__(self) -> None:
        self.spider = object()
        self.close_reasons: list[str] = []

    async def close_spider_async(self, *, reason: str) -> None:
        self.close_reasons.append(reason)


def test_the_pipeline_stops_the_crawl_at_the_first_storage_error(tmp_path: Path) -> None:
    """Not one retry per item: every later page could only be fetched and lost."""
    db_path = new_archive(tmp_path / "news.db")
    crawler = get_crawler(settings_dict={
        "ARCHIVE_DB_PATH": str(db_path), "ARCHIVE_BATCH_ITEMS": 4,
        "ARCHIVE_MAX_SIZE_MB": (db_path.stat().st_size + 60_000) / 2**20})
    engine = EngineStub()
    crawler.engine = engine  # type: ignore[assignment]
    pipeline = ArchivePipeline.from_crawler(crawler)

    async def crawl() -> None:
        for n in range(200):
            item = article_item(n)
            words = " ".join(f"w{n * 7919 + i:x}" for i in range(300))
            item.article = replace(item.article, body=f"Story {n}. {words}")
            pipeline.process_item(item)
        pipeline.close_spider()
        await asyncio.sleep(0)  # the close runs as a task, as in a crawl

    asyncio.run(crawl())
    stats = crawler.stats
    assert stats is not None
    stored = len(stored_keys(db_path))
    assert 0 < stored < 200
    assert engine.close_reasons == ["archive_full"]
    assert stats.get_value("archive/stopped") == "archive_full"
    assert stats.get_value("archive/error/archive_full") == 1
    assert "ARCHIVE_MAX_SIZE_MB" in stats.get_value("archive/stop_message")
    assert stats.get_value("archive/batch_failed") is None  # no item-by-item retry
    assert stats.get_value("archive/articles_archived") == stored
    assert stats.get_value("archive/not_stored") == 200 - stored
    check_archive(db_path)


@pytest.mark.parametrize("fault", ["archive_size_limit", "file_size_limit"])
def test_a_full_archive_stops_the_crawl_and_a_rerun_with_room_completes(
        forks: Forks, portal: PortalServer, tmp_path: Path, fault: str) -> None:
    profile = write_profile(tmp_path, portal, "harbor")
    db_path = new_archive(tmp_path / "news.db")
    expected = len(stored_articles(portal.portal))
    crawl = ("crawl", "--profile", str(profile), "--db", str(db_path), "--allow-private",
             *QUICK, *SLOWER)
    mark = portal.state.mark()
    if fault == "archive_size_limit":
        # ARCHIVE_MAX_SIZE_MB: SQLite refuses to grow the file (SQLITE_FULL).
        limit_mb = (db_path.stat().st_size + 100_000) / 2**20
        run = forks.run(tmp_path, *crawl, "-s", f"ARCHIVE_MAX_SIZE_MB={limit_mb:.3f}")
        reason, message = "archive_full", f"Error: The archive {db_path} is full: "
    else:
        # The kernel refuses to let a file pass 600 kB (a full disk does the same with ENOSPC).
        run = forks.run(tmp_path, *crawl, file_size_limit=600_000)
        reason, message = "archive_io_error", f"Error: The archive {db_path} cannot be written: "
    fetched = article_fetches(portal, mark)
    assert run.code == 1, run.stderr
    assert f"harbor: {reason};" in run.stdout
    [line] = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert line.startswith(message) and "run again" in line
    counts = check_archive(db_path)
    assert 0 < counts["articles"] < expected
    assert len(fetched) < expected, "the crawl went on fetching pages it could not store"
    assert run_statuses(db_path)[-1] != "finished"

    # Room again: the rerun fetches only what was not stored, and completes.
    mark = portal.state.mark()
    rerun = forks.run(tmp_path, *crawl)
    assert rerun.code == 0, rerun.stderr
    assert stored_keys(db_path) == article_keys(portal)
    refetched = article_fetches(portal, mark)
    assert len(refetched) == expected - counts["articles"] and max(refetched.values()) == 1
    assert check_archive(db_path)["queued"] == 0
    assert run_statuses(db_path)[-1] == "finished"


@pytest.mark.skipif(sys.platform != "linux", reason="capset(2) is Linux's")
def test_a_read_only_archive_stops_crawl_and_archive_before_any_fetch(
        forks: Forks, portal: PortalServer, tmp_path: Path) -> None:
    """The archive file may not be written by the crawling user (mode 444 here;
    another owner, a read-only mount): SQLite opens it read-only without a word."""
    db_path = tmp_path / "news.db"
    db = open_archive(db_path)
    url = "https://news.example.org/2024/05/kept.html"
    save_article(db, make_english(url=url), make_capture(url=url, final_url=url))
    db.close()
    db_path.chmod(0o444)
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    profile = write_profile(tmp_path, portal, "harbor")
    message = f"Error: The archive {db_path} is read-only: attempt to write a readonly database"
    mark = portal.state.mark()
    crawled = forks.run(tmp_path, "crawl", "--profile", str(profile), "--db", str(db_path),
                        "--allow-private", *QUICK, obey_permissions=True)
    archived = forks.run(tmp_path, "archive", portal.portal.url(next(iter(
        stored_articles(portal.portal)))), "--db", str(db_path), "--allow-private",
        obey_permissions=True)
    for run in (crawled, archived):
        assert run.code == 1, run.stderr
        [line] = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
        assert line.startswith(message) and "permissions" in line
    assert portal.state.since(mark) == []  # nothing fetched to be lost
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    with closing(sqlite3.connect(db_path)) as conn:
        assert rows(conn, "PRAGMA integrity_check") == [("ok",)]
        assert stored_keys(db_path) == {url}


def test_archive_command_reports_each_url_and_stops_when_the_archive_is_full(
        forks: Forks, portal: PortalServer, tmp_path: Path) -> None:
    db_path = new_archive(tmp_path / "news.db")
    urls = [portal.portal.url(path) for path in sorted(stored_articles(portal.portal))[:12]]
    limit_mb = (db_path.stat().st_size + 60_000) / 2**20
    run = forks.run(tmp_path, "archive", *urls, "--db", str(db_path), "--allow-private",
                    "-s", "ARCHIVE_BATCH_ITEMS=1", "-s", f"ARCHIVE_MAX_SIZE_MB={limit_mb:.3f}")
    assert run.code == 1, run.stderr
    outcomes = Counter(line.split("  ", 1)[1] for line in run.stdout.splitlines()
                       if line.startswith("http"))
    assert set(outcomes) == {"archived", "failed: archive_full"}, run.stdout
    assert f"Error: The archive {db_path} is full: " in run.stderr
    assert "ARCHIVE_MAX_SIZE_MB" in run.stderr
    assert check_archive(db_path, frontier=False)["articles"] == outcomes["archived"]
    rerun = forks.run(tmp_path, "archive", *urls, "--db", str(db_path), "--allow-private")
    assert rerun.code == 0, rerun.stderr
    assert check_archive(db_path, frontier=False)["articles"] == len(urls)


# SIGKILL

def test_killed_twenty_times_the_crawl_still_stores_every_article_once(
        forks: Forks, portal: PortalServer, tmp_path: Path) -> None:
    """Kill a crawl at 20 moments spread over its run, rerun it each time, then
    let it finish: the archive holds every article once and is consistent
    after every single kill.  Every rerun revisits everything (REVISIT_ALL)
    and two articles change before each, so each run writes new captures,
    versions and frontier marks for the kill to interrupt."""
    profile = write_profile(tmp_path, portal, "harbor", REVISIT_ALL)
    reference = ("crawl", "--profile", str(profile), "--db", str(tmp_path / "reference.db"),
                 "--allow-private", *QUICK)
    assert forks.run(tmp_path, *reference).code == 0  # a first crawl: all new
    rerun = forks.run(tmp_path, *reference)  # all 304: shorter
    assert rerun.code == 0, rerun.stderr
    duration = rerun.seconds
    rng = random.Random(KILL_SEED)
    # One moment in each twentieth of a run, in random order.  A run after a
    # kill is shorter still (it requests the URLs left queued at once), so
    # the last run that ended by itself sets the length.
    moments = [(slot + rng.random()) / KILLS for slot in range(KILLS)]
    rng.shuffle(moments)
    db_path = tmp_path / "news.db"
    crawl = ("crawl", "--profile", str(profile), "--db", str(db_path), "--allow-private", *QUICK)
    paths = sorted(stored_articles(portal.portal))
    mark = portal.state.mark()
    killed = 0
    portal.state.changed.clear()
    try:
        for moment in moments:
            portal.state.changed.symmetric_difference_update(rng.sample(paths, 2))
            run = forks.run(tmp_path, *crawl, kill_after=moment * duration)
            assert run.killed or run.code == 0, run.stderr
            killed += run.killed
            if not run.killed:
                duration = run.seconds
            if db_path.exists():
                check_archive(db_path)
        final = forks.run(tmp_path, *crawl)
        assert final.code == 0, final.stderr
        changed = set(portal.state.changed)
    finally:
        portal.state.changed.clear()
    assert killed >= KILLS * 3 // 4, f"only {killed} of {KILLS} runs were still running when killed"
    assert stored_keys(db_path) == article_keys(portal)
    assert check_archive(db_path)["queued"] == 0
    with closing(sqlite3.connect(db_path)) as conn:
        for key, body in rows(conn, "SELECT key, body FROM articles"):
            path = "/" + key.split("/", 3)[3]
            revised = "Update: this story was revised" in body or "更正：" in body
            assert revised == (path in changed), key
        # No capture twice: never more captures of an article than answers for it.
        captured = Counter(dict(rows(conn, "SELECT article_key, count(*) FROM captures "
                                           "WHERE article_key IS NOT NULL GROUP BY 1")))
    served = article_fetches(portal, mark)
    host_prefix = "https://" + portal.base.split("://", 1)[1].rstrip("/")
    assert all(n <= served[key[len(host_prefix):]] for key, n in captured.items())
    statuses = run_statuses(db_path)
    assert statuses[-1] == "finished" and "running" not in statuses
    # A run killed before its spider opened has no row at all.
    assert 0 < statuses.count("interrupted") <= killed
