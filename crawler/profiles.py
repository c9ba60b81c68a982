"""Site profiles: one TOML file per news site says where and how to crawl it.

``load_profile`` reads and checks one file and returns a frozen
``SiteProfile``; ``load_profiles`` reads a folder of them;
``profile_from_urls`` builds one for a crawl without a file.  Every mistake of
a file is reported at once in one ``ProfileError(path, problems)``.
Imports stdlib (tomllib, zoneinfo) and ``crawler.urls`` only; no Scrapy.

A profile (see docs/profiles/example.toml)::

    name = "sqrb"
    start_urls = ["http://www.sqrb.com.cn/"]
    allowed_hosts = ["sqrb.com.cn"]          # default: hosts of start_urls
    allow = ['/news/']                        # regexes searched in the URL
    deny = ['/print/', '\\.pdf$']
    sitemaps = []
    feeds = []
    max_depth = 3
    timezone = "Asia/Shanghai"
    user_agent = "..."                        # optional
    contact_url = "https://example.org/crawl" # optional

    [recrawl]
    article_revisit_hours = 168
    article_max_age_days = 30
    list_revisit_minutes = 60
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.urls import in_hosts, url_host

# Defaults of [recrawl]: a week between visits of a known article, and none
# after a month (news pages rarely change later); lists and feeds hourly.
DEFAULT_ARTICLE_REVISIT_HOURS = 168.0
DEFAULT_ARTICLE_MAX_AGE_DAYS = 30.0
DEFAULT_LIST_REVISIT_MINUTES = 60.0
DEFAULT_MAX_DEPTH = 3


class ProfileError(Exception):
    """A profile file that cannot be used; ``problems`` lists every mistake."""

    def __init__(self, path: str | Path, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__(f"{path}: " + "; ".join(self.problems))


@dataclass(frozen=True)
class RecrawlPolicy:
    """How often known pages are fetched again."""

    article_revisit_hours: float = DEFAULT_ARTICLE_REVISIT_HOURS
    article_max_age_days: float = DEFAULT_ARTICLE_MAX_AGE_DAYS
    list_revisit_minutes: float = DEFAULT_LIST_REVISIT_MINUTES


@dataclass(frozen=True)
class SiteProfile:
    """Where and how to crawl one site."""

    name: str
    start_urls: tuple[str, ...]
    allowed_hosts: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    max_depth: int = DEFAULT_MAX_DEPTH
    timezone: str | None = None
    recrawl: RecrawlPolicy = field(default_factory=RecrawlPolicy)
    user_agent: str | None = None
    contact_url: str | None = None
    path: Path | None = None

    def allows(self, url: str) -> bool:
        """Whether ``url`` is inside the allowed hosts, matches ``allow`` (if
        any) and matches no ``deny`` pattern."""
        if not in_hosts(url, self.allowed_hosts):
            return False
        if any(re.search(pattern, url) for pattern in self.deny):
            return False
        return not self.allow or any(re.search(pattern, url) for pattern in self.allow)


_LIST_KEYS = ("start_urls", "allowed_hosts", "allow", "deny", "sitemaps", "feeds")
_URL_KEYS = ("start_urls", "sitemaps", "feeds")
_TOP_KEYS = ("name", *_LIST_KEYS, "max_depth", "timezone", "recrawl", "user_agent", "contact_url")
_RECRAWL_KEYS = tuple(f.name for f in fields(RecrawlPolicy))


def load_profile(path: str | Path) -> SiteProfile:
    """Read the TOML profile at ``path`` and return its SiteProfile.

    Raises ProfileError naming every problem: unreadable file or bad TOML,
    unknown keys (with a did-you-mean), wrong types, bad regexes or URLs, an
    unknown time zone, a start URL outside the allowed hosts.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(path, [f"cannot read the file ({exc.strerror or exc})"]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(path, [f"not valid TOML ({exc})"]) from exc
    return _build(data, path, default_name=path.stem)


def load_profiles(folder: str | Path) -> list[SiteProfile]:
    """Return the profiles of every ``*.toml`` file in ``folder``, sorted by file name.

    Raises ProfileError for the first bad file, or naming the folder when it
    is missing or two profiles share a name.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ProfileError(folder, ["not a folder of profiles"])
    profiles = [load_profile(p) for p in sorted(folder.glob("*.toml"))]
    names = [p.name for p in profiles]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ProfileError(folder, [f"profile name {n!r} is used by more than one file"
                                    for n in twice])
    return profiles


def profile_from_urls(start_urls: Iterable[str], **overrides: Any) -> SiteProfile:
    """Return a profile for a crawl without a file: the given start URLs, their
    hosts, and the defaults, changed by ``overrides`` (the TOML keys; ``recrawl``
    as a dict).  Raises ProfileError("<urls>", problems) as load_profile does."""
    urls = list(start_urls)
    data: dict[str, Any] = {"start_urls": urls, **overrides}
    default_name = url_host(urls[0]) if urls else "crawl"
    return _build(data, "<urls>", default_name=default_name or "crawl")


def _build(data: dict[str, Any], path: str | Path, *, default_name: str) -> SiteProfile:
    problems: list[str] = []
    _check_keys(data, _TOP_KEYS, "", problems)
    values: dict[str, Any] = {}
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        problems.append("name: must be a non-empty string")
    for key in _LIST_KEYS:
        raw = data.get(key, [])
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            problems.append(f"{key}: must be a list of strings")
            raw = []
        values[key] = tuple(v.strip() for v in raw if v.strip())
    if not values["start_urls"] and not values["sitemaps"] and not values["feeds"]:
        problems.append("start_urls: give at least one start URL, sitemap or feed")
    for key in _URL_KEYS:
        for url in values[key]:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problems.append(f"{key}: {url!r} is not an http(s) URL")
    for key in ("allow", "deny"):
        for pattern in values[key]:
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(f"{key}: {pattern!r} is not a valid regular expression ({exc})")
    seeds = values["start_urls"] + values["sitemaps"] + values["feeds"]
    if not values["allowed_hosts"]:
        values["allowed_hosts"] = tuple(dict.fromkeys(h for h in map(url_host, seeds) if h))
    for url in values["start_urls"]:
        if url_host(url) and not in_hosts(url, values["allowed_hosts"]):
            problems.append(f"start_urls: {url!r} is outside allowed_hosts")
    max_depth = data.get("max_depth", DEFAULT_MAX_DEPTH)
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or max_depth < 0:
        problems.append("max_depth: must be a whole number, 0 or more")
    zone = data.get("timezone")
    if zone is not None:
        _check_zone(zone, problems)
    for key in ("user_agent", "contact_url"):
        if key in data and not isinstance(data[key], str):
            problems.append(f"{key}: must be a string")
    recrawl = _recrawl(data.get("recrawl", {}), problems)
    if problems:
        raise ProfileError(path, problems)
    return SiteProfile(
        name=str(name).strip(), max_depth=max_depth, timezone=zone, recrawl=recrawl,
        user_agent=data.get("user_agent"), contact_url=data.get("contact_url"),
        path=Path(path) if isinstance(path, Path) else None, **values,
    )


def _check_zone(zone: Any, problems: list[str]) -> None:
    if not isinstance(zone, str):
        problems.append("timezone: must be a string such as \"Asia/Shanghai\"")
        return
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone: unknown IANA time zone {zone!r} (e.g. \"Asia/Shanghai\")")


def _recrawl(raw: Any, problems: list[str]) -> RecrawlPolicy:
    if not isinstance(raw, dict):
        problems.append("recrawl: must be a table ([recrawl])")
        return RecrawlPolicy()
    _check_keys(raw, _RECRAWL_KEYS, "recrawl.", problems)
    policy = RecrawlPolicy()
    for key in _RECRAWL_KEYS:
        if key not in raw:
            continue
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            problems.append(f"recrawl.{key}: must be a number, 0 or more")
            continue
        policy = replace(policy, **{key: float(value)})
    return policy


def _check_keys(data: dict[str, Any], known: tuple[str, ...], prefix: str,
                problems: list[str]) -> None:
    for key in data:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
        problems.append(f"{prefix}{key}: unknown key{hint}")
