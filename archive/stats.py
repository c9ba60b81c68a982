"""Counting what the archive holds: articles per site and per day, captures, failures.

Owns ``archive_stats``.  Imports stdlib and sqlite_utils.  Days are the UTC
date of ``first_seen_at`` (when the crawler first stored the article), which
every article has, unlike ``published``.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def archive_stats(db: Database) -> dict[str, Any]:
    """Return counts of the archive as a dict of plain values.

    Keys: ``articles`` (int), ``versions`` (int), ``captures`` (int),
    ``failed_captures`` (int), ``articles_per_site`` and ``articles_per_day``
    (lists of ``(name, count)``, biggest site first, newest day first) and
    ``failures_by_kind`` (``(error, count)``, most frequent first).
    """

    def scalar(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0])

    def pairs(sql: str) -> list[tuple[str, int]]:
        return [(str(name), int(count)) for name, count in db.execute(sql).fetchall()]

    return {
        "articles": scalar("SELECT count(*) FROM articles"),
        "versions": scalar("SELECT count(*) FROM versions"),
        "captures": scalar("SELECT count(*) FROM captures"),
        "failed_captures": scalar(
            "SELECT count(*) FROM captures WHERE error IS NOT NULL AND error != ''"
        ),
        "articles_per_site": pairs(
            "SELECT coalesce(site, '(none)'), count(*) AS n FROM articles "
            "GROUP BY site ORDER BY n DESC, site"
        ),
        "articles_per_day": pairs(
            "SELECT substr(first_seen_at, 1, 10) AS day, count(*) FROM articles "
            "GROUP BY day ORDER BY day DESC"
        ),
        "failures_by_kind": pairs(
            "SELECT error, count(*) AS n FROM captures WHERE error IS NOT NULL AND error != '' "
            "GROUP BY error ORDER BY n DESC, error"
        ),
    }
