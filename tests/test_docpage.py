"""The document page (/tai-lieu/{doc_id}) a card's «Xem toàn văn» opens, the Word export of a conversation, and
what a source card shows (type, number, title; file name secondary). Real server on 127.0.0.1, toy index."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import html
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urljoin

import docx
import httpx
import pytest

from assistant.api import MAX_EXPORT_BYTES
from assistant.docpage import Original, headings, ocr_pages, parse_spans, render_document_page
from assistant.engine import Assistant
from assistant.render import doc_heading, doc_name, render_answer, vi_only
from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from index.types import Chunk, DocMeta
from tests.conftest import GO_VAP_2010
from tests.test_api import QUARTERLY, XSS_SOURCE, build_toy_index, toy_settings

TOKEN = "docpage-token-123"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return toy_settings(build_toy_index(tmp_path_factory.mktemp("docpage")))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[httpx.Client]:
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        yield c


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_names_of_documents() -> None:
    plan = DocMeta(title="Thực hiện “Năm Dân vận của chính quyền”", number="08/KH-UBND", kind="KẾ HOẠCH")
    assert doc_name(plan) == "Kế hoạch 08/KH-UBND"
    assert doc_heading(plan) == "Kế hoạch 08/KH-UBND — Thực hiện “Năm Dân vận của chính quyền”"
    news = DocMeta(title="Quận Đống Đa tăng cường công tác dân vận", number="1186-TB/TU", kind="tin tức")
    assert doc_heading(news) == "Tin tức — Quận Đống Đa tăng cường công tác dân vận"  # the number is another's
    assert doc_heading(DocMeta(), "a.txt") == "a.txt"
    assert vi_only("Không có văn bản «x» trong kho (no such document).") == "Không có văn bản «x» trong kho."
    assert vi_only("Năm lọc phải từ 1900 (nhận được: «abc»).") == "Năm lọc phải từ 1900 (nhận được: «abc»)."


@pytest.mark.integration
def test_card_names_the_document_and_opens_it_at_the_quote(settings: Settings, client: httpx.Client) -> None:
    """The card's heading is type, number and title; the file name is secondary; «Xem toàn văn» opens the
    document page at the passage, where the cited sentence is marked."""
    answer = Assistant.open(settings).ask("Kế hoạch của quận Gò Vấp năm 2010 do ai ký?")
    c = next(c for c in answer.citations if c.source == GO_VAP_2010)
    page = render_answer(answer, "k1")
    assert '<span class="tl-title">Kế hoạch 08/KH&#45;UBND — ' in page  # esc() turns "-" into an entity
    link = re.search(r'<a class="tl-open" href="([^"]+)"', page)
    assert link
    url = html.unescape(link.group(1))
    n = c.chunk_id.split("#")[1]
    assert url.startswith(f"tai-lieu/{quote(c.doc_id, safe='')}?hl=") and url.endswith(f"#c{n}")
    r = client.get("/" + url.split("#")[0])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp  # no script may run
    body = r.text
    assert '<html lang="vi">' in body and "<h1>Kế hoạch 08/KH-UBND — " in body
    assert f'<section id="c{n}">' in body
    s, e = c.quotes[0]
    marked = " ".join(_text(" ".join(re.findall(r"<mark>(.*?)</mark>", body, flags=re.S))).split())
    assert " ".join(c.text[s:e].split()) in marked
    doc_text = "".join(ch.text for ch in Assistant.open(settings).index.doc_chunks(c.doc_id))
    shown = "".join(_text(s) for s in re.findall(r"<section id=\"c\d+\">(.*?)</section>", body, flags=re.S))
    assert c.text.split()[0] in shown and len(shown) <= len(doc_text)  # each overlap shown once


@pytest.mark.integration
def test_document_page_takes_ids_from_the_manifest_only(client: httpx.Client, settings: Settings) -> None:
    """Only a manifest id opens a document: paths, traversal and other files are 404, never read."""
    secret = settings.data_dir / "secret.txt"
    secret.write_text("BÍ MẬT KHÔNG ĐƯỢC HIỆN", encoding="utf-8")
    for bad in (
        "khong-co.txt",
        "..%2F..%2F..%2Fetc%2Fhostname",
        "../../etc/hostname",
        quote(str(secret), safe=""),
        str(secret).lstrip("/"),
        "index%2Fmanifest.json",
    ):
        r = client.get(f"/tai-lieu/{bad}")
        assert r.status_code == 404, (bad, r.status_code)
        assert "BÍ MẬT" not in r.text  # the gate or the document page; never a file
    assert client.get(f"/tai-lieu/{GO_VAP_2010}?hl=abc,5-2,99999999999-1").status_code == 200  # bad spans ignored
    assert parse_spans("10-20,x,30-25, 40-50") == [(10, 20), (40, 50)]


@pytest.mark.integration
def test_document_page_escapes_the_document(client: httpx.Client) -> None:
    body = client.get(f"/tai-lieu/{XSS_SOURCE}").text
    assert "<script" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.integration
def test_document_page_needs_the_access_token(settings: Settings) -> None:
    guarded = toy_settings(settings.data_dir, access_token=TOKEN)
    with BackgroundServer(create_app(guarded)) as srv:
        r = httpx.get(f"{srv.url}tai-lieu/{GO_VAP_2010}", timeout=30)
        assert r.status_code == 401 and "Gò Vấp" not in r.text
        r = httpx.get(f"{srv.url}tai-lieu/{GO_VAP_2010}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert r.status_code == 200 and "Gò Vấp" in r.text


def _conversation() -> dict:
    src = {
        "n": 1,
        "name": "Kế hoạch 08/KH-UBND",
        "heading": "Kế hoạch 08/KH-UBND — Thực hiện Năm Dân vận",
        "issuer": "UBND quận Gò Vấp",
        "date": "09/02/2010",
        "section": "IV. TỔ CHỨC THỰC HIỆN",
        "source": GO_VAP_2010,
        "url": "tai-lieu/x#c1",
        "quote": "định kỳ hàng quý báo cáo <kết quả> & \x07 cho UBND quận",
    }
    return {
        "title": "Hội thoại thử",
        "turns": [
            {"q": QUARTERLY, "a": "Phòng Nội vụ [1].\nTheo Kế hoạch 08/KH-UBND: báo cáo quý [1] [9]", "sources": [src]},
            {"q": "Câu hỏi thứ hai?", "a": "Không tìm thấy thông tin.", "sources": []},
        ],
    }


@pytest.mark.integration
def test_word_export_has_the_questions_and_citations_as_footnotes(client: httpx.Client, tmp_path: Path) -> None:
    r = client.post("/api/export/docx", json=_conversation())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument")
    path = tmp_path / "hoi-thoai.docx"
    path.write_bytes(r.content)
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    assert f"Câu hỏi 1: {QUARTERLY}" in texts and "Câu hỏi 2: Câu hỏi thứ hai?" in texts
    assert "Phòng Nội vụ ." in texts and not any("[1]" in t for t in texts)  # the marks became footnotes
    assert any("[9]" in t for t in texts)  # a mark without a source stays text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        body = z.read("word/document.xml").decode()
        notes = z.read("word/footnotes.xml").decode()
    assert body.count("<w:footnoteReference") == 2
    assert notes.count('<w:footnote w:id="') == 2 and "Kế hoạch 08/KH-UBND — Thực hiện Năm Dân vận" in notes
    assert "&lt;kết quả&gt; &amp;" in notes and "\x07" not in notes


@pytest.mark.integration
def test_word_export_bounds_its_input(client: httpx.Client) -> None:
    big = _conversation()
    big["turns"][0]["a"] = "x" * (MAX_EXPORT_BYTES + 10)
    assert client.post("/api/export/docx", json=big).status_code == 413
    extra = _conversation()
    extra["turns"][0]["sources"][0]["path"] = "/etc/hostname"
    r = client.post("/api/export/docx", json=extra)
    assert r.status_code == 422 and list(r.json()) == ["error"]


# ------------------------------------------------------------------------------------------- the reader
@pytest.mark.integration
def test_reader_has_metadata_contents_and_the_original(client: httpx.Client) -> None:
    """Metadata at the top, a table of contents whose every link opens a passage of the page, a «Tải bản gốc»
    link to the original and one back to the library (both relative, resolved as a browser does)."""
    url = f"/tai-lieu/{GO_VAP_2010}"
    body = client.get(url).text
    for label, value in (("Số hiệu", "08/KH-UBND"), ("Người ký", "Nguyễn Hồng"), ("Ngày ban hành", "09/02/2010")):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in body
    assert "<dt>Cơ quan ban hành</dt><dd>UBND quận Gò Vấp</dd>" in body and "<dt>Định dạng</dt><dd>TXT</dd>" in body
    toc = re.search(r'<nav class="toc".*?</nav>', body, flags=re.S).group(0)  # type: ignore[union-attr]
    targets = re.findall(r'href="#(c\d+)"', toc)
    assert len(targets) >= 10 and all(f'<section id="{t}">' in body for t in targets)
    entries = [_text(a) for a in re.findall(r"<a [^>]*>(.*?)</a>", toc)]
    assert entries[:2] == ["I. Mục đích – Yêu cầu", "1. Nhằm tiếp tục nâng cao nhận thức về vai trò"]
    assert "III. Tổ chức thực hiện" in entries and "3. Phòng Nội vụ" in entries
    assert "<h3>III. Tổ chức thực hiện</h3>" in body and "<h4>3. Phòng Nội vụ</h4>" in body
    base = str(client.base_url).rstrip("/") + url
    download = html.unescape(re.search(r'<a class="download" href="([^"]+)" download>Tải bản gốc', body).group(1))  # type: ignore[union-attr]
    assert urljoin(base, download) == f"{client.base_url}api/documents/{GO_VAP_2010}/file"
    back = html.unescape(re.search(r'<a href="([^"]+)">← Thư viện tài liệu</a>', body).group(1))  # type: ignore[union-attr]
    assert urljoin(base, back) == f"{client.base_url}tai-lieu/"
    assert client.get("/tai-lieu/khong-co.txt").status_code == 404


def _chunk(ordinal: int, start: int, text: str, section: str) -> Chunk:
    return Chunk(f"d#{ordinal}", "d", "d.txt", ordinal, text, start, start + len(text), section)


def test_contents_follow_the_heading_paths() -> None:
    chunks = [
        _chunk(0, 0, "Mở đầu. ", ""),
        _chunk(1, 8, "Một. ", "I. MỤC ĐÍCH › 1. Một"),
        _chunk(2, 13, "Còn một. ", "I. MỤC ĐÍCH › 1. Một"),
        _chunk(3, 22, "Hai. ", "I. MỤC ĐÍCH › 2. Hai › a) Nhỏ"),
        _chunk(4, 27, "Ba. ", "II. TỔ CHỨC"),
        _chunk(5, 31, "Nơi nhận. ", "Nơi nhận"),
    ]
    assert headings(chunks) == [
        (0, "I. MỤC ĐÍCH", 1),
        (1, "1. Một", 1),
        (1, "2. Hai", 3),
        (2, "a) Nhỏ", 3),
        (0, "II. TỔ CHỨC", 4),
        (0, "Nơi nhận", 5),
    ]
    page = render_document_page(DocMeta(title="Thử"), "d.txt", chunks, [])
    toc = re.search(r"<nav class=\"toc\".*?</nav>", page, flags=re.S).group(0)  # type: ignore[union-attr]
    assert re.sub(r"<a [^>]*>(.*?)</a>", r"\1", toc.split("</h2>", 1)[1]) == (
        "<ol><li>I. MỤC ĐÍCH<ol><li>1. Một</li><li>2. Hai<ol><li>a) Nhỏ</li></ol></li></ol></li>"
        "<li>II. TỔ CHỨC</li><li>Nơi nhận</li></ol></nav>"
    )
    assert page.count("<h3>I. MỤC ĐÍCH</h3>") == 1 and "<h5>a) Nhỏ</h5>" in page
    assert '<nav class="toc"' not in render_document_page(DocMeta(title="Tin"), "t.txt", chunks[:1], [])


def test_reader_names_the_ocrd_pages_and_the_doubtful_ones() -> None:
    ocr = ocr_pages(
        {
            "pages": [
                {"page": 1, "method": "ocr", "confidence": 91.26, "low": False},
                {"page": 2, "method": "ocr", "confidence": 41.0, "low": True},
                {"page": 3, "method": "none", "confidence": None, "low": False},
                "rác",
            ]
        }
    )
    assert ocr == [
        {"page": 1, "method": "ocr", "confidence": 91.3, "low": False},
        {"page": 2, "method": "ocr", "confidence": 41.0, "low": True},
        {"page": 3, "method": "none", "confidence": None, "low": False},
    ]
    page = render_document_page(
        DocMeta(), "s.pdf", [_chunk(0, 0, "Chữ.", "")], [], Original("s.pdf", "pdf", 3, tuple(ocr))
    )
    block = _text(re.search(r'<div class="ocr">.*?</div>', page, flags=re.S).group(0))  # type: ignore[union-attr]
    assert "Trang 1: độ tin cậy 91/100" in block and "Trang 2: độ tin cậy 41/100 — cần kiểm tra" in block
    assert "Trang 3: không đọc được" in block and "<dt>Số trang</dt><dd>3</dd>" in page
    assert ocr_pages({"pages": []}) is None and ocr_pages({}) is None
