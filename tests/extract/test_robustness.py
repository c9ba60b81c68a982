"""Bad input never breaks the extractor: it returns an Article or raises an
ExtractionError, and it does so quickly, whatever the bytes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import Article, ExtractionError, NotAnArticle, UnparseableDocument, extract_article

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


@pytest.mark.parametrize("depth", [300, 1500, 5000])
def test_deep_nesting_is_bounded(depth: int) -> None:
    paragraph = "<p>" + "深层嵌套的正文内容，包含足够多的文字来构成一篇文章。" * 10 + "</p>"
    body = ("<html><body>" + "<div>" * depth + paragraph + "</div>" * depth).encode()
    article = _extract(body)
    if depth <= 1500:  # libxml2 keeps up to about 2,000 levels with huge_tree
        assert article is not None and "深层嵌套" in article.body


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
