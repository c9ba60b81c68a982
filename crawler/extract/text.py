"""Text helpers shared by the stages: whitespace, CJK-aware lengths, prose signals.

A Chinese sentence is one ``\\w+`` run, so nothing here counts words: lengths
are counted in characters, with each CJK ideograph weighing as much as a short
Latin word would (see ``text_weight``).  Imports stdlib and lxml.
"""

from __future__ import annotations

import re

import lxml.etree

_WS_RE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
# Sentence punctuation of prose, Latin and CJK.
PROSE_PUNCT_RE = re.compile(r"[.!?;:,，。！？；：、]")


# Text longer than this is normalised in chunks of this size (see
# _normalize_in_chunks); real paragraphs stay far below it, so the common
# path is one split() and join().
LONG_TEXT_CHARS = 100_000


def normalize_space(text: str) -> str:
    """Collapse all runs of whitespace (incl. nbsp, ideographic space) to one space."""
    # str.split() knows nbsp and U+3000 as whitespace and is several times
    # faster than a regex; only the zero-width characters need replacing.
    if len(text) > LONG_TEXT_CHARS:
        return _normalize_in_chunks(text)
    if "\u200b" in text or "\ufeff" in text:
        return _join_words(text)
    # The common case inline: this runs for every text line of a page.
    return " ".join(text.split())


def _join_words(text: str) -> str:
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    return " ".join(text.split())


def _normalize_in_chunks(text: str) -> str:
    # split() builds one string object per word: 150 MB for 10 MB of one-line
    # text (tests/extract/test_robustness.py).  Cut at whitespace into chunks
    # of LONG_TEXT_CHARS, so the words of one chunk at a time exist.
    pieces = []
    start = 0
    while start < len(text):
        end = start + LONG_TEXT_CHARS
        if end < len(text):
            gap = _WS_RE.search(text, end)
            end = gap.start() if gap else len(text)
        piece = _join_words(text[start:end])
        if piece:
            pieces.append(piece)
        start = end
    return " ".join(pieces)


def cjk_count(text: str) -> int:
    """Number of CJK (Han, kana, Hangul) characters in ``text``."""
    if text.isascii():
        return 0
    return len(CJK_RE.findall(text))


def text_of(element: lxml.etree._Element) -> str:
    """All text inside ``element`` (not its tail), as a browser's textContent."""
    # libxml2's text serialiser: twice as fast as joining itertext()'s pieces.
    text: str = lxml.etree.tostring(element, method="text", encoding="unicode", with_tail=False)
    return text
