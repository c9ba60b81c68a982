"""Saved-page tests: run the extraction engine over every case in tests/fixtures/pages.

Each case is a folder ``tests/fixtures/pages/<slug>/`` holding ``source.html``
(the bytes a server sent, in the page's own encoding) and ``expected.json``.
Only the keys present in ``expected.json`` are checked; one test per
(page, field group) so a failure names the page and the fields at once.
Body checks compare after collapsing whitespace (incl. nbsp and the
ideographic space): ``body_first`` is a prefix of the first paragraph,
``body_last`` a suffix of the last, ``body_contains`` must and ``absent``
must not occur in the body.  ``captions`` are left out of the default body
and kept with ``ExtractOptions(include_captions=True)``.
"""

from __future__ import annotations

import codecs
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.extract import Article, ExtractOptions, extract_article

PAGES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "pages"

_WS_RE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_PARAGRAPH_SPLIT_RE = re.compile(r"\n[ \t\u00a0\u3000]*\n")

FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "dates": ("published", "date_source"),
    "byline": ("source", "authors", "editors"),
    "section": ("section", "breadcrumb"),
    "language_encoding": ("language", "encoding"),
    "body": ("body_first", "body_last", "body_contains", "absent"),
    "captions": ("captions",),
}


def _collapse(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def _case_dirs() -> list[Path]:
    return sorted(p for p in PAGES_DIR.iterdir() if (p / "expected.json").is_file())


def _load_expected(case: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    return data


_EXPECTED: dict[str, dict[str, Any]] = {c.name: _load_expected(c) for c in _case_dirs()}
_RESULTS: dict[str, Article | BaseException] = {}


def _slugs_with(group: str) -> list[str]:
    keys = FIELD_GROUPS[group]
    return [slug for slug, exp in _EXPECTED.items() if any(k in exp for k in keys)]


def _article(slug: str, captions: bool = False) -> Article:
    """Extract the page once per test run; later tests reuse the result."""
    key = f"{slug}+captions" if captions else slug
    if key not in _RESULTS:
        exp = _EXPECTED[slug]
        fetched_at = exp.get("fetched_at")
        options = ExtractOptions(
            fetched_at=datetime.fromisoformat(fetched_at) if fetched_at else None,
            include_captions=captions,
        )
        body = (PAGES_DIR / slug / "source.html").read_bytes()
        try:
            _RESULTS[key] = extract_article(
                body, url=exp["url"], headers=exp.get("headers"), options=options
            )
        except Exception as exc:  # recorded so every field test of the page reports it
            _RESULTS[key] = exc
    result = _RESULTS[key]
    if isinstance(result, BaseException):
        raise AssertionError(f"[{slug}] extract_article raised {result!r}") from result
    return result


def _normalise_encoding(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


def _compare(slug: str, article: Article, keys: tuple[str, ...]) -> list[str]:
    exp = _EXPECTED[slug]
    problems = []
    for key in keys:
        if key not in exp:
            continue
        want = exp[key]
        got: Any = getattr(article, key)
        if isinstance(got, tuple):
            got = list(got)
        if key == "encoding":
            want, got = _normalise_encoding(want), _normalise_encoding(got)
        if got != want:
            problems.append(f"[{slug}] field {key!r}: expected {want!r}, got {got!r}")
    return problems


def _fail_on(problems: list[str]) -> None:
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_pages_exist() -> None:
    assert len(_EXPECTED) >= 12, f"only {len(_EXPECTED)} cases in {PAGES_DIR}"
    for slug in _EXPECTED:
        assert (PAGES_DIR / slug / "source.html").is_file(), f"[{slug}] no source.html"
        assert "url" in _EXPECTED[slug], f"[{slug}] expected.json has no url"


@pytest.mark.parametrize("slug", _slugs_with("title"))
def test_title(slug: str) -> None:
    _fail_on(_compare(slug, _article(slug), FIELD_GROUPS["title"]))


@pytest.mark.parametrize("slug", _slugs_with("dates"))
def test_dates(slug: str) -> None:
    _fail_on(_compare(slug, _article(slug), FIELD_GROUPS["dates"]))


@pytest.mark.parametrize("slug", _slugs_with("byline"))
def test_byline(slug: str) -> None:
    _fail_on(_compare(slug, _article(slug), FIELD_GROUPS["byline"]))


@pytest.mark.parametrize("slug", _slugs_with("section"))
def test_section(slug: str) -> None:
    _fail_on(_compare(slug, _article(slug), FIELD_GROUPS["section"]))


@pytest.mark.parametrize("slug", _slugs_with("language_encoding"))
def test_language_encoding(slug: str) -> None:
    _fail_on(_compare(slug, _article(slug), FIELD_GROUPS["language_encoding"]))


@pytest.mark.parametrize("slug", _slugs_with("body"))
def test_body(slug: str) -> None:
    exp = _EXPECTED[slug]
    body = _article(slug).body
    flat = _collapse(body)
    paragraphs = [p for p in (_collapse(x) for x in _PARAGRAPH_SPLIT_RE.split(body)) if p]
    problems = []
    if not paragraphs:
        _fail_on([f"[{slug}] field 'body': the body is empty"])
    if "body_first" in exp:
        want = _collapse(exp["body_first"])
        if not paragraphs[0].startswith(want):
            problems.append(
                f"[{slug}] field 'body_first': first paragraph does not start with "
                f"{want!r}; it is {paragraphs[0][:120]!r}"
            )
    if "body_last" in exp:
        want = _collapse(exp["body_last"])
        if not paragraphs[-1].endswith(want):
            problems.append(
                f"[{slug}] field 'body_last': last paragraph does not end with "
                f"{want!r}; it is {paragraphs[-1][-120:]!r}"
            )
    for text in exp.get("body_contains", []):
        if _collapse(text) not in flat:
            problems.append(f"[{slug}] field 'body_contains': {text!r} missing from the body")
    for text in exp.get("absent", []):
        if _collapse(text) in flat:
            problems.append(f"[{slug}] field 'absent': boilerplate {text!r} is in the body")
    for text in exp.get("captions", []):
        if _collapse(text) in flat:
            problems.append(f"[{slug}] field 'captions': {text!r} is in the default body")
    _fail_on(problems)


@pytest.mark.parametrize("slug", _slugs_with("captions"))
def test_captions_on_request(slug: str) -> None:
    flat = _collapse(_article(slug, captions=True).body)
    _fail_on([f"[{slug}] field 'captions': {text!r} missing with include_captions=True"
              for text in _EXPECTED[slug]["captions"] if _collapse(text) not in flat])
