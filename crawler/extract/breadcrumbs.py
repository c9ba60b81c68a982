"""Breadcrumbs: the section path of an article, from text, link lists or JSON-LD.

``split_breadcrumb`` reads text trails (``当前位置:首页 >> 新闻 >> 正文``,
``Home › World › Asia``); ``breadcrumb_from_element`` reads a breadcrumb
container's links; ``breadcrumb_from_json_ld`` reads a BreadcrumbList.
``clean_breadcrumb`` drops the home entry, ``正文`` and the article's own
title, so the last element left is the section.  Imports stdlib and lxml.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import lxml.etree

from .page import PageContext, has_crumb_mark
from .tags import ld_first, ld_text
from .text import normalize_space, text_of
from .titles import split_title

# A trail longer than this is a menu or a sentence, not a breadcrumb.
MAX_BREADCRUMB_CHARS = 200
MAX_CRUMB_CHARS = 40
MAX_CRUMBS = 8

_PREFIX_RE = re.compile(
    r"^\s*(?:您现在的位置|你现在的位置|您当前的位置|您的位置|你的位置|当前位置|现在位置|所在位置"
    r"|当前栏目|位置|现在地|現在位置|现在位置|you are here|current location|location|sie sind hier"
    r"|vous êtes ici|usted está en|está en|você está em|sei qui|u bent hier|вы здесь|вы находитесь)"
    r"\s*[:：]?\s*",
    re.IGNORECASE,
)
_SEPARATOR_RE = re.compile(r"(?:(?<!\s)\s+)?(?:>>|->|-->|＞＞|>|»|›|→|＞|/|\\|::|·|\|)\s*")
_STRONG_SEPARATOR_RE = re.compile(r">|»|›|→|＞")
# Between the steps of an unmarked trail; menus use "|" or nothing.
_TRAIL_SEPARATOR_RE = re.compile(r">|»|›|→|＞|\s/\s")
_ROOT_HREF_RE = re.compile(r"^(?:(?:https?:)?//[^/]+)?/?(?:index\.\w{3,5})?$", re.IGNORECASE)
_HOME_RE = re.compile(
    r"^(?:首页|主页|网站首页|本站首页|返回首页|home|homepage|home page|startseite|accueil|inicio"
    r"|главная|ホーム|トップ|홈)$", re.IGNORECASE,
)
_ARTICLE_RE = re.compile(r"^(?:正文|内容|详细内容|文章内容|正文内容|article|story|浏览文章|阅读文章)$",
                         re.IGNORECASE)
def split_breadcrumb(text: str) -> tuple[str, ...] | None:
    """Return the crumbs of a text trail, or None when ``text`` is no trail.

    A trail starts with a location label (``当前位置：``) or a home entry and
    has at least one strong separator (``>``, ``»``, ``›``).
    """
    text = normalize_space(text)
    if not text or len(text) > MAX_BREADCRUMB_CHARS:
        return None
    labelled = _PREFIX_RE.match(text)
    rest = text[labelled.end():] if labelled else text
    if not _STRONG_SEPARATOR_RE.search(rest) and not labelled:
        return None  # before the split: most lines near a headline are no trail
    parts = [p for p in _SEPARATOR_RE.split(rest) if p]
    if not labelled and not (parts and _HOME_RE.match(parts[0])):
        return None
    if not parts or any(len(p) > MAX_CRUMB_CHARS for p in parts):
        return None
    return tuple(parts)


def breadcrumb_from_element(element: lxml.etree._Element) -> tuple[str, ...] | None:
    """Return the crumbs of a breadcrumb container: its link texts plus a trailing text."""
    text = normalize_space(text_of(element)[: MAX_BREADCRUMB_CHARS * 2])
    if not text or len(text) > MAX_BREADCRUMB_CHARS:
        return None
    anchors = list(element.iter("a"))[: MAX_CRUMBS * 2]
    links = [normalize_space(text_of(a)) for a in anchors]
    links = [link for link in links if link]
    if len(links) >= 2 and _ROOT_HREF_RE.match(anchors[0].get("href") or "x"):
        links = links[1:]  # the home entry, often under the site's name
    from_text = split_breadcrumb(text)
    if from_text and len(from_text) >= len(links):
        return from_text
    if len(anchors) < 2 and not from_text:
        return None
    tail = _trailing_text(element, text)
    crumbs = [_PREFIX_RE.sub("", link) for link in links] + ([tail] if tail else [])
    crumbs = [c for c in crumbs if c]
    if not crumbs or any(len(c) > MAX_CRUMB_CHARS for c in crumbs):
        return from_text
    return tuple(crumbs)


def _trailing_text(element: lxml.etree._Element, text: str) -> str:
    anchors = list(element.iter("a"))
    if not anchors:
        return ""
    last = normalize_space(text_of(anchors[-1]))
    index = text.rfind(last) if last else -1
    tail = text[index + len(last):] if index >= 0 else ""
    return _SEPARATOR_RE.sub(" ", tail).strip()


def breadcrumb_from_json_ld(objects: tuple[dict[str, Any], ...]) -> tuple[str, ...] | None:
    """Return the names of the first JSON-LD BreadcrumbList, in position order."""
    for obj in objects:
        types = obj.get("@type")
        if "BreadcrumbList" not in (types if isinstance(types, list) else [types]):
            continue
        items = obj.get("itemListElement")
        if not isinstance(items, list):
            continue
        named: list[tuple[float, str]] = []
        for rank, item in enumerate(items):
            name = _crumb_name(item)
            if name:
                position = item.get("position") if isinstance(item, dict) else None
                named.append((_number(position, rank), name))
        if named:
            return tuple(name for _, name in sorted(named, key=lambda pair: pair[0]))
    return None


def _crumb_name(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    name = item.get("name")
    inner = item.get("item")
    if not isinstance(name, str) and isinstance(inner, dict):
        name = inner.get("name")
    return normalize_space(name)[:MAX_CRUMB_CHARS * 2] if isinstance(name, str) else None


def _number(value: Any, default: int) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float(default)


def clean_breadcrumb(crumbs: tuple[str, ...], title: str | None,
                     home_keys: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Drop the home entry, ``正文`` and the article title; return at most MAX_CRUMBS.

    A first crumb whose key is in ``home_keys`` (the site's name) is a home entry.
    """
    title_key = _key(title or "")
    kept: list[str] = []
    if crumbs and _key(crumbs[0]) in home_keys:
        crumbs = crumbs[1:]
    for crumb in crumbs:
        crumb = crumb.strip(" :：-–—|")
        key = _key(crumb)
        if not key or _HOME_RE.match(crumb) or _ARTICLE_RE.match(crumb):
            continue
        if title_key and (key == title_key or len(key) > 8 and key in title_key):
            continue
        if len(crumb) > MAX_CRUMB_CHARS or crumb in kept:
            continue
        kept.append(crumb)
    return tuple(kept[:MAX_CRUMBS])


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


MAX_CONTAINERS = 6


def choose_breadcrumb(context: PageContext) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    """Return (breadcrumb, section, the visible breadcrumb lines) of the page."""
    title = context.title.text if context.title else None
    home_keys = frozenset(_key(n) for n in context.site_names + _title_affixes(context))
    for crumbs, line in _trails(context):
        cleaned = clean_breadcrumb(crumbs, title, home_keys)
        if cleaned:
            return cleaned, cleaned[-1], (line,) if line else ()
    section = ld_text(ld_first(context.articles, "articleSection"))
    section = section or context.tags.first("article:section")
    return (), (section[:MAX_CRUMB_CHARS] if section else None), ()


def _title_affixes(context: PageContext) -> tuple[str, ...]:
    """Return the first and last <title> parts that are not the headline (site names)."""
    parts = split_title(context.tags.title or "")
    headline = _key(context.title.text) if context.title else ""
    if len(parts) < 2:
        return ()
    return tuple(p for p in (parts[0], parts[-1]) if _key(p) != headline)


def _trails(context: PageContext) -> Iterator[tuple[tuple[str, ...], str | None]]:
    from_json_ld = breadcrumb_from_json_ld(context.doc.json_ld)
    if from_json_ld:
        yield from_json_ld, None
    for line in context.labelled_lines:
        if _PREFIX_RE.match(line.plain):
            crumbs = split_breadcrumb(line.plain)
            if crumbs:
                yield crumbs, line.plain
    for element in context.crumb_elements[:MAX_CONTAINERS]:
        text = normalize_space(text_of(element)[:MAX_BREADCRUMB_CHARS * 2])
        if not has_crumb_mark(element) and not _TRAIL_SEPARATOR_RE.search(text):
            # Found only by its home link: a menu ("Home | News | Sports")
            # starts with one too; a trail says ">" or "»" between its steps.
            continue
        crumbs = breadcrumb_from_element(element)
        if crumbs:
            yield crumbs, text
    for line in context.lines:
        crumbs = split_breadcrumb(line.plain)
        if crumbs:
            yield crumbs, line.plain
