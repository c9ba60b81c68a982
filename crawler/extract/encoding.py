"""Turn a page's bytes into text: reconcile BOM, HTTP header, meta charset and the bytes.

Order of evidence, as browsers and the WHATWG encoding spec use it: a byte
order mark wins; then the charset of the HTTP ``Content-Type`` header; then a
``<meta charset>`` or ``http-equiv`` declaration in the first 4 KiB; then the
bytes themselves.  Unlike a browser we check the winner against the bytes,
because 2000s portals lie: GBK pages served as UTF-8, UTF-8 pages declared
``gb2312``.  A declaration the bytes contradict is overruled.  Labels are
normalised the way browsers do it (``gb2312``/``gbk`` → ``gb18030``,
``iso-8859-1``/``ascii`` → ``cp1252``).  Stdlib only.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Mapping

# How far into the document a meta charset is looked for.  The HTML spec
# prescans 1024 bytes; old portals put long comments and scripts first, and
# one zh-dev page declares its charset after 2.5 KiB, so we look further.
META_PRESCAN_BYTES = 8192

# A strict decode may fail once per this many non-ASCII bytes (a truncated
# last character, a stray byte in an ad snippet) and still be taken as the
# right encoding.  Relative to non-ASCII bytes, so that a cp1252 page with
# three accented letters is not taken for UTF-8 with three errors.
NON_ASCII_BYTES_PER_ALLOWED_ERROR = 200
# A declared encoding is believed with more damage than a guess: a GBK page
# with a corrupt byte every 100 is GBK with some replacement characters, not
# Cyrillic.  The replacement share is then measured on the article body and
# a page above ExtractOptions.max_replacement_ratio is rejected.
NON_ASCII_BYTES_PER_ALLOWED_ERROR_DECLARED = 10

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE
)
_HEADER_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.I)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""")

# Browser label aliases (WHATWG encoding spec), for the labels seen on portals.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "chinese": "gb18030",
    "csgb2312": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "big5-hkscs": "big5hkscs",
    "x-sjis": "shift_jis",
    "sjis": "shift_jis",
    "unicode": "utf-16-le",
    "utf8": "utf-8",
}


@dataclass(frozen=True)
class DecodedText:
    """Decoded text with the facts about how it was decoded."""

    text: str
    encoding: str
    declared: str | None
    replacement_ratio: float


def normalise_label(label: str | None) -> str | None:
    """Return the Python codec name a browser would use for ``label``, or None."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return {"gbk": "gb18030", "gb2312": "gb18030", "latin-1": "cp1252",
            "iso8859-1": "cp1252", "ascii": "cp1252"}.get(name, name)


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    """Return the raw charset label of a Content-Type header, or None."""
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "content-type":
            match = _HEADER_CHARSET_RE.search(value or "")
            return match.group(1) if match else None
    return None


def meta_charset(body: bytes) -> str | None:
    """Return the raw charset label declared in the document head, or None."""
    head = body[:META_PRESCAN_BYTES]
    match = _XML_DECL_RE.match(head) or _META_CHARSET_RE.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _decode_fitting(body: bytes, encoding: str,
                    bytes_per_error: int = NON_ASCII_BYTES_PER_ALLOWED_ERROR) -> str | None:
    """Return ``body`` decoded in ``encoding`` when it has few invalid sequences
    (at most one per ``bytes_per_error`` non-ASCII bytes, replaced by U+FFFD),
    else None."""
    try:
        return body.decode(encoding)
    except UnicodeDecodeError:
        pass
    except (LookupError, UnicodeError):  # UTF-16 without a BOM, for one
        return None
    non_ascii = len(body) - len(body.decode("ascii", "ignore"))
    allowed = non_ascii // bytes_per_error
    bad = 0
    start = 0
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    while start < len(body):
        try:
            decoder.decode(body[start:], final=True)
            break
        except UnicodeDecodeError as exc:
            bad += 1
            if bad > allowed:
                return None
            start += exc.end
            decoder = codecs.getincrementaldecoder(encoding)("strict")
        except UnicodeError:  # "UTF-16 stream does not start with BOM" (tests/extract/test_fuzz.py)
            return None
    return body.decode(encoding, "replace")


def _is_ascii(body: bytes) -> bool:
    return body.isascii()


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> DecodedText:
    """Decode an HTML document's bytes; return the text and the encodings used.

    Never raises on undecodable bytes: the last resort decodes with
    replacement characters and reports their share in ``replacement_ratio``.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            text = body[len(bom):].decode(encoding, "replace")
            return DecodedText(text, encoding, encoding, replacement_ratio(text))

    raw_header = header_charset(headers)
    raw_meta = meta_charset(body)
    declared_raw = raw_header or raw_meta
    declared = declared_raw.lower() if declared_raw else None
    candidates: list[str] = []
    for label in (normalise_label(raw_header), normalise_label(raw_meta)):
        if label and label not in candidates:
            candidates.append(label)
    if _is_ascii(body):
        encoding = candidates[0] if candidates else "utf-8"
        if encoding.startswith("utf-16"):
            encoding = "utf-8"
        text = body.decode(encoding, "replace")
        return DecodedText(text, encoding, declared, 0.0)
    # UTF-8 is self-validating: non-ASCII bytes that decode as UTF-8 almost
    # never are anything else, whatever the page declares.  Other encodings
    # (gb18030, cp1252) accept most byte soup, so they are tried in order.
    order = ["utf-8"] + [c for c in candidates if c != "utf-8"]
    order += [c for c in ("gb18030", "big5", "shift_jis", "euc-kr", "cp1251", "cp1252")
              if c not in order]
    # A declared Latin-1 label decodes any bytes, so its text must look like
    # a Latin script too: Chinese servers label GBK pages ISO-8859-1 by
    # default.  Only a double-byte reading that fits the bytes and looks like
    # CJK text may overrule it; if none does, the declaration stands.
    latin_fallback: tuple[str, str] | None = None
    for encoding in order:
        if latin_fallback is not None and encoding not in _DOUBLE_BYTE:
            continue
        fitting = _decode_fitting(body, encoding)
        if fitting is None:
            continue
        if encoding in candidates and latin_fallback is None:
            if encoding in _LATIN1 and not _plausible(fitting, encoding):
                latin_fallback = (fitting, encoding)
                continue
            return DecodedText(fitting, encoding, declared, replacement_ratio(fitting))
        if _plausible(fitting, encoding):
            return DecodedText(fitting, encoding, declared, replacement_ratio(fitting))
    if latin_fallback is not None:
        text, encoding = latin_fallback
        return DecodedText(text, encoding, declared, replacement_ratio(text))
    for encoding in candidates:
        damaged = _decode_fitting(body, encoding, NON_ASCII_BYTES_PER_ALLOWED_ERROR_DECLARED)
        if damaged is not None:
            return DecodedText(damaged, encoding, declared, replacement_ratio(damaged))
    text = body.decode("utf-8", "replace")
    return DecodedText(text, "utf-8", declared, replacement_ratio(text))


# Share of the non-ASCII characters that must be CJK for an undeclared
# double-byte guess to be believed; Latin-1 text "fits" gb18030 too but
# decodes to rare ideographs mixed with symbols and Latin letters.
MIN_CJK_SHARE_OF_NON_ASCII = 0.8
_DOUBLE_BYTE = {"gb18030", "big5", "shift_jis", "euc_kr", "euc-kr"}


# Russian text is mostly lower-case; GBK bytes read as cp1251 give upper and
# lower case letters in equal measure ("°ґХХЦРСлєНКЎ").
MIN_LOWER_SHARE_OF_CYRILLIC = 0.6
# Latin text has its accented letters alone or in twos and threes between
# ASCII ones ("café", "Yöäänestys"); double-byte text read as Latin-1 is runs
# of them as long as its sentences ("°´ÕÕÖÐÑëºÍ").  cp1252's own symbols
# (€, ™, curly quotes) end a run, so "â€™" mojibake in a Latin page does not
# count.
MAX_LONG_RUN_SHARE_OF_NON_ASCII = 0.5
_LATIN1 = {"cp1252", "iso8859-15"}
_LONG_LATIN1_RUN_RE = re.compile(r"[\u00a1-\u00ff]{4,}")
# Mean length of the runs of CJK characters a double-byte guess gives:
# Chinese clauses run 5 to 15 characters, Korean words 2 to 4; a Latin page
# read as GBK gives one or two ideographs between ASCII letters ("Se駉r").
MIN_MEAN_CJK_RUN_CHARS = 2.0
_CJK_RUN_RE = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]+")


def _plausible(text: str, encoding: str) -> bool:
    """Whether decoding in ``encoding`` gives text that looks like its script
    (checked for guesses, and for a declared Latin-1 label)."""
    if encoding == "cp1251":
        # Russian text decodes to runs of Cyrillic letters; Latin-1 text to
        # single Cyrillic letters stuck inside Latin words ("cafй").
        letters = re.findall(r"[\u0400-\u04ff]+", text)
        in_runs = sum(len(run) for run in letters if len(run) > 1)
        total = sum(len(run) for run in letters)
        lower = sum(1 for run in letters for c in run if c.islower())
        return (total > 0 and in_runs / total >= MIN_CJK_SHARE_OF_NON_ASCII
                and lower / total >= MIN_LOWER_SHARE_OF_CYRILLIC)
    if encoding not in _LATIN1 and encoding not in _DOUBLE_BYTE:
        return True
    # Counted in C: a list of the page's non-ASCII characters cost a Python
    # step per character.
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if not non_ascii:
        return True
    if encoding in _LATIN1:
        in_long_runs = sum(len(run) for run in _LONG_LATIN1_RUN_RE.findall(text))
        return in_long_runs / non_ascii <= MAX_LONG_RUN_SHARE_OF_NON_ASCII
    runs = _CJK_RUN_RE.findall(text)
    cjk = sum(len(run) for run in runs)
    return (cjk / non_ascii >= MIN_CJK_SHARE_OF_NON_ASCII
            and cjk / len(runs) >= MIN_MEAN_CJK_RUN_CHARS)


def replacement_ratio(text: str) -> float:
    """Return the share of U+FFFD replacement characters in ``text``."""
    return text.count("\ufffd") / len(text) if text else 0.0
