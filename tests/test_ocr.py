"""OCR of scans and images in Vietnamese (Tesseract `vie`): diacritics survive, results are cached by content so a
rebuild runs no OCR, each page's confidence is kept and low ones flagged, and a missing Tesseract is named in
one line while the build goes on."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from assistant.engine import Assistant
from index.errors import LoaderError
from index.loaders import SUPPORTED_EXTENSIONS, read_document
from index.ocr import IMAGE_EXTENSIONS, OcrEngine, OcrResult
from index.office import MissingToolError
from tests.fixtures.make_scans import FONT, SCAN_LINES, write_scan_images, write_scan_pdf

needs_tesseract = pytest.mark.skipif(
    OcrEngine().missing() is not None, reason="needs Debian packages tesseract-ocr tesseract-ocr-vie"
)
SECOND_PAGE = ["3. Thanh tra quận kiểm tra việc thực hiện.", "4. Văn phòng HĐND và UBND quận theo dõi, đôn đốc."]


SIGNER = "Nguyễn Văn Thuận"


def write_stamped_page(path: Path, dpi: int = 200) -> Path:
    """A colour scan of a signature block: black print, a red round seal over the title and the left of the
    signer's name, a blue signature across the name; the ink is multiplied over the print, as on paper.
    An image file, or an image-only PDF when `path` ends in .pdf."""
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    bold = ImageFont.truetype(str(FONT.with_name("DejaVuSerif-Bold.ttf")), int(13 / 72 * dpi))
    width, height, x = int(8.27 * dpi), int(3.2 * dpi), int(4.6 * dpi)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    draw.text(
        (int(0.8 * dpi), int(0.3 * dpi)), "Nơi nhận:", font=ImageFont.truetype(str(FONT), bold.size), fill="black"
    )
    draw.text((x, int(0.3 * dpi)), "KT. CHỦ TỊCH", font=bold, fill="black")
    draw.text((x, int(0.6 * dpi)), "PHÓ CHỦ TỊCH", font=bold, fill="black")
    draw.text((x, int(2.2 * dpi)), SIGNER, font=bold, fill="black")
    ink = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(ink)
    red, blue = (220, 30, 40), (30, 50, 170)
    cx, cy, r, inner = x + int(0.3 * dpi), int(1.6 * dpi), int(0.75 * dpi), int(0.62 * dpi)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=int(0.06 * dpi))
    draw.ellipse((cx - inner, cy - inner, cx + inner, cy + inner), outline=red, width=int(0.02 * dpi))
    draw.text((cx - int(0.45 * dpi), cy - int(0.1 * dpi)), "ỦY BAN", font=bold, fill=red)
    draw.line([(x - 20 + i * 12, int(2.3 * dpi) + (25 if i % 2 else -25)) for i in range(40)], fill=blue, width=6)
    scan = ImageChops.multiply(page, ink)
    if path.suffix == ".pdf":
        scan.save(path, resolution=float(dpi))
    else:
        scan.save(path, dpi=(dpi, dpi))
    return path


def recording_tesseract(folder: Path) -> tuple[Path, Path]:
    """A `tesseract` program that writes each call's arguments to a log, then runs the real one."""
    log = folder / "calls.log"
    program = folder / "tesseract"
    program.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec tesseract "$@"\n', encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return program, log


def recognitions(log: Path) -> int:
    """Calls that recognised an image (not --version or --list-langs)."""
    if not log.exists():
        return 0
    return sum(1 for line in log.read_text().splitlines() if not line.startswith("--"))


def test_image_types_are_supported() -> None:
    assert {".png", ".jpg", ".jpeg", ".tif", ".tiff"} == IMAGE_EXTENSIONS
    assert IMAGE_EXTENSIONS <= SUPPORTED_EXTENSIONS


@pytest.mark.integration
@needs_tesseract
def test_scanned_pdf_is_ocrd_with_its_diacritics(tmp_path: Path) -> None:
    scan = write_scan_pdf(tmp_path / "ban-scan.pdf", SCAN_LINES, dpi=200)
    result = read_document(scan, ocr=OcrEngine(tmp_path / "ocr"))
    for words in ("ỦY BAN NHÂN DÂN QUẬN BA ĐÌNH", "Số: 45/KH-UBND", "Phòng Nội vụ", "báo cáo quý", "Ủy ban nhân dân"):
        assert words in result.text, words
    (page,) = result.pages
    assert page.method == "ocr" and page.confidence is not None and page.confidence > 80 and not page.low_confidence


@pytest.mark.integration
@needs_tesseract
def test_png_and_multipage_tiff(tmp_path: Path) -> None:
    png, tif = write_scan_images(tmp_path, [SCAN_LINES, SECOND_PAGE])
    engine = OcrEngine(tmp_path / "ocr")
    first = read_document(png, ocr=engine)
    assert "Phòng Nội vụ" in first.text and [p.page for p in first.pages] == [1]
    both = read_document(tif, ocr=engine)
    assert [p.page for p in both.pages] == [1, 2] and all(p.method == "ocr" for p in both.pages)
    assert both.text.index("Phòng Nội vụ") < both.text.index("Thanh tra quận kiểm tra")


@pytest.mark.integration
@needs_tesseract
def test_second_read_comes_from_the_cache(tmp_path: Path) -> None:
    """A rebuild reads the cache: the tesseract program is not run to recognise anything again."""
    program, log = recording_tesseract(tmp_path)
    scan = write_scan_pdf(tmp_path / "ban-scan.pdf", SCAN_LINES)
    first = read_document(scan, ocr=OcrEngine(tmp_path / "cache", command=str(program)))
    assert recognitions(log) == 1
    engine = OcrEngine(tmp_path / "cache", command=str(program))
    second = read_document(scan, ocr=engine)
    assert recognitions(log) == 1 and engine.runs == 0
    assert second == first
    # Another resolution is another result: OCR runs again.
    read_document(scan, ocr=OcrEngine(tmp_path / "cache", dpi=200, command=str(program)))
    assert recognitions(log) == 2


@pytest.mark.integration
@needs_tesseract
def test_low_confidence_page_is_flagged(tmp_path: Path) -> None:
    scan = write_scan_pdf(tmp_path / "ban-scan.pdf", SCAN_LINES[:4])
    strict = read_document(scan, ocr=OcrEngine(tmp_path / "ocr", min_confidence=99.5))
    assert strict.pages[0].low_confidence and strict.low_confidence_pages == [1]
    assert strict.pages[0].to_dict()["low"] is True


@pytest.mark.integration
@needs_tesseract
@pytest.mark.parametrize("name", ["ky-dong-dau.png", "ky-dong-dau.pdf"])
def test_signer_under_a_red_seal_and_a_blue_signature_is_read(tmp_path: Path, name: str) -> None:
    """Coloured ink (seal, signature) is dropped before recognition: the black name under it is read whole,
    from an image file and from a scanned PDF alike."""
    scan = write_stamped_page(tmp_path / name)
    result = read_document(scan, ocr=OcrEngine(tmp_path / "ocr"))
    assert SIGNER in result.text and "PHÓ CHỦ TỊCH" in result.text, result.text


def test_drop_colour_ink_whitens_ink_and_keeps_print() -> None:
    """Red and blue ink become white; black print, grey and a yellowed page keep their grey; ink crossing print
    stays dark; a grey image comes back as it was."""
    from PIL import Image

    from index.ocr import drop_colour_ink

    colours = [(0, 0, 0), (128, 128, 128), (235, 225, 190), (220, 30, 40), (30, 50, 170), (40, 10, 15), (255, 255, 255)]
    image = Image.new("RGB", (len(colours), 1))
    image.putdata(colours)
    grey = drop_colour_ink(image)
    plain = list(image.convert("L").getdata())
    assert grey.mode == "L"
    assert list(grey.getdata()) == [plain[0], plain[1], plain[2], 255, 255, plain[5], 255]
    assert plain[2] > 200 and plain[5] < 40
    assert list(drop_colour_ink(Image.new("L", (3, 1), 90)).getdata()) == [90, 90, 90]


def ocr_line(text: str, conf: float, line: int = 1) -> list[dict[str, Any]]:
    """One line of Tesseract words, each with confidence `conf`."""
    return [{"text": w, "conf": conf, "box": [0, 0, 1, 1], "line": [1, 1, line]} for w in text.split()]


@pytest.mark.parametrize(
    ("text", "conf"),
    [
        ("„ Ẩ › ^ .A^ Ä ^ .ˆ", 51.8),  # the tone marks of a curved line, read as a line of their own
        ("ị", 83.0),  # a table rule
        ("n.ẽmm————=—mxr--^¬", 0.0),  # a signature stroke
        ("sả À L4 .'.Pˆ^ , ° lệ Ầ ° ˆ", 57.0),  # a seal's ring
        ("—:", 45.0),
    ],
)
def test_noise_lines_are_dropped(text: str, conf: float) -> None:
    from index.ocr import is_noise_line

    assert is_noise_line(ocr_line(text, conf))


@pytest.mark.parametrize(
    ("text", "conf"),
    [
        ("Số: 193/UBND-KT", 40.0),
        ("5", 30.0),  # a page number
        ("2470071.386 432182.9084", 55.0),
        ("| 432927.5084 |", 84.3),
        ("- Như trên; „ ˆ H Ế", 76.9),  # a real line with noise beside it is kept whole
        ("V/v tăng cường công tác quản lý", 20.0),
        ("HĐND", 90.0),
        ("KT. GIÁM ĐỐC", 45.0),
    ],
)
def test_real_short_lines_are_kept(text: str, conf: float) -> None:
    from index.ocr import is_noise_line

    assert not is_noise_line(ocr_line(text, conf))


def test_page_text_drops_noise_lines_but_keeps_the_confidence_of_all_words() -> None:
    """A page's text leaves noise lines out; its confidence still counts them, so a page of noise stays flagged."""
    from index.ocr import page_result

    words = ocr_line("KẾ HOẠCH", 90.0, 1) + ocr_line("„ Ẩ › ^", 10.0, 2) + ocr_line("Số: 45/KH-UBND", 80.0, 3)
    result = page_result(words)
    assert result.text == "KẾ HOẠCH\nSố: 45/KH-UBND"
    assert result.confidence == round(sum(w["conf"] for w in words) / len(words), 1) < 70
    assert page_result(ocr_line("„ Ẩ › ^", 10.0)) == OcrResult("", 10.0)


def test_missing_tesseract_is_one_line_naming_the_packages(tmp_path: Path) -> None:
    png, _ = write_scan_images(tmp_path, [SCAN_LINES[:2]])
    engine = OcrEngine(tmp_path / "ocr", command=str(tmp_path / "khong-co"))
    with pytest.raises(MissingToolError) as err:
        read_document(png, ocr=engine)
    message = str(err.value)
    assert message.startswith("trang-1.png: ") and "(OCR not installed: " in message
    assert "apt-get install tesseract-ocr tesseract-ocr-vie" in message and "\n" not in message


def test_build_goes_on_without_tesseract(tmp_path: Path, toy_settings, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The image is named with the packages to install; the text file beside it is indexed."""
    folder = toy_settings.data_dir / "inbox"
    folder.mkdir(parents=True)
    write_scan_images(folder, [SCAN_LINES[:2]])
    (folder / "ke-hoach.txt").write_text("KẾ HOẠCH\n\nTiếp công dân định kỳ.\n", encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path / "khong-co-chuong-trinh"))  # no tesseract on the PATH
    report = Assistant(toy_settings).sync([folder])
    assert report.added == ["ke-hoach.txt"]
    (name, message), *others = report.not_indexed
    assert Path(name).name in {"trang-1.png", "ban-scan.tif"} and "tesseract-ocr-vie" in message
    assert all("tesseract-ocr-vie" in m for _, m in others)


@pytest.mark.integration
@needs_tesseract
def test_build_indexes_a_scan_and_keeps_its_cache(toy_settings) -> None:  # noqa: ANN001
    """Through the assistant: the OCR cache is under <data_dir>/cache/ocr, and ASSISTANT_OCR=off skips scans."""
    folder = toy_settings.data_dir / "inbox"
    folder.mkdir(parents=True)
    write_scan_pdf(folder / "ban-scan.pdf", SCAN_LINES)
    report = Assistant(toy_settings).sync([folder])
    assert report.added == ["ban-scan.pdf"], report.not_indexed
    assert list((toy_settings.data_dir / "cache" / "ocr").rglob("*.json"))
    off = toy_settings.model_copy(update={"ocr": "off", "data_dir": toy_settings.data_dir / "off"})
    report = Assistant(off).sync([folder])
    assert report.added == [] and "OCR" in report.not_indexed[0][1]
    assert os.path.basename(report.not_indexed[0][0]) == "ban-scan.pdf"


@pytest.mark.integration
@needs_tesseract
def test_ocr_failure_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """Tesseract failing on a page (crash, bad data) is the file's one-line error, not a stack trace."""
    program = tmp_path / "tesseract"
    program.write_text(
        '#!/bin/sh\ncase "$1" in --*) exec tesseract "$@";; esac\necho "Error: page crashed" >&2\nexit 1\n',
        encoding="utf-8",
    )
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    png, _ = write_scan_images(tmp_path, [SCAN_LINES[:2]])
    scan = write_scan_pdf(tmp_path / "ban-scan.pdf", SCAN_LINES[:2])
    for path in (png, scan):
        with pytest.raises(LoaderError) as err:
            read_document(path, ocr=OcrEngine(tmp_path / "ocr", command=str(program)))
        message = str(err.value)
        assert message.startswith(f"{path.name}: OCR thất bại (OCR failed: ") and "\n" not in message, message


@pytest.mark.integration
@needs_tesseract
def test_image_over_the_uncompressed_limit(tmp_path: Path) -> None:
    """A small PNG of a huge blank page unpacks to more than the limit: refused before any OCR."""
    from PIL import Image

    Image.new("L", (4000, 4000), 255).save(tmp_path / "trang-trang.png")
    assert (tmp_path / "trang-trang.png").stat().st_size < 100_000
    engine = OcrEngine(tmp_path / "ocr")
    with pytest.raises(LoaderError) as err:
        read_document(tmp_path / "trang-trang.png", max_unpacked_bytes=10_000_000, ocr=engine)
    assert "trang-trang.png" in str(err.value) and "ASSISTANT_MAX_UNCOMPRESSED_MB" in str(err.value)
    assert engine.runs == 0


@pytest.mark.integration
@needs_tesseract
def test_index_list_names_ocr_pages_and_the_doubtful_ones(tmp_path: Path) -> None:
    """`index list` shows which pages were OCR'd, with their confidence, and flags those under the threshold."""
    from tests.test_cli import run

    folder = tmp_path / "inbox"
    folder.mkdir()
    write_scan_pdf(folder / "ban-scan.pdf", SCAN_LINES)
    (folder / "ke-hoach.txt").write_text("KẾ HOẠCH\n\nTiếp công dân định kỳ.\n", encoding="utf-8")
    data = tmp_path / "data"
    built = run(["index", "build", str(folder)], data, ASSISTANT_OCR_MIN_CONFIDENCE="99.9")
    assert built.returncode == 0, built.stderr
    listed = run(["index", "list"], data).stdout
    scan_part = listed.split("ban-scan.pdf", 1)[1].split("ke-hoach.txt", 1)[0]
    assert "Trang OCR" in scan_part and "trang 1 (" in scan_part and "CẦN KIỂM TRA" in scan_part
    assert "Trang OCR" not in listed.split("ke-hoach.txt", 1)[1]  # a text file has no OCR pages
    relaxed = run(["index", "build", "--rebuild", str(folder)], data, ASSISTANT_OCR_MIN_CONFIDENCE="1")
    assert relaxed.returncode == 0, relaxed.stderr
    assert "CẦN KIỂM TRA" not in run(["index", "list"], data).stdout
