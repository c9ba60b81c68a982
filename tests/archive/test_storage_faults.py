"""Storage faults: the write lock, a full archive, a read-only one, a failing disk.

Faults come from SQLite or the operating system, never from a patched
function: ``max_size_mb`` (SQLite's ``max_page_count``) for a full archive, a
``mode=ro`` connection for a read-only one (what SQLite gives a process that
may not write the file), and RLIMIT_FSIZE in a child process for writes the
kernel refuses.  Each fault must leave what was committed intact
(``PRAGMA integrity_check``) and the connection out of any transaction.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

import archive.store
from archive import (
    ArchiveError,
    BatchEntry,
    enqueue,
    open_archive,
    save_article,
    save_batch,
)
from archive.errors import (
    ArchiveFull,
    ArchiveIOError,
    ArchiveReadOnly,
    StorageError,
    storage_error,
)
from archive.store import check_writable

from .conftest import make_capture, make_english

REPO_ROOT = Path(__file__).resolve().parents[2]


def article(n: int, body_chars: int = 400) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return a distinct English article and its capture, its body ``body_chars`` long."""
    url = f"https://news.example.org/2024/05/{n}.html"
    # Varied words, so neither zlib nor the FTS index shrink it much.
    words = " ".join(f"w{(n * 7919 + i * 104729) % 1000003:x}" for i in range(body_chars // 8))
    return (make_english(url=url, title=f"Story {n}", body=f"Story {n}. {words}"),
            make_capture(url=url, final_url=url, body=words.encode()))


def integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def count(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_save_holds_the_write_lock_from_its_first_read(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """BEGIN IMMEDIATE: a rival writer is refused while a save reads, so the
    save never finds its snapshot stale when it starts writing (which a
    deferred BEGIN would answer with "database is locked", busy timeout or not)."""
    path = tmp_path / "news.db"
    db = open_archive(path)
    rival = Database(sqlite3.connect(path, timeout=0))
    original = archive.store._upsert_article
    rival_results: list[str] = []

    def upsert_while_a_rival_writes(db_: Database, row: dict[str, Any]) -> str:
        db_.execute("SELECT count(*) FROM articles").fetchone()
        try:
            enqueue(rival, [{"url": "https://news.example.org/rival.html"}])
            rival_results.append("rival wrote")
        except sqlite3.OperationalError as exc:
            rival_results.append(str(exc))
        return original(db_, row)

    monkeypatch.setattr(archive.store, "_upsert_article", upsert_while_a_rival_writes)
    try:
        assert save_article(db, *article(1)) == "archived"
        assert rival_results == ["database is locked"]
        assert enqueue(rival, [{"url": "https://news.example.org/rival.html"}])  # after: fine
    finally:
        rival.close()
        db.close()


def test_a_full_archive_raises_archive_full_and_keeps_what_was_committed(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    open_archive(path).close()
    limit_mb = (path.stat().st_size + 120_000) / archive.store.MIB
    db = open_archive(path, max_size_mb=limit_mb)
    stored = 0
    with pytest.raises(ArchiveFull) as info:
        for n in range(1000):
            save_article(db, *article(n, body_chars=4000))
            stored += 1
    fault = info.value
    assert 3 < stored < 1000
    assert fault.path == path and fault.reason == "archive_full"
    assert str(path) in str(fault) and "size limit" in str(fault)
    assert "SQLITE_FULL" in str(fault)
    assert not db.conn.in_transaction
    # A whole batch is refused too, and nothing of it is written.
    entries = [BatchEntry("article", capture, {"url": a["url"]}, a)
               for a, capture in (article(n, body_chars=4000) for n in range(2000, 2005))]
    with pytest.raises(ArchiveFull):
        save_batch(db, entries)
    db.close()
    assert integrity(path) == "ok"
    assert count(path, "articles") == count(path, "articles_fts") == stored
    assert count(path, "captures") == stored
    # Space freed (no limit): the same connection settings store again.
    again = open_archive(path)
    try:
        assert save_article(again, *article(stored, body_chars=4000)) == "archived"
    finally:
        again.close()


def test_a_full_archive_inside_a_callers_transaction_raises_archive_full(tmp_path: Path) -> None:
    """SQLite rolls the whole transaction back on SQLITE_FULL, savepoint and all:
    the error that reaches the caller is still ArchiveFull."""
    path = tmp_path / "news.db"
    open_archive(path).close()
    db = open_archive(path, max_size_mb=(path.stat().st_size + 120_000) / archive.store.MIB)
    try:
        with pytest.raises(ArchiveFull):
            with db.atomic():
                for n in range(1000):
                    save_article(db, *article(n, body_chars=4000))
        assert not db.conn.in_transaction
    finally:
        db.close()
    assert count(path, "articles") == 0 and integrity(path) == "ok"


def test_an_archive_already_past_its_size_limit_is_refused_at_open(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    open_archive(path).close()
    with pytest.raises(ArchiveFull, match="more than its size limit of 0.01 MiB") as info:
        open_archive(path, max_size_mb=0.01)
    assert info.value.path == path
    with pytest.raises(ArchiveError, match="above 0"):
        open_archive(path, max_size_mb=0)


def test_a_read_only_archive_raises_archive_read_only(tmp_path: Path) -> None:
    """SQLite opens a file this process may not write read-only without a word,
    and lets BEGIN IMMEDIATE through: only the first write fails."""
    path = tmp_path / "news.db"
    writable = open_archive(path)
    save_article(writable, *article(1))
    check_writable(writable)  # passes, and changes nothing
    assert writable.execute("PRAGMA user_version").fetchone()[0] == 0
    assert not writable.conn.in_transaction
    writable.close()
    db = Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    try:
        with pytest.raises(ArchiveReadOnly) as info:
            check_writable(db)
        assert info.value.path == path and info.value.reason == "archive_read_only"
        assert f"The archive {path} is read-only" in str(info.value)
        with pytest.raises(ArchiveReadOnly):
            save_article(db, *article(2))
        assert not db.conn.in_transaction
    finally:
        db.close()
    assert count(path, "articles") == 1 and integrity(path) == "ok"


def make_error(code: int | None, name: str = "") -> sqlite3.Error:
    exc = sqlite3.OperationalError("some failure")
    if code is not None:
        exc.sqlite_errorcode = code
        exc.sqlite_errorname = name
    return exc


@pytest.mark.parametrize(("code", "name", "expected"), [
    (13, "SQLITE_FULL", ArchiveFull),
    (8, "SQLITE_READONLY", ArchiveReadOnly),
    (1032, "SQLITE_READONLY_DBMOVED", ArchiveReadOnly),
    (10, "SQLITE_IOERR", ArchiveIOError),
    (778, "SQLITE_IOERR_WRITE", ArchiveIOError),
    (14, "SQLITE_CANTOPEN", ArchiveIOError),
    (11, "SQLITE_CORRUPT", ArchiveIOError),
    (5, "SQLITE_BUSY", None),  # another writer: it may let go
    (18, "SQLITE_TOOBIG", None),  # one row too big: that item alone
    (None, "", None),  # raised by Python, not SQLite
])
def test_storage_errors_are_told_apart_from_one_bad_write(
        code: int | None, name: str, expected: type[StorageError] | None) -> None:
    fault = storage_error(make_error(code, name), Path("/data/news.db"))
    if expected is None:
        assert fault is None
    else:
        assert type(fault) is expected
        assert fault is not None and "/data/news.db" in str(fault) and name in str(fault)


def test_a_constraint_on_one_row_is_not_a_storage_error(db: Database) -> None:
    db.execute("CREATE TRIGGER refuse BEFORE INSERT ON captures "
               "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    with pytest.raises(sqlite3.IntegrityError):
        save_article(db, *article(1))
    assert not db.conn.in_transaction


# Run in a child: it stores articles until the kernel refuses to let a file
# grow (RLIMIT_FSIZE; Python ignores SIGXFSZ, so write() fails with EFBIG),
# then lifts the limit and stores one more on the same connection.
FILE_LIMIT_CHILD = """
import json, resource, sys
sys.path[:0] = [sys.argv[2]]
from archive import open_archive, save_article
from archive.errors import StorageError
from tests.archive.test_storage_faults import article

db = open_archive(sys.argv[1])
hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
# Every write now lands in the WAL file, which starts empty; a few articles
# fit below 1 MB.  The kernel refuses the write that would pass it (EFBIG:
# SQLITE_IOERR_WRITE; a full disk's ENOSPC would be SQLITE_FULL).
resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, hard))
stored, fault = 0, None
try:
    for n in range(1000):
        save_article(db, *article(n, body_chars=4000))
        stored += 1
except StorageError as exc:
    fault = {"class": type(exc).__name__, "message": str(exc)}
in_transaction = db.conn.in_transaction
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
after = save_article(db, *article(5000, body_chars=4000))
db.close()
print(json.dumps({"stored": stored, "fault": fault, "in_transaction": in_transaction,
                  "after": after}))
"""


def test_a_write_the_kernel_refuses_rolls_back_and_the_connection_recovers(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    open_archive(path).close()  # created and checkpointed: the WAL starts empty
    child = subprocess.run([sys.executable, "-c", FILE_LIMIT_CHILD, str(path), str(REPO_ROOT)],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path,
                           env=dict(os.environ))
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout)
    assert result["fault"] is not None, result
    assert result["fault"]["class"] in ("ArchiveFull", "ArchiveIOError"), result
    assert str(path) in result["fault"]["message"]
    assert 3 < result["stored"] < 1000
    assert result["in_transaction"] is False
    assert result["after"] == "archived"
    assert integrity(path) == "ok"
    assert count(path, "articles") == count(path, "articles_fts") == result["stored"] + 1
