"""The ``newsarchive`` commands that read the archive: search, export, stats, reextract.

Each command opens ``--db`` (which must exist), checks its options first and
raises ``click.UsageError`` (exit 2) naming the option; an archive that cannot
be opened is a ``click.ClickException`` (exit 1).  Imports click, the stdlib,
``archive`` and (in reextract only) ``crawler.extract``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

SNIPPET_INDENT = "    "

db_option = click.option(
    "--db", "db_path", default="archive.db", show_default=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="SQLite archive to read.",
)  # fmt: skip
site_option = click.option("--site", default=None, help="Only this host name, e.g. www.sqrb.com.cn.")


def check_since(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Return an ISO date or time unchanged; raise BadParameter for anything else."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not an ISO date such as 2024-01-31 (or 2024-01-31T08:00:00+08:00)"
        ) from exc
    return value


def since_option(what: str) -> Callable[[F], F]:
    """Return the ``--since DATE`` option, its help naming ``what`` it filters."""
    return click.option("--since", default=None, metavar="DATE", callback=check_since,
                        help=f"Only {what} at or after this ISO date or time.")


def open_db(db_path: Path) -> Any:
    """Open the archive at ``db_path``; raise ClickException when it cannot be used."""
    from archive import ArchiveError, open_archive

    try:
        return open_archive(db_path)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@click.argument("query")
@db_option
@site_option
@since_option("articles published")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="Show at most this many articles.")
def search(query: str, db_path: Path, site: str | None, since: str | None, limit: int) -> None:
    """Search the archive's articles, best match first, with a snippet of each.

    Finds English words and Chinese or Japanese words of two or more
    characters (商丘, 科学发展观); all words must match; a title hit weighs
    five times a body hit.  Each hit is a block: rank and headline, then site,
    publication time and URL, then a snippet with the hits in ⟦ ⟧.  Prints
    "No articles match" (exit 0) when nothing is found.

    \b
    Example:
        newsarchive search 科学发展观 --db archive.db --since 2009-01-01
    """
    from archive.queries import search_articles
    from archive.snippets import make_snippet

    if not query.strip():
        raise click.BadParameter("the query is empty", param_hint="QUERY")
    db = open_db(db_path)
    try:
        rows = search_articles(db, query, site=site, since=since, limit=limit)
    finally:
        db.close()
    if not rows:
        filters = "".join(f" {name} {value}" for name, value in (("--site", site), ("--since", since)) if value)
        click.echo(f"No articles match {query!r}{filters}.")
        return
    for number, row in enumerate(rows, 1):
        click.echo(f"{number}. {row['title']}")
        click.echo(f"{SNIPPET_INDENT}{row['site']} · {row['published'] or 'no date'} · {row['url']}")
        click.echo(f"{SNIPPET_INDENT}{make_snippet(row['body'], query)}")
        click.echo()


@click.command()
@db_option
@click.option("--format", "output_format", required=True,
              type=click.Choice(["jsonl", "csv", "markdown", "warc"]),
              help="jsonl, csv or markdown: articles; warc: every stored capture.")
@site_option
@since_option("articles published (warc: captures fetched)")
@click.option("-o", "--output", "output", default="-", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write (default: standard output; warc needs a file).")
def export(db_path: Path, output_format: str, site: str | None, since: str | None,
           output: str) -> None:
    """Export articles as JSON lines, CSV or Markdown, or captures as a WARC file.

    Article fields, in this order: id, key, url, canonical_url, site, title,
    published, modified, source, authors, editors, section, breadcrumb,
    language, description, image, keywords, body, content_hash, first_seen_at,
    last_seen_at (list fields are arrays in jsonl, JSON strings in csv).  warc
    writes a gzipped WARC/1.1 file with one response record per stored fetch.
    Prints how many were exported on stderr.

    \b
    Examples:
        newsarchive export --format jsonl --db archive.db -o articles.jsonl
        newsarchive export --format warc --site www.sqrb.com.cn -o sqrb.warc.gz
    """
    from archive.export import export_articles, export_warc

    if output_format == "warc" and output == "-":
        raise click.BadParameter("warc output is binary: name a file, e.g. -o archive.warc.gz",
                                 param_hint="-o/--output")
    if output != "-" and not Path(output).parent.is_dir():
        raise click.BadParameter(f"folder of {output!r} does not exist", param_hint="-o/--output")
    db = open_db(db_path)
    try:
        if output_format == "warc":
            with open(output, "wb") as binary:
                count = export_warc(db, binary, site=site, since=since)
            what = "captures"
        else:
            if output == "-":
                count = export_articles(db, output_format, sys.stdout,
                                        site=site, since=since)
            else:
                with open(output, "w", encoding="utf-8", newline="") as text:
                    count = export_articles(db, output_format, text, site=site, since=since)
            what = "articles"
    finally:
        db.close()
    click.echo(f"Exported {count} {what} as {output_format}"
               f"{'' if output == '-' else ' to ' + output}.", err=True)


@click.command()
@db_option
def stats(db_path: Path) -> None:
    """Count the archive: articles per site and per day, captures, failures by kind.

    Days are the UTC dates articles were first archived.

    \b
    Example:
        newsarchive stats --db archive.db
    """
    from archive.stats import archive_stats

    db = open_db(db_path)
    try:
        counts = archive_stats(db)
    finally:
        db.close()
    click.echo(f"Articles: {counts['articles']} ({counts['versions']} earlier versions)")
    click.echo(f"Captures: {counts['captures']} ({counts['failed_captures']} failed)")
    for title, key in (("Articles per site", "articles_per_site"),
                       ("Articles per day (first archived)", "articles_per_day"),
                       ("Failures by kind", "failures_by_kind")):
        click.echo(f"\n{title}:")
        for name, count in counts[key]:
            click.echo(f"  {count:>8}  {name}")
        if not counts[key]:
            click.echo("            (none)")


@click.command()
@db_option
@site_option
@since_option("captures fetched")
def reextract(db_path: Path, site: str | None, since: str | None) -> None:
    """Extract the stored raw pages again and update the articles that change.

    Runs the current extractor over each article's latest successful capture
    (its stored bytes and headers; no network).  An article whose title, text
    or dates change keeps its previous text in versions.  Prints how many
    articles were re-extracted and how many changed; a page the extractor now
    rejects is reported and left as it was (exit 1).

    \b
    Example:
        newsarchive reextract --db archive.db --site www.sqrb.com.cn
    """
    from archive import ArchiveError
    from archive.reextract import latest_captures, replace_extraction
    from crawler.extract import ExtractionError, ExtractOptions, extract_article

    db = open_db(db_path)
    checked = changed = 0
    failed: list[str] = []
    try:
        for capture in list(latest_captures(db, site=site, since=since)):
            checked += 1
            options = ExtractOptions(fetched_at=datetime.fromisoformat(capture["fetched_at"]))
            try:
                article = extract_article(capture["body"], url=capture["url"],
                                          headers=capture["headers"], options=options)
                changed += replace_extraction(db, capture["article_id"], article.to_dict())
            except (ExtractionError, ArchiveError) as exc:
                failed.append(f"{capture['key']}  {getattr(exc, 'reason', exc)}")
    finally:
        db.close()
    for line in failed:
        click.echo(f"not re-extracted: {line}", err=True)
    click.echo(f"{checked} articles re-extracted: {changed} changed, "
               f"{checked - changed - len(failed)} unchanged, {len(failed)} failed.")
    if failed:
        sys.exit(1)
