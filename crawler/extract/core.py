"""The orchestrator: ``extract_article`` reads like the table of contents of extraction.

parse (decode + lxml) → metadata (read-only over the tree) → body (scores
blocks and picks the article, reading the tree only) → one frozen ``Article``
(``build_article``, which ``analyze.analyze_page`` shares).
Imports stdlib, lxml and the sibling stages only.
"""

from __future__ import annotations

import re
from typing import Mapping

from .body import extract_body
from .encoding import replacement_ratio
from .errors import NotAnArticle, UnparseableDocument
from .metadata import Metadata, extract_metadata
from .model import Article, ExtractOptions
from .parse import Document, parse_html
from .text import cjk_count, normalize_space, text_of
from .titles import split_title

# Soft 404: the title or h1 says so and the body, if any, is shorter than this
# (weighted characters, CJK twice).  1000 is about three short paragraphs.
MAX_SOFT_404_BODY_WEIGHT = 1000
# A heading that *is* an error message, not one that mentions it: a title
# part (titles.split_title: site name split off) or an h1 matched whole, so "Route 404 reopens"
# and "Missing climber still not found" stay articles (found in review).
SOFT_404_RE = re.compile(
    r"^(?:(?:error|http|fehler|erreur)\s*)?404\b.{0,40}$"
    r"|^(?:sorry\W*)?(?:the\s+)?(?:page|file|document|url|article|story|content)?\s*"
    r"(?:you\s+(?:requested|are looking for|were looking for)\s+)?"
    r"(?:was\s+|could\s+not\s+be\s+|cannot\s+be\s+|can't\s+be\s+|is\s+)?not\s+found\W*$"
    r"|^(?:sorry\W*)?(?:this|the)\s+page\s+(?:does not|doesn't|no longer)\s+exists?\W*$"
    r"|^(?:the\s+)?page\s+(?:is\s+)?no longer available\W*$"
    r"|^(?:seite nicht gefunden|page introuvable|page non trouvée|página no encontrada"
    r"|страница не найдена)\W*$"
    r"|页面不存在|页面未找到|网页不存在|您访问的页面(?:不存在|已删除)|找不到(?:该|此|您要的|您访问的)?页面"
    r"|^(?:对不起\W*)?(?:该)?(?:信息|文章|内容|新闻)(?:不存在|已被?删除)\W*$|ページが見つかりません",
    re.IGNORECASE,
)


def extract_article(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    options: ExtractOptions | None = None,
) -> Article:
    """Extract the article of one page.

    ``body`` is the page's raw bytes, ``headers`` the HTTP response headers if
    any (only Content-Type is read).  Returns an Article.  Raises
    UnparseableDocument for bytes that are not an HTML document (or whose
    body text would be more than ``options.max_replacement_ratio`` U+FFFD,
    reason ``undecodable``) and NotAnArticle for pages without an article
    (reason in ``exc.reason``, e.g. ``body_too_short``, or ``soft_404`` for a
    page that says it was not found).
    """
    options = options or ExtractOptions()
    doc = parse_html(body, url, headers)
    meta = extract_metadata(doc, options)
    text: str | None = None
    try:
        text = extract_body(doc, meta, options)
    except NotAnArticle as exc:
        check_decoding(doc, None, options)
        failure = exc
    if is_soft_404(doc, meta, text):
        raise NotAnArticle("soft_404", url, "the page says it was not found")
    if text is None:
        raise failure
    return build_article(doc, meta, text, options)


def build_article(doc: Document, meta: Metadata, text: str, options: ExtractOptions) -> Article:
    """Return the Article of a parsed page from its metadata and body text.

    Raises UnparseableDocument("undecodable") when too much of the body is
    replacement characters: the page's encoding could not be told, and
    storing the text would store mojibake.
    """
    ratio = check_decoding(doc, text, options)
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
        replacement_ratio=round(ratio, 6),
    )


def check_decoding(doc: Document, text: str | None, options: ExtractOptions) -> float:
    """Return the replacement share of the body ``text`` (of the page when
    None, i.e. no body was found); raise UnparseableDocument("undecodable")
    when it is above ``options.max_replacement_ratio``."""
    ratio = doc.replacement_ratio if text is None else replacement_ratio(text)
    if ratio > options.max_replacement_ratio:
        where = "page" if text is None else "body"
        raise UnparseableDocument(
            "undecodable", doc.url,
            f"{ratio:.1%} of the {where} is undecodable bytes (read as {doc.encoding})")
    return ratio


def is_soft_404(doc: Document, meta: Metadata, text: str | None) -> bool:
    """Whether a page answered 200 but says "not found" in its title or h1,
    with at most a short body ``text``."""
    if text is not None and len(text) + cjk_count(text) >= MAX_SOFT_404_BODY_WEIGHT:
        return False
    heads = [meta.title or ""]
    heads += [normalize_space(text_of(el)) for el in doc.root.iter("title", "h1")]
    parts = {part for head in heads if head for part in [head.strip(), *split_title(head)]}
    return any(SOFT_404_RE.search(part) for part in parts)
