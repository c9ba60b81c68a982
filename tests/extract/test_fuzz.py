"""A bounded fuzz run of the extractor: mutated real pages and hostile snippets.

Each example takes one of the saved fixture pages, applies one to five
mutations (byte flips, cut, repeated or deleted slices, hostile snippets
spliced in: deep nesting, entity declarations, NULs, lone surrogates,
unclosed comments and scripts, long digit and punctuation runs, lying
charsets) and runs both entry points, ``extract_article`` and
``analyze_page``.  Each must return or raise an ExtractionError within
MAX_SECONDS_PER_INPUT, and what they return must be well-formed.  The run
is bounded by FUZZ_EXAMPLES (about 20 s here); set NEWSARCHIVE_FUZZ_EXAMPLES
for a longer run, e.g. 20000 overnight.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import Article, ExtractionError, ExtractOptions, extract_article
from crawler.extract.analyze import analyze_page

PAGES = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "pages").glob("*/source.html"))
SOURCES = {page.parent.name: page.read_bytes() for page in PAGES}
FUZZ_EXAMPLES = int(os.environ.get("NEWSARCHIVE_FUZZ_EXAMPLES", "250"))
MAX_SECONDS_PER_INPUT = 2.0
OPTIONS = ExtractOptions()

HOSTILE = [
    b"<div>" * 3000, b"<table><tr><td>" * 1000, b"</div>" * 500, b"<p>" * 5000,
    b'<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY y "&x;&x;">]>&x;&y;',
    b"\x00" * 40, b"\xef\xbb\xbf", b"\xff\xfe", b"\xed\xa0\x80", b"&#xD800;&#0;&#99999999;&#x110000;",
    b"<!--", b"<script>", b"<style>", b"<![CDATA[", b"<title>", b"<textarea>", b"<plaintext>",
    b"<svg><math><foreignObject>", b"<base href='javascript:alert(1)'>",
    b'<meta charset="gb2312">', b'<meta charset="utf-16">', b'<meta charset="x-nonsense">',
    b'<script type="application/ld+json">{"@type":"NewsArticle","headline":' + b"[" * 500 + b"</script>",
    b'<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"9999-99-99T99:99"}'
    b"</script>",
    b"1" * 20000, b"2009-" * 4000, b"-:/., " * 4000, b"9\xe6\x9c\x884\xe6\x97\xa5" * 2000,
    "来源:商丘日报 2009-9-4 13:23:00 ".encode("gbk") * 200, "来源:".encode() * 3000,
    b"\xc2\xa0" * 20000, b"By " * 5000, b"<a href='" + b"h" * 100000 + b"'>x</a>",
    b"<div class='" + b"nav " * 20000 + b"'>", b"<h1>404 Not Found</h1>", b"&nbsp;" * 10000,
]


@st.composite
def mutated_page(draw: st.DrawFn) -> tuple[bytes, dict[str, str]]:
    body = bytearray(SOURCES[draw(st.sampled_from(sorted(SOURCES)))])
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["flip", "splice", "cut", "repeat", "delete"]))
        at = draw(st.integers(0, len(body)))
        if kind == "flip":
            for offset in draw(st.lists(st.integers(0, 255), min_size=1, max_size=20)):
                if body:
                    body[(at + offset * 97) % len(body)] = draw(st.integers(0, 255))
        elif kind == "splice":
            body[at:at] = draw(st.sampled_from(HOSTILE))
        elif kind == "cut":
            del body[at:]
        elif kind == "repeat":
            size = draw(st.integers(1, 4000))
            body[at:at] = bytes(body[at:at + size]) * draw(st.integers(2, 50))
        else:
            del body[at:at + draw(st.integers(1, 20000))]
    charset = draw(st.sampled_from(["", "utf-8", "gbk", "iso-8859-1", "utf-16", "shift_jis", "bogus"]))
    headers = {"Content-Type": f"text/html; charset={charset}" if charset else "text/html"}
    return bytes(body), headers


def _check(article: Article) -> None:
    assert article.body.strip() and article.body == article.body.strip()
    assert "\x00" not in article.body + article.title
    assert article.replacement_ratio <= OPTIONS.max_replacement_ratio
    for value in (article.published, article.modified):
        if value is not None:  # ISO 8601: a date, or a time (with offset when one is known)
            (datetime if "T" in value else date).fromisoformat(value)


@settings(max_examples=FUZZ_EXAMPLES, deadline=MAX_SECONDS_PER_INPUT * 1000,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_page())
def test_fuzzed_pages_give_a_well_formed_article_or_an_extraction_error(
        page: tuple[bytes, dict[str, str]]) -> None:
    body, headers = page
    url = "http://example.com/news/2009/09/04/1.html"
    try:
        _check(extract_article(body, url, headers, OPTIONS))
    except ExtractionError as error:
        assert error.reason and url in str(error)
    try:
        analysis = analyze_page(body, url, headers, OPTIONS)
    except ExtractionError:
        return
    if analysis.article is not None:
        _check(analysis.article)
