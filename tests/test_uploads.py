"""Uploads as hostile input (issue 15): names, types by content, size and unpacked-size limits, PDF page bombs,
polyglots, empty files, duplicates, a file that fails half-way, and the streaming body limits. Each refusal is
one line, and nothing else in the index changes."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import asyncio
import io
import socket
import unicodedata
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from assistant.admin_jobs import Library
from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from assistant.uploads import Incoming, UploadError, check_content, read_multipart, safe_name, sniff
from tests.conftest import BA_DINH_2025, CORPUS
from tests.test_admin import ADMIN, TOKEN, docx_bytes, manifest, one_line, plan_text, upload
from tests.test_api import build_toy_index, toy_settings

pytestmark = pytest.mark.integration  # real servers on 127.0.0.1

FIXTURES = Path(__file__).parent / "fixtures"
LIMITS = {"max_unpacked_bytes": 1_000_000, "max_pages": 3}


def blank_pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(200, 200)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def lying_pdf(count: int) -> bytes:
    """A one-page PDF whose page tree declares `count` pages."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count " + str(count).encode() + b" >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def docx_with(extra: dict[str, bytes], first: str = "") -> bytes:
    """A real .docx with more members (`first` written before the others)."""
    src = zipfile.ZipFile(io.BytesIO(docx_bytes("Kế hoạch thử.")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if first:
            z.writestr(first, b"x")
        for info in src.infolist():
            z.writestr(info, src.read(info))
        for name, data in extra.items():
            z.writestr(name, data)
    return buf.getvalue()


# ---------------------------------------------------------------- names and types (no server)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../x.pdf", "x.pdf"),
        ("/etc/cron.d/job.txt", "job.txt"),
        ("..\\..\\windows\\evil.txt", "evil.txt"),
        ("a\x00b.txt", "ab.txt"),
        ("..", "tai-lieu"),
        (".bashrc.txt", "bashrc.txt"),
        ("~$lock.docx", "lock.docx"),
        ("KẾ HOẠCH <script>.PDF", "KẾ HOẠCH _script_.pdf"),
        ("", "tai-lieu"),
    ],
)
def test_safe_name_is_one_plain_file_name(raw: str, expected: str) -> None:
    assert safe_name(raw) == expected


def test_safe_name_bounds_length_and_normalises_unicode() -> None:
    long = safe_name("ế" * 400 + ".docx")
    assert len(long) <= 120 and len(long.encode()) <= 200 and long.endswith(".docx")
    nfd = unicodedata.normalize("NFD", "Kế hoạch Đa Kao.txt")
    assert safe_name(nfd) == unicodedata.normalize("NFC", nfd) != nfd


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("a.pdf", (FIXTURES / "ke_hoach.pdf").read_bytes(), "pdf"),
        ("a.docx", (FIXTURES / "ke_hoach.docx").read_bytes(), "docx"),
        ("a.txt", plan_text("Một"), "text"),
        ("a.html", (FIXTURES / "tin_tuc.html").read_bytes(), "html"),
        ("a.txt", "KẾ HOẠCH".encode("utf-16"), "text"),
    ],
)
def test_content_agrees_with_extension(tmp_path: Path, name: str, data: bytes, kind: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    assert check_content(path, name, **LIMITS) == kind


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("a.docx", (FIXTURES / "ke_hoach.pdf").read_bytes(), "content is pdf, not docx"),
        ("a.pdf", plan_text("Hai"), "content is text, not pdf"),
        ("a.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" * 50, "content is binary, not text"),
        ("a.txt", (FIXTURES / "tin_tuc.html").read_bytes(), "content is html, not text"),
        ("a.docx", b"PK\x03\x04" + b"\x00" * 100, "content is binary"),
        ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "content is binary, not doc"),
        ("a.exe", b"MZ", "unsupported file type"),
        ("a.txt", b"", "empty file"),
    ],
)
def test_content_that_disagrees_is_refused_in_one_line(tmp_path: Path, name: str, data: bytes, words: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    with pytest.raises(UploadError) as e:
        check_content(path, name, **LIMITS)
    assert words in str(e.value) and one_line(str(e.value))


def test_plain_zip_named_docx_is_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    path = tmp_path / "f"
    path.write_bytes(buf.getvalue())
    assert sniff(path) == "zip"
    with pytest.raises(UploadError, match="content is zip, not docx"):
        check_content(path, "a.docx", **LIMITS)


# ---------------------------------------------------------------- the streaming reader (no server)


async def _chunks(n: int, size: int, seen: list[int]) -> AsyncIterator[bytes]:
    for _ in range(n):
        seen.append(1)
        yield b"x" * size


def test_request_limit_stops_the_read_and_leaves_no_file(tmp_path: Path) -> None:
    head = b'--B\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\n'

    async def body(seen: list[int]) -> AsyncIterator[bytes]:
        yield head
        async for c in _chunks(10_000, 65_536, seen):  # 655 MB if read whole
            yield c

    seen: list[int] = []
    with pytest.raises(UploadError) as e:
        asyncio.run(
            read_multipart(body(seen), b"B", tmp_path, max_file_bytes=10**9, max_total_bytes=1_000_000, max_files=5)
        )
    assert e.value.status == 413 and one_line(str(e.value))
    assert len(seen) <= 17  # stopped at the limit: ~1 MB read of 655 MB
    assert list(tmp_path.iterdir()) == []


def test_file_over_its_limit_is_dropped_while_streaming(tmp_path: Path) -> None:
    big = b"y" * 300_000
    body = (
        b'--B\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n' + big + b"\r\n"
        b'--B\r\nContent-Disposition: form-data; name="files"; filename="ok.txt"\r\n\r\nxin chao\r\n'
        b'--B\r\nContent-Disposition: form-data; name="replace"\r\n\r\nabc.txt\r\n--B--\r\n'
    )

    async def stream() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 4096):
            yield body[i : i + 4096]

    files, fields = asyncio.run(
        read_multipart(stream(), b"B", tmp_path, max_file_bytes=100_000, max_total_bytes=10**7, max_files=5)
    )
    assert [f.name for f in files] == ["big.txt", "ok.txt"] and fields == {"replace": "abc.txt"}
    assert files[0].path is None and "file too large" in files[0].error and one_line(files[0].error)
    assert files[1].path is not None and files[1].path.read_bytes() == b"xin chao" and files[1].size == 8
    assert len(list(tmp_path.iterdir())) == 1


# ---------------------------------------------------------------- hostile uploads through the server


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return toy_settings(
        build_toy_index(tmp_path_factory.mktemp("uploads")),
        admin_token=TOKEN,
        reload_check_s=0.2,
        max_file_mb=0.2,
        max_uncompressed_mb=1.0,
        upload_max_pages=3,
        upload_max_files=3,
        max_document_chunks=30,
        ocr="off",
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[httpx.Client]:
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        yield c


def _index_files(settings: Settings) -> dict[str, bytes]:
    d = settings.index_dir
    return {p.name: p.read_bytes() for p in (d / "manifest.json", d / "chunks.jsonl")}


def refused(client: httpx.Client, settings: Settings, name: str, data: bytes, words: str, replace: str = "") -> str:
    """Upload a file that must fail: one-line message with `words`, index files unchanged, nothing stored."""
    before = _index_files(settings)
    stored_before = (
        sorted((settings.data_dir / "uploads").rglob("*")) if (settings.data_dir / "uploads").exists() else []
    )
    job = upload(client, name, data, replace=replace)
    assert job["status"] == "failed" and job["progress"] == 1.0, job
    assert words in job["message"] and one_line(job["message"]), job["message"]
    assert _index_files(settings) == before
    uploads = settings.data_dir / "uploads"
    assert (sorted(uploads.rglob("*")) if uploads.exists() else []) == stored_before
    assert not any((settings.data_dir / "tmp" / "uploads").iterdir())
    return str(job["message"])


def test_path_names_are_stored_as_plain_names(client: httpx.Client, settings: Settings) -> None:
    for i, raw in enumerate(["../../thoat-ra.txt", "/etc/tuyet-doi.txt", "..\\..\\gach-nguoc.txt"]):
        job = upload(client, raw, plan_text(f"Tên {i}"))
        assert job["status"] == "done", job
        stored = Path(manifest(settings)["documents"][job["doc_id"]]["path"])
        assert stored.resolve().parent.parent == (settings.data_dir / "uploads").resolve()
        assert "/" not in job["doc_id"] and "\\" not in job["doc_id"] and not job["doc_id"].startswith(".")
    assert not (settings.data_dir.parent / "thoat-ra.txt").exists() and not Path("/etc/tuyet-doi.txt").exists()
    long = upload(client, "ờ" * 300 + ".txt", plan_text("Dài"))
    assert long["status"] == "done" and len(long["doc_id"].encode()) <= 200


def test_extension_must_agree_with_content(client: httpx.Client, settings: Settings) -> None:
    refused(client, settings, "ke-hoach.docx", (FIXTURES / "ke_hoach.pdf").read_bytes(), "extension and content")
    refused(client, settings, "chuong-trinh.txt", b"MZ\x90\x00" + bytes(range(256)) * 4, "content is binary")


def test_empty_file(client: httpx.Client, settings: Settings) -> None:
    refused(client, settings, "rong.txt", b"", "empty file")


def test_file_over_the_size_limit(client: httpx.Client, settings: Settings) -> None:
    refused(client, settings, "lon.txt", plan_text("Lớn", "Một câu dài. " * 20_000), "file too large")


def test_request_over_its_limit_is_refused_before_reading(client: httpx.Client, settings: Settings) -> None:
    url = httpx.URL(str(client.base_url))
    with socket.create_connection((url.host, url.port)) as sock:  # declares 1 GB, sends a few bytes
        sock.sendall(
            b"POST /api/documents HTTP/1.1\r\nHost: x\r\nX-Admin-Token: " + TOKEN.encode() + b"\r\n"
            b"Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 1000000000\r\n\r\n--B\r\n"
        )
        sock.settimeout(30)
        reply = b""
        while b"too large" not in reply and (chunk := sock.recv(65536)):
            reply += chunk
    text = reply.decode("utf-8", "replace")
    assert text.startswith("HTTP/1.1 413") and "request body too large" in text

    def endless() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield b'--B\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\n'
        for _ in range(2000):
            yield b"x" * 65_536

    r = client.post(
        "api/documents", headers={**ADMIN, "Content-Type": "multipart/form-data; boundary=B"}, content=endless()
    )
    assert r.status_code == 413 and one_line(r.json()["error"])
    many = client.post("api/documents", headers=ADMIN, files=[("files", (f"{i}.txt", b"x")) for i in range(4)])
    assert many.status_code == 413 and "too many files" in many.json()["error"]
    assert not any((settings.data_dir / "tmp" / "uploads").iterdir())


def test_zip_bomb_docx(client: httpx.Client, settings: Settings) -> None:
    bomb = docx_with({"word/media/bom.bin": b"\x00" * 5_000_000})
    assert len(bomb) < 200_000  # small on disk
    refused(client, settings, "bom.docx", bomb, "zip bomb refused")


def test_pdf_page_bombs(client: httpx.Client, settings: Settings) -> None:
    refused(client, settings, "nhieu-trang.pdf", blank_pdf(5), "too many pages")
    refused(client, settings, "khai-gian.pdf", lying_pdf(10_000_000), "too many pages")


def test_polyglots(client: httpx.Client, settings: Settings) -> None:
    pdf_zip = (FIXTURES / "ke_hoach.pdf").read_bytes() + docx_bytes("phần zip")
    refused(client, settings, "da-dang.pdf", pdf_zip, "polyglot")
    zip_pdf = docx_with({}, first="%PDF-1.7 x.xml")
    refused(client, settings, "da-dang.docx", zip_pdf, "polyglot")


def test_duplicate_under_another_name_is_not_indexed_twice(client: httpx.Client, settings: Settings) -> None:
    message = refused(client, settings, "ban-sao-ba-dinh.txt", (CORPUS / BA_DINH_2025).read_bytes(), "duplicate")
    assert BA_DINH_2025 in message


def test_file_failing_half_way_changes_nothing(client: httpx.Client, settings: Settings) -> None:
    # passes every check, stored, then the reader finds no text (OCR off): the sync stops before any write
    refused(client, settings, "trang-trang.pdf", blank_pdf(1), "needs OCR")
    # a replacement that fails leaves the replaced document in place
    refused(client, settings, "trang-trang.pdf", blank_pdf(2), "needs OCR", replace=BA_DINH_2025)
    assert BA_DINH_2025 in manifest(settings)["documents"]
    # one of too many chunks, as a replacement: the replaced document stays too
    long = "\n\n".join(
        f"{i}. Tổ chức hội nghị dân vận lần thứ {i} tại phường Bến Nghé với nhiều nội dung." for i in range(400)
    )
    refused(client, settings, "dai-qua.txt", plan_text("Dài Quá", long), "too many chunks", replace=BA_DINH_2025)
    assert BA_DINH_2025 in manifest(settings)["documents"]


def test_index_built_with_other_settings_is_not_rebuilt_by_an_upload(settings: Settings, tmp_path: Path) -> None:
    other = settings.model_copy(update={"chunk_max_tokens": 100})
    before = _index_files(settings)
    temp = tmp_path / "in"
    temp.write_bytes(plan_text("Khác"))
    item = Incoming("khac.txt", temp, len(plan_text("Khác")))
    item.digest.update(plan_text("Khác"))
    item.sha256 = item.digest.hexdigest()
    job = Library(other).submit_upload([item], "", "test")[0]
    assert job.done.wait(60)
    assert job.status == "failed" and "index built with other settings" in job.message and one_line(job.message)
    assert _index_files(settings) == before
