"""Issue 15 end to end in headless Chromium: an administrator uploads a text PDF, a scanned PDF and a .docx from
the admin page and sees each progress bar reach the end; the chat answers a question from each, its card opens
the reader at the cited passage with the supporting sentence marked, and the original downloads byte for byte;
one upload is replaced (one version stays, the answer changes), another removed after confirming (no longer
listed nor cited); an ordinary user sees no admin control and gets 403; a cross-site form post changes nothing.
Real server, real (hash-embedder) index, real Tesseract for the scan."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import base64
import functools
import http.server
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

import httpx
import pytest

from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from index.ocr import OcrEngine
from tests.conftest import BA_DINH_2025
from tests.fixtures.make_fixtures import write_pdf
from tests.fixtures.make_scans import write_scan_pdf
from tests.test_api import build_toy_index, toy_settings
from tests.test_ui_browser import CHROMIUM, LOCAL_HOSTS, ask, shot

TOKEN = "quan-tri-9d41c7-flow"
WAIT_MS = 90_000  # the scan is read by Tesseract
OCR_MISSING = OcrEngine().missing()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's headless Chromium at /usr/bin/chromium"),
    pytest.mark.skipif(OCR_MISSING is not None, reason=f"{OCR_MISSING} (tesseract-ocr, tesseract-ocr-vie)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright python package")


@dataclass(frozen=True)
class Upload:
    """A file made by the test: its name, the question it answers, and the deadline in its one distinctive
    sentence (no bundled document has the unit or the date)."""

    name: str
    question: str
    deadline: str
    number: str  # what the card names it by: "Kế hoạch 31/KH-UBND"


TEXT_PDF = Upload(
    "Kế hoạch 31 Long Biên.pdf",
    "Trung tâm Văn hóa Thông tin Thể thao phường Phúc Lợi phải hoàn thành số hóa hồ sơ di tích trước ngày nào?",
    "15/9/2026",
    "31/KH-UBND",
)
SCAN_PDF = Upload(
    "ban-scan-ke-hoach-58.pdf",
    "Trạm Khuyến nông huyện Mê Linh phải báo cáo kết quả gieo cấy lúa xuân trước ngày nào?",
    "20/10/2026",
    "58/KH-UBND",
)
DOCX = Upload(
    "Kế hoạch 77 Tây Hồ.docx",
    "Ban Quản lý chợ Quảng An phải lắp đặt camera giám sát an ninh trước ngày nào?",
    "30/11/2026",
    "77/KH-UBND",
)
DOCX_NEW_DEADLINE = "28/12/2026"

TEXT_PDF_LINES = [
    "ỦY BAN NHÂN DÂN QUẬN LONG BIÊN",
    "Số: 31/KH-UBND",
    "Long Biên, ngày 02 tháng 3 năm 2026",
    "KẾ HOẠCH",
    "Số hóa hồ sơ di tích trên địa bàn quận năm 2026",
    "I. TỔ CHỨC THỰC HIỆN",
    "1. Trung tâm Văn hóa Thông tin Thể thao phường Phúc Lợi: hoàn thành số hóa hồ sơ di tích trước ngày 15/9/2026.",
]
SCAN_LINES = [
    "ỦY BAN NHÂN DÂN HUYỆN MÊ LINH",
    "Số: 58/KH-UBND",
    "KẾ HOẠCH",
    "Sản xuất vụ lúa xuân năm 2026",
    "1. Trạm Khuyến nông huyện Mê Linh: báo cáo kết quả gieo cấy lúa xuân trước ngày 20/10/2026.",
]


def docx_plan(deadline: str) -> bytes:
    """The Tây Hồ plan as a real .docx; its one task has `deadline`."""
    import docx

    d = docx.Document()
    for line in ("ỦY BAN NHÂN DÂN QUẬN TÂY HỒ", "Số: 77/KH-UBND", "Tây Hồ, ngày 10 tháng 4 năm 2026", "KẾ HOẠCH"):
        d.add_paragraph(line)
    d.add_paragraph("Bảo đảm an ninh trật tự tại các chợ trên địa bàn quận năm 2026")
    d.add_paragraph("I. TỔ CHỨC THỰC HIỆN")
    d.add_paragraph(f"1. Ban Quản lý chợ Quảng An: lắp đặt camera giám sát an ninh trước ngày {deadline}.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return toy_settings(build_toy_index(tmp_path_factory.mktemp("flow")), admin_token=TOKEN, reload_check_s=0.3)


@pytest.fixture(scope="module")
def app_url(settings: Settings) -> Iterator[str]:
    with BackgroundServer(create_app(settings)) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[Upload, Path]:
    folder = tmp_path_factory.mktemp("uploads-made")
    made = {u: folder / u.name for u in (TEXT_PDF, SCAN_PDF, DOCX)}
    write_pdf(made[TEXT_PDF], [TEXT_PDF_LINES])
    write_scan_pdf(made[SCAN_PDF], SCAN_LINES, dpi=200)
    made[DOCX].write_bytes(docx_plan(DOCX.deadline))
    return made


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A browser context that records requests and script errors; none may leave 127.0.0.1."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN", accept_downloads=True)
    ctx.requests = []
    ctx.on("request", lambda r: ctx.requests.append(r.url))
    yield ctx
    ctx.close()
    outside = [
        u
        for u in ctx.requests
        if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname not in LOCAL_HOSTS
    ]
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"


def manifest(settings: Settings) -> dict[str, Any]:
    return json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))


def listed(app_url: str) -> list[dict[str, Any]]:
    """GET /api/documents, every document (the bundled corpus is small)."""
    body = httpx.get(app_url + "api/documents", params={"per_page": 200}, timeout=30).json()
    assert body["total"] == len(body["documents"])
    return body["documents"]  # type: ignore[no-any-return]


def wait_listed(app_url: str, present: str = "", absent: str = "") -> list[dict[str, Any]]:
    """The listed documents once the serving engine picked up the change (its reload check)."""
    deadline = time.monotonic() + 20
    while True:
        docs = listed(app_url)
        ids = {d["id"] for d in docs}
        if (not present or present in ids) and (not absent or absent not in ids):
            return docs
        assert time.monotonic() < deadline, (present, absent, sorted(ids))
        time.sleep(0.2)


def login(page: Any, app_url: str) -> None:
    """Type the token once on the admin page."""
    page.goto(app_url + "quan-tri/tai-lieu")
    page.fill("#token", TOKEN)
    page.locator("form.login button").click()
    page.locator("#files").wait_for(timeout=WAIT_MS)


def drop(page: Any, selector: str, path: Path) -> None:
    """Drop the file at `path` on the element, as a user dragging it from the file manager."""
    transfer = page.evaluate_handle(
        """([name, b64]) => { const t = new DataTransfer();
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          t.items.add(new File([bytes], name)); return t; }""",
        [path.name, base64.b64encode(path.read_bytes()).decode()],
    )
    page.dispatch_event(selector, "dragover", {"dataTransfer": transfer})
    assert "over" in (page.locator(selector).get_attribute("class") or "")
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def cards_of(answer: Any) -> list[tuple[str, str]]:
    """(heading, file name) of each cited source card of an answer in the chat."""
    cards = answer.locator(".tl-sources:not(.tl-nearest) .tl-card")
    return [
        (cards.nth(i).locator(".tl-title").inner_text(), cards.nth(i).locator(".tl-file").inner_text())
        for i in range(cards.count())
    ]


def cited_card(answer: Any, upload: Upload) -> Any:
    """The cited card of `upload` (failing with what was cited instead)."""
    card = answer.locator(".tl-sources:not(.tl-nearest) .tl-card").filter(
        has=answer.page.locator(".tl-file", has_text=upload.name)
    )
    assert card.count() >= 1, (upload.question, answer.inner_text()[:300], cards_of(answer))
    return card.first


def ask_chat(page: Any, app_url: str, question: str) -> Any:
    page.goto(app_url, wait_until="load")
    page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
    return ask(page, question)


def open_at_passage(context: Any, card: Any, upload: Upload, original: bytes) -> None:
    """«Xem toàn văn» opens the reader at the cited passage, the supporting sentence marked; «Tải bản gốc»
    downloads the bytes that were uploaded."""
    open_link = card.locator("a.tl-open")
    href = open_link.get_attribute("href")
    fragment = href.rpartition("#")[2]
    assert fragment.startswith("c") and "hl=" in href, href
    card_marks = " ".join(card.locator(".tl-passage mark").all_inner_texts())
    assert upload.deadline in card_marks, card_marks
    with context.expect_page() as opened:
        open_link.click()
    reader = opened.value
    reader.wait_for_load_state()
    assert unquote(urlparse(reader.url).path) == "/tai-lieu/" + upload.name
    assert urlparse(reader.url).fragment == fragment
    target = reader.evaluate(
        """() => { const t = document.querySelector(':target'); const r = t.getBoundingClientRect();
          return [t.tagName, t.id, r.top >= 0 && r.top < window.innerHeight,
                  [...t.querySelectorAll('mark')].map((m) => m.textContent)]; }"""
    )
    tag, target_id, in_view, marks = target
    assert (tag, target_id, in_view) == ("SECTION", fragment, True)
    assert any(upload.deadline in m for m in marks), marks
    assert " ".join(" ".join(marks).split()) in " ".join(reader.locator(":target").inner_text().split())
    shot(reader, f"flow-reader-{upload.number.split('/')[0]}.png")
    with reader.expect_download() as download:
        reader.locator("a.download", has_text="Tải bản gốc").click()
    assert download.value.suggested_filename == upload.name
    assert Path(download.value.path()).read_bytes() == original
    reader.close()


def test_admin_uploads_then_chat_cites_opens_downloads_replace_and_remove(
    context: Any, app_url: str, settings: Settings, files: dict[Upload, Path]
) -> None:
    page = context.new_page()
    login(page, app_url)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    library = context.new_page()  # the administrator's library links to the admin page (an ordinary user's does not)
    library.goto(app_url + "tai-lieu/")
    assert library.locator("a[href$='quan-tri/tai-lieu']").count() == 1
    library.close()

    # 1. Three uploads, the PDFs through the file input, the .docx dropped on the drop zone; each bar reaches "done".
    page.set_input_files("#files", [str(files[TEXT_PDF]), str(files[SCAN_PDF])])
    drop(page, "#drop", files[DOCX])
    rows = page.locator("#jobs li")
    page.locator("#jobs li.done, #jobs li.failed").nth(2).wait_for(timeout=WAIT_MS)
    states = {rows.nth(i).locator(".name").inner_text(): rows.nth(i).get_attribute("data-status") for i in range(3)}
    assert states == {u.name: "done" for u in files}, page.locator("#jobs").inner_text()
    for i in range(3):
        assert rows.nth(i).locator("progress").evaluate("p => p.value") == 1
        assert rows.nth(i).locator(".state").inner_text() == "Xong"
    shot(page, "flow-admin-uploaded.png")
    for u in files:
        wait_listed(app_url, present=u.name)
    ocr = httpx.get(app_url + "api/documents/" + quote(SCAN_PDF.name, safe=""), timeout=30).json()["ocr"]
    assert [p["page"] for p in ocr] == [1] and ocr[0]["confidence"] > 50, ocr  # the scan was read by Tesseract

    # 2-3. The chat answers from each upload; its card opens the reader at the passage; the original downloads.
    chat = context.new_page()
    for u, path in files.items():
        answer = ask_chat(chat, app_url, u.question)
        assert u.deadline in answer.locator(".tl-text").inner_text(), (u.question, answer.inner_text()[:400])
        card = cited_card(answer, u)
        assert card.locator(".tl-title").inner_text().startswith(f"Kế hoạch {u.number} — ")  # names the document
        open_at_passage(context, card, u, path.read_bytes())
    shot(chat, "flow-chat.png")

    # 4a. Replace the .docx from its row: one version listed, under the same id; the answer changes.
    new_docx = files[DOCX].parent / "ban-sua-77.docx"
    new_docx.write_bytes(docx_plan(DOCX_NEW_DEADLINE))
    old_hash = manifest(settings)["documents"][DOCX.name]["content_hash"]
    page.bring_to_front()
    row = page.locator(f'#docs tr[data-id="{DOCX.name}"]')
    row.wait_for(timeout=WAIT_MS)
    with page.expect_file_chooser() as chooser:
        row.locator("button", has_text="Thay thế").click()
    chooser.value.set_files(str(new_docx))
    replaced = page.locator("#jobs li").first
    replaced.locator("xpath=self::li[@data-status='done' or @data-status='failed']").wait_for(timeout=WAIT_MS)
    assert replaced.get_attribute("data-status") == "done", replaced.inner_text()
    assert manifest(settings)["documents"][DOCX.name]["content_hash"] != old_hash
    deadline = time.monotonic() + 20
    while True:
        docs = listed(app_url)
        versions = [d for d in docs if d["number"] == DOCX.number or d["id"] == new_docx.name]
        served = httpx.get(app_url + "api/documents/" + quote(DOCX.name, safe=""), timeout=30).json()
        if [d["id"] for d in versions] == [DOCX.name] and DOCX_NEW_DEADLINE in str(served["chunks"]):
            break  # one version listed, and the serving engine has the new one
        assert time.monotonic() < deadline, versions
        time.sleep(0.2)
    answer = ask_chat(chat, app_url, DOCX.question)
    text = answer.locator(".tl-text").inner_text()
    assert DOCX_NEW_DEADLINE in text and DOCX.deadline not in text, text
    assert DOCX.deadline not in " ".join(answer.locator(".tl-card").all_inner_texts())
    card = cited_card(answer, DOCX)
    assert DOCX_NEW_DEADLINE in " ".join(card.locator("mark").all_inner_texts())

    # 4b. Remove the text PDF, confirming: it leaves the list and the chat no longer cites it.
    page.bring_to_front()
    row = page.locator(f'#docs tr[data-id="{TEXT_PDF.name}"]')
    row.locator("button.remove").click()
    assert row.locator(".confirm").is_visible()
    row.locator("button.confirm-yes").click()
    row.wait_for(state="detached", timeout=WAIT_MS)
    assert "Đã xoá" in page.locator("#status").inner_text()
    assert TEXT_PDF.name not in manifest(settings)["documents"]
    wait_listed(app_url, absent=TEXT_PDF.name)
    answer = ask_chat(chat, app_url, TEXT_PDF.question)
    assert all(TEXT_PDF.name != f and TEXT_PDF.number not in h for h, f in cards_of(answer)), cards_of(answer)
    assert TEXT_PDF.deadline not in answer.inner_text()
    assert not errors, errors


def test_ordinary_user_sees_no_admin_controls_and_gets_403(context: Any, app_url: str, settings: Settings) -> None:
    before = manifest(settings)
    page = context.new_page()
    page.goto(app_url + "tai-lieu/")
    assert page.locator("h1").inner_text() == "Thư viện tài liệu"
    assert page.locator("a[href*='quan-tri']").count() == 0
    assert page.locator("input[type=file], button.remove, form[method=post]").count() == 0
    response = page.goto(app_url + "quan-tri/tai-lieu")
    assert response.status == 403
    assert "không có quyền" in page.locator("body").inner_text()
    assert page.locator("input[type=file], #jobs, #docs, button.remove").count() == 0
    status = page.evaluate(
        """async (victim) => {
          const form = new FormData();
          form.append("files", new Blob(["KẾ HOẠCH thử nghiệm"]), "thu.txt");
          const post = await fetch("/api/documents", {method: "POST", body: form, headers: {"X-Assistant-Csrf": "1"}});
          const del = await fetch("/api/documents/" + encodeURIComponent(victim),
                                  {method: "DELETE", headers: {"X-Assistant-Csrf": "1"}});
          return [post.status, del.status, (await post.json()).error, (await del.json()).error];
        }""",
        BA_DINH_2025,
    )
    assert status[:2] == [403, 403], status
    assert all(m and "\n" not in m for m in status[2:]), status
    assert manifest(settings) == before


def test_cross_site_form_post_is_refused(context: Any, app_url: str, settings: Settings, tmp_path: Path) -> None:
    """A page served from another origin auto-submits a form with a real file to /api/documents, replacing a
    bundled plan, while the administrator is logged in (another port is the same site: the SameSite cookie goes
    along); it is refused and nothing changes."""
    (tmp_path / "evil.js").write_text(
        """window.addEventListener("load", () => {
  const t = new DataTransfer();
  t.items.add(new File(["KẾ HOẠCH\\nI. MỤC ĐÍCH\\n1. Nội dung giả mạo thay kế hoạch của quận."], "gia-mao.txt"));
  document.getElementById("file").files = t.files;
  document.getElementById("f").submit();
});""",
        encoding="utf-8",
    )
    (tmp_path / "evil.html").write_text(
        f"""<!doctype html><html><head><script src="evil.js"></script></head><body>
<form id="f" method="post" enctype="multipart/form-data" action="{app_url}api/documents">
<input id="file" type="file" name="files"><input name="replace" value="{BA_DINH_2025}"></form>
</body></html>""",
        encoding="utf-8",
    )
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        page = context.new_page()
        login(page, app_url)
        before, listed_before = manifest(settings), listed(app_url)
        with page.expect_navigation(url=app_url + "api/documents"):
            page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/evil.html")
        assert "cross-site request refused" in page.locator("body").inner_text()
        time.sleep(2.0)  # had a job been queued, it would have had time to run
        assert manifest(settings) == before
        assert listed(app_url) == listed_before
    finally:
        httpd.shutdown()
