"""The orchestrator: ``extract_article`` reads like the table of contents of extraction.

parse (decode + lxml) → metadata (read-only over the tree) → body (scores
blocks and picks the article, reading the tree only) → one frozen ``Article``
(``build_article``, which ``analyze.analyze_page`` shares).
Imports stdlib, lxml and the sibling stages only.
"""

from __future__ import annotations

from typing import Mapping

from .body import extract_body
from .metadata import Metadata, extract_metadata
from .model import Article, ExtractOptions
from .parse import Document, parse_html


def extract_article(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    options: ExtractOptions | None = None,
) -> Article:
    """Extract the article of one page.

    ``body`` is the page's raw bytes, ``headers`` the HTTP response headers if
    any (only Content-Type is read).  Returns an Article.  Raises
    UnparseableDocument for bytes that are not an HTML document and
    NotAnArticle for pages without an article (reason in ``exc.reason``).
    """
    options = options or ExtractOptions()
    doc = parse_html(body, url, headers)
    meta = extract_metadata(doc, options)
    return build_article(doc, meta, extract_body(doc, meta, options))


def build_article(doc: Document, meta: Metadata, text: str) -> Article:
    """Return the Article of a parsed page from its metadata and body text."""
    return Article(
        url=doc.url,
        title=meta.title or "",
        body=text,
        published=meta.published,
        modified=meta.modified,
        source=meta.source,
        authors=meta.authors,
        editors=meta.editors,
        section=meta.section,
        breadcrumb=meta.breadcrumb,
        language=meta.language,
        description=meta.description,
        canonical_url=meta.canonical_url,
        image=meta.image,
        keywords=meta.keywords,
        encoding=doc.encoding,
        declared_encoding=doc.declared_encoding,
        title_source=meta.title_source,
        date_source=meta.date_source,
        source_source=meta.source_source,
        replacement_ratio=round(doc.replacement_ratio, 6),
    )
