"""Bylines: split a short text line into source, authors, editors and dates.

``parse_byline("来源：人民网  作者：张三  责任编辑：李四")`` cuts the line at its
labels (来源, 作者, 记者, 责任编辑, "By", "Source:" ...): a value runs from its
label to the next label, date, bracket or whitespace run.  Sources, authors
and editors stay separate: an editor or a source is never an author.
``clean_names`` drops what is clearly not a name (sentences, URLs, digits).
Imports stdlib and the sibling ``dates`` module only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import DateMatch, find_dates

# A byline is a short line; longer lines are prose that mentions a 记者.
MAX_BYLINE_CHARS = 240
# Longest plausible values, in characters: a Chinese name is 2-4 ideographs
# (欧阳娜娜), a transliterated one with "·" reaches ~12 (阿卜杜拉·买买提);
# "人民网-人民日报海外版" is a 12-character source.
MAX_CJK_NAME_CHARS = 4
MAX_CJK_DOTTED_NAME_CHARS = 12
MAX_LATIN_NAME_CHARS = 48
MAX_LATIN_NAME_WORDS = 5
MAX_SOURCE_CHARS = 40

_ROLE_OF_LABEL = {
    "文章来源": "source", "新闻来源": "source", "信息来源": "source", "稿件来源": "source",
    "本文来源": "source", "来源": "source", "稿源": "source", "出处": "source", "转自": "source",
    "出自": "source", "source": "source", "quelle": "source", "fuente": "source",
    "作者": "author", "记者": "author", "撰文": "author", "撰稿": "author", "文": "author",
    "通讯员": "author", "特约记者": "author", "本报记者": "author", "by": "author",
    "von": "author", "par": "author", "por": "author", "author": "author", "autor": "author",
    "责任编辑": "editor", "责编": "editor", "编辑": "editor", "编审": "editor", "编校": "editor",
    "editor": "editor", "edited by": "editor",
    "发布时间": "date", "发表时间": "date", "发表于": "date", "发布日期": "date", "日期": "date",
    "时间": "date", "更新时间": "date", "published": "date", "updated": "date", "posted": "date",
    "审核": "other", "校对": "other", "摄影": "other", "点击": "other", "浏览": "other",
    "阅读": "other", "字号": "other", "分享到": "other", "打印": "other", "关闭": "other",
}
_CJK_LABELS = sorted((k for k in _ROLE_OF_LABEL if not k.isascii() or k == "文"), key=len,
                     reverse=True)
# Characters a label can start with: lines without any are skipped cheaply.
_LABEL_START_CLASS = "[" + re.escape("".join(sorted(
    {k[0] for k in _ROLE_OF_LABEL} | {k[0].upper() for k in _ROLE_OF_LABEL}))) + "]"
_LABEL_START_RE = re.compile(_LABEL_START_CLASS)
_LABEL_RE = re.compile(
    # Every match starts with a label's first character: the lookahead lets
    # the engine leave most positions after one class test instead of trying
    # some 60 alternatives (2x faster on zyte lines, 4x on zh-dev ones).
    "(?=" + _LABEL_START_CLASS + ")(?:"
    r"(?P<cjk>" + "|".join(lbl for lbl in _CJK_LABELS if lbl != "文")
    + r"|(?:^|(?<=[\s【\[（(|]))文(?=\s?[/／]))\s{0,2}[:：/／]?"
    + r"|(?:^|(?<=[\s|(\[（·•]))(?P<latin>source|quelle|fuente|author|autor|editor|edited by"
    + r"|published|updated|posted)\s{0,2}:"
    + r"|(?:^|(?<=[\s|(\[]))(?P<by>by|von|par|por)\s+(?=(?-i:[A-ZÀ-ÞА-Я])))",
    re.IGNORECASE,
)
_DIGIT_RE = re.compile(r"\d")
# A value ends at brackets, sentence punctuation or a run of spaces.
_VALUE_END_RE = re.compile(r"[\[\]【】()（）<>《》|。，！？!?]|\s{2,}|\u3000|\u00a0")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
# A part of a byline longer than this is prose, not a name with decorations.
MAX_NAME_PART_CHARS = 200
# No \s* around the separators: on a long whitespace run that backtracks in
# quadratic time (tests/extract/test_robustness.py); parts are stripped anyway.
_NAME_SPLIT_RE = re.compile(r"[,，、;；/／&]|\band\b|\bund\b|\bet\b|\by\b|和|及")
_JUNK_PREFIX_RE = re.compile(r"^(?:本报|本台|本网|本刊|新华社|特约|实习|见习|首席|驻\S{1,6}|[:：/／\s])+")
_JUNK_SUFFIX_RE = re.compile(
    r"(?:报道|报导|摄影|[/／\s]摄|[/／\s]文|供稿|整理|编译|发自\S*|[:：/／\s,，.])+$"
    r"|\s+(?:staff\s+writers?|staff\s+reporters?|staff|reporters?|correspondents?"
    r"|contributors?|contributing\s+writers?)$",
    re.IGNORECASE,
)
_URL_RE = re.compile(r"https?:|www\.|\.(?:com|cn|net|org)\b", re.IGNORECASE)
_LATIN_NAME_WORD_RE = re.compile(
    r"^(?:[A-ZÀ-ÞА-ЯЁ][\w'’.\-]*|de|da|del|der|den|van|von|la|le|di|du|bin|al|el)$"
)
_NOT_A_NAME = frozenset({"本报", "本台", "本网", "记者", "通讯员", "编辑", "作者", "来源", "未知",
                         "佚名", "admin", "administrator", "staff", "unknown", "null", "none"})


@dataclass(frozen=True, slots=True)
class Byline:
    """What one byline line says; empty tuples when it says nothing of that kind."""

    sources: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    dates: tuple[DateMatch, ...] = ()
    labelled_date: bool = False

    @property
    def empty(self) -> bool:
        return not (self.sources or self.authors or self.editors or self.dates)


# What most lines say (menu items, teasers): one shared empty Byline.
_NOTHING = Byline()


def parse_byline(line: str, chinese: bool = False, month_first: bool = True) -> Byline:
    """Return what a byline-like ``line`` says; an empty Byline for long or label-less text."""
    if len(line) > MAX_BYLINE_CHARS or (line.isascii() and not _may_be_latin_byline(line)):
        return _NOTHING
    dates = find_dates(line, chinese, month_first) if _DIGIT_RE.search(line) else []
    labels = list(_LABEL_RE.finditer(line)) if _LABEL_START_RE.search(line) else []
    if not dates and not labels:
        return _NOTHING
    values: dict[str, list[str]] = {"source": [], "author": [], "editor": []}
    labelled_date = False
    for index, label in enumerate(labels):
        role = _ROLE_OF_LABEL.get(_label_key(label), "other")
        end = labels[index + 1].start() if index + 1 < len(labels) else len(line)
        end = min([end] + [d.start for d in dates if d.start >= label.end()])
        if role == "date":
            labelled_date = labelled_date or any(label.end() <= d.start <= label.end() + 4
                                                 for d in dates)
            continue
        if role in values:
            values[role].append(_cut_value(line[label.end():end]))
    return Byline(
        sources=tuple(s for s in (clean_source(v) for v in values["source"]) if s),
        authors=clean_names(values["author"]),
        editors=clean_names(values["editor"]),
        dates=tuple(dates),
        labelled_date=labelled_date or bool(dates and labels),
    )


# The labels a line in ASCII can hold (the others are CJK).  Most lines
# near an English headline are menu items and teasers holding none of them
# and no digit, and say nothing; testing for that first takes a fraction of
# the label regex's time.
_ASCII_LABELS = tuple(k for k in _ROLE_OF_LABEL if k.isascii())
# Any of them as a substring: one regex pass instead of a find per label.
_ASCII_LABEL_RE = re.compile("|".join(map(re.escape, _ASCII_LABELS)))


def _may_be_latin_byline(line: str) -> bool:
    return bool(_DIGIT_RE.search(line) or _ASCII_LABEL_RE.search(line.lower()))


def _label_key(label: re.Match[str]) -> str:
    if label.group("cjk"):
        return re.sub(r"[\s:：/／]", "", label.group("cjk")) or "文"
    if label.group("latin"):
        return label.group("latin").lower()
    return label.group("by").lower()


def _cut_value(raw: str) -> str:
    raw = raw.lstrip(" :：/／\t")
    match = _VALUE_END_RE.search(raw)
    value = raw[: match.start()] if match else raw
    if _CJK_RE.search(value[:2]):
        # Chinese values hold no spaces except between several names.
        parts = value.split()
        value = " ".join(p for p in parts if _CJK_RE.search(p)) if len(parts) > 1 else value
    return value.strip(" ,，;；:：-–—|·•")


def clean_source(value: str) -> str | None:
    """Return a source name, or None when the value is clearly not one."""
    value = value.strip(" ,，;；:：-–—|·•\"'“”")
    if _CJK_RE.search(value[:2]) and " " in value:
        value = value.split()[0]
    if not value or len(value) > MAX_SOURCE_CHARS or _URL_RE.search(value) and " " in value:
        return None
    if value.lower() in _NOT_A_NAME or value.isdigit():
        return None
    return value


def clean_names(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Split values into single names, strip 本报/记者/摄 decorations, drop non-names."""
    names: list[str] = []
    for value in values:
        for part in _NAME_SPLIT_RE.split(value):
            part = part.strip()
            if len(part) > MAX_NAME_PART_CHARS:
                continue
            for name in _split_cjk_run(part):
                name = _JUNK_SUFFIX_RE.sub("", _JUNK_PREFIX_RE.sub("", name)).strip()
                if _is_name(name) and name not in names:
                    names.append(name)
    # "By Jane Doe, Reuters": a lone Latin word next to full names is an agency.
    if any(" " in n for n in names):
        names = [n for n in names if " " in n or _CJK_RE.search(n)]
    return tuple(names)


def _split_cjk_run(part: str) -> list[str]:
    if _CJK_RE.search(part) and " " in part:
        return part.split()
    return [part]


def _is_name(name: str) -> bool:
    if not name or name.lower() in _NOT_A_NAME or _URL_RE.search(name):
        return False
    if sum(c.isdigit() for c in name) > 0:
        return False
    if _CJK_RE.search(name):
        limit = MAX_CJK_DOTTED_NAME_CHARS if "·" in name else MAX_CJK_NAME_CHARS
        return 2 <= len(name) <= limit and " " not in name
    words = name.split()
    if len(name) > MAX_LATIN_NAME_CHARS or len(words) > MAX_LATIN_NAME_WORDS:
        return False
    return all(_LATIN_NAME_WORD_RE.match(w) for w in words)
