"""Byline lines: sources, authors and editors kept apart; names cut cleanly."""

from __future__ import annotations

import pytest

from crawler.extract.bylines import clean_names, clean_source, parse_byline


def test_seed_byline_gives_source_and_date() -> None:
    byline = parse_byline("来源:商丘日报  2009-9-4 13:23:00", chinese=True)
    assert byline.sources == ("商丘日报",)
    assert byline.authors == ()
    assert byline.dates[0].date.value.isoformat() == "2009-09-04T13:23:00"


def test_full_chinese_byline_separates_roles() -> None:
    byline = parse_byline("2009年09月04日 10:21  来源：人民网  作者：张三  责任编辑：李四")
    assert byline.sources == ("人民网",)
    assert byline.authors == ("张三",)
    assert byline.editors == ("李四",)
    assert byline.dates[0].date.has_time


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("本报记者 王五", ("王五",)),
        ("本报记者 王五 通讯员 赵六", ("王五", "赵六")),
        ("作者：本报记者 张三", ("张三",)),
        ("文/张三", ("张三",)),
        ("文 / 李四 王五", ("李四", "王五")),
        ("撰文：欧阳娜娜", ("欧阳娜娜",)),
        ("记者 张三、李四 报道", ("张三", "李四")),
        ("新华社北京9月4日电（记者 张三 李四）", ("张三", "李四")),
        ("作者：刘文  浏览次数：", ("刘文",)),
        ("By Jane Doe and John Smith", ("Jane Doe", "John Smith")),
        ("By Rachel Kim and Tom Alvarez Staff Writers", ("Rachel Kim", "Tom Alvarez")),
        ("By JANE DOE | Updated 10:21 AM EDT", ("JANE DOE",)),
        ("Von Hans Müller", ("Hans Müller",)),
    ],
)
def test_authors(line: str, authors: tuple[str, ...]) -> None:
    assert parse_byline(line).authors == authors


@pytest.mark.parametrize(
    ("line", "editors"),
    [("（责任编辑：李四）", ("李四",)), ("责编：王五", ("王五",)), ("编辑：赵六 审核：钱七", ("赵六",))],
)
def test_editors_are_not_authors(line: str, editors: tuple[str, ...]) -> None:
    byline = parse_byline(line)
    assert byline.editors == editors
    assert byline.authors == ()


@pytest.mark.parametrize(
    ("line", "source"),
    [
        ("稿源：新华网", "新华网"),
        ("出处: 中国教育报", "中国教育报"),
        ("转自人民日报", "人民日报"),
        ("文章来源：人民网-人民日报  发布时间：2009-09-04", "人民网-人民日报"),
        ("Source: Associated Press", "Associated Press"),
        ("发布时间：2009-09-04 来源：新华网 点击：123", "新华网"),
    ],
)
def test_sources(line: str, source: str) -> None:
    byline = parse_byline(line)
    assert byline.sources == (source,)
    assert byline.authors == ()


def test_prose_is_not_a_byline() -> None:
    assert parse_byline("记者从市教育局获悉，今年全市新建学校十所。").authors == ()
    assert parse_byline("我" * 300 + "记者 张三").empty
    assert parse_byline("The story was written by the committee of the town.").authors == ()


def test_non_names_are_dropped() -> None:
    assert clean_names(["http://example.com/author/1"]) == ()
    assert clean_names(["This is a whole sentence that is surely not a name at all"]) == ()
    assert clean_names(["admin", "佚名", "本报"]) == ()
    assert clean_names(["张三123"]) == ()
    assert clean_source("www.example.com is the best site ever") is None
    assert clean_source("x" * 100) is None
    assert clean_source("  新华网 ") == "新华网"


def test_labelled_dates_are_flagged() -> None:
    assert parse_byline("发布时间：2009-09-04").labelled_date
    assert not parse_byline("2009-09-04").labelled_date


def test_agency_after_full_names_is_not_an_author() -> None:
    assert parse_byline("By Jane Doe, Reuters").authors == ("Jane Doe",)
    assert clean_names(["Madonna"]) == ("Madonna",)
