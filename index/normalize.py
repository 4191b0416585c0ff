"""Vietnamese text normalisation shared by indexing and querying.

`normalize` gives one canonical spelling: Unicode NFC, one tone-mark placement style and collapsed
whitespace. `fold` and `fold_tokens` give the diacritic-free shadow used so that questions typed
without accents still match.

Tone placement: for the open syllables "oa", "oe" and "uy" the corpus mostly writes the mark on the
first vowel ("hòa", "khỏe", "ủy"); a scraped page or an old keyboard layout writes it on the second
("hoà", "khoẻ", "uỷ"). Both are correct Vietnamese, so we pick the majority style. When a final
consonant follows ("hoàn", "toán", "huỳnh") every style puts the mark on the second vowel, so a mark
found on the first one there ("hòan") is moved back.
"""

from __future__ import annotations

import re
import unicodedata

NORMALISER_VERSION = "1"

# Combining tone marks of Vietnamese, in the order grave, acute, hook above, tilde, dot below.
_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_BASE_VOWELS = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"

# Precomposed vowel -> (toneless vowel, tone index or -1), and the inverse.
_SPLIT: dict[str, tuple[str, int]] = {}
_JOIN: dict[tuple[str, int], str] = {}
for _v in _BASE_VOWELS:
    _SPLIT[_v] = (_v, -1)
    _JOIN[(_v, -1)] = _v
    for _i, _mark in enumerate(_TONES):
        _c = unicodedata.normalize("NFC", _v + _mark)
        _SPLIT[_c] = (_v, _i)
        _JOIN[(_v, _i)] = _c

_VOWEL_RUN = re.compile("[" + "".join(_SPLIT) + "]+")
_PAIRS = {"oa", "oe", "uy"}
# Invisible or control characters that only get in the way; removed before NFC so that removing
# them can never leave a mark that a second NFC pass would compose differently.
_INVISIBLE = re.compile(r"[\u00ad\u200b\u2060\ufeff\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_SPACE = re.compile(r"\s+")


def _retone(match: re.Match[str]) -> str:
    """Move the tone mark of one vowel run to its canonical vowel, when the run is a known pair."""
    run = match.group(0)
    text = match.string
    start, end = match.span()
    parts = [_SPLIT[c] for c in run]
    # "qu" and "gi" are consonants: their u/i is not part of the vowel ("quý", "giá").
    prev = text[start - 1].lower() if start > 0 else ""
    if (prev == "q" and parts[0][0] in "uU") or (prev == "g" and parts[0][0] in "iI" and len(parts) > 1):
        return run[0] + _retone_parts(run[1:], parts[1:], text, end)
    return _retone_parts(run, parts, text, end)


def _retone_parts(run: str, parts: list[tuple[str, int]], text: str, end: int) -> str:
    if len(parts) != 2 or "".join(p[0] for p in parts).lower() not in _PAIRS:
        return run
    tones = [t for _, t in parts if t >= 0]
    if len(tones) != 1:
        return run
    nxt = text[end] if end < len(text) else ""
    if nxt and unicodedata.combining(nxt):
        return run  # a stray combining mark follows; moving ours could make NFC compose differently
    closed = bool(nxt) and nxt.isalpha()
    target = 1 if closed else 0
    tone = tones[0]
    return "".join(_JOIN[(base, tone if i == target else -1)] for i, (base, _) in enumerate(parts))


def normalize(text: str) -> str:
    """Canonical form: NFC, one tone-mark style ("hoà"→"hòa", "uỷ"→"ủy"), single spaces, stripped."""
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _VOWEL_RUN.sub(_retone, text)
    return _SPACE.sub(" ", text).strip()


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "d")


def fold(text: str) -> str:
    """Normalised, lower-cased and without diacritics: "Phòng Nội vụ" → "phong noi vu"."""
    return _strip_marks(normalize(text).lower())


_TOKEN = re.compile(r"[^\W_]+")


def tokenize(text: str) -> list[str]:
    """Lower-cased syllables and numbers of the normalised text; one-letter syllables are kept."""
    return _TOKEN.findall(normalize(text).lower())


def fold_tokens(tokens: list[str]) -> list[str]:
    """Diacritic-free copy of each token, in order."""
    return [_strip_marks(t.lower()) for t in tokens]
