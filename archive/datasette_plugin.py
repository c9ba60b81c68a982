"""Datasette plugin: CJK-aware table search, and our metadata on any archive file.

Owns the ``prepare_connection`` and ``get_metadata`` hooks.  Imports datasette's
``hookimpl``, stdlib, and ``archive.search`` / ``archive.browse``.

Search: Datasette's ``?_search=`` runs ``rowid in (select rowid from
articles_fts where articles_fts match escape_fts(:search))``; its own
``escape_fts`` is registered by ``datasette.sql_functions`` in the same hook.
Ours is ``trylast`` so it runs after Datasette's and replaces it (pluggy calls
trylast implementations last; the later ``create_function`` of a name wins).
For text without CJK characters ``fts_query`` quotes words exactly like
Datasette does, so other databases served alongside are searched as before.

Metadata: Datasette names a database after its file stem, and
archive/metadata.yaml can only describe the one named ``archive``.
``get_metadata`` hands the same table settings (fts_table, facets, column
descriptions) to every served file that has an ``articles_fts`` table, so
``newsarchive-demo.db`` gets them too.  Local ``--metadata`` still wins.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils import parse_metadata

from archive.browse import metadata_path
from archive.search import fts_query

BUNDLED_DATABASE_NAME = "archive"


@hookimpl(trylast=True)  # type: ignore[untyped-decorator]  # datasette is untyped
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Register ``escape_fts`` as ``archive.search.fts_query`` on ``conn``."""
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)


@hookimpl  # type: ignore[untyped-decorator]
def get_metadata(datasette: Any) -> dict[str, Any]:
    """Return the bundled database metadata for every served archive file."""
    block = _bundled_database_metadata()
    names = [
        name
        for name, database in datasette.databases.items()
        if database.path and _is_archive(str(database.path))
    ]
    return {"databases": {name: block for name in names}} if names else {}


@lru_cache(maxsize=1)
def _bundled_database_metadata() -> dict[str, Any]:
    metadata: dict[str, Any] = parse_metadata(metadata_path().read_text("utf-8"))
    block: dict[str, Any] = metadata["databases"][BUNDLED_DATABASE_NAME]
    return block


@lru_cache(maxsize=64)
def _is_archive(path: str) -> bool:
    if not Path(path).is_file():
        return False
    conn = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'"
        ).fetchone()
    except sqlite3.DatabaseError:
        return False  # not a SQLite file: Datasette reports that itself
    finally:
        conn.close()
    return row is not None
