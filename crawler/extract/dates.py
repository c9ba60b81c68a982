"""Dates: find them in text, URLs and machine values; check them; format them as ISO 8601.

A date is held as a ``PageDate``: the wall-clock value, whether the page gave a
time of day and whether it gave a UTC offset.  ``find_dates`` scans visible
text (bylines) with our own bounded regexes; ``parse_machine_date`` reads
meta/JSON-LD/``<time>`` values with the stdlib and python-dateutil;
``find_url_date`` reads dates from URL paths.  ``format_date`` attaches a
fallback time zone, rejects values before 1990 or after the fetch, and returns
the ISO string: ``2009-09-04T13:23:00+08:00``; a value with a time but no known
zone stays naive (``2009-09-04T13:23:00``); a value without a time of day stays
a plain date (``2009-09-04``) — midnight in some zone would be invented.
Imports stdlib and python-dateutil only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateutil.parser

# Dates before this are CMS placeholders ("1970-01-01", "1900-01-01"), not news.
EARLIEST_YEAR = 1990
# Only this much of one text (a byline line, a meta value) is scanned, so that
# a megabyte of digits cannot cost more than a few microseconds per regex.
MAX_SCAN_CHARS = 2000
MAX_MACHINE_VALUE_CHARS = 80
# A local time without zone may be up to this far "after" the fetch in UTC
# terms (UTC+14 is the easternmost offset).
NAIVE_FUTURE_SLACK = timedelta(hours=14)
# How far around a text date a time of day may stand ("4 September 2009 • 1:16pm").
TIME_WINDOW_CHARS = 28


@dataclass(frozen=True)
class PageDate:
    """A date as the page gave it; ``value`` is aware iff the page gave an offset."""

    value: datetime
    has_time: bool
    # An epoch timestamp names an instant, shown in the page's zone when known.
    epoch: bool = False

    @property
    def aware(self) -> bool:
        return self.value.tzinfo is not None


@dataclass(frozen=True)
class DateMatch:
    """A date found in a text, with its span in that text."""

    start: int
    end: int
    date: PageDate


_MONTHS: dict[str, int] = {}
for _number, _names in enumerate((
    "january jan januar jänner janvier enero gennaio janeiro januari января январь",
    "february feb februar février fevrier febrero febbraio fevereiro februari февраля февраль",
    "march mar märz maerz mars marzo março maart марта март",
    "april apr avril abril aprile апреля апрель",
    "may mai mayo maggio maio mei мая май",
    "june jun juni juin junio giugno junho июня июнь",
    "july jul juli juillet julio luglio julho июля июль",
    "august aug août aout agosto augustus августа август",
    "september sep sept septembre septiembre setiembre settembre setembro сентября сентябрь",
    "october oct oktober octobre octubre ottobre outubro октября октябрь",
    "november nov novembre noviembre novembro ноября ноябрь",
    "december dec dezember décembre decembre diciembre dicembre dezembro декабря декабрь",
), start=1):
    for _name in _names.split():
        _MONTHS[_name] = _number
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
# A lookahead for the letters month names start with: the engine leaves
# most positions after one class test instead of trying ~130 names (the
# text-date regexes ran 4x faster on the benchmark pages' byline lines).
_MONTH_START = "(?=[" + re.escape("".join(sorted({n[0] for n in _MONTHS}))) + "])"

_TZ_ALT = (
    r"[+-]\d{2}:?\d{2}(?!\d)|Z(?![A-Za-z])|(?:GMT|UTC)\s?[+-]\s?\d{1,2}(?::?\d{2})?(?!\d)"
    r"|GMT|UTC|[ECMP][SD]T|BST|CEST|CET|JST|KST|HKT|SGT|MSK|AEST|AEDT|IST|北京时间"
)
_TIME = (
    r"(?P<H>[0-2]?\d)\s?[:：时時点點]\s?(?P<M>[0-5]\d)(?:\s?[:：分]\s?(?P<S>[0-5]\d))?(?:\s?秒)?"
    r"(?:\s?(?P<ampm>[AaPp]\.?[Mm]\.?))?(?:\s{0,2}(?P<tz>" + _TZ_ALT + r"))?"
)
# The numeric patterns open with a lookahead for their first character, as
# the text ones do: a lookbehind first kept the engine from skipping ahead
# (2-3x faster on the benchmark bodies' lines).
_YMD_RE = re.compile(
    r"(?=[12])(?<!\d)(?P<y>(?:19|20)\d\d)\s{0,2}(?P<sep>[-/.年년])"
    r"\s{0,2}(?P<m>[01]?\d)\s{0,2}[-/.月월]"
    r"\s{0,2}(?P<d>[0-3]?\d)(?!\d)\s{0,2}[日일号]?"
    r"(?:(?:\s{0,3}|T|[,，]\s{0,2})" + _TIME + r")?"
)
_DMY_NUM_RE = re.compile(
    r"(?=\d)(?<![\d.])(?P<a>[0-3]?\d)(?P<sep>[./])(?P<b>[01]?\d)(?P=sep)(?P<y>(?:19|20)\d\d)(?!\d)"
    r"(?:(?:\s{1,3}|,\s{0,2})" + _TIME + r")?"
)
_TEXT_MDY_RE = re.compile(
    r"\b" + _MONTH_START + r"(?P<mon>" + _MONTH_ALT
    + r")\.?\s{1,3}(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s{1,3}"
    r"(?P<y>(?:19|20)\d\d)(?!\d)", re.IGNORECASE,
)
_TEXT_DMY_RE = re.compile(
    r"(?<!\d)(?P<d>[0-3]?\d)(?:st|nd|rd|th|er|º)?\.?\s{0,3}(?:de\s{1,2})?\b" + _MONTH_START
    + r"(?P<mon>" + _MONTH_ALT
    + r")\b\.?,?\s{1,3}(?:de\s{1,2})?(?P<y>(?:19|20)\d\d)(?!\d)", re.IGNORECASE,
)
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
_TIME_RE = re.compile(r"(?=\d)(?<![\d:])" + _TIME)
_BEIJING_RE = re.compile(r"北京时间")
_URL_DATE_RES = (
    re.compile(r"/((?:19|20)\d\d)[/-]([01]\d)[/-]([0-3]\d)(?=[/_.-]|$)"),
    re.compile(r"/((?:19|20)\d\d)([01]\d)/t((?:19|20)\d\d)([01]\d)([0-3]\d)_"),
    re.compile(r"(?<![\d])((?:19|20)\d\d)([01]\d)([0-3]\d)(?![\d])"),
    re.compile(r"/((?:19|20)\d\d)[/-]?([01]\d)[/-]([0-3]\d)/"),
)
_HAS_TIME_RE = re.compile(r"\d{1,2}:\d{2}")
_EPOCH_RE = re.compile(r"\d{10}(?:\d{3})?")

_ABBREVIATIONS = {
    "UTC": 0.0, "GMT": 0.0, "Z": 0.0, "EST": -5.0, "EDT": -4.0, "CST": -6.0, "CDT": -5.0,
    "MST": -7.0, "MDT": -6.0, "PST": -8.0, "PDT": -7.0, "BST": 1.0, "CET": 1.0, "CEST": 2.0,
    "JST": 9.0, "KST": 9.0, "HKT": 8.0, "SGT": 8.0, "MSK": 3.0, "AEST": 10.0, "AEDT": 11.0,
    "IST": 5.5, "北京时间": 8.0,
}


def parse_zone(token: str, chinese: bool = False) -> tzinfo | None:
    """Return the fixed offset a zone token (``+0800``, ``GMT+8``, ``EDT``, ``北京时间``) names."""
    token = token.strip().upper().replace(" ", "")
    if token == "CST" and chinese:
        return timezone(timedelta(hours=8))
    if token in _ABBREVIATIONS:
        return timezone(timedelta(hours=_ABBREVIATIONS[token]))
    match = re.fullmatch(r"(?:GMT|UTC)?([+-])(\d{1,2}):?(\d{2})?", token)
    if not match:
        return None
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    sign = -1 if match.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _build(year: int, month: int, day: int, match: re.Match[str] | None,
           chinese: bool) -> PageDate | None:
    """Return the PageDate of a date and an optional time match, or None if invalid."""
    hour = minute = second = 0
    zone: tzinfo | None = None
    has_time = False
    if match is not None and match.group("H") is not None:
        hour, minute = int(match.group("H")), int(match.group("M"))
        second = int(match.group("S") or 0)
        ampm = (match.group("ampm") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        has_time = hour < 24
        if match.group("tz"):
            zone = parse_zone(match.group("tz"), chinese)
    try:
        value = datetime(year, month, day, hour if has_time else 0, minute if has_time else 0,
                         second if has_time else 0, tzinfo=zone if has_time else None)
    except ValueError:
        return None
    return PageDate(value, has_time)


def _nearby_time(text: str, start: int, end: int) -> re.Match[str] | None:
    """Return a time of day standing just after (or else just before) a text date."""
    after = _TIME_RE.search(text, end, min(len(text), end + TIME_WINDOW_CHARS))
    if after is not None:
        return after
    best = None
    for match in _TIME_RE.finditer(text, max(0, start - TIME_WINDOW_CHARS), start):
        best = match
    return best


def find_dates(text: str, chinese: bool = False, month_first: bool = True) -> list[DateMatch]:
    """Return the plausible-looking dates written in ``text``, in order of position.

    ``chinese`` reads ``CST`` as China Standard Time; ``month_first`` settles
    ``04/09/2009`` (US order) when neither number exceeds 12.
    """
    text = text[:MAX_SCAN_CHARS]
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, page_date: PageDate | None) -> None:
        if page_date is None or any(s < end and start < e for s, e in taken):
            return
        if page_date.aware is False and _BEIJING_RE.search(text, max(0, start - 8), start):
            page_date = PageDate(page_date.value.replace(tzinfo=parse_zone("北京时间")),
                                 page_date.has_time) if page_date.has_time else page_date
        taken.append((start, end))
        found.append(DateMatch(start, end, page_date))

    for m in _YMD_RE.finditer(text):
        add(m.start(), m.end(), _build(int(m["y"]), int(m["m"]), int(m["d"]), m, chinese))
    for m in _DMY_NUM_RE.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        if m["sep"] == "/" and month_first and a <= 12 and b <= 12 or b > 12:
            a, b = b, a
        add(m.start(), m.end(), _build(int(m["y"]), b, a, m, chinese))
    for regex in (_TEXT_MDY_RE, _TEXT_DMY_RE) if _YEAR_RE.search(text) else ():
        for m in regex.finditer(text):
            month = _MONTHS.get(m["mon"].lower())
            if month is None:
                continue
            clock = _nearby_time(text, m.start(), m.end())
            add(m.start(), m.end(), _build(int(m["y"]), month, int(m["d"]), clock, chinese))
    found.sort(key=lambda item: item.start)
    return found


def _tzinfos(name: str, offset: int | None) -> tzinfo | None:
    """dateutil ``tzinfos`` callback: known abbreviations only, never a warning."""
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    return parse_zone(name) if name else None


def parse_machine_date(value: str, chinese: bool = False) -> PageDate | None:
    """Return the PageDate of a machine-readable value (meta, JSON-LD, ``<time datetime>``).

    Accepts ISO 8601, epoch seconds/milliseconds and what python-dateutil
    reads unambiguously; returns None for anything else (never raises).
    """
    value = value.strip()[:MAX_MACHINE_VALUE_CHARS]
    if not value:
        return None
    if _EPOCH_RE.fullmatch(value):
        seconds = int(value[:10])
        try:
            return PageDate(datetime.fromtimestamp(seconds, tz=UTC), True, epoch=True)
        except (OverflowError, OSError, ValueError):
            return None
    has_time = bool(_HAS_TIME_RE.search(value))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        parsed = None
    if parsed is not None:
        return PageDate(parsed.replace(microsecond=0), has_time)
    found = find_dates(value, chinese)
    if found:
        return found[0].date
    return _parse_with_dateutil(value, has_time)


def _parse_with_dateutil(value: str, has_time: bool) -> PageDate | None:
    results = []
    # Two different defaults reveal values that lack a year, month or day.
    for default in (datetime(2001, 1, 1), datetime(2002, 2, 2)):
        try:
            results.append(dateutil.parser.parse(value, default=default, tzinfos=_tzinfos))
        except (ValueError, OverflowError, TypeError, ArithmeticError):
            return None
    first, second = results
    if first.date() != second.date():
        return None
    return PageDate(first.replace(microsecond=0), has_time)


def find_url_date(url: str) -> PageDate | None:
    """Return the date written in a URL path (``/2009/09/04/``, ``/t20090904_1.html``)."""
    path = url.split("?", 1)[0].split("#", 1)[0][:MAX_SCAN_CHARS]
    for regex in _URL_DATE_RES:
        match = regex.search(path)
        if match is None:
            continue
        groups = match.groups()[-3:]
        try:
            return PageDate(datetime(int(groups[0]), int(groups[1]), int(groups[2])), False)
        except ValueError:
            continue
    return None


def load_zone(name: str | None) -> tzinfo | None:
    """Return the IANA zone ``name``, or None when it is absent or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def is_plausible(page_date: PageDate, fetched_at: datetime | None) -> bool:
    """True when the date lies between 1990 and the fetch time."""
    now = fetched_at or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    value = page_date.value
    if value.year < EARLIEST_YEAR:
        return False
    if not page_date.has_time:
        return value.date() <= (now + timedelta(days=1)).date()
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC) <= now + NAIVE_FUTURE_SLACK
    return value <= now


def format_date(page_date: PageDate, zone: tzinfo | None) -> str:
    """Return the ISO 8601 string of ``page_date``; ``zone`` applies to naive times."""
    value = page_date.value
    if not page_date.has_time:
        return date(value.year, value.month, value.day).isoformat()
    if value.tzinfo is None and zone is not None:
        value = value.replace(tzinfo=zone)
    elif page_date.epoch and zone is not None:
        value = value.astimezone(zone)
    return value.replace(microsecond=0).isoformat()
