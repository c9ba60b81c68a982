"""A real Datasette process on 127.0.0.1 serves the archive as `newsarchive serve` does.

One process per module (starting one costs a second or more); every test reads
its JSON API or HTML over HTTP.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawler.conftest import free_port

from .browse_support import (
    FAILED_URL,
    XSS_URL,
    Server,
    build_archive,
    running_datasette,
)
from .conftest import EN_URL, ZH_URL


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("browse") / "archive.db"
    build_archive(path)
    with running_datasette(path, free_port()) as running:
        yield running


def search_keys(server: Server, query: str) -> list[str]:
    q = urllib.parse.quote(query)
    return [row["key"] for row in server.get_json(f"/archive/articles.json?_search={q}&_shape=array")]


def facet_values(server: Server, name: str) -> dict[str, int]:
    data = server.get_json("/archive/articles.json")
    return {str(f["value"]): f["count"] for f in data["facet_results"][name]["results"]}


def test_facets_on_site_source_section_language_authors_and_dates(server: Server) -> None:
    assert facet_values(server, "site") == {
        "www.sqrb.com.cn": 1, "news.example.org": 1, "evil.example.net": 1}
    assert facet_values(server, "source") == {"商丘日报": 1, "Example News": 1, "Evil Gazette": 1}
    assert facet_values(server, "section") == {"本地新闻": 1, "Local": 1, "Opinion": 1}
    assert facet_values(server, "language") == {"zh": 1, "en": 2}
    assert facet_values(server, "authors") == {"王明": 1, "Jane Doe": 1, "Li Wei": 1, "Mallory": 1}
    assert facet_values(server, "published_year") == {"2009": 1, "2024": 1, "2023": 1}
    assert facet_values(server, "published_month") == {"2009-09": 1, "2024-05": 1, "2023-03": 1}


def test_facet_selection_filters_by_array_member(server: Server) -> None:
    rows = server.get_json("/archive/articles.json?_facet_array=authors&authors__arraycontains=Li+Wei&_shape=array")
    assert [row["key"] for row in rows] == [EN_URL]


def test_table_is_newest_first_with_title_as_label(server: Server) -> None:
    data = server.get_json("/archive/articles.json")
    published = [row[data["columns"].index("published")] for row in data["rows"]]
    assert published == sorted(published, reverse=True)
    assert server.get_json("/archive/articles/1.json?_shape=array")[0]["title"].startswith("商丘日报")


def test_search_box_finds_chinese_and_english(server: Server) -> None:
    assert search_keys(server, "商丘") == [ZH_URL]
    assert search_keys(server, "科学发展观") == [ZH_URL]
    assert search_keys(server, "archive") == [EN_URL, XSS_URL]  # title hit first
    assert search_keys(server, "harbour") == [XSS_URL]
    assert search_keys(server, "nothingmatchesthis") == []


def test_search_query_ranks_and_marks_hits(server: Server) -> None:
    q = urllib.parse.quote("科学发展观")
    [row] = server.get_json(f"/archive/search.json?q={q}&_shape=array")
    assert row["title"] == "商丘日报：市委召开科学发展观学习会议"
    assert "⟦科学发展观⟧" in row["snippet"]
    page = server.get(f"/archive/search?q={q}")
    assert "<mark>科学发展观</mark>" in page


def test_canned_queries(server: Server) -> None:
    latest = server.get_json("/archive/latest.json?_shape=array")
    assert [row["url"] for row in latest] == [EN_URL, XSS_URL, ZH_URL]
    changed = server.get_json("/archive/changed_since.json?since=2024-01-01&_shape=array")
    assert [(row["url"], row["changes"]) for row in changed] == [(ZH_URL, 1)]
    assert server.get_json("/archive/changed_since.json?since=2025-01-01&_shape=array") == []
    failed = server.get_json("/archive/failed_last_crawl.json?_shape=array")
    assert [(row["url"], row["error"]) for row in failed] == [(FAILED_URL, "http_404")]
    url = urllib.parse.quote(ZH_URL, safe="")
    captures = server.get_json(f"/archive/captures_of_url.json?url={url}&_shape=array")
    assert [row["fetched_at"] for row in captures] == ["2024-06-01T10:00:00+00:00", "2024-05-01T10:00:00+00:00"]


def test_article_page_reads_like_an_article(server: Server) -> None:
    page = server.get("/-/article/archive/1")
    assert '<h1 class="na-headline">商丘日报：市委召开科学发展观学习会议</h1>' in page
    assert "商丘日报" in page and "王明" in page and "Editors: 李华" in page
    assert "2009-09-04 13:23 (UTC+08:00)" in page
    assert "首页 › 本地新闻" in page
    assert "<p>商丘市委昨日召开会议，深入学习实践科学发展观。</p>" in page
    assert f'href="{ZH_URL}"' in page
    assert "Captures (2)" in page and "Versions (1 earlier)" in page
    assert "<del>旧的第二段</del><ins>会议要求各级干部提高认识</ins>" in page


def test_table_titles_link_to_the_article_page(server: Server) -> None:
    assert '<a href="/-/article/archive/1">商丘日报' in server.get("/archive/articles")


def test_archived_markup_is_shown_as_text(server: Server) -> None:
    page = server.get("/-/article/archive/3")
    assert "<script>document.title" not in page and "<img src=x" not in page
    assert "<style>body" not in page
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;" in page
    visible = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "onerror=\"document.body.setAttribute('data-pwned','yes')\"" in visible
    table = server.get("/archive/articles")
    assert "<script>document.title" not in table


def test_unknown_article_is_404(server: Server) -> None:
    import urllib.error

    for path in ("/-/article/archive/999", "/-/article/nosuchdb/1"):
        with pytest.raises(urllib.error.HTTPError) as info:
            server.get(path)
        info.value.close()
        assert info.value.code == 404


def test_datasette_args_serves_bundled_templates(tmp_path: Path) -> None:
    from archive import datasette_args
    from archive.browse import templates_path

    args = datasette_args(tmp_path / "a.db", 8001)
    assert args[args.index("--template-dir") + 1] == str(templates_path())
    assert (templates_path() / "newsarchive_article.html").is_file()
    settings = {args[i + 1]: args[i + 2] for i, a in enumerate(args) if a == "--setting"}
    assert settings == {"suggest_facets": "off", "facet_time_limit_ms": "1000",
                        "sql_time_limit_ms": "5000"}


def test_authors_facet_counts_only_the_filtered_rows_and_marks_the_selection(server: Server) -> None:
    data = server.get_json("/archive/articles.json?language=en")
    results = data["facet_results"]["authors"]["results"]
    assert {r["value"]: r["count"] for r in results} == {"Jane Doe": 1, "Li Wei": 1, "Mallory": 1}
    data = server.get_json("/archive/articles.json?authors__arraycontains=Li+Wei")
    [selected] = [r for r in data["facet_results"]["authors"]["results"] if r["selected"]]
    assert selected["value"] == "Li Wei" and "arraycontains" not in selected["toggle_url"]
