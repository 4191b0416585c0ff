"""Legacy Vietnamese encodings (TCVN3/ABC and VNI) to Unicode, and telling them apart by statistics.

Before Unicode, Vietnamese offices typed with 8-bit fonts whose glyphs sit on Latin-1 code points:

- TCVN3 (ABC), TCVN 5712:1993 table VN3: one byte per letter (0xB5 "µ" is "à", 0xA9 "©" is "â"), fonts
  named ".VnTime", ".VnArial"...; it has no upper-case letters with tone marks, so headings use the
  companion fonts ".VnTimeH", ".VnArialH" whose glyphs at the lower-case codes are capitals.
- VNI Windows (fonts "VNI-Times", "VNI-Helve"...): a base letter followed by a mark byte ("a" + 0xF9 "ù"
  is "á", "o" + 0xE4 "ä" is "ộ"); a few letters have a byte of their own (0xF4 "ô" is "ơ", 0xF1 "ñ" "đ").

In a .docx the bytes appear as the Latin-1 characters of those code points, in runs set in such a font; in a
.txt they are the file's bytes; in a web page, the characters its declared code page decodes them to
(`legacy_chars` turns those back into the Latin-1 characters of the bytes). `decode_by_font` converts a run
by its font name; `best_legacy_decoding` picks TCVN3 or VNI for bytes when that reads as Vietnamese much
better than the decodings tried before.

Bytes in no legacy Vietnamese encoding and not UTF-8 are decoded by `guess_codepage`: the code page whose
text is made of the letters Vietnamese and English are written with (Windows-1258 spells tone marks as
combining characters; callers normalise to NFC).
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

log = logging.getLogger(__name__)

# TCVN 5712:1993, table VN3: the Vietnamese letters in the order "a à á ả ã ạ" of each vowel, and their codes.
_TCVN3_LETTERS = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ"
_TCVN3_CODES = bytes(
    [0xB5, 0xB8, 0xB6, 0xB7, 0xB9]  # à á ả ã ạ
    + [0xA8, 0xBB, 0xBE, 0xBC, 0xBD, 0xC6]  # ă ằ ắ ẳ ẵ ặ
    + [0xA9, 0xC7, 0xCA, 0xC8, 0xC9, 0xCB]  # â ầ ấ ẩ ẫ ậ
    + [0xAE]  # đ
    + [0xCC, 0xD0, 0xCE, 0xCF, 0xD1]  # è é ẻ ẽ ẹ
    + [0xAA, 0xD2, 0xD5, 0xD3, 0xD4, 0xD6]  # ê ề ế ể ễ ệ
    + [0xD7, 0xDD, 0xD8, 0xDC, 0xDE]  # ì í ỉ ĩ ị
    + [0xDF, 0xE3, 0xE1, 0xE2, 0xE4]  # ò ó ỏ õ ọ
    + [0xAB, 0xE5, 0xE8, 0xE6, 0xE7, 0xE9]  # ô ồ ố ổ ỗ ộ
    + [0xAC, 0xEA, 0xED, 0xEB, 0xEC, 0xEE]  # ơ ờ ớ ở ỡ ợ
    + [0xEF, 0xF3, 0xF1, 0xF2, 0xF4]  # ù ú ủ ũ ụ
    + [0xAD, 0xF5, 0xF8, 0xF6, 0xF7, 0xF9]  # ư ừ ứ ử ữ ự
    + [0xFA, 0xFD, 0xFB, 0xFC, 0xFE]  # ỳ ý ỷ ỹ ỵ
    + [0xA1, 0xA2, 0xA7, 0xA3, 0xA4, 0xA5, 0xA6]  # Ă Â Đ Ê Ô Ơ Ư
)
assert len(_TCVN3_LETTERS) == len(_TCVN3_CODES)
TCVN3_TABLE: dict[int, str] = {code: letter for code, letter in zip(_TCVN3_CODES, _TCVN3_LETTERS, strict=True)}
TCVN3_ENCODE: dict[str, int] = {letter: code for code, letter in TCVN3_TABLE.items()}

# VNI Windows: mark bytes written after a base vowel (lower-case codes; the capital forms are 0x20 lower).
_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_HAT, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_VNI_MARKS: dict[int, str] = {
    0xF8: _GRAVE,
    0xF9: _ACUTE,
    0xFB: _HOOK,
    0xF5: _TILDE,
    0xEF: _DOT,
    0xE2: _HAT,
    0xE0: _HAT + _GRAVE,
    0xE1: _HAT + _ACUTE,
    0xE5: _HAT + _HOOK,
    0xE3: _HAT + _TILDE,
    0xE4: _HAT + _DOT,
    0xEA: _BREVE,
    0xE8: _BREVE + _GRAVE,
    0xE9: _BREVE + _ACUTE,
    0xFA: _BREVE + _HOOK,
    0xFC: _BREVE + _TILDE,
    0xEB: _BREVE + _DOT,
}
# Letters with a code of their own: ơ ư đ, and i/y forms that take no separate mark.
_VNI_LETTERS: dict[int, str] = {0xF4: "ơ", 0xF6: "ư", 0xF1: "đ", 0xEC: "ì", 0xED: "í", 0xE6: "ỉ", 0xF3: "ĩ", 0xF2: "ị"}
_VNI_LETTERS[0xEE] = "ỵ"
VNI_MARKS = {**_VNI_MARKS, **{code - 0x20: mark for code, mark in _VNI_MARKS.items()}}
VNI_LETTERS = {**_VNI_LETTERS, **{code - 0x20: letter.upper() for code, letter in _VNI_LETTERS.items()}}
_TONES = (_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT)


def from_tcvn3(text: str, upper: bool = False) -> str:
    """Unicode of TCVN3 text whose bytes are read as Latin-1 characters; `upper` for the ".VnTimeH" fonts."""
    out = "".join(TCVN3_TABLE.get(ord(c), c) for c in text)
    return out.upper() if upper else out


def _vni_base(ch: str) -> str:
    """The letter a VNI mark may follow ("" if none): plain vowels and the ơ/ư of VNI's own codes."""
    return ch if ch.lower() in "aeiouyơư" else ""


def from_vni(text: str) -> str:
    """Unicode (NFC) of VNI Windows text whose bytes are read as Latin-1 characters."""
    out: list[str] = []
    for c in text:
        code = ord(c)
        prev = out[-1] if out else ""
        mark = VNI_MARKS.get(code)
        if mark is not None and prev and _vni_base(prev[0]) and _fits(prev, mark):
            out[-1] = unicodedata.normalize("NFC", unicodedata.normalize("NFD", prev) + mark)
            continue
        out.append(VNI_LETTERS.get(code, c))
    return unicodedata.normalize("NFC", "".join(out))


def _fits(prev: str, mark: str) -> bool:
    """Whether a VNI mark may follow the letter built so far: one tone, a hat on a/e/o, a breve on a."""
    parts = unicodedata.normalize("NFD", prev)
    base = parts[0].lower()
    if any(t in parts for t in _TONES) and any(t in mark for t in _TONES):
        return False
    if _HAT in mark:
        return base in "aeo" and _HAT not in parts and _BREVE not in parts and _HORN not in parts
    if _BREVE in mark:
        return base == "a" and _HAT not in parts and _BREVE not in parts
    return True


def font_encoding(font: str | None) -> str | None:
    """ "tcvn3", "tcvn3-upper" or "vni" for a legacy Vietnamese font name, else None."""
    if not font:
        return None
    name = font.strip()
    if name.startswith(".Vn") or name.lower().startswith(".vn"):
        return "tcvn3-upper" if name.rstrip().endswith("H") else "tcvn3"
    if name.upper().startswith("VNI-") or name.upper().startswith("VNI "):
        return "vni"
    return None


def decode_by_font(text: str, encoding: str | None) -> str:
    """`text` of a run set in a font of `encoding` (see `font_encoding`), as Unicode."""
    if encoding == "tcvn3":
        return from_tcvn3(text)
    if encoding == "tcvn3-upper":
        return from_tcvn3(text, upper=True)
    if encoding == "vni":
        return from_vni(text)
    return text


# --- statistics -------------------------------------------------------------------------------

_EDGE = re.compile(r"^[\W\d_]+|[\W\d_]+$")
# The shape of a Vietnamese syllable without its tone: onset, vowel group, final consonant.
_VOWEL_GROUPS = (
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi ua uâ uê ui uô uơ uy ưa ưi "
    "ưu ươ yê iêu yêu oai oay oao oeo uây uôi uya uyê uyu ươi ươu"
).split()
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    "(?:" + "|".join(sorted(_VOWEL_GROUPS, key=len, reverse=True)) + ")"
    r"(?:ch|ng|nh|[cmnpt])?"
)


def _valid_word(word: str) -> bool:
    """Whether a word has the shape of a Vietnamese syllable (at most one tone mark)."""
    parts = unicodedata.normalize("NFD", word.lower())
    if sum(1 for c in parts if c in _TONES) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
    return _SYLLABLE.fullmatch(base) is not None


def vietnamese_score(text: str) -> float:
    """Share of the words with non-ASCII letters that have the shape of Vietnamese syllables (1.0 if none)."""
    words = [_EDGE.sub("", w) for w in text.split()]
    words = [w for w in words if w and not w.isascii()]
    if not words:
        return 1.0
    return sum(_valid_word(w) for w in words) / len(words)


def best_legacy_decoding(data: bytes, current: str, margin: float = 0.3) -> tuple[str, str] | None:
    """(text, name) of `data` read as TCVN3 or VNI when that reads as Vietnamese clearly better (by `margin`)
    than `current`, the best decoding found otherwise; None when it does not."""
    return best_legacy_reading(data.decode("latin-1"), current, margin)


def best_legacy_reading(latin: str, current: str, margin: float = 0.3) -> tuple[str, str] | None:
    """`best_legacy_decoding` of text whose characters stand for legacy bytes (Latin-1 code points), as in a
    Word run whose legacy font was replaced by a Unicode one."""
    base = vietnamese_score(current)
    found: list[tuple[float, str, str]] = []
    for name, text in (("tcvn3", from_tcvn3(latin)), ("vni", from_vni(latin))):
        found.append((vietnamese_score(text), name, text))
    score, name, text = max(found, key=lambda f: f[0])
    if score >= base + margin and score >= 0.8:
        return text, name
    return None


# --- code pages -------------------------------------------------------------------------------

# Characters a Vietnamese or English text is made of; used to choose between legacy code pages that
# all decode any byte string without error.
_EXPECTED = (
    set(
        unicodedata.normalize("NFC", c + m)
        for c in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
        for m in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    )
    | set("đĐ“”‘’–—…•«»°·")
    | {chr(i) for i in range(32, 127)}
    | set("\n\r\t")
)


def plausibility(text: str) -> float:
    """Share of the characters of `text` that Vietnamese or English text is written with."""
    text = unicodedata.normalize("NFC", text)
    return sum(c in _EXPECTED for c in text) / max(len(text), 1)


def guess_codepage(data: bytes) -> tuple[str, str, float] | None:
    """(text, encoding, plausibility) of bytes that are not UTF-8: charset_normalizer's guess, Windows-1258
    or Windows-1252, whichever reads most like Vietnamese or English; None when none decodes them."""
    import charset_normalizer  # only needed for legacy files

    best = charset_normalizer.from_bytes(data).best()
    # charset_normalizer often calls short Western or Vietnamese text cp1250; also try the two code
    # pages Vietnamese Windows files actually use and keep the decoding made of expected letters.
    encodings = ([best.encoding] if best else []) + ["cp1258", "cp1252"]
    candidates: list[tuple[float, str, str]] = []
    for enc in encodings:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        candidates.append((plausibility(text), enc, text))
    if not candidates:
        return None
    score, enc, text = max(candidates, key=lambda c: c[0])  # max keeps the first of equal scores
    return text, enc, score


@functools.lru_cache(maxsize=32)
def _byte_chars(encoding: str) -> str | None:
    """The character each byte decodes to in a single-byte code page (a byte it leaves undefined stands for
    itself, as browsers show it), None for a multi-byte encoding."""
    if encoding.replace("_", "-").lower().startswith("utf"):
        return None
    chars: list[str] = []
    defined = 0
    for b in range(256):
        try:
            c = bytes([b]).decode(encoding)
            defined += 1
        except UnicodeDecodeError:
            c = chr(b)
        chars.append(c if len(c) == 1 else chr(b))
    # Multi-byte encodings leave most single high bytes undefined (Shift-JIS defines its 63 half-width kana).
    if defined < 200 or len(set(chars)) < 256:
        return None
    return "".join(chars)


def decode_single_byte(data: bytes, encoding: str) -> str | None:
    """`data` in a single-byte code page, undefined bytes kept as the Latin-1 characters of their codes; None
    when `encoding` is not a single-byte code page."""
    chars = _byte_chars(encoding)
    return None if chars is None else data.decode("latin-1").translate(dict(enumerate(chars)))


def legacy_chars(text: str, encoding: str | None) -> str:
    """`text` decoded from a single-byte `encoding`, with each character turned back into the Latin-1 character
    of its byte: the form TCVN3 and VNI tables read. Text of another encoding (or None) is returned as is."""
    chars = _byte_chars(encoding) if encoding else None
    if chars is None:
        return text
    return text.translate({ord(c): chr(b) for b, c in enumerate(chars) if ord(c) != b})
