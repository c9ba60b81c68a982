"""Article metadata: title, dates, source/authors/editors, section, language and more.

Placeholder written with the skeleton; the metadata stage fills it in.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import ExtractOptions
from .parse import Document


@dataclass(frozen=True)
class Metadata:
    """Everything about an article but its body, each value with its provenance."""

    title: str | None = None
    title_source: str | None = None
    published: str | None = None
    modified: str | None = None
    date_source: str | None = None
    source: str | None = None
    source_source: str | None = None
    authors: tuple[str, ...] = ()
    editors: tuple[str, ...] = ()
    section: str | None = None
    breadcrumb: tuple[str, ...] = ()
    language: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    image: str | None = None
    keywords: tuple[str, ...] = ()
    # Text lines recognised as headline, byline or breadcrumb, so that the body
    # stage can drop their repetitions inside the article text.
    boilerplate_lines: tuple[str, ...] = ()


def extract_metadata(doc: Document, options: ExtractOptions) -> Metadata:
    """Return the page's metadata.  Reads ``doc.root`` and never changes it."""
    title = doc.root.findtext(".//title")
    return Metadata(title=title.strip() if title else None, title_source="title")
