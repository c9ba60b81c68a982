"""The values the extraction engine hands out: ``Article`` and ``ExtractOptions``.

Both are frozen dataclasses of plain values (str, tuples, None) so they can
cross process boundaries and be turned into dicts for JSON or SQLite without
knowing anything about lxml.  Stdlib only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ExtractOptions:
    """Tunables of one extraction.  Defaults suit a general news crawl."""

    # Pages whose body has fewer characters (CJK characters counting twice)
    # are rejected as body_too_short.  120 keeps two-sentence wire items and
    # 60-character Chinese notices (tests/fixtures/pages, tests/extract/
    # test_body.py) while rejecting "page moved" stubs.
    min_body_chars: int = 120
    # Dates later than this are rejected; None means "now".
    fetched_at: datetime | None = None
    # IANA zone used for dates the page gives without offset, before the
    # language-based fallback (a site profile sets it).
    site_timezone: str | None = None
    # Keep figure captions and photo credits in the body.  Off by default:
    # the public benchmark's hand-made bodies leave them out, and credits
    # ("Photo: AP") are noise in a search index.
    include_captions: bool = False
    # Pages whose body is more than this share of U+FFFD replacement
    # characters are rejected as "undecodable" instead of stored as mojibake.
    # One in a hundred still reads; pages whose encoding we guessed wrong run
    # at 3% to 70% (tests/extract/test_encoding.py).
    max_replacement_ratio: float = 0.01


@dataclass(frozen=True)
class Article:
    """One extracted article.  Dates are ISO 8601 strings with offset."""

    url: str
    title: str
    body: str
    published: str | None = None
    modified: str | None = None
    source: str | None = None
    authors: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    section: str | None = None
    breadcrumb: tuple[str, ...] = ()
    language: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    image: str | None = None
    keywords: tuple[str, ...] = ()
    encoding: str | None = None
    declared_encoding: str | None = None
    # Provenance: which rule found the value (e.g. "json-ld", "byline").
    title_source: str | None = None
    date_source: str | None = None
    source_source: str | None = None
    # Share of U+FFFD replacement characters in the body (bytes the page's
    # encoding could not decode).
    replacement_ratio: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the article as a dict of JSON-ready values (tuples → lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out
