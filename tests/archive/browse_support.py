"""A small archive for the browsing tests, and a real Datasette process serving it.

Used by tests/archive/test_browse_server.py and tests/browser/.  The archive
holds a Chinese article with one earlier version, an English article, a page
whose archived title and body carry a planted ``<script>`` and ``onerror``
image, and a failed fetch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive import datasette_args, open_archive, save_article, save_failure

from .conftest import EN_URL, make_article, make_capture, make_english

REPO_ROOT = Path(__file__).resolve().parents[2]
XSS_URL = "https://evil.example.net/2024/07/xss.html"
FAILED_URL = "https://news.example.org/gone.html"
# What a crawled page could try: run script from its title or its body.
XSS_TITLE = "Harmless headline <script>document.title='PWNED'</script>"
XSS_BODY = (
    "Attackers planted markup in this archived page.\n\n"
    "<script>document.title='PWNED'</script>"
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','yes')\">"
    " The archive must show it as text.\n\n"
    "<style>body{display:none}</style> A last paragraph about the harbour."
)
# A cold `python -m datasette serve` took up to ~4 s on the shared 2-core box.
SERVER_START_TIMEOUT_S = 30.0


def build_archive(path: Path) -> None:
    """Write the browsing archive to ``path``."""
    db = open_archive(path)
    try:
        save_article(db, make_article(body="商丘市委昨日召开会议。\n\n旧的第二段。"),
                     make_capture(fetched_at="2024-05-01T10:00:00+00:00"))
        save_article(db, make_article(), make_capture())
        save_article(db, make_english(authors=["Jane Doe", "Li Wei"]),
                     make_capture(url=EN_URL, final_url=EN_URL, headers={"Content-Type": "text/html; charset=utf-8"},
                                  body=b"<html><body><p>archive</p></body></html>"))
        save_article(db, make_english(url=XSS_URL, title=XSS_TITLE, body=XSS_BODY,
                                      published="2023-03-04T05:06:00-05:00", source="Evil Gazette",
                                      authors=["Mallory"], section="Opinion"),
                     make_capture(url=XSS_URL, final_url=XSS_URL, body=XSS_BODY.encode()))
        save_failure(db, make_capture(url=FAILED_URL, final_url=FAILED_URL, status=404, body=b"gone",
                                      error="http_404", fetched_at="2024-06-01T11:00:00+00:00"))
    finally:
        db.close()


@dataclass
class Server:
    base: str
    database: str

    def url(self, path: str) -> str:
        return self.base + path

    def get_json(self, path: str) -> Any:
        return json.loads(self.get(path))

    def get(self, path: str) -> str:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.url(path), timeout=10) as response:
            return str(response.read().decode("utf-8"))


@contextmanager
def running_datasette(db_path: Path, port: int) -> Iterator[Server]:
    """Run ``python -m datasette`` with ``datasette_args`` until the block ends."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "datasette", *datasette_args(db_path, port)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    server = Server(base=f"http://127.0.0.1:{port}", database=db_path.stem)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            try:
                server.get("/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None:
                    raise RuntimeError(process.stderr.read().decode() if process.stderr else "")
                assert time.monotonic() < deadline, "datasette did not start"
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
