"""Deadlines of assignments as an iCalendar file (RFC 5545) that Outlook, Google Calendar or Thunderbird import.

One all-day event per assignment that has a deadline: a fixed date is that day; a rhythm ("giữa tháng cuối mỗi
quý") starts at its first date in the plan's years and repeats by `Due.rrule()` until the plan's last year. The UID
hashes the document, the task's offsets and the unit, so importing a newer export updates the events instead of
adding copies.

    Path("nhiem-vu.ics").write_bytes(calendar(book.rows, "Nhiệm vụ Phòng Nội vụ"))
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, vRecur

from assistant.tasks import active_years, due_dates, shorten, show_iso
from index.assignments import Assignment, display_unit

PRODID = "-//Tro ly dan van chinh quyen//Nhiem vu va thoi han//VI"
UID_DOMAIN = "tro-ly-dan-van"
SUMMARY_CHARS = 80


def event_uid(a: Assignment) -> str:
    """A UID that stays the same for the same task of the same unit in the same document."""
    digest = hashlib.sha256(f"{a.doc_id}\x00{a.start}\x00{a.end}\x00{a.unit_key}".encode()).hexdigest()
    return f"{digest[:32]}@{UID_DOMAIN}"


def _anchor(a: Assignment) -> date:
    """Where a rhythm's first date is looked for: the plan's year start, else the plan's date, else this year."""
    if a.year is not None:
        return date(a.year, 1, 1)
    try:
        return date.fromisoformat(a.meta.date)
    except ValueError:
        return date(date.today().year, 1, 1)


def _description(a: Assignment) -> str:
    m = a.meta
    plan = ", ".join(p for p in (f"số {m.number}" if m.number else "", m.title, show_iso(m.date)) if p)
    lines = [
        " ".join(a.task.split()),
        f"Thời hạn: {' '.join(a.due.text.split())}" if a.due and a.due.text else "",
        f"Kế hoạch: {plan or a.source}",
        f"Mục: {a.section}" if a.section else "",
    ]
    return "\n".join(line for line in lines if line)


def _event(a: Assignment, stamp: datetime) -> Event | None:
    """The event of one assignment, None without a deadline (or with a rhythm that never falls in its years)."""
    if a.due is None:
        return None
    event = Event()
    event.add("uid", event_uid(a))
    event.add("dtstamp", stamp)
    event.add("summary", f"{display_unit(a.unit)}: {shorten(a.task, SUMMARY_CHARS)}")
    event.add("description", _description(a))
    if a.due.date:
        day = date.fromisoformat(a.due.date)
    else:
        start = _anchor(a)
        years = active_years(a)
        end = date(years[1], 12, 31) if years else start + timedelta(days=800)
        found = due_dates(a, start, end)
        if not found:
            return None
        day = found[0]
        rule = a.due.rrule()
        if rule:
            recur = vRecur.from_ical(rule)
            if years:
                recur["UNTIL"] = [date(years[1], 12, 31)]
            event.add("rrule", recur)
        elif len(found) > 1:  # a day and month without a year: every year
            event.add("rrule", vRecur(freq="YEARLY"))
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a deadline, not time spent
    event.add("categories", [display_unit(a.unit)])
    return event


def calendar(rows: Sequence[Assignment], name: str, stamp: datetime | None = None) -> bytes:
    """An RFC 5545 calendar named `name` with one all-day event per assignment of `rows` that has a deadline."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    when = stamp or datetime.now(UTC).replace(microsecond=0)
    seen: set[str] = set()
    for a in rows:
        event = _event(a, when)
        if event is not None and str(event["uid"]) not in seen:
            seen.add(str(event["uid"]))
            cal.add_component(event)
    return cal.to_ical()
