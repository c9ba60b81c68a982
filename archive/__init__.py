"""The archive: a SQLite file of articles, their captures and versions.

Owns the schema and its migrations, the writes, the CJK-aware full-text
search and the Datasette metadata.  Imports stdlib, sqlite_utils and warcio;
never scrapy, twisted or ``crawler`` (import-linter checks it).  It takes
dicts and paths, so a script can use it without Scrapy.
"""

from archive.browse import datasette_args, metadata_path
from archive.errors import ArchiveError, MigrationError
from archive.store import open_archive, save_article, save_failure

__all__ = [
    "ArchiveError",
    "MigrationError",
    "datasette_args",
    "metadata_path",
    "open_archive",
    "save_article",
    "save_failure",
]
