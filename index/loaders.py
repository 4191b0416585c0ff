"""Read the raw text of one file (.txt, .md, .html, .pdf, .docx) and list the files of a folder.

Every failure becomes a `LoaderError` with a one-line message naming the file (Vietnamese first,
English in parentheses): the ingest reports it and goes on with the next file. Library exceptions
never leak, because pypdf and python-docx raise many kinds on damaged input.

A small file may unpack to a huge one (a .docx is a zip, PDF streams are compressed), so the size on
disk says little: `read_text` bounds what a file unpacks to (`max_unpacked_bytes`: the members of a
.docx, each PDF stream and the content of all pages) and the characters of its text (`max_chars`),
and checks a .docx before python-docx opens it (see `_check_docx`).

The text returned is NFC and uses "\n" line ends: that is a change of encoding, not of spelling, and
Windows-1258 files spell tone marks as combining characters.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

from index.errors import LoaderError

log = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".pdf", ".docx"})

MAX_DOCUMENT_CHARS = 2_000_000  # characters of one document's text (the settings' defaults: assistant/settings.py)
MAX_UNPACKED_BYTES = 200_000_000  # what one file may unpack to
# A zip member over the grace size that unpacks to more than this many times its packed size is a bomb
# (Apache POI's rule for Office files); real .docx parts stay under ~30:1.
ZIP_MAX_RATIO = 100
ZIP_RATIO_GRACE_BYTES = 1_000_000
DOCX_MIN_ELEMENTS = 100_000  # XML elements a .docx may hold at least (python-docx's own template has ~19,000)
_W_TEXT = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def _finish(text: str, path: Path) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).lstrip("\ufeff")
    if not text.strip():
        raise LoaderError(f"{path.name}: không có nội dung chữ (no text)")
    return text


def _too_long(path: Path, max_chars: int) -> LoaderError:
    return LoaderError(
        f"{path.name}: văn bản quá dài (hơn {max_chars:,} ký tự; document too long, see ASSISTANT_MAX_DOCUMENT_CHARS)"
    )


def _check_length(text: str, path: Path, max_chars: int) -> str:
    if len(text) > max_chars:
        raise _too_long(path, max_chars)
    return text


def _too_big(path: Path, what: str, size: int, max_bytes: int) -> LoaderError:
    return LoaderError(
        f"{path.name}: {what} giải nén quá lớn ({size / 1e6:.1f} MB > {max_bytes / 1e6:g} MB; "
        "unpacked size too large, see ASSISTANT_MAX_UNCOMPRESSED_MB)"
    )


def _check_readable(text: str, path: Path) -> str:
    """Refuse decoded text that is mostly control or replacement characters (binary data named .txt)."""
    bad = sum(1 for c in text if c == "\ufffd" or (c not in "\t\n\r\f\v" and unicodedata.category(c) == "Cc"))
    if bad > max(2, len(text) // 100):
        raise LoaderError(f"{path.name}: nội dung không phải văn bản đọc được (binary or garbled content)")
    return text


# --- plain text -------------------------------------------------------------------------------

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


def _plausibility(text: str) -> float:
    text = unicodedata.normalize("NFC", text)
    return sum(c in _EXPECTED for c in text) / max(len(text), 1)


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
    import charset_normalizer  # only needed for legacy files

    best = charset_normalizer.from_bytes(data).best()
    # charset_normalizer often calls short Western or Vietnamese text cp1250; also try the two code
    # pages Vietnamese Windows files actually use and keep the decoding made of expected letters.
    encodings = ([best.encoding] if best else []) + ["cp1258", "cp1252"]
    candidates: list[tuple[float, str]] = []
    for enc in encodings:
        try:
            candidates.append((_plausibility(data.decode(enc)), enc))
        except (UnicodeDecodeError, LookupError):
            continue
    if not candidates:
        raise LoaderError(f"{path.name}: không nhận dạng được bảng mã (unknown text encoding)")
    score, enc = max(candidates, key=lambda c: c[0])  # max keeps the first of equal scores
    log.info("%s decoded as %s (plausibility %.2f)", path.name, enc, score)
    return data.decode(enc)


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


# --- html -------------------------------------------------------------------------------------

_DROP_TAGS = ("script", "style", "nav", "header", "footer", "form", "noscript", "template", "iframe", "svg")
_PARAGRAPH_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "ul", "ol", "dl"}
_LINE_TAGS = {"br", "div", "li", "tr", "td", "th", "dt", "dd", "section", "article", "main", "aside", "hr"}
_PARA, _LINE = "\ue000", "\ue001"


def _html_text(data: bytes | str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(["head", *_DROP_TAGS]):
        tag.decompose()
    # Source line breaks are formatting, not structure: mark block edges with private-use characters,
    # collapse all whitespace, then turn the marks into line breaks.
    for tag in soup.find_all(True):
        if tag.name in _PARAGRAPH_TAGS:
            tag.insert_before(_PARA)
            tag.insert_after(_PARA)
        elif tag.name in _LINE_TAGS:
            tag.insert_after(_LINE)
    flat = " ".join(soup.get_text().split())
    text = flat.replace(_PARA, "\n\n").replace(_LINE, "\n")
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if title and not soup.find("h1") and title not in text:
        text = f"{title}\n\n{text}"  # a page without <h1> would otherwise lose its headline
    return text


# --- pdf and docx -----------------------------------------------------------------------------


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


def _page_content_bytes(page: object) -> int:
    """Decoded size of a page's content streams (pypdf keeps the decoded data: extraction does not decode again)."""
    from pypdf.generic import ArrayObject

    contents = page.get("/Contents")  # type: ignore[attr-defined]
    if contents is None:
        return 0
    contents = contents.get_object()
    streams = [s.get_object() for s in (contents if isinstance(contents, ArrayObject) else [contents])]
    return sum(len(s.get_data()) for s in streams if hasattr(s, "get_data"))  # anything else: extraction's affair


def _pdf_text(path: Path, max_chars: int, max_bytes: int) -> str:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    pages: list[str] = []
    chars = unpacked = 0
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
            # Page by page: one stream shown on every page is decoded once but counted each time, and the
            # extraction stops as soon as a limit is passed.
            for page in reader.pages:
                unpacked += _page_content_bytes(page)
                if unpacked > max_bytes:
                    raise _too_big(path, "nội dung các trang PDF", unpacked, max_bytes)
                pages.append(page.extract_text() or "")
                chars += len(pages[-1]) + 1
                if chars > max_chars:
                    raise _too_long(path, max_chars)
    except LoaderError:
        raise
    except LimitReachedError as e:  # a stream decodes to more than the limits allow
        log.debug("pypdf limit on %s", path, exc_info=True)
        raise LoaderError(
            f"{path.name}: dữ liệu nén trong PDF vượt giới hạn an toàn ({_one_line(e)}; "
            "PDF stream too large when decoded, see ASSISTANT_MAX_UNCOMPRESSED_MB)"
        ) from e
    except Exception as e:  # pypdf raises many kinds on damaged or exotic files
        log.debug("pypdf failed on %s", path, exc_info=True)
        if "crypt" in type(e).__name__.lower() or "decrypt" in str(e).lower():
            raise LoaderError(f"{path.name}: tệp PDF được mã hoá (encrypted), không mở được") from e
        reason = _one_line(e)
        raise LoaderError(f"{path.name}: không đọc được tệp PDF (damaged or not a PDF: {reason})") from e
    text = "\n".join(pages)
    if not text.strip():
        raise LoaderError(f"{path.name}: PDF không có lớp chữ, cần OCR (no text layer; needs OCR)")
    return text


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
            raise _too_big(path, "tệp Word", total, max_bytes)
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
                        raise _too_long(path, max_chars)
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
    from docx.table import Table

    def table_lines(table: Table) -> list[str]:
        out: list[str] = []
        seen: list[object] = []  # elements, not ids: python-docx makes short-lived proxies
        for row in table.rows:
            for cell in row.cells:
                if any(cell._tc is tc for tc in seen):  # a merged cell comes once per grid position
                    continue
                seen.append(cell._tc)
                out.extend(p.text for p in cell.paragraphs)
                for inner in cell.tables:
                    out.extend(table_lines(inner))
        return out

    try:
        _check_docx(path, max_chars, max_bytes)
        document = docx.Document(str(path))
        lines: list[str] = []
        for block in document.iter_inner_content():
            lines.extend(table_lines(block) if isinstance(block, Table) else [block.text])
    except LoaderError:
        raise
    except Exception as e:  # zipfile, lxml and python-docx errors on damaged files
        log.debug("python-docx failed on %s", path, exc_info=True)
        reason = _one_line(e)
        raise LoaderError(f"{path.name}: không đọc được tệp Word (damaged or not a .docx: {reason})") from e
    return "\n".join(lines)


# --- public -----------------------------------------------------------------------------------


def read_text(path: Path, max_chars: int = MAX_DOCUMENT_CHARS, max_unpacked_bytes: int = MAX_UNPACKED_BYTES) -> str:
    """The raw text of one supported file; raises LoaderError for anything unreadable, empty, longer than
    `max_chars` characters or unpacking to more than `max_unpacked_bytes` (a .docx or PDF)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise LoaderError(f"{path.name}: định dạng không hỗ trợ (unsupported file type '{ext or path.name}')")
    try:
        if path.stat().st_size == 0:
            raise LoaderError(f"{path.name}: tệp rỗng (empty file)")
        if ext == ".pdf":
            return _check_length(_finish(_pdf_text(path, max_chars, max_unpacked_bytes), path), path, max_chars)
        if ext == ".docx":
            return _check_length(_finish(_docx_text(path, max_chars, max_unpacked_bytes), path), path, max_chars)
        data = path.read_bytes()
    except OSError as e:
        reason = e.strerror or _one_line(e)
        raise LoaderError(f"{path.name}: không đọc được tệp (cannot read: {reason})") from e
    if ext in (".html", ".htm"):
        # bs4 honours <meta charset>; text with NUL bytes (UTF-16, or binary) is decoded by us first.
        html = _check_readable(_decode(data, path), path) if b"\x00" in data else data
        return _finish(_check_readable(_check_length(_html_text(html), path, max_chars), path), path)
    text = _check_readable(_check_length(_decode(data, path), path, max_chars), path)
    return _finish(_strip_markdown(text) if ext == ".md" else text, path)


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")  # "~$x.docx" is an Office lock file


def iter_files(root: Path) -> list[Path]:
    """Supported files under `root` (or `root` itself), sorted; skips hidden files and folder links."""
    root = Path(root)
    if not root.exists():
        raise LoaderError(f"Không tìm thấy {root} (not found)")
    if not root.is_dir():
        if root.suffix.lower() not in SUPPORTED_EXTENSIONS:
            raise LoaderError(f"{root.name}: định dạng không hỗ trợ (unsupported file type '{root.suffix}')")
        return [root]
    found: list[Path] = []
    # followlinks=False: a symlinked folder is listed but not entered, so link loops cannot recur.
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not _hidden(d)]
        for name in filenames:
            path = Path(folder) / name
            if not _hidden(name) and path.suffix.lower() in SUPPORTED_EXTENSIONS and path.is_file():
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())
