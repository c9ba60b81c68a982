"""What the article page shows: one article, its captures, versions and their difference.

Owns ``load_article_page`` and ``diff_texts``, the data behind the Datasette
route ``/-/article/<database>/<id>`` (``archive.datasette_plugin``).  Imports
stdlib only and works on a plain ``sqlite3.Connection``, so it runs inside
Datasette's ``execute_fn`` and in tests alike.  Everything it returns is plain
text: the template escapes it; archived HTML is never part of the page.
"""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
from datetime import datetime
from typing import Any

LIST_FIELDS = ("authors", "editors", "breadcrumb", "keywords")
CAPTURE_COLUMNS = "id, url, final_url, fetched_at, status, error, body_size, body_sha256"
# Articles run to a few thousand characters; a character diff of two such
# texts takes milliseconds.  Beyond this, compare paragraphs instead.
MAX_CHARACTER_DIFF_CHARS = 20_000


def load_article_page(conn: sqlite3.Connection, article_id: int,
                      diff_from: int | None = None) -> dict[str, Any] | None:
    """Return the article ``article_id`` with its captures, versions and a diff.

    ``diff`` compares version ``diff_from`` (a ``versions.id``; default the
    latest version) with the current text, as a list of ``(op, text)`` pairs
    where op is "equal", "insert" or "delete"; it is None when the article has
    no earlier version.  Returns None when there is no such article.
    """
    article = _one(conn, "SELECT * FROM articles WHERE id = ?", [article_id])
    if article is None:
        return None
    for field in LIST_FIELDS:
        article[field] = _json_list(article.get(field))
    article["paragraphs"] = [p.strip() for p in re.split(r"\n\s*\n", article["body"] or "") if p.strip()]
    article["published_display"] = display_time(article.get("published"))
    article["modified_display"] = display_time(article.get("modified"))
    captures = _all(conn, f"SELECT {CAPTURE_COLUMNS} FROM captures "
                    "WHERE article_key = ? OR url = ? ORDER BY fetched_at DESC, id DESC",
                    [article["key"], article["url"]])
    versions = _all(conn, "SELECT id, title, body, published, modified, replaced_at "
                    "FROM versions WHERE article_key = ? ORDER BY replaced_at DESC, id DESC",
                    [article["key"]])
    chosen = next((v for v in versions if v["id"] == diff_from), versions[0] if versions else None)
    diff = None
    if chosen is not None:
        diff = {
            "version": chosen,
            "title": diff_texts(chosen["title"] or "", article["title"] or ""),
            "body": diff_texts(chosen["body"] or "", article["body"] or ""),
        }
    return {"article": article, "captures": captures, "versions": versions, "diff": diff}


def diff_texts(old: str, new: str) -> list[tuple[str, str]]:
    """Return the difference of two texts as ``(op, text)`` pairs, in order.

    ``op`` is "equal", "insert" (only in ``new``) or "delete" (only in
    ``old``).  Characters are compared (Chinese has no spaces to split words
    on); long texts are compared paragraph by paragraph.
    """
    if len(old) + len(new) > MAX_CHARACTER_DIFF_CHARS:
        a: list[str] | str = old.splitlines(keepends=True)
        b: list[str] | str = new.splitlines(keepends=True)
    else:
        a, b = old, new
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    pairs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            pairs.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            pairs.append(("insert", "".join(b[j1:j2])))
        if op == "equal":
            pairs.append(("equal", "".join(a[i1:i2])))
    return pairs


def display_time(value: str | None) -> str:
    """Return an ISO 8601 time as "2009-09-04 13:23 (UTC+08:00)", in its own zone.

    The archive keeps the offset the page stated, so the reader sees the
    page's local time.  Returns the value unchanged when it is not ISO 8601,
    and "" for None.
    """
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    offset = moment.strftime("%z")
    return f"{moment.strftime('%Y-%m-%d %H:%M')} (UTC{offset[:3]}:{offset[3:]})"


def _json_list(value: str | None) -> list[str]:
    try:
        loaded = json.loads(value or "[]")
    except json.JSONDecodeError:
        return [value] if value else []
    return [str(item) for item in loaded] if isinstance(loaded, list) else [str(loaded)]


def _all(conn: sqlite3.Connection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _one(conn: sqlite3.Connection, sql: str, params: list[Any]) -> dict[str, Any] | None:
    rows = _all(conn, sql, params)
    return rows[0] if rows else None
