"""The document library in headless Chromium: search, filter, open a document, follow its table of contents to
the passage, download the original, go back; by keyboard too; axe-core finds no serious or critical issue on
the list or the reader, light or dark. Real server, real (hash-embedder) index."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import pytest

from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from tests.conftest import BA_DINH_2025, GO_VAP_2010
from tests.test_library import NESTED, build_library
from tests.test_ui_browser import AXE, CHROMIUM, LOCAL_HOSTS, axe_violations, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's headless Chromium at /usr/bin/chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright python package")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_library(tmp_path_factory.mktemp("library-browser"), scan=False)


@pytest.fixture(scope="module")
def app_url(settings: Settings) -> Iterator[str]:
    with BackgroundServer(create_app(settings)) as srv:
        yield srv.url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page with the library's own CSP in force; it records requests and dialogs (none may leave or run)."""
    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="vi-VN", accept_downloads=True)
    pg = context.new_page()
    pg.requests, pg.dialogs = [], []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()
    assert not [u for u in pg.requests if urlparse(u).hostname not in LOCAL_HOSTS]
    assert not pg.dialogs


def rows(pg: Any) -> list[str]:
    return pg.locator("tbody tr").all_inner_texts()  # type: ignore[no-any-return]


def test_search_filter_open_read_and_download(page: Any, app_url: str, settings: Settings) -> None:
    pg = page
    pg.goto(app_url + "tai-lieu/")
    assert pg.locator("h1").inner_text() == "Thư viện tài liệu"
    assert pg.evaluate("() => document.documentElement.lang") == "vi"
    everything = len(rows(pg))
    assert everything >= 8
    # By keyboard: the search field is the first stop; Enter searches.
    pg.keyboard.press("Tab")
    assert pg.evaluate("() => document.activeElement.id") == "f-q"
    pg.keyboard.type("ke hoach 08")
    with pg.expect_navigation():
        pg.keyboard.press("Enter")
    (found,) = rows(pg)
    assert "08/KH-UBND" in found and "UBND quận Gò Vấp" in found
    assert pg.locator("tbody a").get_attribute("href") == f"./{GO_VAP_2010}"
    # Filters: issuer and year, the search cleared.
    pg.fill("#f-q", "")
    pg.select_option("#f-issuer", "UBND quận Ba Đình")
    pg.select_option("#f-year", "2025")
    with pg.expect_navigation():
        pg.get_by_role("button", name="Tìm").click()
    (found,) = rows(pg)
    assert "UBND quận Ba Đình" in found and "02/2025" in found
    assert pg.locator("#f-issuer").input_value() == "UBND quận Ba Đình"
    shot(pg, "library-list.png")
    # Open it; its contents lead to the passage.
    with pg.expect_navigation():
        pg.locator("tbody a").click()
    assert urlparse(pg.url).path == f"/tai-lieu/{BA_DINH_2025}"
    assert "Triển khai công tác Dân vận chính quyền năm 2025" in pg.locator("h1").inner_text()
    entry = pg.locator("nav.toc a", has_text="II. NỘI DUNG").first
    anchor = entry.get_attribute("href")
    entry.click()
    assert pg.url.endswith(anchor)
    target = pg.evaluate(
        "() => { const t = document.querySelector(':target'); const r = t.getBoundingClientRect();"
        " return [t.id, r.top >= 0 && r.top < window.innerHeight]; }"
    )
    assert target == [anchor[1:], True]
    shot(pg, "library-reader.png")
    # The original, as indexed.
    with pg.expect_download() as download:
        pg.get_by_role("link", name="Tải bản gốc (TXT)").click()
    assert download.value.suggested_filename == BA_DINH_2025
    assert Path(download.value.path()).read_bytes() == (settings.corpus_dir / BA_DINH_2025).read_bytes()
    # Back to the library, then a document with a Vietnamese file name in a sub-folder.
    with pg.expect_navigation():
        pg.get_by_role("link", name="← Thư viện tài liệu").click()
    assert urlparse(pg.url).path == "/tai-lieu/"
    pg.fill("#f-q", "doi thoai nhan dan")
    with pg.expect_navigation():
        pg.keyboard.press("Enter")
    with pg.expect_navigation():
        pg.locator("tbody a").click()
    assert urlparse(pg.url).path == "/tai-lieu/" + quote(NESTED, safe="")
    with pg.expect_download() as download:
        pg.get_by_role("link", name="Tải bản gốc (TXT)").click()
    assert download.value.suggested_filename == Path(NESTED).name
    assert Path(download.value.path()).read_bytes() == (settings.corpus_dir / NESTED).read_bytes()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_library_pages_pass_axe(browser: Any, app_url: str, scheme: str) -> None:
    """No serious or critical axe-core violation (contrast, names, roles, lists, scrollable regions) on the list,
    a search with filters, and the reader opened at a passage with a highlighted sentence."""
    if not AXE.exists():
        pytest.skip("needs axe-core: run `npm ci` at the repo root (.ci/run does)")
    # axe is injected as a script: the pages' CSP (no script at all) is bypassed for this check only.
    context = browser.new_context(viewport={"width": 1300, "height": 900}, color_scheme=scheme, bypass_csp=True)
    pg = context.new_page()
    try:
        for url in (
            "tai-lieu/",
            "tai-lieu/?q=ke+hoach&issuer=UBND+qu%E1%BA%ADn+G%C3%B2+V%E1%BA%A5p&sort=date",
            f"tai-lieu/{GO_VAP_2010}?hl=2000-2100#c12",
            "tai-lieu/khong-co.txt",
        ):
            pg.goto(app_url + url)
            assert (violations := axe_violations(pg)) == [], f"{url}: " + "\n".join(violations)
    finally:
        context.close()
