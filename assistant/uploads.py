"""Uploaded files as hostile input: read from the request in a stream, named safely, typed by content, stored.

- `read_multipart` streams a multipart body into temporary files under `<data_dir>/tmp/uploads` (never the
  whole body in memory), hashing each file as it arrives; a file over its size limit is dropped while it
  streams, and a body over the request limit stops the read (`UploadError`, HTTP 413).
- `safe_name` turns the name a client sent into one plain file name (no folder, no control character, NFC,
  bounded length); it is used as a path component only inside the folder `UploadStore` made for the file.
- `check_content` decides the type from the bytes (magic numbers, the parts of a zip, the streams of an OLE2
  file, decoding for text) and refuses a file whose extension disagrees, an empty file, a polyglot (a PDF
  that is also a zip, a zip that a PDF reader would open), a zip that unpacks to too much, and a PDF of too
  many pages. The index's readers then apply their own limits (`index.loaders`, `index.pdf`).
- `UploadStore` keeps originals content-addressed: `<data_dir>/uploads/<sha256>/<name>`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import unicodedata
import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header

from index.loaders import SUPPORTED_EXTENSIONS, ZIP_MAX_RATIO, ZIP_RATIO_GRACE_BYTES

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 120  # characters of a stored file name, extension included
MAX_NAME_BYTES = 200  # and its UTF-8 bytes (Vietnamese letters take 2-3)
MAX_FIELD_BYTES = 4096  # a form field that is not a file (`replace=<doc id>`)
SNIFF_BYTES = 8192
_UNSAFE = re.compile(r"[^\w .()+,-]+")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Extension -> the kind its content must be.
KIND_OF_EXTENSION = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".odt": "odt",
    ".doc": "doc",
    ".rtf": "rtf",
    ".txt": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".tif": "tiff",
    ".tiff": "tiff",
}
assert set(KIND_OF_EXTENSION) == set(SUPPORTED_EXTENSIONS), "every readable type needs a content check"
KIND_LABEL = {
    "pdf": "PDF",
    "docx": "Word (.docx)",
    "odt": "OpenDocument (.odt)",
    "doc": "Word 97-2003 (.doc)",
    "rtf": "RTF",
    "text": "văn bản thuần (text)",
    "html": "trang HTML",
    "png": "ảnh PNG",
    "jpeg": "ảnh JPEG",
    "tiff": "ảnh TIFF",
    "zip": "tệp nén zip",
    "binary": "dữ liệu nhị phân (binary)",
}


class UploadError(Exception):
    """A file (or request) refused; the message is one line, Vietnamese first. `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Incoming:
    """One file part of an upload, as received: its temporary copy, hash and size, or why it was dropped."""

    name: str  # the client's file name, as sent (for messages and the audit log; never a path)
    path: Path | None = None
    size: int = 0
    sha256: str = ""
    error: str = ""
    digest: Any = field(default_factory=hashlib.sha256, repr=False)


def safe_name(raw: str) -> str:
    """A plain file name from a client's name: last path part only, NFC, no control or shell characters,
    no leading dot, at most `MAX_NAME_CHARS` characters and `MAX_NAME_BYTES` bytes, extension kept (lower case).

    >>> safe_name("..\\\\..\\\\Kế hoạch\\x00 2025.PDF")
    'Kế hoạch 2025.pdf'
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = " ".join(_UNSAFE.sub("_", name).split())
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.lstrip(". ~$_").rstrip(". ") or "tai-lieu"
    ext = ext.lower()[:10]
    stem = stem[: MAX_NAME_CHARS - len(ext) - 1]
    while len(stem.encode()) + len(ext) + 1 > MAX_NAME_BYTES:  # file systems count bytes (255 at most)
        stem = stem[:-1]
    stem = stem.rstrip(". ") or "tai-lieu"
    return f"{stem}.{ext}" if ext else stem


def _label(kind: str) -> str:
    return KIND_LABEL.get(kind, kind)


def sniff(path: Path) -> str:
    """The kind of a file from its bytes (see `KIND_OF_EXTENSION`), "zip" for another zip, "binary" for
    anything else that is not text."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(_OLE2):
        return "doc" if _has_word_stream(path) else "binary"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    return _text_kind(head)


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return "docx"
            if "mimetype" in names and z.read("mimetype")[:64].strip() == b"application/vnd.oasis.opendocument.text":
                return "odt"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
        return "binary"
    return "zip"


def _has_word_stream(path: Path) -> bool:
    """Whether an OLE2 file has a "WordDocument" stream (a .doc; an .xls or .msg has none)."""
    needle = "WordDocument".encode("utf-16-le")
    tail = b""
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            if needle in tail + block:
                return True
            tail = block[-len(needle) :]
    return False


def _text_kind(head: bytes) -> str:
    """ "text" or "html" when the first bytes decode as text (UTF-8/16/32 with BOM, UTF-8, or a legacy code
    page without NUL bytes), else "binary"."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    elif head.startswith(b"\xef\xbb\xbf"):
        text = head[3:].decode("utf-8", errors="ignore")
    elif b"\x00" in head:
        return "binary"
    else:
        text = head.decode("utf-8", errors="ignore") if _utf8_prefix(head) else head.decode("cp1258", errors="replace")
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v")
    if controls > max(2, len(text) // 100):
        return "binary"
    start = text.lstrip().lower()
    return "html" if start.startswith(("<!doctype html", "<html", "<head", "<body", "<meta", "<!--")) else "text"


def _utf8_prefix(head: bytes) -> bool:
    """Whether `head` is UTF-8 (a character cut at the end of the sample allowed)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(head) - 3
    return True


def check_content(path: Path, name: str, *, max_unpacked_bytes: int, max_pages: int) -> str:
    """The kind of an uploaded file whose stored name is `name`; raises `UploadError` with a one-line message
    when the extension is not readable or disagrees with the content, or the file is empty, a polyglot, a zip
    that unpacks to too much or a PDF of too many pages."""
    ext = Path(name).suffix.lower()
    if ext not in KIND_OF_EXTENSION:
        raise UploadError(f"{name}: loại tệp không được hỗ trợ (unsupported file type «{ext or 'no extension'}»)")
    size = path.stat().st_size
    if size == 0:
        raise UploadError(f"{name}: tệp rỗng (empty file)")
    kind = sniff(path)
    want = KIND_OF_EXTENSION[ext]
    if kind != want and not (want == "text" and kind == "html" and ext == ".md"):
        raise UploadError(
            f"{name}: nội dung là {_label(kind)}, không khớp đuôi tệp {ext} "
            f"(content is {kind}, not {want}: extension and content disagree)"
        )
    if kind == "pdf":
        _check_pdf(path, name, max_pages)
    if kind in ("docx", "odt"):
        _check_zip(path, name, max_unpacked_bytes)
    return kind


def _check_pdf(path: Path, name: str, max_pages: int) -> None:
    """Refuse a PDF that is also a zip (a polyglot) or has more pages than `max_pages` (declared or real)."""
    if zipfile.is_zipfile(path):
        raise UploadError(f"{name}: tệp vừa là PDF vừa là tệp nén zip (polyglot file refused)")
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            return  # the reader says whether it opens (`index.pdf`)
        tree: Any = reader.root_object["/Pages"].get_object()
        declared = int(tree.get("/Count", 0))
        if declared > max_pages or len(reader.pages) > max_pages:
            raise UploadError(
                f"{name}: PDF có quá nhiều trang ({max(declared, len(reader.pages)):,} > {max_pages:,}; "
                "too many pages, see ASSISTANT_UPLOAD_MAX_PAGES)"
            )
    except UploadError:
        raise
    except Exception as e:  # pypdf raises many kinds on damaged files
        log.debug("pypdf failed on upload %s", name, exc_info=True)
        raise UploadError(f"{name}: không đọc được tệp PDF (damaged or not a PDF)") from e


def _check_zip(path: Path, name: str, max_bytes: int) -> None:
    """Refuse a zip a PDF reader would open too (%PDF in its first KB), or whose members declare more than
    `max_bytes` in all, or one member packed over `ZIP_MAX_RATIO`:1 (a zip bomb)."""
    with open(path, "rb") as f:
        if b"%PDF" in f.read(1024):
            raise UploadError(f"{name}: tệp vừa là zip vừa là PDF (polyglot file refused)")
    try:
        with zipfile.ZipFile(path) as z:
            total = 0
            for m in z.infolist():
                total += m.file_size
                big = m.file_size > ZIP_RATIO_GRACE_BYTES
                if total > max_bytes or (big and m.file_size > ZIP_MAX_RATIO * max(m.compress_size, 1)):
                    raise UploadError(
                        f"{name}: tệp nén giải ra quá lớn ({total / 1e6:.1f} MB hoặc tỉ lệ nén quá cao; "
                        "zip bomb refused, see ASSISTANT_MAX_UNCOMPRESSED_MB)"
                    )
    except zipfile.BadZipFile as e:
        raise UploadError(f"{name}: tệp nén hỏng (damaged zip)") from e


class _Parts:
    """The callbacks of python-multipart's streaming parser: file parts named `files` into temporary files,
    other fields into `fields` (each at most `MAX_FIELD_BYTES`)."""

    def __init__(self, folder: Path, max_file_bytes: int, max_files: int) -> None:
        self.folder, self.max_file_bytes, self.max_files = folder, max_file_bytes, max_files
        self.files: list[Incoming] = []
        self.fields: dict[str, str] = {}
        self._header, self._value = b"", b""
        self._name, self._filename = "", None  # type: str, str | None
        self._item: Incoming | None = None
        self._data: bytearray | None = None
        self._out: BinaryIO | None = None

    def callbacks(self) -> dict[str, Any]:
        """The callback table of `MultipartParser`."""
        names = ("part_begin", "header_field", "header_value", "header_end", "headers_finished", "part_data")
        return {f"on_{n}": getattr(self, f"on_{n}") for n in (*names, "part_end")}

    def on_part_begin(self) -> None:
        self._name, self._filename, self._item, self._data = "", None, None, None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD_BYTES:
            raise UploadError("Tiêu đề của một phần quá dài (multipart header too long).")

    def on_header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            _, options = parse_options_header(self._value)
            self._name = options.get(b"name", b"").decode("utf-8", "replace")
            if b"filename" in options:
                self._filename = options[b"filename"].decode("utf-8", "replace")
        self._header, self._value = b"", b""

    def on_headers_finished(self) -> None:
        if self._filename is None or self._name != "files":
            self._data = bytearray()
            return
        if len(self.files) >= self.max_files:
            raise UploadError(f"Quá nhiều tệp trong một lần tải, tối đa {self.max_files} (too many files).", 413)
        self._item = Incoming(self._filename, self.folder / uuid.uuid4().hex)
        self.files.append(self._item)
        assert self._item.path is not None
        self._out = open(self._item.path, "wb")  # noqa: SIM115  (closed by close())

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        item = self._item
        if item is None:
            if self._data is not None:
                self._data += data[start:end]
                if len(self._data) > MAX_FIELD_BYTES:
                    raise UploadError("Một trường của biểu mẫu quá dài (form field too long).")
            return
        item.size += end - start
        if item.error:
            return
        if item.size > self.max_file_bytes:  # dropped while streaming: the rest of the part is not kept
            self.close()
            discard([item])
            item.error = f"{item.name}: tệp quá lớn (hơn {self.max_file_bytes / 1e6:g} MB; file too large)"
            return
        item.digest.update(data[start:end])
        assert self._out is not None
        self._out.write(data[start:end])

    def on_part_end(self) -> None:
        if self._item is not None:
            self.close()
            self._item.sha256 = self._item.digest.hexdigest()
        elif self._data is not None and self._name:
            self.fields[self._name] = self._data.decode("utf-8", "replace")

    def close(self) -> None:
        """Close the file being written, if any."""
        if self._out is not None:
            self._out.close()
            self._out = None


async def read_multipart(
    stream: AsyncIterator[bytes],
    boundary: bytes,
    folder: Path,
    *,
    max_file_bytes: int,
    max_total_bytes: int,
    max_files: int,
) -> tuple[list[Incoming], dict[str, str]]:
    """Stream a multipart body: file parts named `files` into temporary files in `folder`, other fields (each
    at most `MAX_FIELD_BYTES`) into a dict. Raises `UploadError` (413) past `max_total_bytes` or `max_files`,
    deleting the files written so far; a file over `max_file_bytes` is kept as an `Incoming` with its error."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = _Parts(folder, max_file_bytes, max_files)
    parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]
    total = 0
    try:
        async for chunk in stream:
            total += len(chunk)
            if total > max_total_bytes:
                raise UploadError(
                    f"Nội dung tải lên quá lớn, tối đa {max_total_bytes / 1e6:g} MB mỗi lần (request body too large).",
                    413,
                )
            parser.write(chunk)
        parser.finalize()
    except BaseException as e:
        parts.close()
        discard(parts.files)
        if isinstance(e, UploadError) or not isinstance(e, Exception):
            raise
        log.info("malformed multipart body: %s", e)
        raise UploadError("Nội dung tải lên không đúng dạng multipart/form-data (malformed upload).") from e
    return parts.files, parts.fields


def discard(files: list[Incoming]) -> None:
    """Delete the temporary copies of `files`."""
    for item in files:
        if item.path is not None:
            item.path.unlink(missing_ok=True)
            item.path = None


class UploadStore:
    """Originals of uploaded documents, content-addressed: `<root>/<sha256>/<name>`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, temp: Path, sha256: str, name: str) -> Path:
        """Move a checked temporary file into its folder; `name` must be a `safe_name`."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256) or name != safe_name(name) or name in (".", ".."):
            raise ValueError("not a content hash or a safe name")
        folder = self.root / sha256
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        if not target.resolve().is_relative_to(self.root.resolve()):
            raise ValueError("stored path outside the upload folder")
        os.replace(temp, target)
        return target

    def owns(self, path: str | Path) -> bool:
        """Whether `path` is a stored original (inside a content folder of this store)."""
        real = Path(os.path.realpath(path))
        root = Path(os.path.realpath(self.root))
        return real.is_relative_to(root) and real.parent.parent == root

    def delete(self, path: str | Path) -> None:
        """Delete a stored original and its content folder; paths outside the store are left alone."""
        if self.owns(path):
            shutil.rmtree(Path(os.path.realpath(path)).parent, ignore_errors=True)
