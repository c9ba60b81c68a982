from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st
from sqlite_utils import Database

from archive import save_article
from archive.search import MATCH_NOTHING, fts_query, search, segment_for_index

from .conftest import EN_URL, ZH_URL, make_article, make_capture, make_english


def keys(db: Database, query: str) -> list[str]:
    return [row["key"] for row in search(db, query)]


def fill(db: Database) -> None:
    save_article(db, make_article(), make_capture())
    save_article(db, make_english(), make_capture(url=EN_URL))


def test_segment_writes_bigrams_and_last_char() -> None:
    assert segment_for_index("商丘日报").split() == ["商丘", "丘日", "日报", "报"]
    assert segment_for_index("商").split() == ["商"]
    assert segment_for_index("iPhone手机 sells").split() == ["iPhone", "手机", "机", "sells"]
    assert segment_for_index("한국 뉴스") == "한국 뉴스"


def test_query_rewriting() -> None:
    assert fts_query("商丘") == '"商丘"'
    assert fts_query("科学发展观") == '"科学 学发 发展 展观"'
    assert fts_query("商") == '"商"*'
    assert fts_query('archive "new york"') == '"archive" "new york"'
    assert fts_query("iPhone手机") == '"iPhone" "手机"'
    assert fts_query('unbalanced "quote') == '"unbalanced" "quote"'
    assert fts_query("  ") == fts_query("，") == MATCH_NOTHING


def test_two_char_chinese_word(db: Database) -> None:
    fill(db)
    assert keys(db, "商丘") == [ZH_URL]
    assert keys(db, "会议") == [ZH_URL]


def test_long_chinese_word(db: Database) -> None:
    fill(db)
    assert keys(db, "科学发展观") == [ZH_URL]
    assert keys(db, "深入学习实践") == [ZH_URL]
    assert keys(db, "科学发展速度") == []


def test_single_chinese_char_anywhere_in_a_run(db: Database) -> None:
    fill(db)
    assert keys(db, "商") == [ZH_URL]
    assert keys(db, "报") == [ZH_URL]  # last char of 商丘日报 in the title
    assert keys(db, "猫") == []


def test_phrase_does_not_cross_punctuation(db: Database) -> None:
    save_article(db, make_article(title="标题", body="商丘，丘日"), make_capture())
    assert keys(db, "商丘") == [ZH_URL]
    assert keys(db, "商丘日") == []


def test_english_words(db: Database) -> None:
    fill(db)
    assert keys(db, "archive") == [EN_URL]
    assert keys(db, "ARCHIVE council") == [EN_URL]
    assert keys(db, '"local reporting"') == [EN_URL]
    assert keys(db, '"reporting local"') == []


def test_mixed_query_needs_every_term(db: Database) -> None:
    fill(db)
    save_article(
        db,
        make_english(url="https://news.example.org/zh", title="Archive opens in 商丘"),
        make_capture(url="https://news.example.org/zh"),
    )
    assert keys(db, "archive 商丘") == ["https://news.example.org/zh"]


def test_operators_and_odd_input_do_not_raise(db: Database) -> None:
    fill(db)
    for query in ["AND", "NOT archive", "title:archive", "arch*", "(", '"', "-", "NEAR(a b)"]:
        search(db, query)


def test_title_hit_ranks_above_body_hits(db: Database) -> None:
    save_article(
        db,
        make_article(url="http://a.example/1", title="开封新闻", body="今日开封召开会议，会后代表前往商丘考察，商丘方面表示欢迎。"),
        make_capture(url="http://a.example/1"),
    )
    save_article(
        db,
        make_article(url="http://a.example/2", title="商丘新闻", body="今日召开会议，代表考察工作，各方表示欢迎。"),
        make_capture(url="http://a.example/2"),
    )
    assert keys(db, "商丘") == ["http://a.example/2", "http://a.example/1"]


def test_limit(db: Database) -> None:
    for i in range(5):
        url = f"http://a.example/{i}"
        save_article(db, make_article(url=url), make_capture(url=url))
    assert len(search(db, "商丘", limit=3)) == 3


CJK_TEXT = st.text(
    alphabet=st.sampled_from("商丘日报科学发展观新闻ひらがなカタカナー々 ，。"), max_size=30
)


@given(text=CJK_TEXT, start=st.integers(0, 29), length=st.integers(1, 6))
def test_every_cjk_substring_is_found(text: str, start: int, length: int) -> None:
    """Any CJK query cut from the indexed text matches it (no false negatives).

    Latin text is matched by whole words, as in Datasette, so it is left out.
    """
    query = text[start : start + length].strip()
    if not query:
        return
    with sqlite3.connect(":memory:") as conn:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
        conn.execute("INSERT INTO t (rowid, body) VALUES (1, ?)", [segment_for_index(text)])
        expression = fts_query(query)
        hits = conn.execute("SELECT rowid FROM t WHERE t MATCH ?", [expression]).fetchall()
    conn.close()
    if expression != MATCH_NOTHING:
        assert hits == [(1,)], (text, query, expression)
