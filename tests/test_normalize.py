"""Normalisation, folding and tokenisation of Vietnamese text."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.normalize import NORMALISER_VERSION, fold, fold_tokens, normalize, tokenize

CORPUS = sorted((Path(__file__).parents[1] / "corpus").glob("*.txt"))


def test_version_is_declared() -> None:
    assert isinstance(NORMALISER_VERSION, str) and NORMALISER_VERSION


def test_nfd_input_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Ủy ban nhân dân quận Đống Đa")
    assert nfd != "Ủy ban nhân dân quận Đống Đa"
    assert normalize(nfd) == "Ủy ban nhân dân quận Đống Đa"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hoà", "hòa"),
        ("Thành uỷ", "Thành ủy"),
        ("Quận uỷ Đống Đa", "Quận ủy Đống Đa"),
        ("thuỵ", "thụy"),
        ("khoá XI", "khóa XI"),
        ("văn hoá", "văn hóa"),
        ("HOÁ", "HÓA"),
        ("Uỷ ban", "Ủy ban"),
        ("UỶ BAN", "ỦY BAN"),
        ("khoẻ", "khỏe"),
        ("xoè", "xòe"),
        ("hoạ sĩ", "họa sĩ"),
        ("tuỳ", "tùy"),
        ("hòan thành", "hoàn thành"),  # closed syllable: the mark belongs on the second vowel
    ],
)
def test_one_tone_mark_style(old: str, new: str) -> None:
    assert normalize(old) == new


@pytest.mark.parametrize(
    "word",
    [
        "quý",
        "quỷ",
        "Quý",
        "QUÝ",
        "quà",
        "giá",
        "giữa",
        "hoàng",
        "toán",
        "quyết",
        "huỳnh",
        "thuở",
        "khuya",
        "Huy",
    ],
)
def test_qu_gi_and_closed_syllables_unchanged(word: str) -> None:
    assert normalize(word) == word


def test_old_and_new_style_fold_and_tokenize_alike() -> None:
    assert normalize("Thành uỷ Hà Nội") == normalize("Thành ủy Hà Nội")
    assert tokenize("văn hoá") == tokenize("văn hóa") == ["văn", "hóa"]


def test_whitespace_collapsed_and_stripped() -> None:
    assert normalize("  Phòng \t Nội\n\nvụ\u00a0quận \u2003 ") == "Phòng Nội vụ quận"


def test_invisible_and_control_characters_removed() -> None:
    assert normalize("\ufeffPh\u200bòng\x00 Nội\u00ad vụ") == "Phòng Nội vụ"


def test_empty_and_symbols_do_not_crash() -> None:
    assert normalize("") == ""
    assert normalize("😀 \x07 ✓") == "😀 ✓"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_normalisation_is_idempotent(path: Path) -> None:
    once = normalize(path.read_text(encoding="utf-8"))
    assert normalize(once) == once
    assert "uỷ" not in once and "hoá" not in once  # the minority style is gone


@settings(max_examples=400)
@given(st.text())
def test_normalize_never_crashes_and_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


_VIETNAMISH = st.lists(
    st.sampled_from(
        [
            "hoà",
            "uỷ",
            "quý",
            "gì",
            "òa",
            "oạ",
            "ừ",
            "Ơ",
            "q",
            "g",
            "n",
            "a",
            "o",
            "y",
            "u",
            " ",
            "\n",
            "\u0301",
        ]
        + ["\u0323", "\u0300", "\u200b", "\x00", "\u00a0", "İ", "ﬃ"]
    ),
    max_size=15,
).map("".join)


@settings(max_examples=400)
@given(_VIETNAMISH)
def test_normalize_idempotent_on_tricky_vietnamese_fragments(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert unicodedata.is_normalized("NFC", once)


def test_fold() -> None:
    assert fold("Phòng Nội vụ") == "phong noi vu"
    assert fold("ĐỐNG ĐA, Đảng ủy") == "dong da, dang uy"
    assert fold("Thành uỷ") == fold("thanh ủy") == "thanh uy"


def test_tokenize_keeps_one_letter_syllables_and_digits() -> None:
    assert tokenize("Ở đây, có ý kiến à?") == ["ở", "đây", "có", "ý", "kiến", "à"]
    assert tokenize("Số: 08 /KH-UBND năm 2025") == ["số", "08", "kh", "ubnd", "năm", "2025"]
    assert tokenize("“Dân vận khéo”") == ["dân", "vận", "khéo"]
    assert tokenize("") == []


def test_fold_tokens() -> None:
    tokens = tokenize("Quận uỷ Đống Đa năm 2019")
    assert fold_tokens(tokens) == ["quan", "uy", "dong", "da", "nam", "2019"]
    assert len(fold_tokens(tokens)) == len(tokens)
