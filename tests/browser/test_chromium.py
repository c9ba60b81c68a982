"""Headless Chromium loads the article page and search results of a real Datasette.

Checks the text a reader sees and that markup planted in an archived page (a
``<script>`` setting document.title, an ``onerror`` image) did not run.
Skipped when /usr/bin/chromium is absent; ``.ci/run`` installs it.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.archive.browse_support import Server, build_archive, running_datasette
from tests.crawler.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
# A cold headless Chromium start took ~3 s on the shared 2-core box.
CHROMIUM_TIMEOUT_S = 90

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is not installed (apt-get install chromium; .ci/run does it)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("chromium") / "archive.db"
    build_archive(path)
    with running_datasette(path, free_port()) as running:
        yield running


def dump_dom(url: str, profile: Path) -> str:
    """Return the DOM Chromium built for ``url``, after its scripts ran."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-proxy-server", f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def visible_text(dom: str) -> str:
    body = dom.split("<body", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def page_title(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, flags=re.DOTALL)
    return html.unescape(match.group(1)) if match else ""


def test_article_page_shows_the_article(server: Server, tmp_path: Path) -> None:
    dom = dump_dom(server.url("/-/article/archive/1"), tmp_path)
    text = visible_text(dom)
    assert page_title(dom) == "商丘日报：市委召开科学发展观学习会议"
    assert "商丘日报 · 王明 · 2009-09-04 13:23 (UTC+08:00) · Editors: 李华" in text
    assert "商丘市委昨日召开会议，深入学习实践科学发展观。" in text
    assert "Captures (2)" in text


def test_planted_script_did_not_run(server: Server, tmp_path: Path) -> None:
    dom = dump_dom(server.url("/-/article/archive/3"), tmp_path)
    assert page_title(dom) != "PWNED"
    assert page_title(dom).startswith("Harmless headline <script>")  # shown as text
    assert not re.search(r"<body[^>]*data-pwned", dom)
    assert not re.search(r"<img[^>]*onerror", dom)
    assert not re.search(r"<style>body\{display:none\}", dom)
    text = visible_text(dom)
    assert "<script>document.title='PWNED'</script>" in text
    assert "A last paragraph about the harbour." in text


def test_search_results_page(server: Server, tmp_path: Path) -> None:
    q = urllib.parse.quote("科学发展观")
    dom = dump_dom(server.url(f"/archive/search?q={q}"), tmp_path)
    text = visible_text(dom)
    assert "商丘日报：市委召开科学发展观学习会议" in text
    assert "<mark>科学发展观</mark>" in dom
    dom = dump_dom(server.url("/archive/articles?_search=harbour"), tmp_path)
    assert page_title(dom) != "PWNED"
    assert "1 row where search matches" in visible_text(dom)
    assert not re.search(r"<img[^>]*onerror", dom)
