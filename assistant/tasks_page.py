"""The «Nhiệm vụ» view of the chat page (issue 18): the units the plans assign work to, with their task counts;
a unit's tasks grouped by plan, each on a citation card; the deadlines of the next 30 or 90 days; the unit's
calendar (.ics).

The view reads `<index_dir>/assignments.jsonl` through `TaskBook`, again whenever the file changed (a rebuild),
so a long-open page follows the index. Task text comes from documents: every piece goes through `render.esc`.
The calendar reaches the browser as a `data:` link built from `ics.calendar`'s bytes: nothing is written on
the server and no file route is opened (the Gradio gate keeps `/gradio_api/file=` closed, docs/SECURITY.md).
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.ics import calendar
from assistant.render import (
    OPEN_DOCUMENT,
    doc_heading,
    doc_name,
    doc_url,
    esc,
    format_date,
    render_passage,
    shorten,
    vi_only,
)
from assistant.tasks import CachedTaskBook, NoTaskIndexError, TaskBook, TaskRow, UnitSummary, next_date, show_day
from index.assignments import Assignment
from index.deadlines import Due
from index.normalize import fold_chars

log = logging.getLogger(__name__)

VIEW_TITLE = "Nhiệm vụ theo đơn vị"
NO_ASSIGNMENTS = "Chưa có nhiệm vụ nào trong kho: chưa lập chỉ mục, hoặc chưa có kế hoạch nào giao việc cho các đơn vị."
UNREADABLE = "Không đọc được danh sách nhiệm vụ của kho; vui lòng báo quản trị viên."
CHOOSE_UNIT = "Chọn một đơn vị để xem nhiệm vụ của đơn vị đó, nhóm theo kế hoạch."
WINDOWS = {"30 ngày tới": 30, "90 ngày tới": 90}
DEFAULT_WINDOW = "30 ngày tới"
UNITS_SHOWN = 60  # rows of the units table (most tasks first); the list offers more, any other is typed
UNIT_CHOICES_MAX = 300
TASKS_SHOWN = 200  # cards of one unit
UPCOMING_SHOWN = 100
EVERY_NAMES = {
    "week": "hằng tuần",
    "month": "hằng tháng",
    "quarter": "hằng quý",
    "half-year": "6 tháng một lần",
    "year": "hằng năm",
}


def due_label(due: Due | None, upcoming: date | None = None) -> str:
    """How a task's deadline reads on its card: "Hạn 25/11/2025", "Định kỳ hằng quý, lần tới 31/12/2025"."""
    if due is None:
        return ""
    if due.date:
        return f"Hạn {format_date(due.date)}"
    head = f"Định kỳ {EVERY_NAMES[due.every]}" if due.every in EVERY_NAMES else "Hạn hằng năm"
    return head + (f", lần tới {show_day(upcoming)}" if upcoming else "")


def _plan_line(a: Assignment) -> str:
    return " · ".join(x for x in (a.meta.issuer, format_date(a.meta.date)) if x)


def _open_link(a: Assignment) -> str:
    """The link that opens the plan on the document page with the task marked."""
    name = doc_name(a.meta, a.source)
    return (
        f'<a class="tl-open" href="{esc(doc_url(a.doc_id, spans=[(a.start, a.end)]))}" target="_blank" '
        f'rel="noopener" aria-label="{esc(f"{OPEN_DOCUMENT}: {name}")}">{OPEN_DOCUMENT}</a>'
    )


def render_task_card(a: Assignment, today: date) -> str:
    """A task as a citation card: the plan (kind, number, title), issuer and date, section, deadline, the task
    quoted with its deadline wording marked, and the link to the plan at that passage."""
    due = a.due
    marks = [(due.start - a.start, due.end - a.start)] if due and a.start <= due.start < due.end <= a.end else []
    deadline = due_label(due, next_date(a, today) if due and not due.date else None)
    wording = f" «{esc(shorten(due.text, 80))}»" if due and due.text else ""
    plan = _plan_line(a)
    return (
        '<li class="tl-card tl-task">'
        f'<div class="tl-card-head"><span class="tl-title">{esc(doc_heading(a.meta, a.source))}</span></div>'
        + (f'<div class="tl-meta">{esc(plan)}</div>' if plan else "")
        + (f'<div class="tl-section">{esc(a.section)}</div>' if a.section else "")
        + (f'<div class="tl-due">{esc(deadline)}{wording}</div>' if deadline else "")
        + f'<div class="tl-card-foot"><span class="tl-file">{esc(a.source)}</span>{_open_link(a)}</div>'
        + f'<blockquote class="tl-passage">{render_passage(a.task, marks)}</blockquote></li>'
    )


def render_unit_tasks(name: str, rows: Sequence[TaskRow], today: date) -> str:
    """A unit's tasks grouped by plan, newest plan first, in text order within a plan, each on its card."""
    if not rows:
        return f'<p class="tl-empty">Không có nhiệm vụ nào của «{esc(name)}» trong kho.</p>'
    plans = sorted(TaskBook.by_plan(rows), key=lambda g: g[1][0].assignment.meta.date or "", reverse=True)
    parts = [f'<h3 class="tl-tasks-h">Nhiệm vụ của {esc(name)} ({len(rows)}, trong {len(plans)} kế hoạch)</h3>']
    shown = 0
    for _, group in plans:
        if shown >= TASKS_SHOWN:
            break
        group = sorted(group, key=lambda r: r.assignment.start)[: TASKS_SHOWN - shown]
        shown += len(group)
        first = group[0].assignment
        cards = "".join(render_task_card(r.assignment, today) for r in group)
        parts.append(
            f'<section class="tl-plan"><h4 class="tl-plan-h">{esc(doc_heading(first.meta, first.source))}</h4>'
            f'<ul class="tl-task-list">{cards}</ul></section>'
        )
    if len(rows) > shown:
        parts.append(f'<p class="tl-more">… và {len(rows) - shown} nhiệm vụ khác.</p>')
    return "".join(parts)


def render_upcoming(rows: Sequence[TaskRow], days: int, names: dict[str, str], whose: str = "") -> str:
    """The tasks due in the next `days` days, soonest first (of the chosen unit when `whose` names it)."""
    of = f" của {whose}" if whose else ""
    head = f'<h3 class="tl-tasks-h">{esc(f"Hạn trong {days} ngày tới{of}")}</h3>'
    if not rows:
        return head + f'<p class="tl-empty">{esc(f"Không có nhiệm vụ nào đến hạn trong {days} ngày tới{of}.")}</p>'
    items = []
    for row in rows[:UPCOMING_SHOWN]:
        a = row.assignment
        items.append(
            f'<li class="tl-upcoming-item"><span class="tl-upcoming-date">{esc(show_day(row.dates[0]))}</span> '
            f'<span class="tl-upcoming-unit">{esc(names.get(a.unit_key, a.unit))}</span>: '
            f"{esc(shorten(a.task, 160))} "
            f'<span class="tl-upcoming-plan">({esc(doc_name(a.meta, a.source))})</span> {_open_link(a)}</li>'
        )
    more = len(rows) - UPCOMING_SHOWN
    tail = f'<p class="tl-more">… và {more} nhiệm vụ khác.</p>' if more > 0 else ""
    return head + f'<ul class="tl-upcoming">{"".join(items)}</ul>{tail}'


def render_units(units: Sequence[UnitSummary]) -> str:
    """The units table: each unit with its number of tasks and of plans, most tasks first (as `units` come)."""
    if not units:
        return _empty()
    rows = "".join(
        f'<tr><th scope="row">{esc(u.name)}</th><td>{u.tasks}</td><td>{u.documents}</td></tr>'
        for u in units[:UNITS_SHOWN]
    )
    more = (
        f'<p class="tl-more">… và {len(units) - UNITS_SHOWN} đơn vị khác: gõ tên đơn vị vào ô «Đơn vị».</p>'
        if len(units) > UNITS_SHOWN
        else ""
    )
    return (
        f'<table class="tl-units"><caption>{len(units)} đơn vị được giao nhiệm vụ</caption>'
        '<thead><tr><th scope="col">Đơn vị</th><th scope="col">Nhiệm vụ</th><th scope="col">Kế hoạch</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>{more}"
    )


def ics_name(label: str) -> str:
    """An ASCII file name for a unit's calendar: "Phòng Nội vụ — Ba Đình" -> "nhiem-vu-phong-noi-vu-ba-dinh.ics"."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold_chars(label)).strip("-")[:60].strip("-")
    return f"nhiem-vu-{slug or 'don-vi'}.ics"


def render_ics_link(rows: Sequence[Assignment], label: str) -> str:
    """The link that downloads the unit's calendar (every task with a deadline or rhythm), or why there is none."""
    dated = [a for a in rows if a.due is not None]
    if not dated:
        return f'<p class="tl-empty">«{esc(label)}» không có nhiệm vụ nào có thời hạn để đưa vào lịch.</p>'
    data = base64.b64encode(calendar(dated, label)).decode("ascii")
    name = ics_name(label)
    return (
        f'<a class="tl-ics" id="tl-ics-link" href="data:text/calendar;charset=utf-8;base64,{data}" '
        f'download="{name}">Tải lịch nhiệm vụ (.ics, {len(dated)} mục) của {esc(label)}</a>'
    )


@dataclass
class TasksWidgets:
    """The components of the view that `wire_tasks_view` connects."""

    units: gr.HTML
    unit: gr.Dropdown
    window: gr.Radio
    upcoming: gr.HTML
    tasks: gr.HTML
    ics: gr.HTML


def local_today() -> date:
    """The server's local date (looked up on each call, so a test can set the clock)."""
    return date.today()


class TasksView:
    """The view's handlers over the index folder; the assignments are read again when the file changes."""

    def __init__(self, index_dir: Path, today: Callable[[], date] | None = None) -> None:
        self.cache = CachedTaskBook.of(Path(index_dir))
        self.clock = today

    def today(self) -> date:
        """The day upcoming deadlines count from: the given clock's, else the server's local date."""
        return self.clock() if self.clock else local_today()

    def book(self) -> tuple[TaskBook | None, dict[str, str]]:
        """The assignments as on disk now (None when the index has none) and each unit's name to show."""
        try:
            book = self.cache.get()
        except NoTaskIndexError:
            return None, {}
        return book, {u.key: u.name for u in book.units()}

    def load(self, unit: str | None, window: str | None) -> tuple[str, Any, str, str, str]:
        """Everything the view shows, read afresh (page opened, tab chosen): the units table, the unit list's
        choices, and what `show` shows for the unit still chosen (when it is still in the index)."""
        try:
            book, names = self.book()
        except Exception:
            log.exception("cannot read the assignments")
            return _error(UNREADABLE), gr.update(choices=[], value=None), "", "", ""
        if book is None or not names:
            return _empty(), gr.update(choices=[], value=None), "", "", ""
        units = book.units()
        choices = [(f"{u.name} ({u.tasks})", u.key) for u in units[:UNIT_CHOICES_MAX]]
        keep = unit if unit and self.resolve(book, names, unit) else None
        tasks, upcoming, ics = self.show(keep, window)
        return render_units(units), gr.update(choices=choices, value=keep), upcoming, tasks, ics

    def show(self, unit: str | None, window: str | None) -> tuple[str, str, str]:
        """The chosen unit's tasks by plan, the upcoming deadlines (of that unit, else of every unit) and the
        link to its calendar. `unit` is a key from the list or a name typed in any spelling."""
        try:
            book, names = self.book()
            if book is None or not names:
                return _empty(), "", ""
            days = WINDOWS.get(window or "", WINDOWS[DEFAULT_WINDOW])
            today = self.today()
            keys = self.resolve(book, names, unit)
            if not keys:
                typed = (unit or "").strip()
                shown = _missing(typed) if typed else _hint()
                return shown, render_upcoming(book.upcoming(today, days), days, names), ""
            whose = "; ".join(names[k] for k in keys)
            rows = {k: book.tasks(unit=k) for k in keys}
            soon = sorted(
                (r for k in keys for r in book.upcoming(today, days, unit=k)),
                key=lambda r: (r.dates[0], r.assignment.unit_key),
            )
            tasks = "".join(render_unit_tasks(names[k], rows[k], today) for k in keys)
            ics = render_ics_link([r.assignment for k in keys for r in rows[k]], whose)
            return tasks, render_upcoming(soon, days, names, whose), ics
        except Exception:
            log.exception("tasks view failed")
            return _error(UNREADABLE), "", ""

    @staticmethod
    def resolve(book: TaskBook, names: dict[str, str], unit: str | None) -> list[str]:
        """The unit keys meant by the list's value: a key as offered, or a name typed in any spelling."""
        text = " ".join((unit or "").split())
        if not text:
            return []
        return [text] if text in names else [k for k in book.match_units(text) if k in names]


def _missing(typed: str) -> str:
    return f'<p class="tl-empty" role="status">{esc(f"Không tìm thấy đơn vị «{shorten(typed, 80)}» trong kho.")}</p>'


def _empty() -> str:
    return f'<p class="tl-empty" role="status">{esc(vi_only(NO_ASSIGNMENTS))}</p>'


def _hint() -> str:
    return f'<p class="tl-hint">{esc(CHOOSE_UNIT)}</p>'


def _error(message: str) -> str:
    return f'<p class="tl-error" role="alert">{esc(vi_only(message))}</p>'


def build_tasks_view() -> TasksWidgets:
    """The view's layout (inside the page's «Nhiệm vụ» tab); `wire_tasks_view` connects it."""
    with gr.Column(elem_id="tl-tasks"):
        gr.HTML(
            f'<h2 class="tl-side-title">{VIEW_TITLE}</h2><p class="tl-tasks-sub">Các đơn vị được giao việc trong '
            "phần «Tổ chức thực hiện» của các kế hoạch, nhiệm vụ và thời hạn của từng đơn vị.</p>"
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=280):
                unit = gr.Dropdown(
                    label="Đơn vị",
                    info="Chọn trong danh sách, hoặc gõ tên đơn vị rồi Enter.",
                    choices=[],
                    value=None,
                    allow_custom_value=True,
                    filterable=True,
                    elem_id="tl-task-unit",
                )
                window = gr.Radio(
                    list(WINDOWS), value=DEFAULT_WINDOW, label="Hạn sắp tới trong", elem_id="tl-task-window"
                )
                ics = gr.HTML("", elem_id="tl-task-ics")
                upcoming = gr.HTML("", elem_id="tl-task-upcoming")
                units = gr.HTML("", elem_id="tl-task-units")
            with gr.Column(scale=7, min_width=320):
                tasks = gr.HTML(_hint(), elem_id="tl-task-list")
    return TasksWidgets(units=units, unit=unit, window=window, upcoming=upcoming, tasks=tasks, ics=ics)


def wire_tasks_view(view: TasksView, w: TasksWidgets, blocks: gr.Blocks, tab: gr.Tab) -> None:
    """Connect the view: read afresh when the page opens and when its tab is chosen; show on a choice."""
    loaded = [w.units, w.unit, w.upcoming, w.tasks, w.ics]
    shown = [w.tasks, w.upcoming, w.ics]
    private: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
    blocks.load(view.load, inputs=[w.unit, w.window], outputs=loaded, **private)
    tab.select(view.load, inputs=[w.unit, w.window], outputs=loaded, **private)
    gr.on([w.unit.input, w.window.change], view.show, inputs=[w.unit, w.window], outputs=shown, **private)
