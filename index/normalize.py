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

# Only two-vowel pairs can change: oa/oe/uy (any case, any tone). The scan looks for these pairs and
# checks the surrounding vowel run in `_retone`; other vowel runs are never rewritten.
_PAIR_FIRST = {"u": "y", "o": "ae"}
_PAIR = re.compile(
    "|".join(
        "[" + "".join(c for c, (b, _) in _SPLIT.items() if b.lower() == first) + "]"
        "[" + "".join(c for c, (b, _) in _SPLIT.items() if b.lower() in seconds) + "]"
        for first, seconds in _PAIR_FIRST.items()
    )
)
_VOWELS = frozenset(_SPLIT)
# Vowels whose base letter is u or i: the "u" of "qu" and the "i" of "gi" may lead a three-vowel run.
_U_VOWELS = frozenset(c for c, (b, _) in _SPLIT.items() if b in "uU")
_I_VOWELS = frozenset(c for c, (b, _) in _SPLIT.items() if b in "iI")
# Invisible or control characters that only get in the way; removed before NFC so that removing
# them can never leave a mark that a second NFC pass would compose differently.
_INVISIBLE = re.compile(r"[\u00ad\u200b\u2060\ufeff\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
# Whitespace runs other than a single space (a single space is already canonical: no rewrite needed).
_SPACE = re.compile(r"[^\S ]\s*| \s+")


def _retone(match: re.Match[str]) -> str:
    """Move the tone mark of an oa/oe/uy pair to its canonical vowel, when the pair is a whole vowel run.

    The run may also be the pair after the consonant "qu"/"gi", whose u/i is not part of the vowel
    ("quý", "giá"): "quoà" has the vowel "oà". Any other run (three vowels, "uyê"...) is left as written.
    """
    text = match.string
    start, end = match.span()
    pair = match.group(0)
    if end < len(text) and text[end] in _VOWELS:
        return pair
    before = text[start - 1] if start > 0 else ""
    if before in _VOWELS:  # a three-vowel run: only the u of "qu" or the i of "gi" may lead it
        lead = text[start - 2].lower() if start > 1 else ""
        if not ((lead == "q" and before in _U_VOWELS) or (lead == "g" and before in _I_VOWELS)):
            return pair
    elif before.lower() == "q" and pair[0] in _U_VOWELS:  # "quy": the vowel is the y alone
        return pair
    return _retone_pair(pair, text, end)


def _retone_pair(pair: str, text: str, end: int) -> str:
    parts = [_SPLIT[c] for c in pair]
    tones = [t for _, t in parts if t >= 0]
    if len(tones) != 1:
        return pair
    nxt = text[end] if end < len(text) else ""
    if nxt and unicodedata.combining(nxt):
        return pair  # a stray combining mark follows; moving ours could make NFC compose differently
    closed = bool(nxt) and nxt.isalpha()
    target = 1 if closed else 0
    tone = tones[0]
    return "".join(_JOIN[(base, tone if i == target else -1)] for i, (base, _) in enumerate(parts))


def normalize(text: str) -> str:
    """Canonical form: NFC, one tone-mark style ("hoà"→"hòa", "uỷ"→"ủy"), single spaces, stripped."""
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _PAIR.sub(_retone, text)
    return _SPACE.sub(" ", text).strip()


class _FoldTable(dict[int, str]):
    """`str.translate` table: each character without its combining marks (NFD, marks dropped), đ→d.

    Filled on first use of each character. Dropping the marks character by character is the same as
    decomposing the whole text: canonical reordering only permutes marks, and every mark is dropped.
    """

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code))
        bare = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d").replace("Đ", "d")
        self[code] = bare
        return bare


_FOLD = _FoldTable()
_SEP = "\x00"  # neither cased nor case-ignorable: lower-casing the joined tokens is lower-casing each


def _strip_marks(text: str) -> str:
    return text.translate(_FOLD)


def fold(text: str) -> str:
    """Normalised, lower-cased and without diacritics: "Phòng Nội vụ" → "phong noi vu"."""
    return _strip_marks(normalize(text).lower())


def fold_chars(text: str) -> str:
    """`text` lower-cased without diacritics (đ→d), one character for each character, so offsets carry over
    (a lone combining mark becomes a space).

    >>> fold_chars("Trước Ngày 25/11")
    'truoc ngay 25/11'
    """
    return "".join((_FOLD[ord(c)].lower() or " ")[:1] for c in text)


_TOKEN = re.compile(r"[^\W_]+")


def tokenize(text: str) -> list[str]:
    """Lower-cased syllables and numbers of the normalised text; one-letter syllables are kept."""
    return _TOKEN.findall(normalize(text).lower())


def fold_tokens(tokens: list[str]) -> list[str]:
    """Diacritic-free copy of each token, in order."""
    if not tokens:
        return []
    joined = _SEP.join(tokens)
    if joined.count(_SEP) != len(tokens) - 1:  # a token holds the separator itself: one by one
        return [_strip_marks(t.lower()) for t in tokens]
    return _strip_marks(joined.lower()).split(_SEP)
