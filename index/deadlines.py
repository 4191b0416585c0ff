"""Deadlines and rhythms written in Vietnamese task sentences: "trước ngày 25/11", "giữa tháng cuối mỗi quý".

`parse_dues` finds every expression of a text, `parse_due` the first one, as a `Due`: a fixed date (ISO), or a
recurrence (`every`: week, month, quarter, half-year, year) with the day and the month within the period when the
text gives them. A date without its year takes the plan's year. A date is a deadline only when a cue introduces
it ("trước", "chậm nhất", "hạn", "đến", "xong", "hoàn thành", "thời gian"…) or when it opens the text (a table
cell "Thời gian thực hiện: 30/11/2025"): "Kế hoạch số 136/KH-UBND ngày 01/6/2021" names a document, not a deadline.

The text is matched on a fold made character by character (lower case, no diacritics, đ→d), so offsets are the
text's own and "truoc ngay 25 / 11" typed without accents, or with the odd spacing of PDF text, reads the same.

>>> parse_due("gửi báo cáo năm trước ngày 25/11 về UBND quận", 2025).date
'2025-11-25'
>>> parse_due("vào giữa các tháng cuối của mỗi quý", 2025).rrule()
'FREQ=MONTHLY;INTERVAL=3;BYMONTH=3,6,9,12;BYMONTHDAY=15'
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from index.normalize import fold_chars

EVERY = ("week", "month", "quarter", "half-year", "year")
_ROMAN_QUARTER = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "sau": 6, "muoi hai": 12}


@dataclass(frozen=True)
class Due:
    """A deadline (`date`) or a rhythm (`every`, with `day` and `month` within the period), and its wording."""

    date: str = ""  # ISO "2025-11-25" when one date can be fixed
    every: str = ""  # "" | "week" | "month" | "quarter" | "half-year" | "year"
    day: int | None = None  # day of month of a recurring deadline ("giữa tháng" -> 15)
    month: int | None = None  # month within the period ("tháng cuối quý" -> 3, "15/12 hằng năm" -> 12)
    text: str = ""  # exact source wording; `start`, `end`: its offsets in the text given
    start: int = 0
    end: int = 0

    def rrule(self) -> str:
        """RFC 5545 RRULE of a recurring deadline ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15"), "" for a one-off."""
        day = f"BYMONTHDAY={self.day if self.day else -1}"
        if self.every == "week":
            return "FREQ=WEEKLY"
        if self.every == "month":
            return f"FREQ=MONTHLY;{day}"
        if self.every in ("quarter", "half-year"):
            step = 3 if self.every == "quarter" else 6
            first = self.month or step
            months = ",".join(str(m) for m in range(first, 13, step))
            return f"FREQ=MONTHLY;INTERVAL={step};BYMONTH={months};{day}"
        if self.every == "year":
            return f"FREQ=YEARLY;BYMONTH={self.month or 12};{day}"
        return ""

    def occurrences(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """The due dates inside [start, end]; a recurring one without a day falls on its period's last day."""
        if self.date:
            one = date.fromisoformat(self.date)
            return [one] if start <= one <= end else []
        if self.every == "week":
            first = start + timedelta(days=(6 - start.weekday()) % 7)  # weeks end on Sunday
            return [first + timedelta(weeks=n) for n in range((end - first).days // 7 + 1)] if first <= end else []
        if self.every in ("month", "quarter", "half-year", "year"):
            step = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}[self.every]
            months = range(1, 13) if step == 1 else range(self.month or step, 13, step)
        elif self.month is not None:
            months = range(self.month, self.month + 1)  # day and month without a year: each year
        else:
            return []
        out = []
        for year in range(start.year, end.year + 1):
            for month in months:
                last = calendar.monthrange(year, month)[1]
                day = min(self.day, last) if self.day else last
                when = date(year, month, day)
                if start <= when <= end:
                    out.append(when)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for persistence."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Due:
        """Inverse of `to_dict`."""
        return cls(**d)


# ------------------------------------------------------------------------------------------------ patterns
# "25/11/2025", "25-11", "25 / 11", "ngày 25 tháng 11 năm 2025", "25.11.2025" (a dot only with the year).
_DATE = (
    r"(?:(?P<d>[0-3]?\d)\s*(?P<sep>[/-])\s*(?P<m>[01]?\d)(?:\s*(?P=sep)\s*(?P<y>(?:19|20)\d\d))?"
    r"|(?P<d2>[0-3]?\d)\.(?P<m2>[01]?\d)\.(?P<y2>(?:19|20)\d\d)"
    r"|(?P<d3>[0-3]?\d)\s+thang\s+(?P<m3>[01]?\d)(?:,?\s+nam\s+(?P<y3>(?:19|20)\d\d))?)(?![\d/])"
)
_CUE = (
    r"(?:truoc|cham\s+nhat(?:\s+la)?|han(?:\s+chot)?|thoi\s+han|thoi\s+gian(?:\s+thuc\s+hien)?|den|den\s+het"
    r"|xong(?:\s+truoc)?|hoan\s+thanh(?:\s+truoc)?|trong|vao|tu|ke\s+tu|bat\s+dau\s+tu|muon\s+nhat|tai)"
)
_EVERY_WORDS = (
    r"(?:hang|hang|moi|theo|dinh\s+ky(?:\s+hang)?|dinh\s+ky\s+moi)\s+"
    # "quy" also begins "quy định", "quy chế", "quy trình", "quy hoạch"…: not a quarter then
    r"(?P<unit>tuan|thang|quy(?!\s+(?:dinh|che|trinh|hoach|mo|tac|pham|chuan|uoc|luat|doi|nap|tu)(?![\w]))|nam"
    r"|6\s+thang|sau\s+thang)(?![\w])"
)
_QUARTER = r"quy\s+(?P<q>iv|iii|ii|i|[1-4])(?![\w])(?:\s*(?:/|nam)\s*(?P<qy>(?:19|20)\d\d))?"
_MONTH_YEAR = r"thang\s+(?P<mm>[01]?\d)(?:\s*(?:/|nam)\s*(?P<my>(?:19|20)\d\d))?(?![\d/])"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("mid_last", re.compile(r"giua\s+(?:cac\s+)?thang\s+cuoi(?:\s+cua)?(?:\s+(?:moi|hang|cac))?\s+quy")),
    (
        "last_month_quarter",
        re.compile(r"(?:cac\s+)?thang\s+(?P<pos>cuoi|dau|giua)(?:\s+cua)?(?:\s+(?:moi|hang))?\s+quy"),
    ),
    ("half_first", re.compile(r"(?:6|sau)\s+thang\s+(?P<half>dau|cuoi)\s+nam")),
    (
        "half_review",
        re.compile(r"(?:so\s+ket|bao\s+cao|danh\s+gia)\s+(?:\w+\s+){0,3}?(?:6|sau)\s+thang(?!\s+(?:dau|cuoi))"),
    ),
    (
        "year_review",
        re.compile(r"tong\s+ket\s+(?:cong\s+tac\s+)?nam(?!\s+\d)|bao\s+cao\s+(?:tong\s+ket\s+)?nam(?![\s\d]*\d)"),
    ),
    (
        "day_every",
        re.compile(r"(?:truoc|cham\s+nhat|vao|den)\s+ngay\s+(?P<dd>[0-3]?\d)\s+(?:hang|moi|cua\s+moi)\s+thang"),
    ),
    # "gửi báo cáo quý và năm", "báo cáo tháng": a periodic report; "báo cáo quý I" names one quarter instead
    (
        "report_every",
        re.compile(r"bao\s+cao\s+(?:dinh\s+ky\s+)?(?P<unit>tuan|thang|quy)(?!\s+(?:[ivx]+|[1-4])(?![\w]))(?![\w/])"),
    ),
    ("every", re.compile(_EVERY_WORDS)),
    ("every_half", re.compile(r"dinh\s+ky\s+(?:6|sau)\s+thang|(?:6|sau)\s+thang\s+(?:mot\s+lan|/\s*lan)")),
    (
        "date",
        re.compile(rf"(?<![\w/.-])(?:(?P<cue>{_CUE})\s+(?:(?:la|vao|ngay|het|truoc)\s+){{0,3}})?(?:ngay\s+)?{_DATE}"),
    ),
    ("quarter", re.compile(rf"(?<![\w])(?P<cue>{_CUE}\s+(?:(?:het|ngay|cuoi)\s+)?)?{_QUARTER}")),
    ("month", re.compile(rf"(?<![\w/])(?P<cue>{_CUE}\s+(?:(?:het|cuoi)\s+)?)?{_MONTH_YEAR}")),
    ("year_end", re.compile(r"(?:trong|den\s+het|den|het|cuoi)\s+nam\s+(?P<ye>(?:19|20)\d\d)")),
]
# A date right after a document's number or name is that document's date: "số 19/KH-UBND ngày 06/4/2020".
_REFERENCE_BEFORE = re.compile(r"(?:\d[\w.]*[/-][\w/.-]*|[a-z]\d*)\s+(?:ngay\s+)?$")
_REFERENCE_AFTER = re.compile(r"\s+(?:cua|ve\s+viec|v/v)\b")
_PERIOD_WORDS = {"tuan": "week", "thang": "month", "quy": "quarter", "nam": "year"}


def _valid(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _quarter_end(year: int, quarter: int) -> str:
    month = quarter * 3
    return date(year, month, calendar.monthrange(year, month)[1]).isoformat()


def _month_end(year: int, month: int) -> str:
    return date(year, month, calendar.monthrange(year, month)[1]).isoformat()


def _one(kind: str, m: re.Match[str], folded: str, year: int | None) -> Due | None:
    """The `Due` one pattern match stands for, or None when the match is no deadline."""
    g = m.groupdict()
    s0, e0 = m.start(), m.end()
    if kind == "mid_last":
        return Due(every="quarter", day=15, month=3, start=s0, end=e0)
    if kind == "last_month_quarter":
        return Due(every="quarter", month={"dau": 1, "giua": 2, "cuoi": 3}[g["pos"]], start=s0, end=e0)
    if kind == "half_first":
        return Due(every="year", month=6 if g["half"] == "dau" else 12, start=s0, end=e0)
    if kind == "half_review":
        return Due(every="year", month=6, start=s0, end=e0)
    if kind == "year_review":
        return Due(every="year", month=12, start=s0, end=e0)
    if kind == "every":
        unit = g["unit"]
        return Due(
            every="half-year" if unit.endswith("thang") and unit[0] in "6s" else _PERIOD_WORDS[unit], start=s0, end=e0
        )
    if kind == "report_every":
        return Due(every=_PERIOD_WORDS[g["unit"]], start=s0, end=e0)
    if kind == "every_half":
        return Due(every="half-year", start=s0, end=e0)
    if kind == "day_every":
        day = int(g["dd"])
        return Due(every="month", day=day, start=s0, end=e0) if 1 <= day <= 31 else None
    if kind == "date":
        day = int(g["d"] or g["d2"] or g["d3"])
        month = int(g["m"] or g["m2"] or g["m3"])
        written = g["y"] or g["y2"] or g["y3"]
        given = int(written) if written else None
        if not g["cue"] and m.start() > 0 and folded[: m.start()].strip():
            before = folded[max(0, m.start() - 40) : m.start()]
            if _REFERENCE_BEFORE.search(before) or not re.search(r"(?:^|[:;,(\-–]|\n)\s*(?:ngay\s+)?$", before):
                return None  # a date inside a sentence with no cue: a document's date, a date of record
        if _REFERENCE_AFTER.match(folded, m.end()):
            return None
        if g["cue"] == "tu" and not re.match(r"\s+den", folded[m.end() : m.end() + 6]):
            return None  # "từ ngày 01/01" opens a period; its end is the deadline
        if g["cue"] == "tai":
            return None
        check_year = given or year or 2000  # 2000 is a leap year: 29/02 without a year may be valid
        if not _valid(check_year, month, day):
            return None
        when = given or year
        return Due(date=date(when, month, day).isoformat() if when else "", day=day, month=month, start=s0, end=e0)
    if kind == "quarter":
        quarter = _ROMAN_QUARTER[g["q"]]
        when = int(g["qy"]) if g["qy"] else year
        if not g["cue"] and not g["qy"]:
            return None  # "quý I" alone names a period in a report, not a deadline
        return Due(
            date=_quarter_end(when, quarter) if when else "",
            every="" if when else "year",
            month=quarter * 3,
            start=s0,
            end=e0,
        )
    if kind == "month":
        month = int(g["mm"])
        if not 1 <= month <= 12:
            return None
        given = int(g["my"]) if g["my"] else None
        if not g["cue"] and not given:
            return None
        before = folded[max(0, m.start() - 12) : m.start()]
        if re.search(r"ngay\s+[0-3]?\d\s*$", before):
            return None  # the month of a "ngày … tháng …" date, read as a date
        when = given or year
        return Due(date=_month_end(when, month) if when else "", month=month, start=s0, end=e0)
    if kind == "year_end":
        return Due(date=f"{g['ye']}-12-31", start=s0, end=e0)
    return None


def parse_dues(text: str, year: int | None = None) -> list[Due]:
    """Every deadline or rhythm in `text` in order, with a date and its rhythm nearby merged into one recurring
    deadline ("trước ngày 15/12 hằng năm", "định kỳ hàng năm (trước ngày 10/12)")."""
    folded = fold_chars(text)
    found: list[tuple[Due, str]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            due = _one(kind, m, folded, year)
            if due is not None:
                found.append((due, kind))
                taken.append((m.start(), m.end()))
    found.sort(key=lambda x: x[0].start)
    merged: list[tuple[Due, str]] = []
    for due, kind in found:
        if merged and _near(merged[-1][0], due, folded):
            prev, prev_kind = merged[-1]
            if {prev_kind, kind} & _IMPLIED and "date" in (prev_kind, kind):
                merged[-1] = (prev, prev_kind) if prev_kind == "date" else (due, kind)  # "báo cáo năm trước 25/11"
                continue
            joined = _join(prev, due)
            if joined is not None:
                merged[-1] = (joined, "every")
                continue
        merged.append((due, kind))
    return [Due(**{**asdict(d), "text": text[d.start : d.end]}) for d, _ in merged]


# Rhythms implied by a report's name ("báo cáo năm", "sơ kết 6 tháng"): a date given with them is the deadline.
_IMPLIED = frozenset({"half_first", "half_review", "year_review"})


def _near(a: Due, b: Due, folded: str) -> bool:
    """Whether two expressions sit in one clause, close enough to state one deadline."""
    gap = folded[a.end : b.start]
    return len(gap) <= 25 and not re.search(r"[;.]|\bva\b|\bhoac\b", gap)


def _join(a: Due, b: Due) -> Due | None:
    """A date and a rhythm next to each other as one recurring deadline ("trước ngày 15/12 hằng năm")."""
    rhythm, when = (a, b) if a.every and not a.date else (b, a)
    if not rhythm.every or rhythm.day is not None or when.every or when.month is None:
        return None
    if rhythm.every == "year":
        return Due(every="year", day=when.day, month=when.month, start=a.start, end=b.end)
    if rhythm.every == "month" and when.day is not None:
        return Due(every="month", day=when.day, start=a.start, end=b.end)
    return None


def parse_due(text: str, year: int | None = None) -> Due | None:
    """The first deadline or rhythm in a task sentence (see `parse_dues`), or None."""
    dues = parse_dues(text, year)
    return dues[0] if dues else None
