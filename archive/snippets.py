"""Readable search snippets: a window of the original text around the query's terms.

Owns ``make_snippet`` and ``query_terms``.  Imports stdlib and
``archive.search`` only.  FTS5's own ``snippet()`` works on the indexed text,
which for Chinese is a string of overlapping bigrams (``商丘 丘日 日报``), so
its output is unreadable; these functions cut the snippet from the stored body
instead and mark every occurrence of a query term with ``MARK_START`` and
``MARK_END``.  The Datasette plugin turns the marks into ``<mark>`` after
escaping the text; the CLI prints them as they are.
"""

from __future__ import annotations

import re

from archive.search import _CJK_RUN, _QUERY_TERM

# U+27E6/U+27E7 (mathematical white square brackets): they do not occur in news
# text, unlike 【】 or «», so a mark is never confused with the article's own.
MARK_START = "\u27e6"
MARK_END = "\u27e7"
# About two lines of a Chinese page or three of an English one.
SNIPPET_CHARS = 160
# Share of the window shown before the first hit, so the hit has context.
SNIPPET_LEAD_SHARE = 0.3


def query_terms(user_query: str) -> list[str]:
    """Return the terms of ``user_query`` as they appear in text, longest first.

    CJK runs and other words are split as ``archive.search.fts_query`` splits
    them; quoted phrases stay whole.  Returns [] for a query without words.
    """
    if user_query.count('"') % 2:
        user_query += '"'
    terms: set[str] = set()
    for match in _QUERY_TERM.finditer(user_query):
        quoted, bare = match.groups()
        term = (quoted if quoted is not None else bare).strip()
        for piece in _CJK_RUN.split(term):
            if piece.strip() and re.search(r"\w", piece):
                terms.add(piece.strip())
        terms.update(run.group() for run in _CJK_RUN.finditer(term))
    return sorted(terms, key=len, reverse=True)


def make_snippet(text: str | None, user_query: str, width: int = SNIPPET_CHARS) -> str:
    """Return about ``width`` characters of ``text`` around the first query hit.

    Hits are wrapped in MARK_START/MARK_END; "…" shows where text was cut.
    Without a hit the snippet is the start of the text.  Paragraph breaks
    become spaces.  Returns "" for empty text.
    """
    if not text:
        return ""
    text = re.sub(r"\s+", " ", text).strip()
    terms = query_terms(user_query)
    pattern = _terms_pattern(terms)
    first = pattern.search(text) if pattern else None
    start = 0
    if first is not None and first.start() > width * SNIPPET_LEAD_SHARE:
        start = first.start() - int(width * SNIPPET_LEAD_SHARE)
    end = min(len(text), start + width)
    window = text[start:end]
    if pattern is not None:
        window = pattern.sub(lambda m: f"{MARK_START}{m.group()}{MARK_END}", window)
    return ("…" if start else "") + window + ("…" if end < len(text) else "")


def _terms_pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    parts = []
    for term in terms:
        escaped = re.escape(term)
        # Latin words match whole words only, as unicode61 tokens do.
        parts.append(escaped if _CJK_RUN.fullmatch(term) else rf"\b{escaped}\b")
    return re.compile("|".join(parts), re.IGNORECASE)
