"""save_batch: many pages in one transaction, committed whole or not at all."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from archive import ArchiveError, BatchEntry, enqueue, save_article, save_batch, url_state
from tests.archive.conftest import EN_URL, ZH_URL, make_article, make_capture, make_english
from tests.archive.test_frontier import fetch

LIST_URL = "https://e.org/news/"
GONE_URL = "https://e.org/gone.html"


def three_pages() -> list[BatchEntry]:
    return [
        BatchEntry("article", make_capture(), fetch(), make_article()),
        BatchEntry("failure", make_capture(url=GONE_URL, final_url=GONE_URL, status=404,
                                           error="http_404"),
                   fetch(url=GONE_URL, status=404, error="http_404")),
        BatchEntry("article", make_capture(url=EN_URL, final_url=EN_URL), fetch(url=EN_URL),
                   make_english()),
    ]


def queue_all(db: Database) -> None:
    enqueue(db, [{"url": url} for url in (ZH_URL, GONE_URL, EN_URL, LIST_URL)])


def states(db: Database) -> dict[str, str]:
    return {url: url_state(db, url)["state"]  # type: ignore[index]
            for url in (ZH_URL, GONE_URL, EN_URL)}


def test_a_batch_stores_every_entry_and_marks_its_urls(db: Database) -> None:
    queue_all(db)
    save_article(db, make_article(), make_capture())  # known before: this text again
    entries = [*three_pages(),
               BatchEntry("not_modified", make_capture(status=304), fetch(status=304))]
    assert save_batch(db, entries) == ["unchanged", None, "archived", ZH_URL]
    assert states(db) == {ZH_URL: "done", GONE_URL: "failed", EN_URL: "done"}
    assert db["articles"].count == 2
    assert db["captures"].count == 1 + 4


@pytest.mark.parametrize("bad", ["no_title", "sql_error"])
def test_a_failure_mid_batch_leaves_nothing_of_the_batch(db: Database, bad: str) -> None:
    queue_all(db)
    entries = three_pages()
    if bad == "no_title":
        entries.insert(2, BatchEntry("article", make_capture(url=LIST_URL, final_url=LIST_URL),
                                     fetch(url=LIST_URL), make_article(url=LIST_URL, title="")))
        error: type[Exception] = ArchiveError
    else:
        # The third entry's urls update fails, after two entries were written.
        db.execute(f"CREATE TRIGGER refuse BEFORE UPDATE ON urls WHEN new.url = '{EN_URL}' "
                   "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        error = sqlite3.IntegrityError
    with pytest.raises(error):
        save_batch(db, entries)
    assert db["articles"].count == 0
    assert db["captures"].count == 0
    assert db.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == 0
    assert set(states(db).values()) == {"queued"}
    assert not db.conn.in_transaction


def test_malformed_entries_are_refused_before_writing(db: Database) -> None:
    with pytest.raises(ArchiveError, match="kind"):
        save_batch(db, [three_pages()[1], BatchEntry("mystery", make_capture())])
    with pytest.raises(ArchiveError, match="without fetch"):
        save_batch(db, [BatchEntry("not_modified", make_capture(status=304))])
    assert db["captures"].count == 0
