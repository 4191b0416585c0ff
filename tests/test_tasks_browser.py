"""The «Nhiệm vụ» tab in headless Chromium over a real server and a real (hash-embedder) index of the bundled
corpus: the units, a unit's tasks with their plan, the upcoming window, the .ics download, axe-core."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import assistant.tasks_page
from assistant.server import BackgroundServer, create_app
from tests.test_api import build_toy_index, toy_settings
from tests.test_ui_browser import AXE, WAIT_MS, axe_violations, shot
from tests.test_ui_browser import pytestmark as pytestmark  # browser tier, skipped without Chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright python package")
icalendar = pytest.importorskip("icalendar", reason="needs the icalendar package")

TODAY = date(2010, 11, 15)  # Gò Vấp's 2010 plan: Phòng Nội vụ's "trong năm 2010" falls 46 days later


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the toy index (assignments stored by the build), its clock on `TODAY`."""
    settings = toy_settings(build_toy_index(tmp_path_factory.mktemp("tasks")))
    assert (settings.index_dir / "assignments.jsonl").is_file()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(assistant.tasks_page, "local_today", lambda: TODAY)
        with BackgroundServer(create_app(settings)) as srv:
            yield srv.url


def open_tasks(pg: Any, app_url: str) -> None:
    pg.goto(app_url, wait_until="load")
    pg.get_by_role("tab", name="Nhiệm vụ").click()
    pg.locator("#tl-task-units table.tl-units").wait_for(timeout=WAIT_MS)


def choose_unit(pg: Any, name: str) -> None:
    """Type part of a unit's name in the list and pick it."""
    box = pg.locator("#tl-task-unit input")
    box.click()
    box.fill(name[:8])
    pg.get_by_role("option", name=name, exact=False).first.click()


def test_units_tasks_upcoming_window_and_calendar(browser: Any, app_url: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN", accept_downloads=True)
    pg = context.new_page()
    try:
        open_tasks(pg, app_url)
        units = pg.locator("#tl-task-units").inner_text()
        assert "Phòng Nội vụ (Ba Đình)" in units and "Phòng Nội vụ (Gò Vấp)" in units
        assert "Chọn một đơn vị" in pg.locator("#tl-task-list").inner_text()

        choose_unit(pg, "Phòng Nội vụ (Ba Đình)")
        tasks = pg.locator("#tl-task-list")
        tasks.locator("h3", has_text="Nhiệm vụ của Phòng Nội vụ (Ba Đình)").wait_for(timeout=WAIT_MS)
        assert tasks.locator(".tl-plan h4").first.inner_text().startswith("Kế hoạch ")
        assert tasks.locator(".tl-card").count() >= 4
        assert "Là cơ quan đầu mối" in tasks.inner_text()
        assert tasks.locator(".tl-card a.tl-open").first.get_attribute("href").startswith("tai-lieu/")
        pg.locator("[role=listbox]").first.wait_for(state="hidden", timeout=WAIT_MS)  # the unit list closed
        shot(pg, "tasks-ba-dinh.png")

        choose_unit(pg, "Phòng Nội vụ (Gò Vấp)")
        tasks.locator("h3", has_text="Nhiệm vụ của Phòng Nội vụ (Gò Vấp)").wait_for(timeout=WAIT_MS)
        assert "Kế hoạch 08/KH-UBND" in tasks.locator(".tl-plan h4").first.inner_text()
        upcoming = pg.locator("#tl-task-upcoming")
        upcoming.get_by_text("Không có nhiệm vụ nào đến hạn trong 30 ngày tới", exact=False).wait_for(timeout=WAIT_MS)
        pg.locator("#tl-task-window").get_by_text("90 ngày tới").click()
        upcoming.locator(".tl-upcoming-date", has_text="31/12/2010").wait_for(timeout=WAIT_MS)
        assert "Hạn trong 90 ngày tới của Phòng Nội vụ (Gò Vấp)" in upcoming.inner_text()

        with pg.expect_download() as dl:
            pg.locator("#tl-ics-link").click()
        assert dl.value.suggested_filename == "nhiem-vu-phong-noi-vu-go-vap.ics"
        cal = icalendar.Calendar.from_ical(Path(dl.value.path()).read_bytes())
        starts = [e.decoded("DTSTART") for e in cal.walk("VEVENT")]
        assert starts == [date(2010, 12, 31)]
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tasks_tab_passes_axe(browser: Any, app_url: str, scheme: str) -> None:
    """No serious or critical axe-core violation with a unit's cards, the units table and the upcoming list shown."""
    if not AXE.exists():
        pytest.skip("needs axe-core: run `npm ci` at the repo root (.ci/run does)")
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN", color_scheme=scheme)
    pg = context.new_page()
    try:
        open_tasks(pg, app_url)
        choose_unit(pg, "Phòng Nội vụ (Ba Đình)")
        pg.locator("#tl-task-list .tl-card").first.wait_for(timeout=WAIT_MS)
        assert pg.locator("#tl-tasks h2").inner_text() == "Nhiệm vụ theo đơn vị"
        assert (violations := axe_violations(pg)) == [], "\n".join(violations)
    finally:
        context.close()
