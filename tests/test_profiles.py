"""Site profiles: TOML files checked all at once, and profiles built from URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.profiles import (
    ProfileError,
    RecrawlPolicy,
    SiteProfile,
    load_profile,
    load_profiles,
    profile_from_urls,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "profiles" / "example.toml"


def write(tmp_path: Path, text: str, name: str = "site.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_example_profile_loads() -> None:
    profile = load_profile(EXAMPLE)
    assert profile.name == "sqrb"
    assert profile.allowed_hosts == ("sqrb.com.cn",)
    assert profile.timezone == "Asia/Shanghai"
    assert profile.recrawl == RecrawlPolicy(168, 30, 60)
    assert profile.allows("http://www.sqrb.com.cn/news/2009-09/04/content_1.htm")
    assert not profile.allows("http://www.sqrb.com.cn/news/print/1.htm")
    assert not profile.allows("http://www.other.cn/news/1.htm")
    assert not profile.allows("http://www.sqrb.com.cn/about.htm")


def test_minimal_profile_takes_defaults(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, 'start_urls = ["https://www.example.org/news/"]\n'))
    assert profile == SiteProfile(
        name="site", start_urls=("https://www.example.org/news/",),
        allowed_hosts=("www.example.org",), path=tmp_path / "site.toml",
    )
    assert profile.max_depth == 3 and profile.recrawl.article_revisit_hours == 168
    assert profile.allows("https://example.org/a.html")
    assert profile.allows("https://news.www.example.org/a.html")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """
name = ""
start_urls = ["ftp://example.org/", "https://elsewhere.com/"]
allowed_hosts = ["example.org"]
alow = ["/news/"]
deny = ["(unclosed"]
max_depth = "3"
timezone = "Asia/Beijing"
feeds = "https://example.org/rss"
[recrawl]
article_revisit_hour = 24
list_revisit_minutes = -5
"""
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path, text))
    problems = caught.value.problems
    expected = [
        "alow: unknown key (did you mean 'allow'?)",
        "name: must be a non-empty string",
        "feeds: must be a list of strings",
        "start_urls: 'ftp://example.org/' is not an http(s) URL",
        "deny: '(unclosed' is not a valid regular expression",
        "start_urls: 'https://elsewhere.com/' is outside allowed_hosts",
        "max_depth: must be a whole number, 0 or more",
        "timezone: unknown IANA time zone 'Asia/Beijing'",
        "recrawl.article_revisit_hour: unknown key (did you mean "
        "'recrawl.article_revisit_hours'?)",
        "recrawl.list_revisit_minutes: must be a number, 0 or more",
    ]
    for text_start in expected:
        assert any(p.startswith(text_start) for p in problems), (text_start, problems)
    assert len(problems) == len(expected)
    assert str(caught.value).startswith(str(tmp_path / "site.toml"))


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(write(tmp_path, "start_urls = [\n"))
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "missing.toml")


def test_no_start_at_all(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="at least one start URL"):
        load_profile(write(tmp_path, 'name = "x"\n'))


def test_load_profiles_reads_a_folder_sorted(tmp_path: Path) -> None:
    write(tmp_path, 'start_urls = ["https://b.example/"]\n', "b.toml")
    write(tmp_path, 'start_urls = ["https://a.example/"]\n', "a.toml")
    write(tmp_path, "not a profile", "notes.txt")
    assert [p.name for p in load_profiles(tmp_path)] == ["a", "b"]


def test_load_profiles_refuses_duplicate_names(tmp_path: Path) -> None:
    write(tmp_path, 'name = "x"\nstart_urls = ["https://a.example/"]\n', "a.toml")
    write(tmp_path, 'name = "x"\nstart_urls = ["https://b.example/"]\n', "b.toml")
    with pytest.raises(ProfileError, match="'x' is used by more than one file"):
        load_profiles(tmp_path)
    with pytest.raises(ProfileError, match="not a folder"):
        load_profiles(tmp_path / "nope")


def test_profile_from_urls() -> None:
    profile = profile_from_urls(["https://www.example.org/news/", "https://blog.example.org/"],
                                max_depth=1, recrawl={"list_revisit_minutes": 5})
    assert profile.name == "www.example.org"
    assert profile.allowed_hosts == ("www.example.org", "blog.example.org")
    assert profile.max_depth == 1
    assert profile.recrawl.list_revisit_minutes == 5.0
    assert profile.path is None
    with pytest.raises(ProfileError) as caught:
        profile_from_urls(["not a url"], timezone="Mars/Olympus")
    assert caught.value.path == Path("<urls>")
    assert len(caught.value.problems) == 2
