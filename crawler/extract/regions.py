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

import re
from dataclasses import dataclass

import lxml.etree
import lxml.html

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

BLOCK_TAGS = frozenset(
    ["address", "article", "aside", "blockquote", "body", "br", "center", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"]
)
SKIP_TAGS = frozenset(["script", "style", "noscript", "select", "option", "textarea", "iframe", "head", "template", "svg"])

_GAP_RE = re.compile(r"\s*[\u00a0\u3000][\s\u00a0\u3000]*|\s+")


@dataclass(frozen=True)
class Line:
    """One visible text line and the block element it belongs to."""

    text: str
    element: lxml.html.HtmlElement

    @property
    def plain(self) -> str:
        """The line with every whitespace run collapsed to one space."""
        return " ".join(self.text.split())


def _gap(match: re.Match[str]) -> str:
    run = match.group(0)
    return "  " if len(run) > 1 and ("\u00a0" in run or "\u3000" in run) else " "


def headline_region(headline: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
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
            size = parent.xpath("count(.//*)")
            if not isinstance(size, float) or size > MAX_REGION_ELEMENTS:
                break
            levels += 1
        region = parent
    return region


def collect_headline_lines(headline: lxml.html.HtmlElement) -> tuple[list[Line], int]:
    """Return the lines around ``headline`` and the index of its first line.

    The lines come from the headline region and from a few of the region's
    siblings, because a region that cannot grow (its parent is <body> or a
    large container) leaves the byline in the next sibling.
    """
    region = headline_region(headline)
    before: list[lxml.html.HtmlElement] = []
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


def _add_tail(lines: list[Line], element: lxml.html.HtmlElement) -> None:
    """Append the text that follows ``element`` inside its parent, if any."""
    parent = element.getparent()
    text = _GAP_RE.sub(_gap, element.tail or "").strip()[:MAX_LINE_CHARS]
    if text and parent is not None:
        lines.append(Line(text, parent))


class _LineWriter:
    """Accumulates text pieces and cuts them into lines at block boundaries."""

    def __init__(self, owner: lxml.html.HtmlElement) -> None:
        self.lines: list[Line] = []
        self.parts: list[str] = []
        self.owner = owner

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(text)

    def flush(self, next_owner: lxml.html.HtmlElement) -> None:
        if self.parts:
            text = _GAP_RE.sub(_gap, "".join(self.parts)).strip()[:MAX_LINE_CHARS]
            if text:
                self.lines.append(Line(text, self.owner))
            self.parts = []
        self.owner = next_owner


def collect_lines(region: lxml.html.HtmlElement, anchor: lxml.html.HtmlElement | None = None,
                  max_events: int = MAX_WALK_EVENTS) -> tuple[list[Line], int]:
    """Return the text lines of ``region`` and the index of the first line of ``anchor``.

    The walk stops LINES_AFTER_HEADLINE lines after the anchor, or after
    ``max_events`` elements; the index is -1 when the anchor was not met.
    """
    writer = _LineWriter(region)
    anchor_index = -1
    skipping = 0
    events = 0
    for event, element in lxml.etree.iterwalk(region, events=("start", "end")):
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            events += 1
            if tag in SKIP_TAGS or skipping:
                skipping += tag in SKIP_TAGS
                continue
            if tag in BLOCK_TAGS or element is anchor:
                writer.flush(element)
            if element is anchor:
                anchor_index = len(writer.lines)
            writer.add(element.text)
            continue
        skipping -= tag in SKIP_TAGS
        if skipping:
            continue
        if tag in BLOCK_TAGS or element is anchor:
            parent = element.getparent()
            writer.flush(parent if parent is not None else region)
        if element is not region:
            writer.add(element.tail)
        if 0 <= anchor_index < len(writer.lines) - LINES_AFTER_HEADLINE or events > max_events:
            break
    writer.flush(region)
    return writer.lines, anchor_index


_PLAIN_TEXTS = lxml.etree.XPath(".//text()", smart_strings=False)


def find_labelled_blocks(root: lxml.html.HtmlElement,
                         label_re: re.Pattern[str]) -> list[lxml.html.HtmlElement]:
    """Return the block elements holding a short text node that ``label_re`` matches.

    The page's flat text (serialised by libxml2) is checked first, so pages
    without any label cost one fast serialisation.  Blocks are returned in
    document order, without repeats.
    """
    blocks: list[lxml.html.HtmlElement] = []
    body = root.find("body")
    if body is None or not label_re.search(lxml.etree.tostring(body, method="text",
                                                                 encoding="unicode")):
        return blocks
    texts = _PLAIN_TEXTS(body)
    wanted = [i for i, t in enumerate(texts) if label_re.search(t)
              and len(t) <= MAX_LABEL_NODE_CHARS] if isinstance(texts, list) else []
    for hit in fetch_positions(body, ".//text()", wanted[:MAX_LABELLED_BLOCKS]):
        holder = hit.getparent()
        if holder is not None and hit.is_tail:
            holder = holder.getparent()
        block = block_of(holder) if holder is not None else None
        if block is not None and block not in blocks:
            blocks.append(block)
    return blocks


def fetch_positions(node: lxml.html.HtmlElement, expression: str,
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


def find_marked_elements(root: lxml.html.HtmlElement, mark_re: re.Pattern[str],
                         attributes: tuple[str, ...]) -> list[lxml.html.HtmlElement]:
    """Return the elements of <body> whose given attributes match ``mark_re``, in order.

    Reading the attribute values with one XPath and testing them in Python is
    several times faster than XPath ``contains(translate(...))`` tests.
    """
    union = " | ".join(f"//body//@{name}" for name in attributes)
    try:
        values = root.xpath(union)
    except lxml.etree.XPathError:
        return []
    found: list[lxml.html.HtmlElement] = []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, lxml.etree._ElementUnicodeResult) and mark_re.search(value[:300]):
            element = value.getparent()
            if element is not None and (not found or found[-1] is not element):
                found.append(element)
        if len(found) >= MAX_MARKED_ELEMENTS:
            break
    return found


def block_of(element: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """Return the nearest block-level element at or above ``element`` (not <body>)."""
    current: lxml.html.HtmlElement | None = element
    while current is not None and current.tag not in BLOCK_TAGS:
        if current.tag in SKIP_TAGS:
            return None
        current = current.getparent()
    if current is None or current.tag == "body":
        return None
    return current
