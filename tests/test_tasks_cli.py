"""`assistant tasks`: the real click command over an index folder holding the assignments of the bundled plans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from assistant.cli import cli
from index.types import Document

from .conftest import BA_DINH_2025, CORPUS, GO_VAP_2010, REPO
from .test_tasks_book import write_index


@pytest.fixture
def indexed(_isolated_data_dir: Path) -> dict[str, Document]:
    """The two bundled plans' assignments in the index folder of the test's settings (ASSISTANT_DATA_DIR)."""
    documents = write_index(_isolated_data_dir / "index", [CORPUS / BA_DINH_2025, CORPUS / GO_VAP_2010])
    return {d.doc_id: d for d in documents}


def tasks(*args: str) -> Result:
    return CliRunner().invoke(cli, ["tasks", *args])


def assert_one_line_error(r: Result, *parts: str) -> str:
    assert r.exit_code == 2, r.output
    line = r.stderr.strip()
    assert line.startswith("Lỗi: ") and "\n" not in line and "Traceback" not in r.output, r.stderr
    assert r.stdout == ""
    for part in parts:
        assert part in line, line
    return line


def test_lists_a_unit_of_two_districts_by_plan(indexed: dict[str, Document]) -> None:
    r = tasks("--unit", "P. Nội vụ")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "Phòng Nội vụ (Ba Đình) — 4 nhiệm vụ" in out and "Phòng Nội vụ (Gò Vấp) — 2 nhiệm vụ" in out
    assert "Kế hoạch 08/KH-UBND Thực hiện" in out and "(UBND quận Gò Vấp)" in out
    assert "  - Là cơ quan đầu mối, tham mưu" in out
    line = next(x for x in out.splitlines() if "trong năm 2010" in x)
    assert "— hạn: trong năm 2010 (31/12/2010)" in line
    assert line.endswith("[08/KH-UBND, 09/02/2010, III. Tổ chức thực hiện › 3. Phòng Nội vụ]")
    assert "Các đơn vị gửi báo cáo" not in out  # another unit's task
    assert tasks("--unit", "noi vu").stdout == out == tasks("--unit", "phòng nội vụ quận").stdout


def test_range_lists_the_due_dates(indexed: dict[str, Document]) -> None:
    r = tasks("--from", "01/11/2025", "--to", "2025-12-31")
    assert r.exit_code == 0, r.output
    line = next(x for x in r.stdout.splitlines() if "Các đơn vị gửi báo cáo" in x)
    assert "— hạn: giữa các tháng cuối của mỗi quý (15/12/2025)" in line
    assert "08/KH-UBND" not in r.stdout  # the 2010 plan has nothing due in 2025
    year = tasks("--unit", "các đơn vị", "--from", "1/1/2025", "--to", "31/12/2025").stdout
    assert "(15/03/2025, 15/06/2025, 15/09/2025, 15/12/2025)" in year
    none = tasks("--unit", "Phòng Nội vụ", "--from", "01/01/2030", "--to", "31/01/2030")
    assert none.exit_code == 0 and none.stdout.strip() == "Không có nhiệm vụ nào trong khoảng thời gian này."


def test_days_counts_from_today(indexed: dict[str, Document]) -> None:
    r = tasks("--days", "3660", "--json")
    assert r.exit_code == 0, r.output
    today = date.today()
    dates = [date.fromisoformat(d) for row in json.loads(r.stdout) for d in row["dates"]]
    assert all(today <= d for d in dates)


def test_json_gives_assignments_with_dates(indexed: dict[str, Document]) -> None:
    r = tasks("--unit", "các đơn vị", "--from", "1/1/2025", "--to", "31/12/2025", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    reports = next(x for x in rows if x["task"].startswith("Các đơn vị gửi báo cáo"))
    assert reports["dates"] == ["2025-03-15", "2025-06-15", "2025-09-15", "2025-12-15"]
    assert reports["due"]["every"] == "quarter" and reports["unit_key"] == "cac don vi@ba dinh"
    text = indexed[reports["doc_id"]].text
    assert text[reports["start"] : reports["end"]] == reports["task"]
    assert reports["title"] == "Triển khai công tác Dân vận chính quyền năm 2025" and reports["year"] == 2025
    everything = json.loads(tasks("--json").stdout)
    assert len(everything) > len(rows) and all(x["dates"] == [] for x in everything)


def test_ics_writes_the_selected_rows(indexed: dict[str, Document], tmp_path: Path) -> None:
    path = tmp_path / "lich.ics"
    select = ["--unit", "cac don vi@ba dinh", "--from", "1/1/2025", "--to", "31/12/2025"]
    r = tasks(*select, "--ics", str(path))
    assert r.exit_code == 0, r.output
    rows = json.loads(tasks(*select, "--json").stdout)
    cal = Calendar.from_ical(path.read_bytes())
    events: list[Any] = cal.walk("VEVENT")
    assert str(cal["X-WR-CALNAME"]) == "Nhiệm vụ: Các đơn vị (Ba Đình)"
    assert len(events) == len(rows) > 0 and f"Đã ghi {len(rows)} sự kiện ({len(rows)} nhiệm vụ) vào {path}" in r.stdout
    reports = next(e for e in events if str(e["SUMMARY"]).startswith("Các đơn vị: Các đơn vị gửi báo cáo"))
    assert reports.decoded("DTSTART") == date(2025, 3, 15) and reports["RRULE"]["INTERVAL"] == [3]


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (["--unit", "phòng nội vuu"], ["Không tìm thấy đơn vị “phòng nội vuu”", "Phòng Nội vụ (", "(unknown unit)"]),
        (["--from", "31/13/2025", "--to", "31/12/2025"], ["--from: Ngày không hợp lệ", "(invalid date"]),
        (["--from", "hôm qua"], ["Ngày không hợp lệ: “hôm qua”"]),
        (["--from", "31/12/2025", "--to", "1/1/2025"], ["Ngày bắt đầu 31/12/2025 sau ngày kết thúc 01/01/2025"]),
        (["--days", "7", "--from", "1/1/2025"], ["Dùng --days hoặc --from/--to"]),
    ],
)
def test_bad_options_are_one_line(indexed: dict[str, Document], args: list[str], parts: list[str]) -> None:
    assert_one_line_error(tasks(*args), *parts)


def test_unwritable_calendar_is_one_line(indexed: dict[str, Document], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    line = assert_one_line_error(tasks("--ics", str(blocker / "lich.ics")), "Không ghi được tệp")
    assert str(blocker / "lich.ics") in line and not (blocker / "lich.ics").exists()


def test_without_an_index_is_one_line(_isolated_data_dir: Path) -> None:
    assert_one_line_error(tasks(), "Chưa có chỉ mục", "assistant index build", "(no index yet)")
    (_isolated_data_dir / "index").mkdir(parents=True)
    (_isolated_data_dir / "index" / "manifest.json").write_text("{}")
    assert_one_line_error(tasks("--unit", "nội vụ"), "Chỉ mục chưa có danh sách nhiệm vụ")


@pytest.mark.integration
def test_console_entry_point(indexed: dict[str, Document], _isolated_data_dir: Path) -> None:
    """The installed entry point (`assistant.cli:main`) runs the command, and its errors too, on one line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_DATA_DIR"] = str(_isolated_data_dir)
    run = [sys.executable, "-m", "assistant.cli", "tasks"]
    ok = subprocess.run([*run, "--unit", "noi vu"], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert ok.returncode == 0 and "Phòng Nội vụ (Gò Vấp)" in ok.stdout, ok.stderr
    bad = subprocess.run([*run, "--to", "x"], capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip().startswith("Lỗi: --to: Ngày không hợp lệ")
    assert len(bad.stderr.strip().splitlines()) == 1
