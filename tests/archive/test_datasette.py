"""Datasette serves the archive: metadata, facets, sorting and CJK search.

In-process tests go through ``Datasette(...).client``; one test starts a real
``python -m datasette serve`` from ``datasette_args``.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette
from datasette.plugins import pm
from datasette.utils import parse_metadata

import archive.datasette_plugin
from archive import datasette_args, metadata_path, open_archive, save_article

from tests.crawler.conftest import free_port

from .browse_support import running_datasette
from .conftest import EN_URL, ZH_URL, make_article, make_capture, make_english

OLD_URL = "http://www.sqrb.com.cn/news/2008-01-02/content_9.htm"


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    db = open_archive(path)
    try:
        save_article(db, make_article(), make_capture())
        save_article(db, make_english(), make_capture(url=EN_URL))
        older = make_article(
            url=OLD_URL, title="商丘旧闻", body="二〇〇八年的旧新闻。", published="2008-01-02T08:00:00+08:00"
        )
        save_article(db, older, make_capture(url=OLD_URL))
    finally:
        db.close()
    return path


@pytest.fixture
def plugin() -> Iterator[None]:
    """Register our plugin as the entry point would (the checkout is not installed)."""
    registered = pm.get_plugin("newsarchive") is None
    if registered:
        pm.register(archive.datasette_plugin, name="newsarchive")
    yield
    if registered:
        pm.unregister(name="newsarchive")


def fetch_json(path: Path, url: str) -> Any:
    async def run() -> Any:
        ds = Datasette([str(path)], metadata=parse_metadata(metadata_path().read_text()))
        try:
            await ds.invoke_startup()
            response = await ds.client.get(url)
            assert response.status_code == 200, response.text
            return response.json()
        finally:
            for database in ds.databases.values():
                database.close()

    return asyncio.run(run())


def test_our_escape_fts_wins_over_datasettes(plugin: None) -> None:
    conn = __import__("sqlite3").connect(":memory:")
    try:
        pm.hook.prepare_connection(conn=conn, database="archive", datasette=None)
        assert conn.execute("SELECT escape_fts('科学发展观')").fetchone()[0] == '"科学 学发 发展 展观"'
    finally:
        conn.close()


def test_search_finds_chinese_two_char_word(archive_path: Path, plugin: None) -> None:
    rows = fetch_json(archive_path, "/archive/articles.json?_search=商丘&_shape=array")
    assert [row["key"] for row in rows] == [ZH_URL, OLD_URL]


def test_search_finds_long_chinese_word_and_english(archive_path: Path, plugin: None) -> None:
    rows = fetch_json(archive_path, "/archive/articles.json?_search=科学发展观&_shape=array")
    assert [row["key"] for row in rows] == [ZH_URL]
    rows = fetch_json(archive_path, "/archive/articles.json?_search=archive&_shape=array")
    assert [row["key"] for row in rows] == [EN_URL]


def test_facets_and_newest_first(archive_path: Path, plugin: None) -> None:
    data = fetch_json(archive_path, "/archive/articles.json")
    assert set(data["facet_results"]) == {
        "site", "source", "section", "language", "authors", "published_year", "published_month"
    }
    sites = {f["value"]: f["count"] for f in data["facet_results"]["site"]["results"]}
    assert sites == {"www.sqrb.com.cn": 2, "news.example.org": 1}
    published = [row[data["columns"].index("published")] for row in data["rows"]]
    assert published == sorted(published, reverse=True)


def test_column_descriptions_cover_every_column(archive_path: Path) -> None:
    metadata = parse_metadata(metadata_path().read_text())
    tables = metadata["databases"]["archive"]["tables"]
    db = open_archive(archive_path)
    try:
        for table in ("articles", "captures", "versions"):
            described = set(tables[table]["columns"])
            # table_xinfo also lists generated columns (published_year, ...).
            columns = {row[1] for row in db.execute(f"PRAGMA table_xinfo({table})").fetchall()}
            assert described == columns, table
            assert tables[table]["description"]
    finally:
        db.close()


def test_real_datasette_process_searches_chinese(archive_path: Path) -> None:
    with running_datasette(archive_path, free_port()) as server:
        rows = server.get_json("/archive/articles.json?" + urllib.parse.urlencode(
            {"_search": "商丘", "_shape": "array"}))
        assert [row["key"] for row in rows] == [ZH_URL, OLD_URL]
        # Datasette's own escape_fts would also find 商丘 (one bigram token);
        # a 5-character word is found only if our plugin was loaded.
        rows = server.get_json("/archive/articles.json?" + urllib.parse.urlencode(
            {"_search": "科学发展观", "_shape": "array"}))
        assert [row["key"] for row in rows] == [ZH_URL]


def test_args_add_plugins_dir_only_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.browse

    monkeypatch.setattr(archive.browse, "_plugin_installed", lambda: False)
    args = datasette_args("archive.db", 8001)
    assert args[:2] == ["serve", "archive.db"]
    assert args[args.index("--metadata") + 1] == str(metadata_path())
    assert args[args.index("--plugins-dir") + 1] == str(archive.browse.PLUGINS_DIR)
    monkeypatch.setattr(archive.browse, "_plugin_installed", lambda: True)
    assert "--plugins-dir" not in datasette_args("archive.db", 8001, host="0.0.0.0")


def test_plugins_dir_shim_exposes_the_hook() -> None:
    from datasette.utils import module_from_path

    import archive.browse

    [shim_path] = archive.browse.PLUGINS_DIR.glob("*.py")
    shim = module_from_path(str(shim_path), name=shim_path.name)
    assert shim.prepare_connection is archive.datasette_plugin.prepare_connection


def test_metadata_applies_to_any_archive_file_name(archive_path: Path, plugin: None) -> None:
    renamed = archive_path.with_name("newsarchive-demo.db")
    archive_path.rename(renamed)

    async def run() -> Any:
        ds = Datasette([str(renamed)])  # no --metadata at all
        try:
            await ds.invoke_startup()
            response = await ds.client.get(
                "/newsarchive-demo/articles.json?_search=科学发展观&_shape=array"
            )
            assert response.status_code == 200, response.text
            return response.json()
        finally:
            for database in ds.databases.values():
                database.close()

    assert [row["key"] for row in asyncio.run(run())] == [ZH_URL]
