"""The ``newsarchive`` command line: archive, extract, serve and demo.

Each command checks its input first and raises ``click.UsageError`` (exit 2)
naming the argument; failures of the work itself end in exit 1.  Start-up is
kept cheap: Scrapy and Twisted are imported only inside the commands that
crawl, the extractor only where it extracts, so ``newsarchive extract`` over
thousands of files pays for lxml and nothing more.  Imports click, the stdlib,
crawler.extract, crawler.demo and archive (lazily).
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

import click

ARCHIVED_OUTCOMES = ("archived", "updated", "unchanged")
EXPECTED_FAILURE_LOGGERS = (
    "scrapy.downloadermiddlewares.robotstxt",
    "scrapy.downloadermiddlewares.retry",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def main() -> None:
    """Archive news pages into a SQLite file and browse it with Datasette.

    Start with `newsarchive demo`, then `newsarchive archive URL ...`.
    """


@main.command()
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option("--db", "db_path", default="archive.db", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite archive to write (created if missing).")
@click.option("--allow-private", is_flag=True,
              help="Allow loopback, private-network and link-local addresses (refused by "
                   "default; -s CRAWL_ALLOWED_NETWORKS=10.1.0.0/16 allows only some).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=None,
              help="Seconds to wait for a page (default: DOWNLOAD_TIMEOUT, 30).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a Scrapy setting, as `scrapy crawl -s` does (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log on stderr.")
def archive(urls: tuple[str, ...], db_path: Path, allow_private: bool,
            timeout: float | None, settings: tuple[str, ...], verbose: bool) -> None:
    """Fetch each URL once, extract its article and store it in the archive.

    Prints one line per URL (archived, updated, unchanged or failed: REASON)
    and a summary.  Exits 1 when any URL failed; the others are still stored.
    robots.txt is obeyed and requests are throttled per site.  Only http and
    https URLs on public addresses are fetched, redirects included: a host
    that is or resolves to a loopback, private, link-local or metadata
    address fails with private_address unless --allow-private is given.

    \b
    Example:
        newsarchive archive https://example.com/news/1.html --db news.db
    """
    check_urls(urls, "URL")
    check_db_folder(db_path)
    overrides: dict[str, Any] = {**parse_overrides(settings),
                                 "CRAWL_ALLOW_PRIVATE_ADDRESSES": allow_private}
    check_allowed_networks(overrides)
    if timeout is not None:
        overrides["DOWNLOAD_TIMEOUT"] = timeout
    outcomes = run_archive_crawl(list(urls), db_path, overrides, verbose=verbose)
    if report_outcomes(outcomes, db_path):
        sys.exit(1)


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--url", "page_url", default=None,
              help="The page's URL, for a single local file (default: its file:// URI).")
@click.option("--format", "output_format", type=click.Choice(["json", "jsonl"]),
              default="json", show_default=True,
              help="json: one JSON array; jsonl: one object per line.")
@click.option("--min-body-chars", type=click.IntRange(min=0), default=120, show_default=True,
              help="Reject bodies shorter than this (EXTRACT_MIN_BODY_CHARS).")
def extract(inputs: tuple[str, ...], page_url: str | None, output_format: str,
            min_body_chars: int) -> None:
    """Extract articles from local HTML files or URLs and print them as JSON.

    Stores nothing.  Files may be gzipped (.gz); their bytes are decoded as the
    crawler would, from the BOM, meta charset and the bytes.  URLs are fetched
    once with Python's urllib (robots.txt is checked, the crawler's user agent
    is sent).  Each document gives one object with a "file" key naming the
    input and the article's fields (url, title, body, published, source ...);
    a document that fails gives {"file": ..., "error": REASON} and the command
    goes on, then exits 1.

    \b
    Examples:
        newsarchive extract page.html --url https://example.com/a/1.html
        newsarchive extract pages/*.html.gz --format jsonl > articles.jsonl
    """
    if page_url is not None:
        if len(inputs) != 1 or is_web_url(inputs[0]):
            raise click.UsageError("--url applies to exactly one local file", ctx=None)
        check_urls([page_url], "--url")
    for item in inputs:
        if not is_web_url(item) and not Path(item).is_file():
            raise click.BadParameter(f"{item!r} is neither a file nor an http(s) URL",
                                     param_hint="PATH_OR_URL")
    failed = False
    with JsonWriter(output_format) as writer:
        for item in inputs:
            record = extract_one(item, page_url, min_body_chars)
            failed = failed or "error" in record
            writer.write(record)
    if failed:
        sys.exit(1)


@main.command()
@click.option("--db", "db_path", default="archive.db", show_default=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="SQLite archive to browse.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; 0.0.0.0 exposes the archive to your network.")
def serve(db_path: Path, port: int, host: str) -> None:
    """Browse and search the archive in Datasette, with the bundled metadata.

    \b
    Example:
        newsarchive serve --db archive.db --port 8001
    then open http://127.0.0.1:8001/ in a browser.
    """
    from archive import datasette_args

    argv = [sys.executable, "-m", "datasette", *datasette_args(db_path, port, host=host)]
    sys.stdout.flush()
    os.execv(sys.executable, argv)


@main.command()
# archive.db, because the bundled Datasette metadata describes a database named "archive".
@click.option("--db", "db_path", default="newsarchive-demo/archive.db", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite archive to write the demo pages into (its folder is created).")
def demo(db_path: Path) -> None:
    """Archive the bundled demo page, served from a local web server.

    Starts a web server on 127.0.0.1 for the pages bundled with newsarchive (a
    2009 GBK-encoded Chinese portal page, served without a charset as the site
    did), archives them exactly as `newsarchive archive` does, and tells you how
    to browse the result.

    \b
    Example:
        newsarchive demo && newsarchive serve --db newsarchive-demo/archive.db
    """
    from crawler.demo import DEMO_DIR, demo_page_urls, serve_folder

    db_path.parent.mkdir(parents=True, exist_ok=True)
    server = serve_folder(DEMO_DIR)
    try:
        urls = demo_page_urls(server)
        outcomes = run_archive_crawl(urls, db_path, {"CRAWL_ALLOW_PRIVATE_ADDRESSES": True})
    finally:
        server.shutdown()
    failed = report_outcomes(outcomes, db_path)
    click.echo(f"Browse it:  newsarchive serve --db {db_path}  (then open http://127.0.0.1:8001/)")
    if failed:
        sys.exit(1)


def check_urls(urls: Iterable[str], param_hint: str) -> None:
    """Raise BadParameter (exit 2) for a URL without an http(s) scheme or host."""
    for url in urls:
        if not is_web_url(url):
            raise click.BadParameter(
                f"{url!r} is not an http:// or https:// URL with a host", param_hint=param_hint
            )


def check_allowed_networks(overrides: dict[str, Any]) -> None:
    """Raise BadParameter (exit 2) for a ``-s CRAWL_ALLOWED_NETWORKS`` entry that is not a network."""
    from crawler.addresses import AddressPolicyError, parse_networks

    value = overrides.get("CRAWL_ALLOWED_NETWORKS")
    if isinstance(value, str):
        try:
            parse_networks(value.split(","))
        except AddressPolicyError as exc:
            raise click.BadParameter(str(exc), param_hint="-s") from exc


def is_web_url(text: str) -> bool:
    """Return True for an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(text)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def check_db_folder(db_path: Path) -> None:
    """Raise BadParameter (exit 2) when the folder of ``--db`` does not exist."""
    folder = db_path.parent
    if not folder.is_dir():
        raise click.BadParameter(
            f"folder {str(folder)!r} of {str(db_path)!r} does not exist; create it first",
            param_hint="--db",
        )


def run_archive_crawl(urls: list[str], db_path: Path, overrides: dict[str, Any],
                      verbose: bool = False) -> dict[str, str]:
    """Crawl ``urls`` once with ArchiveSpider into ``db_path``; return {url: outcome}.

    Runs Scrapy in this process (the reactor can start only once per process).
    Raises click.ClickException when the crawl could not start, and when the
    archive stopped it (full, read-only: one line naming the file), then
    after printing the outcomes so far.
    """
    from scrapy.crawler import AsyncCrawlerProcess
    from scrapy.settings import Settings

    from archive import ArchiveError
    from crawler.spiders.archive import ArchiveSpider

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update({"ARCHIVE_DB_PATH": str(db_path),
                     "LOG_LEVEL": "INFO" if verbose else "ERROR", **overrides},
                    priority="cmdline")
    process = AsyncCrawlerProcess(settings)
    if not verbose:
        # Their ERRORs (with tracebacks) repeat what the per-URL line already says:
        # robots.txt unreachable, retries exhausted on a dead host.
        for name in EXPECTED_FAILURE_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    crawler = process.create_crawler(ArchiveSpider)
    task = process.crawl(crawler, urls=urls)
    process.start()
    if task.done() and not task.cancelled() and task.exception() is not None:
        exc = task.exception()
        if isinstance(exc, ArchiveError):
            raise click.ClickException(str(exc)) from exc
        raise click.ClickException(f"the crawl could not run: {exc}") from exc
    outcomes: dict[str, str] = getattr(crawler.spider, "outcomes", {})
    result = {url: outcomes.get(url, "failed: no_response") for url in urls}
    stop_message = crawler.stats.get_value("archive/stop_message") if crawler.stats else None
    if stop_message:
        report_outcomes(result, db_path)
        raise click.ClickException(str(stop_message))
    return result


def report_outcomes(outcomes: dict[str, str], db_path: Path) -> int:
    """Print one line per URL and a summary; return the number of failed URLs."""
    for url, outcome in outcomes.items():
        click.echo(f"{url}  {outcome}")
    counts = {name: 0 for name in (*ARCHIVED_OUTCOMES, "failed")}
    for outcome in outcomes.values():
        counts[outcome if outcome in ARCHIVED_OUTCOMES else "failed"] += 1
    summary = ", ".join(f"{n} {name}" for name, n in counts.items())
    click.echo(f"{len(outcomes)} URLs: {summary}. Archive: {db_path.resolve()}")
    return counts["failed"]


def extract_one(item: str, page_url: str | None, min_body_chars: int) -> dict[str, Any]:
    """Return the article of one file or URL as a dict with "file", or {"file", "error"}."""
    from crawler.extract import ExtractionError, ExtractOptions, extract_article

    options = ExtractOptions(min_body_chars=min_body_chars)
    headers: dict[str, str] | None = None
    try:
        if is_web_url(item):
            url = item
            body, headers = fetch_page(item)
        else:
            path = Path(item)
            url = page_url or path.resolve().as_uri()
            body = read_page_file(path)
        article = extract_article(body, url=url, headers=headers, options=options)
    except ExtractionError as exc:
        return {"file": item, "error": exc.reason}
    except FetchError as exc:
        return {"file": item, "error": exc.reason}
    return {"file": item, **article.to_dict()}


def read_page_file(path: Path) -> bytes:
    """Return the bytes of a page file, gunzipped when it ends in .gz."""
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


class FetchError(Exception):
    """A URL could not be fetched; ``reason`` is the short identifier printed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fetch_page(url: str) -> tuple[bytes, dict[str, str]]:
    """Fetch ``url`` once with urllib; return (body, headers).  Raises FetchError."""
    import socket
    import urllib.error
    import urllib.request
    import urllib.robotparser

    from crawler.settings import (
        CRAWL_HTML_CONTENT_TYPES,
        DOWNLOAD_MAXSIZE,
        DOWNLOAD_TIMEOUT,
        USER_AGENT,
    )

    parts = urlsplit(url)
    robots = urllib.robotparser.RobotFileParser(f"{parts.scheme}://{parts.netloc}/robots.txt")
    try:
        robots.read()
        if not robots.can_fetch(USER_AGENT, url):
            raise FetchError("robots_txt_forbidden")
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
            body = response.read(DOWNLOAD_MAXSIZE + 1)
            headers = dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        raise FetchError(f"http_{exc.code}") from exc
    except urllib.error.URLError as exc:
        raise FetchError(url_error_reason(exc.reason)) from exc
    except (TimeoutError, socket.timeout) as exc:
        raise FetchError("timeout") from exc
    if len(body) > DOWNLOAD_MAXSIZE:
        raise FetchError("too_large")
    media_type = headers.get("Content-Type", "text/html").split(";", 1)[0].strip().lower()
    if media_type not in CRAWL_HTML_CONTENT_TYPES:
        raise FetchError("not_html")
    return body, headers


def url_error_reason(reason: object) -> str:
    """Return the short reason for the cause of a urllib URLError."""
    import socket

    if isinstance(reason, socket.gaierror):
        return "dns_lookup_failed"
    if isinstance(reason, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(reason, TimeoutError):
        return "timeout"
    return "download_failed"


class JsonWriter:
    """Write records to stdout as one JSON array (json) or one per line (jsonl)."""

    def __init__(self, output_format: str) -> None:
        self.jsonl = output_format == "jsonl"
        self.count = 0

    def __enter__(self) -> "JsonWriter":
        if not self.jsonl:
            click.echo("[", nl=False)
        return self

    def write(self, record: dict[str, Any]) -> None:
        if self.jsonl:
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            separator = "," if self.count else ""
            click.echo(separator + "\n" + json.dumps(record, ensure_ascii=False, indent=2), nl=False)
        self.count += 1

    def __exit__(self, *exc_info: object) -> None:
        if not self.jsonl:
            click.echo("\n]")


from crawler.cli_crawl import crawl, parse_overrides, sites  # noqa: E402  (the group must exist first)

main.add_command(crawl)
main.add_command(sites)

from crawler.cli_browse import export, reextract, search, stats  # noqa: E402

for browse_command in (search, export, stats, reextract):
    main.add_command(browse_command)

if __name__ == "__main__":
    main()
