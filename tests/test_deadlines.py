"""Deadlines and rhythms read from Vietnamese task sentences (index.deadlines)."""

from __future__ import annotations

from datetime import date

import pytest

from index.deadlines import Due, parse_due, parse_dues


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("gửi báo cáo trước ngày 25/11/2025", "2025-11-25"),
        ("trước ngày 25/11", "2025-11-25"),
        ("chậm nhất ngày 30/11", "2025-11-30"),
        ("ngày 25 tháng 11 năm 2025", "2025-11-25"),
        ("truoc ngay 25 / 11 / 2025", "2025-11-25"),
        ("Xong trong Quý II/2026", "2026-06-30"),
        ("xong trong quý IV năm 2025", "2025-12-31"),
        ("Xong trong tháng 5/2026", "2026-05-31"),
        ("trong tháng 3", "2025-03-31"),
        ("đến hết năm 2010", "2010-12-31"),
        ("vận hành xong trước ngày 01/01/2030", "2030-01-01"),
    ],
)
def test_one_date(text: str, iso: str) -> None:
    due = parse_due(text, 2025)
    assert due is not None and due.date == iso and text[due.start : due.end] == due.text


@pytest.mark.parametrize(
    ("text", "every", "day", "month"),
    [
        ("giữa tháng cuối mỗi quý", "quarter", 15, 3),
        ("vào giữa các tháng cuối của mỗi quý", "quarter", 15, 3),
        ("tháng cuối quý", "quarter", None, 3),
        ("định kỳ hàng quý báo cáo", "quarter", None, None),
        ("hằng tháng", "month", None, None),
        ("trước ngày 25 hằng tháng", "month", 25, None),
        ("trước ngày 15/12 hằng năm", "year", 15, 12),
        ("định kỳ hàng năm (trước ngày 10/12) hoặc đột xuất", "year", 10, 12),
        ("định kỳ 6 tháng", "half-year", None, None),
        ("báo cáo 6 tháng đầu năm", "year", None, 6),
        ("sơ kết 6 tháng", "year", None, 6),
        ("tổng kết năm", "year", None, 12),
        ("hang nam", "year", None, None),
    ],
)
def test_rhythms(text: str, every: str, day: int | None, month: int | None) -> None:
    due = parse_due(text, 2025)
    assert due is not None and (due.every, due.day, due.month, due.date) == (every, day, month, "")


@pytest.mark.parametrize(
    "text",
    ["trước ngày 31/02/2025", "Kế hoạch số 136/KH-UBND ngày 01/6/2021 của UBND Thành phố", "Thường xuyên", "quý I"],
)
def test_not_deadlines(text: str) -> None:
    assert parse_due(text, 2025) is None


def test_rrule_and_occurrences() -> None:
    quarterly = parse_due("giữa tháng cuối mỗi quý", 2025)
    assert quarterly is not None
    assert quarterly.rrule() == "FREQ=MONTHLY;INTERVAL=3;BYMONTH=3,6,9,12;BYMONTHDAY=15"
    assert quarterly.occurrences(date(2025, 1, 1), date(2025, 12, 31)) == [
        date(2025, 3, 15), date(2025, 6, 15), date(2025, 9, 15), date(2025, 12, 15)
    ]  # fmt: skip
    yearly = Due(every="year", day=15, month=12)
    assert yearly.rrule() == "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15"
    assert Due(every="quarter").occurrences(date(2025, 1, 1), date(2025, 6, 30)) == [
        date(2025, 3, 31),
        date(2025, 6, 30),
    ]
    assert (
        Due(date="2025-11-25").rrule() == ""
        and Due(date="2025-11-25").occurrences(date(2025, 12, 1), date(2026, 1, 1)) == []
    )
    assert Due.from_dict(yearly.to_dict()) == yearly


def test_two_deadlines_in_one_real_sentence() -> None:
    # corpus/003_7bfcb32814c81f86.txt, "4. Công tác sơ kết, tổng kết, báo cáo và thi đua khen thưởng"
    text = (
        "Các đơn vị gửi báo cáo tình hình công tác dân vận chính quyền vào giữa các tháng cuối của mỗi quý và gửi "
        "báo cáo năm trước ngày 25/11 về UBND quận (*qua Phòng Nội vụ*)."
    )
    first, second = parse_dues(text, 2025)
    assert (first.every, first.day, first.month) == ("quarter", 15, 3)
    assert second.date == "2025-11-25" and second.text == "trước ngày 25/11"


def test_real_table_cells() -> None:
    # KH-UBND-trien-khai-Chi-thi-11 (shared realdocs), the Phụ lục's "Thời gian thực hiện" column
    assert parse_due("Thời gian thực hiện: Xong trong Quý II/2026", 2026).date == "2026-06-30"  # type: ignore[union-attr]
    assert parse_due("Thời gian thực hiện: Hàng năm", 2026).every == "year"  # type: ignore[union-attr]
    assert parse_due("Thời gian thực hiện: Thường xuyên", 2026) is None
