"""Writing to the archive: open it, store articles, captures and failures.

Owns the write path into the SQLite file: connection settings, the article
upsert with its version history, capture rows with the compressed raw body,
and keeping ``articles_fts`` in step.  Imports stdlib, sqlite_utils and the
rest of ``archive`` only; it takes plain dicts (``Article.to_dict()`` and a
capture dict), never Scrapy objects.

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

from archive.errors import ArchiveError
from archive.migrations import apply_migrations
from archive.search import segment_for_index

# How long a writer waits for another connection's lock before SQLITE_BUSY.
# A crawl and a Datasette reader share the file; 5 s covers a WAL checkpoint.
BUSY_TIMEOUT_MS = 5000
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


def open_archive(path: str | Path) -> Database:
    """Open (creating it if needed) the archive at ``path`` and migrate it.

    Returns a Database in WAL mode with synchronous=NORMAL, a busy timeout of
    ``BUSY_TIMEOUT_MS`` and foreign keys enforced.  Raises ArchiveError naming
    the path when its folder does not exist or the file is not a SQLite
    database, and MigrationError when a migration fails.
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
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ArchiveError(
            f"Cannot open archive {path}: not a usable SQLite database ({exc})",
            path=path,
        ) from exc
    except ArchiveError:
        conn.close()
        raise
    return db


def _configure(conn: sqlite3.Connection) -> Database:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # Reading the schema is what fails on a file that is not a database.
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return Database(conn)


def save_article(db: Database, article: dict[str, Any], capture: dict[str, Any]) -> str:
    """Store one fetched article and the capture it came from, atomically.

    Returns "archived" (new article key), "updated" (title, body, published or
    modified changed: the previous values go into ``versions``) or
    "unchanged" (only ``last_seen_at`` moves).  A capture row is added in every
    case.  Raises ArchiveError if the article has no url, title or body, and
    sqlite3.Error on a database failure; either way nothing is written.
    """
    capture = {**capture, "fetched_at": _fetched_at(capture)}
    row = article_row(article, seen_at=capture["fetched_at"])
    with _immediate_transaction(db):
        outcome = _upsert_article(db, row)
        _insert_capture(db, capture, article_key=row["key"])
    return outcome


def save_failure(db: Database, capture: dict[str, Any]) -> None:
    """Store a capture that produced no article; ``capture["error"]`` says why.

    Returns nothing.  Raises sqlite3.Error on a database failure.
    """
    with _immediate_transaction(db):
        _insert_capture(db, capture, article_key=None)


@contextmanager
def _immediate_transaction(db: Database) -> Iterator[None]:
    # BEGIN IMMEDIATE takes the write lock up front, so a concurrent writer
    # waits on busy_timeout here instead of failing mid-way on lock upgrade.
    # Inside a caller's transaction a savepoint keeps the same all-or-nothing.
    conn = db.conn
    if conn.in_transaction:
        conn.execute("SAVEPOINT archive_save")
        try:
            yield
        except BaseException:
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
    conn.commit()


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
        _index_article(db, int(cursor.lastrowid or 0), row, replace=False)
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
    _index_article(db, article_id, row, replace=True)
    return "updated"


def _index_article(db: Database, rowid: int, row: dict[str, Any], *, replace: bool) -> None:
    if replace:
        db.execute("DELETE FROM articles_fts WHERE rowid = ?", [rowid])
    db.execute(
        "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
        [rowid, segment_for_index(row["title"]), segment_for_index(row["body"])],
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
