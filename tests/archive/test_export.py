"""Exports: stable article fields in jsonl/csv/markdown, and WARC files warcio accepts."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database
from warcio.archiveiterator import ArchiveIterator

from archive import save_article, save_failure
from archive.export import EXPORT_FIELDS, export_articles, export_warc

from .conftest import EN_URL, ZH_URL, make_article, make_capture, make_english

GZIPPED_HEADERS = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip",
                   "Content-Length": "12"}


def fill(db: Database) -> None:
    save_article(db, make_article(), make_capture())
    save_article(db, make_english(), make_capture(url=EN_URL, final_url=EN_URL,
                                                 headers=GZIPPED_HEADERS,
                                                 body=b"<html><p>archive</p></html>"))
    save_failure(db, make_capture(url="https://news.example.org/x", final_url="https://news.example.org/x",
                                  status=None, body=None, error="timeout"))


def test_jsonl_has_the_stable_fields_in_order(db: Database) -> None:
    fill(db)
    out = io.StringIO()
    assert export_articles(db, "jsonl", out) == 2
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [list(row) for row in rows] == [list(EXPORT_FIELDS)] * 2
    assert [row["key"] for row in rows] == [EN_URL, ZH_URL]  # newest first
    assert rows[1]["authors"] == ["王明"] and rows[1]["title"].startswith("商丘日报")


def test_csv_and_filters(db: Database) -> None:
    fill(db)
    out = io.StringIO()
    assert export_articles(db, "csv", out, site="www.sqrb.com.cn") == 1
    [header, row] = list(csv.reader(io.StringIO(out.getvalue())))
    assert header == list(EXPORT_FIELDS)
    assert json.loads(row[header.index("authors")]) == ["王明"]
    assert export_articles(db, "csv", io.StringIO(), since="2020-01-01") == 1
    assert export_articles(db, "csv", io.StringIO(), since="2030-01-01") == 0


def test_markdown_reads_as_articles(db: Database) -> None:
    fill(db)
    out = io.StringIO()
    export_articles(db, "markdown", out)
    text = out.getvalue()
    assert "# 商丘日报：市委召开科学发展观学习会议\n\n*商丘日报 · 王明 · 2009-09-04T13:23:00+08:00*" in text
    assert f"<{ZH_URL}>" in text and "会议要求各级干部提高认识。" in text


def test_unknown_format_raises(db: Database) -> None:
    with pytest.raises(ValueError):
        export_articles(db, "xml", io.StringIO())


def test_warc_records_hold_the_stored_responses(db: Database, tmp_path: Path) -> None:
    fill(db)
    path = tmp_path / "out.warc.gz"
    with path.open("wb") as out:
        assert export_warc(db, out) == 2  # the timeout has no response
    with path.open("rb") as stream:
        records = [(r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers.protocol,
                    r.http_headers.get_statuscode(), r.http_headers.get_header("Content-Encoding"),
                    r.http_headers.get_header("X-Archive-Orig-Content-Encoding"),
                    r.rec_headers.get_header("WARC-Date"), r.content_stream().read())
                   for r in ArchiveIterator(stream) if r.rec_type == "response"]
    assert records[0][:6] == (ZH_URL, "WARC/1.1", "200", None, None, "2024-06-01T10:00:00Z")
    assert records[0][6] == "<html><body>商丘</body></html>".encode("gb18030")
    # The stored body is already decoded: the gzip header is kept, renamed.
    assert records[1][3:5] == (None, "gzip") and records[1][6] == b"<html><p>archive</p></html>"
    with path.open("wb") as out:
        assert export_warc(db, out, site="news.example.org") == 1
    with path.open("wb") as out:
        assert export_warc(db, out, since="2030-01-01") == 0
    assert b"WARC-Type: warcinfo" in gzip.decompress(path.read_bytes())


def test_warcio_check_and_index_accept_the_file(db: Database, tmp_path: Path) -> None:
    fill(db)
    path = tmp_path / "out.warc.gz"
    with path.open("wb") as out:
        export_warc(db, out)
    warcio = [sys.executable, "-m", "warcio.cli"]
    check = subprocess.run([*warcio, "check", "-v", str(path)], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    index = subprocess.run([*warcio, "index", str(path)], capture_output=True, text=True,
                           check=False)
    assert index.returncode == 0, index.stderr
    entries = [json.loads(line) for line in index.stdout.splitlines()]
    assert [(e["warc-type"], e.get("warc-target-uri")) for e in entries] == [
        ("warcinfo", None), ("response", ZH_URL), ("response", EN_URL)]
