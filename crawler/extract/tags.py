"""Tags: the page's machine-readable metadata — ``<meta>``, ``<link>``, ``<time>``, microdata, JSON-LD.

``collect_tags`` reads them in a few tag-filtered iterations (libxml2 does
the filtering) and returns a ``PageTags``; the JSON-LD helpers pull typed
values out of the loosely shaped objects sites publish.  Nothing here
raises on odd input.  Imports stdlib and lxml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lxml.etree

from .text import normalize_space, text_of

MAX_ATTRIBUTE_CHARS = 2000
MAX_ITEMPROP_ELEMENTS = 200
# Compiled once: lxml compiles an expression string on every .xpath() call.
_ITEMPROPS = lxml.etree.XPath("descendant-or-self::*/@itemprop")
ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "webpage", "scholarlyarticle", "techarticle", "report", "posting",
    "liveblogposting", "backgroundnewsarticle", "reviewnewsarticle", "socialmediaposting",
})


@dataclass
class PageTags:
    """Machine-readable metadata of one page; keys are lower-cased attribute values."""

    meta: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    times: list[tuple[str, lxml.etree._Element]] = field(default_factory=list)
    itemprops: dict[str, list[lxml.etree._Element]] = field(default_factory=dict)
    html_lang: str | None = None
    title: str | None = None

    def first(self, *names: str) -> str | None:
        """Return the first non-empty meta content among ``names``, in that order."""
        for name in names:
            for value in self.meta.get(name, ()):
                if value:
                    return value
        return None


def collect_tags(root: lxml.etree._Element) -> PageTags:
    """Return the page's meta, link, time and itemprop facts."""
    tags = PageTags(html_lang=(root.get("lang") or root.get("xml:lang") or None))
    for element in root.iter("meta", "link", "time", "title"):
        if element.tag == "meta":
            _add_meta(tags, element)
        elif element.tag == "link":
            href = (element.get("href") or "").strip()[:MAX_ATTRIBUTE_CHARS]
            for rel in (element.get("rel") or "").lower().split():
                if href:
                    tags.links.setdefault(rel, []).append(href)
        elif element.tag == "time":
            value = element.get("datetime") or text_of(element)
            tags.times.append((value[:MAX_ATTRIBUTE_CHARS], element))
        elif tags.title is None and getattr(element.getparent(), "tag", "svg") != "svg":
            tags.title = normalize_space(text_of(element)) or None
    body = root.find("body")
    values = _ITEMPROPS(body) if body is not None else []
    for value in values[:MAX_ITEMPROP_ELEMENTS] if isinstance(values, list) else []:
        element = value.getparent() if isinstance(value, lxml.etree._ElementUnicodeResult) else None
        for prop in str(value).lower().split() if element is not None else ():
            tags.itemprops.setdefault(prop, []).append(element)
    return tags


def _add_meta(tags: PageTags, element: lxml.etree._Element) -> None:
    content = element.get("content")
    if content is None:
        if element.get("charset") is None:
            return
        content = ""
    content = normalize_space(content[:MAX_ATTRIBUTE_CHARS])
    for attribute in ("name", "property", "itemprop", "http-equiv"):
        key = (element.get(attribute) or "").strip().lower()
        if key:
            tags.meta.setdefault(key, []).append(content)


def itemprop_value(element: lxml.etree._Element) -> str:
    """Return a microdata element's value: content/datetime/href attribute or its text."""
    for attribute in ("content", "datetime"):
        value = element.get(attribute)
        if value:
            return normalize_space(value[:MAX_ATTRIBUTE_CHARS])
    if element.tag == "link":
        return (element.get("href") or "").strip()[:MAX_ATTRIBUTE_CHARS]
    return normalize_space(text_of(element)[:MAX_ATTRIBUTE_CHARS])


def article_objects(objects: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """Return the JSON-LD objects that describe an article (Article types first)."""
    ranked: list[tuple[int, dict[str, Any]]] = []
    for obj in objects:
        types = obj.get("@type")
        names = [t.lower() for t in (types if isinstance(types, list) else [types])
                 if isinstance(t, str)]
        if any(n in ARTICLE_TYPES for n in names):
            ranked.append((0 if any("article" in n or "posting" in n for n in names) else 1, obj))
    return [obj for _, obj in sorted(ranked, key=lambda pair: pair[0])]


def ld_text(value: Any) -> str | None:
    """Return a JSON-LD value as one clean string (first of a list; ``name``/``@value`` of a dict)."""
    if isinstance(value, list):
        for item in value:
            text = ld_text(item)
            if text:
                return text
        return None
    if isinstance(value, dict):
        return ld_text(value.get("name") or value.get("@value") or value.get("url"))
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = normalize_space(str(value)[:MAX_ATTRIBUTE_CHARS])
        return text or None
    return None


def ld_names(value: Any) -> list[str]:
    """Return every name in a JSON-LD author-like value (string, object or list of them)."""
    if isinstance(value, list):
        return [name for item in value[:20] for name in ld_names(item)]
    text = ld_text(value)
    return [text] if text else []


def ld_url(value: Any) -> str | None:
    """Return the URL of a JSON-LD image-like value (string, ImageObject or list)."""
    if isinstance(value, list):
        return next((u for u in (ld_url(v) for v in value[:10]) if u), None)
    if isinstance(value, dict):
        return ld_url(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if isinstance(value, str) and value.strip():
        return value.strip()[:MAX_ATTRIBUTE_CHARS]
    return None


def ld_first(objects: list[dict[str, Any]], key: str) -> Any:
    """Return the first present value of ``key`` among ``objects``."""
    for obj in objects:
        value = obj.get(key)
        if value not in (None, "", [], {}):
            return value
    return None
