"""analyze_page: one parse per page tells the crawler its kind, article and links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extract import ExtractOptions, NotAnArticle, UnparseableDocument, extract_article
from crawler.extract.analyze import PageAnalysis, analyze_page, classify_url

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
FIXTURES = sorted(p for p in PAGES.iterdir() if (p / "source.html").is_file())

NAV = "".join(f'<li><a href="/{s}/">{s}</a></li>' for s in ("news", "sport", "culture", "world"))
PROSE_ZH = ("商丘市委昨日召开全市领导干部大会，深入学习实践科学发展观，"
            "会议要求各级干部进一步提高认识，切实把思想统一到中央的决策部署上来。")
PROSE_EN = ("The city council voted on Monday to turn the old rail yard into a public park, "
            "ending a decade of debate over what should happen to the land by the river.")


def page(body: str, title: str = "Example", head: str = "") -> bytes:
    return (f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body><ul class='menu'>{NAV}</ul>{body}</body></html>").encode("utf-8")


def analyze(body: bytes, url: str) -> PageAnalysis:
    return analyze_page(body, url)


def list_2000s() -> bytes:
    rows = "".join(
        f'<tr><td>·<a href="/news/2009-09/{i:02d}/content_{i}.htm">商丘市召开第{i}次科学发展观学习会议</a>'
        f"</td><td>(2009-09-{i:02d})</td></tr>"
        for i in range(1, 26)
    )
    more = '<a href="/news/index_2.htm">下一页</a> <a href="/news/index_25.htm">尾页</a>'
    return page(f"<table>{rows}</table><p>{more}</p>", title="本地新闻_商丘日报")


def test_2000s_chinese_list_page_is_a_list_with_its_links_and_next_page() -> None:
    result = analyze(list_2000s(), "http://www.sqrb.com.cn/news/list_1.htm")
    assert result.kind == "list"
    assert result.article is None
    assert "http://www.sqrb.com.cn/news/2009-09/01/content_1.htm" in result.links
    assert result.next_pages == ("http://www.sqrb.com.cn/news/index_2.htm",)


def test_list_page_without_url_hint_is_still_a_list() -> None:
    result = analyze(list_2000s(), "http://www.sqrb.com.cn/node_12.htm")
    assert (result.kind, result.reason) == ("list", "body_too_short")


def test_list_with_long_blurbs_between_headlines_is_a_list() -> None:
    items = "".join(
        f'<div><h3><a href="/2024/05/story-{i}.html">Story number {i} about the river park</a></h3>'
        f"<p>{PROSE_EN}</p></div>" for i in range(6)
    )
    result = analyze(page(items), "https://news.example.org/local/latest.html")
    assert (result.kind, result.reason) in {("list", "list_teasers"), ("list", "list_page_links"),
                                            ("list", "body_too_short")}


def test_modern_section_page_with_teaser_cards() -> None:
    cards = "".join(
        f'<article class="card"><a href="/local/2024/05/0{i}/story-{i}/"><img src="/i{i}.jpg">'
        f"<h2>Council votes on park plan, part {i}</h2></a><p>A short teaser for story {i}.</p>"
        f"<time>May {i}, 2024</time></article>" for i in range(1, 10)
    )
    result = analyze(page(f"<main>{cards}</main>"), "https://news.example.org/local/")
    assert result.kind == "section"
    assert result.article is None
    assert "https://news.example.org/local/2024/05/01/story-1/" in result.links


def test_tag_page() -> None:
    items = "".join(f'<li><a href="/a/{i}.html">Headline {i} about parks</a></li>' for i in range(5))
    result = analyze(page(f"<ul>{items}</ul>"), "https://news.example.org/tag/parks/")
    assert (result.kind, result.reason) == ("tag", "tag_url")


@pytest.mark.parametrize("url", ["https://news.example.org/search?q=park",
                                 "https://news.example.org/?s=park",
                                 "http://www.sqrb.com.cn/search.php?keyword=商丘"])
def test_search_page(url: str) -> None:
    items = "".join(f'<p><a href="/a/{i}.html">Result {i}</a> {PROSE_EN}</p>' for i in range(3))
    result = analyze(page(items), url)
    assert (result.kind, result.reason) == ("search", "search_url")


def test_paginated_list_with_next_link() -> None:
    items = "".join(f'<li><a href="/news/{i}.html">第{i}条新闻</a> 2009-09-04</li>' for i in range(20))
    body = f'<ul>{items}</ul><div class="pages"><a href="?page=1">上一页</a> <a href="?page=3">下一页</a></div>'
    result = analyze(page(body), "http://www.sqrb.com.cn/news/more.php?page=2")
    assert (result.kind, result.reason) == ("pagination", "pagination_url")
    assert result.next_pages == ("http://www.sqrb.com.cn/news/more.php?page=3",)


def test_next_pages_from_rel_next_and_page_numbers() -> None:
    body = ('<a href="/news/page/3/">3</a> <a href="/news/page/4/" rel="next">Older posts</a>'
            '<a href="/news/page/9/">9</a>')
    head = '<link rel="next" href="/news/page/4/">'
    result = analyze(page(body, head=head), "https://blog.example.org/news/page/3/")
    assert result.next_pages == ("https://blog.example.org/news/page/4/",)
    numbered = analyze(page('<a href="index_3.html">3</a> <a href="index_9.html">9</a>'),
                       "http://www.sqrb.com.cn/news/index_2.html")
    assert numbered.next_pages == ("http://www.sqrb.com.cn/news/index_3.html",)


def test_home_page() -> None:
    result = analyze(page(f"<p>{PROSE_EN}</p><p>{PROSE_EN}</p>"), "https://news.example.org/")
    assert (result.kind, result.reason) == ("home", "home_url")
    assert analyze(page("<p>hi</p>"), "http://www.sqrb.com.cn/index.html").kind == "home"


@pytest.mark.parametrize(("title", "h1"), [("页面不存在", "您访问的页面不存在"),
                                           ("404 Not Found", "Not Found"),
                                           ("Example News", "Page not found")])
def test_soft_404(title: str, h1: str) -> None:
    result = analyze(page(f"<h1>{h1}</h1><p>请检查网址。<a href='/'>返回首页</a></p>", title=title),
                     "http://www.sqrb.com.cn/news/2009-09/04/content_9.htm")
    assert (result.kind, result.reason) == ("error", "soft_404")
    assert result.article is None


def test_short_page_without_links_is_an_error_with_the_extractor_reason() -> None:
    body = b"<html><body><p>Moved.</p></body></html>"
    result = analyze(body, "https://news.example.org/a/1.html")
    assert (result.kind, result.reason, result.links) == ("error", "body_too_short", ())


def test_article_in_a_2000s_table_layout() -> None:
    body = (f'<table><tr><td><h1>商丘召开科学发展观学习会议</h1>'
            f"<p>{PROSE_ZH}</p><p>{PROSE_ZH}</p><p>{PROSE_ZH}</p></td></tr></table>")
    result = analyze(page(body, title="商丘召开科学发展观学习会议"),
                     "http://www.sqrb.com.cn/news/2009-09/04/content_1.htm")
    assert (result.kind, result.reason) == ("article", "article")
    assert result.article is not None and PROSE_ZH in result.article.body


def test_json_ld_article_beats_a_section_shaped_url() -> None:
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Park"}</script>'
    body = f"<article><h1>Park approved</h1><p>{PROSE_EN}</p><p>{PROSE_EN}</p></article>"
    result = analyze(page(body, head=ld), "https://news.example.org/local/rail-yard-park/")
    assert result.kind == "article"


def test_links_are_absolute_deduplicated_and_without_fragments() -> None:
    body = ('<base href="https://cdn.example.org/base/">'
            '<a href="a.html#x">a</a><a href="a.html">again</a><a href="#top">top</a>'
            '<a href="mailto:x@example.org">mail</a><a href="javascript:void(0)">js</a>'
            '<a href="https://other.example.com/b?x=1#y">b</a><a>no href</a>')
    result = analyze(page(body), "https://news.example.org/x/1.html")
    nav = [f"https://cdn.example.org/{s}/" for s in ("news", "sport", "culture", "world")]
    assert result.links == (*nav, "https://cdn.example.org/base/a.html",
                            "https://other.example.com/b?x=1")


def test_canonical_url_is_reported() -> None:
    head = '<link rel="canonical" href="https://news.example.org/a/1.html">'
    body = f"<p>{PROSE_EN}</p><p>{PROSE_EN}</p>"
    result = analyze(page(body, head=head), "https://news.example.org/a/1.html?utm_source=x")
    assert result.canonical_url == "https://news.example.org/a/1.html"


@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.name for p in FIXTURES])
def test_every_fixture_article_is_an_article_with_the_extractors_output(fixture: Path) -> None:
    url = json.loads((fixture / "expected.json").read_text(encoding="utf-8"))["url"]
    raw = (fixture / "source.html").read_bytes()
    options = ExtractOptions(fetched_at=None)
    result = analyze_page(raw, url, options=options)
    assert (result.kind, result.reason) == ("article", "article")
    assert result.article == extract_article(raw, url, options=options)


def test_non_html_bytes_raise() -> None:
    with pytest.raises(UnparseableDocument):
        analyze_page(b"%PDF-1.4 binary", "https://news.example.org/a.pdf")


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://e.org/", "home"),
        ("https://e.org/index.shtml", "home"),
        ("https://e.org/news/", "section"),
        ("https://e.org/2024/05/12/park-approved/", None),
        ("https://e.org/news/1.html", None),
        ("https://e.org/tags/park", "tag"),
        ("https://e.org/topic/park.html", "tag"),
        ("https://e.org/search?q=x", "search"),
        ("https://e.org/news/page/2/", "pagination"),
        ("https://e.org/news/index_2.html", "pagination"),
        ("https://e.org/news?page=3", "pagination"),
        ("https://e.org/?p=123", None),
        ("https://e.org/news/list_12.html", "list"),
        ("https://e.org/list/12", "list"),
    ],
)
def test_classify_url(url: str, kind: str | None) -> None:
    assert classify_url(url) == kind


@pytest.mark.parametrize("title", [
    "Page not found | Example News", "Error 404 - Example News", "404", "Sorry, page not found",
    "The page you requested was not found.", "页面不存在_商丘网", "对不起，该信息已被删除",
])
def test_extract_article_rejects_soft_404_pages(title: str) -> None:
    body = page(f"<h1>{title}</h1><p>请检查网址。<a href='/'>返回首页</a></p>", title=title)
    with pytest.raises(NotAnArticle) as error:
        extract_article(body, "http://www.sqrb.com.cn/news/2009-09/04/content_9.htm")
    assert error.value.reason == "soft_404"


@pytest.mark.parametrize("title", [
    "Missing climber still not found after four days", "Route 404 reopens after landslide",
    "Flight AF404 diverted to Lisbon", "Old bridge no longer available to trucks",
    "涉事视频已被删除 平台回应", "网传“内部文件”内容不存在伪造",
])
def test_articles_that_mention_not_found_are_kept(title: str) -> None:
    # Found in review: the headline must *be* the error message, not mention it.
    body = page(f"<h1>{title}</h1><p>{PROSE_EN}</p><p>{PROSE_EN[::-1]}</p>", title=f"{title} - Daily News")
    article = extract_article(body, "https://news.example.com/2024/03/05/story.html")
    assert article.title
