"""The crawl state of portal crawls: the URL frontier and the record of runs.

Owns the ``urls`` table (every URL a crawl has met: queued, done or failed,
with what its last fetch found, for conditional requests and revisits) and
``crawl_runs`` (one row per crawl with its counts).  URLs arrive already
canonical (``crawler.urls.canonicalize_url``: this package never imports the
crawler).  Each writing function commits its own short BEGIN IMMEDIATE
transaction; ``archive.store.save_article(..., fetch=...)`` and
``archive.batch.save_batch`` mark a URL in the same transaction as its article.  ``due_for_revisit`` is pure.
``iter_pending`` reads the queue a chunk at a time, so a crawl takes its next
requests from a frontier of any size without loading it.
Imports stdlib, sqlite_utils and ``archive.store``.

In flight is not a state of its own: a URL is ``queued`` from the moment it
is found (a revisit is queued again by ``requeue``) until the transaction
that stores what its fetch gave marks it ``done`` or ``failed``.  So a
crawl killed with requests in flight, or with fetched pages still waiting
for their batch, leaves those URLs queued, and the next run's ``pending``
hands them out again; a URL is never ``done`` without its capture and article.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from archive.errors import ArchiveError
from archive.store import apply_fetch, immediate_transaction

RUN_STATUSES = ("running", "finished", "interrupted", "failed")
RUN_COUNTS = ("pages_fetched", "articles_new", "articles_updated", "articles_unchanged",
              "not_modified")
RUN_TALLIES = ("skipped", "errors")  # JSON objects reason → count
URL_STATES = ("queued", "done", "failed")
# SQLite allows 32766 variables per statement; 500 URLs stay far below it.
LOOKUP_CHUNK = 500


def start_run(db: Database, profile: str, settings: dict[str, Any]) -> int:
    """Record a crawl of ``profile`` starting now; return its ``crawl_runs.id``."""
    with immediate_transaction(db):
        cursor = db.execute(
            "INSERT INTO crawl_runs (profile, started_at, status, settings) "
            "VALUES (?, ?, 'running', ?)",
            [profile, utc_now(), json.dumps(settings, ensure_ascii=False, default=str)],
        )
    return int(cursor.lastrowid or 0)


def finish_run(db: Database, run_id: int, *, status: str, counts: dict[str, Any]) -> None:
    """Close run ``run_id`` with ``status`` and its ``counts``.

    ``counts`` may hold pages_fetched, articles_new, articles_updated,
    articles_unchanged, not_modified (ints) and skipped, errors (dicts of
    reason → count).  Raises ArchiveError for an unknown status or count
    key, or a run that does not exist.
    """
    if status not in RUN_STATUSES:
        raise ArchiveError(f"Unknown crawl run status {status!r}; use one of {RUN_STATUSES}")
    unknown = sorted(set(counts) - set(RUN_COUNTS) - set(RUN_TALLIES))
    if unknown:
        raise ArchiveError(f"Unknown crawl run counts {unknown}; use {RUN_COUNTS + RUN_TALLIES}")
    values: dict[str, Any] = {key: int(counts[key]) for key in RUN_COUNTS if key in counts}
    for key in RUN_TALLIES:
        if key in counts:
            values[key] = json.dumps(dict(counts[key]), ensure_ascii=False, sort_keys=True)
    values.update(status=status, ended_at=utc_now())
    assignments = ", ".join(f"[{key}] = ?" for key in values)
    with immediate_transaction(db):
        cursor = db.execute(f"UPDATE crawl_runs SET {assignments} WHERE id = ?",
                            [*values.values(), run_id])
        if cursor.rowcount != 1:
            raise ArchiveError(f"No crawl run with id {run_id}")


def mark_interrupted_runs(db: Database) -> int:
    """Mark runs still ``running`` as ``interrupted``; return how many.

    Call it when a crawl starts and no other crawl writes to this archive:
    a run left ``running`` then belongs to a process that was killed.
    """
    with immediate_transaction(db):
        cursor = db.execute(
            "UPDATE crawl_runs SET status = 'interrupted', ended_at = coalesce(ended_at, ?) "
            "WHERE status = 'running'",
            [utc_now()],
        )
    return int(cursor.rowcount)


def enqueue(db: Database, rows: list[dict[str, Any]]) -> list[str]:
    """Queue the URLs of ``rows`` that ``urls`` does not know yet; return those.

    Each row has ``url`` (canonical key), and optionally ``fetch_url``
    (default: url), ``site`` (default: url's host), ``depth`` (0), ``kind``
    and ``discovered_from``.  Known URLs, whatever their state, are left as
    they are; a URL given twice is queued once.  One transaction per call.
    Raises ArchiveError for a row without url.
    """
    now = utc_now()
    values = []
    for row in rows:
        url = row.get("url")
        if not url:
            raise ArchiveError(f"Frontier row without url: {row!r}")
        values.append((
            url, row.get("fetch_url") or url, row.get("site") or urlsplit(url).hostname,
            row.get("kind"), int(row.get("depth") or 0), row.get("discovered_from"), now,
        ))
    added: list[str] = []
    with immediate_transaction(db):
        for value in values:
            cursor = db.execute(
                "INSERT OR IGNORE INTO urls (url, fetch_url, site, state, kind, depth, "
                "discovered_from, discovered_at) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)",
                value,
            )
            if cursor.rowcount == 1:
                added.append(value[0])
    return added


def requeue(db: Database, urls: Iterable[str]) -> int:
    """Put known ``urls`` back in the queue (revisits); return how many moved."""
    urls = list(urls)
    moved = 0
    with immediate_transaction(db):
        for start in range(0, len(urls), LOOKUP_CHUNK):
            chunk = urls[start:start + LOOKUP_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            cursor = db.execute(
                f"UPDATE urls SET state = 'queued' WHERE state != 'queued' AND url IN ({marks})",
                chunk,
            )
            moved += cursor.rowcount
    return moved


def pending(db: Database, sites: Iterable[str] | None = None,
            limit: int | None = None) -> list[dict[str, Any]]:
    """Return the queued ``urls`` rows (of ``sites`` if given), oldest first."""
    where, params = _queued_where(sites)
    sql = f"SELECT * FROM urls WHERE {where} ORDER BY discovered_at, rowid"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return _rows(db, sql, params)


def iter_pending(db: Database, sites: Iterable[str] | None = None,
                 chunk: int = LOOKUP_CHUNK) -> Iterator[dict[str, Any]]:
    """Yield the queued ``urls`` rows (of ``sites`` if given) in ``pending``'s order.

    Reads ``chunk`` rows at a time (keyset pagination on discovered_at and
    rowid), so a caller that stops after a few rows reads a few, whatever
    the frontier's size.  Writes between two rows may or may not show.
    """
    where, params = _queued_where(sites)
    after: list[Any] = []
    while True:
        sql = f"SELECT rowid AS _rowid, * FROM urls WHERE {where}"
        if after:
            sql += " AND (discovered_at, rowid) > (?, ?)"
        sql += " ORDER BY discovered_at, rowid LIMIT ?"
        rows = _rows(db, sql, [*params, *after, int(chunk)])
        for row in rows:
            after = [row["discovered_at"], row.pop("_rowid")]
            yield row
        if len(rows) < chunk:
            return


def pending_count(db: Database, sites: Iterable[str] | None = None) -> int:
    """Return how many ``urls`` (of ``sites`` if given) are queued."""
    where, params = _queued_where(sites)
    return int(db.execute(f"SELECT count(*) FROM urls WHERE {where}", params).fetchone()[0])


def _queued_where(sites: Iterable[str] | None) -> tuple[str, list[Any]]:
    """Return the WHERE clause and parameters of the queued URLs (of ``sites`` if given)."""
    if sites is None:
        return "state = 'queued'", []
    site_list = list(sites)
    return f"state = 'queued' AND site IN ({', '.join('?' for _ in site_list)})", site_list


def url_states(db: Database, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Return the ``urls`` rows of the known ones of ``urls``, by url."""
    urls = list(dict.fromkeys(urls))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(urls), LOOKUP_CHUNK):
        chunk = urls[start:start + LOOKUP_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        for row in _rows(db, f"SELECT * FROM urls WHERE url IN ({marks})", chunk):
            found[row["url"]] = row
    return found


def fetch_counts_since(db: Database, since: str) -> dict[str, int]:
    """Return ``{url: fetch_count}`` of the URLs last fetched at ``since`` or later.

    ``since`` is an ISO-8601 UTC time as ``utc_now`` writes it.  A crawl
    calls it when it starts, to tell its own fetches from those of a run
    that ended in the same second.
    """
    cursor = db.execute("SELECT url, fetch_count FROM urls WHERE last_fetched_at >= ?", [since])
    return {url: int(count) for url, count in cursor.fetchall()}


def url_state(db: Database, url: str) -> dict[str, Any] | None:
    """Return the ``urls`` row of ``url`` as a dict, or None when unknown."""
    rows = _rows(db, "SELECT * FROM urls WHERE url = ?", [url])
    return rows[0] if rows else None


def record_fetch(
    db: Database,
    url: str,
    *,
    status: int | None,
    kind: str | None,
    etag: str | None,
    last_modified: str | None,
    content_hash: str | None,
    article_key: str | None,
    published: str | None,
    error: str | None,
    fetched_at: str,
    fetch_url: str | None = None,
) -> None:
    """Mark ``url`` fetched: ``done``, or ``failed`` with ``error``; fetch_count + 1.

    Values given as None keep what the row had (except last_error).  An
    unknown URL is added.  Commits at once; to mark a URL together with
    its article use ``save_article(..., fetch=...)`` instead.
    """
    with immediate_transaction(db):
        apply_fetch(
            db, url, status=status, kind=kind, etag=etag, last_modified=last_modified,
            content_hash=content_hash, article_key=article_key, published=published,
            error=error, fetched_at=fetched_at, fetch_url=fetch_url,
        )


def due_for_revisit(
    state: dict[str, Any],
    *,
    now: datetime,
    article_revisit_hours: float,
    article_max_age_days: float,
    list_revisit_minutes: float,
) -> bool:
    """Whether the URL of ``state`` (a ``urls`` row) should be fetched again at ``now``.

    Queued and never-fetched URLs are due.  An article is due once
    ``article_revisit_hours`` have passed since its last fetch, unless it
    was published (or, undated, discovered) more than ``article_max_age_days``
    ago.  A failed URL waits as long as an article.  Every other kind (list,
    section, feed, sitemap...) is due after ``list_revisit_minutes``.
    Naive datetimes count as UTC.
    """
    last = _parse_time(state.get("last_fetched_at"))
    if state.get("state") == "queued" or last is None:
        return True
    now = _as_utc(now)
    elapsed = now - last
    if state.get("state") == "failed":
        return elapsed >= timedelta(hours=article_revisit_hours)
    if state.get("kind") != "article":
        return elapsed >= timedelta(minutes=list_revisit_minutes)
    born = _parse_time(state.get("published")) or _parse_time(state.get("discovered_at"))
    if born is not None and now - born > timedelta(days=article_max_age_days):
        return False
    return elapsed >= timedelta(hours=article_revisit_hours)


def utc_now() -> str:
    """Return the current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return _as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _rows(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
