"""Full-text search over articles that works for Chinese and Japanese too.

Owns the text segmentation shared by indexing and querying, and the search
query itself.  Imports stdlib and sqlite_utils only (the Datasette plugin
imports this module, never the other way round).

SQLite's unicode61 tokenizer does not split Chinese: a whole sentence becomes
one token.  So before text goes into ``articles_fts`` every run of CJK
characters (Han and kana; Hangul is space-separated already) is rewritten as
its overlapping bigrams plus its last character on its own::

    商丘日报  →  商丘 丘日 日报 报

and unicode61 indexes each bigram as a token.  A query is rewritten the same
way by ``fts_query``: a CJK term of n ≥ 2 characters becomes the phrase of its
bigrams (``"科学 学发 发展 展观"``), a single character becomes a prefix query
(``"商"*``, which finds it at the start of a bigram or as a run's last
character), and every other word is quoted as Datasette's ``escape_fts``
does.  The trailing single character also separates two runs in the index,
so a phrase never matches across punctuation (``商丘，丘日`` does not match
``商丘日``).
"""

from __future__ import annotations

import re
from typing import Any

from sqlite_utils import Database

_CJK_CHARS = (
    "\u3005-\u3007"  # 々 〆 〇
    "\u3041-\u3096\u309d-\u309f"  # hiragana letters and iteration marks
    "\u30a1-\u30fa\u30fc-\u30ff"  # katakana letters, ー, iteration marks (not ・)
    "\u31f0-\u31ff"  # katakana phonetic extensions
    "\u3400-\u4dbf"  # Han extension A
    "\u4e00-\u9fff"  # Han unified ideographs
    "\uf900-\ufaff"  # Han compatibility ideographs
    "\uff66-\uff9f"  # halfwidth katakana
    "\U00020000-\U0003134f"  # Han extensions B to G, compatibility supplement
)
_CJK_RUN = re.compile(f"[{_CJK_CHARS}]+")
# Datasette's escape_fts splits the same way: whitespace, or a "quoted phrase".
_QUERY_TERM = re.compile(r'"([^"]*)"|([^\s"]+)')
_WORD_CHAR = re.compile(r"\w")

# bm25 column weights (title, body).  A hit in the title says more about what
# an article is about than hits in a long body.  With equal weights an article
# naming 商丘 twice in its body outranked the one titled 商丘
# (test_title_hit_ranks_above_body_hits); 2.0 fixes that case, 5.0 leaves margin.
TITLE_BM25_WEIGHT = 5.0
BODY_BM25_WEIGHT = 1.0
# An FTS5 query that is valid and matches nothing (an empty phrase).
MATCH_NOTHING = '""'


def segment_for_index(text: str) -> str:
    """Return ``text`` with every CJK run replaced by its bigrams (see module)."""
    return _CJK_RUN.sub(lambda m: f" {_run_tokens(m.group())} ", text)


def _run_tokens(run: str) -> str:
    if len(run) == 1:
        return run
    bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
    return " ".join([*bigrams, run[-1]])


def fts_query(user_query: str) -> str:
    """Return the FTS5 MATCH expression for what a user typed in a search box.

    All terms must match (implicit AND).  Operators and column filters are not
    interpreted: everything is quoted, so no input raises an FTS5 syntax
    error.  A query with no searchable characters returns ``MATCH_NOTHING``.
    """
    if user_query.count('"') % 2:
        user_query += '"'
    parts: list[str] = []
    for match in _QUERY_TERM.finditer(user_query):
        quoted, bare = match.groups()
        parts.extend(_term_parts(quoted if quoted is not None else bare))
    return " ".join(parts) if parts else MATCH_NOTHING


def _term_parts(term: str) -> list[str]:
    parts: list[str] = []
    position = 0
    for run in _CJK_RUN.finditer(term):
        parts.extend(_latin_part(term[position : run.start()]))
        cjk = run.group()
        if len(cjk) == 1:
            parts.append(f'"{cjk}"*')
        else:
            bigrams = " ".join(cjk[i : i + 2] for i in range(len(cjk) - 1))
            parts.append(f'"{bigrams}"')
        position = run.end()
    parts.extend(_latin_part(term[position:]))
    return parts


def _latin_part(text: str) -> list[str]:
    text = text.strip()
    return [f'"{text}"'] if _WORD_CHAR.search(text) else []


def search(db: Database, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Return up to ``limit`` article rows matching ``query``, best first.

    Each dict is an ``articles`` row plus ``rank`` (bm25; lower is better).
    Returns an empty list when nothing matches.  Raises sqlite3.Error only if
    the archive has no ``articles_fts`` table (migrations not applied).
    """
    sql = """
        SELECT articles.*, bm25(articles_fts, ?, ?) AS rank
        FROM articles_fts JOIN articles ON articles.id = articles_fts.rowid
        WHERE articles_fts MATCH ?
        ORDER BY rank, articles.published DESC
        LIMIT ?
    """
    params = (TITLE_BM25_WEIGHT, BODY_BM25_WEIGHT, fts_query(query), limit)
    cursor = db.execute(sql, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]
