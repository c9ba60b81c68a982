"""Encoding reconciliation: BOM, header, meta and the bytes, with lying declarations."""

from __future__ import annotations

import codecs

import pytest

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
