"""Dating: every place a page states when it was published or modified, scored.

``collect_date_candidates`` turns JSON-LD, meta tags, microdata, ``<time>``,
bylines and the URL into ``DateCandidate`` values weighted by
``DATE_RULES``; the orchestrator keeps the heaviest plausible one.
Machine-readable statements outrank text, a byline near the headline
outranks ``<time>`` elements (which also date sidebar items), and the URL
date comes last.  Imports stdlib, lxml and python-dateutil.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import PageDate, find_url_date, parse_machine_date
from .page import FAR_LINE_DISTANCE, PageContext
from .tags import itemprop_value, ld_first, ld_text

# (label stored in articles.date_source, weight)
DATE_RULES = {
    "json-ld": 10.0,
    "meta:article": 10.0,
    "meta:og": 9.5,
    "microdata": 8.0,
    "meta": 7.0,
    "byline": 6.0,
    "time": 5.0,
    "script": 3.0,
    "url": 2.0,
}
# Meta names and their labels, in order of trust within a label.
PUBLISHED_META = (
    ("article:published_time", "meta:article"),
    ("article:published", "meta:article"),
    ("og:published_time", "meta:og"),
    ("og:article:published_time", "meta:og"),
    ("datepublished", "microdata"),
    ("pubdate", "meta"), ("publishdate", "meta"), ("publish-date", "meta"),
    ("publish_date", "meta"), ("published_time", "meta"), ("article.published", "meta"),
    ("parsely-pub-date", "meta"), ("sailthru.date", "meta"), ("dc.date.issued", "meta"),
    ("dcterms.issued", "meta"), ("dc.date", "meta"), ("dcterms.date", "meta"),
    ("dcterms.created", "meta"), ("dc.date.created", "meta"), ("date", "meta"),
    ("originalpublicationdate", "meta"), ("displaydate", "meta"), ("cxenseparse:recs:publishtime", "meta"),
)
MODIFIED_META = (
    ("article:modified_time", "meta:article"), ("og:updated_time", "meta:og"),
    ("datemodified", "microdata"), ("dc.date.modified", "meta"), ("dcterms.modified", "meta"),
    ("last-modified", "meta"), ("lastmod", "meta"), ("modified", "meta"),
)
# Each line between a byline and the headline costs this much weight, so a
# near byline beats <time> (5.0) and a far one (sidebar) falls below the URL.
BYLINE_DISTANCE_COST = 0.25
MAX_TIME_ELEMENTS = 5
# Inline scripts of app-style pages (WeChat, CMS templates) assign the date
# to a variable; only this much of each script is scanned.
MAX_SCRIPT_CHARS = 50_000
MAX_SCRIPTS = 30
_SCRIPT_DATE_WORDS = ("ublish", "UBLISH", "ub_", "UB_", "ubt", "ubT", "UBT", "ubd", "ubD", "UBD",
                      "reate_", "REATE_", "reatet", "reateT", "REATET", "elease", "ELEASE",
                      "ate_pub", "atePub", "ATE_PUB", "atepub")
_SCRIPT_DATE_RE = re.compile(
    # The lookahead lets the engine skip most positions with one class test.
    r"""(?=[pPcCrRdD])\b(?:publish_?time|pub_?time|pub_?date|publish_?date|create_?time|release_?time"""
    r"""|date_?published)["']?\s{0,3}[=:]\s{0,3}["']?"""
    r"""(\d{10}(?!\d)|(?:19|20)\d\d[-/]\d{1,2}[-/]\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?)""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateCandidate:
    """A date statement, the rule that found it and that rule's weight."""

    date: PageDate
    label: str
    weight: float


def collect_date_candidates(context: PageContext) -> list[DateCandidate]:
    """Return every publication date the page states, with label and weight."""
    chinese = _chinese(context)
    out: list[DateCandidate] = []
    _add(out, ld_text(ld_first(context.articles, "datePublished")), "json-ld", 0.0, chinese)
    _add(out, ld_text(ld_first(context.articles, "dateCreated")), "json-ld", -1.0, chinese)
    for rank, (name, label) in enumerate(PUBLISHED_META):
        _add(out, context.tags.first(name), label, -0.01 * rank, chinese)
    for element in context.tags.itemprops.get("datepublished", [])[:3]:
        _add(out, itemprop_value(element), "microdata", 0.0, chinese)
    for rank, (value, element) in enumerate(context.tags.times[:MAX_TIME_ELEMENTS]):
        bonus = 0.5 if element.get("pubdate") is not None else -0.1 * rank
        _add(out, value, "time", bonus, chinese)
    for found in context.bylines:
        if not found.byline.dates:
            continue
        cost = BYLINE_DISTANCE_COST * min(found.distance, FAR_LINE_DISTANCE)
        bonus = 0.5 if found.byline.labelled_date else 0.0
        date = found.byline.dates[0].date
        out.append(DateCandidate(date, "byline", DATE_RULES["byline"] + bonus - cost))
    for rank, value in enumerate(_script_dates(context)):
        _add(out, value, "script", -0.1 * rank, chinese)
    url_date = find_url_date(context.doc.url or "")
    if url_date is not None:
        out.append(DateCandidate(url_date, "url", DATE_RULES["url"]))
    return out


def collect_modified_candidates(context: PageContext) -> list[DateCandidate]:
    """Return every modification date the page states, with label and weight."""
    chinese = _chinese(context)
    out: list[DateCandidate] = []
    _add(out, ld_text(ld_first(context.articles, "dateModified")), "json-ld", 0.0, chinese)
    for rank, (name, label) in enumerate(MODIFIED_META):
        _add(out, context.tags.first(name), label, -0.01 * rank, chinese)
    for element in context.tags.itemprops.get("datemodified", [])[:3]:
        _add(out, itemprop_value(element), "microdata", 0.0, chinese)
    return out


def _add(out: list[DateCandidate], value: str | None, label: str, bonus: float,
         chinese: bool) -> None:
    if not value:
        return
    page_date = parse_machine_date(value, chinese)
    if page_date is not None:
        out.append(DateCandidate(page_date, label, DATE_RULES[label] + bonus))


def _script_dates(context: PageContext) -> list[str]:
    values: list[str] = []
    for index, script in enumerate(context.doc.root.iter("script")):
        if index >= MAX_SCRIPTS:
            break
        if script.get("src") or not script.text or "json" in (script.get("type") or ""):
            continue  # JSON-LD and JSON state are read as structured data elsewhere
        text = script.text[:MAX_SCRIPT_CHARS]
        # Substring tests are far cheaper than the case-insensitive regex (or
        # lower-casing) over a big inline script; every match holds one.
        if not any(word in text for word in _SCRIPT_DATE_WORDS):
            continue
        values.extend(_script_date_values(text))
    return values[:5]


# Every match of _SCRIPT_DATE_RE starts with one of these, in some case.
_SCRIPT_DATE_STARTS = ("pub", "creat", "relea", "date")


def _script_date_values(text: str) -> list[str]:
    """Return the dates that ``_SCRIPT_DATE_RE`` finds in ``text``, in order.

    The pattern is tried only where the lower-cased text holds one of the
    words a match starts with (found with str.find): letting the regex
    engine try every position of a 50 KB script took a few percent of all
    extraction time on the zyte pages.
    """
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lower-case to two
        return [m.group(1) for m in _SCRIPT_DATE_RE.finditer(text)]
    starts: set[int] = set()
    for word in _SCRIPT_DATE_STARTS:
        at = lowered.find(word)
        while at != -1:
            starts.add(at)
            at = lowered.find(word, at + 1)
    values: list[str] = []
    end = 0
    for at in sorted(starts):
        match = _SCRIPT_DATE_RE.match(text, at) if at >= end else None
        if match:
            values.append(match.group(1))
            end = match.end()
    return values


def _chinese(context: PageContext) -> bool:
    declared = (context.declared_language or "").lower()
    return declared.startswith("zh") or context.doc.encoding.lower().startswith("gb")
