"""Breadcrumb trails from text, containers and JSON-LD; section is the last crumb."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.extract.breadcrumbs import (
    breadcrumb_from_element,
    breadcrumb_from_json_ld,
    clean_breadcrumb,
    split_breadcrumb,
)
from crawler.extract.metadata import extract_metadata
from crawler.extract.model import ExtractOptions
from crawler.extract.parse import parse_html


@pytest.mark.parametrize(
    ("text", "crumbs"),
    [
        ("当前位置:首页 >> 新闻资讯 >> 政策法规 >> 教育文献 >> 正文",
         ("首页", "新闻资讯", "政策法规", "教育文献", "正文")),
        ("您的位置: 首页 > 新闻 > 正文", ("首页", "新闻", "正文")),
        ("您现在的位置：网站首页 → 工作动态", ("网站首页", "工作动态")),
        ("Home › World › Asia", ("Home", "World", "Asia")),
        ("Home » Politics", ("Home", "Politics")),
        ("Sie sind hier: Startseite > Lokales > Stadt", ("Startseite", "Lokales", "Stadt")),
    ],
)
def test_split_breadcrumb(text: str, crumbs: tuple[str, ...]) -> None:
    assert split_breadcrumb(text) == crumbs


@pytest.mark.parametrize(
    "text",
    ["Politics > Economy", "a sentence that mentions home > away in passing" * 10, "", "新闻 / 体育"],
)
def test_split_breadcrumb_rejects_non_trails(text: str) -> None:
    assert split_breadcrumb(text) is None


def test_clean_breadcrumb_drops_home_article_and_title() -> None:
    crumbs = ("首页", "新闻资讯", "政策法规", "教育文献", "正文")
    assert clean_breadcrumb(crumbs, "标题") == ("新闻资讯", "政策法规", "教育文献")
    assert clean_breadcrumb(("Home", "World", "Big storm hits coast"), "Big storm hits coast") == (
        "World",)
    assert clean_breadcrumb(("清河新闻网", "本县新闻"), None, frozenset({"清河新闻网"})) == ("本县新闻",)
    assert clean_breadcrumb(("主页", "网站首页", "正文"), None) == ()


def test_breadcrumb_from_element_reads_links_and_tail() -> None:
    element = lxml.html.fragment_fromstring(
        '<div class="crumbs"><a href="https://www.x.com/">华夏在线</a> &gt; '
        '<a href="https://news.x.com/">新闻频道</a> &gt; <a href="/c1004/">国内新闻</a> &gt; 正文</div>'
    )
    assert breadcrumb_from_element(element) == ("新闻频道", "国内新闻", "正文")


def test_breadcrumb_from_json_ld_orders_by_position() -> None:
    objects = ({"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 2, "name": "World"},
        {"@type": "ListItem", "position": 1, "item": {"@id": "/", "name": "Home"}},
        {"@type": "ListItem", "position": "3", "item": {"name": "Asia"}},
        "junk",
    ]},)
    assert breadcrumb_from_json_ld(objects) == ("Home", "World", "Asia")
    assert breadcrumb_from_json_ld(({"@type": "BreadcrumbList", "itemListElement": "x"},)) is None


def meta_of(html: str, url: str = "http://www.example.com/news/2009/09/04/a.html"):  # type: ignore[no-untyped-def]
    return extract_metadata(parse_html(html.encode("utf-8"), url), ExtractOptions())


def test_seed_text_trail_gives_section() -> None:
    meta = meta_of(
        "<html><body><table><tr><td>当前位置:<a href='/'>首页</a> &gt;&gt; <a>新闻资讯</a> &gt;&gt; "
        "<a>政策法规</a> &gt;&gt; <a>教育文献</a> &gt;&gt; 正文</td></tr></table>"
        "<h1>党员干部受教育</h1><p>正文。</p></body></html>"
    )
    assert meta.breadcrumb == ("新闻资讯", "政策法规", "教育文献")
    assert meta.section == "教育文献"
    assert "当前位置:首页 >> 新闻资讯 >> 政策法规 >> 教育文献 >> 正文" in meta.boilerplate_lines


def test_nav_aria_breadcrumb_list() -> None:
    meta = meta_of(
        "<html><body><nav aria-label='breadcrumb'><ol><li><a href='/'>Home</a></li>"
        "<li><a href='/world/'>World</a></li><li><a href='/world/asia/'>Asia</a></li></ol></nav>"
        "<h1>Storm hits the coast</h1><p>Text.</p></body></html>"
    )
    assert meta.breadcrumb == ("World", "Asia")
    assert meta.section == "Asia"


def test_home_link_trail_without_marks() -> None:
    meta = meta_of(
        "<html><body><div><a href='/'>Главная</a> / <a href='/news/'>Новости</a> / "
        "<a href='/news/society/'>Общество</a></div><h1>Заголовок статьи</h1></body></html>"
    )
    assert meta.breadcrumb == ("Новости", "Общество")


def test_section_falls_back_to_article_section() -> None:
    meta = meta_of(
        '<html><head><meta property="article:section" content="Sport"></head>'
        "<body><h1>Match report</h1></body></html>"
    )
    assert meta.breadcrumb == ()
    assert meta.section == "Sport"


def test_json_ld_breadcrumb_wins() -> None:
    meta = meta_of(
        '<html><head><script type="application/ld+json">{"@type": "BreadcrumbList",'
        ' "itemListElement": [{"position": 1, "name": "Home"}, {"position": 2, "name": "Tech"}]}'
        "</script></head><body><h1>Chips</h1></body></html>"
    )
    assert meta.breadcrumb == ("Tech",)
    assert meta.section == "Tech"


def test_menu_starting_with_home_is_not_a_breadcrumb() -> None:
    meta = meta_of(
        "<html><body><table><tr><td class='navbar'><a href='/'>Home</a> | <a href='/news/'>News</a> | "
        "<a href='/sports/'>Sports</a> | <a href='/contact/'>Contact Us</a></td></tr></table>"
        "<h1>Mill to close</h1><p>Text of the article.</p></body></html>"
    )
    assert meta.breadcrumb == ()
    assert meta.section is None
