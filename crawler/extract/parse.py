"""Parse decoded HTML into an lxml tree and collect what several stages read.

``parse_html`` owns the only parse of a document: every later stage works on
the ``Document`` it returns.  Metadata stages only read ``doc.root``; the body
stage, which runs last, may prune it (we parsed it, so we may change it).
Imports stdlib and lxml only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import lxml.etree

from .encoding import decode_html
from .errors import UnparseableDocument

# Share of C0 control characters above which the bytes are not a text document
# (PDFs, images and gzip served as text/html run far above it; real pages at 0).
MAX_CONTROL_CHAR_RATIO = 0.01

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL_BYTES = bytes(range(0, 9)) + b"\x0b" + bytes(range(0x0e, 0x20))
CONTROL_SAMPLE_BYTES = 65536
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b")

# HTML5 empty elements libxml2's HTML 4 parser does not know as empty: it
# nests everything after an unclosed <embed> (a 2000s page's Flash banner)
# inside it, where the body stage skips it.  Each gets its end tag.
# The lookahead lets the engine leave most "<" after one class test.
_UNKNOWN_VOID_RE = re.compile(rb"<(?=[eEsStTwW])(embed|source|track|wbr)\b[^<>]*>", re.IGNORECASE)

# A plain etree parser: lxml.html's element classes cost a lookup for every
# element proxy, and no stage needs their methods.  No stage looks elements
# up by id either, so libxml2 need not build its id table (3-5% of a parse).
_PARSER = lxml.etree.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True,
    no_network=True, default_doctype=False, collect_ids=False,
)


@dataclass
class Document:
    """A parsed page and the facts about its decoding."""

    url: str
    root: lxml.etree._Element
    encoding: str
    declared_encoding: str | None
    replacement_ratio: float
    headers: Mapping[str, str] = field(default_factory=dict)
    _json_ld: tuple[dict[str, Any], ...] | None = None

    @property
    def json_ld(self) -> tuple[dict[str, Any], ...]:
        """All JSON-LD objects of the page, ``@graph`` members flattened."""
        if self._json_ld is None:
            self._json_ld = tuple(_load_json_ld(self.root))
        return self._json_ld


def parse_html(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> Document:
    """Decode and parse ``body``; return a Document.

    Raises UnparseableDocument when the bytes are empty, binary or yield no
    HTML element.
    """
    if not body or not body.strip():
        raise UnparseableDocument("empty_document", url)
    if body.lstrip()[:8].startswith(_BINARY_MAGIC):
        raise UnparseableDocument("binary", url, "file signature of a non-HTML format")
    decoded = decode_html(body, headers)
    if not decoded.encoding.startswith("utf-16"):
        # Control bytes are control characters in every ASCII-compatible
        # encoding (no GBK, Big5 or Shift_JIS trail byte is below 0x40).
        sample = body[:CONTROL_SAMPLE_BYTES]
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        if controls / len(sample) > MAX_CONTROL_CHAR_RATIO:
            raise UnparseableDocument("binary", url, "control characters in the text")
    if (decoded.encoding == "utf-8" and decoded.replacement_ratio == 0
            and not body.startswith(b"\xef\xbb\xbf") and b"\x00" not in body
            and not body.lstrip()[:5].lower().startswith(b"<?xml")):
        data = body  # already valid UTF-8: spare the decode/encode round trip
    else:
        text = _XML_DECL_RE.sub("", decoded.text, count=1).replace("\x00", "")
        data = text.encode("utf-8", "surrogatepass")
    if _UNKNOWN_VOID_RE.search(data):
        data = _UNKNOWN_VOID_RE.sub(rb"\g<0></\1>", data)
    root = _parse(data, url)
    if _hit_depth_limit():
        # libxml2 stops parsing at its depth limit and drops everything after
        # it, the article included; parse again with the deep part flattened.
        root = _parse(flatten_deep_nesting(data), url)
        if _hit_depth_limit():
            raise UnparseableDocument("too_deep", url, "nested beyond 2048 levels after flattening")
    return Document(
        url=url,
        root=root,
        encoding=decoded.encoding,
        declared_encoding=decoded.declared,
        replacement_ratio=decoded.replacement_ratio,
        headers=dict(headers or {}),
    )


def _parse(data: bytes, url: str) -> lxml.etree._Element:
    try:
        root = lxml.etree.fromstring(data, parser=_PARSER)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as exc:
        raise UnparseableDocument("unparseable", url, str(exc)) from exc
    if root is None:
        raise UnparseableDocument("unparseable", url, "no root element")
    return root


def _hit_depth_limit() -> bool:
    """Whether the last parse stopped at libxml2's nesting limit (2048 with huge_tree)."""
    return any("Excessive depth" in error.message for error in _PARSER.error_log)


# Nesting kept by flatten_deep_nesting, in counted elements (below).  A counted
# table brings tbody, tr and td along, so 256 of them stay well inside
# libxml2's 2048.
FLAT_DEPTH = 256
_TAG_RE = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9]*)[^<>]*>")
# Elements libxml2 never nests in one another (it closes the open one, or they
# are empty): neither counted nor dropped.  Headings, wbr, embed, source and
# track it does nest, so they count like wrappers.
_KEPT_TAGS = frozenset(
    b"html head body title meta link script style base a p br hr img input area col param".split())
# Elements whose end tag the parser often implies: not counted, but dropped
# inside the flattened part like the wrappers around them.
_IMPLIED_TAGS = frozenset(b"li dt dd tr td th tbody thead tfoot option".split())
# Dropped tags of these become a line break, so their lines stay apart.
_BLOCK_TAGS = frozenset(
    b"div li dt dd tr td th table ul ol dl section article blockquote center "
    b"form main aside header footer nav figure pre address fieldset h1 h2 h3 h4 h5 h6".split())


_FLAT_BREAK = b"<br data-flattened>"
_FLAT_BREAKS_RE = re.compile(rb"(?:" + re.escape(_FLAT_BREAK) + rb"\s*)+")


def flatten_deep_nesting(data: bytes) -> bytes:
    """Return ``data`` with the tags of elements nested beyond FLAT_DEPTH removed.

    Wrapper elements (div, span, font, table, ...) deeper than FLAT_DEPTH lose
    their start and end tags; block ones leave a ``<br>`` so their lines stay
    apart.  The text and the kept tags (paragraphs, headings, links) stay in
    order.  Nesting is counted from the tags alone, which is rough (a missing
    end tag counts as still open) but only ever runs on pages libxml2 could
    not parse whole.
    """
    depth = 0

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal depth
        closing, name = match.group(1), match.group(2).lower()
        if name in _KEPT_TAGS:
            return match.group(0)
        counted = name not in _IMPLIED_TAGS
        if counted and not closing:
            depth += 1
        kept = depth <= FLAT_DEPTH
        if counted and closing:
            depth = max(0, depth - 1)
        if kept:
            return match.group(0)
        return _FLAT_BREAK if name in _BLOCK_TAGS else b""

    return _FLAT_BREAKS_RE.sub(b"<br>", _TAG_RE.sub(replace, data))


def _load_json_ld(root: lxml.etree._Element) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            # Sites ship JSON-LD with raw newlines in strings or trailing commas.
            try:
                data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw), strict=False)
            except ValueError:
                continue
        _flatten(data, objects)
    return objects


def _flatten(data: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(data, list):
        for item in data:
            _flatten(item, out)
    elif isinstance(data, dict):
        graph = data.get("@graph")
        if isinstance(graph, list):
            _flatten(graph, out)
        if "@type" in data:
            out.append(data)
