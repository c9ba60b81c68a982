"""Batched writes: many fetched pages stored in one transaction, whole or not at all.

A crawl stores each fetched page as an article, a failure or a not-modified
revisit, each with its capture and its ``urls`` row (``fetch``).  One
transaction per page costs a commit (and a WAL write) per page;
``save_batch`` writes many pages in one BEGIN IMMEDIATE transaction and
keeps the crash-safety rule of ``archive.store``: a URL becomes ``done``
only in the transaction that stores its result.  A batch that fails, or a
process killed before the commit, leaves nothing of the batch and its URLs
still queued, so the next run fetches them again.  Imports stdlib,
sqlite_utils and ``archive.store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from archive.errors import ArchiveError
from archive.store import immediate_transaction, write_article, write_failure, write_not_modified

ENTRY_KINDS = ("article", "failure", "not_modified")


@dataclass(frozen=True)
class BatchEntry:
    """One fetched page to store.

    ``kind`` is "article" (``article`` is the article dict, as for
    ``save_article``), "failure" (``capture["error"]`` says why) or
    "not_modified" (a 304 or unchanged revisit; ``fetch`` is required).
    ``fetch`` marks the page's ``urls`` row, as in ``save_article``.
    """

    kind: str
    capture: dict[str, Any]
    fetch: dict[str, Any] | None = None
    article: dict[str, Any] | None = None


def save_batch(db: Database, entries: Sequence[BatchEntry]) -> list[str | None]:
    """Store ``entries`` in one transaction; return one outcome per entry.

    The outcome of an article is "archived", "updated" or "unchanged" (see
    ``save_article``), of a not-modified revisit the key of its article (or
    None), of a failure None.  Raises ArchiveError for a malformed entry
    (unknown kind, an article without title or body, a not-modified entry
    without fetch) and sqlite3.Error on a database failure; either way
    nothing of the batch is written and no URL of it is marked.
    """
    for entry in entries:
        check_entry(entry)
    outcomes: list[str | None] = []
    with immediate_transaction(db):
        for entry in entries:
            outcomes.append(write_entry(db, entry))
    return outcomes


def check_entry(entry: BatchEntry) -> None:
    """Raise ArchiveError when ``entry`` cannot be stored."""
    if entry.kind not in ENTRY_KINDS:
        raise ArchiveError(f"Unknown batch entry kind {entry.kind!r}; use one of {ENTRY_KINDS}")
    if entry.kind == "article" and entry.article is None:
        raise ArchiveError("Article batch entry without an article")
    if entry.kind == "not_modified" and entry.fetch is None:
        raise ArchiveError("Not-modified batch entry without fetch")


def write_entry(db: Database, entry: BatchEntry) -> str | None:
    """Write one entry inside the caller's transaction; return its outcome."""
    if entry.kind == "article":
        assert entry.article is not None
        return write_article(db, entry.article, entry.capture, fetch=entry.fetch)
    if entry.kind == "not_modified":
        assert entry.fetch is not None
        return write_not_modified(db, entry.capture, fetch=entry.fetch)
    write_failure(db, entry.capture, fetch=entry.fetch)
    return None
