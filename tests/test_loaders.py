"""Reading every supported file type, and listing files of a folder."""

from __future__ import annotations

import os
import unicodedata
import zipfile
from pathlib import Path

import pytest

from index.errors import LoaderError
from index.loaders import SUPPORTED_EXTENSIONS, UnsupportedTypeError, iter_files, read_text, scan_folder
from tests.fixtures.make_fixtures import PLAN_LINES, write_docx, write_pdf

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = ROOT / "corpus"
SAMPLE = "Kế hoạch số 08/KH-UBND của Ủy ban nhân dân quận Gò Vấp về công tác dân vận năm 2010."


def _cp1258(text: str) -> bytes:
    """Windows-1258 bytes: precomposed base letters, tone marks as separate combining characters."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += (base + "".join(c for c in parts if c in tones)).encode("cp1258")
    return out


def test_supported_extensions() -> None:
    assert {".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".doc", ".rtf", ".odt"} <= SUPPORTED_EXTENSIONS
    assert not {".xlsx", ".zip", ".mp3"} & SUPPORTED_EXTENSIONS


# --- plain text encodings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.encode("utf-8"),
        b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"),
        SAMPLE.encode("utf-16"),  # with BOM, native order
        b"\xfe\xff" + SAMPLE.encode("utf-16-be"),
        _cp1258(SAMPLE),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16-be", "cp1258"],
)
def test_text_encodings(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "van_ban.txt"
    path.write_bytes(data)
    assert read_text(path) == SAMPLE


def test_cp1258_output_is_nfc(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(_cp1258("Thành ủy Hà Nội\r\nQuận ủy Đống Đa"))
    text = read_text(path)
    assert text == "Thành ủy Hà Nội\nQuận ủy Đống Đa"
    assert unicodedata.is_normalized("NFC", text)


def test_cp1252_western_text(tmp_path: Path) -> None:
    path = tmp_path / "western.txt"
    text = "Café crème à la française, déjà vu — Hà Tây."
    path.write_bytes(text.encode("cp1252"))
    assert read_text(path) == text


def test_corpus_files_read(tmp_path: Path) -> None:
    for path in iter_files(CORPUS):
        assert read_text(path).strip()


# --- markdown and html ------------------------------------------------------------------------


def test_markdown_markup_stripped_minimally() -> None:
    text = read_text(FIXTURES / "ke_hoach.md")
    assert text.startswith("KẾ HOẠCH Tiếp công dân năm 2024\n")
    assert "I. MỤC ĐÍCH, YÊU CẦU" in text and "#" not in text
    assert "Phòng Nội vụ là cơ quan đầu mối, xem Quy chế tiếp công dân." in text
    assert "https://" not in text and "**" not in text and "`" not in text and "__" not in text
    assert "Số: 15/KH-UBND · Gò Vấp, ngày 10 tháng 01 năm 2024" in text
    assert "Ghi chú: kế hoạch áp dụng cho cả 16 phường." in text
    assert "Sơ đồ tổ chức" in text  # image alt text
    assert "2. Các phường" in text  # list numbering is content


def test_html_drops_page_furniture_and_keeps_blocks() -> None:
    text = read_text(FIXTURES / "tin_tuc.html")
    for gone in (
        "tracker",
        "font-family",
        "Trang chủ",
        "Giới thiệu",
        "Bản quyền",
        "Họ tên",
        "Cổng thông tin",
    ):
        assert gone not in text
    lines = text.split("\n")
    assert lines[0] == "Quận Gò Vấp ra quân phong trào “Dân vận khéo”"  # source line break collapsed
    assert "Sáng 05/3, UBND quận Gò Vấp tổ chức lễ ra quân phong trào thi đua “Dân vận khéo” năm 2024." in lines
    assert "tham mưu UBND quận theo dõi\nviệc thực hiện." in text  # <br>
    assert "Tiếp công dân định kỳ;\nĐối thoại với nhân dân." in text  # list items on their own lines
    assert "\n\n\n" not in text


def test_html_without_h1_keeps_title(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_bytes("<html><head><title>Thông báo lịch tiếp dân</title></head><body><p>Nội dung.</p>".encode())
    assert read_text(path) == "Thông báo lịch tiếp dân\n\nNội dung."


def test_html_legacy_charset(tmp_path: Path) -> None:
    path = tmp_path / "cu.html"
    path.write_bytes(b'<html><head><meta charset="windows-1258"></head><body><p>' + _cp1258(SAMPLE) + b"</p>")
    assert read_text(path) == SAMPLE


# --- pdf --------------------------------------------------------------------------------------


def test_pdf_fixture_text_layer() -> None:
    text = read_text(FIXTURES / "ke_hoach.pdf")
    for line in PLAN_LINES:
        assert line in text
    assert text.index("I. MỤC ĐÍCH, YÊU CẦU") < text.index("1. Phòng Nội vụ")  # pages in order


def test_pdf_written_in_test(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "hai_trang.pdf", [["Trang một: Thành ủy Hà Nội"], ["Trang hai: Quận ủy"]])
    text = read_text(path)
    assert "Trang một: Thành ủy Hà Nội" in text and "Trang hai: Quận ủy" in text


def test_encrypted_pdf(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(FIXTURES / "ke_hoach.pdf").pages:
        writer.add_page(page)
    writer.encrypt(user_password="bi-mat", owner_password="chu", algorithm="RC4-128")
    path = tmp_path / "mat.pdf"
    with path.open("wb") as f:
        writer.write(f)
    with pytest.raises(LoaderError, match=r"mat\.pdf.*mã hoá \(encrypted\)"):
        read_text(path)


def test_pdf_without_text_layer_needs_ocr(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as f:
        writer.write(f)
    with pytest.raises(LoaderError, match=r"scan\.pdf.*OCR"):
        read_text(path)


@pytest.mark.parametrize("name", ["rac.pdf", "rac.docx"])
def test_random_bytes_raise_one_line_loader_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(os.urandom(4096))
    with pytest.raises(LoaderError) as err:
        read_text(path)
    message = str(err.value)
    assert name in message and "\n" not in message and "Traceback" not in message


def test_truncated_pdf(tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes((FIXTURES / "ke_hoach.pdf").read_bytes()[:300])
    with pytest.raises(LoaderError, match=r"cut\.pdf"):
        read_text(path)


# --- docx -------------------------------------------------------------------------------------


def test_docx_fixture_paragraphs_and_table() -> None:
    """Word paragraphs are separated by a blank line, as in a text file; a table's lines stay together."""
    blocks = [b.split("\n") for b in read_text(FIXTURES / "ke_hoach.docx").split("\n\n")]
    assert blocks[: len(PLAN_LINES)] == [[line] for line in PLAN_LINES]
    assert blocks[len(PLAN_LINES) :] == [["Bảng phân công", "Phòng Nội vụ", "Thanh tra quận"], ["Hết."]]


def test_docx_made_in_test_merged_cells_once(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "bang.docx",
        ["KẾ HOẠCH", "Phân công nhiệm vụ"],
        [["Nơi nhận", "x"], ["- UBND Thành phố;", "TM. ỦY BAN NHÂN DÂN"]],
    )
    text = read_text(path)
    # a row with one filled cell stands alone; the two cells side by side are read as two blocks
    assert text == "KẾ HOẠCH\n\nPhân công nhiệm vụ\n\nNơi nhận\n\n- UBND Thành phố;\n\nTM. ỦY BAN NHÂN DÂN\n\nHết."


def test_zip_that_is_not_a_docx(tmp_path: Path) -> None:
    path = tmp_path / "gia.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "xin chào")
    with pytest.raises(LoaderError, match=r"gia\.docx"):
        read_text(path)


# --- empty, unsupported, missing --------------------------------------------------------------


@pytest.mark.parametrize("name", ["rong.txt", "rong.md", "rong.html", "rong.pdf", "rong.docx"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(LoaderError, match=name.replace(".", r"\.")):
        read_text(path)


def test_whitespace_only_text(tmp_path: Path) -> None:
    path = tmp_path / "trang.txt"
    path.write_text(" \n\t\n", encoding="utf-8")
    with pytest.raises(LoaderError, match=r"trang\.txt"):
        read_text(path)


def test_unsupported_and_missing(tmp_path: Path) -> None:
    odd = tmp_path / "bang.xlsx"
    odd.write_bytes(b"x")
    with pytest.raises(LoaderError, match=r"bang\.xlsx"):
        read_text(odd)
    with pytest.raises(LoaderError, match=r"khong\.txt"):
        read_text(tmp_path / "khong.txt")


# --- iter_files -------------------------------------------------------------------------------


def _tree(root: Path) -> None:
    for rel in ["b.txt", "a.md", "sub/c.PDF", "sub/deeper/d.docx", "sub/e.htm", "z.html"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x", encoding="utf-8")
    for rel in [".hidden.txt", ".git/config.txt", "sub/~$d.docx", "notes.xlsx", "sub/song.mp3"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x", encoding="utf-8")


def test_iter_files_recursive_sorted_filtered(tmp_path: Path) -> None:
    _tree(tmp_path)
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)]
    assert found == ["a.md", "b.txt", "sub/c.PDF", "sub/deeper/d.docx", "sub/e.htm", "z.html"]
    files, others = scan_folder(tmp_path)  # the same files, and the others named (not hidden or lock files)
    assert files == iter_files(tmp_path)
    assert [(p.relative_to(tmp_path).as_posix(), type(e)) for p, e in others] == [
        ("notes.xlsx", UnsupportedTypeError),
        ("sub/song.mp3", UnsupportedTypeError),
    ]
    assert "notes.xlsx" in str(others[0][1]) and "unsupported file type '.xlsx'" in str(others[0][1])


def test_iter_files_symlink_loop_and_broken_link(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "broken.txt").symlink_to(tmp_path / "missing.txt")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path)]
    assert found == ["a.md", "b.txt", "sub/c.PDF", "sub/deeper/d.docx", "sub/e.htm", "z.html"]


def test_iter_files_single_file_and_errors(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert iter_files(tmp_path / "b.txt") == [tmp_path / "b.txt"]
    with pytest.raises(LoaderError, match=r"notes\.xlsx"):
        iter_files(tmp_path / "notes.xlsx")
    with pytest.raises(LoaderError, match="not found"):
        iter_files(tmp_path / "khong-co")


def test_iter_files_corpus() -> None:
    assert [p.name for p in iter_files(CORPUS)] == sorted(p.name for p in CORPUS.glob("*.txt"))
