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

from archive.search import BODY_BM25_WEIGHT, TITLE_BM25_WEIGHT, fts_query
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


def search_articles(db: Database, query: str, *, site: str | None = None,
                    since: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
    """Return up to ``limit`` articles matching ``query``, best first, with ``rank``.

    Ranks like ``archive.search.search`` (bm25, title hits weighing more) but
    inside the full-text table first and reads only the ``limit`` winning
    article rows: joining every hit to ``articles`` before sorting read ~40,000
    bodies for a common word in a 100,000-article archive (benchmarks/archive_scale.py).
    ``site`` keeps one host, ``since`` articles published at or after that ISO
    date or time (both through covering indexes).  Returns [] when nothing
    matches.
    """
    filters, params = "", [TITLE_BM25_WEIGHT, BODY_BM25_WEIGHT, fts_query(query)]
    if site:
        filters += " AND rowid IN (SELECT id FROM articles WHERE site = ?)"
        params.append(site)
    if since:
        filters += " AND rowid IN (SELECT id FROM articles WHERE published >= ?)"
        params.append(since)
    sql = f"""
        WITH hits AS (
            SELECT rowid, bm25(articles_fts, ?, ?) AS rank FROM articles_fts
            WHERE articles_fts MATCH ?{filters}
            ORDER BY rank LIMIT ?
        )
        SELECT articles.*, hits.rank FROM hits JOIN articles ON articles.id = hits.rowid
        ORDER BY hits.rank, articles.published DESC
    """
    return _dicts(db, sql, [*params, limit])


def _dicts(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]
