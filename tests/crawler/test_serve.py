"""A real Datasette process, started by `newsarchive serve` as a user types it, searched over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from archive import open_archive, save_article
from crawler.extract import ExtractOptions, extract_article
from tests.crawler.conftest import SEED_SOURCE, free_port

SEED_URL = "http://www.edu-china-net.cn/news/zcfg/jywx/2009-09-04/32198.html"
# Datasette starts in about a second here; a loaded CI machine gets more.
DATASETTE_START_TIMEOUT_SECONDS = 30


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def archive_seed_page(db_path: Path) -> None:
    body = SEED_SOURCE.read_bytes()
    article = extract_article(body, url=SEED_URL, headers={"Content-Type": "text/html"},
                              options=ExtractOptions())
    capture = {"url": SEED_URL, "final_url": SEED_URL, "fetched_at": "2026-01-01T00:00:00+00:00",
               "status": 200, "headers": {"Content-Type": "text/html"}, "body": body,
               "declared_encoding": article.declared_encoding, "encoding": article.encoding,
               "error": None}
    db = open_archive(db_path)
    assert save_article(db, article.to_dict(), capture) == "archived"
    db.close()


def test_datasette_search_finds_the_seed_article(tmp_path: Path) -> None:
    db_path = tmp_path / "seed.db"
    archive_seed_page(db_path)
    port = free_port()
    # A relative --db, as the README and `newsarchive demo` print it.
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", db_path.name, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=db_path.parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + DATASETTE_START_TIMEOUT_SECONDS
        while True:
            try:
                get_json(f"{base}/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "datasette did not start"
                time.sleep(0.2)
        query = urllib.parse.urlencode({"_search": "商丘", "_shape": "array"})
        rows = get_json(f"{base}/seed/articles.json?{query}")
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stderr:
            server.stderr.close()
    assert [row["title"] for row in rows] == ["党员干部受教育 科学发展上水平 人民群众得实惠"]
    assert rows[0]["source"] == "商丘日报"
