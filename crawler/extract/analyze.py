"""Page analysis for crawls: what kind of page this is, its article, its links.

``analyze_page`` parses a page once and answers everything a crawler asks of
it: is it an article (and which), a home, section, list, tag, search or
pagination page, or an error page in disguise; which links does it hold; which
of them lead to the next page of a list.  It reuses the extraction stages
(``parse_html`` → ``extract_metadata`` → ``extract_body``, as
``core.extract_article`` does) and adds generic signals, never site rules:

* URL shapes: the root path is a home; ``/tag/``, ``/topic/`` a tag page;
  ``/search`` or ``?q=`` a search; ``?page=N``, ``/page/N``, ``index_2.html``
  a pagination page; ``list_``, ``/list/`` a list; a folder path a section.
* Content: an article needs a body from ``extract_body`` that is not a list
  (linked headline lines in the container the body came from, blurbs that
  each follow a linked headline).  JSON-LD ``@type`` NewsArticle/Article/
  BlogPosting, ``og:type=article`` and a date in the URL count for an article.
* A title or h1 such as "页面不存在" or "Page not found" on a page with
  little text is a soft 404.

Links are collected from the tree before the body stage runs (it only reads
the tree).  Imports stdlib, lxml and the sibling stages only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from .blocks import Block, collect_blocks
from .body import extract_body
from .core import build_article, check_decoding, is_soft_404
from .errors import NotAnArticle
from .metadata import extract_metadata
from .model import Article, ExtractOptions
from .parse import Document, parse_html
from .text import cjk_count, normalize_space, text_of

KINDS = ("article", "home", "section", "list", "tag", "search", "pagination", "error")


@dataclass(frozen=True)
class PageAnalysis:
    """What a crawler needs to know about one fetched page."""

    kind: str
    # Short stable id of the deciding signal: a stats key and a SQL value.
    reason: str
    article: Article | None
    links: tuple[str, ...]
    next_pages: tuple[str, ...]
    canonical_url: str | None


# Evidence points; a page with a body is a list when the list side reaches
# LIST_EVIDENCE_THRESHOLD.  A home URL alone reaches it even against JSON-LD
# (a blog home shows whole posts); tag and search URLs reach it unless the
# page declares itself an article.
LIST_EVIDENCE_THRESHOLD = 3
URL_EVIDENCE = {"home": 7, "tag": 3, "search": 3, "pagination": 2, "list": 2, "section": 1}
CONTENT_LIST_EVIDENCE = 3
JSON_LD_ARTICLE_EVIDENCE = 2
OG_ARTICLE_EVIDENCE = 1
URL_DATE_EVIDENCE = 1

# A line is a linked headline when links hold more than this share of it.
MIN_HEADLINE_LINK_DENSITY = 0.6
# Linked headlines among the body's paragraphs that make a list: at least
# this many, weighing this share of the body's prose.  The fixture articles
# (tests/fixtures/pages) have none there; list pages have one per item.
MIN_LIST_HEADLINES = 6
MIN_LIST_HEADLINE_SHARE = 0.35
# Blurbs each following a linked headline: a teaser list.
MIN_TEASERS = 3
MIN_TEASER_SHARE = 0.5
# A page whose body fails is a list (not an error) from this many links on.
MIN_LIST_LINKS = 10
MAX_URL_CHARS = 2000

ARTICLE_TYPES = frozenset({
    "newsarticle", "article", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "liveblogposting",
    "report", "techarticle", "socialmediaposting",
})
_NEXT_TEXT_RE = re.compile(
    r"^(?:下一页|下页|下一頁|后页|後頁|next|next page|next ›|next »|next >|older posts|"
    r"older entries|older|›|»|>|>>|次へ|次のページ)$",
    re.IGNORECASE,
)
_TAG_PATH_RE = re.compile(r"/(?:tags?|topics?|labels?|keywords?)(?:/|$)", re.IGNORECASE)
_SEARCH_PATH_RE = re.compile(r"/search(?:/|\.[a-z]+$|$)", re.IGNORECASE)
_SEARCH_PARAMS = frozenset({"q", "s", "query", "keyword", "keywords", "wd", "kw", "searchword"})
_PAGE_PARAMS = frozenset({"page", "pg", "paged", "pn", "pageno", "pagenum", "page_no", "pageindex"})
_PAGE_PATH_RE = re.compile(r"/page/(\d+)/?$", re.IGNORECASE)
_PAGED_FILE_RE = re.compile(r"/(index|list|default|more)_(\d+)\.(s?html?|php|aspx?)$", re.IGNORECASE)
_LIST_PATH_RE = re.compile(r"/list(?:/|_|\.|$)|/category/|/archives?/?$", re.IGNORECASE)
_INDEX_FILE_RE = re.compile(r"/(?:index|default)\.(?:s?html?|php|aspx?)$", re.IGNORECASE)
_URL_DATE_RE = re.compile(r"(?:19|20)\d{2}(?:[-/_]?(?:0[1-9]|1[0-2]))(?:[-/_]?(?:0[1-9]|[12]\d|3[01]))?")


def analyze_page(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    options: ExtractOptions | None = None,
) -> PageAnalysis:
    """Parse ``body`` once and return its PageAnalysis.

    Never raises for a readable page (a page without an article is a kind,
    not an error); raises UnparseableDocument for bytes that are not HTML.
    """
    options = options or ExtractOptions()
    doc = parse_html(body, url, headers)
    meta = extract_metadata(doc, options)
    links = collect_links(doc)
    next_pages = find_next_pages(doc, links)
    url_kind = classify_url(url)
    blocks = collect_blocks(doc.root, captions=options.include_captions)
    try:
        text: str | None = extract_body(doc, meta, options, blocks)
        failure = None
    except NotAnArticle as exc:
        text, failure = None, exc.reason

    def result(kind: str, reason: str, article: Article | None = None) -> PageAnalysis:
        return PageAnalysis(kind, reason, article, links, next_pages, meta.canonical_url)

    if is_soft_404(doc, meta, text):
        return result("error", "soft_404")
    if text is None:
        if url_kind is not None:
            return result(url_kind, f"{url_kind}_url")
        if len(links) >= MIN_LIST_LINKS:
            return result("list", failure or "")
        check_decoding(doc, None, options)  # a page too damaged to find prose in
        return result("error", failure or "")
    list_reason = _list_signal(text, blocks)
    evidence = URL_EVIDENCE.get(url_kind or "", 0) - _article_evidence(doc, url)
    if list_reason is not None:
        evidence += CONTENT_LIST_EVIDENCE
    if evidence >= LIST_EVIDENCE_THRESHOLD:
        kind = url_kind or "list"
        return result(kind, list_reason if list_reason and kind in ("list", "section")
                      else f"{kind}_url")
    return result("article", "article", build_article(doc, meta, text, options))


def classify_url(url: str) -> str | None:
    """Return the page kind the URL's shape suggests, or None for no opinion."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    path = parts.path or "/"
    query = {name.lower(): value for name, value in parse_qsl(parts.query, keep_blank_values=True)}
    if _SEARCH_PATH_RE.search(path) or _SEARCH_PARAMS & query.keys():
        return "search"
    if _TAG_PATH_RE.search(path):
        return "tag"
    if _LIST_PATH_RE.search(path):
        return "list"
    if (_PAGE_PATH_RE.search(path) or _PAGED_FILE_RE.search(path)
            or any(query.get(p, "").isdigit() for p in _PAGE_PARAMS)):
        return "pagination"
    folder = _INDEX_FILE_RE.sub("/", path)
    if folder.strip("/") == "" and not query:
        return "home"
    if folder.endswith("/") and not query and not _URL_DATE_RE.search(folder):
        return "section"
    return None


def collect_links(doc: Document) -> tuple[str, ...]:
    """Return the page's absolute http(s) links in document order, without fragments."""
    base = doc.url
    for el in doc.root.iter("base"):
        href = el.get("href")
        if href:
            base = urljoin(doc.url, href.strip())
            break
    seen: dict[str, None] = {}
    for el in doc.root.iter("a", "area"):
        link = _resolve(base, el.get("href"))
        if link is not None:
            seen.setdefault(link, None)
    return tuple(seen)


def find_next_pages(doc: Document, links: tuple[str, ...]) -> tuple[str, ...]:
    """Return the links that lead to the next page of this list, best first."""
    found: dict[str, None] = {}
    for el in doc.root.iter("link", "a"):
        rel = (el.get("rel") or "").lower().split()
        text = normalize_space(text_of(el)) if el.tag == "a" else ""
        label = normalize_space(el.get("title") or el.get("aria-label") or "")
        if "next" in rel or _NEXT_TEXT_RE.match(text) or _NEXT_TEXT_RE.match(label):
            link = _resolve(doc.url, el.get("href"))
            if link is not None and link != _defragment(doc.url):
                found.setdefault(link, None)
    following = _following_page_urls(doc.url)
    for link in links:
        if link in following:
            found.setdefault(link, None)
    return tuple(found)


def _following_page_urls(url: str) -> set[str]:
    """URLs one page further than ``url`` by its page parameter or file number."""
    parts = urlsplit(url)
    out = set()
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    for i, (name, value) in enumerate(pairs):
        if name.lower() in _PAGE_PARAMS and value.isdigit():
            bumped = [*pairs[:i], (name, str(int(value) + 1)), *pairs[i + 1:]]
            query = "&".join(f"{n}={v}" for n, v in bumped)
            out.add(urlunsplit((parts.scheme, parts.netloc, parts.path, query, "")))
    if not any(name.lower() in _PAGE_PARAMS for name, _ in pairs):
        query = "&".join(filter(None, [parts.query, "page=2"]))
        out.add(urlunsplit((parts.scheme, parts.netloc, parts.path, query, "")))
    paged = _PAGED_FILE_RE.search(parts.path)
    page_path = _PAGE_PATH_RE.search(parts.path)
    if paged:
        new = f"/{paged.group(1)}_{int(paged.group(2)) + 1}.{paged.group(3)}"
        out.add(urlunsplit((parts.scheme, parts.netloc, parts.path[:paged.start()] + new,
                            parts.query, "")))
    elif page_path:
        new = f"/page/{int(page_path.group(1)) + 1}/"
        for path in (parts.path[:page_path.start()] + new, parts.path[:page_path.start()] + new[:-1]):
            out.add(urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")))
    else:
        folder = _INDEX_FILE_RE.sub("/", parts.path)
        if folder.endswith("/"):
            for name in ("index_2.html", "index_2.shtml", "index_2.htm", "page/2/", "page/2"):
                out.add(urlunsplit((parts.scheme, parts.netloc, folder + name, parts.query, "")))
    return out


def _list_signal(text: str, blocks: list[Block]) -> str | None:
    """Return "list_page_links" or "list_teasers" when the body reads as a list.

    Only the stretch of the page from the body's first paragraph to its last
    is looked at: menus come before an article and "related" boxes after it,
    while a list interleaves its linked headlines with whatever prose it has.
    """
    paragraphs = set(text.split("\n\n"))
    lines = [line for block in blocks for line in block.lines]
    in_body = [i for i, line in enumerate(lines) if line.text in paragraphs]
    if not in_body:
        return None
    headlines = teasers = headline_weight = 0
    previous_linked = False
    for line in lines[in_body[0]:in_body[-1] + 1]:
        linked = line.link_density > MIN_HEADLINE_LINK_DENSITY
        if linked:
            headlines += 1
            headline_weight += len(line.text) + cjk_count(line.text)
        elif line.text in paragraphs and previous_linked:
            teasers += 1
        previous_linked = linked
    prose_weight = len(text) + cjk_count(text)
    if headlines >= MIN_LIST_HEADLINES and headline_weight >= MIN_LIST_HEADLINE_SHARE * prose_weight:
        return "list_page_links"
    if teasers >= MIN_TEASERS and teasers >= MIN_TEASER_SHARE * len(paragraphs):
        return "list_teasers"
    return None


def _article_evidence(doc: Document, url: str) -> int:
    points = 0
    for obj in doc.json_ld:
        types = obj.get("@type")
        names = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and t.lower() in ARTICLE_TYPES for t in names):
            points += JSON_LD_ARTICLE_EVIDENCE
            break
    for el in doc.root.iter("meta"):
        if (el.get("property") or el.get("name") or "").lower() == "og:type":
            if (el.get("content") or "").strip().lower() == "article":
                points += OG_ARTICLE_EVIDENCE
            break
    if _URL_DATE_RE.search(urlsplit(url).path):
        points += URL_DATE_EVIDENCE
    return points


def _resolve(base: str, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or len(href) > MAX_URL_CHARS or href.startswith("#"):
        return None
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit(parts._replace(fragment=""))


def _defragment(url: str) -> str:
    try:
        return urlunsplit(urlsplit(url)._replace(fragment=""))
    except ValueError:
        return url
