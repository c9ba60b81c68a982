"""The orchestrator: ``extract_article`` reads like the table of contents of extraction.

parse (decode + lxml) → metadata (read-only over the tree) → body (prunes the
tree, scores blocks, picks the article) → one frozen ``Article``.
Imports stdlib, lxml and the sibling stages only.
"""

from __future__ import annotations

from typing import Mapping

from .body import extract_body
from .metadata import extract_metadata
from .model import Article, ExtractOptions
from .parse import parse_html


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
    text = extract_body(doc, meta, options)
    return Article(
        url=url,
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
