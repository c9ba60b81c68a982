"""`newsarchive extract` on local files, through click's CliRunner (no crawl, no network)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.crawler.conftest import SEED_PATH, SEED_SOURCE, SITE_DIR, Site, changing_page

SEED_URL = "http://www.edu-china-net.cn/news/zcfg/jywx/2009-09-04/32198.html"


@pytest.fixture
def pages(tmp_path: Path) -> tuple[Path, Path]:
    """Return (the seed page gzipped, a plain UTF-8 article file)."""
    seed = tmp_path / "seed.html.gz"
    seed.write_bytes(gzip.compress(SEED_SOURCE.read_bytes()))
    plain = tmp_path / "harbour.html"
    plain.write_bytes(changing_page(7))
    return seed, plain


def test_json_gives_an_array_with_file_and_article_fields(pages: tuple[Path, Path]) -> None:
    seed, plain = pages
    result = CliRunner().invoke(main, ["extract", str(seed), str(plain)])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["file"] for r in records] == [str(seed), str(plain)]
    for record in records:
        assert {"url", "title", "body", "published", "modified", "source", "authors", "editors",
                "section", "breadcrumb", "language", "description", "canonical_url", "image",
                "encoding"} <= record.keys()
    assert records[0]["url"] == seed.resolve().as_uri()
    assert records[0]["encoding"] == "gb18030"
    assert "按照中央和省委统一部署" in records[0]["body"]
    assert "version 7" in records[1]["body"]


def test_jsonl_gives_one_object_per_line_and_url_sets_the_page_url(pages: tuple[Path, Path]) -> None:
    seed, _ = pages
    result = CliRunner().invoke(main, ["extract", str(seed), "--url", SEED_URL, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    [line] = result.output.splitlines()
    record = json.loads(line)
    assert record["file"] == str(seed)
    assert record["url"] == SEED_URL
    assert record["title"] == "党员干部受教育 科学发展上水平 人民群众得实惠"
    assert record["published"] == "2009-09-04T13:23:00+08:00"


def test_a_failing_file_gives_an_error_object_and_exit_1(pages: tuple[Path, Path]) -> None:
    _, plain = pages
    nav = SITE_DIR / "index.html"
    result = CliRunner().invoke(main, ["extract", str(nav), str(plain), "--format", "jsonl"])
    assert result.exit_code == 1
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert first == {"file": str(nav), "error": "body_too_short"}
    assert second["file"] == str(plain) and "error" not in second


def test_url_with_several_files_and_missing_files_are_usage_errors(pages: tuple[Path, Path], tmp_path: Path) -> None:
    seed, plain = pages
    several = CliRunner().invoke(main, ["extract", str(seed), str(plain), "--url", SEED_URL])
    assert several.exit_code == 2 and "--url" in several.output
    missing = CliRunner().invoke(main, ["extract", str(tmp_path / "nope.html")])
    assert missing.exit_code == 2 and "PATH_OR_URL" in missing.output


def test_extract_url_fetches_the_page_without_storing(site: Site) -> None:
    result = CliRunner().invoke(main, ["extract", site.url(SEED_PATH), site.url("/status/404"),
                                       "--format", "jsonl"])
    assert result.exit_code == 1
    ok, failed = (json.loads(line) for line in result.output.splitlines())
    assert ok["title"] == "党员干部受教育 科学发展上水平 人民群众得实惠"
    assert failed == {"file": site.url("/status/404"), "error": "http_404"}
