"""The bundled demo pages and a throwaway local HTTP server that serves them.

``serve_folder(folder)`` starts ``http.server`` on 127.0.0.1 at a free port in
a daemon thread and returns the server; ``demo_page_urls(server)`` lists the
URLs of the bundled pages.  Pages go out as ``text/html`` without a charset,
the way the 2000s portals served them, so the crawler has to find the
encoding in the page itself.  Imports the stdlib only.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DEMO_DIR = Path(__file__).resolve().parent


class PageRequestHandler(SimpleHTTPRequestHandler):
    """Serve files of ``directory``; HTML as bare ``text/html`` (no charset)."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".html": "text/html"}

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the crawl prints what matters."""


def serve_folder(folder: Path, handler: type[PageRequestHandler] = PageRequestHandler) -> ThreadingHTTPServer:
    """Serve ``folder`` on 127.0.0.1 at a free port in a daemon thread; return the server.

    Call ``server.shutdown()`` when done.  The URL base is
    ``f"http://127.0.0.1:{server.server_address[1]}/"``.
    """

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="newsarchive-demo-http", daemon=True).start()
    return server


def demo_page_urls(server: ThreadingHTTPServer) -> list[str]:
    """Return the URLs of the bundled demo pages on ``server``."""
    port = server.server_address[1]
    return [f"http://127.0.0.1:{port}/{page.name}" for page in sorted(DEMO_DIR.glob("*.html"))]
