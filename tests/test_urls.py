"""canonicalize_url, url_host and in_hosts: the identity of a page across its spellings."""

from __future__ import annotations

import pytest

from crawler.urls import canonicalize_url, in_hosts, url_host


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Example.COM:80/a/b.html", "https://www.example.com/a/b.html"),
        ("https://example.com:443/", "https://example.com/"),
        ("http://example.com:8080/a", "https://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a.html#comments", "https://example.com/a.html"),
        ("https://example.com/a/./b/../c.html", "https://example.com/a/c.html"),
        ("https://example.com/../../a", "https://example.com/a"),
        ("https://example.com//news///2009//1.html", "https://example.com/news/2009/1.html"),
        ("https://example.com/news/index.html", "https://example.com/news"),
        ("https://example.com/news/INDEX.SHTML", "https://example.com/news"),
        ("https://example.com/index.php", "https://example.com/"),
        ("https://example.com/default.aspx?id=3", "https://example.com/?id=3"),
        ("https://example.com/news/", "https://example.com/news"),
        ("https://example.com/myindex.html", "https://example.com/myindex.html"),
        ("https://example.com/a?utm_source=x&utm_medium=y&id=5", "https://example.com/a?id=5"),
        ("https://example.com/a?fbclid=1&gclid=2&spm=a.b&from=timeline&share=1",
         "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&c=3", "https://example.com/a?a=1&b=2&c=3"),
        ("https://example.com/a?", "https://example.com/a"),
        ("https://example.com/a?x&y=", "https://example.com/a?x=&y="),
        ("https://example.com/a?&&id=1&", "https://example.com/a?id=1"),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
        ("https://example.com/%7Euser/%41bc", "https://example.com/~user/Abc"),
        ("https://example.com/q?name=%e5%95%86", "https://example.com/q?name=%E5%95%86"),
        ("http://www.sqrb.com.cn/新闻/2009/1.htm",
         "https://www.sqrb.com.cn/%E6%96%B0%E9%97%BB/2009/1.htm"),
        # A GBK escape is not UTF-8; it stays as it was sent.
        ("http://www.sqrb.com.cn/%d0%c2%ce%c5/1.htm", "https://www.sqrb.com.cn/%D0%C2%CE%C5/1.htm"),
        ("http://例子.中国/新闻", "https://xn--fsqu00a.xn--fiqs8s/%E6%96%B0%E9%97%BB"),
        ("ftp://Example.com/a#x", "ftp://example.com/a"),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://example.com/news/1.html", "https://example.com/news/1.html"),
        ("http://例子.中国/新闻/2009/1.htm",
         "https://xn--fsqu00a.xn--fiqs8s/%E6%96%B0%E9%97%BB/2009/1.htm"),
        ("https://example.com/a?id=1&page=2", "https://example.com/a?page=2&id=1&utm_campaign=z"),
        ("https://example.com/news/", "https://example.com/news/index.htm"),
    ],
)
def test_spellings_of_one_page_share_a_key(a: str, b: str) -> None:
    assert canonicalize_url(a) == canonicalize_url(b)


def test_key_is_stable() -> None:
    for url in ("http://www.sqrb.com.cn/新闻/2009/1.htm?b=%e5&a=",
                "https://example.com/a/../b/./c//index.html?utm_source=x#f"):
        once = canonicalize_url(url)
        assert canonicalize_url(once) == once


def test_plus_and_space_escapes_are_kept_apart() -> None:
    # Servers differ on "+" in a query; the key does not guess.
    assert canonicalize_url("https://e.com/s?q=a+b") == "https://e.com/s?q=a+b"
    assert canonicalize_url("https://e.com/s?q=a%20b") == "https://e.com/s?q=a%20b"


def test_url_host() -> None:
    assert url_host("HTTP://News.Example.COM:8080/a") == "news.example.com"
    assert url_host("http://例子.中国/") == "xn--fsqu00a.xn--fiqs8s"
    assert url_host("/relative/path") == ""
    assert url_host("http://[::1/") == ""


@pytest.mark.parametrize(
    ("url", "hosts", "expected"),
    [
        ("https://www.example.com/a", ["example.com"], True),
        ("https://example.com/a", ["www.example.com"], True),
        ("https://news.example.com/a", ["example.com"], True),
        ("https://badexample.com/a", ["example.com"], False),
        ("https://example.com.evil.org/a", ["example.com"], False),
        ("https://other.org/a", ["example.com", "other.org"], True),
        ("https://example.com/a", ["https://www.example.com/news/"], True),
        ("https://EXAMPLE.com/a", ["Example.COM"], True),
        ("http://例子.中国/a", ["例子.中国"], True),
        ("mailto:x@example.com", ["example.com"], False),
        ("https://example.com/a", [], False),
    ],
)
def test_in_hosts(url: str, hosts: list[str], expected: bool) -> None:
    assert in_hosts(url, hosts) is expected
