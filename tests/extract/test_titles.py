"""Headline choice: <title> parts, og/twitter/JSON-LD titles and visible headings."""

from __future__ import annotations

import pytest

from crawler.extract.metadata import Metadata, extract_metadata
from crawler.extract.model import ExtractOptions
from crawler.extract.parse import parse_html
from crawler.extract.titles import (
    TitleCandidate,
    choose_title,
    split_title,
    strip_site_name,
)


def meta_of(html: str, url: str = "http://www.example.com/a/2009/09/04/a.html") -> Metadata:
    return extract_metadata(parse_html(html.encode("utf-8"), url), ExtractOptions())


@pytest.mark.parametrize(
    ("title", "parts"),
    [
        ("党员干部受教育 科学发展上水平 人民群众得实惠_教育文献_中国教育网",
         ["党员干部受教育 科学发展上水平 人民群众得实惠", "教育文献", "中国教育网"]),
        ("Storm hits coast - BBC News", ["Storm hits coast", "BBC News"]),
        ("Storm hits coast | Reuters", ["Storm hits coast", "Reuters"]),
        ("习近平会见外宾——新华网", ["习近平会见外宾", "新华网"]),
        ("中美经贸磋商取得进展-中国日报网", ["中美经贸磋商取得进展", "中国日报网"]),
        ("COVID-19 cases rise", ["COVID-19 cases rise"]),
    ],
)
def test_split_title(title: str, parts: list[str]) -> None:
    assert split_title(title) == parts


def test_strip_site_name() -> None:
    assert strip_site_name("Storm hits coast - BBC News", frozenset({"bbcnews"}), False) == (
        "Storm hits coast")
    assert strip_site_name("A - B - Site", frozenset({"site"}), False) == "A - B"
    assert strip_site_name("标题很长的新闻_栏目_网站", frozenset(), True) == "标题很长的新闻"


def test_choose_title_prefers_the_heading_matching_the_title() -> None:
    chosen = choose_title(
        [TitleCandidate("中国教育网", "h1"), TitleCandidate("党员干部受教育 科学发展上水平", "heading")],
        "党员干部受教育 科学发展上水平_教育文献_中国教育网", (),
    )
    assert chosen is not None
    assert (chosen.text, chosen.source) == ("党员干部受教育 科学发展上水平", "heading")


def test_chinese_title_suffix_removed_without_heading() -> None:
    meta = meta_of("<html><head><title>党员干部受教育 科学发展上水平 人民群众得实惠_教育文献_中国教育网"
                   "</title></head><body><p>正文</p></body></html>")
    assert meta.title == "党员干部受教育 科学发展上水平 人民群众得实惠"
    assert meta.title_source == "title"


def test_english_og_title_suffix_and_h1() -> None:
    meta = meta_of(
        '<html><head><title>Storm hits coast - BBC News</title>'
        '<meta property="og:title" content="Storm hits coast - BBC News">'
        '<meta property="og:site_name" content="BBC News"></head>'
        '<body><div class="logo"><h1>BBC</h1></div><h1>Storm hits coast</h1></body></html>'
    )
    assert meta.title == "Storm hits coast"
    assert meta.title_source == "h1"


def test_og_title_without_heading() -> None:
    meta = meta_of(
        '<html><head><title>Storm hits coast | Reuters</title>'
        '<meta property="og:title" content="Storm hits coast"></head><body><p>x</p></body></html>'
    )
    assert meta.title == "Storm hits coast"
    assert meta.title_source == "meta:og"


def test_json_ld_headline() -> None:
    meta = meta_of(
        '<html><head><title>Site</title><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Markets rally on rate hopes"}</script></head>'
        "<body><p>x</p></body></html>"
    )
    assert meta.title == "Markets rally on rate hopes"
    assert meta.title_source == "json-ld"


def test_big_font_headline_in_table_layout() -> None:
    meta = meta_of(
        "<html><head><title>省农业厅部署秋季动物防疫工作——某某农业信息网</title></head><body>"
        "<table><tr><td><font size='2'>网站首页</font></td></tr>"
        "<tr><td align=center><font size='5'><b>省农业厅部署秋季动物防疫工作</b></font></td></tr>"
        "<tr><td>时间：2006-09-19</td></tr></table></body></html>"
    )
    assert meta.title == "省农业厅部署秋季动物防疫工作"
    assert meta.title_source == "heading"
    assert meta.published == "2006-09-19"


def test_styled_headline_and_colon_title() -> None:
    meta = meta_of(
        "<html><head><title>李克强：推动经济平稳运行_时政_某网</title></head><body>"
        "<div style='font-size:22px;font-weight:bold'>李克强：推动经济平稳运行</div></body></html>"
    )
    assert meta.title == "李克强：推动经济平稳运行"


def test_no_title_at_all() -> None:
    meta = meta_of("<html><body><p>only text</p></body></html>")
    assert meta.title is None
    assert meta.title_source is None


def test_logo_h1_loses_to_the_title() -> None:
    meta = meta_of("<html><head><title>省农业厅部署秋季动物防疫工作</title></head><body>"
                   "<h1 class='logo'>中国农业信息网</h1><p>正文。</p></body></html>")
    assert (meta.title, meta.title_source) == ("省农业厅部署秋季动物防疫工作", "title")


def test_site_name_title_loses_to_the_h1() -> None:
    meta = meta_of("<html><head><title>中国农业信息网</title></head><body>"
                   "<h1>省农业厅部署秋季动物防疫工作</h1><p>正文。</p></body></html>")
    assert (meta.title, meta.title_source) == ("省农业厅部署秋季动物防疫工作", "h1")
