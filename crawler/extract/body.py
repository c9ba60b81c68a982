"""Body extraction (placeholder until the scoring stage lands)."""

from __future__ import annotations

from .errors import NotAnArticle
from .metadata import Metadata
from .model import ExtractOptions
from .parse import Document
from .text import normalize_space


def extract_body(doc: Document, meta: Metadata, options: ExtractOptions) -> str:
    """Return the article text, paragraphs separated by a blank line."""
    paragraphs = [normalize_space(p.text_content()) for p in doc.root.iter("p")]
    text = "\n\n".join(p for p in paragraphs if p)
    if len(text) < options.min_body_chars:
        raise NotAnArticle("body_too_short", doc.url)
    return text
