"""Crawler fixtures: a local news site served on 127.0.0.1, and the CLI in a subprocess.

``site`` serves ``tests/fixtures/site/`` once per test run on a free port,
with routes that misbehave on purpose (see ``SiteRequestHandler``): error
statuses, redirect loops, slow, endless and trickling bodies, decompression
bombs, oversized and reset bodies, binary and empty pages, soft 404s.
``portal`` serves the generated test portal (``tests/fixtures/portal``) once
per test module.  Crawls run ``newsarchive`` in a subprocess (Twisted's
reactor starts once per process) through ``run_newsarchive``.
"""

from __future__ import annotations

import functools
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import brotli
import pytest

from crawler.demo import PageRequestHandler, serve_folder
from tests.fixtures.portal import PortalServer, serve_portal

FIXTURES = Path(__file__).parent.parent / "fixtures"
SITE_DIR = FIXTURES / "site"
SEED_SOURCE = FIXTURES / "pages" / "seed-gov-edu-2009" / "source.html"
SEED_PATH = "/news/zcfg/jywx/2009-09-04/32198.html"
# /slow answers after this long; crawls that hit it run with --timeout 1.
SLOW_RESPONSE_SECONDS = 3.0
# What a decompression bomb inflates to: three times the 32 MiB DOWNLOAD_MAXSIZE,
# so a crawler without a cap after decompression holds all of it in memory.
BOMB_INFLATED_BYTES = 96 * 1024 * 1024
# A plain body just over the 32 MiB DOWNLOAD_MAXSIZE.
OVERSIZED_BODY_BYTES = 33 * 1024 * 1024
# /trickle sends one byte this often; /endless one chunk this often, slow
# enough that the timeout, not the size cap, ends it (~1.3 MB/s).
TRICKLE_INTERVAL_SECONDS = 0.5
ENDLESS_CHUNK = b"<p>" + b"all work and no play " * 3000 + b"</p>\n"
ENDLESS_INTERVAL_SECONDS = 0.05
# /reset promises this many bytes, sends RESET_SENT_BYTES of them and resets.
RESET_PROMISED_BYTES = 100_000
RESET_SENT_BYTES = 1_000
# Soft 404s: a 200 page whose title and heading say the page does not exist.
SOFT_404_PAGES = {
    "zh": ("页面不存在", "对不起，您访问的页面不存在或已被删除。"),
    "en": ("Page not found", "Sorry, the page you are looking for could not be found."),
    "404": ("404 Not Found", "The requested URL was not found on this server."),
}


@dataclass
class SiteState:
    """What the test site serves that tests may change: the /changing.html text; what it saw."""

    changing_version: int = 1
    requests: list[str] = field(default_factory=list)
    # When each /busy/ path was asked for (time.monotonic()).
    visits: dict[str, list[float]] = field(default_factory=dict)
    # Request headers of the latest request of each path.
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_first_visit(self, path: str) -> bool:
        """Note a visit of ``path``; return True if it is the first."""
        with self.lock:
            times = self.visits.setdefault(path, [])
            times.append(time.monotonic())
            return len(times) == 1


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


@functools.cache
def bomb(encoding: str) -> bytes:
    """Return BOMB_INFLATED_BYTES of zeros compressed with ``encoding`` (made once per run)."""
    chunk = bytes(1024 * 1024)
    count = BOMB_INFLATED_BYTES // len(chunk)
    compress: Callable[[bytes], bytes]
    if encoding in ("gzip", "deflate"):
        # Level 1: zeros still shrink 200-fold, at a quarter of level 9's time.
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
        compress, flush = compressor.compress, compressor.flush
    elif encoding == "br":
        brotli_compressor = brotli.Compressor(quality=1)
        compress, flush = brotli_compressor.process, brotli_compressor.finish
    else:
        zstd_compressor = zstd_module().ZstdCompressor()
        compress, flush = zstd_compressor.compress, zstd_compressor.flush
    return b"".join(compress(chunk) for _ in range(count)) + flush()


def zstd_module() -> object:
    """Return the zstd module Scrapy decodes with (stdlib from Python 3.14)."""
    if sys.version_info >= (3, 14):
        from compression import zstd  # type: ignore[import-not-found]
    else:
        from backports import zstd
    return zstd


def png_bytes() -> bytes:
    """Return a valid 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00\xff")) + chunk(b"IEND", b""))


def soft_404_page(title: str, text: str) -> bytes:
    """Return a 200 page whose title and heading say it does not exist."""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1><p>{text}</p><p><a href='/'>Home</a></p></body></html>"
            ).encode("utf-8")


BINARY_BODIES: dict[str, Callable[[], bytes]] = {
    "random": lambda: random.Random(6).randbytes(20_000),
    "png": png_bytes,
    "gzip": lambda: bomb("gzip")[:20_000],
}


class SiteRequestHandler(PageRequestHandler):
    """Serve the site folder plus routes that misbehave on purpose.

    /status/<code>       answers with that HTTP status
    /loop/a, /loop/b     redirect to each other forever
    /chain/<n>           redirects to /chain/<n-1>; /chain/0 is an article
    /busy/<code>/<token> answers <code> with Retry-After: 1 the first time, then an article
    /doc.pdf             a PDF (application/pdf)
    /slow                an article, but only after SLOW_RESPONSE_SECONDS
    /endless             text/html that never ends (a chunk every ENDLESS_INTERVAL_SECONDS)
    /trickle             text/html, one byte every TRICKLE_INTERVAL_SECONDS, never done
    /bomb/<encoding>     BOMB_INFLATED_BYTES of zeros as gzip, deflate, br or zstd
                         with that Content-Encoding
    /big/length          OVERSIZED_BODY_BYTES of HTML with Content-Length
    /big/chunked         the same, chunked, no length
    /reset               promises RESET_PROMISED_BYTES, sends RESET_SENT_BYTES, then a TCP RST
    /binary/<kind>       random bytes, a PNG or gzip data served as text/html
    /empty               200, text/html, no body
    /soft404/<key>       a 200 page of SOFT_404_PAGES saying the page does not exist
    /changing.html       an article whose text follows STATE.changing_version
    SEED_PATH            the seed page bytes, text/html without charset
    """

    def do_GET(self) -> None:
        STATE.requests.append(self.path)
        path = self.path.split("?", 1)[0]
        STATE.headers[path] = dict(self.headers.items())
        if path.startswith("/status/"):
            self.send_error(int(path.rsplit("/", 1)[1]))
        elif path in ("/loop/a", "/loop/b"):
            self.redirect("/loop/b" if path == "/loop/a" else "/loop/a")
        elif path.startswith("/chain/"):
            hops = int(path.rsplit("/", 1)[1])
            if hops:
                self.redirect(f"/chain/{hops - 1}")
            else:
                self.send_body(changing_page(0), "text/html")
        elif path.startswith("/busy/"):
            status = int(path.split("/")[2])
            if STATE.take_first_visit(path):
                self.send_response(status)
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_body(changing_page(0), "text/html")
        elif path.startswith("/bomb/"):
            encoding = path.rsplit("/", 1)[1]
            self.send_body(bomb(encoding), "text/html", {"Content-Encoding": encoding})
        elif path == "/big/length":
            self.send_big_body(chunked=False)
        elif path == "/big/chunked":
            self.send_big_body(chunked=True)
        elif path in ("/endless", "/trickle"):
            self.send_forever(path == "/trickle")
        elif path == "/reset":
            self.send_then_reset()
        elif path.startswith("/binary/"):
            self.send_body(BINARY_BODIES[path.rsplit("/", 1)[1]](), "text/html")
        elif path == "/empty":
            self.send_body(b"", "text/html")
        elif path.startswith("/soft404/"):
            self.send_body(soft_404_page(*SOFT_404_PAGES[path.rsplit("/", 1)[1]]), "text/html")
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

    def send_body(self, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except ConnectionError:
            pass  # the crawler stopped reading (a body over its size cap)

    def send_big_body(self, chunked: bool) -> None:
        """Send OVERSIZED_BODY_BYTES of HTML, with Content-Length or chunked."""
        piece = ENDLESS_CHUNK
        count = OVERSIZED_BODY_BYTES // len(piece) + 1
        self.protocol_version = "HTTP/1.1"  # chunked needs an HTTP/1.1 status line
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Connection", "close")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            piece = b"%x\r\n%s\r\n" % (len(piece), piece)
        else:
            self.send_header("Content-Length", str(count * len(piece)))
        self.end_headers()
        try:
            for _ in range(count):
                self.wfile.write(piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except ConnectionError:
            pass  # the crawler hit its size cap and hung up, as the test wants

    def send_forever(self, trickle: bool) -> None:
        """Send an HTML body that never ends, until the crawler hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()  # no length: the body ends when the connection does
        try:
            self.wfile.write(b"<!DOCTYPE html><html><head><title>Forever</title></head><body>")
            while True:
                if trickle:
                    time.sleep(TRICKLE_INTERVAL_SECONDS)
                    self.wfile.write(b"x")
                else:
                    time.sleep(ENDLESS_INTERVAL_SECONDS)
                    self.wfile.write(ENDLESS_CHUNK)
                self.wfile.flush()
        except ConnectionError:
            pass  # the crawler gave up, as the test wants

    def send_then_reset(self) -> None:
        """Promise RESET_PROMISED_BYTES, send RESET_SENT_BYTES, then reset the connection."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(RESET_PROMISED_BYTES))
        self.end_headers()
        self.wfile.write(b"<html><body><p>" + b"x" * RESET_SENT_BYTES)
        self.wfile.flush()
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


@dataclass
class Site:
    base: str
    state: SiteState

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")


@pytest.fixture(scope="module")
def portal() -> Iterator[PortalServer]:
    """Serve the generated test portal on 127.0.0.1 for one test module."""
    server = serve_portal()
    yield server
    server.shutdown()
    server.server_close()


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
