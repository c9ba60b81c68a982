"""Crawler fixtures: a local news site served on 127.0.0.1, and the CLI in a subprocess.

``site`` serves ``tests/fixtures/site/`` once per test run on a free port,
with a few routes that misbehave on purpose (see ``SiteRequestHandler``).
Crawls run ``newsarchive`` in a subprocess (Twisted's reactor starts once per
process) through ``run_newsarchive``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import pytest

from crawler.demo import PageRequestHandler, serve_folder

FIXTURES = Path(__file__).parent.parent / "fixtures"
SITE_DIR = FIXTURES / "site"
SEED_SOURCE = FIXTURES / "pages" / "seed-gov-edu-2009" / "source.html"
SEED_PATH = "/news/zcfg/jywx/2009-09-04/32198.html"
# /slow answers after this long; crawls that hit it run with --timeout 1.
SLOW_RESPONSE_SECONDS = 3.0


@dataclass
class SiteState:
    """What the test site serves that tests may change: the /changing.html text."""

    changing_version: int = 1
    requests: list[str] = field(default_factory=list)


STATE = SiteState()


def changing_page(version: int) -> bytes:
    """Return the UTF-8 article page /changing.html serves for ``version``."""
    paragraphs = "".join(
        f"<p>Paragraph {n} of the harbour report, version {version}: the council met on "
        f"Tuesday and agreed to repair the old pier before the winter storms arrive.</p>"
        for n in range(1, 5)
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Harbour pier to be repaired (v{version})</title></head><body>"
        f"<h1>Harbour pier to be repaired</h1><article>{paragraphs}</article></body></html>"
    ).encode("utf-8")


class SiteRequestHandler(PageRequestHandler):
    """Serve the site folder plus routes that misbehave on purpose.

    /status/<code>   answers with that HTTP status
    /loop/a, /loop/b redirect to each other forever
    /doc.pdf         a PDF (application/pdf)
    /slow            an article, but only after SLOW_RESPONSE_SECONDS
    /changing.html   an article whose text follows STATE.changing_version
    SEED_PATH        the seed page bytes, text/html without charset
    """

    def do_GET(self) -> None:
        STATE.requests.append(self.path)
        path = self.path.split("?", 1)[0]
        if path.startswith("/status/"):
            self.send_error(int(path.rsplit("/", 1)[1]))
        elif path in ("/loop/a", "/loop/b"):
            self.redirect("/loop/b" if path == "/loop/a" else "/loop/a")
        elif path == "/doc.pdf":
            self.send_body(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf")
        elif path == "/slow":
            time.sleep(SLOW_RESPONSE_SECONDS)
            try:
                self.send_body(changing_page(0), "text/html")
            except ConnectionError:
                pass  # the crawler gave up waiting, as the test wants
        elif path == "/changing.html":
            self.send_body(changing_page(STATE.changing_version), "text/html")
        elif path == SEED_PATH:
            self.send_body(SEED_SOURCE.read_bytes(), "text/html")
        else:
            super().do_GET()

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_body(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class Site:
    base: str
    state: SiteState

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """Serve tests/fixtures/site on 127.0.0.1 at a free port for the whole run."""
    server: ThreadingHTTPServer = serve_folder(SITE_DIR, SiteRequestHandler)
    yield Site(base=f"http://127.0.0.1:{server.server_address[1]}/", state=STATE)
    server.shutdown()
    server.server_close()


RunNewsarchive = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_newsarchive(tmp_path: Path) -> RunNewsarchive:
    """Return a function running ``python -m crawler.cli ARGS`` in a subprocess in tmp_path."""

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crawler.cli", *args],
            capture_output=True, text=True, timeout=timeout, cwd=tmp_path, env=dict(os.environ),
        )

    return run


def free_port() -> int:
    """Return a loopback port nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
