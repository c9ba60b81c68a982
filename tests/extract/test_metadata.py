"""extract_metadata on small pages: provenance, zones, people, links, robustness."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract.errors import UnparseableDocument
from crawler.extract.metadata import Metadata, extract_metadata
from crawler.extract.model import ExtractOptions
from crawler.extract.parse import parse_html

FETCHED = datetime(2026, 1, 1, tzinfo=UTC)
SEED = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>党员干部受教育 科学发展上水平 人民群众得实惠_教育文献_中国教育网</title></head><body>
<table><tr><td>当前位置:<a href="/">首页</a> &gt;&gt; <a href="/xw/">新闻资讯</a> &gt;&gt;
<a href="/zc/">政策法规</a> &gt;&gt; <a href="/wx/">教育文献</a> &gt;&gt; 正文</td></tr></table>
<table><tr><td class="title">党员干部受教育 科学发展上水平 人民群众得实惠</td></tr>
<tr><td>来源:商丘日报&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;2009-9-4 13:23:00</td></tr>
<tr><td><p>近日，我市开展学习实践活动。</p><p>（责任编辑：李四）</p></td></tr></table>
<div class="side"><div class="title">最新快讯</div><ul><li><a href="/1.html">别的新闻</a> 2009-09-05</li>
</ul></div></body></html>"""


def meta_of(html: str, url: str = "http://www.example.com/news/a.html", encoding: str = "utf-8",
            **options: object) -> Metadata:
    doc = parse_html(html.encode(encoding), url)
    return extract_metadata(doc, ExtractOptions(fetched_at=FETCHED, **options))  # type: ignore[arg-type]


def test_seed_page() -> None:
    meta = meta_of(SEED, "http://www.edu.cn/zong_he/20090904/t20090904_403633.shtml", "gbk")
    assert meta.title == "党员干部受教育 科学发展上水平 人民群众得实惠"
    assert (meta.published, meta.date_source) == ("2009-09-04T13:23:00+08:00", "byline")
    assert (meta.source, meta.source_source) == ("商丘日报", "byline")
    assert meta.authors == ()
    assert meta.editors == ("李四",)
    assert meta.breadcrumb == ("新闻资讯", "政策法规", "教育文献")
    assert meta.section == "教育文献"
    assert meta.language == "zh"
    assert "来源:商丘日报 2009-9-4 13:23:00" in meta.boilerplate_lines
    assert "党员干部受教育 科学发展上水平 人民群众得实惠" in meta.boilerplate_lines


def test_extract_metadata_does_not_change_the_tree() -> None:
    doc = parse_html(SEED.encode("gbk"), "http://www.edu.cn/a.html")
    before = lxml.html.tostring(doc.root)
    snapshot = copy.deepcopy(doc.root)
    extract_metadata(doc, ExtractOptions())
    assert lxml.html.tostring(doc.root) == before == lxml.html.tostring(snapshot)


def test_full_chinese_byline() -> None:
    meta = meta_of(
        "<html lang='zh-CN'><body><h1>多地加快推进城市更新</h1>"
        "<div class='info'>2009年09月04日 10:21&nbsp;&nbsp;来源：人民网&nbsp;&nbsp;作者：张三"
        "&nbsp;&nbsp;责任编辑：李四</div><p>正文内容。</p></body></html>"
    )
    assert meta.published == "2009-09-04T10:21:00+08:00"
    assert (meta.source, meta.authors, meta.editors) == ("人民网", ("张三",), ("李四",))


def test_page_offset_wins_over_site_zone_and_language() -> None:
    html = ("<html lang='zh'><head><meta property='article:published_time' "
            "content='2009-09-04T13:23:00-04:00'></head><body><h1>标题标题标题</h1></body></html>")
    meta = meta_of(html, site_timezone="Europe/Berlin")
    assert (meta.published, meta.date_source) == ("2009-09-04T13:23:00-04:00", "meta:article")


def test_site_timezone_beats_language_default() -> None:
    html = "<html lang='zh'><body><h1>标题标题标题</h1><div>发布时间：2009-09-04 13:23</div></body></html>"
    assert meta_of(html, site_timezone="Asia/Tokyo").published == "2009-09-04T13:23:00+09:00"
    assert meta_of(html).published == "2009-09-04T13:23:00+08:00"
    assert meta_of(html, site_timezone="Bad/Zone").published == "2009-09-04T13:23:00+08:00"


def test_english_without_zone_stays_naive_or_plain() -> None:
    html = "<html lang='en'><body><h1>Storm hits the coast</h1><p>By Jane Doe</p>{}</body></html>"
    assert meta_of(html.format("<p>Sept. 4, 2009</p>")).published == "2009-09-04"
    assert meta_of(html.format("<p>Sept. 4, 2009 10:21</p>")).published == "2009-09-04T10:21:00"
    assert meta_of(html.format("<p>Updated 10:21 AM EDT, Fri September 4, 2009</p>")).published == (
        "2009-09-04T10:21:00-04:00")


def test_no_date_after_fetch_or_before_1990() -> None:
    html = ("<html lang='zh'><head><meta name='pubdate' content='2030-01-01'></head><body>"
            "<h1>标题标题标题</h1><div>发布时间：1989-06-01</div></body></html>")
    meta = meta_of(html, "http://www.example.com/2009/09/04/a.html")
    assert (meta.published, meta.date_source) == ("2009-09-04", "url")


def test_json_ld_graph_dates_and_people() -> None:
    html = """<html><head><script type="application/ld+json">{"@context": "https://schema.org",
    "@graph": [{"@type": "WebSite", "name": "Harbor Light"},
    {"@type": "NewsArticle", "headline": "Park approved", "datePublished": "2024-03-12T07:45:00-04:00",
     "dateModified": "2024-03-12T09:00:00-04:00", "author": [{"@type": "Person", "name": "Rachel Kim"},
     {"@type": "Person", "name": "Tom Alvarez"}], "publisher": {"@type": "Organization",
     "name": "Harbor Light"}, "image": {"@type": "ImageObject", "url": "/img/a.jpg"},
     "keywords": ["parks", "council"], "inLanguage": "en-US"}]}</script></head>
    <body><h1>Park approved</h1><p>The council voted.</p></body></html>"""
    meta = meta_of(html, "https://www.harbor.com/local/2024/03/12/park/")
    assert (meta.published, meta.date_source) == ("2024-03-12T07:45:00-04:00", "json-ld")
    assert meta.modified == "2024-03-12T09:00:00-04:00"
    assert meta.authors == ("Rachel Kim", "Tom Alvarez")
    assert (meta.source, meta.source_source) == ("Harbor Light", "json-ld:publisher")
    assert meta.image == "https://www.harbor.com/img/a.jpg"
    assert meta.keywords == ("parks", "council")
    assert meta.language == "en"


def test_meta_tags_time_and_microdata() -> None:
    html = ("<html><head><meta name='description' content=' A  summary. '>"
            "<meta name='keywords' content='教育,改革；政策、学校 考试'>"
            "<meta property='og:image' content='//cdn.example.com/i.jpg'>"
            "<meta name='author' content='Jane Doe'></head><body><h1>Headline here</h1>"
            "<time datetime='2019-03-04'>March 4</time><p>Text.</p></body></html>")
    meta = meta_of(html)
    assert meta.description == "A summary."
    assert meta.keywords == ("教育", "改革", "政策", "学校", "考试")
    assert meta.image == "http://cdn.example.com/i.jpg"
    assert meta.authors == ("Jane Doe",)
    assert (meta.published, meta.date_source) == ("2019-03-04", "time")


def test_canonical_rules() -> None:
    page = "http://www.example.com/news/2019/a.html"
    canonical = "<html><head><link rel='canonical' href='{}'></head><body><h1>Title x</h1></body></html>"
    assert meta_of(canonical.format("/news/2019/a.html?x=1"), page).canonical_url == (
        "http://www.example.com/news/2019/a.html?x=1")
    assert meta_of(canonical.format("https://m.example.com/n/a"), page).canonical_url == (
        "https://m.example.com/n/a")
    assert meta_of(canonical.format("/"), page).canonical_url is None
    assert meta_of(canonical.format("http://other.org/a.html"), page).canonical_url is None
    assert meta_of(canonical.format("javascript:void(0)"), page).canonical_url is None


def test_site_name_is_a_flagged_last_resort_and_never_an_author() -> None:
    html = ("<html><head><meta property='og:site_name' content='Daily Planet'>"
            "<meta name='author' content='Daily Planet'></head><body><h1>Headline here</h1></body></html>")
    meta = meta_of(html)
    assert (meta.source, meta.source_source) == ("Daily Planet", "meta:site_name")
    assert meta.authors == ()


def test_byline_source_beats_meta_and_editor_is_not_author() -> None:
    html = ("<html lang='zh'><head><meta name='author' content='某某网'></head><body>"
            "<h1>标题标题标题</h1><p>作者：王五 编辑：赵六</p><p>来源：新华社</p></body></html>")
    meta = meta_of(html)
    assert (meta.source, meta.source_source) == ("新华社", "byline")
    assert meta.authors == ("王五",)
    assert meta.editors == ("赵六",)


def test_sidebar_dates_lose_to_the_byline() -> None:
    html = ("<html lang='zh'><body><div class='side'><ul>" + "".join(
        f"<li><a href='/{i}.html'>别的新闻{i}</a> 2009-09-0{i}</li>" for i in range(1, 8))
        + "</ul></div><div class='main'><h1>今天的头条新闻标题</h1><div>2009年08月30日 08:00</div>"
        "<p>正文。</p></div></body></html>")
    assert meta_of(html).published == "2009-08-30T08:00:00+08:00"


def test_declared_english_but_chinese_text() -> None:
    html = "<html lang='en'><body><h1>教育部发布新政策</h1><p>" + "教育部今天发布了新的政策文件。" * 20 + "</p></body></html>"
    assert meta_of(html).language == "zh"


def test_absent_values() -> None:
    meta = meta_of("<html><body><p>nothing</p></body></html>")
    assert meta.published is None and meta.date_source is None
    assert meta.source is None and meta.authors == () and meta.editors == ()
    assert meta.breadcrumb == () and meta.section is None
    assert meta.description is None and meta.canonical_url is None and meta.image is None
    assert meta.keywords == ()


def test_malformed_json_ld_and_huge_attributes() -> None:
    html = ('<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
            '"headline": ["x", {"a": 1}], "datePublished": {"bad": true}, "author": 5, '
            '"image": [null, 3], "keywords": {"x": 1}</script>'
            '<script type="application/ld+json">[1, "a", {"@type": ["Article"], "author": '
            '{"name": null}}]</script>'
            f'<meta name="description" content="{"x" * 100_000}"></head>'
            f'<body class="{"title " * 10_000}"><h1>{"标题" * 5000}</h1></body></html>')
    meta = meta_of(html)
    assert meta.published is None
    assert meta.description is not None and len(meta.description) <= 2000


HTML_PIECES = st.sampled_from([
    "<html>", "<head>", "<title>", "</title>", "<body>", "<h1>", "</h1>", "<p>", "</p>", "<td class='title'>",
    "<div class='crumb'>", "</div>", "<a href='/'>", "</a>", "<br>", "&nbsp;", "来源：", "作者：", "责任编辑：",
    "2009-9-4 13:23:00", "2009年09月04日", "Sept. 4, 2009", "当前位置：首页 >> 新闻 >> 正文", " > ", "By Jane Doe",
    '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": ',
    '"2009-09-04T10:00:00+08:00"}</script>', "<meta property='og:title' content='", "'>",
    "<time datetime='", "<font size=5>", "9" * 50, "-" * 50, "<table><tr><td>", "</td></tr></table>",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.lists(st.one_of(HTML_PIECES, st.text(max_size=30)), max_size=60).map("".join),
    st.binary(max_size=2000).map(lambda b: b.decode("latin-1")),
), st.integers(min_value=0, max_value=2000))
def test_extract_metadata_never_raises_on_garbage(html: str, cut: int) -> None:
    body = html[: cut or None].encode("utf-8", "surrogatepass")
    try:
        doc = parse_html(body, "http://www.example.com/2009/09/04/x.html")
    except UnparseableDocument:
        return
    started = time.perf_counter()
    meta = extract_metadata(doc, ExtractOptions(fetched_at=FETCHED))
    assert time.perf_counter() - started < 1.0
    assert isinstance(meta, Metadata)


def test_portal_byline_with_font_size_controls_and_reposted_source() -> None:
    meta = meta_of(
        "<html><head><title>新闻标题在这里_国内新闻_某某网</title></head><body>"
        "<div class='logo'><h1><a href='/'>某某网</a></h1></div>"
        "<div class='crumb'>您当前的位置：<a href='/'>首页</a> &gt; <a href='/gn/'>国内新闻</a></div>"
        "<div class='main'><h2>新闻标题在这里</h2>"
        "<div class='info'>发布时间: 2023-05-06 10:21:35 &nbsp;来源: 人民网－人民日报&nbsp; "
        "作者:李明 【字体：大 中 小】</div><p>正文第一段。</p><p>编辑：王刚</p></div></body></html>"
    )
    assert (meta.title, meta.title_source) == ("新闻标题在这里", "heading")
    assert meta.published == "2023-05-06T10:21:35+08:00"
    assert meta.source == "人民网－人民日报"
    assert meta.authors == ("李明",)
    assert meta.editors == ("王刚",)
    assert meta.breadcrumb == ("国内新闻",)


def test_english_byline_with_time_before_date() -> None:
    meta = meta_of(
        "<html lang='en'><head><title>Mill to close | The Gazette</title></head><body>"
        "<h1>Mill to close</h1><p class='byline'>By <a>Jane Doe</a> and <a>John Smith</a> | "
        "Published 4:16 PM EDT, Sept 4, 2009</p><p>The mill will close.</p></body></html>"
    )
    assert meta.authors == ("Jane Doe", "John Smith")
    assert (meta.published, meta.date_source) == ("2009-09-04T16:16:00-04:00", "byline")
