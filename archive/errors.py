"""The exceptions the archive raises.  Stdlib only.

Exception tree::

    ArchiveError            the archive file cannot be opened, read or written
    ├── MigrationError      a named schema migration failed; the file is left
    │                       at the last migration that succeeded
    └── StorageError        the storage refuses writes and will go on refusing
        │                   them; ``reason`` names it (a crawl's close reason)
        ├── ArchiveFull     disk full, a file size limit, or the archive's
        │                   own size limit (``archive_full``)
        ├── ArchiveReadOnly the file, its folder or its filesystem is
        │                   read-only for this process (``archive_read_only``)
        └── ArchiveIOError  an I/O error, a file that cannot be opened any
                            more, a damaged file (``archive_io_error``)

``storage_error`` sorts a ``sqlite3.Error`` into these by its SQLite result
code; any other database error (a constraint, a row too big) concerns one
write and stays a ``sqlite3.Error``.  Every write transaction of the archive
rolls back before a ``StorageError`` leaves it, so what was committed before
stays intact and readable.

Callers at a boundary (the crawler pipeline, the CLI) catch ``ArchiveError``
and translate it once: a pipeline refuses to start, or stops the crawl on a
``StorageError``; the CLI raises ``click.ClickException``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

# SQLite primary result codes (https://www.sqlite.org/rescode.html): the low
# byte of an extended code such as SQLITE_IOERR_WRITE (778).
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


class ArchiveError(Exception):
    """The archive at ``path`` cannot be used; the message says why."""

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.path = None if path is None else Path(path)


class MigrationError(ArchiveError):
    """Migration ``migration`` failed on the archive at ``path``."""

    def __init__(
        self, message: str, *, migration: str, path: str | Path | None = None
    ) -> None:
        super().__init__(message, path=path)
        self.migration = migration


class StorageError(ArchiveError):
    """The archive at ``path`` refuses writes; retrying another item will not help.

    ``reason`` is a stable identifier (``archive_full``, ``archive_read_only``,
    ``archive_io_error``); ``detail`` is SQLite's message and result code.
    """

    reason = "archive_storage_error"
    problem = "cannot be written"
    advice = "Fix the storage, then run again."

    def __init__(self, detail: str, *, path: str | Path | None = None,
                 advice: str | None = None) -> None:
        shown = "the archive" if path is None else f"archive {path}"
        super().__init__(f"The {shown} {self.problem}: {detail}. {advice or self.advice}",
                         path=path)
        self.detail = detail


class ArchiveFull(StorageError):
    """The disk, a file size limit or the archive's own size limit is reached."""

    reason = "archive_full"
    problem = "is full"
    advice = "Free disk space (or raise the size limit), then run again."


class ArchiveReadOnly(StorageError):
    """The archive's file, folder or filesystem cannot be written by this process."""

    reason = "archive_read_only"
    problem = "is read-only"
    advice = ("Check the permissions of the file and its folder and whether its "
              "filesystem is mounted read-only, then run again.")


class ArchiveIOError(StorageError):
    """The operating system failed a read or write, or the file is damaged."""

    reason = "archive_io_error"
    problem = "cannot be written"
    advice = "Check the disk and the file (PRAGMA integrity_check), then run again."


STORAGE_ERRORS: dict[int, type[StorageError]] = {
    SQLITE_FULL: ArchiveFull,
    SQLITE_READONLY: ArchiveReadOnly,
    SQLITE_IOERR: ArchiveIOError,
    SQLITE_CANTOPEN: ArchiveIOError,
    SQLITE_CORRUPT: ArchiveIOError,
    SQLITE_NOTADB: ArchiveIOError,
}


def storage_error(exc: sqlite3.Error, path: str | Path | None,
                  advice: str | None = None) -> StorageError | None:
    """Return the StorageError ``exc`` stands for, or None when it concerns one write.

    Sorted by SQLite's result code (``exc.sqlite_errorcode``); an error without
    one (raised by Python, not SQLite) is never a storage error.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    kind = STORAGE_ERRORS.get(code & 0xFF)
    if kind is None:
        return None
    name = getattr(exc, "sqlite_errorname", None) or f"SQLite code {code}"
    return kind(f"{exc} ({name})", path=path, advice=advice)
