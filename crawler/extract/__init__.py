"""The extraction engine: pure functions from a page's bytes to an ``Article``.

``extract_article(body, url, headers=None, options=None)`` is the entry point;
it returns an :class:`Article` or raises an :class:`ExtractionError` subclass
(see ``errors``).  Nothing in this package imports Scrapy, Twisted, the
archive or any other part of the crawler: stdlib and lxml only, no settings,
no I/O, no module-level state.
"""

from .core import extract_article
from .errors import ExtractionError, NotAnArticle, UnparseableDocument
from .model import Article, ExtractOptions

__all__ = [
    "Article",
    "ExtractOptions",
    "ExtractionError",
    "NotAnArticle",
    "UnparseableDocument",
    "extract_article",
]
