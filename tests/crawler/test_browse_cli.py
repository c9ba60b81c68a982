"""newsarchive search, export, stats and reextract, run through CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import open_archive, save_article, save_failure
from archive.queries import get_article, list_versions
from crawler.cli import main
from crawler.extract import ExtractOptions, extract_article
from tests.crawler.conftest import SEED_SOURCE

SEED_URL = "http://www.edu-china-net.cn/news/zcfg/jywx/2009-09-04/32198.html"
EN_URL = "https://news.example.org/2024/05/harbour.html"
EN_PAGE = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Harbour pier repaired</title>"
    "</head><body><h1>Harbour pier repaired</h1><article>"
    + "".join(f"<p>Paragraph {n}: the council met on Tuesday and agreed to repair the old "
              "pier before the winter storms arrive, the harbour master said.</p>" for n in range(4))
    + "</article></body></html>"
).encode()


def capture(url: str, body: bytes, fetched_at: str) -> dict[str, object]:
    return {"url": url, "final_url": url, "fetched_at": fetched_at, "status": 200,
            "headers": {"Content-Type": "text/html"}, "body": body, "error": None}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    db = open_archive(path)
    for url, body, fetched_at in ((SEED_URL, SEED_SOURCE.read_bytes(), "2026-01-01T00:00:00+00:00"),
                                  (EN_URL, EN_PAGE, "2026-01-02T00:00:00+00:00")):
        article = extract_article(body, url=url, headers={"Content-Type": "text/html"},
                                  options=ExtractOptions())
        save_article(db, article.to_dict(), capture(url, body, fetched_at))
    save_failure(db, {**capture("https://news.example.org/gone", b"", "2026-01-02T01:00:00+00:00"),
                      "status": 404, "error": "http_404"})
    db.close()
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_search_prints_ranked_blocks_with_snippets(db_path: Path) -> None:
    code, out = run("search", "科学发展观", "--db", str(db_path))
    assert code == 0, out
    assert out.startswith("1. 党员干部受教育 科学发展上水平 人民群众得实惠\n")
    assert "www.edu-china-net.cn · 2009-09-04" in out and SEED_URL in out
    assert "⟦科学发展⟧" in out or "⟦科学发展观⟧" in out
    code, out = run("search", "商丘", "--db", str(db_path))
    assert code == 0 and "⟦商丘⟧" in out
    code, out = run("search", "harbour", "--db", str(db_path), "--site", "news.example.org")
    assert code == 0 and out.startswith("1. Harbour pier repaired") and "⟦harbour⟧" in out


def test_search_reports_nothing_found(db_path: Path) -> None:
    code, out = run("search", "harbour", "--db", str(db_path), "--site", "www.edu-china-net.cn")
    assert code == 0
    assert out == "No articles match 'harbour' --site www.edu-china-net.cn.\n"
    code, out = run("search", "商丘", "--db", str(db_path), "--since", "2030-01-01", "--limit", "3")
    assert code == 0 and out.startswith("No articles match")


def test_bad_options_are_usage_errors(db_path: Path, tmp_path: Path) -> None:
    code, out = run("search", "x", "--db", str(db_path), "--since", "yesterday")
    assert code == 2 and "is not an ISO date" in out
    code, out = run("search", "x", "--db", str(tmp_path / "missing.db"))
    assert code == 2 and "does not exist" in out
    code, out = run("export", "--format", "warc", "--db", str(db_path))
    assert code == 2 and "name a file" in out
    not_sqlite = tmp_path / "not.db"
    not_sqlite.write_text("hello")
    code, out = run("stats", "--db", str(not_sqlite))
    assert code == 1 and "not a usable SQLite database" in out


def test_export_jsonl_and_warc(db_path: Path, tmp_path: Path) -> None:
    code, out = run("export", "--format", "jsonl", "--db", str(db_path))
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert [json.loads(line)["url"] for line in lines] == [SEED_URL, EN_URL]  # undated last
    assert "Exported 2 articles as jsonl." in out
    target = tmp_path / "out.warc.gz"
    code, out = run("export", "--format", "warc", "--db", str(db_path), "-o", str(target))
    assert code == 0 and f"Exported 3 captures as warc to {target}." in out
    code, out = run("export", "--format", "markdown", "--site", "news.example.org", "--db", str(db_path))
    assert code == 0 and "# Harbour pier repaired" in out and "党员干部" not in out
    code, out = run("export", "--format", "csv", "--since", "2009-09-01", "--db", str(db_path))
    assert code == 0 and "Exported 1 articles as csv." in out


def test_stats(db_path: Path) -> None:
    code, out = run("stats", "--db", str(db_path))
    assert code == 0
    assert "Articles: 2 (0 earlier versions)\nCaptures: 3 (1 failed)\n" in out
    assert "       1  www.edu-china-net.cn" in out
    assert "       1  2026-01-02" in out
    assert "       1  http_404" in out


def test_reextract_changes_nothing_when_extraction_is_the_same(db_path: Path) -> None:
    code, out = run("reextract", "--db", str(db_path))
    assert code == 0, out
    assert out == "2 articles re-extracted: 0 changed, 2 unchanged, 0 failed.\n"


def test_reextract_updates_a_stale_article_and_keeps_its_version(db_path: Path) -> None:
    db = open_archive(db_path)
    db.execute("UPDATE articles SET body = 'stale text', authors = '[]' WHERE key = ?", [SEED_URL])
    db.conn.commit()
    db.close()
    code, out = run("reextract", "--db", str(db_path), "--site", "www.edu-china-net.cn")
    assert code == 0, out
    assert out == "1 articles re-extracted: 1 changed, 0 unchanged, 0 failed.\n"
    db = open_archive(db_path)
    try:
        article = get_article(db, SEED_URL)
        assert article is not None and article["body"] != "stale text"
        assert [v["body"] for v in list_versions(db, SEED_URL)] == ["stale text"]
        hits = db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'stale'").fetchone()
        assert hits[0] == 0
    finally:
        db.close()
    code, out = run("reextract", "--db", str(db_path), "--since", "2026-01-02")
    assert out == "1 articles re-extracted: 0 changed, 1 unchanged, 0 failed.\n"
