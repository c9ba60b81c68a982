"""The archive schema, as an ordered list of named migrations.

Owns every CREATE statement of the archive: ``articles``, ``captures``,
``versions``, the full-text table ``articles_fts`` and the crawl state
``urls`` and ``crawl_runs``.  Imports stdlib and
sqlite_utils only.  A schema change is a new function decorated with
``@MIGRATIONS()`` appended at the end; applied names are recorded in
``_sqlite_migrations`` (sqlite-utils' table), so an old archive catches up on
its next ``open_archive``.  Never edit or reorder a migration that has shipped.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from archive.errors import MigrationError

MIGRATIONS = Migrations("archive")


@MIGRATIONS()
def create_articles(db: Database) -> None:
    # ``id`` is an INTEGER PRIMARY KEY so the rowid never changes, not even on
    # VACUUM: articles_fts rows are tied to it.  The article's identity is
    # ``key`` (canonical URL, else URL).
    db.execute(
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            canonical_url TEXT,
            site TEXT,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            published TEXT,
            modified TEXT,
            source TEXT,
            authors TEXT NOT NULL DEFAULT '[]',
            editors TEXT NOT NULL DEFAULT '[]',
            section TEXT,
            breadcrumb TEXT NOT NULL DEFAULT '[]',
            language TEXT,
            description TEXT,
            image TEXT,
            keywords TEXT NOT NULL DEFAULT '[]',
            encoding TEXT,
            declared_encoding TEXT,
            title_source TEXT,
            date_source TEXT,
            source_source TEXT,
            replacement_ratio REAL,
            content_hash TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL
        )
        """
    )
    for column in ("site", "published", "source", "section", "language"):
        db.execute(f"CREATE INDEX idx_articles_{column} ON articles ({column})")


@MIGRATIONS()
def create_captures(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            final_url TEXT,
            fetched_at TEXT NOT NULL,
            status INTEGER,
            headers TEXT NOT NULL DEFAULT '{}',
            declared_encoding TEXT,
            encoding TEXT,
            body_zlib BLOB,
            body_size INTEGER,
            body_sha256 TEXT,
            error TEXT,
            article_key TEXT REFERENCES articles(key)
        )
        """
    )
    db.execute("CREATE INDEX idx_captures_url ON captures (url)")
    db.execute("CREATE INDEX idx_captures_final_url ON captures (final_url)")
    db.execute("CREATE INDEX idx_captures_article_key ON captures (article_key)")
    db.execute("CREATE INDEX idx_captures_error ON captures (error)")


@MIGRATIONS()
def create_versions(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            article_key TEXT NOT NULL REFERENCES articles(key),
            title TEXT,
            body TEXT,
            published TEXT,
            modified TEXT,
            content_hash TEXT,
            replaced_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_versions_article_key ON versions (article_key)")


@MIGRATIONS()
def create_articles_fts(db: Database) -> None:
    # Standalone (not external-content): it holds the *segmented* text of
    # archive.search.segment_for_index, which differs from articles.body.
    # rowid = articles.id; archive.store writes both in one transaction.
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5("
        "title, body, tokenize = 'unicode61')"
    )


@MIGRATIONS()
def create_urls(db: Database) -> None:
    # The crawl frontier and the memory of every URL a portal crawl has met
    # (archive.frontier).  ``url`` is the canonical key (crawler.urls), so
    # spellings of one page share a row; ``fetch_url`` is what was requested.
    db.execute(
        """
        CREATE TABLE urls (
            url TEXT PRIMARY KEY,
            fetch_url TEXT NOT NULL,
            site TEXT,
            state TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'done', 'failed')),
            kind TEXT,
            depth INTEGER NOT NULL DEFAULT 0,
            discovered_from TEXT,
            discovered_at TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            content_hash TEXT,
            last_status INTEGER,
            last_error TEXT,
            last_fetched_at TEXT,
            fetch_count INTEGER NOT NULL DEFAULT 0,
            article_key TEXT,
            published TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_urls_site_state ON urls (site, state)")
    db.execute("CREATE INDEX idx_urls_state_discovered ON urls (state, discovered_at)")
    db.execute("CREATE INDEX idx_urls_article_key ON urls (article_key)")


@MIGRATIONS()
def create_crawl_runs(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            profile TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            status TEXT NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'finished', 'interrupted', 'failed')),
            pages_fetched INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0,
            articles_updated INTEGER NOT NULL DEFAULT 0,
            articles_unchanged INTEGER NOT NULL DEFAULT 0,
            not_modified INTEGER NOT NULL DEFAULT 0,
            skipped TEXT NOT NULL DEFAULT '{}',
            errors TEXT NOT NULL DEFAULT '{}',
            settings TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute("CREATE INDEX idx_crawl_runs_status ON crawl_runs (status)")


@MIGRATIONS()
def add_published_year_month(db: Database) -> None:
    # Datasette facets on columns, not expressions: these virtual generated
    # columns let the articles page facet by publication year and month
    # (issue 5).  VIRTUAL costs no space; the indexes keep facet counts fast
    # on 100,000 articles (benchmarks/archive_scale.py).
    for column, length in (("published_year", 4), ("published_month", 7)):
        db.execute(
            f"ALTER TABLE articles ADD COLUMN {column} TEXT "
            f"GENERATED ALWAYS AS (substr(published, 1, {length})) VIRTUAL"
        )
        db.execute(f"CREATE INDEX idx_articles_{column} ON articles ({column})")


@MIGRATIONS()
def create_article_authors(db: Database) -> None:
    # One row per (article, author): Datasette's array facet runs json_each
    # over every row and took 6.8 s on 100,000 articles (1.6 GB, bodies
    # inline); grouping this small indexed table takes about 0.1 s
    # (benchmarks/archive_scale.py).  Written with the article, in its
    # transaction (archive.store.index_article).
    db.execute(
        """
        CREATE TABLE article_authors (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            author TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_article_authors_author ON article_authors (author, article_id)")
    db.execute("CREATE INDEX idx_article_authors_article ON article_authors (article_id)")
    db.execute(
        "INSERT INTO article_authors (article_id, author) "
        "SELECT articles.id, j.value FROM articles, json_each(articles.authors) j "
        "WHERE json_valid(articles.authors) AND j.type = 'text'"
    )


def apply_migrations(db: Database, *, path: str | Path = ":memory:") -> None:
    """Apply every pending migration to ``db``, each in its own transaction.

    Returns nothing.  Raises MigrationError naming the failed migration and
    ``path``; the migrations before it stay applied.
    """
    try:
        MIGRATIONS.apply(db)
    except sqlite3.Error as exc:
        pending = MIGRATIONS.pending(db)
        name = pending[0].name if pending else "(migrations table)"
        raise MigrationError(
            f"Migration {name!r} failed on {path}: {exc}", migration=name, path=path
        ) from exc
