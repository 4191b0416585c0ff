"""The task query layer (assistant.tasks) and the iCalendar export (assistant.ics), on assignments extracted from
the bundled plans and the real documents, stored the way an index build stores them (index.taskstore)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from assistant.crosslingual import vietnamese_terms
from assistant.ics import calendar, event_uid
from assistant.tasks import (
    CachedTaskBook,
    NoTaskIndexError,
    TaskBook,
    TasksError,
    citation,
    next_date,
    parse_day,
    shorten,
    task_dict,
)
from index import taskstore
from index.assignments import Assignment, UnitLexicon
from index.ingest import load_document
from index.types import Document

from .conftest import BA_DINH_2025, CORPUS, GO_VAP_2010

REALDOCS = Path("/work/shared/realdocs")
KH_CHI_THI_11 = REALDOCS / "KH-UBND-trien-khai-Chi-thi-11-CT-TU-QLNN-khoang-san.docx"
PLANS = (BA_DINH_2025, GO_VAP_2010)


def load_documents(paths: Sequence[Path]) -> list[Document]:
    """The documents at `paths`, read as the index reads them."""
    return [load_document(p, p.name, "test") for p in paths]


def write_index(index_dir: Path, paths: Sequence[Path]) -> list[Document]:
    """Extract and store the assignments of `paths` in `index_dir`, as a build does; returns the documents."""
    documents = load_documents(paths)
    rows, lexicon = taskstore.plan_assignments(documents, UnitLexicon())
    index_dir.mkdir(parents=True, exist_ok=True)
    taskstore.write(index_dir, [d.doc_id for d in documents], rows, lexicon)
    return documents


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> tuple[TaskBook, dict[str, Document]]:
    index_dir = tmp_path_factory.mktemp("tasks") / "index"
    documents = write_index(index_dir, [CORPUS / n for n in PLANS])
    return TaskBook.load(index_dir, required=True), {d.doc_id: d for d in documents}


def _rows(book: TaskBook, starts: str) -> list[Assignment]:
    return [a for a in book.rows if a.task.startswith(starts)]


# ------------------------------------------------------------------------------------------------ units
def test_unit_spellings_find_one_unit_per_district(plans: tuple[TaskBook, dict[str, Document]]) -> None:
    book, _ = plans
    both = book.match_units("Phòng Nội vụ")
    assert len(both) == 2 and {k.rpartition("@")[2] for k in both} == {"ba dinh", "go vap"}
    for typed in ("nội vụ", "noi vu", "P. Nội vụ", "phòng nội vụ quận", "PHÒNG NỘI VỤ", "  phong   noi vu "):
        assert sorted(book.match_units(typed)) == sorted(both), typed
    go_vap = book.match_units("phòng nội vụ quận Gò Vấp")
    assert len(go_vap) == 1 and go_vap[0].endswith("@go vap")
    assert book.match_units("Nội vụ Ba Đình") == [k for k in both if k.endswith("@ba dinh")]
    assert book.match_units(go_vap[0]) == go_vap  # an exact key
    assert book.match_units("UBND các phường") == book.match_units("Ủy ban nhân dân các phường") != []
    assert book.match_units("Sở Tài chính") == [] and book.match_units("") == []
    # Words scattered over a name ("Văn phòng Ủy ban nhân dân" holds văn, ban, dân) or out of order find nothing.
    assert book.match_units("ban dân vận") == [] and book.match_units("vụ nội") == []


def test_units_most_tasks_first_named_with_their_area(plans: tuple[TaskBook, dict[str, Document]]) -> None:
    book, _ = plans
    units = book.units()
    assert [u.tasks for u in units] == sorted((u.tasks for u in units), reverse=True)
    assert sum(u.tasks for u in units) == len(book.rows)
    names = {u.key: u.name for u in units}
    assert {names[k] for k in book.match_units("noi vu")} == {"Phòng Nội vụ (Ba Đình)", "Phòng Nội vụ (Gò Vấp)"}
    assert all(u.documents == 1 for u in units)


def test_unknown_unit_names_the_closest(plans: tuple[TaskBook, dict[str, Document]]) -> None:
    book, _ = plans
    with pytest.raises(TasksError) as e:
        book.require_units("phòng nội vuu")
    message = str(e.value)
    assert message.startswith("Không tìm thấy đơn vị") and "Phòng Nội vụ" in message and "\n" not in message
    assert message.endswith("(unknown unit)")


# ------------------------------------------------------------------------------------------------ tasks
def test_tasks_without_range_by_plan_in_text_order(plans: tuple[TaskBook, dict[str, Document]]) -> None:
    book, docs = plans
    rows = book.tasks()
    assert len(rows) == len(book.rows) and all(r.dates == () for r in rows)
    groups = TaskBook.by_plan(rows)
    assert [doc_id for doc_id, _ in groups] == [d for d in docs]  # the index's document order
    for doc_id, group in groups:
        assert [r.assignment.start for r in group] == sorted(r.assignment.start for r in group)
        text = docs[doc_id].text
        assert all(text[r.assignment.start : r.assignment.end] == r.assignment.task for r in group)
    noi_vu = book.tasks("nội vụ")
    assert {r.assignment.unit_key for r in noi_vu} == set(book.match_units("nội vụ"))
    assert len(noi_vu) == sum(u.tasks for u in book.units() if u.key in book.match_units("nội vụ"))


def test_range_gives_due_dates_in_order(plans: tuple[TaskBook, dict[str, Document]]) -> None:
    book, _ = plans
    rows = book.tasks(None, date(2025, 11, 1), date(2025, 12, 31))
    firsts = [r.dates[0] for r in rows]
    assert firsts == sorted(firsts) and all(date(2025, 11, 1) <= d <= date(2025, 12, 31) for r in rows for d in r.dates)
    quarterly = [r for r in rows if r.assignment.task.startswith("Các đơn vị gửi báo cáo")]
    assert quarterly and quarterly[0].dates == (date(2025, 12, 15),)  # "giữa các tháng cuối của mỗi quý"
    year = book.tasks("các đơn vị", date(2025, 1, 1), date(2025, 12, 31))
    reports = next(r for r in year if r.assignment.task.startswith("Các đơn vị gửi báo cáo"))
    assert reports.dates == tuple(date(2025, m, 15) for m in (3, 6, 9, 12))
    # The 2010 plan's rhythms run in 2010, not in every later year; its fixed date stays in 2010.
    assert not any(r.assignment.year == 2010 for r in rows)
    in_2010 = book.tasks("phòng nội vụ quận Gò Vấp", date(2010, 1, 1), date(2010, 12, 31))
    assert [r.dates for r in in_2010] == [(date(2010, 12, 31),)]  # "trong năm 2010"


def test_range_bounds_and_upcoming(plans: tuple[TaskBook, dict[str, Document]]) -> None:
    book, _ = plans
    soon = book.upcoming(date(2025, 11, 20), 30)
    assert any(r.dates == (date(2025, 12, 15),) for r in soon)
    assert all(date(2025, 11, 20) <= d <= date(2025, 12, 20) for r in soon for d in r.dates)
    assert not any(r.dates == (date(2025, 12, 15),) for r in book.upcoming(date(2025, 11, 20), 10))
    assert book.tasks(None, date(2025, 3, 1), None) == book.tasks(None, date(2025, 3, 1), date(2026, 3, 1))
    with pytest.raises(TasksError, match=r"^Ngày bắt đầu 31/12/2025 sau ngày kết thúc 01/01/2025 \(start date"):
        book.tasks(None, date(2025, 12, 31), date(2025, 1, 1))
    with pytest.raises(TasksError, match="10 năm"):
        book.tasks(None, date(1990, 1, 1), date(2025, 1, 1))
    with pytest.raises(TasksError):
        book.upcoming(date(2025, 1, 1), -1)


def test_next_date_and_display(plans: tuple[TaskBook, dict[str, Document]]) -> None:
    book, _ = plans
    reports = _rows(book, "Các đơn vị gửi báo cáo")[0]
    assert next_date(reports, date(2025, 4, 2)) == date(2025, 6, 15)
    assert next_date(reports, date(2026, 4, 2)) is None  # the plan of 2025 is over
    go_vap = next(a for a in book.tasks("phòng nội vụ quận Gò Vấp") if a.assignment.due).assignment
    assert go_vap.due is not None and go_vap.due.date == "2010-12-31"
    assert next_date(go_vap, date(2025, 1, 1)) == date(2010, 12, 31)
    assert citation(go_vap) == "[08/KH-UBND, 09/02/2010, III. Tổ chức thực hiện › 3. Phòng Nội vụ]"
    d = task_dict(book.tasks(None, date(2025, 12, 1), date(2025, 12, 31))[0])
    assert {
        "unit",
        "unit_key",
        "task",
        "doc_id",
        "source",
        "title",
        "number",
        "date",
        "section",
        "start",
        "end",
    } <= set(d)
    assert isinstance(d["dates"], list) and all(isinstance(x, str) for x in d["dates"])
    assert shorten("  - Một hai ba bốn năm sáu bảy tám chín mười  ", 20) == "Một hai ba bốn năm…"


def test_parse_day() -> None:
    assert parse_day("30/11/2025") == parse_day("2025-11-30") == parse_day(" 30-11-2025 ") == date(2025, 11, 30)
    assert parse_day("30.11.2025") == date(2025, 11, 30)
    assert parse_day("1/2", today=date(2026, 7, 1)) == date(2026, 2, 1)
    for bad in ("31/11/2025", "30/13/2025", "hôm nay", "", "2025-02-30", "1/1/1800", "12345"):
        with pytest.raises(ValueError) as e:
            parse_day(bad)
        assert str(e.value).startswith("Ngày không hợp lệ") and "(invalid date" in str(e.value)


def test_cached_book_reloads_after_a_rebuild(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    with pytest.raises(NoTaskIndexError, match="assistant index build"):
        CachedTaskBook(index_dir).get()
    assert TaskBook.load(index_dir).rows == []  # not required: an empty book
    write_index(index_dir, [CORPUS / BA_DINH_2025])
    cache = CachedTaskBook(index_dir)
    first = cache.get()
    assert cache.get() is first and {a.source for a in first.rows} == {BA_DINH_2025}
    write_index(index_dir, [CORPUS / GO_VAP_2010])
    st = (index_dir / taskstore.ASSIGNMENTS).stat()
    os.utime(index_dir / taskstore.ASSIGNMENTS, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert {a.source for a in cache.get().rows} == {GO_VAP_2010}


@pytest.mark.skipif(not KH_CHI_THI_11.exists(), reason="real documents not present")
def test_real_plan_units_and_quarter_deadlines(tmp_path: Path) -> None:
    write_index(tmp_path / "index", [KH_CHI_THI_11, CORPUS / BA_DINH_2025])
    book = TaskBook.load(tmp_path / "index")
    keys = book.match_units("so nong nghiep va moi truong")
    assert len(keys) == 1 and keys[0].endswith("@lao cai")
    assert book.match_units("Sở Nông nghiệp") == keys
    police = book.tasks("Công an tỉnh", date(2026, 4, 1), date(2026, 6, 30))
    assert any(r.dates == (date(2026, 6, 30),) for r in police)  # "Xong trong Quý II/2026"
    assert book.units()[0].name == "Sở Nông nghiệp và Môi trường (Lào Cai)"
    # A level of government, said "cấp xã" or "các xã", finds the units of that level however the plan lists them
    # ("UBND các xã, phường", "UBND cấp xã, phường"); a ward's word inside another word does not ("xã hội").
    names = {u.key: u.name for u in book.units()}
    communes = book.match_units("cấp xã")
    assert {names[k] for k in communes} >= {
        "UBND các xã, phường (Lào Cai)",
        "Các Sở, ban, ngành và UBND cấp xã, phường (Lào Cai)",
    }
    for typed in ("các xã", "UBND cấp xã", "UBND các xã, phường"):
        assert sorted(book.match_units(typed)) == sorted(communes), typed
    wards = sorted(book.match_units("cap phuong"))  # Lào Cai's and Ba Đình's "UBND các phường"
    assert (
        wards
        == sorted(book.match_units("các phường"))
        == sorted([*communes, *book.match_units("UBND các phường Ba Đình")])
    )
    assert book.match_units("cấp phường Ba Đình") == book.match_units("UBND các phường Ba Đình") != []
    assert book.match_units("cấp huyện") == [] and book.match_units("cấp xã hội") == []
    # The class a unit no task names belongs to, by its own first word: a "Sở" is one of "các Sở, ban, ngành"; a
    # district committee or a Party committee is no "ban" ("Ủy ban") nor "quận" ("các cơ quan").
    classes = {names[k] for k in book.class_units("Sở Tư pháp")}
    assert "Các Sở, ban, ngành và UBND cấp xã, phường (Lào Cai)" in classes
    assert all("sở" in name.lower() for name in classes), classes
    assert book.class_units("UBND quận Hoàn Kiếm") == [] and book.class_units("Quận ủy Ba Đình") == []
    # An English name reaches the unit through the glossary, without its words kept as names too ("Department Home
    # Affairs Lao Cai Sở Nội vụ" matched nothing).
    assert book.match_units(vietnamese_terms("Department of Home Affairs of Lao Cai")) == book.match_units("Sở Nội vụ")
    assert book.match_units("Sở Nội vụ") != []


# ------------------------------------------------------------------------------------------------ iCalendar
STAMP = datetime(2025, 11, 20, 8, 0, tzinfo=UTC)


def _events(data: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_calendar_events_rrules_and_dates(plans: tuple[TaskBook, dict[str, Document]]) -> None:
    book, _ = plans
    data = calendar(book.rows, "Nhiệm vụ: Phòng Nội vụ (Ba Đình)", stamp=STAMP)
    cal = Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0" and "Tro ly dan van" in str(cal["PRODID"])
    assert str(cal["X-WR-CALNAME"]) == "Nhiệm vụ: Phòng Nội vụ (Ba Đình)"
    events = _events(data)
    with_due = [a for a in book.rows if a.due is not None]
    assert 0 < len(events) <= len(with_due) < len(book.rows)  # rows without a deadline are left out
    assert set(events) <= {event_uid(a) for a in with_due}
    reports = _rows(book, "Các đơn vị gửi báo cáo")[0]
    e = events[event_uid(reports)]
    assert e.decoded("DTSTART") == date(2025, 3, 15)  # first "giữa tháng cuối quý" of the plan's year
    rule = e["RRULE"]
    assert rule["FREQ"] == ["MONTHLY"] and rule["INTERVAL"] == [3] and rule["BYMONTHDAY"] == [15]
    assert [int(m) for m in rule["BYMONTH"]] == [3, 6, 9, 12] and rule["UNTIL"] == [date(2025, 12, 31)]
    assert str(e["SUMMARY"]).startswith("Các đơn vị: Các đơn vị gửi báo cáo tình hình công tác dân vận")
    assert len(str(e["SUMMARY"])) <= len("Các đơn vị: ") + 80
    description = str(e["DESCRIPTION"])
    assert " ".join(reports.task.split()) in description and "Thời hạn: giữa các tháng cuối của mỗi quý" in description
    assert "Triển khai công tác Dân vận chính quyền năm 2025" in description and "Mục: II. NỘI DUNG" in description
    fixed = next(r.assignment for r in book.tasks("phòng nội vụ quận Gò Vấp") if r.assignment.due)
    f = events[event_uid(fixed)]
    assert f.decoded("DTSTART") == date(2010, 12, 31) and "RRULE" not in f
    assert "số 08/KH-UBND" in str(f["DESCRIPTION"]) and "09/02/2010" in str(f["DESCRIPTION"])


def test_calendar_uids_are_stable(plans: tuple[TaskBook, dict[str, Document]]) -> None:
    book, _ = plans
    first = calendar(book.rows, "a", stamp=STAMP)
    again = calendar(list(reversed(book.rows)), "b", stamp=datetime(2026, 1, 1, tzinfo=UTC))
    assert set(_events(first)) == set(_events(again))
    a = _rows(book, "Các đơn vị gửi báo cáo")[0]
    assert event_uid(a) == event_uid(Assignment.from_dict(a.to_dict()))
    assert event_uid(a) != event_uid(dataclasses.replace(a, unit_key="phong noi vu@ba dinh"))
    assert event_uid(a) != event_uid(dataclasses.replace(a, doc_id="other.txt"))


def test_calendar_escapes_text(plans: tuple[TaskBook, dict[str, Document]]) -> None:
    book, _ = plans
    a = _rows(book, "Các đơn vị gửi báo cáo")[0]
    tricky = "Báo cáo quý, năm; gửi UBND\nvề Phòng Nội vụ \\ kèm “số liệu”"
    odd = dataclasses.replace(a, task=tricky, unit="Phòng A, B; C", section="III. Tổ chức; thực hiện, 1")
    data = calendar([odd], "Lịch, nhiệm vụ; 2025", stamp=STAMP)
    assert b"Ph\xc3\xb2ng A\\, B\\; C" in data.replace(b"\r\n ", b"")  # RFC 5545 TEXT escaping
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # lines folded at 75 octets
    e = next(iter(_events(data).values()))
    description = str(e["DESCRIPTION"])
    assert description.splitlines()[0] == " ".join(tricky.split())
    assert "Mục: III. Tổ chức; thực hiện, 1" in description
    assert str(Calendar.from_ical(data)["X-WR-CALNAME"]) == "Lịch, nhiệm vụ; 2025"
    assert calendar([dataclasses.replace(a, due=None)], "x", stamp=STAMP).count(b"BEGIN:VEVENT") == 0
