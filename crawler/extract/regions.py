"""Regions: the visible text lines of a bounded part of the page, read without changing it.

Walking a whole 300 KB page in Python costs more than parsing it, so the
metadata stage reads text lines only around the headline
(``headline_region``) and finds labelled lines elsewhere with XPath string
tests that run inside libxml2 (``find_labelled_blocks``).  A line is the text
between two block boundaries; a run of spaces that holds ``&nbsp;`` or an
ideographic space is kept as two spaces, because old portals separate byline
fields with them.  Imports stdlib and lxml.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
from dataclasses import dataclass, field
from typing import Iterator

import lxml.etree

from .text import normalize_space

# The headline region grows up to this many ancestor levels while it holds
# at most MAX_REGION_ELEMENTS elements.  A table-layout byline sits in the
# next row (2 levels up: td → tr → table) or in the next table, a sibling of
# the region, which is read as well; a whole-page container is far above 400.
MAX_REGION_LEVELS = 3
MAX_REGION_ELEMENTS = 400
# Lines kept after and before the headline line; bylines follow within a
# few lines, breadcrumbs and kickers precede it.
LINES_AFTER_HEADLINE = 12
LINES_BEFORE_HEADLINE = 6
# Siblings of the headline region read for lines, and their walk budget.
SIBLINGS_BEFORE = 3
SIBLINGS_AFTER = 12
MAX_SIBLING_EVENTS = 300
# Walk budget when no headline element is known (start of <body>).
MAX_WALK_EVENTS = 3000
MAX_LINE_CHARS = 400
# Text nodes longer than this are prose, not labels.
MAX_LABEL_NODE_CHARS = 200
# Bylines, editors and trails need a handful of labelled text nodes.
MAX_LABELLED_BLOCKS = 20
MAX_MARKED_ELEMENTS = 80
# Marked attribute values are judged by their start (a style runs long).
MAX_MARK_CHARS = 300

BLOCK_TAGS = frozenset(
    ["address", "article", "aside", "blockquote", "body", "br", "center", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"]
)
SKIP_TAGS = frozenset(["script", "style", "noscript", "select", "option", "textarea", "iframe", "head", "template", "svg"])

# Compiled once: lxml compiles an expression string on every .xpath() call.
_COUNT_ELEMENTS = lxml.etree.XPath("count(.//*)")
_GAP_RE = re.compile(r"\s*[\u00a0\u3000][\s\u00a0\u3000]*|\s+")


@dataclass(slots=True)
class Line:
    """One visible text line and the block element it belongs to.

    Not frozen: a no-headline page makes hundreds, and a frozen dataclass
    sets each field through object.__setattr__.  Nothing changes them.
    """

    text: str
    element: lxml.etree._Element
    # The line with every whitespace run collapsed to one space; computed
    # once here, since bylines, breadcrumbs and the language sample all read it.
    plain: str = field(init=False)

    def __post_init__(self) -> None:
        self.plain = normalize_space(self.text)


def collapse_gaps(text: str) -> str:
    """Collapse whitespace runs to one space, or two where the run held a
    no-break or ideographic space (the gap between byline fields)."""
    if "\u00a0" not in text and "\u3000" not in text:
        return normalize_space(text)
    return _GAP_RE.sub(_gap, text).strip()


def _gap(match: re.Match[str]) -> str:
    run = match.group(0)
    return "  " if len(run) > 1 and ("\u00a0" in run or "\u3000" in run) else " "


def headline_region(headline: lxml.etree._Element) -> lxml.etree._Element:
    """Return the largest close ancestor of ``headline`` that is still small.

    Inline wrappers (``<b><font>``) do not count as levels.
    """
    region = headline
    levels = 0
    while levels < MAX_REGION_LEVELS:
        parent = region.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        if parent.tag in BLOCK_TAGS:
            size = _COUNT_ELEMENTS(parent)
            if not isinstance(size, float) or size > MAX_REGION_ELEMENTS:
                break
            levels += 1
        region = parent
    return region


def collect_headline_lines(headline: lxml.etree._Element) -> tuple[list[Line], int]:
    """Return the lines around ``headline`` and the index of its first line.

    The lines come from the headline region and from a few of the region's
    siblings, because a region that cannot grow (its parent is <body> or a
    large container) leaves the byline in the next sibling.
    """
    region = headline_region(headline)
    before: list[lxml.etree._Element] = []
    for sibling in region.itersiblings(preceding=True):
        if len(before) >= SIBLINGS_BEFORE:
            break
        before.append(sibling)
    lines: list[Line] = []
    for element in reversed(before):
        lines.extend(collect_lines(element, max_events=MAX_SIBLING_EVENTS)[0])
        _add_tail(lines, element)
    region_lines, index = collect_lines(region, headline)
    index = len(lines) + index if index >= 0 else -1
    lines.extend(region_lines)
    _add_tail(lines, region)
    for count, sibling in enumerate(region.itersiblings()):
        if count >= SIBLINGS_AFTER or index < 0 or len(lines) > index + LINES_AFTER_HEADLINE:
            break
        lines.extend(collect_lines(sibling, max_events=MAX_SIBLING_EVENTS)[0])
        _add_tail(lines, sibling)
    if index < 0:
        return lines[:LINES_AFTER_HEADLINE], -1
    start = max(0, index - LINES_BEFORE_HEADLINE)
    return lines[start:index + LINES_AFTER_HEADLINE + 1], index - start


def _add_tail(lines: list[Line], element: lxml.etree._Element) -> None:
    """Append the text that follows ``element`` inside its parent, if any."""
    parent = element.getparent()
    text = collapse_gaps(element.tail or "")[:MAX_LINE_CHARS]
    if text and parent is not None:
        lines.append(Line(text, parent))


def _end_line(lines: list[Line], parts: list[str], owner: lxml.etree._Element) -> None:
    """Append the pending text ``parts`` as a line of ``owner`` and empty them."""
    text = collapse_gaps("".join(parts))[:MAX_LINE_CHARS]
    if text:
        lines.append(Line(text, owner))
    parts.clear()


def collect_lines(region: lxml.etree._Element, anchor: lxml.etree._Element | None = None,
                  max_events: int = MAX_WALK_EVENTS) -> tuple[list[Line], int]:
    """Return the text lines of ``region`` and the index of the first line of ``anchor``.

    The walk stops LINES_AFTER_HEADLINE lines after the anchor, or after
    ``max_events`` elements; the index is -1 when the anchor was not met.
    """
    lines: list[Line] = []
    parts: list[str] = []
    owner = region
    anchor_index = -1
    events = 0
    # Elements only (parse_html drops comments and processing instructions).
    walker = lxml.etree.iterwalk(region, events=("start", "end"), tag=lxml.etree.Element)
    for event, element in walker:
        tag = element.tag
        if event == "start":
            events += 1
            if tag in SKIP_TAGS:
                # Nothing below is read, but its elements count toward the budget.
                events += sum(1 for _ in element.iter(lxml.etree.Element)) - 1
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS or element is anchor:
                if parts:
                    _end_line(lines, parts, owner)
                owner = element
            if element is anchor:
                anchor_index = len(lines)
            text = element.text
            # Whitespace that would start a line is stripped anyway; leaving
            # it out spares most _end_line calls (the page's indentation).
            if text and (parts or not text.isspace()):
                parts.append(text)
            continue
        if tag in BLOCK_TAGS or element is anchor:
            if parts:
                _end_line(lines, parts, owner)
            parent = element.getparent()
            owner = parent if parent is not None else region
        tail = element.tail
        if tail and element is not region and (parts or not tail.isspace()):
            parts.append(tail)
        if 0 <= anchor_index < len(lines) - LINES_AFTER_HEADLINE or events > max_events:
            break
    if parts:
        _end_line(lines, parts, owner)
    return lines, anchor_index


_PLAIN_TEXTS = lxml.etree.XPath(".//text()", smart_strings=False)
# XPath's normalize-space() knows only these four characters as whitespace.
_XPATH_SPACE_RE = re.compile("[ \t\r\n]+")
# Characters lxml refuses in an XPath string (they cannot occur in XML).
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class TextNodes:
    """The text nodes of a page's <body>, for the lookups that search them.

    They are listed as plain strings once, on first use, and shared: the
    headline and the labelled lines are both found by testing them in
    Python and fetching the few hits with a positional XPath, where an XPath
    predicate over every text node took longer than the listing.
    """

    def __init__(self, root: lxml.etree._Element) -> None:
        self.body = root.find("body")
        self._texts: list[str] | None = None

    @property
    def texts(self) -> list[str]:
        if self._texts is None:
            found = _PLAIN_TEXTS(self.body) if self.body is not None else []
            self._texts = found if isinstance(found, list) else []
        return self._texts

    @property
    def listed(self) -> bool:
        return self._texts is not None

    def fetch(self, indexes: list[int]) -> list[lxml.etree._ElementUnicodeResult]:
        """Return the text nodes at ``indexes`` of ``texts``, with their parents."""
        return fetch_positions(self.body, ".//text()", indexes) if self.body is not None else []

    def equal_to(self, text: str) -> Iterator[lxml.etree._ElementUnicodeResult]:
        """Yield, in document order, the text nodes whose XPath
        ``normalize-space()`` is ``text`` (none for text XPath cannot hold)."""
        if _NOT_XML_RE.search(text):
            return
        # Every space-separated word of the wanted text is in a node that
        # normalises to it, and the node starts and ends with its first and
        # last word: C string tests skip the other nodes (scripts, paragraphs).
        words = text.split(" ")
        word = max(words, key=len)
        for index, value in enumerate(self.texts):
            if word not in value:
                continue
            stripped = value.strip(" \t\r\n")
            if (stripped.startswith(words[0]) and stripped.endswith(words[-1])
                    and _XPATH_SPACE_RE.sub(" ", stripped) == text):
                yield from self.fetch([index])


def find_labelled_blocks(nodes: TextNodes,
                         label_re: re.Pattern[str]) -> list[lxml.etree._Element]:
    """Return the block elements holding a short text node that ``label_re`` matches.

    The page's flat text is checked first (the listed text nodes joined, or
    libxml2's serialisation when they are not listed yet), so pages without
    any label cost one fast pass.  Blocks are returned in document order,
    without repeats.
    """
    blocks: list[lxml.etree._Element] = []
    if nodes.body is None:
        return blocks
    flat = ("\n".join(nodes.texts) if nodes.listed
            else lxml.etree.tostring(nodes.body, method="text", encoding="unicode"))
    if not label_re.search(flat):
        return blocks
    wanted = [i for i, t in enumerate(nodes.texts) if label_re.search(t)
              and len(t) <= MAX_LABEL_NODE_CHARS]
    for hit in nodes.fetch(wanted[:MAX_LABELLED_BLOCKS]):
        holder = hit.getparent()
        if holder is not None and hit.is_tail:
            holder = holder.getparent()
        block = block_of(holder) if holder is not None else None
        if block is not None and block not in blocks:
            blocks.append(block)
    return blocks


def fetch_positions(node: lxml.etree._Element, expression: str,
                    indexes: list[int]) -> list[lxml.etree._ElementUnicodeResult]:
    """Return the results of ``expression`` at the given 0-based indexes, with parents.

    Listing all results as plain strings and fetching the few wanted ones
    again in one positional XPath avoids building an element proxy for
    every text node or attribute of the page.
    """
    found: list[lxml.etree._ElementUnicodeResult] = []
    for index in indexes:
        # One literal position per query: libxml2 stops at that node, while an
        # "or" of positions tests every node against every position.
        try:
            hits = node.xpath(f"({expression})[{index + 1}]")
        except lxml.etree.XPathError:
            return found
        if isinstance(hits, list):
            found.extend(h for h in hits if isinstance(h, lxml.etree._ElementUnicodeResult))
    return found


def find_marked_elements(root: lxml.etree._Element, mark_re: re.Pattern[str],
                         attributes: tuple[str, ...],
                         keywords: tuple[str, ...]) -> list[lxml.etree._Element]:
    """Return the elements of <body> whose given attributes match ``mark_re``, in order.

    ``mark_re`` is searched in the lower-cased start (MAX_MARK_CHARS) of each
    value; ``keywords`` are strings of which every match of it contains one.
    The values, read with one XPath, are joined into one lower-cased text and
    the keywords looked for with ``str.find``; only the values holding one
    are tested with the regex.  A page has thousands of class values, and a
    regex search over all of them cost milliseconds.
    """
    body = root.find("body")
    if body is None:
        return []
    try:
        values = _attribute_union(attributes)(body)
    except lxml.etree.XPathError:
        return []
    if not isinstance(values, list) or not values:
        return []
    lowered, starts = _join_lowered(values)
    found: list[lxml.etree._Element] = []
    for index in _holding(lowered, starts, keywords):
        start = starts[index]
        if not mark_re.search(lowered, start, min(starts[index + 1] - 1, start + MAX_MARK_CHARS)):
            continue
        value = values[index]
        element = value.getparent() if isinstance(value, lxml.etree._ElementUnicodeResult) else None
        if element is not None and (not found or found[-1] is not element):
            found.append(element)
        if len(found) >= MAX_MARKED_ELEMENTS:
            break
    return found


@functools.lru_cache(maxsize=8)
def _attribute_union(attributes: tuple[str, ...]) -> lxml.etree.XPath:
    """The XPath listing the values of ``attributes`` at or below a node, in
    document order; compiled once per attribute set (relative to <body>: a
    leading //body walks the whole document again for every branch)."""
    return lxml.etree.XPath(" | ".join(f"descendant-or-self::*/@{name}" for name in attributes))


def _join_lowered(values: list[str]) -> tuple[str, list[int]]:
    """Return ``values`` lower-cased and joined by newlines, and where each starts
    (one more offset at the end, for the end of the last)."""
    joined = "\n".join(values)
    lowered = joined.lower()
    if len(lowered) != len(joined):
        # A few characters lower-case to two ("İ"): offsets from the lowered values.
        values = [value.lower() for value in values]
        lowered = "\n".join(values)
    # Lengths plus one separator each, summed.
    starts = list(map(operator.add, itertools.accumulate(map(len, values), initial=0),
                      itertools.count()))
    return lowered, starts


def _holding(lowered: str, starts: list[int], keywords: tuple[str, ...]) -> list[int]:
    """Return, in order, the indexes of the joined values holding one of ``keywords``."""
    hits: set[int] = set()
    for word in keywords:
        at = lowered.find(word)
        while at != -1:
            index = bisect.bisect_right(starts, at) - 1
            hits.add(index)
            # One hit per value is enough: go on from the next value.
            at = lowered.find(word, starts[index + 1])
    return sorted(hits)


def block_of(element: lxml.etree._Element) -> lxml.etree._Element | None:
    """Return the nearest block-level element at or above ``element`` (not <body>)."""
    current: lxml.etree._Element | None = element
    while current is not None and current.tag not in BLOCK_TAGS:
        if current.tag in SKIP_TAGS:
            return None
        current = current.getparent()
    if current is None or current.tag == "body":
        return None
    return current
