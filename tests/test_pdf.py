"""PDFs read with PDFium: justified text keeps whole syllables; garbage text layers are told from real text by
general statistics and OCR'd; the number and date that digital signatures stamp are read; limits hold."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from index.clean import clean
from index.errors import LoaderError
from index.loaders import read_document, read_text
from index.ocr import OcrEngine
from index.office import MissingToolError
from index.pdf import layer_is_garbage
from index.syllables import is_syllable
from tests.fixtures.make_fixtures import write_pdf
from tests.fixtures.make_scans import FONT, SCAN_LINES, write_justified_pdf, write_scan_pdf

from .conftest import BA_DINH_2025, CORPUS

REALDOCS = Path(__file__).resolve().parents[2] / "shared" / "realdocs"
GARBAGE_PDF = REALDOCS / "3036-SCT-CN-KH-kiem-tra-kho-VLNCN-MongSen1.pdf"
SIGNED_PDF = REALDOCS / "QD-1696-QD-UBND-uy-quyen-15-5-2026.pdf"
SIGNED_LETTER = REALDOCS / "CV-UBND-tinh-chi-dao-quan-ly-giam-sat-VLNCN.pdf"
PHONE_SCAN = REALDOCS / "Bien-ban-kiem-tra-hien-truong-Yen-Thanh-8.6.2026.pdf"

needs_tesseract = pytest.mark.skipif(
    OcrEngine().missing() is not None, reason="needs Debian packages tesseract-ocr tesseract-ocr-vie"
)
needs_realdocs = pytest.mark.skipif(not REALDOCS.is_dir(), reason="needs ../shared/realdocs")


def ba_dinh_paragraphs(n: int = 12) -> list[str]:
    """The first paragraphs of the bundled Ba Đình 2025 plan (long ones: they wrap over many lines)."""
    text = (CORPUS / BA_DINH_2025).read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n\n") if p.strip()][:n]


# ------------------------------------------------------------------------------------- text layers
def test_justified_wrapped_vietnamese_keeps_whole_syllables(tmp_path: Path) -> None:
    """Justified lines stretch their spaces: the text must come back as the same syllables, single-spaced."""
    paragraphs = ba_dinh_paragraphs()
    path = write_justified_pdf(tmp_path / "can-deu.pdf", paragraphs)
    text = read_text(path)
    source_words = {w for p in paragraphs for w in p.split()}
    words = text.split()
    assert len(words) > 1000
    assert [w for w in words if w not in source_words] == []  # no split syllable ("Quy ch ế")
    assert not re.search(r"\S {2,}\S", text), "doubled spaces inside a line"
    assert "Thông tri số 06-TT/QU" in " ".join(words)


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs Debian package libreoffice-writer-nogui")
def test_libreoffice_justified_export_keeps_whole_syllables(tmp_path: Path) -> None:
    """The same through a real word processor: a justified .docx exported to PDF by LibreOffice."""
    import subprocess

    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraphs = ba_dinh_paragraphs(6)
    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    document.save(str(tmp_path / "word.docx"))
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf"]
        + ["--outdir", str(tmp_path), str(tmp_path / "word.docx")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    words = read_text(tmp_path / "word.pdf").split()
    source_words = {w for p in paragraphs for w in p.split()}
    # A line may end after a hyphen inside "06-TT/QU": joining such lines is the cleaner's work.
    assert [w for w in words if w not in source_words and not w.endswith("-")] == []
    assert len(words) > 300


def test_vietnamese_syllables() -> None:
    """The garbage check uses the one syllable rule of index.syllables (reflow's repair uses it too)."""
    for word in ("nghiêng", "Nguyễn", "khuỷu", "ĐỒNG", "quốc", "giường", "tháng", "ủy"):
        assert is_syllable(word), word
    for word in ("ӢNG", "thángg", "Wӫ", "cáà", "ươiu", "xgh"):
        assert not is_syllable(word), word


def test_garbage_layer_told_by_statistics_not_by_glyphs() -> None:
    """Real Vietnamese text (the bundled corpus, a page at a time) is never garbage; text made by fonts
    without a Unicode map (other scripts' letters, impossible syllables, symbols) is."""
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for start in range(0, len(text), 2500):
            assert not layer_is_garbage(text[start : start + 2500]), (path.name, start)
    assert not layer_is_garbage("HĐND quận; QĐ-UBND; Báo cáo kết quả 6 tháng đầu năm 2024 (báo cáo nhanh).")
    assert not layer_is_garbage("Implementation report of the district People's Committee, 2024.")
    # Letters shifted into another script, as a font without a Unicode map gives them (made up here).
    shifted = "".join(chr(ord(c) + 0x370) if c.isalpha() and c.isascii() else c for c in "Ke hoach trien khai cong tac")
    assert layer_is_garbage(shifted * 3)
    assert layer_is_garbage("\uf06c\uf0b7 \uf020\uf0a7 " * 20)  # symbol-font glyphs in the private use area
    assert layer_is_garbage("Thánggg ngàyy Nộii vụụ quậnn Bàà Đìnhh tổổ chứcc " * 3)  # impossible syllables


@needs_realdocs
def test_real_garbage_pdf_layer_is_detected() -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(GARBAGE_PDF))
    try:
        assert all(layer_is_garbage(page.get_textpage().get_text_range()) for page in pdf)
    finally:
        pdf.close()


@pytest.mark.integration
@needs_realdocs
@needs_tesseract
def test_garbage_text_layer_is_ocrd(tmp_path: Path) -> None:
    result = read_document(GARBAGE_PDF, ocr=OcrEngine(tmp_path / "ocr"))
    assert [p.method for p in result.pages] == ["ocr", "ocr", "ocr"]
    for words in ("SỞ CÔNG THƯƠNG", "3036 /SCT-CN", "Năng lượng Bảo Long", "Móng Sến"):
        assert words in result.text, words
    assert "Ӣ" not in result.text and not layer_is_garbage(result.text)
    # The signer's name under the red seal and the blue signature (page 3) is read whole.
    assert "Hoàng Văn Thuân" in result.text.split("\f")[2]


@pytest.mark.integration
@needs_realdocs
@needs_tesseract
def test_phone_scan_signature_blocks_under_seals_and_no_noise_lines(tmp_path: Path) -> None:
    """A phone scan (CamScanner) of a record signed by three parties: the block under the commune's red seal is
    read, and no line of the text is noise (marks and stray letters read from shadows and strokes)."""
    result = read_document(PHONE_SCAN, ocr=OcrEngine(tmp_path / "ocr"))
    signatures = result.text.split("\f")[1]
    for words in ("ĐD SỞ CÔNG THƯƠNG", "ĐD UBND XÃ YÊN THÀNH", "Vũ Việt Linh", "Triệu Vũ", "Nguyễn Quốc Thịnh"):
        assert words in signatures, words
    for line in filter(str.strip, result.text.splitlines()):  # a number, or a Vietnamese syllable
        letters = re.findall(r"[^\W\d_]{2,}", line)
        assert re.search(r"\d", line) or any(is_syllable(w) for w in letters), line


# ----------------------------------------------------------------------------- digital signatures
@pytest.mark.integration
@needs_realdocs
@needs_tesseract
def test_signed_pdf_number_and_date_are_read(tmp_path: Path) -> None:
    """The number, day and month are in signature widgets, not in the page text."""
    engine = OcrEngine(tmp_path / "ocr")
    result = read_document(SIGNED_PDF, ocr=engine)
    first_page = result.text[: result.text.index("QUYẾT ĐỊNH")]
    assert "Số: 1696/QĐ-UBND" in first_page
    assert "ngày 15 tháng 5 năm 2026" in first_page
    assert result.pages[0].method == "text+ocr" and result.pages[1].method == "text"
    assert "Lào Cai, ngày tháng 4" not in result.text
    letter = read_document(SIGNED_LETTER, ocr=engine).text
    assert "Số: 193/UBND-KT" in letter and "ngày 10 tháng 01 năm 2026" in letter


def write_signed_scan(path: Path, dpi: int = 200) -> Path:
    """A scanned page (an image, no text) that a digital signature then stamped: its number, in red, is drawn
    by a signature widget after "Số:", as provincial offices sign scans."""
    from PIL import Image, ImageDraw, ImageFont
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    font = ImageFont.truetype(str(FONT), int(13 / 72 * dpi))
    image = Image.new("RGB", (int(8.27 * dpi), int(3 * dpi)), "white")
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(["ỦY BAN NHÂN DÂN TỈNH LÀO CAI", "Số:                /QĐ-UBND", "Về việc ủy quyền"]):
        draw.text((int(0.8 * dpi), int((0.5 + 0.5 * n) * dpi)), line, font=font, fill="black")
    scan = path.with_suffix(".scan.pdf")
    image.save(scan, resolution=float(dpi))
    writer = PdfWriter(clone_from=PdfReader(scan))
    scan.unlink()
    x, y = 0.8 * 72 + 30, float(writer.pages[0].mediabox.height) - 72 - 16  # after "Số:", on its line

    def name(n: str) -> NameObject:
        return NameObject(n)

    helvetica = {name("/Type"): name("/Font"), name("/Subtype"): name("/Type1"), name("/BaseFont"): name("/Helvetica")}
    appearance = DecodedStreamObject()
    appearance.set_data(b"BT /Helv 12 Tf 0.85 0.1 0.1 rg 2 4 Td (1696) Tj ET")  # red
    appearance.update(
        {
            name("/Type"): name("/XObject"),
            name("/Subtype"): name("/Form"),
            name("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(40), FloatObject(18)]),
            name("/Resources"): DictionaryObject(
                {name("/Font"): DictionaryObject({name("/Helv"): DictionaryObject(helvetica)})}
            ),
        }
    )
    widget = DictionaryObject(
        {
            name("/Type"): name("/Annot"),
            name("/Subtype"): name("/Widget"),
            name("/FT"): name("/Sig"),
            name("/T"): TextStringObject("So"),
            name("/F"): NumberObject(132),
            name("/Rect"): ArrayObject([FloatObject(x), FloatObject(y), FloatObject(x + 40), FloatObject(y + 18)]),
            name("/AP"): DictionaryObject({name("/N"): writer._add_object(appearance)}),
        }
    )
    ref = writer._add_object(widget)
    writer.pages[0][name("/Annots")] = ArrayObject([ref])
    writer.root_object[name("/AcroForm")] = DictionaryObject(
        {name("/Fields"): ArrayObject([ref]), name("/SigFlags"): NumberObject(3)}
    )
    writer.write(path)
    return path


@pytest.mark.integration
@needs_tesseract
def test_signed_scan_keeps_its_red_stamped_number(tmp_path: Path) -> None:
    """Coloured ink is dropped before OCR (seals, signatures), but not what a signature widget stamps."""
    result = read_document(write_signed_scan(tmp_path / "scan-ky-so.pdf"), ocr=OcrEngine(tmp_path / "ocr"))
    assert result.pages[0].method == "ocr"
    assert "Số: 1696 /Q" in result.text, result.text


@needs_realdocs
def test_signed_pdf_without_ocr_keeps_its_text_layer() -> None:
    text = read_text(SIGNED_PDF)
    assert "Số: /QĐ-UBND" in text and "QUYẾT ĐỊNH" in text


# ------------------------------------------------------------------------------ pages without text
def test_line_end_hyphen_comes_back_and_reflow_decides(tmp_path: Path) -> None:
    """PDFium drops the line break after a hyphen at a line end and marks the hyphen U+FFFE: the hyphen and
    the break come back, so a document symbol keeps its hyphen and a hyphenated syllable is joined."""
    lines = ["Thực hiện Kế hoạch số 08/KH-", "UBND ngày 5 tháng 3 của quận về việc th-", "ực hiện tốt công tác"]
    text = read_text(write_pdf(tmp_path / "gach.pdf", [lines]))
    assert "\ufffe" not in text and "\x02" not in text
    cleaned = clean(text)
    assert "số 08/KH-UBND ngày" in cleaned and "việc thực hiện tốt" in cleaned


def test_pages_are_split_by_form_feeds_and_running_header_dropped(tmp_path: Path) -> None:
    """Pages come apart at form feeds, so the cleaner drops a header repeated at the top of every page; the
    cleaned text (what chunks and citations point into) has no form feed."""
    body = [f"Câu thứ {k} của trang {{n}} nói về công tác dân vận chính quyền năm nay." for k in range(1, 7)]
    pages = [["UBND QUẬN BA ĐÌNH - Kế hoạch 12", *(line.format(n=n) for line in body)] for n in (1, 2, 3)]
    text = read_text(write_pdf(tmp_path / "ba-trang.pdf", pages))
    assert text.count("\f") == 2
    cleaned = clean(text)
    assert "\f" not in cleaned and "UBND QUẬN BA ĐÌNH" not in cleaned
    assert "Câu thứ 6 của trang 3 nói về công tác dân vận chính quyền năm nay." in cleaned


@pytest.mark.integration
@needs_tesseract
def test_only_pages_without_text_are_ocrd(tmp_path: Path) -> None:
    """A text page keeps its layer; the scanned page of the same PDF is OCR'd."""
    from pypdf import PdfReader, PdfWriter

    text_pdf = write_pdf(tmp_path / "chu.pdf", [["Trang một: Thành ủy Hà Nội ban hành kế hoạch tiếp dân."]])
    scan = write_scan_pdf(tmp_path / "scan.pdf", SCAN_LINES)
    writer = PdfWriter()
    for part in (text_pdf, scan):
        for page in PdfReader(part).pages:
            writer.add_page(page)
    mixed = tmp_path / "hon-hop.pdf"
    writer.write(mixed)
    result = read_document(mixed, ocr=OcrEngine(tmp_path / "ocr"))
    assert [p.method for p in result.pages] == ["text", "ocr"]
    assert result.text.startswith("Trang một: Thành ủy Hà Nội")
    assert "Phòng Nội vụ" in result.text and "báo cáo" in result.text


def test_without_tesseract_text_pages_kept_and_scans_named(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    engine = OcrEngine(tmp_path / "ocr", command=str(tmp_path / "khong-co-tesseract"))
    scan = write_scan_pdf(tmp_path / "scan.pdf", SCAN_LINES[:3])
    with pytest.raises(MissingToolError) as err:
        read_document(scan, ocr=engine)
    message = str(err.value)
    assert "scan.pdf" in message and "apt-get install tesseract-ocr tesseract-ocr-vie" in message
    assert "\n" not in message and len(message) < 300

    writer = PdfWriter()
    for part in (write_pdf(tmp_path / "chu.pdf", [["Kế hoạch tiếp công dân của quận."]]), scan):
        for page in PdfReader(part).pages:
            writer.add_page(page)
    writer.write(tmp_path / "hon-hop.pdf")
    result = read_document(tmp_path / "hon-hop.pdf", ocr=engine)
    assert result.text.strip() == "Kế hoạch tiếp công dân của quận."
    assert [p.method for p in result.pages] == ["text", "none"]
    assert len(result.warnings) == 1 and "tesseract-ocr-vie" in result.warnings[0]


def test_scan_without_ocr_says_it_needs_ocr(tmp_path: Path) -> None:
    scan = write_scan_pdf(tmp_path / "scan.pdf", SCAN_LINES[:2])
    with pytest.raises(LoaderError) as err:
        read_text(scan)  # no OCR engine given
    assert "OCR" in str(err.value) and "\n" not in str(err.value)


def test_page_image_over_the_uncompressed_limit(tmp_path: Path) -> None:
    """A page whose image declares a huge size is refused before anything renders it."""
    from PIL import Image
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, NumberObject

    Image.new("L", (50, 50), 255).save(tmp_path / "anh.pdf")
    writer = PdfWriter(clone_from=PdfReader(tmp_path / "anh.pdf"))
    xobjects: Any = writer.pages[0]["/Resources"].get_object()["/XObject"]  # type: ignore[index]
    for ref in xobjects.get_object().values():
        image = ref.get_object()
        image[NameObject("/Width")] = NumberObject(40_000)
        image[NameObject("/Height")] = NumberObject(40_000)
    writer.write(tmp_path / "bom-anh.pdf")
    with pytest.raises(LoaderError) as err:
        read_text(tmp_path / "bom-anh.pdf", max_unpacked_bytes=200_000_000)
    assert "bom-anh.pdf" in str(err.value) and "ASSISTANT_MAX_UNCOMPRESSED_MB" in str(err.value)
