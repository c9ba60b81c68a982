"""Read helpers over the archive for scripts, the CLI and tests.

Owns read-only queries; imports stdlib, sqlite_utils and ``archive.store``'s
constants only.  Rows come back as plain dicts with JSON columns decoded and
raw bodies decompressed, so a caller can re-extract an article without
refetching it.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from sqlite_utils import Database

from archive.store import ARTICLE_LIST_FIELDS


def get_article(db: Database, key: str) -> dict[str, Any] | None:
    """Return the article stored under ``key`` (canonical URL, else URL).

    List fields (authors, editors, breadcrumb, keywords) come back as lists.
    Returns None when no article has that key.
    """
    rows = _dicts(db, "SELECT * FROM articles WHERE key = ?", [key])
    if not rows:
        return None
    article = rows[0]
    for field in ARTICLE_LIST_FIELDS:
        article[field] = json.loads(article[field] or "[]")
    return article


def list_captures(db: Database, url: str) -> list[dict[str, Any]]:
    """Return every capture of ``url``, oldest first.

    A capture matches when ``url`` is its requested URL, its final URL or the
    key of the article it produced.  ``headers`` is a dict and ``body`` holds
    the raw response bytes (None when nothing was received); the compressed
    ``body_zlib`` column is dropped.  Returns an empty list when there is none.
    """
    rows = _dicts(
        db,
        "SELECT * FROM captures WHERE url = ? OR final_url = ? OR article_key = ? "
        "ORDER BY fetched_at, id",
        [url, url, url],
    )
    for row in rows:
        row["headers"] = json.loads(row["headers"] or "{}")
        compressed = row.pop("body_zlib")
        row["body"] = None if compressed is None else zlib.decompress(compressed)
    return rows


def list_versions(db: Database, key: str) -> list[dict[str, Any]]:
    """Return the earlier texts of the article ``key``, oldest first (maybe [])."""
    return _dicts(
        db,
        "SELECT * FROM versions WHERE article_key = ? ORDER BY replaced_at, id",
        [key],
    )


def _dicts(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]
