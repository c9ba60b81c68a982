"""Language: reconcile what the page declares with what its text is written in.

``detect_language`` looks at scripts first (Han → zh, kana → ja, Hangul →
ko, Cyrillic → ru/uk/bg) and at stopwords for Latin-script text.
``choose_language`` trusts a declaration unless the text clearly contradicts
it (templates ship ``lang="en"`` on Chinese portals).  ``default_zone_name``
maps a language tag, encoding and host to the IANA zone a page without an
offset most likely means.  Stdlib only.
"""

from __future__ import annotations

import re
from collections import Counter

# Only this much text is looked at; a few paragraphs settle the script.
MAX_DETECT_CHARS = 1500
# A script must cover this share of the letters to overrule a declaration
# of another script ("lang=en" on a page that is 60 % Han is Chinese).
MIN_OVERRULING_SCRIPT_SHARE = 0.4
# Kana above this share of the CJK characters makes Han text Japanese
# (Japanese prose runs 30-60 % kana; Chinese pages carry none).
MIN_KANA_SHARE = 0.05
# A Latin-script guess needs this many stopword hits, and twice the hits of
# the runner-up, to overrule a declared Latin-script language.
MIN_STOPWORD_HITS = 8

_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_HANGUL_RE = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
# Any letter of the four scripts above: most samples have none, and one
# search spares four counting passes.
_NON_LATIN_RE = re.compile(
    "|".join(r.pattern for r in (_HAN_RE, _KANA_RE, _HANGUL_RE, _CYRILLIC_RE)))
# Runs, not single letters: counting run lengths makes a quarter of the objects.
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_WORD_RE = re.compile(r"[a-zà-ÿ']+")
_TAG_RE = re.compile(r"[a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]{2,8})*")

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(["the", "and", "of", "to", "in", "is", "that", "for", "with", "was", "on", "are", "as", "by", "this", "from", "have", "has", "it", "at", "be"]),
    "de": frozenset(["der", "die", "das", "und", "ist", "nicht", "mit", "den", "von", "zu", "auf", "ein", "eine", "sich", "dem", "des", "im", "für", "auch"]),
    "fr": frozenset(["le", "la", "les", "et", "des", "est", "un", "une", "du", "pour", "dans", "que", "qui", "sur", "pas", "au", "avec", "ce", "sont"]),
    "es": frozenset(["el", "la", "los", "las", "y", "de", "que", "en", "un", "una", "por", "con", "para", "es", "del", "se", "al", "lo", "como"]),
    "pt": frozenset(["o", "a", "os", "as", "e", "de", "que", "em", "um", "uma", "para", "com", "não", "do", "da", "dos", "das", "no", "na", "é"]),
    "it": frozenset(["il", "di", "che", "la", "per", "un", "una", "non", "sono", "del", "della", "le", "gli", "con", "è", "si", "nel", "alla"]),
    "nl": frozenset(["de", "het", "een", "en", "van", "is", "dat", "op", "te", "in", "niet", "zijn", "met", "voor", "er", "aan", "ook"]),
}

_LANGUAGES_OF_WORD: dict[str, tuple[str, ...]] = {}
for _code, _words in _STOPWORDS.items():
    for _word in _words:
        _LANGUAGES_OF_WORD[_word] = _LANGUAGES_OF_WORD.get(_word, ()) + (_code,)

_ZONES_BY_TAG = {
    "zh-tw": "Asia/Taipei", "zh-hant-tw": "Asia/Taipei", "zh-hk": "Asia/Hong_Kong",
    "zh-hant-hk": "Asia/Hong_Kong", "zh-mo": "Asia/Macau", "zh-sg": "Asia/Singapore",
    "zh": "Asia/Shanghai", "ja": "Asia/Tokyo", "ko": "Asia/Seoul", "ru": "Europe/Moscow",
    "de": "Europe/Berlin", "uk": "Europe/Kyiv", "fr-fr": "Europe/Paris", "it": "Europe/Rome",
    "nl": "Europe/Amsterdam", "pl": "Europe/Warsaw", "vi": "Asia/Ho_Chi_Minh",
    "th": "Asia/Bangkok", "id": "Asia/Jakarta", "tr": "Europe/Istanbul",
}
_ZONES_BY_TLD = {
    "cn": "Asia/Shanghai", "tw": "Asia/Taipei", "hk": "Asia/Hong_Kong", "jp": "Asia/Tokyo",
    "kr": "Asia/Seoul", "ru": "Europe/Moscow", "de": "Europe/Berlin",
}
_MAINLAND_ENCODINGS = frozenset({"gb18030", "gbk", "gb2312", "hz-gb-2312"})


def normalize_language_tag(value: str | None) -> str | None:
    """Return a declared tag as lower-case ``xx`` or ``xx-yy`` (``zh_CN`` → ``zh-cn``)."""
    if not value:
        return None
    match = _TAG_RE.match(value.strip()[:40])
    if match is None:
        return None
    return match.group(0).lower().replace("_", "-")


def detect_language(text: str) -> tuple[str | None, float]:
    """Return (language code, share of letters in its script) guessed from ``text``."""
    sample = text[:MAX_DETECT_CHARS]
    if sample.isascii() or not _NON_LATIN_RE.search(sample):
        han = kana = hangul = cyrillic = 0
    else:
        han = len(_HAN_RE.findall(sample))
        kana = len(_KANA_RE.findall(sample))
        hangul = len(_HANGUL_RE.findall(sample))
        cyrillic = len(_CYRILLIC_RE.findall(sample))
    latin = sum(map(len, _LATIN_RE.findall(sample)))
    total = han + kana + hangul + cyrillic + latin
    if total == 0:
        return None, 0.0
    if hangul >= max(han + kana, cyrillic, latin) * 0.5 and hangul > 0 and hangul >= han:
        return "ko", hangul / total
    if han + kana >= max(cyrillic, latin) * 0.5 and han + kana > 0:
        code = "ja" if kana > MIN_KANA_SHARE * (han + kana) else "zh"
        return code, (han + kana) / total
    if cyrillic > latin:
        return _detect_cyrillic(sample), cyrillic / total
    guess = _detect_latin(sample)
    return guess, latin / total if guess else 0.0


def _detect_cyrillic(sample: str) -> str:
    lowered = sample.lower()
    if sum(lowered.count(c) for c in "іїєґ") > 3:
        return "uk"
    if lowered.count("ы") + lowered.count("э") == 0 and lowered.count("ъ") > 3:
        return "bg"
    return "ru"


def _latin_hits(sample: str) -> Counter[str]:
    # Each distinct word once, in order of first appearance, so that codes
    # enter ``hits`` in the order they would word by word (ties in
    # most_common keep that order); only stop words reach the Python loop.
    counts = Counter(_WORD_RE.findall(sample.lower()))
    hits: Counter[str] = Counter()
    for word in filter(_LANGUAGES_OF_WORD.__contains__, counts):
        for code in _LANGUAGES_OF_WORD[word]:
            hits[code] += counts[word]
    return hits


def _detect_latin(sample: str) -> str | None:
    ranked = _latin_hits(sample).most_common(2)
    if not ranked or ranked[0][1] < 2:
        return None
    return ranked[0][0]


def choose_language(declared: str | None, text: str) -> str | None:
    """Return the page's language code: the declaration unless the text overrules it."""
    tag = normalize_language_tag(declared)
    declared_code = tag.split("-")[0] if tag else None
    detected, share = detect_language(text)
    if declared_code is None or detected is None:
        return declared_code or detected
    if detected == declared_code:
        return declared_code
    if _script(detected) != _script(declared_code):
        return detected if share >= MIN_OVERRULING_SCRIPT_SHARE else declared_code
    if _script(detected) == "latin":
        hits = _latin_hits(text[:MAX_DETECT_CHARS])
        if hits[detected] >= MIN_STOPWORD_HITS and hits[detected] >= 2 * hits[declared_code]:
            return detected
    return declared_code


def _script(code: str) -> str:
    if code in ("zh", "ja"):
        return "han"
    if code == "ko":
        return "hangul"
    if code in ("ru", "uk", "bg", "sr", "mk", "be", "kk"):
        return "cyrillic"
    return "latin" if len(code) <= 3 else "other"


def default_zone_name(tag: str | None, language: str | None, encoding: str | None,
                      host: str) -> str | None:
    """Return the IANA zone a page most likely means when it gives no offset."""
    tag = normalize_language_tag(tag)
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    if tag and language and tag.split("-")[0] == language and tag in _ZONES_BY_TAG:
        return _ZONES_BY_TAG[tag]
    if language == "zh":
        if tld in ("tw", "hk"):
            return _ZONES_BY_TLD[tld]
        if encoding and encoding.lower().startswith("big5"):
            return "Asia/Taipei"  # traditional-script encoding of Taiwan; Hong Kong uses hkscs
        return "Asia/Shanghai"
    if language in _ZONES_BY_TAG:
        return _ZONES_BY_TAG[language]
    if language in (None, "en") and tld in _ZONES_BY_TLD:
        # English editions of Chinese, Japanese, Korean or Russian outlets.
        return _ZONES_BY_TLD[tld]
    if encoding and encoding.lower() in _MAINLAND_ENCODINGS:
        return "Asia/Shanghai"
    return None
