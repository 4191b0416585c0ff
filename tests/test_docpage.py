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
from urllib.parse import quote

import docx
import httpx
import pytest

from assistant.api import MAX_EXPORT_BYTES
from assistant.docpage import parse_spans
from assistant.engine import Assistant
from assistant.render import doc_heading, doc_name, render_answer, vi_only
from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from index.types import DocMeta
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
    assert c.text.split()[0] in _text(body) and len(_text(body)) <= len(doc_text) + 2000


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


def test_document_page_escapes_the_document(client: httpx.Client) -> None:
    body = client.get(f"/tai-lieu/{XSS_SOURCE}").text
    assert "<script" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


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


def test_word_export_bounds_its_input(client: httpx.Client) -> None:
    big = _conversation()
    big["turns"][0]["a"] = "x" * (MAX_EXPORT_BYTES + 10)
    assert client.post("/api/export/docx", json=big).status_code == 413
    extra = _conversation()
    extra["turns"][0]["sources"][0]["path"] = "/etc/hostname"
    r = client.post("/api/export/docx", json=extra)
    assert r.status_code == 422 and list(r.json()) == ["error"]
