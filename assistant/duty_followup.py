"""Follow-ups to a duty or deadline question: "Còn Phòng Tài chính thì sao?", "Còn quý III?", "Vậy ở phường 14?".

A chat does not repeat its question: after "Phòng Nội vụ phải làm gì?" an official asks "Còn Phòng Tài chính thì
sao?". `follow_up` reads what the short question changes (the unit, the date window, the area or the plan year)
and keeps the rest of the previous duty question, so the answer is the new unit's cited list, not a search for
the words "còn … thì sao". Only the last user turn counts, and only when it was itself a duty question (as
`assistant.duty_questions.detect` reads it, or as this function completed it).

    ask = follow_up("Còn Phòng Tài chính thì sao?", ["Phòng Nội vụ phải làm gì?"], date.today())
    ask.unit == "Phòng Tài chính"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from assistant.duty_questions import YEAR, DutyAsk, detect, parts, unit_text
from index.normalize import fold_chars

# How a follow-up opens and closes around what it changes ("Còn … thì sao?", "Vậy … thì thế nào?", "… nữa?").
_OPEN = re.compile(r"^\s*(?:(?:vay|the|thi)\s+)?(?:con\s+doi\s+voi|con\s+ve|con\s+voi|con|va|vay|the)(?:\s+|$)")
_CLOSE = re.compile(r"(?:\s+(?:thi|the|co|nua|lai|cung))*(?:\s+(?:sao|the\s+nao|ra\s+sao|nhu\s+the\s+nao|nua|a|nhi))*$")
# Windows that count from today ("tháng này", "30 ngày tới"): they never take the earlier question's year.
# The first word of a unit's name: the kinds of body Vietnamese administration names ("Phòng …", "Sở …", "UBND …",
# "Thanh tra …", "Các cơ quan …", "Đảng ủy …"). A follow-up about a thing ("Còn hạn nộp báo cáo năm?") starts
# with none of them; a name in capitals after the first word counts too ("Còn đối với Sở Y tế?").
_UNIT_HEAD = frozenset(
    """phong so ban uy ubnd hdnd ub thanh van cuc chi trung cong doan hoi mat bo vien truong dai to cac nhung thu
    chu lanh quan huyen tinh dang don co kho bao bch bql ttyt ttvh vp ct pct tong nganh lien""".split()
)
# A question of its own ("Văn bản đó do ai ký?"), not "Còn <unit> thì sao?".
_ASKS = re.compile(r"(?<![\w])(?:ai|gi|nao|dau|bao\s+gio|bao\s+nhieu|khi\s+nao|tai\s+sao|who|what|which|when)(?![\w])")
_CHAIN = 4  # user turns a chain of follow-ups may go back: "Còn Phòng X?" → "Còn quý III?" → …
_RELATIVE = re.compile(r"(?<![\w])(?:nay|toi|sau|sap\s+toi|ke\s+tiep|tiep\s+theo|this|next)(?![\w])")


def _changes(question: str, today: date, year: int | None) -> tuple[DutyAsk, bool]:
    """What the follow-up names, read as a duty question would be; and whether it names anything at all.
    A month or quarter without a year is taken in `year`, the earlier question's."""
    q = " ".join(question.split())
    f = fold_chars(q)
    if year is not None and not YEAR.search(f) and not _RELATIVE.search(f):
        today = today.replace(year=year, day=min(today.day, 28))
    p = parts(q, today)
    plain = p.plain.rstrip(" ?.!…")
    plain_f = fold_chars(plain)
    head = _OPEN.match(plain_f)
    a = head.end() if head else 0
    tail = _CLOSE.search(plain_f, a)
    b = tail.start() if tail else len(plain_f)
    unit = unit_text(plain[a:b]) if plain_f[a:b].strip(" ?.,") else None
    if unit and (_ASKS.search(fold_chars(unit)) or not _names_a_unit(unit, at_start=a == 0)):
        unit = None
    ask = DutyAsk(unit=unit or "", start=p.start, end=p.end, places=p.places, years=p.years)
    return ask, bool(unit or p.start or p.end or p.places or p.years)


def _names_a_unit(text: str, at_start: bool) -> bool:
    """Whether `text` reads as a unit's name: a body's head word first, or a capitalised word (the question's own
    first word aside, which is capitalised anyway)."""
    words = text.split()
    if fold_chars(words[0]) in _UNIT_HEAD:
        return True
    return any(w[:1].isupper() for w in words[1 if at_start else 0 :])


def follow_up(question: str, previous: Sequence[str], today: date) -> DutyAsk | None:
    """The duty question a follow-up makes of the last user turn, or None (no follow-up of a duty question)."""
    if not previous or detect(question, today) is not None:
        return None
    f = fold_chars(" ".join(question.split()))
    if not (_OPEN.match(f) or len(f.split()) <= 8):  # a new, full question is no follow-up
        return None
    prev = last_duty_ask(previous[-_CHAIN:], today)
    if prev is None:
        return None
    new, named = _changes(question, today, prev.start.year if prev.start else None)
    if not named:
        return None
    window = new.start is not None or new.end is not None
    return replace(
        prev,
        unit=new.unit or prev.unit,
        start=new.start if window else prev.start,
        end=new.end if window else prev.end,
        places=new.places or prev.places,
        years=new.years or (() if new.places else prev.years),  # a new area's plan is of its own year
    )


def last_duty_ask(previous: Sequence[str], today: date) -> DutyAsk | None:
    """The duty question of the last user turn, read directly or as a follow-up itself (a chain of "Còn …?")."""
    if not previous:
        return None
    return detect(previous[-1], today) or follow_up(previous[-1], previous[:-1], today)
