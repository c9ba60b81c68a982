"""`newsarchive archive` end to end: a real Scrapy crawl of the local site into tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from crawler.cli import main
from tests.crawler.conftest import SEED_PATH, RunNewsarchive, Site, free_port


def outcome_lines(stdout: str) -> dict[str, str]:
    """Return {url: outcome} from the per-URL lines of `newsarchive archive`."""
    lines = [line.split("  ", 1) for line in stdout.splitlines() if line.startswith("http")]
    return {url: outcome for url, outcome in lines}


# Politeness delays (AutoThrottle's 1 s between requests to one site) only
# slow these tests down; tests/crawler/test_portal*.py run with them off too.
NO_DELAY = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0")


def test_seed_page_is_archived_with_every_field(site: Site, run_newsarchive: RunNewsarchive, tmp_path: Path) -> None:
    url = site.url(SEED_PATH)
    result = run_newsarchive("archive", url, "--db", "seed.db", "--allow-private", *NO_DELAY)
    assert result.returncode == 0, result.stderr
    assert outcome_lines(result.stdout) == {url: "archived"}
    assert "1 URLs: 1 archived, 0 updated, 0 unchanged, 0 failed" in result.stdout

    db = sqlite_utils.Database(tmp_path / "seed.db")
    [article] = list(db["articles"].rows)
    assert article["url"] == url
    assert article["title"] == "党员干部受教育 科学发展上水平 人民群众得实惠"
    assert article["source"] == "商丘日报"
    assert "商丘日报" not in json.loads(article["authors"])
    assert article["published"] == "2009-09-04T13:23:00+08:00"
    assert article["section"] == "教育文献"
    assert json.loads(article["breadcrumb"]) == ["新闻资讯", "政策法规", "教育文献"]
    assert article["language"] == "zh"
    assert article["encoding"] == "gb18030"
    assert article["declared_encoding"] == "gb2312"
    assert json.loads(article["editors"]) == []
    assert (article["title_source"], article["date_source"], article["source_source"]) != (None, None, None)
    assert article["date_source"] == "byline"
    body = article["body"]
    assert body.startswith("按照中央和省委统一部署,我市从2009年3月开始")
    assert body.endswith("进一步巩固和扩大学习实践活动成果。")
    # The seed's expected.json lists its six headings and all its boilerplate.
    seed = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "pages"
                       / "seed-gov-edu-2009" / "expected.json").read_text(encoding="utf-8"))
    for heading in seed["body_contains"]:
        assert heading in body
    for boilerplate in seed["absent"]:
        assert boilerplate not in body

    [capture] = list(db["captures"].rows)
    assert capture["status"] == 200
    assert capture["error"] is None
    assert capture["article_key"] == article["key"]
    assert json.loads(capture["headers"])["Content-Type"] == "text/html"


def test_archiving_again_adds_a_capture_and_a_changed_page_a_version(
    site: Site, run_newsarchive: RunNewsarchive, tmp_path: Path
) -> None:
    url = site.url("/changing.html")
    site.state.changing_version = 1
    first = run_newsarchive("archive", url, "--db", "a.db", "--allow-private", *NO_DELAY)
    second = run_newsarchive("archive", url, "--db", "a.db", "--allow-private", *NO_DELAY)
    site.state.changing_version = 2
    third = run_newsarchive("archive", url, "--db", "a.db", "--allow-private", *NO_DELAY)
    site.state.changing_version = 1

    assert [r.returncode for r in (first, second, third)] == [0, 0, 0]
    assert [outcome_lines(r.stdout)[url] for r in (first, second, third)] == [
        "archived", "unchanged", "updated",
    ]
    db = sqlite_utils.Database(tmp_path / "a.db")
    assert db["articles"].count == 1
    assert db["captures"].count == 3
    [version] = list(db["versions"].rows)
    assert "version 1" in version["body"]
    [article] = list(db["articles"].rows)
    assert "version 2" in article["body"]


def test_each_bad_input_gets_its_reason_and_the_rest_is_stored(
    site: Site, run_newsarchive: RunNewsarchive, tmp_path: Path
) -> None:
    good = site.url("/changing.html")
    expected = {
        good: "archived",
        site.url("/status/404"): "failed: http_404",
        site.url("/status/500"): "failed: http_500",
        site.url("/loop/a"): "failed: too_many_redirects",
        site.url("/doc.pdf"): "failed: not_html",
        site.url("/slow"): "failed: timeout",
        site.url("/index.html"): "failed: body_too_short",
        site.url("/private/page.html"): "failed: robots_txt_forbidden",
        "http://news.example.invalid/a.html": "failed: dns_lookup_failed",
        f"http://127.0.0.1:{free_port()}/a.html": "failed: connection_refused",
    }
    result = run_newsarchive("archive", *expected, "--db", "bad.db", "--allow-private", "--timeout", "1", *NO_DELAY)

    assert result.returncode == 1, result.stderr
    assert outcome_lines(result.stdout) == expected
    assert "10 URLs: 1 archived, 0 updated, 0 unchanged, 9 failed" in result.stdout
    db = sqlite_utils.Database(tmp_path / "bad.db")
    assert [row["url"] for row in db["articles"].rows] == [good]
    failures = {row["url"]: row for row in db.query("select * from captures where error is not null")}
    assert {url: row["error"] for url, row in failures.items()} == {
        url: outcome.removeprefix("failed: ") for url, outcome in expected.items() if url != good
    }
    assert failures[site.url("/status/404")]["status"] == 404
    assert failures[site.url("/status/500")]["status"] == 500
    assert failures[site.url("/index.html")]["body_size"] > 0


def test_private_addresses_are_refused_unless_allowed(
    site: Site, run_newsarchive: RunNewsarchive, tmp_path: Path
) -> None:
    url = site.url("/changing.html")
    result = run_newsarchive("archive", url, "--db", "p.db")
    assert result.returncode == 1
    assert outcome_lines(result.stdout) == {url: "failed: private_address"}
    assert sqlite_utils.Database(tmp_path / "p.db")["articles"].count == 0


def test_demo_archives_the_bundled_page(run_newsarchive: RunNewsarchive, tmp_path: Path) -> None:
    result = run_newsarchive("demo", "--db", "demo.db")
    assert result.returncode == 0, result.stderr
    assert [o for o in outcome_lines(result.stdout).values()] == ["archived"]
    assert "newsarchive serve --db demo.db" in result.stdout
    [article] = list(sqlite_utils.Database(tmp_path / "demo.db")["articles"].rows)
    assert article["title"] == "党员干部受教育 科学发展上水平 人民群众得实惠"


def test_demo_page_is_the_seed_fixture() -> None:
    """The bundled demo page is a copy (package data must be a real file); keep it in step."""
    root = Path(__file__).resolve().parents[2]
    demo = root / "crawler" / "demo" / "seed-gov-edu-2009.html"
    fixture = root / "tests" / "fixtures" / "pages" / "seed-gov-edu-2009" / "source.html"
    assert demo.read_bytes() == fixture.read_bytes()


@pytest.mark.parametrize("url", ["example.com/news/1.html", "ftp://example.com/a", "http:///nohost"])
def test_malformed_url_is_a_usage_error(url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["archive", url, "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert "URL" in result.output and url in result.output


def test_db_in_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "missing" / "a.db"
    result = CliRunner().invoke(main, ["archive", "http://example.com/a.html", "--db", str(db)])
    assert result.exit_code == 2
    assert "--db" in result.output and "does not exist" in result.output
    assert not db.parent.exists()
