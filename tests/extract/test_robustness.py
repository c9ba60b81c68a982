"""Bad input never breaks the extractor: it returns an Article or raises an
ExtractionError, and it does so quickly, whatever the bytes."""

from __future__ import annotations

import importlib
import pkgutil
import random
import re
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crawler.extract
from crawler.extract import Article, ExtractionError, NotAnArticle, UnparseableDocument, extract_article
from crawler.extract.bylines import clean_names

PAGES = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "pages").glob("*/source.html"))
# One page may take this long on this 2-core machine; real pages take ~20 ms.
MAX_SECONDS_PER_PAGE = 1.0

_TAGS = ["div", "p", "td", "table", "tr", "span", "a", "br", "font", "b", "li", "ul", "h1",
         "script", "style", "article", "nav", "footer", "html", "body", "head", "title", "meta"]
_TEXTS = ["来源:商丘日报 2009-9-4 13:23:00", "按照中央和省委统一部署，我市开展了活动。", "&nbsp;", "　　",
          "By Jane Doe", "Sept. 4, 2009", "上一篇", "©2009", "<", ">", "&", "\x00", "</html>", "😀",
          "The council voted on Monday to build a park by the river. "]


def _extract(body: bytes) -> Article | None:
    start = time.perf_counter()
    try:
        return extract_article(body, url="http://example.com/news/2009/09/04/1.html")
    except ExtractionError:
        return None
    finally:
        assert time.perf_counter() - start < MAX_SECONDS_PER_PAGE


@st.composite
def tag_soup(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(st.one_of(
        st.sampled_from(_TAGS).map(lambda t: f"<{t}>"),
        st.sampled_from(_TAGS).map(lambda t: f"</{t}>"),
        st.sampled_from(_TEXTS),
        st.text(max_size=40),
    ), max_size=120))
    encoding = draw(st.sampled_from(["utf-8", "gb18030", "cp1252"]))
    return "".join(parts).encode(encoding, "replace")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tag_soup())
def test_tag_soup_gives_article_or_extraction_error(body: bytes) -> None:
    _extract(body)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_article_or_extraction_error(body: bytes) -> None:
    _extract(body)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(PAGES), st.floats(min_value=0.0, max_value=1.0))
def test_truncated_pages_give_article_or_extraction_error(page: Path, share: float) -> None:
    raw = page.read_bytes()
    _extract(raw[: int(len(raw) * share)])


PROSE = ("<p>" + "The council met on Tuesday and agreed to repair the old pier before the "
         "winter storms arrive, the harbour master said. " * 3 + "</p>") * 3
CHINESE_PROSE = "<p>" + "深层嵌套的正文内容，包含足够多的文字来构成一篇文章。" * 10 + "</p>"


def _page(body: str, title: str = "Pier to be repaired") -> bytes:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


@pytest.mark.parametrize(("depth", "wrapper"), [
    (300, "div"), (1500, "div"), (5000, "div"), (100_000, "div"), (3000, "span"),
    (1000, "table"), (20_000, "table"), (5000, "font"),
])
def test_deeply_nested_text_is_kept(depth: int, wrapper: str) -> None:
    # libxml2 stops at 2048 levels (256 without huge_tree) and drops the
    # rest of the page; parse_html flattens the deep part and parses again.
    start, end = {"table": ("<table><tr><td>", "</td></tr></table>")}.get(
        wrapper, (f"<{wrapper}>", f"</{wrapper}>"))
    article = _extract(_page(start * depth + CHINESE_PROSE + end * depth))
    assert article is not None and "深层嵌套" in article.body


@pytest.mark.parametrize("widget", [
    "<div class='menu'>" * 4000 + "<a href='/x'>Home</a>" + "</div>" * 4000,
    "<h2>Home" * 3000,  # libxml2 nests unclosed headings
    "<ul><li><a href='/x'>Home</a>" * 3000,
], ids=["divs", "unclosed-headings", "unclosed-lists"])
def test_article_after_a_deeply_nested_widget_is_kept(widget: str) -> None:
    article = _extract(_page(widget + "<h1>Pier to be repaired</h1>" + PROSE))
    assert article is not None and article.body.startswith("The council met")


@pytest.mark.parametrize("tag", ["embed", "source", "track", "wbr"])
def test_text_after_an_unclosed_html5_empty_element_is_kept(tag: str) -> None:
    # libxml2's HTML 4 parser nests what follows <embed src=...> inside it
    # (a Flash banner on a 2009 portal swallowed the article).
    article = _extract(_page(f"<div><{tag} src='banner.swf'><h1>Pier</h1>{PROSE}</div>"))
    assert article is not None and article.body.startswith("The council met")


def test_a_50_mb_single_line_page_is_extracted_in_bounded_time() -> None:
    # The crawler caps pages at 32 MiB (DOWNLOAD_MAXSIZE); `newsarchive
    # extract` reads files of any size.  Linear time: ~3 s here.
    body = _page("<h1>Big</h1>" + PROSE + "<p>" + "word " * 10_000_000 + "</p>")
    start = time.perf_counter()
    article = extract_article(body, url="http://example.com/big.html")
    assert time.perf_counter() - start < 30
    assert article.body.startswith("The council met") and len(article.body) > 50_000_000


def test_long_text_does_not_cost_an_object_per_word() -> None:
    # str.split() on 10 MB of one-line text made 150 MB of word objects.
    body = _page("<h1>Big</h1>" + PROSE + "<p>" + "word " * 400_000 + "</p>")
    tracemalloc.start()
    try:
        extract_article(body, url="http://example.com/big.html")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * len(body), f"peak {peak / 1e6:.0f} MB for a {len(body) / 1e6:.0f} MB page"


@pytest.mark.parametrize("attribute", ["class", "id", "href", "style", "title"])
def test_huge_attributes_are_bounded(attribute: str) -> None:
    value = "a b-c " * 3_000_000
    tag = "a" if attribute == "href" else "div"
    start = time.perf_counter()
    article = extract_article(_page(f"<{tag} {attribute}='{value}'>x</{tag}><h1>Pier</h1>" + PROSE),
                              url="http://example.com/a.html")
    assert time.perf_counter() - start < 5
    assert article.body.startswith("The council met")


def test_nul_bytes_are_removed_not_fatal() -> None:
    body = _page("<h1>Pier</h1>" + PROSE.replace("harbour", "har\x00bour", 1))
    article = extract_article(body, url="http://example.com/a.html")
    assert "\x00" not in article.body and "harbour" in article.body


def test_entity_declarations_are_neither_expanded_nor_read() -> None:
    declarations = ('<!DOCTYPE html [<!ENTITY secret SYSTEM "file:///etc/passwd">'
                    '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
    for prefix in ("", '<?xml version="1.0"?>'):
        body = (prefix + declarations).encode() + _page(
            "<h1>&lol3;</h1><p>&secret;</p>" + PROSE + "<p>&lol3;&lol3;</p>", title="&lol3; pier")
        article = extract_article(body, url="http://example.com/a.html")
        assert "root:" not in article.body and "lollol" not in article.body + article.title
        assert article.body.startswith("The council met")


# Every module-level regex of the extractor meets long runs of its own
# characters and of digits, letters, spaces and punctuation.  A pattern like
# \s*,\s* tried at each position of a whitespace run backtracks in quadratic
# time: four such patterns took 5 to 500 s on 20,000-character runs before
# they got their lookbehinds; linear ones take milliseconds.
REGEX_RUN_CHARS = 20_000
MAX_SECONDS_PER_RUN = 0.5


def _extractor_patterns() -> list[tuple[str, re.Pattern[str] | re.Pattern[bytes]]]:
    found = []
    for info in pkgutil.iter_modules(crawler.extract.__path__):
        module = importlib.import_module(f"crawler.extract.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found.append((f"{info.name}.{name}", value))
    return found


@pytest.mark.parametrize(("name", "pattern"), _extractor_patterns(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_regex_is_linear_on_adversarial_runs(
        name: str, pattern: re.Pattern[str] | re.Pattern[bytes]) -> None:
    source = pattern.pattern if isinstance(pattern.pattern, str) else pattern.pattern.decode("latin-1")
    own = sorted({c for c in source if c not in "\\[](){}?*+|^$"})
    units = random.Random(name).sample(own, min(len(own), 16))
    units += ["1", "a", " ", "\u00a0", "\u3000", "-", ":", "/", ".", "<", "商", "年", "1 ", "a-"]
    for unit in units:
        text = unit * (REGEX_RUN_CHARS // len(unit))
        data = text if isinstance(pattern.pattern, str) else text.encode("utf-8")
        start = time.perf_counter()
        pattern.search(data)  # type: ignore[arg-type]
        pattern.findall(data)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        assert elapsed < MAX_SECONDS_PER_RUN, f"{name} took {elapsed:.2f} s on a run of {unit!r}"


def test_byline_names_on_a_long_whitespace_run_are_bounded() -> None:
    start = time.perf_counter()
    assert clean_names(["\u00a0" * 50_000]) == ()
    assert time.perf_counter() - start < 1


def test_documented_reasons() -> None:
    with pytest.raises(UnparseableDocument) as empty:
        extract_article(b"  \n", url="http://example.com/")
    assert empty.value.reason == "empty_document" and empty.value.url == "http://example.com/"
    with pytest.raises(UnparseableDocument) as pdf:
        extract_article(b"%PDF-1.4 binary", url="http://example.com/a.pdf")
    assert pdf.value.reason == "binary"
    with pytest.raises(NotAnArticle) as short:
        extract_article(b"<html><body><p>Page moved.</p></body></html>", url="http://example.com/")
    assert short.value.reason == "body_too_short"
    assert "http://example.com/" in str(short.value)
