"""GET /api/tasks and /api/tasks.ics against a real server on 127.0.0.1, over an index folder holding the
assignments of the bundled plans (written as a build writes them)."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from index import taskstore
from tests.conftest import BA_DINH_2025, CORPUS, GO_VAP_2010
from tests.test_api import assert_error, toy_settings
from tests.test_tasks_book import write_index

pytestmark = pytest.mark.integration
TOKEN = "tasks-token-7c21"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("tasks-api") / "data"
    write_index(data / "index", [CORPUS / BA_DINH_2025, CORPUS / GO_VAP_2010])
    return data


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[httpx.Client]:
    with BackgroundServer(create_app(toy_settings(data_dir))) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        yield c


def get(client: httpx.Client, path: str, **params: str) -> dict[str, Any]:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_all_units_and_tasks(client: httpx.Client) -> None:
    body = get(client, "/api/tasks")
    assert list(body) == ["units", "tasks"]
    units, rows = body["units"], body["tasks"]
    assert sum(u["tasks"] for u in units) == len(rows) > 20
    assert {"key", "name", "tasks", "documents"} == set(units[0])
    assert [u["tasks"] for u in units] == sorted((u["tasks"] for u in units), reverse=True)
    row = rows[0]
    keys = {"unit", "unit_key", "task", "doc_id", "source", "title", "number", "date", "section", "start", "end"}
    assert keys | {"due", "dates"} <= set(row) and row["dates"] == []
    assert {r["source"] for r in rows} == {BA_DINH_2025, GO_VAP_2010}


def test_unit_and_range(client: httpx.Client) -> None:
    body = get(client, "/api/tasks", unit="noi vu")
    assert sorted(u["name"] for u in body["units"]) == ["Phòng Nội vụ (Ba Đình)", "Phòng Nội vụ (Gò Vấp)"]
    assert {r["unit_key"] for r in body["tasks"]} == {u["key"] for u in body["units"]}
    assert len(body["tasks"]) == sum(u["tasks"] for u in body["units"])
    ranged = get(client, "/api/tasks", unit="cac don vi@ba dinh", **{"from": "01/01/2025", "to": "2025-12-31"})
    reports = next(r for r in ranged["tasks"] if r["task"].startswith("Các đơn vị gửi báo cáo"))
    assert reports["dates"] == ["2025-03-15", "2025-06-15", "2025-09-15", "2025-12-15"]
    assert reports["due"]["text"] == "giữa các tháng cuối của mỗi quý"
    firsts = [r["dates"][0] for r in get(client, "/api/tasks", **{"from": "1/1/2025", "to": "31/12/2025"})["tasks"]]
    assert firsts == sorted(firsts) and all(d.startswith("2025-") for d in firsts)
    gv = get(client, "/api/tasks", unit="phòng nội vụ quận Gò Vấp", **{"from": "1/1/2010", "to": "31/12/2010"})
    assert [u["key"] for u in gv["units"]] == ["phong noi vu@go vap"] and gv["tasks"][0]["dates"] == ["2010-12-31"]


@pytest.mark.parametrize(
    ("params", "part"),
    [
        ({"from": "31/13/2025"}, "Ngày không hợp lệ"),
        ({"to": "ngày mai"}, "Ngày không hợp lệ"),
        ({"from": "31/12/2025", "to": "01/01/2025"}, "Ngày bắt đầu 31/12/2025 sau ngày kết thúc"),
        ({"from": "1/1/1990", "to": "1/1/2025"}, "10 năm"),
        ({"unit": "phòng nội vuu"}, "Không tìm thấy đơn vị"),
        ({"unit": "x" * 201}, "Tên đơn vị dài quá"),
    ],
)
def test_bad_parameters_are_400(client: httpx.Client, params: dict[str, str], part: str) -> None:
    for path in ("/api/tasks", "/api/tasks.ics"):
        assert part in assert_error(client.get(path, params=params), 400)


def test_calendar_attachment(client: httpx.Client) -> None:
    r = client.get("/api/tasks.ics", params={"unit": "cac don vi@ba dinh"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    assert r.headers["content-disposition"] == 'attachment; filename="nhiem-vu.ics"'
    cal = Calendar.from_ical(r.content)
    assert str(cal["X-WR-CALNAME"]) == "Nhiệm vụ: Các đơn vị (Ba Đình)"
    events: list[Any] = cal.walk("VEVENT")
    reports = next(e for e in events if str(e["SUMMARY"]).startswith("Các đơn vị: Các đơn vị gửi báo cáo"))
    assert reports.decoded("DTSTART") == date(2025, 3, 15) and reports["RRULE"]["BYMONTHDAY"] == [15]
    everything = Calendar.from_ical(client.get("/api/tasks.ics").content)
    assert str(everything["X-WR-CALNAME"]) == "Nhiệm vụ theo kế hoạch" and len(everything.walk("VEVENT")) > len(events)


def test_reloads_after_a_rebuild_and_503_without_assignments(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with BackgroundServer(create_app(toy_settings(data))) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert "assistant index build" in assert_error(c.get("/api/tasks"), 503)
        write_index(data / "index", [CORPUS / BA_DINH_2025])
        assert {r["source"] for r in c.get("/api/tasks").json()["tasks"]} == {BA_DINH_2025}
        write_index(data / "index", [CORPUS / GO_VAP_2010])
        path = data / "index" / taskstore.ASSIGNMENTS
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a rebuild within the clock's tick
        assert {r["source"] for r in c.get("/api/tasks").json()["tasks"]} == {GO_VAP_2010}


def test_same_access_rules_as_every_api_route(data_dir: Path) -> None:
    settings: Settings = toy_settings(data_dir, access_token=TOKEN)
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert_error(c.get("/api/tasks"), 401)
        assert_error(c.get("/api/tasks.ics"), 401)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert c.get("/api/tasks", headers=auth).status_code == 200
        assert c.get("/api/tasks.ics", headers=auth).status_code == 200
        assert_error(c.post("/api/tasks", headers=auth), 405)
