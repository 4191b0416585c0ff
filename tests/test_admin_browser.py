"""The admin page `/quan-tri/tai-lieu` in headless Chromium: an administrator logs in with the token, uploads a
.txt and a .docx (and one refused file), sees each progress bar reach the end, finds them in the library, removes
one after confirming; an ordinary user sees no controls and gets 403; a cross-site form post is refused.
Real server, real (hash-embedder) index."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from assistant.server import BackgroundServer, create_app
from tests.test_admin import TOKEN, docx_bytes, manifest, plan_text, served_ids
from tests.test_api import build_toy_index, toy_settings
from tests.test_ui_browser import CHROMIUM, LOCAL_HOSTS, SHOTS

WAIT_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's headless Chromium at /usr/bin/chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright python package")

CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lin = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => { const v = rgb(c).map(lin);
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  let bg = "rgb(255, 255, 255)";
  for (let e = el; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor;
    if (c && !c.startsWith("rgba(0, 0, 0, 0)") && c !== "transparent") { bg = c; break; }
  }
  const a = lum(getComputedStyle(el).color), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory):
    return toy_settings(build_toy_index(tmp_path_factory.mktemp("adminui")), admin_token=TOKEN, reload_check_s=0.3)


@pytest.fixture(scope="module")
def app_url(settings) -> Iterator[str]:
    with BackgroundServer(create_app(settings)) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("files")
    txt, docx, bad = folder / "ke-hoach-tan-dinh.txt", folder / "Kế hoạch Đa Kao.docx", folder / "gia-mao.docx"
    txt.write_bytes(plan_text("Tân Định"))
    docx.write_bytes(docx_bytes("Tổ chức tiếp công dân định kỳ tại phường Đa Kao năm 2026."))
    bad.write_bytes((Path(__file__).parent / "fixtures" / "ke_hoach.pdf").read_bytes())
    return [txt, docx, bad]


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="vi-VN")
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


def login(page: Any, app_url: str) -> None:
    page.goto(app_url + "quan-tri/tai-lieu")
    assert page.locator("#files").count() == 0
    page.fill("#token", TOKEN)
    page.locator("form.login button").click()
    page.locator("#files").wait_for(timeout=WAIT_MS)


def test_admin_uploads_sees_progress_and_removes_with_confirmation(context: Any, app_url: str, settings, files) -> None:
    page = context.new_page()
    login(page, app_url)  # the 403 page first: its status is a console error, not the page's
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    assert page.locator("html").get_attribute("lang") == "vi"
    cookie = next(c for c in context.cookies() if c["name"] == "tro_ly_admin")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and TOKEN not in cookie["value"]

    page.set_input_files("#files", [str(f) for f in files])
    rows = page.locator("#jobs li")
    page.locator("#jobs li.done, #jobs li.failed").nth(2).wait_for(timeout=WAIT_MS)
    states = {rows.nth(i).locator(".name").inner_text(): rows.nth(i).get_attribute("data-status") for i in range(3)}
    assert states == {"ke-hoach-tan-dinh.txt": "done", "Kế hoạch Đa Kao.docx": "done", "gia-mao.docx": "failed"}
    for i in range(3):
        assert rows.nth(i).locator("progress").evaluate("p => p.value") == 1
    failed = page.locator("#jobs li.failed .msg").inner_text()
    assert "không khớp" in failed and "\n" not in failed
    shot(page, "admin-uploads.png")

    for doc in ("ke-hoach-tan-dinh.txt", "Kế hoạch Đa Kao.docx"):
        page.locator(f'#docs tr[data-id="{doc}"]').wait_for(timeout=WAIT_MS)
        assert doc in manifest(settings)["documents"]
    with httpx.Client(base_url=app_url) as c:
        assert {"ke-hoach-tan-dinh.txt", "Kế hoạch Đa Kao.docx"} <= served_ids(c)

    for selector in ("body", "#docs td .id", ".hint", "button.danger", "#jobs li.failed .msg", "#jobs li.done .msg"):
        ratio = page.locator(selector).first.evaluate(CONTRAST)
        assert ratio >= 4.5, (selector, ratio)

    row = page.locator('#docs tr[data-id="ke-hoach-tan-dinh.txt"]')
    row.locator("button.remove").click()
    confirm = row.locator(".confirm")
    assert confirm.is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Xoá hẳn"
    shot(page, "admin-confirm.png")
    page.keyboard.press("Escape")  # cancel: nothing removed, the focus goes back
    assert not confirm.is_visible() and "ke-hoach-tan-dinh.txt" in manifest(settings)["documents"]
    row.locator("button.remove").click()
    page.keyboard.press("Enter")  # the confirm button has the focus
    row.wait_for(state="detached", timeout=WAIT_MS)
    assert "ke-hoach-tan-dinh.txt" not in manifest(settings)["documents"]
    assert "Đã xoá" in page.locator("#status").inner_text()
    deadline = time.monotonic() + 15
    with httpx.Client(base_url=app_url) as c:
        while "ke-hoach-tan-dinh.txt" in served_ids(c):
            assert time.monotonic() < deadline
            time.sleep(0.2)

    # replace the .docx from its row: one version stays, under the same id
    new_docx = files[0].parent / "ban-sua.docx"
    new_docx.write_bytes(docx_bytes("Bản sửa đổi: tiếp công dân hằng tuần tại phường Đa Kao."))
    old_hash = manifest(settings)["documents"]["Kế hoạch Đa Kao.docx"]["content_hash"]
    with page.expect_file_chooser() as chooser:
        page.locator('#docs tr[data-id="Kế hoạch Đa Kao.docx"] button', has_text="Thay thế").click()
    chooser.value.set_files(str(new_docx))
    page.locator("#jobs li").first.locator("xpath=self::li[@data-status='done']").wait_for(timeout=WAIT_MS)
    assert "Thay «Kế hoạch Đa Kao.docx» bằng ban-sua.docx" in page.locator("#jobs li").first.inner_text()
    docs = manifest(settings)["documents"]
    assert docs["Kế hoạch Đa Kao.docx"]["content_hash"] != old_hash and "ban-sua.docx" not in docs
    assert not errors, errors


def test_ordinary_user_sees_no_controls_and_gets_403(context: Any, app_url: str, settings) -> None:
    page = context.new_page()
    response = page.goto(app_url + "quan-tri/tai-lieu")
    assert response.status == 403
    assert "không có quyền" in page.locator("body").inner_text()
    assert page.locator("input[type=file]").count() == 0 and page.locator("button.remove").count() == 0
    status = page.evaluate(
        """async () => {
          const form = new FormData();
          form.append("files", new Blob(["KẾ HOẠCH thử"]), "thu.txt");
          const up = await fetch("/api/documents", {method: "POST", body: form, headers: {"X-Assistant-Csrf": "1"}});
          const del = await fetch("/api/documents/003_7bfcb32814c81f86.txt",
                                  {method: "DELETE", headers: {"X-Assistant-Csrf": "1"}});
          return [up.status, del.status];
        }"""
    )
    assert status == [403, 403]
    assert "thu.txt" not in manifest(settings)["documents"]


def test_cross_site_form_post_is_refused(context: Any, app_url: str, settings, tmp_path: Path) -> None:
    """A page on another origin (another port: the same site, so the SameSite cookie is sent) posts a form."""
    (tmp_path / "evil.html").write_text(
        f"""<!doctype html><html><body>
<form id="f" method="post" enctype="multipart/form-data" action="{app_url}api/documents">
<input name="files" value="x"><input name="replace" value="003_7bfcb32814c81f86.txt"></form>
<form id="g" method="post" action="{app_url}quan-tri/tai-lieu"><input name="token" value="{TOKEN}"></form>
</body></html>""",
        encoding="utf-8",
    )
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        page = context.new_page()
        login(page, app_url)
        before = manifest(settings)
        page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/evil.html")
        with page.expect_navigation():
            page.evaluate("document.getElementById('f').submit()")
        assert "cross-site request refused" in page.locator("body").inner_text()
        assert manifest(settings) == before
    finally:
        httpd.shutdown()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
