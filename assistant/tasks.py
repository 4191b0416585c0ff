"""What each unit must do, and by when, across all indexed plans (issue 18): the one query layer of the
`assistant tasks` command, `GET /api/tasks` and the chat page.

`TaskBook` holds the assignments an index stores (`index.taskstore`), finds units from what a user types
("nội vụ", "P. Nội vụ", "phòng nội vụ quận Gò Vấp") and lists their tasks, in a date range when one is asked.

    book = TaskBook.load(settings.index_dir)
    for row in book.tasks("phòng nội vụ", date(2025, 11, 1), date(2025, 11, 30)):
        print(row.assignment.unit, row.dates, row.assignment.task)
"""

from __future__ import annotations

import difflib
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from index.assignments import Assignment, display_unit, unit_key
from index.layout import MANIFEST
from index.normalize import fold_chars
from index.taskstore import ASSIGNMENTS, load_assignments

MAX_RANGE_DAYS = 3660  # a range of ten years at most: weekly tasks give one date per week
_WORD = re.compile(r"\w+")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_DAY = re.compile(r"\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}))?\s*")
_ISO_DAY = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")
# Levels of local government, folded. "Cấp xã" (the commune level) and "các xã" (the communes) name the same units,
# and a name may list levels together: "UBND các xã, phường", "UBND cấp xã, phường, thị trấn".
_LEVEL = r"(?:xa|phuong|thi tran|thi xa|thanh pho|quan|huyen|tinh)"
# The first word (folded) of a unit a class of units takes in ("Sở Tư pháp" is one of "các Sở, ban, ngành", "Phòng
# Y tế" of "các phòng chuyên môn"), and a level's committee ("UBND xã Tả Phìn" is one of "UBND các xã, phường").
_CLASS_HEAD = re.compile(r"(so|phong|ban) \w")
_COMMITTEE_OF = re.compile(rf"(?:chu tich )?uy ban nhan dan ({_LEVEL}) \w")
_AT_LEVEL = re.compile(rf"(?<![\w])(?:cap|cac) ({_LEVEL})(?![\w])")


class TasksError(AssistantError, ValueError):
    """A task query that cannot be answered: no task index yet, an unknown unit, a bad date or range (one line,
    Vietnamese first)."""


class NoTaskIndexError(TasksError):
    """The index has no assignments file (no index yet, or one built before assignments were stored)."""


@dataclass(frozen=True)
class TaskRow:
    """One assignment and its due dates inside the asked range (empty without a range or without deadline)."""

    assignment: Assignment
    dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class UnitSummary:
    """One unit of the index: its key, the name to show, how many tasks and in how many plans."""

    key: str
    name: str
    tasks: int
    documents: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON)."""
        return {"key": self.key, "name": self.name, "tasks": self.tasks, "documents": self.documents}


def _words(text: str) -> list[str]:
    return _WORD.findall(fold_chars(text))


def _area_name(key: str, rows: Sequence[Assignment]) -> str:
    """The area of a unit key as the documents write it ("ba dinh" -> "Ba Đình"), "" when none is known."""
    area = key.rpartition("@")[2]
    if not area:
        return ""
    for a in rows:
        for text in (a.unit, a.meta.place, a.meta.issuer):
            i = " ".join(fold_chars(text).split()).find(area)
            if i >= 0:
                spaced = " ".join(text.split())  # fold_chars keeps offsets: the same slice of the written text
                return spaced[i : i + len(area)]
    return area.title()


class TaskBook:
    """The assignments of an index, by unit and plan; every query of the CLI, the API and the page goes here."""

    def __init__(self, rows: Sequence[Assignment]) -> None:
        self.rows = list(rows)
        by_key: dict[str, list[Assignment]] = {}
        for a in self.rows:
            by_key.setdefault(a.unit_key, []).append(a)
        self._by_key = by_key
        self._summaries = sorted(
            (self._summary(key, rows) for key, rows in by_key.items()), key=lambda u: (-u.tasks, u.name, u.key)
        )
        self._haystacks = {
            key: set(_words(key)) | {w for a in rows for w in _words(a.unit)} for key, rows in by_key.items()
        }
        # Each unit's names as word strings ("phong noi vu ba dinh"): its key's and each written one's, with the area.
        self._names: dict[str, tuple[str, set[str]]] = {}
        for key, rows in by_key.items():
            name, _, area = key.partition("@")
            spelled = {" ".join(_words(unit_key(a.unit, "").partition("@")[0])) for a in rows}
            spelled |= {" ".join(_words(a.unit)) for a in rows}
            self._names[key] = (area, {f" {n} {area} " for n in {" ".join(_words(name)), *spelled}})
        self._order = {doc_id: i for i, doc_id in enumerate(dict.fromkeys(a.doc_id for a in self.rows))}

    @classmethod
    def load(cls, index_dir: Path, required: bool = False) -> TaskBook:
        """The assignments stored with the index in `index_dir`; with `required`, `NoTaskIndexError` when the
        index has none (no index yet, or one built before assignments were stored)."""
        if required and not (index_dir / ASSIGNMENTS).is_file():
            if (index_dir / MANIFEST).is_file():
                raise NoTaskIndexError(
                    "Chỉ mục chưa có danh sách nhiệm vụ; hãy chạy lại `assistant index build` "
                    "(the index has no assignments yet)."
                )
            raise NoTaskIndexError("Chưa có chỉ mục; hãy chạy `assistant index build` trước (no index yet).")
        return cls(load_assignments(index_dir))

    @staticmethod
    def _summary(key: str, rows: Sequence[Assignment]) -> UnitSummary:
        name = Counter(display_unit(a.unit) for a in rows).most_common(1)[0][0]
        area = _area_name(key, rows)
        if area and fold_chars(area) not in fold_chars(name):
            name = f"{name} ({area})"  # two districts' offices of one name stay apart in every list
        return UnitSummary(key, name, len(rows), len({a.doc_id for a in rows}))

    def units(self) -> list[UnitSummary]:
        """Every unit, most tasks first, then by name."""
        return list(self._summaries)

    def unit(self, key: str) -> UnitSummary | None:
        """The summary of one unit key."""
        return next((u for u in self._summaries if u.key == key), None)

    def match_units(self, text: str) -> list[str]:
        """Unit keys for what a user typed: an exact key, else the keys whose name (as normalised or as
        written, followed by its area) holds the words of `text` in a row, abbreviations and accents folded
        ("P. Nội vụ", "noi vu", "Nội vụ Ba Đình"), and whose area is the one `text` names after a level word
        ("phòng nội vụ quận Gò Vấp"); units of different areas are different keys. [] when none."""
        text = " ".join(text.split())
        if not text:
            return []
        if text in self._by_key:
            return [text]
        name, _, area = unit_key(text, "").partition("@")
        phrase = " ".join(_words(name))
        if not phrase:
            return []
        # Words are \w runs, so the phrase is its own pattern; a level ("cấp phường") also reads "các xã, phường".
        wanted = re.compile(
            " {} ".format(_AT_LEVEL.sub(lambda m: rf"(?:cap|cac) (?:{_LEVEL} )*{m[1]}(?: {_LEVEL})*", phrase))
        )
        return self._named(wanted, area)

    def class_units(self, text: str) -> list[str]:
        """Unit keys of the classes a unit no task names belongs to, by its head word: "Sở Tư pháp" to "Các Sở, ban,
        ngành", "Phòng Y tế" to "Các phòng chuyên môn", "UBND xã Tả Phìn" to "UBND các xã, phường" (with the area
        `text` names, as `match_units`). [] when `text` has no such head word, or the index no such class."""
        name, _, area = unit_key(text, "").partition("@")
        phrase = " ".join(_words(name))
        if m := _CLASS_HEAD.match(phrase):  # "Sở …", "Phòng …", "Ban …": the body's own kind names the class
            wanted = re.compile(rf" cac (?:\w+ )?{m[1]} ")
        elif m := _COMMITTEE_OF.match(phrase):  # "UBND xã Tả Phìn": the committees of that level
            wanted = re.compile(rf" (?:cap|cac) (?:{_LEVEL} )*{m[1]} ")
        else:
            return []
        return self._named(wanted, area)

    def _named(self, wanted: re.Pattern[str], area: str) -> list[str]:
        """Unit keys, most tasks first, of the units of `area` ("" for any) one of whose names `wanted` finds."""
        return [
            u.key
            for u in self._summaries
            if (not area or self._names[u.key][0] == area) and any(wanted.search(n) for n in self._names[u.key][1])
        ]

    def require_units(self, text: str) -> list[str]:
        """`match_units`, or `TasksError` naming the closest units when none matches."""
        keys = self.match_units(text)
        if not keys:
            close = "; ".join(self.close_units(text))
            hint = f" Gần giống: {close}." if close else " Chỉ mục chưa có đơn vị nào."
            raise TasksError(f"Không tìm thấy đơn vị “{' '.join(text.split())[:200]}”.{hint} (unknown unit)")
        return keys

    def close_units(self, text: str, n: int = 5) -> list[str]:
        """Names of the units closest to `text`, for a "did you mean" line when `match_units` finds none."""
        wanted = set(_words(unit_key(text, "").partition("@")[0]))
        folded = " ".join(_words(text))

        def score(u: UnitSummary) -> tuple[int, float]:
            shared = len(wanted & self._haystacks[u.key])
            return shared, difflib.SequenceMatcher(None, folded, " ".join(_words(u.name))).ratio()

        ranked = sorted(self._summaries, key=lambda u: (score(u), u.tasks), reverse=True)
        return [u.name for u in ranked[:n]]

    def tasks(self, unit: str | None = None, start: date | None = None, end: date | None = None) -> list[TaskRow]:
        """The tasks of the units `unit` names (all units without it). With a range (a missing bound is one
        year from the other), only tasks due in [start, end], by first date; without, by plan, in text order."""
        rows = self.rows
        if unit is not None and unit.strip():
            keys = set(self.match_units(unit))
            rows = [a for a in rows if a.unit_key in keys]
        if start is None and end is None:
            return [TaskRow(a) for a in sorted(rows, key=lambda a: (self._order[a.doc_id], a.start))]
        start, end = check_range(start, end)
        due = []
        for a in rows:
            dates = tuple(due_dates(a, start, end))
            if dates:
                due.append(TaskRow(a, dates))
        return sorted(due, key=lambda r: (r.dates[0], self._order[r.assignment.doc_id], r.assignment.start))

    def upcoming(self, today: date, days: int, unit: str | None = None) -> list[TaskRow]:
        """The tasks due in the `days` days from `today` (inclusive)."""
        if days < 0:
            raise TasksError(f"Số ngày phải từ 0 trở lên, không phải {days} (days must not be negative).")
        return self.tasks(unit, today, today + timedelta(days=days))

    def calendar_name(self, keys: Sequence[str]) -> str:
        """The name of a calendar of these units' tasks ("Nhiệm vụ: Phòng Nội vụ (Ba Đình)")."""
        names = [u.name for k in keys if (u := self.unit(k))]
        if not names:
            return "Nhiệm vụ theo kế hoạch"
        return "Nhiệm vụ: " + "; ".join(names[:3]) + (" …" if len(names) > 3 else "")

    @staticmethod
    def by_plan(rows: Sequence[TaskRow]) -> list[tuple[str, list[TaskRow]]]:
        """`rows` grouped by plan (doc id), plans in order of their first row; each row's `assignment.meta` is
        its plan's."""
        groups: dict[str, list[TaskRow]] = {}
        for r in rows:
            groups.setdefault(r.assignment.doc_id, []).append(r)
        return list(groups.items())

    @staticmethod
    def by_unit(rows: Sequence[TaskRow]) -> list[tuple[str, list[TaskRow]]]:
        """`rows` grouped by unit key, units in order of their first row."""
        groups: dict[str, list[TaskRow]] = {}
        for r in rows:
            groups.setdefault(r.assignment.unit_key, []).append(r)
        return list(groups.items())


class CachedTaskBook:
    """The `TaskBook` of one index folder, read again only when its assignments file changes (a rebuild).

    `of(index_dir)` is the one instance of a folder in this process: the engine, the API and the page share it,
    so a rebuild is read once, not once per reader."""

    _shared: dict[Path, CachedTaskBook] = {}
    _shared_lock = threading.Lock()

    @classmethod
    def of(cls, index_dir: Path) -> CachedTaskBook:
        """The shared book of `index_dir`."""
        key = Path(index_dir).resolve()
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(key)
            return cls._shared[key]

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._book: TaskBook | None = None

    def get(self) -> TaskBook:
        """The current book; `NoTaskIndexError` when the index has no assignments file."""
        try:
            st = (self.index_dir / ASSIGNMENTS).stat()
        except FileNotFoundError:
            return TaskBook.load(self.index_dir, required=True)  # raises with the right message
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._book is None or stamp != self._stamp:
                self._book, self._stamp = TaskBook.load(self.index_dir), stamp
            return self._book


def check_range(start: date | None, end: date | None) -> tuple[date, date]:
    """Both bounds of a date range (a missing one a year from the other); `TasksError` when start is after
    end or the range is longer than ten years."""
    year = timedelta(days=365)
    if start is not None:
        first, last = start, end if end is not None else start + year
    elif end is not None:
        first, last = end - year, end
    else:
        raise TasksError("Cần ngày bắt đầu hoặc ngày kết thúc (a start or an end date is required).")
    if first > last:
        raise TasksError(
            f"Ngày bắt đầu {show_day(first)} sau ngày kết thúc {show_day(last)} (start date is after end date)."
        )
    if (last - first).days > MAX_RANGE_DAYS:
        raise TasksError("Khoảng thời gian dài quá 10 năm (date range longer than 10 years).")
    return first, last


def parse_day(text: str, today: date | None = None) -> date:
    """A day as users write it: "30/11/2025", "30-11-2025", "30/11" (this year), "2025-11-30".

    >>> parse_day("30/11/2025"), parse_day("2025-11-30"), parse_day("30/11", today=date(2026, 1, 5))
    (datetime.date(2025, 11, 30), datetime.date(2025, 11, 30), datetime.date(2026, 11, 30))
    """
    iso = _ISO_DAY.fullmatch(text)
    m = None if iso else _DAY.fullmatch(text)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    elif m:
        day, month = int(m[1]), int(m[2])
        year = int(m[3]) if m[3] else (today or date.today()).year
    else:
        year = month = day = 0
    if 1900 <= year <= 2100:
        try:
            return date(year, month, day)
        except ValueError:
            pass
    shown = " ".join(text.split())[:40]
    raise TasksError(
        f"Ngày không hợp lệ: “{shown}”; hãy viết dd/mm/yyyy, dd/mm hoặc yyyy-mm-dd "
        "(invalid date: use dd/mm/yyyy, dd/mm or yyyy-mm-dd)."
    )


def show_day(day: date) -> str:
    """A date as Vietnamese documents write it: 30/11/2025."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def show_iso(iso: str) -> str:
    """A full or partial ISO date ("2025-02-09", "2025-02", "2025") as 09/02/2025, 02/2025, 2025."""
    parts = iso.split("-")
    return "/".join(reversed(parts)) if all(p.isdigit() for p in parts) else iso


def shorten(text: str, limit: int = 80) -> str:
    """`text` on one line, cut at a word before `limit` characters with "…"; leading list marks dropped."""
    line = " ".join(text.split()).lstrip(":;,.-–+• ")
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def active_years(a: Assignment) -> tuple[int, int] | None:
    """The years a plan's rhythm runs: from the plan's year to the last year its title names ("giai đoạn
    2021 - 2025"), or through the plan's year; None when the plan's year is unknown (no bound)."""
    if a.year is None:
        return None
    named = [int(y) for y in _YEAR.findall(a.meta.title)]
    return a.year, max([a.year, *named])


def due_dates(a: Assignment, start: date, end: date) -> list[date]:
    """The due dates of `a` inside [start, end]: its fixed date, or its rhythm's dates in the plan's years."""
    if a.due is None:
        return []
    if not a.due.date and (years := active_years(a)):
        start, end = max(start, date(years[0], 1, 1)), min(end, date(years[1], 12, 31))
    return a.due.occurrences(start, end) if start <= end else []


def next_date(a: Assignment, today: date) -> date | None:
    """The date a deadline falls on: a fixed one's own date, a rhythm's next date from `today` within a year
    (None when the plan's years are over)."""
    if a.due is None:
        return None
    if a.due.date:
        return date.fromisoformat(a.due.date)
    found = due_dates(a, today, today + timedelta(days=400))
    return found[0] if found else None


def citation(a: Assignment) -> str:
    """Where the task is written: "[08/KH-UBND, 09/02/2010, III. Tổ chức thực hiện › 3. Phòng Nội vụ]"."""
    m = a.meta
    parts = [m.number or m.title or a.source, show_iso(m.date) if m.date else "", a.section]
    return "[" + ", ".join(" ".join(p.split()) for p in parts if p) + "]"


def task_dict(row: TaskRow) -> dict[str, Any]:
    """A task as the API and `assistant tasks --json` give it: the assignment, its plan and its dates."""
    a = row.assignment
    return {
        "unit": a.unit,
        "unit_key": a.unit_key,
        "task": a.task,
        "doc_id": a.doc_id,
        "source": a.source,
        "title": a.meta.title,
        "number": a.meta.number,
        "issuer": a.meta.issuer,
        "date": a.meta.date,
        "year": a.year,
        "section": a.section,
        "start": a.start,
        "end": a.end,
        "due": a.due.to_dict() if a.due else None,
        "dates": [d.isoformat() for d in row.dates],
    }
