"""Re-extraction support: the raw captures to re-extract, and writing the new results.

Owns ``latest_captures`` and ``replace_extraction``.  Imports stdlib,
sqlite_utils and the rest of ``archive``.  The extractor itself lives in
``crawler.extract``, which the archive may not import: the caller (``newsarchive
reextract``) runs it between the two.

An article keeps its ``key``, ``site``, ``first_seen_at`` and ``last_seen_at``
when re-extracted (no new fetch happened).  A change of title, body, published
or modified keeps the previous values in ``versions`` as a fetch would, with
``replaced_at`` the time of the re-extraction.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from archive.store import VERSIONED_FIELDS, article_row, immediate_transaction, index_article

# Columns re-extraction may change; identity and fetch times stay.
KEPT_COLUMNS = ("key", "site", "first_seen_at", "last_seen_at")


def latest_captures(db: Database, site: str | None = None,
                    since: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield, per article, its latest successful capture with the raw body.

    Each dict has ``article_id``, ``key``, ``url`` (the final URL fetched),
    ``fetched_at``, ``headers`` (dict) and ``body`` (bytes).  ``site`` keeps
    one host; ``since`` keeps captures fetched at or after that ISO date or
    time.  Articles without a stored body are skipped.
    """
    sql = """
        SELECT a.id, a.key, c.final_url, c.url, c.fetched_at, c.headers, c.body_zlib
        FROM articles a JOIN captures c ON c.id = (
            SELECT id FROM captures
            WHERE article_key = a.key AND body_zlib IS NOT NULL
              AND (error IS NULL OR error = '')
            ORDER BY fetched_at DESC, id DESC LIMIT 1)
    """
    clauses, params = [], []
    if site:
        clauses.append("a.site = ?")
        params.append(site)
    if since:
        clauses.append("c.fetched_at >= ?")
        params.append(since)
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    for article_id, key, final_url, url, fetched_at, headers, body_zlib in db.execute(
        sql + " ORDER BY a.id", params
    ):
        yield {
            "article_id": article_id, "key": key, "url": final_url or url,
            "fetched_at": fetched_at, "headers": json.loads(headers or "{}"),
            "body": zlib.decompress(body_zlib),
        }  # fmt: skip


def replace_extraction(db: Database, article_id: int, article: dict[str, Any]) -> bool:
    """Store a new extraction of the article ``article_id``; return True if it changed.

    ``article`` is an ``Article.to_dict()``.  Columns of KEPT_COLUMNS stay;
    any other changed column is updated, and changed versioned fields first
    copy the old values into ``versions``.  Raises ArchiveError when the new
    extraction has no title or body, and KeyError for an unknown id.
    """
    cursor = db.execute("SELECT * FROM articles WHERE id = ?", [article_id])
    columns = [d[0] for d in cursor.description]
    found = cursor.fetchone()
    if found is None:
        raise KeyError(article_id)
    old = dict(zip(columns, found))
    new = article_row(article, seen_at=old["last_seen_at"])
    changed = {
        column: value for column, value in new.items()
        if column not in KEPT_COLUMNS and column in old and old[column] != value
    }  # fmt: skip
    if not changed:
        return False
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with immediate_transaction(db):
        if any(field in changed for field in VERSIONED_FIELDS):
            db.execute(
                "INSERT INTO versions (article_key, title, body, published, modified, "
                "content_hash, replaced_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [old["key"], *(old[f] for f in VERSIONED_FIELDS), old["content_hash"], now],
            )
        assignments = ", ".join(f"[{column}] = ?" for column in changed)
        db.execute(f"UPDATE articles SET {assignments} WHERE id = ?",
                   [*changed.values(), article_id])
        if {"title", "body", "authors"} & changed.keys():
            index_article(db, article_id, new, replace=True)
    return True
