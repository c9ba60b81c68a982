"""The page context of the metadata stage: tags, headline, nearby lines and bylines.

``read_context`` does the tree work once — tags and JSON-LD, the headline,
the text lines around it and the short labelled lines elsewhere — so that
the choosers (dates, people, breadcrumbs, links) only look at plain values.
Imports stdlib and lxml.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import lxml.etree

from .bylines import Byline, parse_byline
from .language import MAX_DETECT_CHARS
from .parse import Document
from .regions import (
    Line,
    TextNodes,
    block_of,
    collect_headline_lines,
    collect_lines,
    find_labelled_blocks,
    find_marked_elements,
)
from .tags import PageTags, article_objects, collect_tags, ld_first, ld_text
from .text import normalize_space, text_of
from .titles import TitleCandidate, choose_title

MAX_HEADING_CANDIDATES = 40
MAX_HEADING_CHARS = 250
# Text sampled for language detection: headline, nearby lines, first paragraphs.
MAX_SAMPLE_PARAGRAPHS = 30
# Far bylines (labelled lines outside the headline region) count as this
# many lines away; a byline before the headline counts 3 lines extra.
FAR_LINE_DISTANCE = 40
BEFORE_HEADLINE_PENALTY = 3
# Byline lines longer than this are not handed to the body stage to drop:
# a lead paragraph naming its 记者 is article text.
MAX_BOILERPLATE_LINE_CHARS = 120
# Label blocks outside the headline region are walked with this budget.
MAX_LABEL_BLOCK_EVENTS = 200
# A line with a date but no label is a byline only when this short; longer
# ones are prose that starts with a date ("2009年9月4日，教育部...").
MAX_UNLABELLED_DATE_LINE_CHARS = 60

# Labels whose presence makes a short text node worth reading anywhere.
LABEL_RE = re.compile(
    "来源|稿源|出处|转自|作者|记者|编辑|责编|发布|发表|日期|时间|位置|Source:|SOURCE:"
)
MAX_HOME_LINKS = 10
# Evaluated on <body>: a leading //body would walk the whole document first.
_PLAIN_HREFS = lxml.etree.XPath("descendant::a/@href", smart_strings=False)
MAX_H1 = 5
MAX_H2 = 8
# class/id marks of headline blocks and of breadcrumb containers, matched
# against lower-cased values (twice as fast as a case-insensitive search).
_TITLE_MARK_RE = re.compile(r"title|headline|biaoti|heading|\btit\b|\bbt\b")
CRUMB_MARK_RE = re.compile(
    r"crumb|krume|pankuzu|ariane|miga|weizhi|dqwz|location|position|curpos|daohang|\bpath\b"
    r"|navpath|trail"
)
_MARK_RE = re.compile(_TITLE_MARK_RE.pattern + "|" + CRUMB_MARK_RE.pattern + "|font-size")
# Every match of _MARK_RE contains one of these (a fast prefilter).
_MARK_KEYWORDS = (
    "tit", "headline", "biaoti", "heading", "bt", "crumb", "krume", "pankuzu", "ariane",
    "miga", "weizhi", "dqwz", "location", "position", "curpos", "daohang", "path", "trail",
    "font-size",
)
_BIG_FONT_SIZES = frozenset({"4", "5", "6", "7", "+1", "+2", "+3", "+4"})
_FONT_SIZE_RE = re.compile(r"font-size\s*:\s*(\d+(?:\.\d+)?)\s*(px|pt|em|rem)", re.IGNORECASE)
# Inline font sizes at or above these mark a headline in table layouts.
MIN_HEADLINE_FONT_SIZES = {"px": 18.0, "pt": 14.0, "em": 1.4, "rem": 1.4}
_SITE_NAME_TYPES = frozenset({"organization", "newsmediaorganization", "website"})


@dataclass(frozen=True)
class FoundByline:
    """A byline line, what it says, and how far it stands from the headline."""

    line: Line
    byline: Byline
    distance: int


@dataclass
class PageContext:
    """What the metadata choosers read; built by ``read_context``."""

    doc: Document
    tags: PageTags
    articles: list[dict[str, Any]]
    site_names: tuple[str, ...]
    title: TitleCandidate | None
    headline: lxml.etree._Element | None
    lines: list[Line]
    headline_index: int
    labelled_lines: list[Line]
    crumb_elements: list[lxml.etree._Element]
    declared_language: str | None
    sample_text: str
    bylines: list[FoundByline] = field(default_factory=list)

    def read_bylines(self, chinese: bool, month_first: bool) -> None:
        """Parse the lines near the headline and the labelled lines into ``bylines``."""
        found: list[FoundByline] = []
        seen: set[str] = set()
        for index, line in enumerate(self.lines):
            if index == self.headline_index or line.text in seen:
                continue
            seen.add(line.text)
            distance = self._distance(index)
            self._add_byline(found, line, distance, chinese, month_first)
        for line in self.labelled_lines:
            if line.text not in seen:
                seen.add(line.text)
                self._add_byline(found, line, FAR_LINE_DISTANCE, chinese, month_first)
        self.bylines = sorted(found, key=lambda b: b.distance)

    def _distance(self, index: int) -> int:
        if self.headline_index < 0:
            return index + BEFORE_HEADLINE_PENALTY
        if index > self.headline_index:
            return index - self.headline_index
        return self.headline_index - index + BEFORE_HEADLINE_PENALTY

    @staticmethod
    def _add_byline(found: list[FoundByline], line: Line, distance: int, chinese: bool,
                    month_first: bool) -> None:
        byline = parse_byline(line.text, chinese, month_first)
        if byline.empty:
            return
        says_who = byline.sources or byline.authors or byline.editors or byline.labelled_date
        if not says_who and len(line.plain) > MAX_UNLABELLED_DATE_LINE_CHARS:
            return
        found.append(FoundByline(line, byline, distance))

    def boilerplate_lines(self) -> tuple[str, ...]:
        """Return the headline line and the byline lines, as plain text."""
        out: list[str] = []
        if 0 <= self.headline_index < len(self.lines):
            out.append(self.lines[self.headline_index].plain)
        out.extend(b.line.plain for b in self.bylines
                   if len(b.line.plain) <= MAX_BOILERPLATE_LINE_CHARS
                   and (b.distance < FAR_LINE_DISTANCE or b.byline.editors or b.byline.sources))
        return tuple(out)


def read_context(doc: Document) -> PageContext:
    """Read the tree once for everything the metadata choosers need."""
    root = doc.root
    tags = collect_tags(root)
    articles = article_objects(doc.json_ld)
    site_names = _site_names(tags, doc.json_ld, articles)
    marked = find_marked_elements(root, _MARK_RE, ("class", "id", "style", "aria-label"),
                                  _MARK_KEYWORDS)
    candidates = _title_candidates(root, tags, articles, marked)
    title = choose_title(candidates, tags.title, site_names)
    texts = TextNodes(root)
    headline = _headline_element(texts, title)
    if headline is not None:
        lines, headline_index = collect_headline_lines(headline)
    else:
        body = root.find("body")
        lines, headline_index = (collect_lines(body) if body is not None else ([], -1))
    return PageContext(
        doc=doc, tags=tags, articles=articles, site_names=site_names, title=title,
        headline=headline, lines=lines, headline_index=headline_index,
        labelled_lines=_labelled_lines(texts),
        crumb_elements=[e for e in marked if has_crumb_mark(e)] + _home_link_parents(root, doc.url),
        declared_language=_declared_language(doc, tags, articles),
        sample_text=_sample_text(root, title, lines),
    )


def _site_names(tags: PageTags, objects: tuple[dict[str, Any], ...],
                articles: list[dict[str, Any]]) -> tuple[str, ...]:
    names = [tags.first("og:site_name"), tags.first("application-name"),
             tags.first("apple-mobile-web-app-title"), ld_text(ld_first(articles, "publisher"))]
    for obj in objects:
        types = obj.get("@type")
        type_names = [t.lower() for t in (types if isinstance(types, list) else [types])
                      if isinstance(t, str)]
        if any(t in _SITE_NAME_TYPES for t in type_names):
            names.append(ld_text(obj.get("name")))
    return tuple(dict.fromkeys(n for n in names if n))


def has_crumb_mark(element: lxml.etree._Element) -> bool:
    marks = " ".join(element.get(name) or "" for name in ("class", "id", "aria-label"))
    return bool(CRUMB_MARK_RE.search(marks[:300].lower()))


def _home_link_parents(root: lxml.etree._Element, url: str) -> list[lxml.etree._Element]:
    """Return the parents of links to the home page: breadcrumb trails start with one."""
    parts = urlsplit(url) if url else None
    homes = ["/", "./", "index.html", "index.htm", "/index.html", "/index.htm", "/index.shtml"]
    if parts and parts.netloc:
        homes += [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://{parts.netloc}/"]
    wanted = frozenset(homes)
    body = root.find("body")
    if body is None:
        return []
    hrefs = _PLAIN_HREFS(body)
    if not isinstance(hrefs, list):
        return []
    indexes = list(itertools.compress(itertools.count(), map(
        wanted.__contains__, map(str.strip, hrefs))))[:MAX_HOME_LINKS]
    if not indexes:
        return []
    # The links in the order of their hrefs, up to the last one wanted (home
    # links come early): fetching each by its position took an XPath each,
    # and listing all of a page's links made hundreds of element proxies.
    links: list[lxml.etree._Element] = []
    for link in body.iter("a"):
        if link.get("href") is not None:
            links.append(link)
            if len(links) > indexes[-1]:
                break
    parents: list[lxml.etree._Element] = []
    for link in (links[i] for i in indexes):
        parent = link.getparent()
        if parent is not None and parent.tag not in ("li", "body") and parent not in parents:
            parents.append(parent)
    return parents


def _heading_elements(root: lxml.etree._Element,
                      marked: list[lxml.etree._Element]) -> list[lxml.etree._Element]:
    """Return h1s, the first h2s, big <font>s and title-marked or big-styled blocks."""
    elements: list[lxml.etree._Element] = []
    counts = {"h1": 0, "h2": 0}
    for element in root.iter("h1", "h2", "font"):
        if element.tag == "font":
            if (element.get("size") or "").strip() in _BIG_FONT_SIZES:
                elements.append(element)
        elif counts[element.tag] < (MAX_H1 if element.tag == "h1" else MAX_H2):
            counts[element.tag] += 1
            elements.append(element)
    for element in marked:
        marks = " ".join(element.get(name) or "" for name in ("class", "id"))
        if (_TITLE_MARK_RE.search(marks[:300].lower())
                or "font-size" in (element.get("style") or "")):
            elements.append(element)
    return elements


def _title_candidates(root: lxml.etree._Element, tags: PageTags,
                      articles: list[dict[str, Any]],
                      marked: list[lxml.etree._Element]) -> list[TitleCandidate]:
    candidates = [
        TitleCandidate(text, label) for text, label in (
            (ld_text(ld_first(articles, "headline")) or ld_text(ld_first(articles, "name")),
             "json-ld"),
            (tags.first("og:title"), "meta:og"),
            (tags.first("twitter:title"), "meta:twitter"),
        ) if text
    ]
    seen: set[Any] = set()
    for element in _heading_elements(root, marked):
        if len(seen) >= MAX_HEADING_CANDIDATES or element in seen:
            continue
        seen.add(element)
        label = _heading_label(element)
        if label is None:
            continue
        text = normalize_space(text_of(element)[: MAX_HEADING_CHARS * 2])
        if 0 < len(text) <= MAX_HEADING_CHARS:
            candidates.append(TitleCandidate(text, label, element))
    return candidates


def _heading_label(element: lxml.etree._Element) -> str | None:
    if element.tag == "h1":
        return "h1"
    style = element.get("style") or ""
    if "font-size" in style and element.tag not in ("h2",):
        match = _FONT_SIZE_RE.search(style[:500])
        if match is None:
            return None
        size, unit = float(match.group(1)), match.group(2).lower()
        return "heading" if size >= MIN_HEADLINE_FONT_SIZES[unit] else None
    if element.tag in ("body", "html", "a", "li", "ul", "ol", "table", "img", "input", "meta"):
        return None
    return "heading"


def _headline_element(texts: TextNodes,
                      title: TitleCandidate | None) -> lxml.etree._Element | None:
    if title is None:
        return None
    if title.element is not None:
        return title.element
    for hit in texts.equal_to(title.text):
        holder = hit.getparent()
        if holder is not None and hit.is_tail:
            holder = holder.getparent()
        if holder is not None and holder.tag not in ("title", "a", "option", "script"):
            block = block_of(holder)
            return block if block is not None else holder
    return None


def _labelled_lines(texts: TextNodes) -> list[Line]:
    out: list[Line] = []
    for block in find_labelled_blocks(texts, LABEL_RE):
        lines, _ = collect_lines(block, max_events=MAX_LABEL_BLOCK_EVENTS)
        out.extend(line for line in lines if LABEL_RE.search(line.text))
    return out


def _declared_language(doc: Document, tags: PageTags,
                       articles: list[dict[str, Any]]) -> str | None:
    header = next((v for k, v in doc.headers.items() if k.lower() == "content-language"), None)
    for value in (tags.html_lang, tags.first("content-language", "dc.language", "language"),
                  header, tags.first("og:locale"), ld_text(ld_first(articles, "inLanguage"))):
        if value and value.strip():
            return value.split(",")[0].strip()
    return None


def _sample_text(root: lxml.etree._Element, title: TitleCandidate | None,
                 lines: list[Line]) -> str:
    parts = [title.text] if title else []
    parts.extend(line.plain for line in lines)
    # Language detection reads the first MAX_DETECT_CHARS: no paragraph
    # after those changes them.
    size = sum(map(len, parts)) + len(parts) - 1
    for index, paragraph in enumerate(root.iter("p")):
        if index >= MAX_SAMPLE_PARAGRAPHS or size >= MAX_DETECT_CHARS:
            break
        parts.append(text_of(paragraph)[:400])
        size += len(parts[-1]) + 1
    return " ".join(parts)
