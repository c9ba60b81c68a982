"""The body stage's rules, one small page each (the saved pages in
tests/fixtures/pages exercise them together)."""

from __future__ import annotations

import pytest

from crawler.extract import ExtractOptions, extract_article

URL = "http://news.example.cn/2009/0904/1.html"
ZH = [
    "按照中央和省委统一部署，我市从2009年3月开始开展了第一批学习实践科学发展观活动，取得了较好的成效。",
    "在学习调研阶段，全市共举办专题辅导班3012次，集中培训13.8万人次，学习实践活动运转有序，推进有力。",
    "在分析检查阶段，全市各级领导班子紧紧围绕活动主题，发扬民主，严格标准，推动活动深入开展。",
]
EN = [
    "The city council voted 7-2 on Monday night to convert the abandoned rail yard into a riverside park.",
    "The plan calls for walking and cycling paths, a playground and a small amphitheater near the water.",
    "Construction could begin next spring if the state approves the environmental review this winter.",
]
NAV = "".join(f'<a href="/c/{i}">栏目{i}</a> | ' for i in range(12))
LINKS = "".join(f'<li><a href="/n/{i}.html">最新快讯标题第{i}条新闻内容</a></li>' for i in range(10))


def body_of(html: str, **options: object) -> str:
    page = f"<html><head><title>标题</title></head><body>{html}</body></html>"
    return extract_article(page.encode("utf-8"), url=URL, options=ExtractOptions(**options)).body  # type: ignore[arg-type]


def test_br_separated_td_article_loses_its_glued_headline_and_byline() -> None:
    cell = ("<b>党员干部受教育</b><br>来源:商丘日报&nbsp;&nbsp;&nbsp;2009-9-4 13:23:00<br><br>"
            + "<br><br>".join("&nbsp;&nbsp;&nbsp;&nbsp;" + p for p in ZH))
    html = f"<table><tr><td>{NAV}</td></tr><tr><td>{cell}</td><td><ul>{LINKS}</ul></td></tr></table>"
    assert body_of(html).split("\n\n") == ZH


def test_hard_wrapped_lines_are_one_article() -> None:
    text = "".join(ZH) * 2
    lines = [text[i:i + 36] for i in range(0, len(text), 36)]
    html = f"<div>{NAV}</div><div>{'<br>'.join(lines)}</div><ul>{LINKS}</ul>"
    assert "".join(body_of(html).split("\n\n")) == text


def test_share_bar_and_related_list_inside_the_article_are_dropped() -> None:
    html = (f'<div class="article"><p>{ZH[0]}</p><div class="share-bar">分享到：微博 微信</div>'
            f'<p>{ZH[1]}</p><p>{ZH[2]}</p><div class="related"><h3>相关新闻</h3><ul>{LINKS}</ul></div>'
            "<p>上一篇：其他新闻 下一篇：更多新闻</p></div>")
    assert body_of(html).split("\n\n") == ZH


def test_teaser_box_of_blurbs_with_linked_headlines_is_not_the_article() -> None:
    teasers = "".join(
        f'<div class="item"><h3><a href="/t/{i}">Another story about the harbor number {i}</a></h3>'
        f"<p>A short blurb about another story that happened somewhere else, number {i}.</p></div>"
        for i in range(8))
    html = f"<main><div>{''.join(f'<p>{p}</p>' for p in EN)}</div><section>{teasers}</section></main>"
    assert body_of(html).split("\n\n") == EN


def test_summary_box_repeating_the_lead_is_dropped() -> None:
    html = (f'<div class="summary">【摘要】{ZH[0]}</div>'
            f"<div>{''.join(f'<p>{p}</p>' for p in ZH)}</div>")
    assert body_of(html).split("\n\n") == ZH


def test_list_closing_the_article_is_kept_but_not_a_link_list_after_it() -> None:
    dates = ["June 24 – Bristow, VA", "June 26 – Allentown, PA", "June 27 – Camden, NJ"]
    html = (f"<article>{''.join(f'<p>{p}</p>' for p in EN)}<ul>{''.join(f'<li>{d}</li>' for d in dates)}</ul>"
            f"</article><aside><ul>{LINKS}</ul></aside>")
    assert body_of(html).split("\n\n") == EN + dates


def test_headings_between_paragraphs_are_kept() -> None:
    html = (f"<h1>学习实践活动取得成效</h1><div><p>{ZH[0]}</p><h2>一、着力做好筹备谋划工作</h2>"
            f"<p>{ZH[1]}</p><p>{ZH[2]}</p></div>")
    assert body_of(html).split("\n\n") == [ZH[0], "一、着力做好筹备谋划工作", ZH[1], ZH[2]]


def test_embedded_post_in_a_blockquote_is_kept() -> None:
    tweet = ('<blockquote class="twitter-tweet"><p>Finally a park! <a href="https://t.co/x">pic.twitter.com/x</a></p>'
             '— Jane (@jane) <a href="https://twitter.com/jane/status/1">November 18, 2019</a></blockquote>')
    html = f"<article><p>{EN[0]}</p>{tweet}<p>{EN[1]}</p><p>{EN[2]}</p></article>"
    body = body_of(html)
    assert "Finally a park!" in body and "(@jane)" in body


def test_short_two_paragraph_news_is_an_article() -> None:
    html = f"<div>{NAV}</div><div class='content'><p>{ZH[0]}</p><p>{ZH[1]}</p></div><ul>{LINKS}</ul>"
    assert body_of(html).split("\n\n") == ZH[:2]


def test_copyright_and_icp_footer_never_reach_the_body() -> None:
    footer = "<p>版权所有 中国教育网 京ICP证000045号-81</p><p>Copyright © 2009 All rights reserved</p>"
    html = f"<div>{''.join(f'<p>{p}</p>' for p in ZH)}{footer}</div>"
    assert body_of(html).split("\n\n") == ZH


def test_captions_only_on_request() -> None:
    figure = '<figure><img src="a.jpg"><figcaption>The rail yard in February. Photo: AP</figcaption></figure>'
    html = f"<article><p>{EN[0]}</p>{figure}<p>{EN[1]}</p><p>{EN[2]}</p></article>"
    assert "rail yard in February" not in body_of(html)
    assert "rail yard in February" in body_of(html, include_captions=True)


DE = ["Der Stadtrat hat am Montagabend mit sieben zu zwei Stimmen beschlossen, das Bahngelände in einen Park umzuwandeln.",
      "Der Plan sieht Rad- und Fußwege, einen Spielplatz und eine kleine Freilichtbühne am Wasser vor.",
      "Die Bauarbeiten könnten im nächsten Frühjahr beginnen, wenn das Land die Umweltprüfung genehmigt."]
RU = ["Городской совет в понедельник вечером семью голосами против двух решил превратить заброшенную станцию в парк.",
      "План предусматривает велосипедные и пешеходные дорожки, детскую площадку и небольшой амфитеатр у воды.",
      "Строительство может начаться следующей весной, если власти одобрят экологическую экспертизу этой зимой."]
JA = ["市議会は月曜日の夜、七対二の賛成多数で、使われなくなった鉄道用地を川沿いの公園に転用することを決めた。",
      "計画では、遊歩道と自転車道、遊び場、水辺の小さな野外劇場を整備する。",
      "州が今冬に環境評価を承認すれば、来春にも工事が始まる可能性がある。"]


@pytest.mark.parametrize(("paragraphs", "lines"), [
    (DE, ["Anzeige", "Lesen Sie auch: Neuer Radweg", "Artikel teilen"]),
    (RU, ["Реклама", "Читайте также: Новый парк", "Поделиться"]),
    (JA, ["広告", "関連記事：新しい公園", "続きを読む"]),
])
def test_boilerplate_lines_in_other_languages_are_dropped(paragraphs: list[str], lines: list[str]) -> None:
    html = (f"<h1>Headline</h1><article><p>{paragraphs[0]}</p><p>{lines[0]}</p><p>{paragraphs[1]}</p>"
            f"<p>{lines[1]}</p><p>{paragraphs[2]}</p><p>{lines[2]}</p></article>")
    assert body_of(html).split("\n\n") == paragraphs
