"""Encoding reconciliation: BOM, header, meta and the bytes, with lying declarations."""

from __future__ import annotations

import codecs

import pytest

from crawler.extract import ExtractOptions, UnparseableDocument, extract_article
from crawler.extract.encoding import decode_html, normalise_label

CHINESE = "<p>按照中央和省委统一部署，我市开展了第一批学习实践科学发展观活动。</p>" * 5


@pytest.mark.parametrize(("label", "codec"), [
    ("gb2312", "gb18030"), ("GBK", "gb18030"), ("x-gbk", "gb18030"), ("iso-8859-1", "cp1252"),
    ("utf8", "utf-8"), ("Shift_JIS", "shift_jis"), ("windows-1251", "cp1251"), ("nonsense", None),
])
def test_labels_normalise_as_browsers_do(label: str, codec: str | None) -> None:
    assert normalise_label(label) == codec


def test_meta_gb2312_with_gbk_bytes_decodes_as_gb18030() -> None:
    body = ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' + CHINESE)
    decoded = decode_html(body.encode("gbk"))
    assert decoded.encoding == "gb18030" and decoded.declared == "gb2312"
    assert "科学发展观" in decoded.text


def test_header_utf8_but_gbk_bytes_is_overruled() -> None:
    decoded = decode_html(CHINESE.encode("gbk"), {"Content-Type": "text/html; charset=utf-8"})
    assert decoded.encoding == "gb18030" and decoded.declared == "utf-8"
    assert "科学发展观" in decoded.text


def test_meta_gb2312_but_utf8_bytes_is_overruled() -> None:
    body = '<meta charset="gb2312">' + CHINESE
    decoded = decode_html(body.encode("utf-8"))
    assert decoded.encoding == "utf-8" and "科学发展观" in decoded.text


def test_header_wins_over_meta_when_both_fit() -> None:
    body = '<meta charset="cp1251"><p>caf\xe9</p>'.encode("cp1252")
    decoded = decode_html(body, {"content-type": "text/html; charset=iso-8859-1"})
    assert decoded.encoding == "cp1252" and "café" in decoded.text


def test_bom_wins_over_everything() -> None:
    body = codecs.BOM_UTF8 + '<meta charset="gb2312"><p>商丘</p>'.encode("utf-8")
    decoded = decode_html(body, {"Content-Type": "text/html; charset=gbk"})
    assert decoded.encoding == "utf-8" and "商丘" in decoded.text


@pytest.mark.parametrize(("text", "codec"), [
    ("<p>café crème brûlée — à la carte</p>", "cp1252"),
    ("<p>Новости дня: правительство приняло решение</p>", "cp1251"),
    (CHINESE, "gb18030"),
])
def test_undeclared_single_and_double_byte_pages_are_guessed(text: str, codec: str) -> None:
    decoded = decode_html(text.encode(codec))
    assert decoded.encoding == codec and decoded.text == text


def test_a_stray_invalid_byte_is_replaced_and_measured() -> None:
    body = CHINESE.encode("utf-8") * 4 + b"\xff" + CHINESE.encode("utf-8")
    decoded = decode_html(body, {"Content-Type": "text/html; charset=utf-8"})
    assert decoded.encoding == "utf-8" and "科学发展观" in decoded.text
    assert decoded.text.count("\ufffd") == 1
    assert 0 < decoded.replacement_ratio < 0.01


def _corrupt(body: bytes, every: int) -> bytes:
    """Replace every ``every``-th byte of the text after the head with 0xFF."""
    return bytes(0xFF if i % every == 0 and i > 40 else b for i, b in enumerate(body))


def _page(text: str) -> str:
    return f"<html><head><title>学习实践</title></head><body><h1>学习实践</h1>{text}</body></html>"


def test_header_latin1_but_gbk_bytes_is_not_read_as_latin1() -> None:
    # Chinese servers label pages ISO-8859-1 by default; cp1252 decodes any
    # byte, so only the shape of the text tells the lie.
    decoded = decode_html(CHINESE.encode("gbk"), {"Content-Type": "text/html; charset=ISO-8859-1"})
    assert decoded.encoding == "gb18030" and decoded.text == CHINESE


def test_declared_latin1_page_with_accents_stays_latin1() -> None:
    text = "<p>Le café de l'Opéra a rouvert ses portes à Noël, après trois mois de travaux.</p>" * 5
    decoded = decode_html(text.encode("cp1252"), {"Content-Type": "text/html; charset=iso-8859-1"})
    assert decoded.encoding == "cp1252" and decoded.text == text


def test_undeclared_corrupt_gbk_is_not_guessed_as_cyrillic() -> None:
    # GBK bytes read as cp1251 are "runs of Cyrillic letters" too, but upper
    # and lower case in equal measure.
    decoded = decode_html(_corrupt(_page(CHINESE).encode("gbk"), 20))
    assert decoded.encoding not in ("cp1251", "cp1252")
    assert decoded.replacement_ratio > 0.1


def test_declared_gbk_with_some_corrupt_bytes_stays_gbk_and_is_measured() -> None:
    body = _corrupt(_page(CHINESE * 4).encode("gbk"), 150)
    decoded = decode_html(body, {"Content-Type": "text/html; charset=gbk"})
    assert decoded.encoding == "gb18030"
    assert 0 < decoded.replacement_ratio < 0.05


@pytest.mark.parametrize(("body", "headers"), [
    (_corrupt(_page(CHINESE).encode("utf-8"), 20), {}),
    (_corrupt(_page(CHINESE).encode("gbk"), 20), {}),
    (_corrupt(_page(CHINESE).encode("gbk"), 40), {"Content-Type": "text/html; charset=gbk"}),
    (b"<html><body><p>" + bytes(range(0x80, 0x100)) * 30 + b"</p></body></html>",
     {"Content-Type": "text/html; charset=utf-8"}),
], ids=["utf8-5pct", "gbk-undeclared-5pct", "gbk-declared-2.5pct", "high-bytes-as-utf8"])
def test_pages_too_damaged_to_read_are_rejected_not_stored_as_mojibake(
        body: bytes, headers: dict[str, str]) -> None:
    with pytest.raises(UnparseableDocument) as error:
        extract_article(body, "http://example.com/a.html", headers)
    assert error.value.reason == "undecodable"
    assert "http://example.com/a.html" in str(error.value)


def test_a_few_damaged_characters_are_kept_and_measured() -> None:
    body = _page(CHINESE * 4).encode("utf-8")
    body = body.replace("科学发展观".encode("utf-8"), b"\xff", 1)
    article = extract_article(body, "http://example.com/a.html")
    assert "科学发展观" in article.body
    assert 0 < article.replacement_ratio <= ExtractOptions().max_replacement_ratio
    strict = ExtractOptions(max_replacement_ratio=0.0)
    with pytest.raises(UnparseableDocument):
        extract_article(body, "http://example.com/a.html", options=strict)


def test_utf16_declared_without_a_bom_does_not_raise() -> None:
    # Found by tests/extract/test_fuzz.py: after a bad first unit, UTF-16's
    # incremental decoder raises a plain UnicodeError, not a UnicodeDecodeError.
    body = b"\x00\xdc" + "<p>中文</p>".encode("utf-16-le") * 500
    decoded = decode_html(body, {"Content-Type": "text/html; charset=utf-16"})
    assert decoded.text


@pytest.mark.parametrize(("codec", "text"), [
    ("koi8-r", "НОВОСТИ ДНЯ: ПРЕЗИДЕНТ ПОДПИСАЛ УКАЗ. Министр назначен сегодня."),
    ("cp1251", "ГЛАВНОЕ: ВЫБОРЫ В ГОРОДСКУЮ ДУМУ. Итоги голосования."),
    ("cp1251", "Issue № 5 — © 2024"),
    ("cp1252", "Donâ€™t worry, itâ€™s fine. Señor Pérez said the naïve plan wasnâ€™t good."),
    ("iso8859-15", "Yöäänestys päättyi. Työntekijä sai 500 €."),
    ("iso8859-2", "ŻÓŁĆ ŻÓŁW GĘŚ ŹDŹBŁO. Żółć."),
])
def test_declared_single_byte_pages_keep_their_label(codec: str, text: str) -> None:
    # Found in review: only a declared Latin-1 label is checked against its
    # text, and only a double-byte reading that looks like CJK overrules it.
    body = f"<html><head><title>t</title></head><body><p>{text}</p></body></html>".encode(codec)
    decoded = decode_html(body, {"Content-Type": f"text/html; charset={codec}"})
    assert text in decoded.text
