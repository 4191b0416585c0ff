"""The «Nhiệm vụ» view's handlers (assistant/tasks_page.py), called as Gradio calls them, over an index folder
holding the assignments extracted from the bundled plans."""

from __future__ import annotations

import base64
import html
import json
import os
import re
from datetime import date
from pathlib import Path

import icalendar
import pytest

from assistant.render import doc_url, esc
from assistant.tasks_page import CHOOSE_UNIT, NO_ASSIGNMENTS, UNREADABLE, TasksView, ics_name
from index.assignments import Assignment, UnitLexicon, extract
from index.ingest import load_document
from index.types import DocMeta

from .conftest import CORPUS

BA_DINH = "phong noi vu@ba dinh"
GO_VAP = "phong noi vu@go vap"
NOV_15_2010 = date(2010, 11, 15)  # Gò Vấp's Phòng Nội vụ is due "trong năm 2010": 31/12/2010, 46 days later


def _assignments() -> list[Assignment]:
    docs = [load_document(p, p.name, "test") for p in sorted(CORPUS.iterdir()) if p.is_file()]
    lexicon = UnitLexicon.learn(docs)
    return [a for d in docs for a in extract(d, lexicon)]


ROWS = _assignments()


def _write(index_dir: Path, rows: list[Assignment]) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in rows)
    (index_dir / "assignments.jsonl").write_text(lines, encoding="utf-8")


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    _write(tmp_path / "index", ROWS)
    return tmp_path / "index"


def _text(markup: str) -> str:
    """What the page shows of `markup`: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def _cards(html: str) -> list[str]:
    return re.findall(r'<li class="tl-card tl-task">.*?</li>', html)


def test_units_with_their_counts_and_a_units_tasks_by_plan(index_dir: Path) -> None:
    """The units table counts each unit's tasks; the two districts' Phòng Nội vụ are two units; choosing one
    shows exactly its tasks, under its plan's heading, each card with plan, section and the task quoted."""
    units, choices, upcoming, tasks, ics = TasksView(index_dir).load(None, None)
    mine = [a for a in ROWS if a.unit_key == BA_DINH]
    assert len(mine) >= 4
    assert f'<th scope="row">{esc("Phòng Nội vụ (Ba Đình)")}</th><td>{len(mine)}</td><td>1</td>' in units
    assert "Phòng Nội vụ (Gò Vấp)" in _text(units)
    offered = dict((key, label) for label, key in choices["choices"])
    assert offered[BA_DINH].startswith("Phòng Nội vụ (Ba Đình)") and GO_VAP in offered
    assert choices["value"] is None and esc(CHOOSE_UNIT) in tasks and ics == ""

    tasks, upcoming, ics = TasksView(index_dir, today=lambda: NOV_15_2010).show(BA_DINH, "30 ngày tới")
    cards = _cards(tasks)
    assert len(cards) == len(mine)
    plan = mine[0].meta
    assert f'<h4 class="tl-plan-h">{esc("Kế hoạch " + plan.number)}' in tasks and esc(plan.title[:20]) in tasks
    for a, card in zip(mine, cards, strict=True):  # in the plan's text order
        assert esc(a.task) in card and esc(a.section) in card and esc(plan.issuer) in card
        assert esc(doc_url(a.doc_id, spans=[(a.start, a.end)])) in card  # «Xem toàn văn» at the task
    assert all(esc(a.task) not in tasks for a in ROWS if a.unit_key == GO_VAP)
    assert "không có nhiệm vụ nào có thời hạn" in ics  # no task of this unit gives a deadline


def test_a_name_typed_in_any_spelling_finds_its_units(index_dir: Path) -> None:
    view = TasksView(index_dir)
    both, _, _ = view.show("P. Nội vụ", None)
    assert "Nhiệm vụ của Phòng Nội vụ (Ba Đình)" in _text(both) and "Nhiệm vụ của Phòng Nội vụ (Gò Vấp)" in _text(both)
    one, _, _ = view.show("phòng nội vụ quận Gò Vấp", None)
    assert "Phòng Nội vụ (Gò Vấp)" in _text(one) and "Ba Đình" not in _text(one)
    assert len(_cards(one)) == sum(a.unit_key == GO_VAP for a in ROWS)
    none, upcoming, ics = view.show("Sở Không Có Thật", None)
    assert "Không tìm thấy đơn vị «Sở Không Có Thật»" in _text(none) and ics == ""
    assert "Hạn trong 30 ngày tới" in _text(upcoming)


def test_upcoming_deadlines_in_30_or_90_days(index_dir: Path) -> None:
    """The window counts from today: the 31/12/2010 deadline is 46 days away, in the 90-day list only; without
    a unit the list covers every unit (the Ba Đình plan's rhythms only run in its own year, 2025)."""
    view = TasksView(index_dir, today=lambda: NOV_15_2010)
    _, soon, _ = view.show(GO_VAP, "30 ngày tới")
    assert "Không có nhiệm vụ nào đến hạn trong 30 ngày tới của Phòng Nội vụ (Gò Vấp)." in _text(soon)
    _, later, _ = view.show(GO_VAP, "90 ngày tới")
    assert '<span class="tl-upcoming-date">31/12/2010</span>' in later and "Kế hoạch 08/KH-UBND" in _text(later)
    _, everyone, _ = view.show(None, "90 ngày tới")
    assert "Hạn trong 90 ngày tới</h3>" in everyone
    assert "Thủ trưởng các phòng ban" in _text(everyone)  # "định kỳ hàng quý" of the same 2010 plan: 31/12/2010
    view2025 = TasksView(index_dir, today=lambda: date(2025, 11, 1))
    _, nov, _ = view2025.show(None, "30 ngày tới")
    assert nov.count('class="tl-upcoming-item"') == 1 and "25/11/2025" in _text(nov)  # "trước ngày 25/11"
    _, winter, _ = view2025.show(None, "90 ngày tới")
    dates = re.findall(r'tl-upcoming-date">([\d/]+)<', winter)
    assert len(dates) > 1 and dates[0] == "25/11/2025" and "15/12/2025" in dates  # soonest first


def test_the_units_calendar_downloads_as_ics(index_dir: Path) -> None:
    """The link carries the calendar `ics.calendar` makes of the unit's dated tasks, under an ASCII name."""
    _, _, link = TasksView(index_dir).show(GO_VAP, None)
    m = re.search(r'href="data:text/calendar;charset=utf-8;base64,([A-Za-z0-9+/=]+)" download="([^"]+)"', link)
    assert m, link
    assert m.group(2) == ics_name("Phòng Nội vụ (Gò Vấp)") == "nhiem-vu-phong-noi-vu-go-vap.ics"
    cal = icalendar.Calendar.from_ical(base64.b64decode(m.group(1)))
    events = [e for e in cal.walk("VEVENT")]
    dated = [a for a in ROWS if a.unit_key == GO_VAP and a.due]
    assert len(events) == len(dated) == 1
    assert events[0].decoded("DTSTART") == date(2010, 12, 31)


def test_without_assignments_the_view_says_so(tmp_path: Path) -> None:
    expected = esc(NO_ASSIGNMENTS.split(" (")[0])
    for view in (TasksView(tmp_path / "none"), TasksView(_empty_index(tmp_path / "empty"))):
        units, choices, upcoming, tasks, ics = view.load("phong noi vu@ba dinh", "90 ngày tới")
        assert expected in units and choices["choices"] == [] and (upcoming, tasks, ics) == ("", "", "")
        shown, _, _ = view.show(BA_DINH, None)
        assert expected in shown and "no assignments" not in shown  # the page shows Vietnamese only


def _empty_index(path: Path) -> Path:
    _write(path, [])
    return path


def test_a_rebuild_is_read_without_a_restart(index_dir: Path) -> None:
    """The view reads the file again when it changed; the unit chosen stays chosen while it exists."""
    go_vap = [a for a in ROWS if a.unit_key.endswith("@go vap")]
    _write(index_dir, go_vap)
    view = TasksView(index_dir)
    units, choices, *_ = view.load(GO_VAP, None)
    assert "Ba Đình" not in _text(units) and choices["value"] == GO_VAP
    _write(index_dir, ROWS)
    stat = (index_dir / "assignments.jsonl").stat()
    os.utime(index_dir / "assignments.jsonl", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    units, choices, _, tasks, _ = view.load(GO_VAP, None)
    assert (
        "Phòng Nội vụ (Ba Đình)" in _text(units)
        and choices["value"] == GO_VAP
        and "Nhiệm vụ của Phòng Nội vụ (Gò Vấp)" in _text(tasks)
    )
    _write(index_dir, [a for a in ROWS if a.unit_key.endswith("@ba dinh")])
    units, choices, _, tasks, _ = view.load(GO_VAP, None)  # the unit is gone: nothing chosen any more
    assert "Gò Vấp" not in _text(units) and choices["value"] is None and esc(CHOOSE_UNIT) in tasks


def test_document_text_is_shown_as_text(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script> [bấm](http://evil.example) ![x](http://evil.example/x.png) $x$"
    a = Assignment(
        doc_id="evil.txt",
        source="evil<b>.txt",
        unit="Phòng <img src=x onerror=alert(1)>",
        unit_key="phong <img src=x onerror=alert(1)>@x",
        task=hostile,
        start=0,
        end=len(hostile),
        section="III. <i>Tổ chức</i>",
        year=2025,
        due=None,
        meta=DocMeta(
            title="<b>Kế hoạch</b>", issuer="UBND <u>x</u>", number="1/KH", date="2025-01-02", kind="KẾ HOẠCH"
        ),
    )
    _write(tmp_path / "index", [a])
    view = TasksView(tmp_path / "index")
    html = " ".join(x for x in [*view.load(None, None), *view.show(a.unit_key, "90 ngày tới")] if isinstance(x, str))
    for raw in ("<script", "<img", "<b>", "<i>", "<u>", "](http", "http://evil"):
        assert raw not in html
    assert esc(hostile) in html and esc("Phòng <img src=x onerror=alert(1)>") in html


def test_an_unreadable_file_is_one_line_without_a_traceback(index_dir: Path) -> None:
    (index_dir / "assignments.jsonl").write_text('{"doc_id": "x", "unit":\n', encoding="utf-8")
    units, choices, *_ = TasksView(index_dir).load(None, None)
    assert esc(UNREADABLE.split(" (")[0]) in units and "Traceback" not in units and choices["choices"] == []
    tasks, upcoming, ics = TasksView(index_dir).show(BA_DINH, None)
    assert 'role="alert"' in tasks and "Error" not in tasks
