"""Fixtures for archive tests: a migrated in-memory database and sample dicts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlite_utils import Database

from archive.migrations import apply_migrations

ZH_URL = "http://www.sqrb.com.cn/news/2009-09/04/content_1.htm"
EN_URL = "https://news.example.org/2024/05/archive-opens.html"


@pytest.fixture
def db() -> Iterator[Database]:
    database = Database(memory=True)
    apply_migrations(database)
    yield database
    database.close()


def make_article(**overrides: Any) -> dict[str, Any]:
    article: dict[str, Any] = {
        "url": ZH_URL,
        "title": "商丘日报：市委召开科学发展观学习会议",
        "body": "商丘市委昨日召开会议，深入学习实践科学发展观。\n\n会议要求各级干部提高认识。",
        "published": "2009-09-04T13:23:00+08:00",
        "modified": None,
        "source": "商丘日报",
        "authors": ["王明"],
        "editors": ["李华"],
        "section": "本地新闻",
        "breadcrumb": ["首页", "本地新闻"],
        "language": "zh",
        "description": None,
        "canonical_url": None,
        "image": None,
        "keywords": ["商丘", "科学发展观"],
        "encoding": "gb18030",
        "declared_encoding": "gb2312",
        "title_source": "h1",
        "date_source": "text",
        "source_source": "byline",
        "replacement_ratio": 0.0,
    }
    article.update(overrides)
    return article


def make_english(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        url=EN_URL,
        title="City opens a public news archive",
        body="The city council opened its digital archive on Monday.\n\n"
        "Readers can search decades of local reporting.",
        published="2024-05-06T09:00:00+00:00",
        source="Example News",
        authors=["Jane Doe"],
        editors=[],
        section="Local",
        breadcrumb=["Home", "Local"],
        language="en",
        keywords=["archive"],
        encoding="utf-8",
        declared_encoding="utf-8",
    )
    fields.update(overrides)
    return make_article(**fields)


def make_capture(**overrides: Any) -> dict[str, Any]:
    capture: dict[str, Any] = {
        "url": ZH_URL,
        "final_url": ZH_URL,
        "fetched_at": "2024-06-01T10:00:00+00:00",
        "status": 200,
        "headers": {"Content-Type": "text/html; charset=gb2312"},
        "body": "<html><body>商丘</body></html>".encode("gb18030"),
        "declared_encoding": "gb2312",
        "encoding": "gb18030",
        "error": None,
    }
    capture.update(overrides)
    return capture
