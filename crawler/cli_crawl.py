"""The portal commands of the ``newsarchive`` CLI: ``crawl`` and ``sites check``.

``crawl`` runs the portal spider (``crawler/spiders/portal.py``) for start
URLs or for site profiles, in this process, with Scrapy's detailed log in a
file beside the archive and a progress line on stderr.  ``sites check``
validates profile files.  Registered on the main group in ``crawler/cli.py``.
Errors are translated here: bad input is a ``click.UsageError`` (exit 2), a
profile with mistakes, a held lock, an archive that cannot be written (full,
read-only: one line naming the file) or a failed run exit 1.  Imports click,
crawler.profiles, the stdlib, and Scrapy lazily (inside ``crawl``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from crawler.profiles import ProfileError, SiteProfile, load_profile, load_profiles, profile_from_urls

# The stats key where crawler.pipelines.stop_crawl leaves why the archive stopped a crawl.
STOP_MESSAGE = "archive/stop_message"
SUMMARY_KEYS = (
    ("pages", "response_received_count"),
    ("new", "archive/articles_archived"),
    ("updated", "archive/articles_updated"),
    ("unchanged", "archive/articles_unchanged"),
    ("not modified", "archive/not_modified"),
)


@click.command()
@click.argument("start_urls", nargs=-1, metavar="[START_URL]...")
@click.option("--db", "db_path", default="archive.db", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite archive to write (created if missing).")
@click.option("--profile", "profile_path", default=None,
              type=click.Path(exists=True, path_type=Path),
              help="A site profile (TOML file) or a folder of them.")
@click.option("--max-pages", type=click.IntRange(min=1), default=None,
              help="Stop after this many responses (CLOSESPIDER_PAGECOUNT).")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Follow links this deep from the start pages (default: the profile's, 3).")
@click.option("--allow-private", is_flag=True,
              help="Allow loopback and private-network addresses (refused by default).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Set a Scrapy setting, as `scrapy crawl -s` does (repeatable).")
def crawl(start_urls: tuple[str, ...], db_path: Path, profile_path: Path | None,
          max_pages: int | None, depth: int | None, allow_private: bool,
          overrides: tuple[str, ...]) -> None:
    """Crawl a news site into the archive: discover, classify, archive articles.

    Starts at START_URL (or the profile's start URLs), reads robots.txt, its
    sitemaps and the profile's feeds, follows the links of home, section and
    list pages within the site, and stores every article page.  Run it again
    (from cron, say) and it fetches only what is new or due for a revisit,
    with conditional GET; a run killed midway resumes where it stopped.

    Progress goes to stderr every few seconds; Scrapy's log to DB.crawl.log.
    Two runs of one profile into one archive never overlap: the second
    exits at once with exit code 1.  A full disk, a read-only archive or
    ARCHIVE_MAX_SIZE_MB reached stops the crawl with exit code 1 and keeps
    what was stored; run it again once fixed and it resumes.

    \b
    Examples:
        newsarchive crawl https://www.example.com/ --db news.db --max-pages 500
        newsarchive crawl --profile sites/ --db news.db
    """
    from crawler.cli import check_db_folder, check_urls

    if bool(start_urls) == bool(profile_path):
        raise click.UsageError("give either START_URL... or --profile, not both or neither")
    check_urls(start_urls, "START_URL")
    check_db_folder(db_path)
    settings = parse_overrides(overrides)
    settings.update({"ARCHIVE_DB_PATH": str(db_path),
                     "CRAWL_ALLOW_PRIVATE_ADDRESSES": allow_private})
    settings.setdefault("LOG_FILE", f"{db_path}.crawl.log")
    if max_pages is not None:
        settings["CLOSESPIDER_PAGECOUNT"] = max_pages
    if depth is not None:
        settings["CRAWL_MAX_DEPTH_OVERRIDE"] = depth
    profiles = read_profiles(profile_path) if profile_path else [url_profile(start_urls)]
    results = run_portal_crawls(profiles, settings)
    failed = False
    for profile, (reason, stats) in zip(profiles, results):
        summary = ", ".join(f"{int(stats.get(key, 0))} {label}" for label, key in SUMMARY_KEYS)
        click.echo(f"{profile.name}: {reason}; {summary}. Archive: {db_path.resolve()}")
        failed = failed or reason not in ("finished", "closespider_pagecount")
    stop_messages = {str(stats[STOP_MESSAGE]) for _, stats in results if STOP_MESSAGE in stats}
    if stop_messages:
        raise click.ClickException(" ".join(sorted(stop_messages)))
    if failed:
        sys.exit(1)


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, Any]:
    """Return ``{NAME: VALUE}`` of ``-s NAME=VALUE`` options; UsageError for a bad one."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-s")
        settings[name.strip()] = value
    return settings


def url_profile(start_urls: tuple[str, ...]) -> SiteProfile:
    try:
        return profile_from_urls(start_urls)
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from exc


def read_profiles(path: Path) -> list[SiteProfile]:
    """Return the profile of a file, or of every file of a folder; exit 1 on mistakes."""
    try:
        return load_profiles(path) if path.is_dir() else [load_profile(path)]
    except ProfileError as exc:
        raise click.ClickException(profile_problems(exc)) from exc


def profile_problems(exc: ProfileError) -> str:
    return "\n".join(f"{exc.path}: {problem}" for problem in exc.problems)


def run_portal_crawls(profiles: list[SiteProfile], overrides: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Crawl each profile with the portal spider, together in this process.

    Returns (close reason, stats) per profile.  Raises click.ClickException
    when a crawl could not start (another run holds the lock, a bad setting,
    an archive that cannot be written: then its message alone).
    """
    from scrapy.crawler import AsyncCrawlerProcess
    from scrapy.settings import Settings

    from archive import ArchiveError
    from crawler.spiders.portal import PortalSpider

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(overrides, priority="cmdline")
    process = AsyncCrawlerProcess(settings)
    crawlers, tasks = [], []
    for profile in profiles:
        crawler = process.create_crawler(PortalSpider)
        crawlers.append(crawler)
        tasks.append(process.crawl(crawler, profile=profile))
    process.start()
    results = []
    for crawler, task in zip(crawlers, tasks):
        if task.done() and not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if isinstance(exc, ArchiveError):
                raise click.ClickException(str(exc)) from exc
            raise click.ClickException(f"the crawl could not run: {exc}") from exc
        stats = crawler.stats.get_stats() if crawler.stats else {}
        results.append((str(stats.get("finish_reason", "not started")), stats))
    return results


@click.group()
def sites() -> None:
    """Work with site profiles, the TOML files that describe how to crawl a site.

    \b
    Example:
        newsarchive sites check sites/*.toml
    """


@sites.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path),
                metavar="FILE...")
def check(files: tuple[Path, ...]) -> None:
    """Check site profiles and print every mistake; exit 1 when there is any.

    \b
    Example:
        newsarchive sites check sites/sqrb.toml sites/harbor.toml
    """
    bad = 0
    for path in files:
        try:
            profile = load_profile(path)
        except ProfileError as exc:
            bad += 1
            click.echo(profile_problems(exc), err=True)
            continue
        click.echo(f"{path}: ok (profile {profile.name!r}, {len(profile.start_urls)} start URLs)")
    if bad:
        raise click.ClickException(f"{bad} of {len(files)} profiles have mistakes")
