"""Language: declarations checked against the text; zones from language and host."""

from __future__ import annotations

import pytest

from crawler.extract.language import (
    choose_language,
    default_zone_name,
    detect_language,
    normalize_language_tag,
)

SAMPLES = {
    "zh": "党员干部受教育，科学发展上水平，人民群众得实惠。教育部今天发布了新的政策文件。",
    "ja": "市立図書館は来春から夜間の開館時間を延長すると発表しました。利用者からの要望に応えたものです。",
    "ko": "서울시는 내년부터 도서관 야간 개관 시간을 연장한다고 밝혔습니다.",
    "ru": "В городе откроют три новых детских сада, сообщили в администрации области.",
    "uk": "У місті відкриють три нові дитячі садки, повідомили в адміністрації області. Це її рішення.",
    "de": "Der Stadtrat hat die Sanierung des Hallenbads beschlossen. Die Arbeiten sollen im Herbst "
          "beginnen und nicht länger als ein Jahr dauern, sagte der Bürgermeister auf der Sitzung.",
    "en": "The city council approved the plan to turn the old rail yard into a park on Monday, "
          "and the work is expected to start in the spring with funding from the state.",
    "fr": "Le conseil municipal a approuvé le projet de parc sur l'ancienne gare. Les travaux "
          "commenceront au printemps et dureront deux ans selon le maire de la ville.",
}


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_detect_language(code: str) -> None:
    assert detect_language(SAMPLES[code])[0] == code


def test_detect_language_without_letters() -> None:
    assert detect_language("12345 !!! ...") == (None, 0.0)


def test_declaration_is_trusted_when_text_agrees_or_is_unclear() -> None:
    assert choose_language("zh-CN", SAMPLES["zh"]) == "zh"
    assert choose_language("en-US", "") == "en"
    assert choose_language("de", "OK") == "de"
    assert choose_language(None, SAMPLES["ru"]) == "ru"


def test_lying_template_declaration_is_overruled() -> None:
    assert choose_language("en", SAMPLES["zh"]) == "zh"
    assert choose_language("en", SAMPLES["de"] * 3) == "de"
    assert choose_language("zh", SAMPLES["en"]) == "en"


def test_normalize_language_tag() -> None:
    assert normalize_language_tag("zh_CN") == "zh-cn"
    assert normalize_language_tag(" EN-us ") == "en-us"
    assert normalize_language_tag("!!") is None


@pytest.mark.parametrize(
    ("tag", "language", "encoding", "host", "zone"),
    [
        ("zh-CN", "zh", "utf-8", "www.example.com", "Asia/Shanghai"),
        (None, "zh", "gb18030", "www.example.com", "Asia/Shanghai"),
        (None, None, "gb18030", "www.example.com", "Asia/Shanghai"),
        (None, None, "utf-8", "www.edu.cn", "Asia/Shanghai"),
        ("zh-TW", "zh", "big5", "www.example.com", "Asia/Taipei"),
        ("zh-HK", "zh", "utf-8", "www.example.com", "Asia/Hong_Kong"),
        ("ja", "ja", "shift_jis", "www.example.jp", "Asia/Tokyo"),
        ("ko", "ko", "utf-8", "www.example.kr", "Asia/Seoul"),
        ("ru", "ru", "cp1251", "www.example.ru", "Europe/Moscow"),
        ("de", "de", "utf-8", "www.example.de", "Europe/Berlin"),
        ("en", "en", "utf-8", "www.example.com", None),
    ],
)
def test_default_zone_name(tag: str | None, language: str | None, encoding: str, host: str,
                           zone: str | None) -> None:
    assert default_zone_name(tag, language, encoding, host) == zone


def test_big5_chinese_defaults_to_taipei() -> None:
    assert default_zone_name(None, "zh", "big5", "www.example.com") == "Asia/Taipei"


def test_english_edition_on_a_chinese_host_uses_beijing_time() -> None:
    assert default_zone_name("en", "en", "utf-8", "www.chinadaily.com.cn") == "Asia/Shanghai"
