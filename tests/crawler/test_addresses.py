"""Server-side fetch guards (crawler/addresses.py): private addresses, schemes, listeners.

Unit tests read the address policy and the two middlewares directly; the
crawl tests run the CLI in a subprocess against two servers of their own:
``public`` on 127.0.0.1 (allowed with ``CRAWL_ALLOWED_NETWORKS=127.0.0.1/32``)
and ``secret`` on 127.0.0.2, which a crawl must never reach.  Each of the
three layers is also tested alone, with the other two taken out, so that
each test fails when its own guard is gone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import sqlite_utils
from click.testing import CliRunner
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError, UnsupportedURLSchemeError
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.addresses import (
    AddressPolicy,
    AddressPolicyError,
    ConnectedAddressMiddleware,
    PrivateAddressMiddleware,
    PrivateAddressRefused,
    PublicAddressResolver,
    host_address,
    parse_networks,
)
from crawler.cli import main

REPO = Path(__file__).resolve().parents[2]
ONLY_LOOPBACK_1 = ("-s", "CRAWL_ALLOWED_NETWORKS=127.0.0.1/32")
FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=0")
PORTAL_FAST = (*FAST, "-s", "CRAWL_EXTRACT_PROCESSES=0", "-s", "CRAWL_PROGRESS_INTERVAL_SECONDS=0")
# /slow holds its answer until the test has looked at the crawl's sockets.
SLOW_PAGE_MAX_SECONDS = 30.0


def article_html(title: str) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {n} of {title}: the council met on Tuesday and agreed to repair "
        f"the old pier before the winter storms arrive at the harbour.</p>" for n in range(1, 5))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"</head><body><h1>{title}</h1><article>{paragraphs}</article></body></html>").encode()


@dataclass
class Servers:
    public: str
    secret: str
    local_sitemap: Path
    requests: list[str] = field(default_factory=list)
    secret_connections: list[str] = field(default_factory=list)
    release_slow: threading.Event = field(default_factory=threading.Event)

    def mark(self) -> tuple[int, int]:
        return len(self.requests), len(self.secret_connections)


class PublicHandler(BaseHTTPRequestHandler):
    """127.0.0.1: articles, redirects to anywhere, a slow page, a sitemap index with file:/data: entries."""

    servers: Servers

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.servers.requests.append(self.path)
        parts = urlsplit(self.path)
        base = self.servers.public
        if parts.path == "/redirect":
            self.answer(302, b"", "text/html", location=parse_qs(parts.query)["to"][0])
        elif parts.path == "/slow":
            self.servers.release_slow.wait(SLOW_PAGE_MAX_SECONDS)
            self.answer(200, article_html("Slow page"), "text/html")
        elif parts.path == "/robots.txt":
            self.answer(200, f"User-agent: *\nAllow: /\nSitemap: {base}sitemap-index.xml\n".encode(),
                        "text/plain")
        elif parts.path == "/sitemap-index.xml":
            self.answer(200, sitemap_index(base, self.servers.local_sitemap), "application/xml")
        elif parts.path == "/":
            links = f"<a href='{self.servers.local_sitemap.as_uri()}'>local</a><a href='/a.html'>a</a>"
            self.answer(200, f"<html><body><h1>Home</h1>{links}</body></html>".encode(), "text/html")
        elif parts.path.endswith(".html"):
            self.answer(200, article_html(f"Article {parts.path}"), "text/html")
        else:
            self.answer(404, b"not found", "text/plain")

    def answer(self, status: int, body: bytes, content_type: str, location: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)


def urlset(*urls: str) -> str:
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'


def sitemap_index(base: str, local_sitemap: Path) -> bytes:
    """A sitemap index whose entries are a local file and a data: URL, each listing a marker page."""
    data_url = "data:application/xml," + quote(urlset(f"{base}leaked-by-data.html"))
    entries = "".join(f"<sitemap><loc>{url}</loc></sitemap>"
                      for url in (local_sitemap.as_uri(), data_url.replace("&", "&amp;")))
    return (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</sitemapindex>").encode()


class SecretServer(ThreadingHTTPServer):
    """127.0.0.2: answers every path with an article, and counts every connection."""

    servers: Servers

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.servers.secret_connections.append(str(client_address))
        return True


class SecretHandler(PublicHandler):
    def do_GET(self) -> None:
        self.answer(200, article_html("Secret intranet page"), "text/html")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    public = ThreadingHTTPServer(("127.0.0.1", 0), PublicHandler)
    secret = SecretServer(("127.0.0.2", 0), SecretHandler)
    local_sitemap = tmp_path_factory.mktemp("local") / "sitemap.xml"
    state = Servers(public=f"http://127.0.0.1:{public.server_address[1]}/",
                    secret=f"http://127.0.0.2:{secret.server_address[1]}/", local_sitemap=local_sitemap)
    local_sitemap.write_text(urlset(f"{state.public}leaked-by-file.html"), encoding="utf-8")
    PublicHandler.servers = SecretServer.servers = state
    for server in (public, secret):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    state.release_slow.set()
    for server in (public, secret):
        server.shutdown()
        server.server_close()


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", *args]


def run_cli(tmp_path: Path, *args: str) -> "subprocess.CompletedProcess[str]":
    """Run the CLI in tmp_path; the repo is on PYTHONPATH for resolvers defined in this file."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(cli(*args), capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=env)


def outcomes(stdout: str) -> dict[str, str]:
    return dict(line.split("  ", 1) for line in stdout.splitlines() if line.startswith("http"))


def middlewares_without(*names: str) -> tuple[str, str]:
    """Return ``-s DOWNLOADER_MIDDLEWARES=...``: the project's, with ``names`` switched off."""
    chosen: dict[str, int | None] = dict(project_settings.DOWNLOADER_MIDDLEWARES)
    chosen.update({name: None for name in names})
    return "-s", f"DOWNLOADER_MIDDLEWARES={json.dumps(chosen)}"


def secret_urls(servers: Servers) -> list[str]:
    """Spellings of 127.0.0.2 (the secret server) and a metadata address, each behind a redirect."""
    port = urlsplit(servers.secret).port
    targets = [f"http://127.0.0.2:{port}/dotted", f"http://2130706434:{port}/decimal",
               f"http://0x7f000002:{port}/hex", f"http://0177.0.0.2:{port}/octal",
               f"http://127.2:{port}/short", f"http://[::ffff:127.0.0.2]:{port}/mapped",
               "http://169.254.169.254/latest/meta-data/"]
    return [f"{servers.public}redirect?to={quote(target, safe='')}" for target in targets]


# The policy and the request-time check


@pytest.mark.parametrize(("host", "expected"), [
    ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("017700000001", "127.0.0.1"),
    ("0", "0.0.0.0"), ("[::ffff:127.0.0.1]", "::ffff:7f00:1"), ("::1", "::1"),
    ("localhost", "127.0.0.1"), ("LOCALHOST.", "127.0.0.1"), ("app.localhost", "127.0.0.1"),
    ("127.0.0.1.", "127.0.0.1"), ("example.com", None), ("deadbeef", None), ("1e100.net", None),
])
def test_host_address_reads_every_numeric_form(host: str, expected: str | None) -> None:
    address = host_address(host)
    assert (None if address is None else str(address)) == expected


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.2.1",
    "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "ff02::1", "fec0::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::1", "2001::1",
])
def test_policy_refuses_non_public_addresses(address: str) -> None:
    assert not AddressPolicy().allows(ip_address(address))
    assert AddressPolicy(allow_private=True).allows(ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111",
                                     "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_policy_allows_public_addresses(address: str) -> None:
    assert AddressPolicy().allows(ip_address(address))


def test_allowed_networks_open_only_themselves() -> None:
    policy = AddressPolicy(allowed_networks=parse_networks(["127.0.0.1/32", " 10.1.0.0/16", ""]))
    assert policy.allows(ip_address("127.0.0.1"))
    assert policy.allows(ip_address("::ffff:127.0.0.1"))
    assert policy.allows(ip_address("10.1.200.3"))
    assert not policy.allows(ip_address("127.0.0.2"))
    assert not policy.allows(ip_address("10.2.0.1"))
    with pytest.raises(AddressPolicyError, match="CRAWL_ALLOWED_NETWORKS: '10.0.0/8'"):
        parse_networks(["10.0.0/8"])


@pytest.mark.parametrize("url", [
    "http://2130706433/", "http://0x7f000001/", "http://127.1/", "http://0177.0.0.1/",
    "http://[::ffff:127.0.0.1]/", "http://[::1]:8080/", "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/", "http://100.64.0.1/", "http://localhost./", "http://a.localhost/",
    "http://0/", "https://10.0.0.1/",
])
def test_request_time_check_refuses_private_hosts(url: str) -> None:
    middleware = PrivateAddressMiddleware(AddressPolicy())
    with pytest.raises(PrivateAddressRefused):
        middleware.process_request(Request(url))
    PrivateAddressMiddleware(AddressPolicy(allow_private=True)).process_request(Request(url))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/a", "s3://bucket/key",
                                 "data:text/html,<p>hi</p>"])
def test_request_time_check_refuses_other_schemes(url: str) -> None:
    for policy in (AddressPolicy(), AddressPolicy(allow_private=True)):
        with pytest.raises(UnsupportedURLSchemeError):
            PrivateAddressMiddleware(policy).process_request(Request(url))


def test_request_time_check_lets_public_hosts_through() -> None:
    middleware = PrivateAddressMiddleware(AddressPolicy())
    for url in ("https://example.com/a", "http://93.184.216.34/", "http://[2606:4700::1111]/"):
        middleware.process_request(Request(url))


def test_connected_address_check_refuses_private_responses() -> None:
    middleware = ConnectedAddressMiddleware(AddressPolicy(), {"intranet.example": "10.0.0.7"})
    request = Request("http://news.example.com/a")
    public = HtmlResponse(request.url, body=b"<p>x</p>", ip_address=ip_address("93.184.216.34"))
    assert middleware.process_response(request, public) is public
    for address in ("10.0.0.7", "127.0.0.1", "::ffff:169.254.169.254"):
        response = HtmlResponse(request.url, body=b"<p>x</p>", ip_address=ip_address(address))
        with pytest.raises(PrivateAddressRefused):
            middleware.process_response(request, response)
    with pytest.raises(PrivateAddressRefused):
        middleware.process_exception(Request("http://intranet.example/"), CannotResolveHostError())
    middleware.process_exception(request, CannotResolveHostError())  # not refused: Scrapy's error stands


def test_project_settings_fetch_http_only_and_resolve_through_the_guard() -> None:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    assert {scheme for scheme, path in handlers.items() if path} == {"http", "https"}
    assert settings["TWISTED_DNS_RESOLVER"] == "crawler.addresses.PublicAddressResolver"
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/html,hi", "javascript:alert(1)"])
def test_cli_refuses_other_schemes(url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["archive", url, "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert "is not an http:// or https:// URL" in result.output


def test_cli_refuses_a_bad_allowed_network(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["archive", "https://example.com/", "--db", str(tmp_path / "a.db"),
                                       "-s", "CRAWL_ALLOWED_NETWORKS=127.0.0.1/32,10.0.0/8"])
    assert result.exit_code == 2
    assert "CRAWL_ALLOWED_NETWORKS: '10.0.0/8' is not a network" in result.output


def test_crawl_refuses_a_bad_allowed_network_without_a_traceback(servers: Servers, tmp_path: Path) -> None:
    result = run_cli(tmp_path, "crawl", servers.public, "--db", "n.db",
                     "-s", "CRAWL_ALLOWED_NETWORKS=10.0.0/8")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: the crawl could not run: CRAWL_ALLOWED_NETWORKS: '10.0.0/8'")


# Crawls


def test_archive_refuses_private_addresses_behind_redirects(servers: Servers, tmp_path: Path) -> None:
    allowed = f"{servers.public}allowed.html"
    to_file = f"{servers.public}redirect?to={quote('file:///etc/passwd', safe='')}"
    direct = [servers.secret, f"http://2130706434:{urlsplit(servers.secret).port}/"]
    urls = [allowed, *secret_urls(servers), *direct, to_file]
    _, connections_before = servers.mark()
    result = run_cli(tmp_path, "archive", *urls, "--db", "a.db", *ONLY_LOOPBACK_1, *FAST)
    lines = outcomes(result.stdout)
    assert lines.pop(allowed) == "archived", result.stderr
    assert lines.pop(to_file).startswith("failed: ")  # Scrapy does not follow it: the 302 is the page
    assert lines == {url: "failed: private_address" for url in urls if url not in (allowed, to_file)}
    assert servers.secret_connections[connections_before:] == []
    db = sqlite_utils.Database(tmp_path / "a.db")
    assert [row["url"] for row in db["articles"].rows] == [allowed]
    bodies = [zlib.decompress(row["body_zlib"]) for row in db["captures"].rows if row["body_zlib"]]
    assert bodies and not [body for body in bodies if b"root:" in body or b"Secret" in body]


@pytest.mark.parametrize("case", ["redirects", "name"])
def test_resolver_alone_opens_no_connection_to_a_refused_address(servers: Servers, tmp_path: Path,
                                                                 case: str) -> None:
    # The request-time check is off, so every host reaches the resolver.
    if case == "redirects":  # numeric spellings of 127.0.0.2, behind a redirect and direct
        urls, allowed = [*secret_urls(servers)[:3], servers.secret], "127.0.0.1/32"
    else:  # a name, not a literal: localhost resolves to 127.0.0.1, refused here
        urls, allowed = [f"http://localhost:{urlsplit(servers.public).port}/by-name.html"], "127.0.0.3/32"
    requests_before, connections_before = servers.mark()
    result = run_cli(tmp_path, "archive", *urls, "--db", "r.db", *FAST,
                     "-s", f"CRAWL_ALLOWED_NETWORKS={allowed}",
                     *middlewares_without("crawler.addresses.PrivateAddressMiddleware"))
    assert outcomes(result.stdout) == {url: "failed: private_address" for url in urls}, result.stderr
    assert servers.secret_connections[connections_before:] == []
    if case == "name":
        assert servers.requests[requests_before:] == []


class UncheckedResolver(PublicAddressResolver):
    """A resolver that approves every address: stands for a resolver the guard missed."""

    def check_address(self, address: str, name: str) -> str:
        return address


def test_connected_address_check_alone_stores_nothing_from_a_refused_address(
    servers: Servers, tmp_path: Path
) -> None:
    # Request-time check off, resolver approving everything: the crawl connects,
    # and only the check of response.ip_address stands between it and the archive.
    urls = [secret_urls(servers)[0], servers.secret]
    _, connections_before = servers.mark()
    result = run_cli(tmp_path, "archive", *urls, "--db", "c.db", *ONLY_LOOPBACK_1, *FAST,
                     *middlewares_without("crawler.addresses.PrivateAddressMiddleware"),
                     "-s", f"TWISTED_DNS_RESOLVER={__name__}.UncheckedResolver")
    assert outcomes(result.stdout) == {url: "failed: private_address" for url in urls}, result.stderr
    assert len(servers.secret_connections[connections_before:]) >= 2  # it did connect
    assert sqlite_utils.Database(tmp_path / "c.db")["articles"].count == 0


def test_the_guard_resolver_must_be_installed(servers: Servers, tmp_path: Path) -> None:
    result = run_cli(tmp_path, "archive", servers.secret, "--db", "g.db", *FAST,
                     "-s", "TWISTED_DNS_RESOLVER=scrapy.resolver.CachingThreadedResolver")
    assert result.returncode == 1
    assert "TWISTED_DNS_RESOLVER is CachingThreadedResolver, which lets private" in result.stderr


@pytest.mark.parametrize("layers", ["all guards", "download handlers only"])
def test_crawl_reads_no_file_or_data_url_from_a_sitemap(servers: Servers, tmp_path: Path,
                                                        layers: str) -> None:
    off = middlewares_without("crawler.addresses.PrivateAddressMiddleware") if layers != "all guards" else ()
    requests_before, _ = servers.mark()
    result = run_cli(tmp_path, "crawl", servers.public, "--db", "s.db", "--depth", "1",
                     *ONLY_LOOPBACK_1, *PORTAL_FAST, *off)
    assert result.returncode == 0, result.stderr
    requested = servers.requests[requests_before:]
    assert "/sitemap-index.xml" in requested
    assert not [path for path in requested if path.startswith("/leaked")]
    log = (tmp_path / "s.db.crawl.log").read_text(encoding="utf-8")
    if layers == "all guards":  # refused before the downloader, with its own reason
        assert "'crawl/error/unsupported_scheme': 2" in log
    assert not list(sqlite_utils.Database(tmp_path / "s.db").query(
        "select url from urls where url not like 'http%'"))


# Listeners


def process_tree(pid: int) -> list[int]:
    """Return ``pid`` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree = [pid]
    for candidate in sorted(parents):
        if parents[candidate] in tree:
            tree.append(candidate)
    return tree


def listening_sockets(pid: int) -> list[str]:
    """Return the listening TCP and Unix sockets that ``pid`` or its children hold open."""
    inodes = set()
    for process in process_tree(pid):
        for fd in Path(f"/proc/{process}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.append(f"{table} {fields[1]}")
    for line in Path(f"/proc/{pid}/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[3], 16) & 0x10000 and fields[6] in inodes:  # __SO_ACCEPTCON
            found.append(f"unix {' '.join(fields[7:])}")
    return found


@pytest.mark.parametrize("command", ["archive", "crawl"])
def test_a_running_crawl_listens_on_no_socket(servers: Servers, tmp_path: Path, command: str) -> None:
    assert listening_sockets(os.getpid()), "the probe must see this test's own servers"
    url = f"{servers.public}slow"
    args = (["archive", url, "-v"] if command == "archive" else
            ["crawl", url, "--depth", "0", "-s", "CRAWL_EXTRACT_PROCESSES=2"])  # with workers
    servers.release_slow.clear()
    requests_before, _ = servers.mark()
    process = subprocess.Popen(cli(*args, "--db", "l.db", *ONLY_LOOPBACK_1, *FAST),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + SLOW_PAGE_MAX_SECONDS
        while "/slow" not in servers.requests[requests_before:]:
            assert time.monotonic() < deadline and process.poll() is None, "the crawl never asked for /slow"
            time.sleep(0.05)
        listening = listening_sockets(process.pid)
    finally:
        servers.release_slow.set()
        stdout, stderr = process.communicate(timeout=60)
    assert listening == []
    assert process.returncode == 0, stdout + stderr
    log = stderr if command == "archive" else (tmp_path / "l.db.crawl.log").read_text(encoding="utf-8")
    extensions = re.search(r"Enabled extensions:\n\[(.*?)\]", log, re.S)
    assert extensions is not None and "CoreStats" in extensions.group(1)
    assert "TelnetConsole" not in extensions.group(1)
    assert "RemoteControl" not in extensions.group(1)


# Proxies


class ProxyHandler(BaseHTTPRequestHandler):
    """A forward proxy that records what it was asked for and fetches nothing."""

    asked: list[str] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_no_proxy_is_used_while_private_addresses_are_refused(servers: Servers, tmp_path: Path) -> None:
    # Found in review: through a proxy, a name resolving to a private address
    # was fetched (the proxy resolves it, and response.ip_address is the proxy's).
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), ProxyHandler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "http_proxy": proxy_url, "https_proxy": proxy_url,
           "no_proxy": ""}
    allowed = f"{servers.public}allowed.html"
    try:
        direct = subprocess.run(cli("archive", allowed, "--db", "p.db", *ONLY_LOOPBACK_1, *FAST),
                                capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
        enabled = subprocess.run(cli("archive", allowed, "--db", "q.db", *ONLY_LOOPBACK_1, *FAST,
                                     "-s", "HTTPPROXY_ENABLED=True"),
                                 capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert outcomes(direct.stdout) == {allowed: "archived"}, direct.stderr
    assert enabled.returncode == 1 and "HTTPPROXY_ENABLED is on" in enabled.stderr
    assert ProxyHandler.asked == []
