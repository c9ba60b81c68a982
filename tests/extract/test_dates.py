"""Dates in text, machine values and URLs; plausibility; ISO formatting with zones."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crawler.extract.dates import (
    PageDate,
    find_dates,
    find_url_date,
    format_date,
    is_plausible,
    load_zone,
    parse_machine_date,
    parse_zone,
)

SHANGHAI = load_zone("Asia/Shanghai")


def first(text: str, **kwargs: bool) -> str:
    found = find_dates(text, **kwargs)
    assert found, text
    return format_date(found[0].date, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("来源:商丘日报      2009-9-4 13:23:00", "2009-09-04T13:23:00"),
        ("2009年9月4日 13:23", "2009-09-04T13:23:00"),
        ("2009年09月04日10:21  来源：人民网", "2009-09-04T10:21:00"),
        ("发布时间：2009/09/04", "2009-09-04"),
        ("日期:2009.09.04", "2009-09-04"),
        ("2009년 9월 4일 13:23", "2009-09-04T13:23:00"),
        ("Sept. 4, 2009", "2009-09-04"),
        ("September 4th, 2009", "2009-09-04"),
        ("4 September 2009 • 1:16pm", "2009-09-04T13:16:00"),
        ("Updated 10:21 AM EDT, Fri September 4, 2009", "2009-09-04T10:21:00-04:00"),
        ("04.09.2009, 13:23 Uhr", "2009-09-04T13:23:00"),
        ("4. September 2009", "2009-09-04"),
        ("4 septembre 2009", "2009-09-04"),
        ("4 de septiembre de 2009", "2009-09-04"),
        ("4 сентября 2009 г.", "2009-09-04"),
        ("2009-09-04 13:23:00 +0800", "2009-09-04T13:23:00+08:00"),
        ("2009-09-04 13:23 GMT+8", "2009-09-04T13:23:00+08:00"),
        ("北京时间2009年9月4日 10:00", "2009-09-04T10:00:00+08:00"),
        ("12:30 am, Sep 4, 2009", "2009-09-04T00:30:00"),
    ],
)
def test_find_dates_reads_written_forms(text: str, expected: str) -> None:
    assert first(text) == expected


def test_slash_dates_follow_the_language_order() -> None:
    assert first("09/04/2009") == "2009-09-04"
    assert first("04/09/2009", month_first=False) == "2009-09-04"
    assert first("25/12/2009") == "2009-12-25"


def test_cst_is_china_standard_time_on_chinese_pages() -> None:
    assert first("2009-09-04 13:23 CST", chinese=True).endswith("+08:00")
    assert first("2009-09-04 13:23 CST").endswith("-06:00")


def test_invalid_calendar_values_are_ignored() -> None:
    assert find_dates("2009-13-45 and 2009-02-30") == []
    assert find_dates("phone 010-12345678, id 20091234567") == []


@pytest.mark.parametrize(
    "text",
    ["1" * 100_000, "2009-" * 20_000, "-/." * 30_000, "9" * 5000 + "年" * 5000,
     "September " * 10_000, "2009年" * 10_000 + "13:" * 10_000],
)
def test_find_dates_is_fast_on_adversarial_input(text: str) -> None:
    started = time.perf_counter()
    find_dates(text)
    parse_machine_date(text)
    find_url_date("http://x/" + text)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2009-09-04T13:23:00+08:00", "2009-09-04T13:23:00+08:00"),
        ("2009-09-04T13:23:00Z", "2009-09-04T13:23:00+00:00"),
        ("2009-09-04T13:23:00.123-04:00", "2009-09-04T13:23:00-04:00"),
        ("2009-09-04", "2009-09-04"),
        ("2009-09-04 13:23:00", "2009-09-04T13:23:00"),
        ("Fri, 04 Sep 2009 13:23:00 GMT", "2009-09-04T13:23:00+00:00"),
        ("Fri, 04 Sep 2009 13:23:00 EDT", "2009-09-04T13:23:00-04:00"),
        ("1252041780", "2009-09-04T05:23:00+00:00"),
        ("2009年9月4日", "2009-09-04"),
    ],
)
def test_parse_machine_date(value: str, expected: str) -> None:
    parsed = parse_machine_date(value)
    assert parsed is not None
    assert format_date(parsed, None) == expected


@pytest.mark.parametrize("value", ["", "garbage", "2009", "Sep 2009", "tomorrow", "99999999999999",
                                   "2009-99-99", "Fri, 04 Sep 2009 13:23:00 XYZT"])
def test_parse_machine_date_rejects_incomplete_values(value: str) -> None:
    parsed = parse_machine_date(value)
    assert parsed is None or parsed.value.year == 2009


def test_epoch_values_are_shown_in_the_page_zone() -> None:
    parsed = parse_machine_date("1654057800")
    assert parsed is not None
    assert format_date(parsed, SHANGHAI) == "2022-06-01T12:30:00+08:00"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a.com/2009/09/04/story.html", "2009-09-04"),
        ("http://a.com/news/2009-09-04/123.html", "2009-09-04"),
        ("http://www.a.cn/zong_he/200909/t20090904_123.html", "2009-09-04"),
        ("http://a.com/20090904/n123.shtml", "2009-09-04"),
        ("http://a.com/2009/0904/x.html", None),
        ("http://a.com/news/123456789.html", None),
        ("http://a.com/x?date=2009-09-04", None),
    ],
)
def test_find_url_date(url: str, expected: str | None) -> None:
    found = find_url_date(url)
    assert (format_date(found, None) if found else None) == expected


def test_plausibility_bounds() -> None:
    fetched = datetime(2020, 1, 1, tzinfo=UTC)
    ok = PageDate(datetime(2019, 12, 31, 23, 0, tzinfo=UTC), True)
    future = PageDate(datetime(2020, 1, 1, 0, 1, tzinfo=UTC), True)
    old = PageDate(datetime(1989, 12, 31), False)
    same_day = PageDate(datetime(2020, 1, 1), False)
    next_week = PageDate(datetime(2020, 1, 8), False)
    assert is_plausible(ok, fetched)
    assert not is_plausible(future, fetched)
    assert not is_plausible(old, fetched)
    assert is_plausible(same_day, fetched)
    assert not is_plausible(next_week, fetched)
    assert is_plausible(ok, fetched.replace(tzinfo=None))
    assert not is_plausible(PageDate(datetime.now(UTC) + timedelta(days=2), True), None)


def test_format_date_attaches_zone_only_to_naive_times() -> None:
    naive = PageDate(datetime(2009, 9, 4, 13, 23), True)
    aware = PageDate(datetime(2009, 9, 4, 13, 23, tzinfo=timezone(timedelta(hours=-4))), True)
    day = PageDate(datetime(2009, 9, 4), False)
    assert format_date(naive, SHANGHAI) == "2009-09-04T13:23:00+08:00"
    assert format_date(naive, None) == "2009-09-04T13:23:00"
    assert format_date(aware, SHANGHAI) == "2009-09-04T13:23:00-04:00"
    assert format_date(day, SHANGHAI) == "2009-09-04"
    assert format_date(naive, load_zone("Europe/Moscow")) == "2009-09-04T13:23:00+04:00"


def test_zone_tokens_and_names() -> None:
    assert parse_zone("+0530") == timezone(timedelta(hours=5, minutes=30))
    assert parse_zone("GMT-3") == timezone(timedelta(hours=-3))
    assert parse_zone("北京时间") == timezone(timedelta(hours=8))
    assert parse_zone("+9999") is None
    assert load_zone("Not/AZone") is None
    assert load_zone("../../etc/passwd") is None
    assert load_zone(None) is None
