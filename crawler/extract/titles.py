"""Titles: pick the headline among ``<title>``, og/twitter titles, JSON-LD and page headings.

Every candidate is scored (``TITLE_WEIGHTS``) and earns points when other
sources agree with it and when it covers much of the ``<title>`` text — the
headline is the part of ``<title>`` that the page also shows as a heading,
while a site name or section name covers only a small share.  Site-name
affixes (``_教育文献_中国教育网``, `` - BBC News``, ``——新华网``) are cut at
title separators.  Imports stdlib and lxml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import lxml.etree

# (source label, base weight).  Structured headlines are usually clean; a
# visible h1 is the headline on most article pages; <title> carries affixes.
TITLE_WEIGHTS = {
    "json-ld": 6.0,
    "meta:og": 5.0,
    "meta:twitter": 4.0,
    "h1": 5.0,
    "heading": 3.0,
    "title": 2.0,
}
AGREEMENT_POINTS = 4.0
MAX_AGREEMENT_POINTS = 8.0
# Points for covering all of the <title> text; a part earns its share.
TITLE_COVERAGE_POINTS = 8.0
# Ties go to what readers see: a visible heading over an equal meta title.
VISIBLE_POINTS = 0.5
# A heading that no other source confirms and that shares nothing with the
# <title> loses this much; a longer text earns up to MAX_LENGTH_POINTS
# (site names are short, headlines long: 20 characters earn it all).
DISAGREEMENT_POINTS = 3.0
MAX_LENGTH_POINTS = 2.0
LENGTH_POINTS_CHARS = 20
# Headlines shorter than this (after dropping punctuation) are labels or logos.
MIN_TITLE_KEY_CHARS = 4
MAX_TITLE_CHARS = 300

_SEPARATOR_RE = re.compile(
    r"(?<!\s)\s+[-|–—_»·:]\s+|(?:(?<!\s)\s+)?(?:——|--|_|｜|\||│|::)\s*"
    r"|(?<=[\u3400-\u9fff）》」”])\s*[-－—–]\s*(?=[\u3400-\u9fff《「“])"
)
_KEY_RE = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class TitleCandidate:
    """A possible headline with its provenance and, for visible ones, its element."""

    text: str
    source: str
    element: lxml.etree._Element | None = None

    @cached_property
    def key(self) -> str:
        """``title_key`` of the text, computed when first compared (the raw
        candidates are only ever cleaned into new ones)."""
        return title_key(self.text)


def title_key(text: str) -> str:
    """Return ``text`` lower-cased without spaces and punctuation, for comparisons."""
    return _KEY_RE.sub("", text).lower()


def split_title(text: str) -> list[str]:
    """Return the parts of a title between site-name separators (`` - ``, ``_``, ``——``...)."""
    return [part.strip() for part in _SEPARATOR_RE.split(text) if part and part.strip()]


def strip_site_name(text: str, site_keys: frozenset[str], pick_longest: bool) -> str:
    """Cut site-name parts off ``text``.

    Parts equal to a known site name are dropped; with ``pick_longest`` (for
    ``<title>``) the longest remaining part is the headline, since section
    and site names are short.
    """
    parts = split_title(text)
    if len(parts) < 2:
        return text.strip()
    kept = [p for p in parts if title_key(p) not in site_keys] or parts
    if pick_longest:
        return max(kept, key=lambda p: len(title_key(p)))
    if len(kept) < len(parts):
        return _join_original(text, kept)
    return text.strip()


def _join_original(text: str, kept: list[str]) -> str:
    """Return the span of ``text`` from the first to the last kept part."""
    start = text.find(kept[0])
    end = text.rfind(kept[-1])
    if start < 0 or end < start:
        return kept[0]
    return text[start:end + len(kept[-1])].strip()


def choose_title(candidates: list[TitleCandidate], page_title: str | None,
                 site_names: tuple[str, ...]) -> TitleCandidate | None:
    """Return the best headline candidate, its text cleaned of site affixes, or None."""
    site_keys = frozenset(k for k in (title_key(n) for n in site_names) if k)
    cleaned = _clean_candidates(candidates, page_title, site_keys)
    if not cleaned:
        return None
    page_key = title_key(page_title or "")
    # Which sources give each text: a candidate's agreeing sources, looked up
    # instead of compared against every other candidate (pages have dozens).
    sources_of: dict[str, set[str]] = {}
    for candidate in cleaned:
        sources_of.setdefault(candidate.key, set()).add(candidate.source)
    best: TitleCandidate | None = None
    best_score = float("-inf")
    for index, candidate in enumerate(cleaned):
        score = _score(candidate, sources_of, page_key, site_keys) - 0.01 * index
        if score > best_score:
            best, best_score = candidate, score
    return best


def _clean_candidates(candidates: list[TitleCandidate], page_title: str | None,
                      site_keys: frozenset[str]) -> list[TitleCandidate]:
    out: list[TitleCandidate] = []
    for candidate in candidates:
        text = " ".join(candidate.text.split())[:MAX_TITLE_CHARS]
        if candidate.element is None:
            text = strip_site_name(text, site_keys, pick_longest=False)
        if text:
            out.append(TitleCandidate(text, candidate.source, candidate.element))
    if page_title:
        text = strip_site_name(" ".join(page_title.split())[:MAX_TITLE_CHARS], site_keys, True)
        if text:
            out.append(TitleCandidate(text, "title"))
    # Meta titles that still carry a <title>-like suffix lose it when the
    # stripped <title> is a prefix of them ("Headline - Site" → "Headline").
    return [_trim_to(c, out) for c in out]


def _trim_to(candidate: TitleCandidate, others: list[TitleCandidate]) -> TitleCandidate:
    if candidate.element is not None:
        return candidate
    key = candidate.key
    for other in others:
        other_key = other.key
        if other is candidate or len(other_key) < MIN_TITLE_KEY_CHARS or other_key == key:
            continue
        if key.startswith(other_key) and candidate.text.startswith(other.text):
            rest = candidate.text[len(other.text):]
            if _SEPARATOR_RE.match(rest):
                return TitleCandidate(other.text, candidate.source, None)
    return candidate


def _score(candidate: TitleCandidate, sources_of: dict[str, set[str]], page_key: str,
           site_keys: frozenset[str]) -> float:
    key = candidate.key
    score = TITLE_WEIGHTS.get(candidate.source, 1.0)
    if len(key) < MIN_TITLE_KEY_CHARS or key in site_keys:
        return score - 20.0
    agreeing = sources_of[key] - {candidate.source}
    score += min(MAX_AGREEMENT_POINTS, AGREEMENT_POINTS * len(agreeing))
    if candidate.element is not None:
        score += VISIBLE_POINTS
    score += min(len(key), LENGTH_POINTS_CHARS) / LENGTH_POINTS_CHARS * MAX_LENGTH_POINTS
    if candidate.source == "title":
        pass  # <title> cannot vouch for itself
    elif page_key and key in page_key:
        score += TITLE_COVERAGE_POINTS * len(key) / len(page_key)
    elif page_key and page_key in key and candidate.element is not None:
        score += TITLE_COVERAGE_POINTS * len(page_key) / len(key)
    elif page_key and candidate.element is not None and not agreeing:
        score -= DISAGREEMENT_POINTS  # a logo or a box heading the <title> knows nothing of
    if len(candidate.text) > MAX_TITLE_CHARS - 50:
        score -= 6.0
    if candidate.element is not None and candidate.text.count(" ") > 40:
        score -= 6.0
    return score
