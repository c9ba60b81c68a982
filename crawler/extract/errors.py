"""Exceptions raised by the extraction engine.

The tree::

    ExtractionError            any reason extract_article gives up on a document
    ├── UnparseableDocument    the bytes are not an HTML document we can read
    │                          (empty, binary, undecodable)
    └── NotAnArticle           a readable page that holds no article: too little
                               text, a list or index page, an error page

Every exception carries the document's ``url`` and a short, stable ``reason``
identifier (``body_too_short``, ``list_page``, ``error_page``, ``binary``, ...)
that callers use as a stats key and store as a SQL value.  Stdlib only.
"""

from __future__ import annotations


class ExtractionError(Exception):
    """Base class: the document at ``url`` could not be turned into an Article."""

    def __init__(self, reason: str, url: str | None = None, detail: str = "") -> None:
        self.reason = reason
        self.url = url
        self.detail = detail
        where = url or "<document>"
        message = f"{where}: {reason}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)


class UnparseableDocument(ExtractionError):
    """The bytes cannot be read as an HTML document."""


class NotAnArticle(ExtractionError):
    """The page parsed but holds no article."""
