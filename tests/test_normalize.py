"""Normalisation, folding and tokenisation of Vietnamese text."""

from __future__ import annotations

import re
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


# ------------------------------------------------------------------ same outputs as the first version
class Frozen:
    """The normaliser as first written (NORMALISER_VERSION 1, before it was made faster), kept verbatim:
    the current functions must give byte-identical outputs, or the version must change."""

    TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    SPLIT: dict[str, tuple[str, int]] = {}
    JOIN: dict[tuple[str, int], str] = {}
    for v in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY":
        SPLIT[v] = (v, -1)
        JOIN[(v, -1)] = v
        for i, mark in enumerate(TONES):
            c = unicodedata.normalize("NFC", v + mark)
            SPLIT[c] = (v, i)
            JOIN[(v, i)] = c
    VOWEL_RUN = re.compile("[" + "".join(SPLIT) + "]+")
    PAIRS = {"oa", "oe", "uy"}
    INVISIBLE = re.compile(r"[\u00ad\u200b\u2060\ufeff\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
    SPACE = re.compile(r"\s+")
    TOKEN = re.compile(r"[^\W_]+")

    @classmethod
    def retone(cls, match: re.Match[str]) -> str:
        run = match.group(0)
        text = match.string
        start, end = match.span()
        parts = [cls.SPLIT[c] for c in run]
        prev = text[start - 1].lower() if start > 0 else ""
        if (prev == "q" and parts[0][0] in "uU") or (prev == "g" and parts[0][0] in "iI" and len(parts) > 1):
            return run[0] + cls.retone_parts(run[1:], parts[1:], text, end)
        return cls.retone_parts(run, parts, text, end)

    @classmethod
    def retone_parts(cls, run: str, parts: list[tuple[str, int]], text: str, end: int) -> str:
        if len(parts) != 2 or "".join(p[0] for p in parts).lower() not in cls.PAIRS:
            return run
        tones = [t for _, t in parts if t >= 0]
        if len(tones) != 1:
            return run
        nxt = text[end] if end < len(text) else ""
        if nxt and unicodedata.combining(nxt):
            return run
        closed = bool(nxt) and nxt.isalpha()
        target = 1 if closed else 0
        tone = tones[0]
        return "".join(cls.JOIN[(base, tone if i == target else -1)] for i, (base, _) in enumerate(parts))

    @classmethod
    def normalize(cls, text: str) -> str:
        text = cls.INVISIBLE.sub("", text)
        text = unicodedata.normalize("NFC", text)
        text = cls.VOWEL_RUN.sub(cls.retone, text)
        return cls.SPACE.sub(" ", text).strip()

    @staticmethod
    def strip_marks(text: str) -> str:
        decomposed = unicodedata.normalize("NFD", text)
        bare = "".join(c for c in decomposed if not unicodedata.combining(c))
        return bare.replace("đ", "d").replace("Đ", "d")

    @classmethod
    def fold(cls, text: str) -> str:
        return cls.strip_marks(cls.normalize(text).lower())

    @classmethod
    def tokenize(cls, text: str) -> list[str]:
        return cls.TOKEN.findall(cls.normalize(text).lower())

    @classmethod
    def fold_tokens(cls, tokens: list[str]) -> list[str]:
        return [cls.strip_marks(t.lower()) for t in tokens]


def assert_same_as_frozen(text: str) -> None:
    assert normalize(text) == Frozen.normalize(text)
    assert fold(text) == Frozen.fold(text)
    toks = tokenize(text)
    assert toks == Frozen.tokenize(text)
    assert fold_tokens(toks) == Frozen.fold_tokens(toks)
    raw = text.split(" ")  # tokens as callers may pass them: any case, marks, separators, empty strings
    assert fold_tokens(raw) == Frozen.fold_tokens(raw)


def test_frozen_copy_is_the_first_version() -> None:
    """The copy really is the old code: it still writes the minority style the faster code must match."""
    assert Frozen.normalize("Thành uỷ hoà  bình") == "Thành ủy hòa bình"
    assert Frozen.fold("ĐỐNG ĐA") == "dong da"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_same_outputs_as_the_first_version_on_the_corpus(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert_same_as_frozen(text)
    lines = text.splitlines()
    assert [normalize(x) for x in lines] == [Frozen.normalize(x) for x in lines]
    assert [fold(x) for x in lines] == [Frozen.fold(x) for x in lines]
    assert_same_as_frozen(unicodedata.normalize("NFD", text))  # decomposed input
    assert_same_as_frozen(text.upper())
    assert_same_as_frozen(text.replace("òa", "oà").replace("ủy", "uỷ").replace("ọa", "oạ"))  # other style


_ANY = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
_VOWEL = st.sampled_from(
    [c for c in Frozen.SPLIT if Frozen.SPLIT[c][0].lower() in "oaeuyi"] + [*Frozen.SPLIT, "ư", "ơ"]
)
# Syllable-shaped text: onsets that matter (q/gi/qu), runs of one to three vowels, codas, stray marks, spaces.
_SYLLABLES = st.lists(
    st.tuples(
        st.sampled_from(["", "q", "Q", "g", "G", "qu", "QU", "gi", "Gi", "h", "th", "ng", "đ", "x́", "İ"]),
        st.one_of(
            st.lists(_VOWEL, min_size=1, max_size=3).map("".join),
            st.sampled_from(["oà", "òa", "oẻ", "ỏe", "uỷ", "ủy", "Oà", "UỶ", "Ùy", "oa", "uy", "uoà", "iuỷ", "uủy"]),
        ),
        st.sampled_from(["", "", "n", "ng", "c", "t", "nh", "́", "̣", "̂", "​", "ß", "한"]),
        st.sampled_from([" ", " ", "", "\n", ", ", "  ", "\t", "\u00a0", "-", "_"]),
    ).map("".join),
    max_size=12,
).map("".join)
# Tokens whose lower-casing depends on context (final sigma, dotted I) or that hold the separator itself.
_TOKENS = st.lists(st.text(alphabet="ΣσΑaİI'’.\u0301\u00adß\x00 đĐ", max_size=5), max_size=6)


@settings(max_examples=1500, deadline=None)
@given(_SYLLABLES)
def test_same_outputs_as_the_first_version_on_vowel_runs(text: str) -> None:
    assert_same_as_frozen(text)


@settings(max_examples=800, deadline=None)
@given(_ANY)
def test_same_outputs_as_the_first_version_on_any_text(text: str) -> None:
    assert_same_as_frozen(text)


@settings(max_examples=600, deadline=None)
@given(st.one_of(_TOKENS, st.lists(_ANY, max_size=8)))
def test_fold_tokens_same_as_the_first_version_on_any_tokens(tokens: list[str]) -> None:
    assert fold_tokens(tokens) == Frozen.fold_tokens(tokens)
