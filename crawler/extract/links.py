"""Links and descriptors: canonical URL, lead image, description and keywords.

URLs are resolved against the page URL.  A canonical URL that points at the
site root or at another site while the page itself is deeper is ignored:
such templates would merge every article of a site into one.  Stdlib only
(plus the sibling modules).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from .page import PageContext
from .tags import itemprop_value, ld_first, ld_text, ld_url
from .text import normalize_space

MAX_KEYWORDS = 30
MAX_KEYWORD_CHARS = 60
MAX_URL_CHARS = 2000
# Second-level labels under which registrars sell names (example.com.cn, bbc.co.uk).
_GENERIC_SECOND_LEVEL = frozenset({"com", "net", "org", "gov", "edu", "co", "ac", "or", "ne", "go"})
_KEYWORD_SPLIT_RE = re.compile(r"(?:(?<!\s)\s+)?[,，;；、|]\s*")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _resolve(base: str, href: str | None) -> str | None:
    """Return ``href`` made absolute against ``base``; None unless http(s)."""
    if not href:
        return None
    href = href.strip()[:MAX_URL_CHARS]
    try:
        url = urljoin(base, href) if base else href
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


def site_key(host: str) -> str:
    """Return the registrable part of a host name (``news.bbc.co.uk`` → ``bbc.co.uk``)."""
    labels = host.lower().strip(".").split(".")
    if len(labels) >= 3 and labels[-2] in _GENERIC_SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def choose_canonical(context: PageContext) -> str | None:
    """Return the page's canonical URL, or None when absent or not trustworthy."""
    page_url = context.doc.url or ""
    canonical_links = context.tags.links.get("canonical") or []
    href = (canonical_links[0] if canonical_links else None) or context.tags.first("og:url")
    url = _resolve(page_url, href)
    if url is None or not page_url:
        return url
    try:
        page, canonical = urlsplit(page_url), urlsplit(url)
    except ValueError:
        return None
    page_deep = page.path.strip("/") != "" or bool(page.query)
    if page_deep and canonical.path.strip("/") == "" and not canonical.query:
        return None
    if (page.hostname and canonical.hostname and page_deep
            and site_key(page.hostname) != site_key(canonical.hostname)):
        return None
    return url


def choose_image(context: PageContext) -> str | None:
    """Return the absolute URL of the lead image (og/twitter/JSON-LD/microdata)."""
    tags = context.tags
    image_links = tags.links.get("image_src") or []
    candidates: list[str | None] = [
        tags.first("og:image", "og:image:url", "og:image:secure_url", "twitter:image",
                   "twitter:image:src"),
        ld_url(ld_first(context.articles, "image")),
        image_links[0] if image_links else None,
    ]
    candidates += [itemprop_value(e) if e.tag != "img" else e.get("src")
                   for e in tags.itemprops.get("image", [])[:2]]
    for candidate in candidates:
        url = _resolve(context.doc.url or "", candidate)
        if url:
            return url
    return None


def choose_description(context: PageContext) -> str | None:
    """Return the page's description (meta, og, twitter, JSON-LD)."""
    value = context.tags.first("description", "og:description", "twitter:description")
    value = value or ld_text(ld_first(context.articles, "description"))
    return normalize_space(value) or None if value else None


def choose_keywords(context: PageContext) -> tuple[str, ...]:
    """Return the page's keywords, split and without repeats."""
    raw: list[str] = []
    for name in ("keywords", "news_keywords"):
        raw.extend(context.tags.meta.get(name, [])[:3])
    raw.extend(context.tags.meta.get("article:tag", [])[:MAX_KEYWORDS])
    ld_keywords = ld_first(context.articles, "keywords")
    if isinstance(ld_keywords, list):
        raw.extend(k for k in ld_keywords[:MAX_KEYWORDS] if isinstance(k, str))
    elif isinstance(ld_keywords, str):
        raw.append(ld_keywords)
    keywords: list[str] = []
    for value in raw:
        parts = _KEYWORD_SPLIT_RE.split(value)
        if len(parts) == 1 or _CJK_RE.search(value):
            # Chinese keyword lists use spaces as separators; English phrases
            # keep theirs unless spaces are the only separator.
            parts = [word for part in parts for word in part.split()]
        for part in parts:
            part = part.strip(" \"'“”")
            if part and len(part) <= MAX_KEYWORD_CHARS and part not in keywords:
                keywords.append(part)
    return tuple(keywords[:MAX_KEYWORDS])
