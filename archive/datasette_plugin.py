"""Datasette plugin: make the table search box understand Chinese and Japanese.

Owns the ``prepare_connection`` hook.  Imports datasette's ``hookimpl`` and
``archive.search``.  Datasette's ``?_search=`` runs
``rowid in (select rowid from articles_fts where articles_fts match
escape_fts(:search))``; its own ``escape_fts`` is registered by
``datasette.sql_functions`` in the same hook.  Ours is ``trylast`` so it runs
after Datasette's and replaces it (pluggy calls trylast implementations last;
the later ``create_function`` of a name wins).  For text without CJK
characters ``fts_query`` quotes words exactly like Datasette does, so other
databases served alongside are searched as before.
"""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

from archive.search import fts_query


@hookimpl(trylast=True)  # type: ignore[untyped-decorator]  # datasette is untyped
def prepare_connection(conn: sqlite3.Connection) -> None:
    """Register ``escape_fts`` as ``archive.search.fts_query`` on ``conn``."""
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
