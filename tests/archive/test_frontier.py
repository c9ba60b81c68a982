"""The crawl state: the urls frontier, crawl runs, revisits and crash-safe marks."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from archive import (
    ArchiveError,
    due_for_revisit,
    enqueue,
    finish_run,
    mark_interrupted_runs,
    open_archive,
    pending,
    record_fetch,
    requeue,
    save_article,
    save_failure,
    save_not_modified,
    start_run,
    url_state,
)
from archive.frontier import LOOKUP_CHUNK, fetch_counts_since, iter_pending, pending_count, url_states
from archive.migrations import MIGRATIONS
from tests.archive.conftest import ZH_URL, make_article, make_capture

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=timezone.utc)
POLICY = dict(article_revisit_hours=168, article_max_age_days=30, list_revisit_minutes=60)


def fetch(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(url=ZH_URL, status=200, kind=None, etag='"e1"',
                                  last_modified=None, content_hash=None, article_key=None,
                                  published=None, error=None,
                                  fetched_at="2024-06-01T10:00:00+00:00")
    values.update(overrides)
    return values


def test_migrations_add_the_tables_to_an_existing_archive(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="create_urls")
    assert "urls" not in db.table_names()
    db["articles"].insert({  # an article stored by the code of that time
        "key": "https://e.org/a", "url": "https://e.org/a", "title": "T", "body": "B",
        "authors": '["王五", "Jane Doe"]', "content_hash": "h",
        "first_seen_at": "2024-01-01T00:00:00+00:00", "last_seen_at": "2024-01-01T00:00:00+00:00"})
    db.close()
    db = open_archive(path)
    assert {"urls", "crawl_runs", "article_authors"} <= set(db.table_names())
    assert db["articles"].count == 1
    assert sorted(r["author"] for r in db["article_authors"].rows) == ["Jane Doe", "王五"]
    index_columns = {tuple(i.columns) for i in db["urls"].indexes}
    assert ("site", "state") in index_columns
    db.close()


def test_enqueue_queues_unknown_urls_once(db: Database) -> None:
    rows = [{"url": "https://e.org/a", "site": "e.org", "depth": 1,
             "discovered_from": "https://e.org/"},
            {"url": "https://e.org/b", "fetch_url": "http://e.org/b?utm_source=x"},
            {"url": "https://e.org/a"}]
    assert enqueue(db, rows) == ["https://e.org/a", "https://e.org/b"]
    assert enqueue(db, [{"url": "https://e.org/b"}, {"url": "https://e.org/c"}]) == [
        "https://e.org/c"]
    a = url_state(db, "https://e.org/a")
    assert a is not None and (a["state"], a["depth"], a["discovered_from"]) == (
        "queued", 1, "https://e.org/")
    b = url_state(db, "https://e.org/b")
    assert b is not None and (b["fetch_url"], b["site"]) == ("http://e.org/b?utm_source=x", "e.org")
    assert url_state(db, "https://e.org/zzz") is None
    with pytest.raises(ArchiveError):
        enqueue(db, [{"fetch_url": "x"}])


def test_enqueue_leaves_done_urls_alone(db: Database) -> None:
    enqueue(db, [{"url": ZH_URL}])
    record_fetch(db, **fetch())
    assert enqueue(db, [{"url": ZH_URL}]) == []
    assert url_state(db, ZH_URL)["state"] == "done"  # type: ignore[index]


def test_pending_oldest_first_by_site_with_limit(db: Database) -> None:
    enqueue(db, [{"url": f"https://a.org/{i}"} for i in range(3)])
    enqueue(db, [{"url": "https://b.org/1"}])
    record_fetch(db, **fetch(url="https://a.org/1"))
    assert [r["url"] for r in pending(db)] == ["https://a.org/0", "https://a.org/2",
                                               "https://b.org/1"]
    assert [r["url"] for r in pending(db, sites=["b.org"])] == ["https://b.org/1"]
    assert [r["url"] for r in pending(db, limit=1)] == ["https://a.org/0"]
    assert pending(db, sites=[]) == []


def test_record_fetch_marks_done_or_failed_and_counts(db: Database) -> None:
    enqueue(db, [{"url": ZH_URL, "depth": 2, "kind": "article"}])
    record_fetch(db, **fetch(content_hash="h1", article_key=ZH_URL,
                             published="2009-09-04T13:23:00+08:00"))
    state = url_state(db, ZH_URL)
    assert state is not None
    assert (state["state"], state["fetch_count"], state["etag"], state["last_status"],
            state["kind"], state["depth"]) == ("done", 1, '"e1"', 200, "article", 2)
    record_fetch(db, **fetch(status=None, etag=None, error="timeout",
                             fetched_at="2024-06-02T10:00:00+00:00"))
    state = url_state(db, ZH_URL)
    assert state is not None
    assert (state["state"], state["fetch_count"], state["last_error"], state["etag"],
            state["article_key"], state["last_fetched_at"]) == (
        "failed", 2, "timeout", '"e1"', ZH_URL, "2024-06-02T10:00:00+00:00")


def test_record_fetch_of_an_unknown_url_adds_it(db: Database) -> None:
    record_fetch(db, **fetch(url="https://e.org/x", kind="list"))
    state = url_state(db, "https://e.org/x")
    assert state is not None and (state["state"], state["site"], state["kind"]) == (
        "done", "e.org", "list")


def test_requeue_puts_known_urls_back(db: Database) -> None:
    enqueue(db, [{"url": ZH_URL}, {"url": "https://e.org/q"}])
    record_fetch(db, **fetch())
    assert requeue(db, [ZH_URL, "https://e.org/q", "https://e.org/unknown"]) == 1
    assert [r["url"] for r in pending(db)] == [ZH_URL, "https://e.org/q"]


def state_of(**overrides: Any) -> dict[str, Any]:
    state = {"state": "done", "kind": "article", "last_fetched_at": "2024-06-01T12:00:00+00:00",
             "published": "2024-06-01T08:00:00+08:00", "discovered_at": "2024-06-01T11:00:00+00:00"}
    state.update(overrides)
    return state


@pytest.mark.parametrize(
    ("state", "now", "due"),
    [
        (state_of(state="queued"), NOW, True),
        (state_of(last_fetched_at=None), NOW, True),
        (state_of(), NOW, True),  # 9 days since the fetch, 9 days old
        (state_of(), datetime(2024, 6, 8, 11, 59, tzinfo=timezone.utc), False),
        (state_of(), datetime(2024, 6, 8, 12, 0, tzinfo=timezone.utc), True),  # exactly 168 h
        (state_of(), datetime(2024, 6, 8, 12, 0), True),  # naive counts as UTC
        (state_of(published="2024-05-01T00:00:00+00:00"), NOW, False),  # 40 days old
        (state_of(published="2024-05-11T12:00:00+00:00"), NOW, True),  # exactly 30 days
        (state_of(published=None, discovered_at="2024-04-01T00:00:00+00:00"), NOW, False),
        (state_of(published="not a date"), NOW, True),
        (state_of(kind="list", last_fetched_at="2024-06-10T11:00:00+00:00"), NOW, True),
        (state_of(kind="feed", last_fetched_at="2024-06-10T11:01:00+00:00"), NOW, False),
        (state_of(kind=None, last_fetched_at="2024-06-10T10:00:00Z"), NOW, True),
        (state_of(state="failed", last_fetched_at="2024-06-10T10:00:00+00:00"), NOW, False),
        (state_of(state="failed", last_fetched_at="2024-06-01T10:00:00+00:00"), NOW, True),
    ],
)
def test_due_for_revisit(state: dict[str, Any], now: datetime, due: bool) -> None:
    assert due_for_revisit(state, now=now, **POLICY) is due


def test_save_article_with_fetch_marks_the_url_in_the_same_transaction(db: Database) -> None:
    enqueue(db, [{"url": ZH_URL, "kind": "article"}])
    outcome = save_article(db, make_article(), make_capture(), fetch=fetch())
    assert outcome == "archived"
    state = url_state(db, ZH_URL)
    article = next(db["articles"].rows)
    assert state is not None
    assert (state["state"], state["article_key"], state["content_hash"], state["published"],
            state["kind"], state["last_status"]) == (
        "done", ZH_URL, article["content_hash"], article["published"], "article", 200)


def test_a_failing_write_leaves_neither_article_nor_done_mark(db: Database) -> None:
    enqueue(db, [{"url": ZH_URL}])
    db.execute("CREATE TRIGGER refuse BEFORE UPDATE ON urls "
               "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        save_article(db, make_article(), make_capture(), fetch=fetch())
    assert db["articles"].count == 0
    assert db["captures"].count == 0
    assert db.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == 0
    assert url_state(db, ZH_URL)["state"] == "queued"  # type: ignore[index]
    with pytest.raises(ArchiveError, match="no url"):
        save_article(db, make_article(), make_capture(), fetch={"status": 200})
    assert db["articles"].count == 0


def test_save_failure_with_fetch(db: Database) -> None:
    save_failure(db, make_capture(status=404, error="http_404"),
                 fetch=fetch(status=404, error="http_404"))
    assert url_state(db, ZH_URL)["state"] == "failed"  # type: ignore[index]
    list_url = "https://e.org/news/"
    save_failure(db, make_capture(url=list_url, final_url=list_url, error="list_page_links"),
                 fetch=fetch(url=list_url, kind="list"))
    state = url_state(db, list_url)
    assert state is not None and (state["state"], state["kind"]) == ("done", "list")
    assert db["captures"].count == 2


def test_save_not_modified_moves_last_seen_only(db: Database) -> None:
    save_article(db, make_article(), make_capture(), fetch=fetch())
    before = next(db["articles"].rows)
    key = save_not_modified(
        db, make_capture(status=304, fetched_at="2024-06-09T10:00:00+00:00"),
        fetch=fetch(status=304, etag=None, fetched_at="2024-06-09T10:00:00+00:00"),
    )
    assert key == ZH_URL
    after = next(db["articles"].rows)
    assert after["last_seen_at"] == "2024-06-09T10:00:00+00:00"
    assert {k: v for k, v in after.items() if k != "last_seen_at"} == {
        k: v for k, v in before.items() if k != "last_seen_at"}
    capture = db.execute("SELECT status, body_zlib, article_key FROM captures "
                         "ORDER BY id DESC LIMIT 1").fetchone()
    assert capture == (304, None, ZH_URL)
    state = url_state(db, ZH_URL)
    assert state is not None
    assert (state["fetch_count"], state["last_status"], state["etag"], state["article_key"]) == (
        2, 304, '"e1"', ZH_URL)
    assert db["versions"].count == 0


def test_save_not_modified_without_article(db: Database) -> None:
    url = "https://e.org/news/"
    assert save_not_modified(db, make_capture(url=url, final_url=url, status=304),
                             fetch=fetch(url=url, kind="list")) is None
    assert url_state(db, url)["state"] == "done"  # type: ignore[index]


def test_run_lifecycle(db: Database) -> None:
    run = start_run(db, "sqrb", {"max_depth": 2})
    other = start_run(db, "other", {})
    finish_run(db, run, status="finished",
               counts={"pages_fetched": 5, "articles_new": 3, "not_modified": 1,
                       "skipped": {"offsite": 2}, "errors": {"http_404": 1}})
    row = db["crawl_runs"].get(run)
    assert (row["status"], row["pages_fetched"], row["articles_new"], row["articles_updated"],
            json.loads(row["skipped"]), json.loads(row["errors"]),
            json.loads(row["settings"])) == (
        "finished", 5, 3, 0, {"offsite": 2}, {"http_404": 1}, {"max_depth": 2})
    assert row["ended_at"] is not None
    assert mark_interrupted_runs(db) == 1
    assert db["crawl_runs"].get(other)["status"] == "interrupted"
    assert mark_interrupted_runs(db) == 0
    with pytest.raises(ArchiveError, match="status"):
        finish_run(db, run, status="done", counts={})
    with pytest.raises(ArchiveError, match="counts"):
        finish_run(db, run, status="failed", counts={"pages": 1})
    with pytest.raises(ArchiveError, match="No crawl run"):
        finish_run(db, 999, status="failed", counts={})


def test_ten_thousand_enqueues_are_fast(tmp_path: Path) -> None:
    db = open_archive(tmp_path / "a.db")
    rows = [{"url": f"https://e.org/news/{i}.html", "depth": 1} for i in range(10_000)]
    started = time.perf_counter()
    added = enqueue(db, rows)
    again = enqueue(db, rows)
    elapsed = time.perf_counter() - started
    assert len(added) == 10_000 and again == []
    # Two calls of 10,000 rows take ~0.1 s on the 2-core CI box.
    assert elapsed < 1.0
    db.close()


def test_iter_pending_reads_in_chunks_in_pending_order(db: Database) -> None:
    # Seven URLs of one second and two of another: the keyset goes on by rowid.
    enqueue(db, [{"url": f"https://a.org/{i}"} for i in range(7)])
    enqueue(db, [{"url": "https://b.org/1"}])
    db.execute("UPDATE urls SET discovered_at = '2024-01-01T00:00:00+00:00' "
               "WHERE url IN ('https://a.org/5', 'https://a.org/6')")
    db.conn.commit()
    record_fetch(db, **fetch(url="https://a.org/1"))
    expected = [r["url"] for r in pending(db)]
    assert expected[:2] == ["https://a.org/5", "https://a.org/6"]
    assert [r["url"] for r in iter_pending(db, chunk=2)] == expected
    assert [r["url"] for r in iter_pending(db, sites=["a.org"], chunk=3)] == expected[:-1]
    assert list(iter_pending(db, sites=[])) == []
    rows = iter_pending(db, chunk=2)
    assert next(rows) == pending(db, limit=1)[0]  # whole rows, without the rowid
    assert pending_count(db) == 7 and pending_count(db, sites=["b.org"]) == 1


def test_url_states_and_fetch_counts_since(db: Database) -> None:
    enqueue(db, [{"url": f"https://a.org/{i}"} for i in range(3)])
    urls = [f"https://a.org/{i}" for i in range(LOOKUP_CHUNK + 2)]
    states = url_states(db, urls + urls[:1])
    assert sorted(states) == urls[:3] and states[urls[2]]["state"] == "queued"
    record_fetch(db, **fetch(url=urls[0], fetched_at="2024-06-01T10:00:00+00:00"))
    record_fetch(db, **fetch(url=urls[1], fetched_at="2024-06-01T10:00:01+00:00"))
    record_fetch(db, **fetch(url=urls[1], fetched_at="2024-06-01T10:00:02+00:00"))
    assert fetch_counts_since(db, "2024-06-01T10:00:01+00:00") == {urls[1]: 2}
    assert fetch_counts_since(db, "2024-06-01T10:00:03+00:00") == {}
