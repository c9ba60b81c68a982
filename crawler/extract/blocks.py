"""Cut a page into text blocks: the paragraph-sized units the body stage scores.

One ``iterwalk`` over the tree produces, in document order, every run of text
that a browser would show as its own line: the text of a ``p``, ``li``, ``td``,
heading..., or a run of a ``div``/``td`` between two ``<br>``s (2000s portals
write whole articles as one ``td`` with ``<br><br>&nbsp;&nbsp;`` between
paragraphs).  Each block remembers the element that owns it, how much of its
text sits inside links, and whether it lies inside an element whose tag,
class or id says boilerplate (``nav``, ``footer``, ``class="share-bar"``).
Imports stdlib and lxml only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree

from .text import cjk_count, normalize_space

# Elements whose text is never article text.
DROP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object",
    "embed", "button", "select", "input", "textarea", "option", "map", "audio",
    "video", "head", "title", "meta", "link", "marquee", "dialog",
})
# Elements that start a new line (the CSS display:block family plus table parts).
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html",
    "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "caption", "legend",
})
# Tags that are boilerplate wherever they sit below the chosen container.
BOILERPLATE_TAGS = frozenset({"nav", "aside", "footer", "header", "form", "menu"})
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Figures and their captions: kept only with ExtractOptions(include_captions=True).
CAPTION_TAGS = frozenset({"figure", "figcaption"})
_CAPTION_WORDS = frozenset("caption captions credit credits gallery slideshow carousel".split())

# class/id words of boilerplate containers (English and pinyin, as portals
# name them).  Matched against whole words of the class/id split at -_ and
# case changes, so "photo" does not hit "hot" and "header" does not hit "head".
_NEGATIVE_WORDS = frozenset("""
    comment comments commentlist respond reply replies disqus discuss footer foot sidebar
    sidebars aside widget widgets share shares sharing sharebar social socials related
    recommend recommended recommendation promo promos promotion advert adverts
    advertisement advertising ad ads adv advs adsense banner sponsor sponsored newsletter
    subscribe subscription signup cookie cookies consent gdpr popup modal breadcrumb
    breadcrumbs crumb crumbs nav navbar navigation menu pagination pager toolbar
    tools print login masthead rss hot rank ranking copyright disclaimer outbrain
    taboola trending popular tags tagcloud byline skip shoutbox remark
    xgxw xiangguan tuijian fenxiang pinglun paihang remen dibu daohang
    location position weizhi guanggao gg
""".split())
# Words that make a container likely to hold the article.
_POSITIVE_WORDS = frozenset("""
    article articles articlebody body content contents entry main post story text
    detail details zoom news newstext artibody article_content maintext bodytext
    postbody entrycontent storybody cont con zw zhengwen neirong wenzhang
""".split())
_WORD_SPLIT_RE = re.compile(r"[\s_\-:.]+|(?<=[a-z])(?=[A-Z])")
# Only display:none: WeChat and other script-revealed pages ship their
# article as visibility:hidden until a script shows it.
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none", re.I)


@dataclass(slots=True)
class Line:
    """One line of a block: text up to a ``<br>`` or the block's end."""

    text: str
    link_chars: int

    @property
    def link_density(self) -> float:
        return min(1.0, self.link_chars / len(self.text)) if self.text else 0.0


@dataclass(slots=True, init=False)
class Block:
    """A run of visible text between block boundaries, and what the scorer needs.

    ``<br>`` does not end a block: hard-wrapped 2000s pages put a ``<br>``
    after every 36 characters, mid-sentence, so a block is scored whole and
    only split into its lines when the body is written out.
    """

    owner: lxml.etree._Element
    lines: list[Line]
    tag: str
    # Boilerplate elements (by tag or class/id) between the owner and the root.
    flagged: tuple[lxml.etree._Element, ...]
    # The owner and its ancestors up to the root.
    ancestors: list[lxml.etree._Element]
    # Set by the scorer.
    weight: float
    text: str
    link_chars: int
    # Length with CJK characters counted twice (see scoring.text_weight).
    weighted_length: int
    # Share of the text inside links (0 to 1); read several times per block.
    link_density: float

    def __init__(self, owner: lxml.etree._Element, lines: list[Line], tag: str,
                 flagged: tuple[lxml.etree._Element, ...] = (),
                 ancestors: list[lxml.etree._Element] | None = None) -> None:
        # By hand: a page has hundreds of blocks, and the generated __init__
        # with a __post_init__ cost half as much again.
        self.owner = owner
        self.lines = lines
        self.tag = tag
        self.flagged = flagged
        self.ancestors = ancestors if ancestors is not None else []
        self.weight = 0.0
        if len(lines) == 1:
            text = lines[0].text
            link_chars = lines[0].link_chars
        else:
            text = " ".join([line.text for line in lines])
            link_chars = sum([line.link_chars for line in lines])
        self.text = text
        self.link_chars = link_chars
        self.weighted_length = len(text) + cjk_count(text)
        self.link_density = min(1.0, link_chars / len(text)) if text else 0.0

    @property
    def length(self) -> int:
        return len(self.text)


def class_words(el: lxml.etree._Element) -> list[str]:
    """The lower-cased words of an element's class and id attributes."""
    return _split_words(el.get("class"), el.get("id"))


# Real class and id values stay far below this; a hostile page's 20 MB class
# attribute is judged by its start (tests/extract/test_robustness.py).
MAX_NAME_CHARS = 1000


def _split_words(cls: str | None, ident: str | None) -> list[str]:
    raw = f"{(cls or '')[:MAX_NAME_CHARS]} {(ident or '')[:MAX_NAME_CHARS]}"
    lowered = raw.lower()
    if lowered == raw:
        # No capitals, so no camelCase boundary: splitting at the separators
        # of _WORD_SPLIT_RE with str methods gives the same words at a
        # fraction of the regex's cost (replace is 2.5x faster than translate).
        return lowered.replace("_", " ").replace("-", " ").replace(":", " ").replace(
            ".", " ").split()
    return [w.lower() for w in _WORD_SPLIT_RE.split(raw) if w]


def _verdict_of(words: list[str]) -> int:
    if not _NEGATIVE_WORDS.isdisjoint(words):
        return -1
    if not _POSITIVE_WORDS.isdisjoint(words):
        return 1
    return 0


def class_verdict(el: lxml.etree._Element) -> int:
    """+1 for a container named like an article, -1 like boilerplate, else 0."""
    return _verdict_of(class_words(el))


def is_hidden(el: lxml.etree._Element) -> bool:
    """Whether the element is hidden from readers by attribute or inline style."""
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE_RE.search(style))


# Attributes that can hide an element.  The walk lists an element's attribute
# names (one call) and reads values only when one of these is there: reading
# three values of every element cost a fifth of collect_blocks.
_HIDING_ATTRIBUTES = frozenset({"hidden", "aria-hidden", "style"})


_BOILERPLATE_ROLES = frozenset({"navigation", "complementary", "contentinfo", "banner"})


class _Namer:
    """Judges class/id values once per distinct value (pages repeat them a lot)."""

    def __init__(self, captions: bool) -> None:
        self.captions = captions
        self.cache: dict[str, bool] = {}
        # Tags that flag an element whatever its attributes.
        self.tags = BOILERPLATE_TAGS if captions else BOILERPLATE_TAGS | CAPTION_TAGS

    def flagged(self, el: lxml.etree._Element, tag: str, names: list[str]) -> bool:
        """Whether the element, whose attribute names are ``names``, looks like
        a boilerplate container."""
        if tag in self.tags:
            return True
        if not names:
            return False
        if "role" in names and el.get("role") in _BOILERPLATE_ROLES:
            return True
        return (("class" in names and self._bad_name(el.get("class")))
                or ("id" in names and self._bad_name(el.get("id"))))

    def _bad_name(self, value: str | None) -> bool:
        if not value:
            return False
        verdict = self.cache.get(value)
        if verdict is None:
            words = _split_words(value, None)
            verdict = not _NEGATIVE_WORDS.isdisjoint(words) or (
                not self.captions and not _CAPTION_WORDS.isdisjoint(words))
            self.cache[value] = verdict
        return verdict


def collect_blocks(root: lxml.etree._Element, captions: bool = False) -> list[Block]:
    """Return the page's visible text blocks in document order.

    Scripts, styles, form controls and hidden elements are skipped (their
    tails are not).  With ``captions`` false, figures and caption boxes count
    as boilerplate.  The tree is not changed.
    """
    namer = _Namer(captions)
    blocks: list[Block] = []
    # The open elements from the root down, and for each open block element
    # how many of them lead down to it: a block's ancestors come from here
    # instead of an iterancestors() per owner in the scoring stage.
    path: list[lxml.etree._Element] = []
    owners: list[lxml.etree._Element] = [root]
    owner_depths: list[int] = [1]
    flagged: list[lxml.etree._Element] = []
    lines: list[Line] = []
    buffer: list[str] = []
    link_depth = 0
    link_chars = 0

    def end_line() -> None:
        # An empty buffer has no link characters either: both grow together.
        nonlocal link_chars
        text = normalize_space("".join(buffer))
        if text:
            lines.append(Line(text, link_chars if link_chars < len(text) else len(text)))
        buffer.clear()
        link_chars = 0

    def end_block() -> None:
        if buffer:
            end_line()
        if lines:
            owner = owners[-1]
            blocks.append(Block(owner, lines.copy(), owner.tag, tuple(flagged),
                                ancestors=path[owner_depths[-1] - 1::-1]))
            lines.clear()

    # Elements only: parse_html drops comments and processing instructions,
    # and the filter spares an isinstance test per event.
    walker = lxml.etree.iterwalk(root, events=("start", "end"), tag=lxml.etree.Element)
    skipped = None
    for event, el in walker:
        tag = el.tag
        if event == "start":
            if tag in DROP_TAGS:
                names: list[str] = []
                skip = True
            else:
                names = el.keys()
                skip = bool(names) and not _HIDING_ATTRIBUTES.isdisjoint(names) and is_hidden(el)
            if skip:
                # Its "end" event comes next, with nothing of the subtree between.
                walker.skip_subtree()
                skipped = el
                continue
            path.append(el)
            if tag in BLOCK_TAGS:
                if buffer or lines:
                    end_block()
                owners.append(el)
                owner_depths.append(len(path))
                # Most block elements have no attributes and a plain tag.
                if (names or tag in namer.tags) and namer.flagged(el, tag, names):
                    flagged.append(el)
            elif tag == "br":
                if buffer:
                    end_line()
            elif tag == "a":
                link_depth += 1
            text = el.text
            # Whitespace that would start a line is dropped by normalize_space
            # anyway; leaving it out spares most end_line and end_block calls
            # (the page's indentation between block tags).
            if text and (buffer or not text.isspace()):
                buffer.append(text)
                if link_depth:
                    link_chars += len(text.strip())
            continue
        if skipped is not None:
            skipped = None
        elif tag in BLOCK_TAGS:
            if buffer or lines:
                end_block()
            owners.pop()
            owner_depths.pop()
            if flagged and flagged[-1] is el:
                flagged.pop()
            path.pop()
        else:
            if tag == "a":
                link_depth -= 1
            path.pop()
        tail = el.tail
        if tail and (buffer or not tail.isspace()):
            buffer.append(tail)
            if link_depth:
                link_chars += len(tail.strip())
    end_block()
    return blocks
