"""The body stage: from a parsed page to the article's text.

``extract_body`` drops what no reader sees, cuts the page into blocks
(``blocks``), scores them and their containers (``scoring``), picks the
article's container and then keeps, in document order, the blocks of that
container that are prose or sit between prose (headings, short paragraphs,
list items, captions), leaving out boilerplate containers nested inside it,
link lists, and lines that repeat the headline or the byline.
Imports stdlib and lxml only.
"""

from __future__ import annotations

import re

from .blocks import HEADING_TAGS, Block, collect_blocks
from .errors import NotAnArticle
from .metadata import Metadata
from .model import ExtractOptions
from .parse import Document
from .scoring import (
    CAPTION_LINE_RE,
    MAX_CAPTION_WEIGHT,
    MAX_PROSE_LINK_DENSITY,
    is_boilerplate_line,
    is_prose_line,
    pick_container,
    score_candidates,
    text_weight,
)
from .text import cjk_count, normalize_space

# A boilerplate element nested in the container is kept after all when it
# holds more than this share of the container's prose: then its name lied
# (class="main-content has-sidebar").
MAX_FLAGGED_SHARE_OF_PROSE = 0.5

# Inside a kept multi-line block, a line more linked than this is a
# "related links" line stuck to the article by <br>s.
MAX_LINE_LINK_DENSITY = 0.5

GOOD, SHORT, BAD = "good", "short", "bad"


def extract_body(doc: Document, meta: Metadata, options: ExtractOptions,
                 blocks: list[Block] | None = None) -> str:
    """Return the article text, paragraphs separated by a blank line.

    ``blocks`` are the page's ``collect_blocks`` when the caller needs them
    too (``analyze_page``), so the page is walked once.  Raises
    NotAnArticle("body_too_short") when no container holds enough prose.
    """
    if blocks is None:
        blocks = collect_blocks(doc.root, captions=options.include_captions)
    containers = pick_container(score_candidates(blocks))
    if not containers:
        raise NotAnArticle("body_too_short", doc.url, "no prose found")
    kept = []
    for container in containers:
        inside = [b for b in blocks if container in b.ancestors]
        kept += _drop_nested_boilerplate(inside, container)
    paragraphs = _select(kept, _repeated_lines(meta), options.include_captions)
    text = "\n\n".join(paragraphs)
    if len(text) + cjk_count(text) < options.min_body_chars:
        raise NotAnArticle("body_too_short", doc.url, f"{len(text)} characters")
    return text


# Headline and byline lines weighing more than this (CJK counted twice) are
# not dropped as repeats: a lead paragraph that the page also uses as its
# description is the article.  160 passes an 80-character Chinese headline.
MAX_REPEATED_LINE_WEIGHT = 160


def _repeated_lines(meta: Metadata) -> set[str]:
    lines = {normalize_space(line) for line in meta.boilerplate_lines}
    if meta.title:
        lines.add(normalize_space(meta.title))
    return {line for line in lines
            if line and len(line) + cjk_count(line) <= MAX_REPEATED_LINE_WEIGHT
            and not _FULL_STOP_RE.search(line)}


# A line ending in a full stop is a sentence of the article (a lead with a
# dateline, 据新华社拉萨电（记者 …）…。), never a headline or a byline.
_FULL_STOP_RE = re.compile(r"[。.]\s*$")


def _drop_nested_boilerplate(inside: list[Block], container: object) -> list[Block]:
    """Leave out blocks below boilerplate elements nested in the container."""
    total = sum(b.weight for b in inside if b.weight > 0) or 1.0
    per_flag: dict[object, float] = {}
    for block in inside:
        for el in _flags_below(block, container):
            if block.weight > 0:
                per_flag[el] = per_flag.get(el, 0.0) + block.weight
    liars = {el for el, w in per_flag.items() if w / total > MAX_FLAGGED_SHARE_OF_PROSE}
    return [b for b in inside if all(el in liars for el in _flags_below(b, container))]


def _flags_below(block: Block, container: object) -> list[object]:
    if not block.flagged:
        return []
    depth = block.ancestors.index(container)
    below = block.ancestors[:depth]
    return [el for el in block.flagged if el in below]


def _classify(block: Block, repeated: set[str], captions: bool) -> str:
    if text_weight(block) <= MAX_CAPTION_WEIGHT and CAPTION_LINE_RE.search(block.text):
        # Before the repeat test: a credit names the reporter, as a byline does.
        return GOOD if captions else BAD
    if block.text in repeated and not _quoted(block):
        # A quoted post ends with an attribution that reads like a byline.
        return BAD
    if block.weight > 0:
        return GOOD
    if is_boilerplate_line(block):
        return BAD
    if block.link_density > MAX_PROSE_LINK_DENSITY and not _quoted(block):
        return BAD
    return SHORT


# How far up from a block a <blockquote> is looked for.
QUOTE_LEVELS = 4


def _quoted(block: Block) -> bool:
    """Whether the block sits in a blockquote: an embedded post is all links
    (@handles, t.co URLs, the date) and still part of the story."""
    return any(el.tag == "blockquote" for el in block.ancestors[:QUOTE_LEVELS])


def _units(blocks: list[Block], repeated: set[str], captions: bool) -> list[tuple[str, str, str]]:
    """Flatten blocks into (text, class, tag) lines.

    A one-line block keeps its block's class.  In a good block of several
    lines, the lines before its first prose line are judged as short blocks
    would be, so that a headline and byline glued to the first paragraph by
    ``<br>`` (a 2000s td) fall away; the lines after it are the article's.
    """
    units = []
    for block in blocks:
        cls = _classify(block, repeated, captions)
        if len(block.lines) == 1 or cls != GOOD:
            units += [(line.text, cls, block.tag) for line in block.lines]
            continue
        plain = [line.text not in repeated and line.link_density <= MAX_LINE_LINK_DENSITY
                 for line in block.lines]
        first = next((i for i, line in enumerate(block.lines)
                      if plain[i] and is_prose_line(line.text)), None)
        if first is None:
            # No line is a sentence: a list set with <br>s.  Only what comes
            # up to a repeated headline or byline line is the page's header.
            first = max((i + 1 for i, line in enumerate(block.lines)
                         if line.text in repeated), default=0)
        for i, line in enumerate(block.lines):
            line_cls = BAD if not plain[i] else GOOD if i >= first else SHORT
            units.append((line.text, line_cls, block.tag))
    return units


def _select(blocks: list[Block], repeated: set[str], captions: bool) -> list[str]:
    """Keep good lines, and short ones that sit between good ones."""
    units = _units(blocks, repeated, captions)
    classes = [cls for _, cls, _ in units]
    keep = [c == GOOD for c in classes]
    n = len(units)
    befores = _nearest_not_short(classes)
    afters = _nearest_not_short(classes[::-1])[::-1]
    for i, (text, cls, tag) in enumerate(units):
        if cls != SHORT:
            continue
        before, after = befores[i], afters[i]
        if tag in HEADING_TAGS:
            keep[i] = after == GOOD and before is not None
        elif before is None and i + 1 < n and classes[i + 1] == GOOD:
            # A salutation or lead-in ending in a colon opens the text after it.
            keep[i] = text.endswith((":", "："))
        else:
            # The container's end counts as prose: a list of dates or a
            # closing line after the last paragraph belongs to the article;
            # what follows a link list or a copyright line does not.
            keep[i] = before == GOOD and after in (GOOD, None)
    return _drop_repeats([text for (text, _, _), k in zip(units, keep) if k])


def _nearest_not_short(classes: list[str]) -> list[str | None]:
    """For each position, the last class before it that is not SHORT (None if none)."""
    nearest: list[str | None] = []
    last = None
    for cls in classes:
        nearest.append(last)
        if cls != SHORT:
            last = cls
    return nearest


# One of the first paragraphs whose character 8-grams mostly recur later is a
# summary box (摘要, 导读, a standfirst) repeating the text; the later copy
# stays.  Only the first few: recipes and lists legitimately repeat lines.
MAX_SUMMARY_POSITION = 3
REPEAT_SHINGLE_CHARS = 8
MIN_REPEAT_SHARE = 0.6
MIN_REPEAT_CHECK_CHARS = 40
# A summary box repeats the opening of the text; comparing the first few
# thousand characters of each paragraph finds it and keeps a 50 MB paragraph
# (tests/extract/test_robustness.py) from costing millions of shingles.
MAX_SHINGLED_CHARS = 4000


def _drop_repeats(paragraphs: list[str]) -> list[str]:
    """Leave out paragraphs that a later paragraph repeats."""
    if len(paragraphs) < 2:
        return paragraphs
    window = [_shingles(p) for p in paragraphs[:2 * MAX_SUMMARY_POSITION]]
    keep = [True] * len(paragraphs)
    for i in range(min(MAX_SUMMARY_POSITION, len(paragraphs) - 1)):
        grams = window[i]
        if len(paragraphs[i]) < MIN_REPEAT_CHECK_CHARS or not grams:
            continue
        later = set().union(*window[i + 1:i + 1 + MAX_SUMMARY_POSITION])
        if len(grams & later) / len(grams) >= MIN_REPEAT_SHARE:
            keep[i] = False
    return [p for p, k in zip(paragraphs, keep) if k]


def _shingles(text: str) -> set[str]:
    compact = "".join(text[:MAX_SHINGLED_CHARS].split())
    n = REPEAT_SHINGLE_CHARS
    return {compact[i:i + n] for i in range(0, max(0, len(compact) - n + 1))}
