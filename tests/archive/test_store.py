from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from pathlib import Path

import pytest
from sqlite_utils import Database

import archive.store
from archive import ArchiveError, MigrationError, open_archive, save_article, save_failure
from archive.migrations import MIGRATIONS, apply_migrations
from archive.queries import get_article, list_captures, list_versions

from .conftest import ZH_URL, make_article, make_capture, make_english


def count(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_new_article_is_archived(db: Database) -> None:
    assert save_article(db, make_article(), make_capture()) == "archived"
    row = get_article(db, ZH_URL)
    assert row is not None
    assert row["site"] == "www.sqrb.com.cn"
    assert row["first_seen_at"] == row["last_seen_at"] == "2024-06-01T10:00:00+00:00"
    assert row["date_source"] == "text"
    assert len(row["content_hash"]) == 64
    capture = db.execute("SELECT article_key, status FROM captures").fetchone()
    assert capture == (ZH_URL, 200)


def test_same_article_again_is_unchanged_with_second_capture(db: Database) -> None:
    save_article(db, make_article(), make_capture())
    later = make_capture(fetched_at="2024-06-02T10:00:00+00:00")
    assert save_article(db, make_article(), later) == "unchanged"
    assert count(db, "articles") == 1
    assert count(db, "captures") == 2
    assert count(db, "versions") == 0
    row = get_article(db, ZH_URL)
    assert row is not None
    assert row["first_seen_at"] == "2024-06-01T10:00:00+00:00"
    assert row["last_seen_at"] == "2024-06-02T10:00:00+00:00"


def test_changed_body_is_updated_and_old_text_kept(db: Database) -> None:
    old = make_article()
    save_article(db, old, make_capture())
    new = make_article(body="更正后的正文：商丘市委召开会议。", modified="2009-09-05T08:00:00+08:00")
    later = make_capture(fetched_at="2024-06-03T10:00:00+00:00")
    assert save_article(db, new, later) == "updated"
    assert count(db, "articles") == 1
    versions = list_versions(db, ZH_URL)
    assert len(versions) == 1
    assert versions[0]["body"] == old["body"]
    assert versions[0]["title"] == old["title"]
    assert versions[0]["modified"] is None
    assert versions[0]["replaced_at"] == "2024-06-03T10:00:00+00:00"
    row = get_article(db, ZH_URL)
    assert row is not None
    assert row["body"] == new["body"]
    assert row["first_seen_at"] == "2024-06-01T10:00:00+00:00"
    assert row["last_seen_at"] == "2024-06-03T10:00:00+00:00"


def test_update_reindexes_search(db: Database) -> None:
    from archive.search import search

    save_article(db, make_article(), make_capture())
    save_article(db, make_article(title="开封新闻", body="开封市召开会议。"), make_capture())
    assert search(db, "商丘") == []
    assert [r["key"] for r in search(db, "开封")] == [ZH_URL]
    assert count(db, "articles_fts") == 1


def test_author_rows_follow_the_article(db: Database) -> None:
    def authors() -> list[str]:
        return sorted(r["author"] for r in db["article_authors"].rows)

    save_article(db, make_article(authors=["王五", "赵六", "王五"]), make_capture())
    assert authors() == ["王五", "赵六"]
    save_article(db, make_article(body="新正文。", authors=["李四"]), make_capture())
    assert authors() == ["李四"]


def test_failure_capture(db: Database) -> None:
    save_failure(db, make_capture(status=404, body=b"gone", error="http_404"))
    save_failure(db, make_capture(status=None, body=None, headers=None, error="timeout"))
    rows = list_captures(db, ZH_URL)
    assert [(r["status"], r["error"], r["article_key"]) for r in rows] == [
        (404, "http_404", None),
        (None, "timeout", None),
    ]
    assert rows[1]["body"] is None and rows[1]["headers"] == {}
    assert count(db, "articles") == 0


def test_raw_body_round_trips_through_zlib(db: Database) -> None:
    raw = ("<html><meta charset=gb2312>" + "商丘日报" * 500 + "</html>").encode("gb18030")
    save_article(db, make_article(), make_capture(body=raw))
    stored, size, digest = db.execute(
        "SELECT body_zlib, body_size, body_sha256 FROM captures"
    ).fetchone()
    assert zlib.decompress(stored) == raw
    assert len(stored) < len(raw)
    assert size == len(raw)
    assert digest == hashlib.sha256(raw).hexdigest()
    assert list_captures(db, ZH_URL)[0]["body"] == raw


def test_keyed_by_canonical_url(db: Database) -> None:
    canonical = "http://www.sqrb.com.cn/news/content_1.htm"
    first = make_article(url=ZH_URL + "?from=rss", canonical_url=canonical)
    second = make_article(url=ZH_URL + "?from=home", canonical_url=canonical)
    assert save_article(db, first, make_capture(url=first["url"])) == "archived"
    assert save_article(db, second, make_capture(url=second["url"])) == "unchanged"
    assert count(db, "articles") == 1
    row = get_article(db, canonical)
    assert row is not None and row["url"] == first["url"]
    assert len(list_captures(db, canonical)) == 2


def test_list_fields_are_json_arrays(db: Database) -> None:
    save_article(db, make_article(), make_capture())
    raw = db.execute("SELECT authors, editors, breadcrumb, keywords FROM articles").fetchone()
    assert [json.loads(value) for value in raw] == [
        ["王明"], ["李华"], ["首页", "本地新闻"], ["商丘", "科学发展观"]
    ]
    assert "商丘" in raw[3]  # stored readable, not \u-escaped
    row = get_article(db, ZH_URL)
    assert row is not None and row["keywords"] == ["商丘", "科学发展观"]


def test_missing_optional_keys_are_tolerated(db: Database) -> None:
    article = {"url": "https://example.org/a", "title": "T", "body": "Body text."}
    capture = {"url": "https://example.org/a", "fetched_at": "2024-01-01T00:00:00+00:00"}
    assert save_article(db, article, capture) == "archived"
    row = get_article(db, "https://example.org/a")
    assert row is not None and row["authors"] == [] and row["site"] == "example.org"
    assert list_captures(db, "https://example.org/a")[0]["final_url"] == capture["url"]


def test_error_mid_save_leaves_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_capture(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(archive.store, "_insert_capture", broken_capture)
    with pytest.raises(sqlite3.OperationalError):
        save_article(db, make_article(), make_capture())
    assert not db.conn.in_transaction
    for table in ("articles", "captures", "articles_fts"):
        assert count(db, table) == 0


def test_error_mid_update_keeps_previous_version(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    save_article(db, make_article(), make_capture())

    def broken_index(*args: object, **kwargs: object) -> None:
        raise RuntimeError("segmenter crashed")

    monkeypatch.setattr(archive.store, "index_article", broken_index)
    with pytest.raises(RuntimeError):
        save_article(db, make_article(body="新正文。"), make_capture())
    assert count(db, "versions") == 0
    assert count(db, "captures") == 1
    row = get_article(db, ZH_URL)
    assert row is not None and row["body"] == make_article()["body"]


def test_save_inside_callers_transaction_uses_savepoint(db: Database) -> None:
    with db.atomic():
        save_article(db, make_english(), make_capture(url=make_english()["url"]))
        with pytest.raises(ArchiveError):
            save_article(db, make_article(title=""), make_capture())
    assert count(db, "articles") == 1


def test_article_without_title_is_rejected(db: Database) -> None:
    with pytest.raises(ArchiveError, match="no title"):
        save_article(db, make_article(title=""), make_capture())
    assert count(db, "captures") == 0


def test_open_archive_creates_wal_file(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    db = open_archive(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == archive.store.BUSY_TIMEOUT_MS
        assert save_article(db, make_article(), make_capture()) == "archived"
    finally:
        db.close()
    again = open_archive(path)
    try:
        assert get_article(again, ZH_URL) is not None
        assert MIGRATIONS.pending(again) == []
    finally:
        again.close()


def test_open_archive_missing_folder_names_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "archive.db"
    with pytest.raises(ArchiveError, match="nowhere") as info:
        open_archive(path)
    assert info.value.path == path


def test_open_archive_rejects_non_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is not a database, just some text " * 100)
    with pytest.raises(ArchiveError, match="notes.db"):
        open_archive(path)


def test_failed_migration_raises_migration_error(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Database(path) as raw:
        raw.execute("CREATE TABLE captures (id INTEGER PRIMARY KEY)")
    with pytest.raises(MigrationError) as info:
        open_archive(path)
    assert info.value.migration == "create_captures"
    assert str(path) in str(info.value)


def test_migrations_are_idempotent(db: Database) -> None:
    apply_migrations(db)
    names = [m.name for m in MIGRATIONS.applied(db)]
    # Later migrations are appended after these four; each is applied once.
    assert names[:4] == ["create_articles", "create_captures", "create_versions", "create_articles_fts"]
    assert len(names) == len(set(names)) and MIGRATIONS.pending(db) == []
