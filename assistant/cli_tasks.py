"""`assistant tasks`: what each unit must do, and by when, from the assignments stored with the index.

Registered in the main CLI (`assistant.cli`). Thin: parses options, asks `assistant.tasks.TaskBook`, prints the
tasks grouped by unit then plan (or JSON, or writes an iCalendar file with `assistant.ics`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import IO, Any

import click

from assistant.settings import Settings, load_settings
from assistant.tasks import TaskBook, TaskRow, TasksError, citation, next_date, parse_day, shorten, show_day, task_dict

TASK_CHARS = 100


class TasksCommandError(click.ClickException):
    """A one-line error of `assistant tasks`, shown as "Lỗi: …" (Vietnamese first), exit code 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the message on stderr, on one line."""
        click.echo(f"Lỗi: {' '.join(self.format_message().split())}", err=True, file=file)


def _settings(ctx: click.Context) -> Settings:
    """The settings of the main CLI (its `Invocation`), or from the environment when run on its own."""
    s = getattr(ctx.find_object(object), "settings", None)
    return s if isinstance(s, Settings) else load_settings()


def _day(text: str | None, option: str, today: date) -> date | None:
    if text is None:
        return None
    try:
        return parse_day(text, today)
    except TasksError as e:
        raise TasksCommandError(f"{option}: {e}") from None


def _line(row: TaskRow, today: date) -> str:
    a = row.assignment
    parts = [f"  - {shorten(a.task, TASK_CHARS)}"]
    if a.due is not None:
        when = row.dates[0] if row.dates else next_date(a, today)
        shown = ", ".join(show_day(d) for d in row.dates[:6]) + (" …" if len(row.dates) > 6 else "")
        parts.append(f"— hạn: {' '.join(a.due.text.split())}")
        if row.dates:
            parts.append(f"({shown})")
        elif when is not None:
            parts.append(f"(kế tiếp: {show_day(when)})" if not a.due.date else f"({show_day(when)})")
    parts.append(citation(a))
    return " ".join(parts)


def _print_rows(book: TaskBook, rows: list[TaskRow], today: date) -> None:
    for key, unit_rows in TaskBook.by_unit(rows):
        summary = book.unit(key)
        click.echo(f"{summary.name if summary else key} — {len(unit_rows)} nhiệm vụ")
        for _, plan_rows in TaskBook.by_plan(unit_rows):
            m = plan_rows[0].assignment.meta
            plan = " ".join(p for p in (m.kind.capitalize() if m.kind else "Kế hoạch", m.number, m.title) if p)
            click.echo(f" {plan}" + (f" ({m.issuer})" if m.issuer else ""))
            for row in plan_rows:
                click.echo(_line(row, today))
        click.echo("")


@click.command("tasks")
@click.option("--unit", default=None, help='Đơn vị, ví dụ "Phòng Nội vụ", "noi vu" (unit, accents optional).')
@click.option("--from", "start", default=None, help="Từ ngày dd/mm/yyyy (from date).")
@click.option("--to", "end", default=None, help="Đến ngày dd/mm/yyyy (to date).")
@click.option(
    "--days", type=click.IntRange(min=0, max=3660), default=None, help="Hạn trong N ngày tới (due in N days)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--ics", "ics_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write an .ics calendar."
)
@click.pass_context
def tasks(
    ctx: click.Context,
    unit: str | None,
    start: str | None,
    end: str | None,
    days: int | None,
    as_json: bool,
    ics_path: Path | None,
) -> None:
    """Nhiệm vụ và thời hạn của từng đơn vị theo các kế hoạch (tasks and deadlines per unit)."""
    today = date.today()
    first, last = _day(start, "--from", today), _day(end, "--to", today)
    if days is not None and (first or last):
        raise TasksCommandError("Dùng --days hoặc --from/--to, không dùng cả hai (use --days or --from/--to).")
    try:
        book = TaskBook.load(_settings(ctx).index_dir, required=True)
    except TasksError as e:
        raise TasksCommandError(str(e)) from None
    try:
        keys = book.require_units(unit) if unit is not None else []
        if days is not None:
            rows = book.upcoming(today, days, unit)
        else:
            rows = book.tasks(unit, first, last)
    except TasksError as e:
        raise TasksCommandError(str(e)) from None
    if ics_path is not None:
        from assistant.ics import calendar

        data = calendar([r.assignment for r in rows], book.calendar_name(keys))
        try:
            ics_path.write_bytes(data)
        except OSError as e:
            raise TasksCommandError(
                f"Không ghi được tệp {ics_path}: {e.strerror or e} (cannot write the calendar file)."
            ) from None
        events = data.count(b"BEGIN:VEVENT")
        click.echo(f"Đã ghi {events} sự kiện ({len(rows)} nhiệm vụ) vào {ics_path}.")
        return
    if as_json:
        click.echo(json.dumps([task_dict(r) for r in rows], ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("Không có nhiệm vụ nào" + (" trong khoảng thời gian này." if first or last or days else "."))
        return
    _print_rows(book, rows, today)
