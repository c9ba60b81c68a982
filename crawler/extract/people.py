"""People: the source (来源), the authors and the editors of an article, kept apart.

Visible bylines near the headline come first (label ``byline``); then
microdata/``rel=author``, JSON-LD and meta tags.  The publisher name and
``og:site_name`` are a last resort for the source and are flagged by their
labels (``json-ld:publisher``, ``meta:site_name``).  A name that is the
source, the site or an editor is never kept as an author.  Imports stdlib,
lxml and the sibling modules.
"""

from __future__ import annotations

from dataclasses import dataclass

import lxml.etree

from .bylines import clean_names, clean_source
from .page import FAR_LINE_DISTANCE, PageContext
from .tags import ld_first, ld_names, ld_text
from .text import text_of

# Authors are read from bylines at most this many lines from the headline;
# farther "作者" lines belong to comments or related items.
MAX_AUTHOR_LINE_DISTANCE = 15
AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
               "dcterms.creator", "byl")
# Compiled once: lxml compiles an expression string on every .xpath() call.
_REL_AUTHOR_LINKS = lxml.etree.XPath("descendant::a[contains(@rel, 'author')]")
SOURCE_META = ("source", "contentsource", "article:source", "og:article:source", "dc.publisher")


@dataclass(frozen=True)
class People:
    """Who wrote, who supplied and who edited the article, with the source's label."""

    source: str | None = None
    source_source: str | None = None
    authors: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()


def choose_people(context: PageContext) -> People:
    """Return the article's source, authors and editors (empty when the page names none)."""
    source, source_label = _choose_source(context)
    editors = _editors(context)
    site_keys = {n.lower() for n in context.site_names}
    excluded = {name.lower() for name in editors} | site_keys | ({source.lower()} if source else set())
    authors = tuple(a for a in _authors(context) if a.lower() not in excluded)
    return People(source, source_label, authors, editors)


def _choose_source(context: PageContext) -> tuple[str | None, str | None]:
    for found in context.bylines:
        if found.byline.sources:
            return found.byline.sources[0], "byline"
    for name in SOURCE_META:
        value = clean_source(context.tags.first(name) or "")
        if value:
            return value, "meta"
    publisher = clean_source(ld_text(ld_first(context.articles, "publisher")) or "")
    if publisher:
        return publisher, "json-ld:publisher"
    site_name = clean_source(context.tags.first("og:site_name") or "")
    if site_name:
        return site_name, "meta:site_name"
    return None, None


def _editors(context: PageContext) -> tuple[str, ...]:
    names: list[str] = []
    for found in context.bylines:
        names.extend(n for n in found.byline.editors if n not in names)
    return tuple(names)


def _authors(context: PageContext) -> tuple[str, ...]:
    for found in context.bylines:
        if found.byline.authors and found.distance <= min(MAX_AUTHOR_LINE_DISTANCE, FAR_LINE_DISTANCE):
            near = [n for b in context.bylines if b.distance <= found.distance + 2
                    for n in b.byline.authors]
            return tuple(dict.fromkeys(near))
    visible = [text_of(e) for e in context.tags.itemprops.get("author", [])[:5]]
    body = context.doc.root.find("body")
    rel_authors = _REL_AUTHOR_LINKS(body) if body is not None else []
    visible += [text_of(e) for e in rel_authors[:5]] if isinstance(rel_authors, list) else []
    for values in (visible, ld_names(ld_first(context.articles, "author"))):
        cleaned = clean_names([" ".join(v.split()) for v in values])
        if cleaned:
            return cleaned
    for name in AUTHOR_META:
        value = context.tags.first(name)
        if value and "://" not in value:
            cleaned = clean_names([value])
            if cleaned:
                return cleaned
    return ()
