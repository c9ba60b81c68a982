"""Exporting the archive: articles as JSON lines, CSV or Markdown; captures as WARC.

Owns ``EXPORT_FIELDS``, ``select_articles``, ``export_articles`` and
``export_warc``.  Imports stdlib, sqlite_utils and warcio.

Every article export has the fields of ``EXPORT_FIELDS`` in that order; they
are stable (new fields are only ever appended).  List fields (authors,
editors, breadcrumb, keywords) are arrays in JSON lines and JSON-encoded
strings in CSV.  The WARC export writes one WARC/1.1 ``response`` record per
stored capture that received a response, rebuilt from ``captures.status``,
``headers`` and the raw ``body_zlib``.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from typing import IO, Any

from sqlite_utils import Database
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

EXPORT_FIELDS = (
    "id", "key", "url", "canonical_url", "site", "title", "published", "modified",
    "source", "authors", "editors", "section", "breadcrumb", "language",
    "description", "image", "keywords", "body", "content_hash", "first_seen_at",
    "last_seen_at",
)  # fmt: skip
LIST_FIELDS = ("authors", "editors", "breadcrumb", "keywords")
ARTICLE_FORMATS = ("jsonl", "csv", "markdown")
# The stored body is already decoded from any transfer or content coding
# (Scrapy's downloader middlewares undo gzip and chunking), so these headers
# would make a WARC reader decode it a second time.  They are kept renamed.
DECODED_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
ORIGINAL_HEADER_PREFIX = "X-Archive-Orig-"


def select_articles(db: Database, site: str | None = None,
                    since: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield articles as dicts of EXPORT_FIELDS, newest publication first.

    ``site`` keeps one host name; ``since`` keeps articles published at or
    after that ISO date or time (articles without a date are left out then).
    List fields come back as lists.
    """
    where, params = _filters(site, "site", since, "published")
    columns = ", ".join(f"[{field}]" for field in EXPORT_FIELDS)
    cursor = db.execute(
        f"SELECT {columns} FROM articles{where} ORDER BY published DESC, id DESC", params
    )
    for values in cursor:
        row = dict(zip(EXPORT_FIELDS, values))
        for field in LIST_FIELDS:
            row[field] = json.loads(row[field] or "[]")
        yield row


def export_articles(db: Database, output_format: str, out: IO[str],
                    site: str | None = None, since: str | None = None) -> int:
    """Write the selected articles to ``out`` as jsonl, csv or markdown.

    Returns the number of articles written.  Raises ValueError for another
    format.
    """
    if output_format not in ARTICLE_FORMATS:
        raise ValueError(f"unknown article export format {output_format!r}")
    writer = csv.writer(out) if output_format == "csv" else None
    if writer is not None:
        writer.writerow(EXPORT_FIELDS)
    count = 0
    for row in select_articles(db, site=site, since=since):
        if writer is not None:
            writer.writerow([_csv_value(row[field]) for field in EXPORT_FIELDS])
        elif output_format == "jsonl":
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            out.write(_markdown(row))
        count += 1
    return count


def export_warc(db: Database, out: IO[bytes], site: str | None = None,
                since: str | None = None) -> int:
    """Write every capture with a response as a WARC/1.1 response record.

    ``site`` keeps captures whose URL is on that host; ``since`` keeps those
    fetched at or after that ISO date or time.  A warcinfo record comes
    first; records are gzipped one by one (a .warc.gz file).  Returns the
    number of response records written.
    """
    where, params = _filters(None, "", since, "fetched_at")
    where += (" AND " if where else " WHERE ") + "status IS NOT NULL AND body_zlib IS NOT NULL"
    if site:
        where += " AND (url LIKE ? OR url LIKE ?)"
        params += [f"%://{site}/%", f"%://{site}:%"]
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    writer.write_record(writer.create_warcinfo_record(
        "newsarchive-export.warc.gz",
        {"software": "newsarchive", "format": "WARC File Format 1.1",
         "description": "Captures exported from a newsarchive SQLite archive"},
    ))  # fmt: skip
    count = 0
    cursor = db.execute(
        "SELECT final_url, url, fetched_at, status, headers, body_zlib FROM captures"
        f"{where} ORDER BY fetched_at, id",
        params,
    )
    for final_url, url, fetched_at, status, headers, body_zlib in cursor:
        body = zlib.decompress(body_zlib)
        http_headers = StatusAndHeaders(
            _status_line(status), _warc_headers(json.loads(headers or "{}"), len(body)),
            protocol="HTTP/1.1",
        )
        record = writer.create_warc_record(
            final_url or url, "response", payload=io.BytesIO(body),
            length=len(body), http_headers=http_headers,
            warc_headers_dict={"WARC-Date": _warc_date(fetched_at)},
        )
        writer.write_record(record)
        count += 1
    return count


def _filters(site: str | None, site_column: str, since: str | None,
             since_column: str) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if site:
        clauses.append(f"{site_column} = ?")
        params.append(site)
    if since:
        clauses.append(f"{since_column} >= ?")
        params.append(since)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _csv_value(value: Any) -> Any:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _markdown(row: dict[str, Any]) -> str:
    byline = " · ".join(
        part for part in (
            row["source"] or "", ", ".join(row["authors"]), row["published"] or "",
        ) if part
    )  # fmt: skip
    lines = [f"# {row['title']}", ""]
    if byline:
        lines += [f"*{byline}*", ""]
    lines += [f"<{row['url']}>", "", row["body"], "", "---", ""]
    return "\n".join(lines) + "\n"


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _warc_headers(headers: dict[str, str], length: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in headers.items():
        if name.lower() in DECODED_HEADERS:
            out.append((ORIGINAL_HEADER_PREFIX + name, str(value)))
        else:
            out.append((name, str(value)))
    out.append(("Content-Length", str(length)))
    return out


def _warc_date(fetched_at: str) -> str:
    try:
        moment = datetime.fromisoformat(fetched_at)
    except ValueError:
        return fetched_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

