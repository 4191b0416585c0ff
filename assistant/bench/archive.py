"""A synthetic office archive for the indexing benchmark: N real-size documents in the formats offices keep.

Document i takes its body from one of the bundled plans (varied by `assistant.bench.synth`), the real
documents of ../shared/realdocs (text PDFs and .docx, read once by `index.loaders`) or the real excerpts of
eval/realdocs, varies its years, dates, numbers, percentages and province, and puts a letterhead of its own
on top: issuer, "Số: <number>/<kind>-..." and "<place>, ngày dd tháng mm năm yyyy" (the `ArchiveDoc`
fields a test looks for in the text read back). Formats come in blocks of ten, shuffled per block:
six text PDFs (fpdf2, a Unicode serif font), two .docx (`format_files.write_docx`), one scanned PDF (the
text PDF rendered to 200 dpi greyscale page images, slightly skewed, with no text layer) and one .txt or
.html. File names vary as office file names do.

Deterministic: the same seed and i give the same document, byte for byte, whatever N (PDF dates and zip
times are fixed), so a bigger archive contains a smaller one and a re-run rewrites nothing. Without
../shared/realdocs (a machine without the shared folder) the real-document bodies are left out of the pool.

>>> [d.format for d in plan(10)].count("pdf"), [d.format for d in plan(20)][:10] == [d.format for d in plan(10)]
(6, True)
"""

from __future__ import annotations

import html
import io
import json
import logging
import random
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.bench import synth
from assistant.bench.format_files import split_layout, write_docx
from assistant.settings import REPO_ROOT

log = logging.getLogger(__name__)

VERSION = 1  # bump when the output of a given seed changes: files are rewritten
SHARED_REALDOCS = REPO_ROOT.parent / "shared" / "realdocs"
EVAL_REALDOCS = REPO_ROOT / "eval" / "realdocs"
FONTS = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core: Vietnamese glyphs
FIXED_TIME = datetime(2024, 1, 1, tzinfo=UTC)
# One block of ten documents: 60 % text PDF, 20 % .docx, 10 % scanned PDF, 10 % .txt or .html.
BLOCK = ("pdf",) * 6 + ("docx",) * 2 + ("scan", "text")
SCAN_MAX_CHARS = 5000  # about two pages: office scans are mostly short letters and decisions
SCAN_DPI = 200
MANIFEST = ".archive.json"  # hidden: the ingest skips it

_KINDS = {
    "KẾ HOẠCH": "KH",
    "BÁO CÁO": "BC",
    "QUYẾT ĐỊNH": "QĐ",
    "THÔNG BÁO": "TB",
    "CHƯƠNG TRÌNH": "CTr",
    "QUY CHẾ": "QC",
    "TỜ TRÌNH": "TTr",
}
_PROVINCES = ("Lào Cai", "Yên Bái", "Phú Thọ", "Tuyên Quang", "Thái Nguyên", "Nghệ An", "Quảng Nam", "Bình Định")
_NAME_FORMS = (
    "{kind}-{no}-UBND-{slug}-{yyyy}",
    "{kind}_{no}_{dd}{mm}{yyyy}",
    "{title} {no} {place}",
    "{no}-{kind}-UBND ({place})",
    "scan_{yyyy}{mm}{dd}_{no:04d}",
    "{title} số {no} ngày {dd}.{mm}.{yyyy}",
    "VB{yyyy}{mm}{dd}{no}",
)


@dataclass(frozen=True)
class ArchiveDoc:
    """One document of the archive: its file, where its body came from, and its own number and date."""

    index: int
    name: str
    format: str  # pdf, docx, scan (a PDF of page images), txt or html
    source: str
    number: str  # "1234/KH-UBND", as printed after "Số:"
    date: str  # "ngày 05 tháng 03 năm 2024", as printed after the place
    place: str


@lru_cache(maxsize=1)
def _real_bodies() -> tuple[tuple[str, str], ...]:
    """(name, text) of the real documents with a text layer and of the eval excerpts (read once)."""
    from index.errors import LoaderError
    from index.loaders import read_text

    out: list[tuple[str, str]] = []
    real = sorted(SHARED_REALDOCS.glob("*")) if SHARED_REALDOCS.is_dir() else []
    for p in real:
        if p.suffix.lower() not in (".pdf", ".docx"):
            continue  # .doc needs LibreOffice: too slow for a generator
        try:
            out.append((p.name, read_text(p)))
        except LoaderError:
            continue  # a scanned or garbled PDF: no text without OCR
    out += [(p.name, p.read_text(encoding="utf-8")) for p in sorted(EVAL_REALDOCS.glob("*.txt"))]
    return tuple(out)


def _vary(text: str, rng: random.Random, place: str) -> str:
    """A real document's years, dates, numbers, percentages and province changed (synth's rules)."""
    shift = rng.randint(-6, 1)
    text = synth.vary_numbers(text, rng, shift)
    for province in _PROVINCES:
        text = text.replace(province, place).replace(province.upper(), place.upper())
    return text


def _slug(s: str) -> str:
    """ASCII file-name form of a place: "Đống Đa" -> "Dong-Da"."""
    bare = "".join(c for c in unicodedata.normalize("NFD", s.replace("đ", "d").replace("Đ", "D")) if c.isascii())
    return re.sub(r"[^A-Za-z0-9]+", "-", bare).strip("-")


def plan(n: int, seed: int = 0) -> list[ArchiveDoc]:
    """Names, formats, sources, numbers and dates of documents 0..n-1 (cheap: no body is read)."""
    bundled = [f"bundled:{p.name}" for p in synth.templates()]
    real = [f"real:{name}" for name, _ in _real_bodies()]
    docs: list[ArchiveDoc] = []
    taken: set[str] = set()
    for i in range(n):
        block = list(BLOCK)
        random.Random(seed * 1_000_003 + i // len(BLOCK)).shuffle(block)
        fmt = block[i % len(BLOCK)]
        rng = random.Random(seed * 7_000_003 + i)
        if fmt == "text":
            fmt = rng.choice(("txt", "html"))
        # Half the bodies are the bundled plans (varied by synth), half real documents and excerpts.
        source = bundled[i % len(bundled)] if rng.random() < 0.5 or not real else rng.choice(real)
        district, city = rng.choice(synth.DISTRICTS)
        place = rng.choice((district, city, rng.choice(_PROVINCES)))
        yyyy, mm, dd = rng.randint(2012, 2026), rng.randint(1, 12), rng.randint(1, 28)
        kind = rng.choice(list(_KINDS.values()))
        no = rng.randint(1, 3999)
        title = next(k for k, v in _KINDS.items() if v == kind).capitalize()
        fields = dict(kind=kind, no=no, slug=_slug(place), place=place, title=title, yyyy=yyyy, mm=f"{mm:02d}")
        stem = rng.choice(_NAME_FORMS).format(**fields, dd=f"{dd:02d}")
        ext = {"scan": "pdf", "text": fmt}.get(fmt, fmt)
        name, copy = f"{stem}.{ext}", 2
        while name.lower() in taken:  # as a file manager names a second copy
            name, copy = f"{stem} ({copy}).{ext}", copy + 1
        taken.add(name.lower())
        date = f"ngày {dd:02d} tháng {mm:02d} năm {yyyy}"
        docs.append(ArchiveDoc(i, name, fmt, source, f"{no}/{kind}-UBND", date, place))
    return docs


def document_text(doc: ArchiveDoc, seed: int = 0) -> str:
    """The plain text of a document: its own letterhead, then the varied body of its source."""
    rng = random.Random(seed * 9_000_011 + doc.index)
    kind_of, origin = doc.source.split(":", 1)
    if kind_of == "bundled":
        body = synth.generate_text(seed, doc.index)  # `plan` picked template i % 5, as synth does
    else:
        body = _vary(dict(_real_bodies())[origin], rng, doc.place)
    layout = split_layout(body)
    kind = doc.number.split("/")[1].split("-")[0]
    title = [next(k for k, v in _KINDS.items() if v == kind), *layout.title[1:]]  # the kind its number says
    paragraphs = [" ".join(b) if len(b) > 1 and len(" ".join(b)) < 400 else "\n".join(b) for b in layout.body]
    if not layout.title and layout.letterhead_left + layout.letterhead_right:  # no title found: keep the lines
        paragraphs = [*layout.letterhead_left, *layout.letterhead_right, *paragraphs]
    if doc.format == "scan":
        kept: list[str] = []
        size = 0
        for p in paragraphs:
            if size + len(p) > SCAN_MAX_CHARS and kept:
                break
            kept.append(p)
            size += len(p)
        paragraphs = kept
    issuer = f"ỦY BAN NHÂN DÂN {doc.place.upper()}"
    head = [issuer, f"Số: {doc.number}", "", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", ""]
    head += [f"{doc.place}, {doc.date}", "", *title, ""]
    tail = ["", *layout.recipients, "", *layout.signature] if layout.recipients or layout.signature else []
    return "\n".join([*head, "\n\n".join(paragraphs), *tail]).strip() + "\n"


def _pdf_bytes(text: str) -> bytes:
    """A justified A4 text PDF of a plain-text document (letterhead and signature in two columns)."""
    from fpdf import FPDF

    layout = split_layout(text)
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_TIME)
    pdf.add_font("serif", "", str(FONTS / "DejaVuSerif.ttf"))
    pdf.add_font("serif", "B", str(FONTS / "DejaVuSerif-Bold.ttf"))
    pdf.set_margins(25, 20, 20)
    pdf.set_auto_page_break(True, 20)
    pdf.add_page()
    width = pdf.epw / 2

    def columns(left: Sequence[str], right: Sequence[str], size: float) -> None:
        """Two blocks of centred lines side by side (letterhead, or recipients and signer)."""
        top, bottom = pdf.get_y(), pdf.get_y()
        for x, lines in ((pdf.l_margin, left), (pdf.l_margin + width, right)):
            pdf.set_xy(x, top)
            for line in lines:
                pdf.set_font("serif", "B" if line.isupper() or line.startswith("Độc lập") else "", size)
                pdf.set_x(x)
                pdf.multi_cell(width, size * 0.5, line, align="C", new_x="LEFT", new_y="NEXT")
            bottom = max(bottom, pdf.get_y())
        pdf.set_xy(pdf.l_margin, bottom + 6)

    columns(layout.letterhead_left, layout.letterhead_right, 11)
    pdf.set_font("serif", "B", 13)
    for line in layout.title:
        pdf.multi_cell(0, 7, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for block in layout.body:
        heading = len(block) == 1 and len(block[0]) < 100 and re.match(r"^([IVX]+|\d{1,2})\.\s", block[0])
        pdf.set_font("serif", "B" if heading else "", 12)
        pdf.multi_cell(0, 6.5, " ".join(block), align="L" if heading else "J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    if layout.recipients or layout.signature:
        pdf.ln(4)
        columns(layout.recipients, layout.signature, 10)
    return bytes(pdf.output())


def _scan(pdf: bytes, path: Path, rng: random.Random) -> None:
    """An image-only PDF of the pages of `pdf`, rendered at 200 dpi greyscale and skewed a little."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        pages = [p.render(scale=SCAN_DPI / 72, grayscale=True).to_pil().convert("L") for p in document]
    finally:
        document.close()
    pages = [p.rotate(rng.uniform(-0.6, 0.6), fillcolor=255) for p in pages]
    stamp = FIXED_TIME.timetuple()
    pages[0].save(
        path,
        "PDF",
        save_all=True,
        append_images=pages[1:],
        resolution=float(SCAN_DPI),
        creationDate=stamp,
        modDate=stamp,
    )


def _fixed_zip_times(path: Path) -> None:
    """Rewrite a .docx with one fixed time on every member (python-docx stamps the current time)."""
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            z.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(buf.getvalue())


def _html(text: str, title: str) -> str:
    paras = "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n") if p.strip())
    return (
        f'<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>\n'
        f"<body><article>\n{paras}\n</article></body></html>\n"
    )


def write_document(doc: ArchiveDoc, folder: Path, seed: int = 0) -> Path:
    """Write one document into `folder` in its format; the path."""
    text = document_text(doc, seed)
    path = folder / doc.name
    if doc.format == "txt":
        path.write_text(text, encoding="utf-8")
    elif doc.format == "html":
        path.write_text(_html(text, doc.name.rsplit(".", 1)[0]), encoding="utf-8")
    elif doc.format == "docx":
        write_docx(text, path)
        _fixed_zip_times(path)
    elif doc.format == "pdf":
        path.write_bytes(_pdf_bytes(text))
    else:
        _scan(_pdf_bytes(text), path, random.Random(seed * 31 + doc.index))
    return path


def _write_many(args: tuple[list[dict[str, Any]], str, int]) -> None:
    docs, folder, seed = args
    for d in docs:
        write_document(ArchiveDoc(**d), Path(folder), seed)


def generate(n: int, folder: Path, seed: int = 0, workers: int = 1) -> list[ArchiveDoc]:
    """Write documents 0..n-1 into `folder` with `.archive.json` listing them; documents already written by
    the same version and seed are left alone, files of a bigger archive made earlier there are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = plan(n, seed)
    manifest = folder / MANIFEST
    try:
        old = json.loads(manifest.read_text(encoding="utf-8"))
        done = {d["name"] for d in old["documents"]} if (old["version"], old["seed"]) == (VERSION, seed) else set()
    except (OSError, ValueError, KeyError, TypeError):
        done = set()
    wanted = {d.name for d in docs}
    for p in folder.iterdir():
        if p.is_file() and p.name != manifest.name and p.name not in wanted:
            p.unlink()
    todo = [asdict(d) for d in docs if d.name not in done or not (folder / d.name).is_file()]
    manifest.unlink(missing_ok=True)  # an interrupted run must not mark unwritten documents as done
    if workers > 1 and len(todo) > 1:
        parts = [(todo[k::workers], str(folder), seed) for k in range(workers)]
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_write_many, parts))
    else:
        _write_many((todo, str(folder), seed))
    body = {"version": VERSION, "seed": seed, "documents": [asdict(d) for d in docs]}
    manifest.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    log.info("archive of %d documents in %s (%d written)", n, folder, len(todo))
    return docs
