"""The exceptions the archive raises.  Stdlib only.

Exception tree::

    ArchiveError            the archive file cannot be opened, read or written
    └── MigrationError      a named schema migration failed; the file is left
                            at the last migration that succeeded

Callers at a boundary (the crawler pipeline, the CLI) catch ``ArchiveError``
and translate it once: a pipeline refuses to start, the CLI raises
``click.ClickException``.
"""

from __future__ import annotations

from pathlib import Path


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
