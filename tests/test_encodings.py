"""Legacy Vietnamese encodings (TCVN3/ABC, VNI) read back as Unicode, in .txt, .docx and .doc files.

The legacy byte strings below are written by hand from the published tables (TCVN 5712:1993 VN3: "â" is
0xA9 "©", "ò" 0xDF "ß", "ộ" 0xE9 "é", "á" 0xB8 "¸", "ủ" 0xF1 "ñ"; VNI Windows: a base letter then a mark
byte, "aâ" is "â", "oø" is "ò", "UÛ" is "Ủ"), not produced with the code under test.
"""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest

from index.encodings import TCVN3_TABLE, from_tcvn3, from_vni, vietnamese_score
from index.loaders import read_text

# "Ủy ban nhân dân", "Phòng Nội vụ", "báo cáo quý" in TCVN3 (Ủ from the capitals font .VnTimeH) and in VNI.
TCVN3_UPPER = "ñ"  # "Ủ" in .VnTimeH: the glyph at the code of "ủ"
TCVN3_REST = "y ban nh©n d©n huyÖn"
TCVN3_LINE = "Phßng Néi vô b¸o c¸o quý"
VNI_LINES = ["UÛy ban nhaân daân huyeän", "Phoøng Noäi vuï baùo caùo quyù"]
EXPECTED = ["Ủy ban nhân dân huyện", "Phòng Nội vụ báo cáo quý"]


def test_tcvn3_table_is_the_standard_one() -> None:
    # 67 lower-case letters with and without tones, plus the 7 capitals the VN3 table has
    assert len(TCVN3_TABLE) == 67 + 7
    assert len(set(TCVN3_TABLE.values())) == len(TCVN3_TABLE)
    assert all(0xA1 <= code <= 0xFE for code in TCVN3_TABLE)
    assert from_tcvn3("\xa1\xa2\xa7\xa3\xa4\xa5\xa6") == "ĂÂĐÊÔƠƯ"
    assert from_tcvn3("µ¸¶·¹") == "àáảãạ" and from_tcvn3("­õøö÷ù") == "ưừứửữự"


def test_vni_letters_and_marks() -> None:
    assert from_vni("ngöôøi ñaûng vieân ÑOÀNG CHÍ Nguyeãn Vaên Tröôøng hoaëc khuyeán") == (
        "người đảng viên ĐỒNG CHÍ Nguyễn Văn Trường hoặc khuyến"
    )
    assert from_vni(VNI_LINES[0]) == EXPECTED[0]
    assert from_vni("café 100% ok") == "café 100% ok"  # a mark byte after a non-vowel stays itself


def test_score_tells_legacy_bytes_from_unicode() -> None:
    assert vietnamese_score(EXPECTED[1]) == 1.0
    assert vietnamese_score(TCVN3_LINE) < 0.5 and vietnamese_score(VNI_LINES[1]) < 0.5


def _legacy_txt(path: Path, lines: list[str]) -> Path:
    path.write_bytes("\r\n".join(lines).encode("latin-1"))
    return path


def test_txt_in_tcvn3_bytes(tmp_path: Path) -> None:
    lines = ["b¸o c¸o", TCVN3_LINE, "KÕ ho¹ch sè 12/KH-UBND vÒ c«ng t¸c d©n vËn n¨m 2010 cña phßng Néi vô."]
    text = read_text(_legacy_txt(tmp_path / "tcvn3.txt", lines))
    assert text.split("\n") == [
        "báo cáo",
        EXPECTED[1],
        "Kế hoạch số 12/KH-UBND về công tác dân vận năm 2010 của phòng Nội vụ.",
    ]


def test_txt_in_vni_bytes(tmp_path: Path) -> None:
    lines = [*VNI_LINES, "Keá hoaïch soá 12/KH-UBND veà coâng taùc daân vaän naêm 2010."]
    text = read_text(_legacy_txt(tmp_path / "vni.txt", lines))
    assert text.split("\n") == [*EXPECTED, "Kế hoạch số 12/KH-UBND về công tác dân vận năm 2010."]
    assert unicodedata.is_normalized("NFC", text)


def test_western_text_is_not_taken_for_legacy_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "fr.txt"
    path.write_bytes("Le café est très bon à Noël, déjà reçu.".encode("cp1252"))
    assert read_text(path) == "Le café est très bon à Noël, déjà reçu."


def _legacy_docx(path: Path, style_font: str | None = None) -> Path:
    """A .docx as old offices typed it: runs in .VnTimeH/.VnTime (TCVN3) and VNI-Times, bytes as Latin-1."""
    import docx

    document = docx.Document()
    p = document.add_paragraph()
    p.add_run(TCVN3_UPPER).font.name = ".VnTimeH"
    p.add_run(TCVN3_REST).font.name = ".VnTime"
    document.add_paragraph().add_run(TCVN3_LINE).font.name = ".VnArial"
    for line in VNI_LINES:
        document.add_paragraph().add_run(line).font.name = "VNI-Times"
    document.add_paragraph().add_run("Unicode: Phòng Nội vụ").font.name = "Times New Roman"
    if style_font:  # the font comes from the paragraph style, the runs name none
        style = document.styles.add_style("Legacy", 1)
        style.font.name = style_font
        document.add_paragraph(TCVN3_LINE, style="Legacy")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).paragraphs[0].add_run("UBND huyÖn").font.name = ".VnTime"
    table.cell(0, 1).paragraphs[0].add_run("CéNG HßA").font.name = ".VnTimeH"
    document.save(str(path))
    return path


def _lines(text: str) -> list[str]:
    """The text's non-empty lines (Word paragraphs are separated by a blank line, as .txt paragraphs are)."""
    return [line for line in text.split("\n") if line.strip()]


def test_docx_runs_in_legacy_fonts(tmp_path: Path) -> None:
    text = read_text(_legacy_docx(tmp_path / "cu.docx", style_font=".VnTime"))
    lines = _lines(text)
    assert lines[:6] == [
        "Ủy ban nhân dân huyện",
        EXPECTED[1],
        *EXPECTED,
        "Unicode: Phòng Nội vụ",
        EXPECTED[1],
    ]
    assert "UBND huyện" in lines and "CỘNG HÒA" in lines


@pytest.mark.integration
def test_doc_in_legacy_fonts_through_libreoffice(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice missing: apt-get install libreoffice-writer-nogui")
    import subprocess

    source = _legacy_docx(tmp_path / "cu.docx")
    out = tmp_path / "doc"
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "doc", "--outdir", str(out)]
        + [str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = read_text(out / "cu.doc", convert_cache=tmp_path / "cache")
    assert _lines(text)[:4] == ["Ủy ban nhân dân huyện", EXPECTED[1], *EXPECTED]


def test_docx_legacy_text_in_a_unicode_font_is_told_by_its_letters(tmp_path: Path) -> None:
    """A TCVN3 text whose font was later changed to Times New Roman: no legacy font is named."""
    import docx

    document = docx.Document()
    for line in ["KÕ ho¹ch c«ng t¸c d©n vËn", TCVN3_LINE]:
        document.add_paragraph().add_run(line).font.name = "Times New Roman"
    document.add_paragraph("Plan 2010")
    document.save(str(tmp_path / "doi-font.docx"))
    assert _lines(read_text(tmp_path / "doi-font.docx")) == [
        "Kế hoạch công tác dân vận",
        EXPECTED[1],
        "Plan 2010",
    ]
