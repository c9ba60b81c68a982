"""archive.queries.search_articles: ranked in the index first, filtered by site and date."""

from __future__ import annotations

from sqlite_utils import Database

from archive import save_article
from archive.queries import search_articles

from .conftest import EN_URL, ZH_URL, make_article, make_capture, make_english

OLD_URL = "http://www.sqrb.com.cn/news/2008-01-02/content_9.htm"


def fill(db: Database) -> None:
    save_article(db, make_article(), make_capture())
    save_article(db, make_english(), make_capture(url=EN_URL))
    save_article(db, make_article(url=OLD_URL, title="旧闻", body="二〇〇八年商丘的旧新闻。商丘。",
                                  published="2008-01-02T08:00:00+08:00"), make_capture(url=OLD_URL))


def keys(db: Database, query: str, **filters: object) -> list[str]:
    return [row["key"] for row in search_articles(db, query, **filters)]  # type: ignore[arg-type]


def test_ranks_title_hits_first_and_limits(db: Database) -> None:
    fill(db)
    assert keys(db, "商丘") == [ZH_URL, OLD_URL]
    assert keys(db, "商丘", limit=1) == [ZH_URL]
    assert keys(db, "archive") == [EN_URL]
    assert keys(db, "科学发展观") == [ZH_URL]
    assert keys(db, "nothing here") == []


def test_filters_by_site_and_publication_date(db: Database) -> None:
    fill(db)
    assert keys(db, "商丘", since="2009-01-01") == [ZH_URL]
    assert keys(db, "商丘", site="news.example.org") == []
    assert keys(db, "商丘", site="www.sqrb.com.cn", since="2000-01-01") == [ZH_URL, OLD_URL]
