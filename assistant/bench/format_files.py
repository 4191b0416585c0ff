"""Turn a plain-text document into the files an office keeps, for `assistant bench formats`.

- .docx (python-docx): the letterhead as a two-column table (issuer and number left, motto and place-date
  right), the title, the body as justified paragraphs with headings, the signature block as a two-column table
  ("Nơi nhận" left, the signer right), a page header from page 2 and a page number in the footer;
- a text PDF as Word exports it and a legacy .doc: LibreOffice headless converts that .docx;
- a scan: the PDF's pages rendered to 200 dpi greyscale images, saved as an image-only PDF.

The split comes from the text's own layout: the lines before the title (found after the "Số:" or place-date
line near the top) are the letterhead, the lines from "Nơi nhận:" on are the recipients and the signature.
A document without these (a news page) becomes title-less paragraphs. LibreOffice and Pillow are only needed
here, to make test files.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_MOTTO = re.compile(r"^(?:CỘNG H(?:ÒA|OÀ) XÃ HỘI|Độc lập\s*[-–])", re.IGNORECASE)
_PLACE_DATE = re.compile(r"^[^\W\d_][^,]{1,40},\s*ngày\b", re.IGNORECASE)
_NUMBER = re.compile(r"^Số\s*:", re.IGNORECASE)
_RECIPIENTS = re.compile(r"^\s*Nơi nhận\s*:", re.IGNORECASE)
_ROMAN_HEADING = re.compile(r"^[IVXLC]+\.\s+\S")
_NUMBERED_HEADING = re.compile(r"^\d{1,2}\.\s+\S")
_HEAD_LINES = 12  # the letterhead sits within the first lines
_HEADING_MAX_CHARS = 100

# Word's defaults for a Vietnamese administrative document (Decree 30/2020: Times New Roman 13-14, A4).
FONT_NAME = "Times New Roman"
FONT_PT = 13
A4_MM = (210, 297)


@dataclass
class Layout:
    """The blocks of a document, as its .docx shows them."""

    letterhead_left: list[str] = field(default_factory=list)
    letterhead_right: list[str] = field(default_factory=list)
    title: list[str] = field(default_factory=list)
    body: list[list[str]] = field(default_factory=list)  # paragraphs, each a list of lines
    recipients: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)


def _is_upper(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _paragraphs(lines: list[str]) -> list[list[str]]:
    """Blank-line separated blocks of non-empty lines."""
    out: list[list[str]] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            block.append(line.strip())
        elif block:
            out.append(block)
            block = []
    return out


def _title_index(lines: list[str]) -> int | None:
    """The title's line: the first line after the last "Số:"/place-date line near the top that is neither."""
    filled = [i for i, line in enumerate(lines) if line.strip()][:_HEAD_LINES]
    markers = [i for i in filled if _NUMBER.match(lines[i].strip()) or _PLACE_DATE.match(lines[i].strip())]
    if not markers:
        return None
    for i in filled:
        text = lines[i].strip()
        if i > markers[-1] and not _MOTTO.match(text):
            return i
    return None


def split_layout(text: str) -> Layout:
    """Letterhead, title, body paragraphs, recipients and signature of a plain-text document."""
    lines = [line.rstrip() for line in text.splitlines()]
    layout = Layout()
    start = 0
    t = _title_index(lines)
    if t is not None:
        for line in (x.strip() for x in lines[:t] if x.strip()):
            right = _MOTTO.match(line) or _PLACE_DATE.match(line)
            (layout.letterhead_right if right else layout.letterhead_left).append(line)
        end = t
        while end < len(lines) and lines[end].strip():
            end += 1
        layout.title = [x.strip() for x in lines[t:end]]
        start = end
    tail = len(lines)
    marks = [i for i in range(start, len(lines)) if _RECIPIENTS.match(lines[i])]
    if marks:
        tail = marks[-1]
        j, seen_item = tail + 1, False
        layout.recipients = [lines[tail].strip()]
        while j < len(lines):
            if lines[j].strip():
                layout.recipients.append(lines[j].strip())
                seen_item = True
            elif seen_item:
                break
            j += 1
        layout.signature = [x.strip() for x in lines[j:] if x.strip()]
    layout.body = _paragraphs(lines[start:tail])
    return layout


def _heading_level(block: list[str]) -> int:
    """1 for "I. MỤC ĐÍCH, YÊU CẦU", 2 for a short "1. Phòng Nội vụ" line, 0 for a paragraph."""
    if len(block) != 1 or len(block[0]) > _HEADING_MAX_CHARS:
        return 0
    line = block[0]
    if _ROMAN_HEADING.match(line) and _is_upper(line):
        return 1
    if _NUMBERED_HEADING.match(line) and not line.endswith((".", ";", ",")):
        return 2
    return 0


def _page_number_field(paragraph: Any) -> None:
    """Append a PAGE field (Word's page number) to a python-docx paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _fill_cell(cell: Any, lines: list[str], align: Any, bold_first: bool) -> None:
    cell.paragraphs[0].text = ""
    for i, line in enumerate(lines):
        p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        p.alignment = align
        p.add_run(line).bold = _is_upper(line) or (bold_first and i == 0)


def _two_columns(doc: Any, left: list[str], right: list[str], left_align: Any, bold_first: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    table = doc.add_table(rows=1, cols=2)
    _fill_cell(table.cell(0, 0), left, left_align, bold_first)
    _fill_cell(table.cell(0, 1), right, WD_ALIGN_PARAGRAPH.CENTER, False)


def write_docx(text: str, path: Path, header: str | None = None) -> Path:
    """A .docx of a plain-text document: letterhead and signature tables, justified body, header and page numbers."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm, Pt

    layout = split_layout(text)
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT_NAME, Pt(FONT_PT)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(A4_MM[0]), Mm(A4_MM[1])
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    section.different_first_page_header_footer = True  # no running header over the letterhead
    first_line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    running = header if header is not None else " ".join(layout.title) or first_line
    section.header.paragraphs[0].text = running[:90]
    section.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for footer in (section.footer, section.first_page_footer):
        p = footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_number_field(p)
    if layout.letterhead_left or layout.letterhead_right:
        _two_columns(doc, layout.letterhead_left, layout.letterhead_right, WD_ALIGN_PARAGRAPH.CENTER, False)
    for i, line in enumerate(layout.title):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(line).bold = i == 0 or _is_upper(line)
    for block in layout.body:
        level = _heading_level(block)
        if level:
            doc.add_heading(block[0], level=level)
            continue
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        p.paragraph_format.first_line_indent = Cm(1)
        p.add_run("\n".join(block))
    if layout.recipients or layout.signature:
        _two_columns(doc, layout.recipients, layout.signature, WD_ALIGN_PARAGRAPH.LEFT, True)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def soffice_convert(sources: list[Path], out_dir: Path, target: str, timeout: float = 600) -> list[Path]:
    """Convert files with LibreOffice headless (`pdf`, `doc`, ...) into `out_dir`; one process for all."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise RuntimeError("Thiếu LibreOffice: cài gói Debian libreoffice-writer-nogui (soffice not found)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-soffice-") as work:
        cmd = [exe, f"-env:UserInstallation={Path(work, 'profile').as_uri()}", "--headless", "--norestore"]
        cmd += ["--convert-to", target, "--outdir", str(out_dir), *map(str, sources)]
        env = {**os.environ, "HOME": work}
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout, env=env, cwd=work)
    outputs = [out_dir / f"{s.stem}.{target}" for s in sources]
    missing = [p.name for p in outputs if not p.is_file()]
    if missing:
        raise RuntimeError(f"LibreOffice không tạo được {', '.join(missing)} (conversion to {target} failed)")
    return outputs


def write_scan(pdf: Path, path: Path, dpi: int = 200, noise: float = 0.0, max_rotation: float = 0.0) -> Path:
    """An image-only PDF of `pdf`'s pages rendered at `dpi` in greyscale, as an office copier scans them.

    `noise` (0..1, share of pixels flipped to a random grey) and `max_rotation` (degrees) imitate a worn copy;
    both are off by default and seeded, so the same input gives the same scan.
    """
    import pypdfium2 as pdfium
    from PIL import Image

    rng = random.Random(0)
    document = pdfium.PdfDocument(str(pdf))
    try:
        pages = [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in document]
    finally:
        document.close()
    images: list[Image.Image] = []
    for image in pages:
        if max_rotation:
            image = image.rotate(rng.uniform(-max_rotation, max_rotation), fillcolor=255, expand=False)
        if noise:
            px = image.load()
            assert px is not None
            for _ in range(int(noise * image.width * image.height)):
                px[rng.randrange(image.width), rng.randrange(image.height)] = rng.randrange(256)
        images.append(image)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return path
