"""Writing to the archive: open it, store articles, captures and failures.

Owns the write path into the SQLite file: connection settings, the article
upsert with its version history, capture rows with the compressed raw body,
keeping ``articles_fts`` in step, and marking the crawl's ``urls`` row in
the same transaction as the article it produced (``fetch=``).  The
``write_*`` functions do the same inside a caller's transaction, for
``archive.batch.save_batch``.  Imports stdlib, sqlite_utils and the
rest of ``archive`` only; it takes plain dicts (``Article.to_dict()`` and a
capture dict), never Scrapy objects.

Every write runs in one BEGIN IMMEDIATE transaction (``immediate_transaction``):
an article, its capture, its earlier version and its ``urls`` mark are
committed together or not at all, and a database error that will not go
away (disk full, read-only, I/O) leaves as an ``archive.errors.StorageError``
after the rollback, so what was committed before stays intact.

Raw response bodies are stored zlib-compressed (``zlib.compress``, RFC 1950)
in ``captures.body_zlib``; ``body_sha256`` is the digest of the uncompressed
bytes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from archive.errors import (
    SQLITE_FULL,
    ArchiveError,
    ArchiveFull,
    ArchiveReadOnly,
    storage_error,
)
from archive.migrations import apply_migrations
from archive.search import segment_for_index

# How long a writer waits for another connection's lock before SQLITE_BUSY.
# A crawl and a Datasette reader share the file; 5 s covers a WAL checkpoint.
BUSY_TIMEOUT_MS = 5000
# ARCHIVE_MAX_SIZE_MB and friends count mebibytes.
MIB = 1024 * 1024
# zlib level 6 (the default) compresses news HTML about 5:1; 9 gains ~2% more
# at twice the CPU, which a 2-core crawler box cannot spare.
BODY_ZLIB_LEVEL = 6

ARTICLE_LIST_FIELDS = ("authors", "editors", "breadcrumb", "keywords")
ARTICLE_TEXT_FIELDS = (
    "url", "canonical_url", "title", "body", "published", "modified", "source",
    "section", "language", "description", "image", "encoding",
    "declared_encoding", "title_source", "date_source", "source_source",
)  # fmt: skip
VERSIONED_FIELDS = ("title", "body", "published", "modified")


def open_archive(path: str | Path, *, max_size_mb: float | None = None) -> Database:
    """Open (creating it if needed) the archive at ``path`` and migrate it.

    Returns a Database in WAL mode with synchronous=NORMAL, a busy timeout of
    ``BUSY_TIMEOUT_MS`` and foreign keys enforced.  With ``max_size_mb`` the
    file may not grow past that many MiB: a write that needs more raises
    ArchiveFull (SQLite's ``max_page_count``; the WAL file beside it is not
    counted).  Raises ArchiveError naming the path when its folder does not
    exist or the file is not a SQLite database, ArchiveFull when the file is
    already larger than ``max_size_mb`` or the disk is full, ArchiveReadOnly
    when a migration is due and the file cannot be written, and
    MigrationError when a migration fails.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ArchiveError(
            f"Cannot open archive {path}: folder {path.parent} does not exist",
            path=path,
        )
    try:
        conn = sqlite3.connect(str(path))
    except sqlite3.Error as exc:
        raise ArchiveError(f"Cannot open archive {path}: {exc}", path=path) from exc
    try:
        db = _configure(conn)
        apply_migrations(db, path=path)
        if max_size_mb is not None:
            limit_size(db, path, max_size_mb)
    except sqlite3.DatabaseError as exc:
        conn.close()
        fault = storage_error(exc, path)
        if isinstance(fault, (ArchiveFull, ArchiveReadOnly)):
            raise fault from exc
        raise ArchiveError(
            f"Cannot open archive {path}: not a usable SQLite database ({exc})",
            path=path,
        ) from exc
    except ArchiveError:
        conn.close()
        raise
    return db


def limit_size(db: Database, path: Path, max_size_mb: float) -> None:
    """Let the archive grow to ``max_size_mb`` MiB at most; ArchiveFull if it is larger."""
    if max_size_mb <= 0:
        raise ArchiveError(f"The size limit of archive {path} must be above 0 MiB "
                           f"(got {max_size_mb})", path=path)
    page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
    pages = int(db.execute("PRAGMA page_count").fetchone()[0])
    max_pages = int(max_size_mb * MIB) // page_size
    if pages > max_pages:
        raise ArchiveFull(
            f"it holds {pages * page_size / MIB:.2f} MiB, more than its size limit "
            f"of {max_size_mb:g} MiB", path=path,
            advice="Raise the size limit or use another archive file.")
    db.execute(f"PRAGMA max_page_count = {max_pages}")


def check_writable(db: Database) -> None:
    """Raise ArchiveReadOnly (or another StorageError) when ``db`` cannot be written.

    SQLite opens a file it may not write read-only without complaint, and
    even lets BEGIN IMMEDIATE through; only a write fails.  This one is
    rolled back, so nothing changes.  A crawl calls it at startup, so it stops
    before fetching anything rather than at its first store.
    """
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    with storage_errors(db):
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            db.conn.execute(f"PRAGMA user_version = {version}")
        finally:
            db.conn.rollback()


def _configure(conn: sqlite3.Connection) -> Database:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # Reading the schema is what fails on a file that is not a database.
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return Database(conn)


def save_article(
    db: Database,
    article: dict[str, Any],
    capture: dict[str, Any],
    *,
    fetch: dict[str, Any] | None = None,
) -> str:
    """Store one fetched article and the capture it came from, atomically.

    Returns "archived" (new article key), "updated" (title, body, published or
    modified changed: the previous values go into ``versions``) or
    "unchanged" (only ``last_seen_at`` moves).  A capture row is added in every
    case.  With ``fetch`` (the keyword arguments of
    ``archive.frontier.record_fetch`` plus ``url``), the ``urls`` row is marked
    in the same transaction; its article_key, content_hash, published, kind,
    status and fetched_at default to the article's and the capture's.  Raises
    ArchiveError if the article has no url, title or body, and sqlite3.Error
    on a database failure; either way nothing is written.
    """
    with immediate_transaction(db):
        return write_article(db, article, capture, fetch=fetch)


def write_article(db: Database, article: dict[str, Any], capture: dict[str, Any], *,
                  fetch: dict[str, Any] | None = None) -> str:
    """Do what save_article does inside the caller's transaction; return the same."""
    capture = {**capture, "fetched_at": _fetched_at(capture)}
    row = article_row(article, seen_at=capture["fetched_at"])
    outcome = _upsert_article(db, row)
    _insert_capture(db, capture, article_key=row["key"])
    if fetch is not None:
        defaults = {"kind": "article", "article_key": row["key"],
                    "content_hash": row["content_hash"], "published": row["published"]}
        _apply_fetch(db, capture, fetch, defaults)
    return outcome


def save_failure(
    db: Database, capture: dict[str, Any], *, fetch: dict[str, Any] | None = None
) -> None:
    """Store a capture that produced no article; ``capture["error"]`` says why.

    With ``fetch`` (see save_article) the ``urls`` row is marked in the same
    transaction: ``failed`` when ``fetch["error"]`` is set (an HTTP error, a
    timeout), else ``done`` (a list page stored without an article).  Returns nothing.  Raises
    sqlite3.Error on a database failure; then nothing is written.
    """
    with immediate_transaction(db):
        write_failure(db, capture, fetch=fetch)


def write_failure(db: Database, capture: dict[str, Any], *,
                  fetch: dict[str, Any] | None = None) -> None:
    """Do what save_failure does inside the caller's transaction."""
    _insert_capture(db, capture, article_key=None)
    if fetch is not None:
        _apply_fetch(db, capture, fetch, {})


def save_not_modified(
    db: Database, capture: dict[str, Any], *, fetch: dict[str, Any]
) -> str | None:
    """Store a 304 Not Modified answer to a conditional request, atomically.

    Adds one capture row (status 304, no body), moves ``last_seen_at`` of the
    article the URL produced before (``fetch["article_key"]``, else the one
    ``urls`` remembers) without touching its text, and marks the ``urls``
    row (see save_article).  Returns that article's key, or None when the URL
    has none.  Raises ArchiveError when ``fetch`` has no url, sqlite3.Error on
    a database failure; either way nothing is written.
    """
    with immediate_transaction(db):
        return write_not_modified(db, capture, fetch=fetch)


def write_not_modified(db: Database, capture: dict[str, Any], *,
                       fetch: dict[str, Any]) -> str | None:
    """Do what save_not_modified does inside the caller's transaction; return the same."""
    capture = {**capture, "body": None, "status": capture.get("status") or 304,
               "fetched_at": _fetched_at(capture)}
    key = fetch.get("article_key") or _known_article_key(db, _fetch_url(fetch))
    if key is not None:
        db.execute(
            "UPDATE articles SET last_seen_at = max(last_seen_at, ?) WHERE key = ?",
            [capture["fetched_at"], key],
        )
    exists = key is not None and db.execute(
        "SELECT 1 FROM articles WHERE key = ?", [key]).fetchone() is not None
    _insert_capture(db, capture, article_key=key if exists else None)
    _apply_fetch(db, capture, fetch, {"article_key": key})
    return key


def _fetch_url(fetch: dict[str, Any]) -> str:
    url = fetch.get("url")
    if not url:
        raise ArchiveError("fetch has no url (the canonical URL of the urls row)")
    return str(url)


def _known_article_key(db: Database, url: str) -> str | None:
    found = db.execute("SELECT article_key FROM urls WHERE url = ?", [url]).fetchone()
    return None if found is None or found[0] is None else str(found[0])


def _apply_fetch(db: Database, capture: dict[str, Any], fetch: dict[str, Any],
                 defaults: dict[str, Any]) -> None:
    values = {"status": capture.get("status"), "fetched_at": _fetched_at(capture),
              **defaults}
    values.update({k: v for k, v in fetch.items() if v is not None or k not in values})
    values["url"] = _fetch_url(fetch)
    apply_fetch(db, **values)


def apply_fetch(
    db: Database,
    url: str,
    *,
    fetched_at: str,
    status: int | None = None,
    kind: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    content_hash: str | None = None,
    article_key: str | None = None,
    published: str | None = None,
    error: str | None = None,
    fetch_url: str | None = None,
    site: str | None = None,
) -> None:
    """Mark ``url`` fetched in ``urls`` inside the caller's transaction.

    The row becomes ``failed`` when ``error`` is given, else ``done``;
    fetch_count grows by one; values given as None keep what the row had
    (last_error is always replaced).  An unknown URL is inserted.  Use
    ``archive.frontier.record_fetch`` for a stand-alone, committed update.
    """
    state = "failed" if error else "done"
    db.execute(
        """
        INSERT INTO urls (url, fetch_url, site, state, kind, depth, discovered_at, etag,
            last_modified, content_hash, last_status, last_error, last_fetched_at,
            fetch_count, article_key, published)
        VALUES (:url, :fetch_url, :site, :state, :kind, 0, :fetched_at, :etag,
            :last_modified, :content_hash, :status, :error, :fetched_at, 1, :article_key,
            :published)
        ON CONFLICT (url) DO UPDATE SET
            fetch_url = coalesce(:given_fetch_url, fetch_url),
            state = excluded.state,
            kind = coalesce(excluded.kind, kind),
            etag = coalesce(excluded.etag, etag),
            last_modified = coalesce(excluded.last_modified, last_modified),
            content_hash = coalesce(excluded.content_hash, content_hash),
            last_status = excluded.last_status,
            last_error = excluded.last_error,
            last_fetched_at = excluded.last_fetched_at,
            fetch_count = fetch_count + 1,
            article_key = coalesce(excluded.article_key, article_key),
            published = coalesce(excluded.published, published)
        """,
        {"url": url, "fetch_url": fetch_url or url, "given_fetch_url": fetch_url,
         "site": site or urlsplit(url).hostname, "state": state, "kind": kind,
         "fetched_at": fetched_at, "etag": etag, "last_modified": last_modified,
         "content_hash": content_hash, "status": status, "error": error,
         "article_key": article_key, "published": published},
    )


@contextmanager
def immediate_transaction(db: Database) -> Iterator[None]:
    """Run the block in one BEGIN IMMEDIATE transaction (a savepoint when
    the caller already holds one); commit on success, roll back on error.

    A database error that will not go away (disk full, read-only file, I/O
    error: see ``archive.errors.storage_error``) leaves as a StorageError
    naming the file, after the rollback; any other error leaves unchanged.
    """
    with storage_errors(db), _transaction(db):
        yield


@contextmanager
def storage_errors(db: Database) -> Iterator[None]:
    """Turn a sqlite3.Error of the block that will not go away into a StorageError."""
    try:
        yield
    except sqlite3.Error as exc:
        full = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF == SQLITE_FULL
        fault = storage_error(exc, archive_path(db), _full_advice(db) if full else None)
        if fault is None:
            raise
        raise fault from exc


@contextmanager
def _transaction(db: Database) -> Iterator[None]:
    # BEGIN IMMEDIATE takes the write lock up front, so a concurrent writer
    # waits on busy_timeout here instead of failing mid-way on lock upgrade.
    # Inside a caller's transaction a savepoint keeps the same all-or-nothing.
    conn = db.conn
    if conn.in_transaction:
        conn.execute("SAVEPOINT archive_save")
        try:
            yield
        except BaseException:
            # SQLite may have rolled the whole transaction back already
            # (SQLITE_FULL, SQLITE_IOERR); then there is no savepoint left.
            if conn.in_transaction:
                conn.execute("ROLLBACK TO SAVEPOINT archive_save")
                conn.execute("RELEASE SAVEPOINT archive_save")
            raise
        conn.execute("RELEASE SAVEPOINT archive_save")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    # A COMMIT that fails on a full or failing disk is rolled back by SQLite
    # itself (tests/archive/test_storage_faults.py checks the connection after).
    conn.commit()


def archive_path(db: Database) -> Path | None:
    """Return the file of ``db``'s main database, or None for an in-memory one."""
    try:
        rows = db.execute("PRAGMA database_list").fetchall()
    except sqlite3.Error:
        return None
    files = [row[2] for row in rows if row[1] == "main" and row[2]]
    return Path(files[0]) if files else None


def _full_advice(db: Database) -> str | None:
    """Say whether a full archive met its own size limit (see limit_size)."""
    try:
        page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
        max_pages = int(db.execute("PRAGMA max_page_count").fetchone()[0])
        pages = int(db.execute("PRAGMA page_count").fetchone()[0])
    except sqlite3.Error:
        return None
    if max_pages >= _default_max_page_count():
        return None
    return (f"It holds {pages * page_size / MIB:.2f} MiB of its size limit of "
            f"{max_pages * page_size / MIB:.2f} MiB: raise the limit, or free disk space "
            "if the disk is full, then run again.")


def _default_max_page_count() -> int:
    with sqlite3.connect(":memory:") as conn:
        return int(conn.execute("PRAGMA max_page_count").fetchone()[0])


def article_key(article: dict[str, Any]) -> str:
    """Return the key an article is stored under: its canonical URL, else URL."""
    key = article.get("canonical_url") or article.get("url")
    if not key:
        raise ArchiveError("Article has neither canonical_url nor url")
    return str(key)


def content_hash(article: dict[str, Any]) -> str:
    """Return the sha256 (hex) of title, body, published and modified.

    JSON-encoding the four values as a list keeps the boundaries unambiguous.
    """
    values = [article.get(field) for field in VERSIONED_FIELDS]
    encoded = json.dumps(values, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def article_row(article: dict[str, Any], *, seen_at: str) -> dict[str, Any]:
    """Return the ``articles`` row for ``article`` (without ``id``).

    Raises ArchiveError naming the URL when title or body is missing.
    """
    key = article_key(article)
    for required in ("title", "body"):
        if not article.get(required):
            raise ArchiveError(f"Article {key} has no {required}")
    row: dict[str, Any] = {field: article.get(field) for field in ARTICLE_TEXT_FIELDS}
    row["url"] = row["url"] or key
    for field in ARTICLE_LIST_FIELDS:
        row[field] = json.dumps(list(article.get(field) or []), ensure_ascii=False)
    row["key"] = key
    row["site"] = urlsplit(key).hostname
    row["replacement_ratio"] = float(article.get("replacement_ratio") or 0.0)
    row["content_hash"] = content_hash(article)
    row["first_seen_at"] = seen_at
    row["last_seen_at"] = seen_at
    return row


def _upsert_article(db: Database, row: dict[str, Any]) -> str:
    existing = db.execute(
        "SELECT id, content_hash, first_seen_at, last_seen_at, "
        "title, body, published, modified FROM articles WHERE key = ?",
        [row["key"]],
    ).fetchone()
    if existing is None:
        cursor = _insert(db, "articles", row)
        index_article(db, int(cursor.lastrowid or 0), row, replace=False)
        return "archived"
    article_id, old_hash, first_seen, last_seen = existing[:4]
    if old_hash == row["content_hash"]:
        db.execute(
            "UPDATE articles SET last_seen_at = max(last_seen_at, ?) WHERE id = ?",
            [row["last_seen_at"], article_id],
        )
        return "unchanged"
    old = dict(zip(VERSIONED_FIELDS, existing[4:]))
    _insert(
        db,
        "versions",
        {**old, "article_key": row["key"], "content_hash": old_hash,
         "replaced_at": row["last_seen_at"]},
    )  # fmt: skip
    row["first_seen_at"] = min(first_seen, row["first_seen_at"])
    row["last_seen_at"] = max(last_seen, row["last_seen_at"])
    assignments = ", ".join(f"[{column}] = ?" for column in row)
    db.execute(
        f"UPDATE articles SET {assignments} WHERE id = ?", [*row.values(), article_id]
    )
    index_article(db, article_id, row, replace=True)
    return "updated"


def index_article(db: Database, rowid: int, row: dict[str, Any], *, replace: bool) -> None:
    """Write the search index and author rows of article ``rowid`` from ``row``.

    ``row`` is an ``articles`` row (``authors`` as a JSON array).  Call it
    inside the transaction that writes the article.
    """
    if replace:
        db.execute("DELETE FROM articles_fts WHERE rowid = ?", [rowid])
        db.execute("DELETE FROM article_authors WHERE article_id = ?", [rowid])
    db.execute(
        "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
        [rowid, segment_for_index(row["title"]), segment_for_index(row["body"])],
    )
    authors = json.loads(row.get("authors") or "[]")
    db.conn.executemany(
        "INSERT INTO article_authors (article_id, author) VALUES (?, ?)",
        [(rowid, author) for author in dict.fromkeys(authors) if isinstance(author, str)],
    )


def _insert_capture(db: Database, capture: dict[str, Any], *, article_key: str | None) -> None:
    body = None if capture.get("body") is None else bytes(capture["body"])
    url = capture.get("url") or capture.get("final_url")
    if not url:
        raise ArchiveError("Capture has no url")
    _insert(
        db,
        "captures",
        {
            "url": url,
            "final_url": capture.get("final_url") or url,
            "fetched_at": _fetched_at(capture),
            "status": capture.get("status"),
            "headers": json.dumps(dict(capture.get("headers") or {}), ensure_ascii=False),
            "declared_encoding": capture.get("declared_encoding"),
            "encoding": capture.get("encoding"),
            "body_zlib": None if body is None else zlib.compress(body, BODY_ZLIB_LEVEL),
            "body_size": None if body is None else len(body),
            "body_sha256": None if body is None else hashlib.sha256(body).hexdigest(),
            "error": capture.get("error"),
            "article_key": article_key,
        },
    )


def _insert(db: Database, table: str, row: dict[str, Any]) -> sqlite3.Cursor:
    columns = ", ".join(f"[{column}]" for column in row)
    marks = ", ".join("?" for _ in row)
    return db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))


def _fetched_at(capture: dict[str, Any]) -> str:
    fetched_at = capture.get("fetched_at")
    if fetched_at:
        return str(fetched_at)
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
