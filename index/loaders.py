"""Read the raw text of one file (.txt, .md, .html, .pdf, .docx, .doc, .rtf, .odt) and list the files of a folder.

Every failure becomes a `LoaderError` with a one-line message naming the file (Vietnamese first,
English in parentheses): the ingest reports it and goes on with the next file. Library exceptions
never leak, because pypdf and python-docx raise many kinds on damaged input.

A small file may unpack to a huge one (a .docx is a zip, PDF streams are compressed), so the size on
disk says little: `read_text` bounds what a file unpacks to (`max_unpacked_bytes`: the members of a
.docx, each PDF stream and the content of all pages) and the characters of its text (`max_chars`),
and checks a .docx before python-docx opens it (see `_check_docx`).

The text returned is NFC and uses "\n" line ends: that is a change of encoding, not of spelling, and
Windows-1258 files spell tone marks as combining characters. Text in the legacy Vietnamese encodings
TCVN3 and VNI is converted to Unicode (`index.encodings`: by statistics in .txt, by font in Word files).
HTML pages are read by `index.htmlpage` (declared charsets, TCVN3/VNI by font or letters).
Word files are read by `index.office` (tables as layout blocks or data rows); .doc, .rtf and .odt are first
converted to .docx by LibreOffice (a `MissingToolError` naming the package when it is not installed).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import unicodedata
import zipfile
from pathlib import Path

from index import convert, office
from index.encodings import best_legacy_decoding, guess_codepage
from index.errors import LoaderError
from index.htmlpage import page_text
from index.ocr import IMAGE_EXTENSIONS, OcrEngine, ReadResult, read_image
from index.office import MissingToolError
from index.pdf import read_pdf
from index.refusals import one_line, too_big, too_long

__all__ = ["MissingToolError", "UnsupportedTypeError", "iter_files", "read_document", "read_text", "scan_folder"]

log = logging.getLogger(__name__)

# Part of the index fingerprint: what a file reads as. 2: PDFium and OCR for PDFs and images, .docx tables as
# blocks, .doc/.rtf/.odt through LibreOffice, legacy Vietnamese encodings. 3: Word text boxes and first-page
# header/footer; HTML charsets as browsers read them, TCVN3/VNI in web pages. 4: OCR drops coloured ink (seals,
# signatures) and noise lines.
READER_VERSION = "4"
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(
    {".txt", ".md", ".html", ".htm", ".pdf", ".docx"} | convert.CONVERT_EXTENSIONS | IMAGE_EXTENSIONS
)

MAX_DOCUMENT_CHARS = 2_000_000  # characters of one document's text (the settings' defaults: assistant/settings.py)
MAX_UNPACKED_BYTES = 200_000_000  # what one file may unpack to
# A zip member over the grace size that unpacks to more than this many times its packed size is a bomb
# (Apache POI's rule for Office files); real .docx parts stay under ~30:1.
ZIP_MAX_RATIO = 100
ZIP_RATIO_GRACE_BYTES = 1_000_000
DOCX_MIN_ELEMENTS = 100_000  # XML elements a .docx may hold at least (python-docx's own template has ~19,000)
_W_TEXT = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"


class UnsupportedTypeError(LoaderError):
    """A file of a type the index does not read."""


def _finish(text: str, path: Path) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).lstrip("\ufeff")
    if not text.strip():
        raise LoaderError(f"{path.name}: không có nội dung chữ (no text)")
    return text


def _check_length(text: str, path: Path, max_chars: int) -> str:
    if len(text) > max_chars:
        raise too_long(path, max_chars)
    return text


def _check_readable(text: str, path: Path) -> str:
    """Refuse decoded text that is mostly control or replacement characters (binary data named .txt)."""
    bad = sum(1 for c in text if c == "\ufffd" or (c not in "\t\n\r\f\v" and unicodedata.category(c) == "Cc"))
    if bad > max(2, len(text) // 100):
        raise LoaderError(f"{path.name}: nội dung không phải văn bản đọc được (binary or garbled content)")
    return text


# --- plain text -------------------------------------------------------------------------------


def _utf16_without_bom(data: bytes) -> str | None:
    """The UTF-16 byte order when the zero bytes sit on one side only (text without a BOM), else None."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0) / (len(data) / 2), data[1::2].count(0) / (len(data) / 2)
    if odd > 0.25 and even < 0.02:
        return "utf-16-le"
    if even > 0.25 and odd < 0.02:
        return "utf-16-be"
    return None


def _decode(data: bytes, path: Path) -> str:
    """Decode text bytes: UTF-8 (BOM or not), UTF-32/16 (BOM, or UTF-16 by its zero bytes), else the most
    plausible legacy code page; bytes with NULs that are none of these are binary and refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return data.decode("utf-32", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        enc = _utf16_without_bom(data)
        try:
            if enc:
                log.info("%s decoded as %s (no byte order mark)", path.name, enc)
                return data.decode(enc)
        except UnicodeDecodeError:
            pass
        raise LoaderError(f"{path.name}: tệp nhị phân, không phải văn bản (binary file, not text)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guess = guess_codepage(data)
    if guess is None:
        raise LoaderError(f"{path.name}: không nhận dạng được bảng mã (unknown text encoding)")
    text, enc, score = guess
    legacy = best_legacy_decoding(data, text)  # TCVN3/VNI bytes decode "without error" in every code page
    if legacy is not None:
        log.info("%s decoded as %s (Vietnamese legacy encoding)", path.name, legacy[1])
        return legacy[0]
    log.info("%s decoded as %s (plausibility %.2f)", path.name, enc, score)
    return text


# --- markdown ---------------------------------------------------------------------------------

_MD_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^[ \t]{0,3}(```|~~~).*$", re.M), ""),  # code fences (the code itself is kept)
    (re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*\S+.*$", re.M), ""),  # reference link definitions
    (re.compile(r"^[ \t]{0,3}([-*_])([ \t]*\1){2,}[ \t]*$", re.M), ""),  # horizontal rules
    # table rulers, then ATX headings (their text is kept)
    (re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.M), ""),
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)([ \t]+#+)?[ \t]*$", re.M), r"\1"),
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),  # block quotes
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images keep their alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # emphasis
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
]


def _strip_markdown(text: str) -> str:
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    return text


# --- pdf and docx -----------------------------------------------------------------------------


def _member(m: zipfile.ZipInfo) -> str:
    return " ".join(m.filename.split())[:60]  # the name is the file's: keep the message one short line


def _check_docx(path: Path, max_chars: int, max_bytes: int) -> None:
    """Refuse a .docx that would unpack to too much, before python-docx reads it whole into memory.

    The sizes the zip declares are checked first (their sum, and each member's compression ratio); zipfile
    then never decodes a Deflate or stored member past its declared size (a false size fails the CRC
    check), and other methods are refused, as zipfile decodes them in one piece. Last, the XML parts are
    streamed with lxml to count their text and elements, stopping at the limit, since python-docx keeps
    every element of them in memory.
    """
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        members = z.infolist()
        for m in members:
            if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise LoaderError(
                    f"{path.name}: kiểu nén không được hỗ trợ trong tệp Word "
                    f"(unsupported compression method {m.compress_type} in {_member(m)})"
                )
        total = sum(m.file_size for m in members)
        if total > max_bytes:
            raise too_big(path, "tệp Word", total, max_bytes)
        for m in members:
            if m.file_size > ZIP_RATIO_GRACE_BYTES and m.file_size > ZIP_MAX_RATIO * max(m.compress_size, 1):
                raise LoaderError(
                    f"{path.name}: tỉ lệ nén bất thường ({_member(m)}: "
                    f"{m.file_size // max(m.compress_size, 1):,}:1), nghi là bom giải nén "
                    "(compression ratio too high, possible zip bomb)"
                )
        max_elements = max(max_chars, DOCX_MIN_ELEMENTS)
        chars = elements = 0
        for m in members:
            if not m.filename.endswith((".xml", ".rels")):
                continue
            with z.open(m) as f:
                for _, el in etree.iterparse(f, events=("end",), resolve_entities=False, no_network=True):
                    elements += 1
                    if el.tag == _W_TEXT and el.text:
                        chars += len(el.text)
                    if chars > max_chars:
                        raise too_long(path, max_chars)
                    if elements > max_elements:
                        raise LoaderError(
                            f"{path.name}: tệp Word có quá nhiều phần tử XML (hơn {max_elements:,}; too many XML "
                            "elements for the text it holds, see ASSISTANT_MAX_DOCUMENT_CHARS)"
                        )
                    el.clear()  # keep the streamed tree empty: memory stays flat
                    parent = el.getparent()
                    while parent is not None and el.getprevious() is not None:
                        del parent[0]


def _docx_text(path: Path, max_chars: int, max_bytes: int) -> str:
    import docx

    try:
        _check_docx(path, max_chars, max_bytes)
        lines = office.docx_lines(docx.Document(str(path)))
    except LoaderError:
        raise
    except Exception as e:  # zipfile, lxml and python-docx errors on damaged files
        log.debug("python-docx failed on %s", path, exc_info=True)
        reason = one_line(e)
        raise LoaderError(f"{path.name}: không đọc được tệp Word (damaged or not a .docx: {reason})") from e
    return "\n".join(lines)


# --- public -----------------------------------------------------------------------------------


def _converted_text(path: Path, max_chars: int, max_bytes: int, convert_cache: Path | None) -> str:
    """A .doc, .rtf or .odt read through its LibreOffice conversion to .docx (limits checked on the .docx)."""
    with convert.converted_docx(path, convert_cache) as converted:
        try:
            text = _docx_text(converted, max_chars, max_bytes)
        except LoaderError as e:  # name the user's file, not the converted copy
            raise LoaderError(str(e).replace(converted.name, path.name)) from e
    # LibreOffice imports a damaged file as plain text in some guessed encoding: private-use and unassigned
    # code points then abound, where a real document has a few symbol-font bullets at most.
    odd = sum(1 for c in text if c == "\ufffd" or unicodedata.category(c) in ("Co", "Cn", "Cs"))
    if odd > max(5, len(text) // 30):
        raise LoaderError(f"{path.name}: nội dung không phải văn bản đọc được (binary or garbled content)")
    return text


def _unsupported(path: Path) -> UnsupportedTypeError:
    return UnsupportedTypeError(
        f"{path.name}: định dạng không hỗ trợ (unsupported file type '{path.suffix.lower() or path.name}')"
    )


def read_text(
    path: Path,
    max_chars: int = MAX_DOCUMENT_CHARS,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    convert_cache: Path | None = None,
    ocr: OcrEngine | None = None,
) -> str:
    """The raw text of one supported file; raises LoaderError for anything unreadable, empty, longer than
    `max_chars` characters or unpacking to more than `max_unpacked_bytes` (a .docx or PDF), and
    MissingToolError when a converter it needs is not installed. .doc, .rtf and .odt files are converted
    by LibreOffice; `convert_cache` is the folder that keeps conversions by content hash (None: none kept)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise _unsupported(path)
    try:
        if path.stat().st_size == 0:
            raise LoaderError(f"{path.name}: tệp rỗng (empty file)")
        if ext == ".pdf" or ext in IMAGE_EXTENSIONS:
            return read_document(path, max_chars, max_unpacked_bytes, ocr=ocr).text
        if ext == ".docx":
            return _check_length(_finish(_docx_text(path, max_chars, max_unpacked_bytes), path), path, max_chars)
        if ext in convert.CONVERT_EXTENSIONS:
            text = _converted_text(path, max_chars, max_unpacked_bytes, convert_cache)
            return _check_length(_finish(text, path), path, max_chars)
        data = path.read_bytes()
    except OSError as e:
        reason = e.strerror or one_line(e)
        raise LoaderError(f"{path.name}: không đọc được tệp (cannot read: {reason})") from e
    if ext in (".html", ".htm"):
        # `index.htmlpage` decodes a page as browsers do; text with NUL bytes (UTF-16, or binary) is ours to decode.
        html = _check_readable(_decode(data, path), path) if b"\x00" in data else data
        return _finish(_check_readable(_check_length(page_text(html, path.name), path, max_chars), path), path)
    text = _check_readable(_check_length(_decode(data, path), path, max_chars), path)
    return _finish(_strip_markdown(text) if ext == ".md" else text, path)


def read_document(
    path: Path,
    max_chars: int = MAX_DOCUMENT_CHARS,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    convert_cache: Path | None = None,
    ocr: OcrEngine | None = None,
) -> ReadResult:
    """`read_text` with how each page was read: PDFs (`index.pdf`) and images (`index.ocr`) are OCR'd where
    they need it with `ocr` (None: no OCR); other formats have no pages."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext != ".pdf" and ext not in IMAGE_EXTENSIONS:
        return ReadResult(read_text(path, max_chars, max_unpacked_bytes, convert_cache))
    try:
        if path.stat().st_size == 0:
            raise LoaderError(f"{path.name}: tệp rỗng (empty file)")
        if ext == ".pdf":
            result = read_pdf(path, max_chars, max_unpacked_bytes, ocr)
        else:
            result = read_image(path, ocr, max_chars, max_unpacked_bytes)
    except OSError as e:
        raise LoaderError(f"{path.name}: không đọc được tệp (cannot read: {e.strerror or one_line(e)})") from e
    return dataclasses.replace(result, text=_check_length(_finish(result.text, path), path, max_chars))


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")  # "~$x.docx" is an Office lock file


def scan_folder(root: Path) -> tuple[list[Path], list[tuple[Path, UnsupportedTypeError]]]:
    """(supported files, files of other types with the error naming them) under `root` (or `root` itself),
    each sorted; hidden files, Office lock files and folder links are left out of both."""
    root = Path(root)
    if not root.exists():
        raise LoaderError(f"Không tìm thấy {root} (not found)")
    if not root.is_dir():
        if root.suffix.lower() not in SUPPORTED_EXTENSIONS:
            raise _unsupported(root)
        return [root], []
    found: list[Path] = []
    other: list[Path] = []
    # followlinks=False: a symlinked folder is listed but not entered, so link loops cannot recur.
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not _hidden(d)]
        for name in filenames:
            path = Path(folder) / name
            if _hidden(name) or not path.is_file():
                continue
            (found if path.suffix.lower() in SUPPORTED_EXTENSIONS else other).append(path)

    def key(p: Path) -> str:
        return p.relative_to(root).as_posix()

    return sorted(found, key=key), [(p, _unsupported(p)) for p in sorted(other, key=key)]


def iter_files(root: Path) -> list[Path]:
    """Supported files under `root` (or `root` itself), sorted; skips hidden files and folder links."""
    return scan_folder(root)[0]
