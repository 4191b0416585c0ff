"""HTML pages as old government portals serve them: Windows-1258 with combining tone marks, a charset declared
only in a <meta http-equiv> tag or not at all, UTF-8 under a stale Latin-1 declaration, and TCVN3 or VNI text
set in `<font face=".VnTime">` / `font-family: VNI-Times` (or in no named font at all)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from index.encodings import TCVN3_ENCODE, VNI_LETTERS, VNI_MARKS, from_vni
from index.ingest import load_document
from index.loaders import read_text
from tests.test_loaders import _cp1258

SENTENCE = "Kế hoạch số 08/KH-UBND của Ủy ban nhân dân quận Gò Vấp về công tác dân vận năm 2010."
BODY = (
    "Phòng Nội vụ chủ trì, phối hợp với các đơn vị báo cáo kết quả thực hiện hằng quý về Thường trực Hội đồng nhân dân."
)
HEADING = "KẾ HOẠCH THỰC HIỆN QUY CHẾ DÂN CHỦ Ở CƠ SỞ NĂM 2010"


def _tcvn3(text: str) -> bytes:
    """TCVN3 bytes of `text` (index.encodings' table in reverse); capitals with tone marks exist only in the
    ".VnTimeH" fonts, at the codes of the small letters: pass such text in lower case."""
    out = bytearray()
    for c in unicodedata.normalize("NFC", text):
        out.append(TCVN3_ENCODE[c] if c in TCVN3_ENCODE else ord(c.encode("ascii")))
    return bytes(out)


_VNI_LETTER_CODES = {letter: code for code, letter in VNI_LETTERS.items()}
_VNI_MARK_CODES = {(mark, code < 0xE0): code for code, mark in VNI_MARKS.items()}
_HORN, _SHAPES = "\u031b", "\u0302\u0306"


def _vni(text: str) -> bytes:
    """VNI Windows bytes of `text`, from index.encodings' decoding tables: a letter of its own code (ơ ư đ, the
    marked i), else its base letter followed by the byte of its marks (a capital's marks by their capital code)."""
    out = bytearray()
    for c in unicodedata.normalize("NFC", text):
        if c in _VNI_LETTER_CODES:
            out.append(_VNI_LETTER_CODES[c])
            continue
        parts = unicodedata.normalize("NFD", c)
        base, marks = parts[0], parts[1:]
        if _HORN in marks:  # ơ, ư have codes of their own; their tone follows as a mark byte
            out.append(_VNI_LETTER_CODES[unicodedata.normalize("NFC", base + _HORN)])
            marks = marks.replace(_HORN, "")
        else:
            out.append(ord(base.encode("ascii")))
        if marks:  # the hat or breve first, then the tone, as the table spells them
            ordered = "".join(sorted(marks, key=lambda m: m not in _SHAPES))
            out.append(_VNI_MARK_CODES[(ordered, base.isupper())])
    return bytes(out)


def _page(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def test_test_encoders_invert_the_decoders() -> None:
    assert from_vni(_vni(SENTENCE + BODY + HEADING).decode("latin-1")) == SENTENCE + BODY + HEADING
    assert _tcvn3("ặ ố ự đ").decode("latin-1") == "Æ è ù ®"


# --- declared and undeclared code pages -------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [
        b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">',
        b'<meta content="text/html; charset=windows-1258" http-equiv="Content-Type">',
        b"<!-- " + b"x" * 3000 + b' --><meta http-equiv="content-type" content="text/html;charset=Windows-1258">',
        b"",
    ],
    ids=["http-equiv", "content-first", "after-1024-bytes", "undeclared"],
)
def test_windows_1258_page_is_nfc(tmp_path: Path, head: bytes) -> None:
    data = b"<html><head>" + head + b"</head><body><p>" + _cp1258(SENTENCE) + b"</p></body></html>"
    text = read_text(_page(tmp_path, "cu.htm", data))
    assert text == SENTENCE
    assert unicodedata.is_normalized("NFC", text)


def test_utf8_page_with_a_stale_latin1_declaration(tmp_path: Path) -> None:
    """A page re-saved in UTF-8 that kept its old `charset=iso-8859-1`: its bytes are UTF-8, so it is UTF-8."""
    data = b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body><p>'
    assert read_text(_page(tmp_path, "utf8.html", data + SENTENCE.encode() + b"</p>")) == SENTENCE


def test_declared_latin1_means_windows_1252(tmp_path: Path) -> None:
    """Browsers read "iso-8859-1" as Windows-1252: curly quotes and dashes are not control characters."""
    words = "“Dân vận khéo” – năm 2024"
    data = b'<meta charset="iso-8859-1"><p>' + words.replace("ậ", "a").replace("ă", "a").encode("cp1252") + b"</p>"
    assert read_text(_page(tmp_path, "w.html", data)) == "“Dân van khéo” – nam 2024"


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf<meta charset='windows-1258'><p>" + SENTENCE.encode() + b"</p>",
        ("<meta charset='utf-16'><p>" + SENTENCE + "</p>").encode("utf-16"),
        b'<meta charset="utf-8"><p>' + _cp1258(SENTENCE) + b"</p>",
        b'<?xml version="1.0" encoding="windows-1258"?><html><p>' + _cp1258(SENTENCE) + b"</p></html>",
    ],
    ids=["utf8-bom-wins", "utf16-bom", "utf8-declared-but-not", "xml-declaration"],
)
def test_bom_and_declarations(tmp_path: Path, data: bytes) -> None:
    assert read_text(_page(tmp_path, "p.html", data)) == SENTENCE


# --- TCVN3 and VNI ----------------------------------------------------------------------------


@pytest.mark.parametrize("charset", [b"iso-8859-1", b"windows-1258", b"windows-1252", None])
def test_tcvn3_in_vntime_fonts(tmp_path: Path, charset: bytes | None) -> None:
    """A heading in .VnTimeH (capitals at the codes of small letters), body text in .VnTime."""
    meta = b'<meta http-equiv="Content-Type" content="text/html; charset=' + charset + b'">' if charset else b""
    data = (
        b"<html><head>" + meta + b"</head><body>"
        b'<p align="center"><b><font face=".VnTimeH" size="3">' + _tcvn3(HEADING.lower()) + b"</font></b></p>"
        b'<p><font face=".VnTime, Times New Roman">' + _tcvn3(BODY) + b"</font></p></body></html>"
    )
    assert _lines(read_text(_page(tmp_path, "tcvn3.html", data))) == [HEADING, BODY]


def test_vni_in_inline_styles(tmp_path: Path) -> None:
    data = (
        b"<html><body><h2 style=\"font-family: 'VNI-Times'; font-size: 14pt\">" + _vni(HEADING) + b"</h2>"
        b'<p><span style="font-family:VNI-Helve,sans-serif">' + _vni(BODY) + b"</span></p></body></html>"
    )
    assert _lines(read_text(_page(tmp_path, "vni.html", data))) == [HEADING, BODY]


def test_word_web_page_fonts_from_style_rules(tmp_path: Path) -> None:
    """Word's "Save as Web Page": the font is set by <style> rules for the paragraph class and span classes."""
    data = (
        b"<html><head><meta http-equiv=Content-Type content='text/html; charset=windows-1252'><style>"
        b'<!-- /* Style Definitions */ p.MsoNormal, li.MsoNormal {font-size:14.0pt;font-family:".VnTime";}'
        b' span.vni {font-family:"VNI-Times"} p.en {font-family:Arial} @font-face {font-family:".VnTimeH";} -->'
        b"</style></head><body>"
        b"<p class=MsoNormal>" + _tcvn3(BODY) + b"</p>"
        b'<p class=en>Annex 1: <span class="vni">' + _vni("Biểu mẫu báo cáo") + b"</span></p>"
        b'<p class="MsoNormal"><span style=\'font-family:"Times New Roman"\'>Plain English line</span></p>'
        b"</body></html>"
    )
    assert _lines(read_text(_page(tmp_path, "word.htm", data))) == [
        BODY,
        "Annex 1: Biểu mẫu báo cáo",
        "Plain English line",
    ]


def test_utf8_portal_with_tcvn3_article(tmp_path: Path) -> None:
    """A UTF-8 portal page whose menu is Unicode and whose old article is TCVN3 text (stored as the Latin-1
    letters of its bytes) in a .VnTime font; the title bar showed the legacy bytes too."""
    article = _tcvn3(BODY).decode("latin-1")
    title = _tcvn3("Kế hoạch công tác dân vận").decode("latin-1")
    page = (
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f"<div>Trang chủ | Tin tức | Văn bản</div>"
        f'<div class="content"><font face=".VnTime">{article}</font></div></body></html>'
    )
    assert _lines(read_text(_page(tmp_path, "portal.html", page.encode()))) == [
        "Kế hoạch công tác dân vận",
        "Trang chủ | Tin tức | Văn bản",
        BODY,
    ]


def test_unicode_text_in_a_legacy_font_name_is_kept(tmp_path: Path) -> None:
    """A page converted to Unicode that kept `face=".VnTime"`: its text already reads as Vietnamese."""
    page = f'<meta charset="utf-8"><p><font face=".VnTime">{BODY}</font></p><p><font face="VNI-Times">{SENTENCE}</font>'
    assert _lines(read_text(_page(tmp_path, "unicode.html", page.encode()))) == [BODY, SENTENCE]


@pytest.mark.parametrize("encode", [_tcvn3, _vni], ids=["tcvn3", "vni"])
@pytest.mark.parametrize("charset", [b"", b"x-viet-tcvn5712", b"VNI"], ids=["undeclared", "firefox-label", "vni-label"])
def test_legacy_text_without_a_font_name_is_told_by_its_letters(tmp_path: Path, encode, charset: bytes) -> None:  # noqa: ANN001
    """No font named, and no charset Python knows (old browsers' labels for TCVN3): the letters tell."""
    meta = b'<meta http-equiv="Content-Type" content="text/html; charset=' + charset + b'">' if charset else b""
    data = b"<html><head>" + meta + b"<title>" + encode("Thông báo") + b"</title></head><body><p>" + encode(BODY)
    assert _lines(read_text(_page(tmp_path, "letters.html", data + b"</p>"))) == ["Thông báo", BODY]


def test_western_page_is_not_taken_for_tcvn3(tmp_path: Path) -> None:
    data = "<p>Le café est très bon à Noël, déjà reçu.</p>".encode("cp1252")
    assert read_text(_page(tmp_path, "fr.html", data)) == "Le café est très bon à Noël, déjà reçu."


def test_metadata_of_a_tcvn3_letterhead_page(tmp_path: Path) -> None:
    """An old portal's copy of a plan, typed in TCVN3: the letterhead is read and described."""

    def para(text: str, upper: bool = False) -> bytes:
        face = b".VnTimeH" if upper else b".VnTime"
        return b'<p><font face="' + face + b'">' + _tcvn3(text.lower() if upper else text) + b"</font></p>"

    data = (
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body>'
        + para("ỦY BAN NHÂN DÂN", upper=True)
        + para("QUẬN GÒ VẤP", upper=True)
        + para("Số: 08/KH-UBND")
        + para("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", upper=True)
        + para("Độc lập - Tự do - Hạnh phúc")
        + para("Gò Vấp, ngày 09 tháng 02 năm 2010")
        + para("KẾ HOẠCH", upper=True)
        + para("Công tác dân vận năm 2010")
        + para(BODY)
        + b"</body></html>"
    )
    path = _page(tmp_path, "ke-hoach.htm", data)
    meta = load_document(path, path.name, "hash").meta
    assert (meta.issuer, meta.number, meta.date, meta.place) == (
        "UBND quận Gò Vấp",
        "08/KH-UBND",
        "2010-02-09",
        "Gò Vấp",
    )
    assert (meta.kind, meta.title) == ("KẾ HOẠCH", "Công tác dân vận năm 2010")
