"""The archive: a SQLite file of articles, their captures and versions.

Owns the schema and its migrations, the writes, the CJK-aware full-text
search and the Datasette metadata.  Imports stdlib, sqlite_utils and warcio;
never scrapy, twisted or ``crawler`` (import-linter checks it).  It takes
dicts and paths, so a script can use it without Scrapy.
"""

from archive.batch import BatchEntry, save_batch
from archive.browse import datasette_args, metadata_path
from archive.errors import ArchiveError, MigrationError
from archive.frontier import (
    due_for_revisit,
    enqueue,
    finish_run,
    mark_interrupted_runs,
    pending,
    record_fetch,
    requeue,
    start_run,
    url_state,
)
from archive.store import open_archive, save_article, save_failure, save_not_modified

__all__ = [
    "ArchiveError",
    "BatchEntry",
    "MigrationError",
    "datasette_args",
    "due_for_revisit",
    "enqueue",
    "finish_run",
    "mark_interrupted_runs",
    "metadata_path",
    "open_archive",
    "pending",
    "record_fetch",
    "requeue",
    "save_article",
    "save_batch",
    "save_failure",
    "save_not_modified",
    "start_run",
    "url_state",
]
