"""Read a PDF page by page: its text layer with PDFium (pypdfium2), OCR where that layer is missing or garbage.

- Text: PDFium places spaces by glyph positions, so justified text keeps whole syllables and single spaces
  (pypdf gives doubled spaces there, and split syllables on some Word exports).
- Limits: before PDFium opens the file, pypdf checks encryption, what each stream decodes to and the content
  of every page against `max_bytes` (its decoders stop at that limit), and the declared size of each page's
  images (what rendering a page would unpack); characters are counted page by page against `max_chars`.
- Pages whose text layer is empty or garbage (fonts without a Unicode map give symbols, other scripts'
  letters and syllables Vietnamese cannot have: `layer_is_garbage`) are rendered and OCR'd instead, in grey
  without coloured ink (seals, signatures) except what signature widgets stamp (`index.ocr.drop_colour_ink`).
- Line-sized form widgets (the number and date a digital signature stamps on the letterhead) are drawn alone,
  without the page's content, and OCR'd as one line; what they show goes into the text layer where it is
  drawn ("Số: /QĐ-UBND" becomes "Số: 1696/QĐ-UBND"), replacing typed characters it is drawn over.
- Pages are separated by form feeds ("\f"), which `index.clean` uses to find running headers and removes.
PDFium is not thread-safe: one read at a time (`_PDFIUM`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import re
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from index.errors import LoaderError
from index.ocr import OcrEngine, PageInfo, ReadResult, drop_colour_ink, file_digest, is_latin, named, plausible_word
from index.office import MissingToolError
from index.refusals import one_line, too_big, too_long

log = logging.getLogger(__name__)

_PDFIUM = threading.Lock()
MIN_LETTERS = 10  # a page with fewer letters in its text layer is OCR'd (a scan, or text drawn as curves)
MAX_BAD_WORDS = 0.2  # share of words that cannot be Vietnamese (or English) beyond which a layer is garbage
MAX_ODD_CHARS = 0.1  # share of characters that are neither Latin letters, digits nor punctuation
STAMP_MAX_HEIGHT = 40.0  # points: widgets up to about two lines high carry text; taller ones are seals, images
_MARGIN_PX = 20  # white pixels around a widget's image

# --- is a text layer real text? ------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+")
_FINE_SYMBOLS = set("+-=/%()<>[]§°№")


def layer_stats(text: str) -> tuple[int, float, int, float]:
    """(words, share of words no Vietnamese or English text has, characters, share of odd characters: neither
    Latin letters, digits nor punctuation) of a text layer."""
    words = _WORD.findall(text)
    bad = sum(not plausible_word(w) for w in words)
    chars = [c for c in text if not c.isspace()]
    odd = sum(
        1
        for c in chars
        if not (
            (c.isalnum() and (c.isascii() or is_latin(c))) or unicodedata.category(c)[0] == "P" or c in _FINE_SYMBOLS
        )
    )
    return len(words), bad / max(len(words), 1), len(chars), odd / max(len(chars), 1)


def layer_is_garbage(text: str) -> bool:
    """Whether a text layer is what fonts without a Unicode map give: symbols, or impossible syllables."""
    words, bad, chars, odd = layer_stats(text)
    return (words >= 5 and bad > MAX_BAD_WORDS) or (chars >= 20 and odd > MAX_ODD_CHARS)


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _clean_layer(text: str) -> str:
    """Control characters dropped, except PDFium's mark of a hyphen at a line end (U+0002 in older versions,
    U+FFFE in newer), kept as U+FFFE: one character each, so indexes still match the page's characters."""
    text = text.replace("\x02", _LINE_END_HYPHEN)
    return "".join(c for c in text if c in "\n\r\t\f" or unicodedata.category(c) != "Cc")


_LINE_END_HYPHEN = "\ufffe"


def _page_text(text: str) -> str:
    """A page's text as lines: PDFium removes the line break after a hyphen at a line end and marks the hyphen;
    both come back, and `index.reflow` decides whether the hyphen joins a word ("th-" + "ực") or stays
    ("08/KH-" + "UBND")."""
    return text.replace(_LINE_END_HYPHEN, "-\n").rstrip("\r\n")


# --- limits, with pypdf -----------------------------------------------------------------------------


@contextlib.contextmanager
def _pdf_limits(max_bytes: int) -> Iterator[None]:
    """pypdf's own limits on what one stream may decode to, lowered to `max_bytes` (pypdf >= 6.4 has them as
    a configuration; older versions keep their built-in 75 MB)."""
    try:
        from pypdf import apply_configuration, get_configuration
    except ImportError:
        yield
        return
    current = get_configuration()
    lowered = {
        f.name: min(getattr(current, f.name), max_bytes)
        for f in dataclasses.fields(current)
        if f.name.endswith(("_maximum_output_length", "_work_maximum_length"))
        and isinstance(getattr(current, f.name), int)
    }
    with apply_configuration(**lowered):
        yield


def _page_content_bytes(page: Any) -> int:
    """Decoded size of a page's content streams."""
    from pypdf.generic import ArrayObject

    contents = page.get("/Contents")
    if contents is None:
        return 0
    contents = contents.get_object()
    streams = [s.get_object() for s in (contents if isinstance(contents, ArrayObject) else [contents])]
    return sum(len(s.get_data()) for s in streams if hasattr(s, "get_data"))  # anything else: PDFium's affair


def _page_image_bytes(page: Any) -> int:
    """Declared size of a page's images once decoded (width x height x 3), what rendering it unpacks."""
    total = 0
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if xobjects is None:
        return 0
    for ref in xobjects.get_object().values():
        x = ref.get_object()
        if x.get("/Subtype") == "/Image":
            total += int(x.get("/Width", 0)) * int(x.get("/Height", 0)) * 3
    return total


def _guard(path: Path, max_bytes: int) -> None:
    """Refuse an encrypted, damaged or over-large PDF before PDFium opens it (see the module docstring)."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    unpacked = 0
    try:
        with _pdf_limits(max_bytes):
            reader = PdfReader(path)
            if reader.is_encrypted:
                try:
                    opened = bool(reader.decrypt(""))  # owner-only protection opens with an empty password
                except Exception:  # e.g. AES without the optional `cryptography` package
                    log.debug("decrypt failed on %s", path, exc_info=True)
                    opened = False
                if not opened:
                    raise LoaderError(f"{path.name}: tệp PDF được mã hoá (encrypted), cần mật khẩu để mở")
            # Page by page: one stream shown on every page is decoded once but counted each time.
            for page in reader.pages:
                unpacked += _page_content_bytes(page)
                if unpacked > max_bytes:
                    raise too_big(path, "nội dung các trang PDF", unpacked, max_bytes)
                images = _page_image_bytes(page)
                if images > max_bytes:
                    raise too_big(path, "ảnh trong một trang PDF", images, max_bytes)
    except LoaderError:
        raise
    except LimitReachedError as e:  # a stream decodes to more than the limits allow
        log.debug("pypdf limit on %s", path, exc_info=True)
        raise LoaderError(
            f"{path.name}: dữ liệu nén trong PDF vượt giới hạn an toàn ({one_line(e)}; "
            "PDF stream too large when decoded, see ASSISTANT_MAX_UNCOMPRESSED_MB)"
        ) from e
    except Exception as e:  # pypdf raises many kinds on damaged or exotic files
        log.debug("pypdf failed on %s", path, exc_info=True)
        if "crypt" in type(e).__name__.lower() or "decrypt" in str(e).lower():
            raise LoaderError(f"{path.name}: tệp PDF được mã hoá (encrypted), không mở được") from e
        raise LoaderError(f"{path.name}: không đọc được tệp PDF (damaged or not a PDF: {one_line(e)})") from e


# --- rendering and stamps ---------------------------------------------------------------------------


def _render_page(page: Any, dpi: int, max_bytes: int) -> Any:
    """The page (with its form widgets) at `dpi`, lowered so that its colour bitmap stays within `max_bytes`, in
    grey without coloured ink (`drop_colour_ink`: the seal and signature over the signer's name), except in
    line-sized widgets (the number and date a digital signature stamps, often in red, on a scanned page)."""
    width, height = page.get_size()
    scale = min(dpi / 72, math.sqrt(max_bytes / max(3 * width * height, 1.0)))
    keep = [
        (int(left * scale), int((height - top) * scale), math.ceil(right * scale), math.ceil((height - bottom) * scale))
        for left, bottom, right, top in _stamp_rects(page)
    ]
    return drop_colour_ink(page.render(scale=scale, may_draw_forms=True).to_pil(), keep)


def _stamp_rects(page: Any) -> list[tuple[float, float, float, float]]:
    """(left, bottom, right, top) of the page's line-sized form widgets (a signature's stamped number or date)."""
    import pypdfium2.raw as raw

    rects = []
    for k in range(raw.FPDFPage_GetAnnotCount(page)):
        annot = raw.FPDFPage_GetAnnot(page, k)
        try:
            r = raw.FS_RECTF()
            if raw.FPDFAnnot_GetSubtype(annot) == raw.FPDF_ANNOT_WIDGET and raw.FPDFAnnot_GetRect(annot, r):
                if 0 < r.top - r.bottom <= STAMP_MAX_HEIGHT and r.right > r.left:
                    rects.append((r.left, r.bottom, r.right, r.top))
        finally:
            raw.FPDFPage_CloseAnnot(annot)
    return rects


def _render_widgets(pdf: Any, page: Any, rect: tuple[float, float, float, float], scale: float) -> Any:
    """What the form widgets alone draw in `rect` (no page content: the typed text around a stamp would
    merge with it), on white with a margin, as Tesseract likes it."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw
    from PIL import ImageOps

    left, bottom, right, top = rect
    width, height = page.get_size()
    w, h = int((right - left) * scale) + 1, int((top - bottom) * scale) + 1
    bitmap = pdfium.PdfBitmap.new_native(w, h, raw.FPDFBitmap_BGR)
    bitmap.fill_rect((255, 255, 255, 255), 0, 0, w, h)
    x0, y0 = int(-left * scale), int(-(height - top) * scale)
    raw.FPDF_FFLDraw(pdf.formenv, bitmap, page, x0, y0, int(width * scale), int(height * scale), 0, raw.FPDF_ANNOT)
    return ImageOps.expand(bitmap.to_pil().convert("L"), border=_MARGIN_PX, fill=255)


def _inside(x: float, y: float, rect: tuple[float, float, float, float], pad: float = 0.0) -> bool:
    left, bottom, right, top = rect
    return left - pad <= x <= right + pad and bottom - pad <= y <= top + pad


def _stamp_edit(
    textpage: Any, text: str, ink: tuple[float, float, float, float], stamp: str
) -> tuple[int, int, str] | None:
    """The edit (start, end, new text) that puts `stamp`, drawn over `ink`, into the page's text: it replaces
    the characters it is drawn over (a typed month under a stamped one), else goes in before the first
    character right of it on its line."""
    boxes = [textpage.get_charbox(i) for i in range(len(text))]
    centre = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in boxes]
    covered = [i for i, (x, y) in enumerate(centre) if not text[i].isspace() and _inside(x, y, ink, pad=1.0)]
    if covered:
        start, end = min(covered), max(covered) + 1
        if " ".join(text[start:end].split()) == stamp:
            return None
    else:
        mid = (ink[1] + ink[3]) / 2
        line = [i for i, b in enumerate(boxes) if not text[i].isspace() and b[1] <= mid <= b[3]]
        right = [i for i in line if centre[i][0] >= ink[0]]
        if right:
            start = end = min(right)
        elif line:
            start = end = max(line) + 1
        else:
            return None
    before = " " if start > 0 and not text[start - 1].isspace() else ""
    after = " " if end < len(text) and text[end].isalnum() else ""
    return start, end, f"{before}{stamp}{after}"


def _read_stamps(
    pdf: Any, page: Any, textpage: Any, text: str, engine: OcrEngine, digest: str, n: int
) -> tuple[str, float | None]:
    """The page's text with what its line-sized widgets show, and the mean OCR confidence of the words added."""
    rects = _stamp_rects(page)
    if not rects or len(text) != textpage.count_chars():
        return text, None
    scale = engine.dpi / 72
    edits: list[tuple[int, int, str]] = []
    confs: list[float] = []
    for rect in rects:
        left, bottom, right, top = (rect[0] - 1, rect[1] - 1, rect[2] + 1, rect[3] + 1)
        image = _render_widgets(pdf, page, (left, bottom, right, top), scale)
        where = f"page:{n}:widget:{left:.1f},{bottom:.1f},{right:.1f},{top:.1f}"
        words = [
            w for w in engine.recognise_words(image, digest, where, line=True) if w["conf"] >= engine.min_confidence
        ]
        if not words:
            continue
        xs = [(w["box"][0] - _MARGIN_PX) / scale for w in words] + [
            (w["box"][0] + w["box"][2] - _MARGIN_PX) / scale for w in words
        ]
        ys = [(w["box"][1] - _MARGIN_PX) / scale for w in words] + [
            (w["box"][1] + w["box"][3] - _MARGIN_PX) / scale for w in words
        ]
        ink = (left + min(xs), top - max(ys), left + max(xs), top - min(ys))
        edit = _stamp_edit(textpage, text, ink, " ".join(w["text"] for w in sorted(words, key=lambda w: w["box"][0])))
        if edit is not None:
            edits.append(edit)
            confs.extend(w["conf"] for w in words)
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text, (round(sum(confs) / len(confs), 1) if confs else None)


# --- the reader -------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Page:
    text: str
    needs_ocr: bool
    stamps: bool


def read_pdf(path: Path, max_chars: int, max_bytes: int, ocr: OcrEngine | None) -> ReadResult:
    """Text of a PDF, page by page (see the module docstring); `ocr` None reads text layers only."""
    _guard(path, max_bytes)
    with _PDFIUM:
        return _read(path, max_chars, max_bytes, ocr)


def _open(path: Path) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        log.debug("pdfium failed on %s", path, exc_info=True)
        if "password" in str(e).lower():
            raise LoaderError(f"{path.name}: tệp PDF được mã hoá (encrypted), cần mật khẩu để mở") from e
        raise LoaderError(f"{path.name}: không đọc được tệp PDF (damaged or not a PDF: {one_line(e)})") from e


def _read(path: Path, max_chars: int, max_bytes: int, ocr: OcrEngine | None) -> ReadResult:
    from tqdm import tqdm

    pdf = _open(path)
    try:
        pdf.init_forms()  # before any page is loaded: widgets are then drawn with their page
        pages: list[_Page] = []
        chars = 0
        for page in pdf:
            textpage = page.get_textpage()
            text = _clean_layer(textpage.get_text_range())
            garbage = _letters(text) < MIN_LETTERS or layer_is_garbage(text)
            pages.append(_Page("" if garbage else text, garbage, bool(not garbage and _stamp_rects(page))))
            chars += len(pages[-1].text) + 1
            if chars > max_chars:
                raise too_long(path, max_chars)
        missing = "ASSISTANT_OCR=off" if ocr is None else ocr.missing()
        todo = [i for i, p in enumerate(pages) if p.needs_ocr or p.stamps]
        infos = [PageInfo(i + 1, "none" if p.needs_ocr else "text") for i, p in enumerate(pages)]
        warnings: list[str] = []
        if todo and ocr is not None and not missing:
            digest = file_digest(path)
            for i in tqdm(todo, desc=f"OCR {path.name}", unit="page", disable=None, leave=False):
                page = pdf[i]
                if pages[i].needs_ocr:
                    result = ocr.recognise(_render_page(page, ocr.dpi, max_bytes), digest, f"page:{i + 1}")
                    pages[i].text = result.text
                    infos[i] = PageInfo(i + 1, "ocr", result.confidence, ocr.is_low(result.confidence))
                    log.info("%s page %d: OCR confidence %s", path.name, i + 1, result.confidence)
                    chars += len(result.text)
                    if chars > max_chars:
                        raise too_long(path, max_chars)
                else:
                    textpage = page.get_textpage()
                    layer = _clean_layer(textpage.get_text_range())
                    pages[i].text, conf = _read_stamps(pdf, page, textpage, layer, ocr, digest, i + 1)
                    if pages[i].text != layer:
                        infos[i] = PageInfo(i + 1, "text+ocr", conf)
        elif any(p.needs_ocr for p in pages):
            skipped = [i + 1 for i, p in enumerate(pages) if p.needs_ocr]
            warnings.append(f"{path.name}: trang {skipped} cần OCR bị bỏ qua (pages skipped, no OCR: {missing})")
            log.warning("%s", warnings[-1])
    except LoaderError as e:
        raise named(e, path) from None
    except Exception as e:  # pypdfium2 raises its own kinds on damaged pages
        log.debug("pdfium failed on %s", path, exc_info=True)
        raise LoaderError(f"{path.name}: không đọc được tệp PDF (damaged or not a PDF: {one_line(e)})") from e
    finally:
        pdf.close()
    text = "\f".join(_page_text(p.text) for p in pages)  # form feeds: `index.reflow` drops running headers by page
    if not text.strip():
        if ocr is None:
            raise LoaderError(f"{path.name}: PDF không có lớp chữ dùng được, cần OCR (no usable text layer; needs OCR)")
        if missing:
            raise MissingToolError(f"{path.name}: PDF không có lớp chữ, cần OCR: {missing}")
        raise LoaderError(f"{path.name}: không tìm thấy chữ, kể cả bằng OCR (no text found by OCR)")
    return ReadResult(text, tuple(infos), tuple(warnings))
