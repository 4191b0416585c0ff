"""Questions about a unit's duties or about deadlines (issue 18): what they ask, read from their words.

"Phòng Nội vụ phải làm gì?", "Những việc nào phải xong trước 30/11?", "Tháng 11 này đơn vị tôi phải nộp những báo
cáo nào?": `detect` reads the unit the question names, the date window it asks about, the places, plan years and
plan words it narrows to (general patterns of how such questions are put, with or without accents, and a few
English ones; no unit name is typed here). `assistant.duties.answer` answers what it found.

    ask = detect("Phòng Nội vụ quận Gò Vấp phải làm gì?", date.today())
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from index.normalize import fold_chars
from index.text import content_words
from index.units import HEAD

_MAX_UNIT_WORDS = 20

# ------------------------------------------------------------------------------------------------ patterns
# Everything is matched on `fold_chars` (lower case, no diacritics, one character per character), so the
# original text can be sliced at the same offsets and a question typed without accents reads the same.
_NOUN = r"(?:cong\s+viec|viec|nhiem\s+vu|phan\s+viec|trach\s+nhiem|bao\s+cao)"
# "gì", "những gì", "những việc gì", "các nhiệm vụ nào" (a bare "việc nào" after a verb is "làm việc": work).
_WHAT = rf"(?:(?:nhung|cac)\s+(?:{_NOUN}\s+)?|{_NOUN}\s+(?=gi))?(?:gi|nao)(?![\w])"
_DO = r"(?:lam|thuc\s+hien|trien\s+khai)"
_AUX = r"(?:(?:phai|can|co|se|nen|chiu|nhan|dam\s+nhan|dam\s+nhiem|duoc)\s+)*"
# Verbs that hold duties: "có / chịu / được giao nhiệm vụ gì" (a bare "việc gì" after any verb is no duty).
_HOLD = r"(?:co|chiu|nhan|dam\s+nhan|dam\s+nhiem|duoc\s+giao|duoc\s+phan\s+cong|duoc\s+yeu\s+cau)"
# What follows the unit in a duty question, and whether it asks for reports only.
_PREDICATES: list[tuple[re.Pattern[str], bool]] = [
    (
        re.compile(
            rf"\s+{_AUX}(?:phai\s+|can\s+)?(?:bao\s+cao|nop|gui)\s+(?:(?:nhung|cac)\s+)?(?:bao\s+cao\s+)?"
            r"(?:gi|nao|nhung\s+gi)(?![\w])"
        ),
        True,
    ),
    # "được giao / yêu cầu (làm) gì": the unit receives the work ("X yêu cầu gì" asks what X demands)
    (re.compile(rf"\s+{_AUX}duoc\s+(?:giao|phan\s+cong|yeu\s+cau|de\s+nghi)\s+(?:{_DO}\s+)?{_WHAT}"), False),
    (re.compile(rf"\s+{_AUX}{_DO}\s+{_WHAT}"), False),
    (
        re.compile(
            rf"\s+{_AUX}{_HOLD}\s+(?:(?:nhung|cac)\s+)?(?:nhiem\s+vu|trach\s+nhiem|cong\s+viec|phan\s+viec|viec)"
            r"\s+(?:gi|nao|nhu\s+the\s+nao|ra\s+sao)(?![\w])"
        ),
        False,
    ),
]
# "Kế hoạch … giao / đề nghị <unit> làm gì?"
_DIRECTED = re.compile(
    rf"(?<![\w])(?:giao|de\s+nghi|yeu\s+cau|phan\s+cong)\s+(?:cho\s+)?(?P<unit>\S.*?)\s+(?:(?:phai\s+|can\s+)?{_DO}"
    rf"\s+{_WHAT}|(?:nhung|cac)\s+(?:cong\s+viec|viec|nhiem\s+vu|phan\s+viec)\s+(?:gi|nao)(?![\w]))"
)
# "Nhiệm vụ của <unit> là gì?"
_OF_UNIT = re.compile(
    r"(?<![\w])(?:cac\s+|nhung\s+)?(?:nhiem\s+vu|trach\s+nhiem|cong\s+viec|phan\s+viec)\s+(?:duoc\s+giao\s+)?"
    r"(?:cua|cho)\s+(?P<unit>\S.*?)\s*(?:(?:la|gom|bao\s+gom|co)\s+(?:nhung\s+)?(?:gi|nao|nhung\s+gi|nhung\s+viec\s+gi)"
    r"(?![\w])|[?.]?\s*$)"
)
_ENGLISH: list[re.Pattern[str]] = [
    re.compile(
        r"(?<![\w])what\s+(?:must|should|does|do|will|is|are)\s+(?P<unit>\S.*?)\s+(?:(?:have|has|need|needs|"
        r"required|supposed|expected|going)\s+to\s+)?do(?![\w])"
    ),
    re.compile(
        r"(?<![\w])what\s+(?:are|is)\s+(?:the\s+)?(?:tasks?|duties|duty|responsibilit(?:y|ies)|assignments?|"
        r"jobs?)\s+(?:of|for|assigned\s+to|given\s+to)\s+(?P<unit>\S.*?)\s*(?:\?|$|\s+(?:in|under|according))"
    ),
    re.compile(r"(?<![\w])what\s+is\s+(?P<unit>\S.*?)\s+(?:responsible|tasked|in\s+charge)\s+(?:for|with|of)"),
    re.compile(
        r"(?<![\w])what\s+(?:tasks?|duties|work|reports?)\s+(?:must|should|does|do|is|are)\s+(?P<unit>\S.*?)"
        r"\s+(?:do|submit|send|have|assigned|given|responsible)(?![\w])"
    ),
]
# A deadline question asks which tasks or reports ("những việc nào", "phải nộp những báo cáo nào", "what is due").
_ASKS_TASKS = re.compile(
    rf"(?<![\w])(?:(?:nhung|cac)\s+)?{_NOUN}\s+(?:gi|nao)(?![\w])|(?:phai|can)\s+(?:lam|nop|gui|hoan\s+thanh|xong)"
    r"\s+(?:(?:nhung|cac)\s+)?(?:gi|viec\s+gi|bao\s+cao\s+(?:nao|gi)|nhung\s+gi)(?![\w])|(?<![\w])(?:what|which)\s+"
    r"(?:tasks?|reports?|work|duties)(?![\w])|(?<![\w])what\s+(?:is|are|must\s+be)\s+(?:due|done|submitted)(?![\w])"
)
_DAY = r"(?P<{p}d>[0-3]?\d)\s*[/.-]\s*(?P<{p}m>[01]?\d)(?:\s*[/.-]\s*(?P<{p}y>(?:19|20)\d\d))?(?![\d/])"
_RANGE = re.compile(
    rf"(?<![\w])(?:tu|from|between)\s+(?:ngay\s+)?{_DAY.format(p='a')}\s+(?:den|toi|to|and|-)\s+(?:ngay\s+)?"
    rf"{_DAY.format(p='b')}"
)
_BEFORE = re.compile(
    r"(?<![\w])(?:truoc|cham\s+nhat(?:\s+la)?|han(?:\s+chot)?|den\s+het|den|by|before|until|due)\s+(?:(?:ngay|het|"
    rf"the|on)\s+)*{_DAY.format(p='')}"
)
_ON = re.compile(rf"(?<![\w])(?:ngay|on)\s+{_DAY.format(p='')}")
_MONTH = re.compile(
    r"(?<![\w])thang\s+(?P<m>1[0-2]|0?[1-9])(?:\s*(?:/|nam)\s*(?P<y>(?:19|20)\d\d))?(?![\d/])(?:\s+nay)?"
)
_THIS_MONTH = re.compile(r"(?<![\w])(?:thang\s+(?P<vi>nay|toi|sau|den)|(?P<en>this|next)\s+month)(?![\w])")
_EN_MONTHS = "january february march april may june july august september october november december".split()
_EN_MONTH = re.compile(rf"(?<![\w])(?:in|during)\s+(?P<m>{'|'.join(_EN_MONTHS)})(?:\s+(?P<y>(?:19|20)\d\d))?")
_QUARTER = re.compile(
    r"(?<![\w])(?:quy\s+(?P<q>iv|iii|ii|i|[1-4])|q(?P<qe>[1-4]))(?![\w])(?:\s*(?:/|nam)?\s*(?P<y>(?:19|20)\d\d))?"
    r"(?:\s+nay)?"
)
_THIS_QUARTER = re.compile(r"(?<![\w])(?:quy\s+(?P<vi>nay|toi|sau)|(?P<en>this|next)\s+quarter)(?![\w])")
_NEXT_DAYS = re.compile(
    r"(?<![\w])(?:trong\s+)?(?P<n>\d{1,3})\s+ngay\s+(?:toi|sap\s+toi|nua|ke\s+tiep|tiep\s+theo)(?![\w])"
    r"|(?<![\w])(?:in\s+the\s+)?next\s+(?P<ne>\d{1,3})\s+days(?![\w])"
)
_WEEK = re.compile(r"(?<![\w])(?:tuan\s+(?P<vi>nay|toi|sau)|(?P<en>this|next)\s+week)(?![\w])")
YEAR = re.compile(r"(?<![\d/.-])(?:19|20)\d\d(?![\d/])")
# A year with the word that introduces it ("năm 2025", "kế hoạch 2010", "the 2010 plan").
_NAMED_YEAR = re.compile(r"(?:(?<![\w])(?:nam|year|ke\s+hoach|kh)\s+)?(?<![\d/.-])(?P<y>(?:19|20)\d\d)(?![\d/])")
_PLACE = re.compile(
    r"(?<![\w])(?:(?:o|tai|cua|thuoc|of|in)\s+)?(?P<level>quan|huyen|tinh|thanh\s+pho|thi\s+xa|thi\s+tran|phuong|xa"
    r"|district|province|ward|city)\s+(?P<name>\S.*)"
)
_AT = re.compile(r"(?<![\w])(?:[ởỞ]|[tT]ại|in)\s+")
# Words that end a place's name typed after its level word ("quận Gò Vấp phải …", "quan go vap phai …").
_NOT_PLACE = frozenset(
    """phai can co duoc lam nam trong theo thi la ve se da giao nhiem trach bao nop gui thuc trien chiu va voi cho
    tu den truoc nay do o tai cua nhung cac mot hang moi hoach quy thang ngay must should do does is are
    what which in of under for the plan""".split()
)
_LEAD = re.compile(r"^(?:theo|trong|o|tai|nam|thang|quy|den|truoc|vay|the|con|in|under|according|for|by|during)\b")
_TAIL = re.compile(
    r"\s+(?:theo|trong|tai|thuoc|under|in|according\s+to)\s+(?:ke\s+hoach|kh|van\s+ban|the\s+plan|plan).*$"
)
# The plan a question names by its subject: "theo kế hoạch triển khai Chỉ thị 11", "in the plan on …".
_PLAN = re.compile(
    r"(?:(?<![\w])(?:theo|trong|cua|tai|under|in|of)\s+|^\s*)(?:(?:cac|the)\s+)?(?:ke\s+hoach|kh|van\s+ban|plan)\s+"
    # ... or opening the question ("Kế hoạch triển khai Chỉ thị 11 giao Sở Tư pháp làm gì?"), up to what it does
    r"(?!(?:giao|de\s+nghi|yeu\s+cau|phan\s+cong)\s)(?P<plan>(?:(?!\s(?:giao|de\s+nghi|yeu\s+cau|phan\s+cong)\s)[^?.,;:])+)"
)
# The document a question asks about by its kind and number ("kế hoạch 46", "Kế hoạch số 46/KH-UBND", "theo quyết
# định 1696"): a plan, decision or letter that assigns tasks, not the directive a plan carries out ("kế hoạch triển
# khai Chỉ thị 11": that number is the directive's).
_NUMBERED = re.compile(
    r"(?<![\w])(?P<kind>ke\s+hoach|quyet\s+dinh|cong\s+van|van\s+ban|thong\s+bao|plan|decision|letter)\s+"
    r"(?:so\s*:?\s*|no\.?\s*)?(?P<number>\d{1,6}(?:\s*/\s*[\w.-]+)?)(?![\w/])"
)
_KINDS = {"plan": "ke hoach", "decision": "quyet dinh", "letter": "cong van", "van ban": ""}
# The field a question narrows to: "… có nhiệm vụ gì trong quản lý khoáng sản", "… về công tác dân vận".
_TOPIC = re.compile(
    r"(?<![\w])(?:trong|ve|ve\s+viec|ve\s+linh\s+vuc|linh\s+vuc|regarding|about|on)\s+(?P<topic>[^?.,;:]+)"
)
_SELF = re.compile(
    r"^(?:(?:don\s+vi|co\s+quan|phong|ban)\s+(?:cua\s+)?(?:toi|minh|chung\s+toi|em)|toi|minh|chung\s+toi|chung\s+ta"
    r"|we|i|my\s+(?:office|unit|department)|our\s+(?:office|unit|department))$"
)
_DANGLING = frozenset("nhung cac trong cua cho va voi ve tai o theo the of and for in to".split())
_QUESTION_WORDS = frozenset("ai gi nao who which what whom".split())
_NOT_UNIT = frozenset(
    "nhung cac han chot cua co la thi viec cong nhiem vu bao cao trong nam thang quy ngay toi se phai can deadline"
    " the a an all any".split()
)
# English words around a unit's name that no Vietnamese name holds ("the Phòng Nội vụ of Go Vap").


@dataclass(frozen=True)
class DutyAsk:
    """What a duty or deadline question asks: the unit as typed ("" for every unit), the due window, the areas and
    plan years it names, and whether it asks for reports only."""

    unit: str = ""
    start: date | None = None
    end: date | None = None
    places: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    reports: bool = False
    english: bool = False
    plan: tuple[str, ...] = ()  # folded words by which the question names the plan ("trien khai chi thi 11")
    # The plan it names by kind and number, folded: ("ke hoach", "46") or ("ke hoach", "46/kh-ubnd"); a kind of ""
    # for "văn bản" (any kind).
    numbered: tuple[str, str] | None = None
    topic: tuple[str, ...] = ()  # folded words of the field asked about ("trong quản lý khoáng sản")

    @property
    def window(self) -> bool:
        """Whether the question asks for tasks due in a date range."""
        return self.start is not None or self.end is not None


def _day(m: re.Match[str], p: str, today: date) -> date | None:
    year = int(m.group(f"{p}y")) if m.group(f"{p}y") else today.year
    try:
        return date(year, int(m.group(f"{p}m")), int(m.group(f"{p}d")))
    except ValueError:
        return None


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _window(f: str, today: date) -> tuple[date | None, date | None, list[tuple[int, int]]]:
    """The date window a folded question names, and where it names it; (None, None, []) when none."""
    if m := _RANGE.search(f):
        a, b = _day(m, "a", today), _day(m, "b", today)
        if a and b:
            return a, b, [m.span()]
    if m := _BEFORE.search(f):
        end = _day(m, "", today)
        if end:  # what is still ahead, or the whole year when the day is past
            return (today if today <= end else date(end.year, 1, 1)), end, [m.span()]
    if m := _ON.search(f):
        day = _day(m, "", today)
        if day:
            return day, day, [m.span()]
    if m := _MONTH.search(f):
        return (*_month(int(m["y"]) if m["y"] else today.year, int(m["m"])), [m.span()])
    if m := _EN_MONTH.search(f):
        return (*_month(int(m["y"]) if m["y"] else today.year, _EN_MONTHS.index(m["m"]) + 1), [m.span()])
    if m := _THIS_MONTH.search(f):
        later = (m["vi"] or m["en"]) in ("toi", "sau", "den", "next")
        first = (today.replace(day=28) + timedelta(days=4)).replace(day=1) if later else today
        return (*_month(first.year, first.month), [m.span()])
    if m := _QUARTER.search(f):
        q = {"i": 1, "ii": 2, "iii": 3, "iv": 4}.get(m["q"] or "", 0) or int(m["q"] or m["qe"])
        year = int(m["y"]) if m["y"] else today.year
        return _month(year, 3 * q - 2)[0], _month(year, 3 * q)[1], [m.span()]
    if m := _THIS_QUARTER.search(f):
        q = (today.month - 1) // 3 + (2 if (m["vi"] or m["en"]) in ("toi", "sau", "next") else 1)
        year = today.year + (q - 1) // 4
        q = (q - 1) % 4 + 1
        return _month(year, 3 * q - 2)[0], _month(year, 3 * q)[1], [m.span()]
    if m := _NEXT_DAYS.search(f):
        return today, today + timedelta(days=int(m["n"] or m["ne"])), [m.span()]
    if m := _WEEK.search(f):
        monday = today - timedelta(days=today.weekday())
        if (m["vi"] or m["en"]) in ("toi", "sau", "next"):
            monday += timedelta(weeks=1)
        return max(today, monday), monday + timedelta(days=6), [m.span()]
    return None, None, []


def _places(question: str, f: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Areas a question names after a level word ("quận Gò Vấp", "phuong 14", "Go Vap district" is not read)."""
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    cased = question != question.lower()
    for m in _PLACE.finditer(f):
        pos = m.start("name")
        words: list[tuple[int, int]] = []
        run = re.match(r"[\w.]+(?:[ \t]+[\w.]+)*", f[pos:])  # a name ends at punctuation: "quận Gò Vấp, Phòng …"
        for w in re.finditer(r"[\w.]+", run.group(0) if run else ""):
            word = question[pos + w.start() : pos + w.end()]
            if w.group(0) in _NOT_PLACE or (cased and not (word[:1].isupper() or word.isdigit())) or len(words) == 4:
                break
            words.append((pos + w.start(), pos + w.end()))
            if word.isdigit():
                break
        if words:
            found.append(question[words[0][0] : words[-1][1]])
            spans.append((m.start(), words[-1][1]))
    if cased:  # "ở Ba Đình", "in Go Vap": capitalised words after "ở", "tại", "in", two at least
        for m in _AT.finditer(question):
            run = re.match(r"\w+(?:[ \t]+\w+){0,3}", question[m.end() :])
            tokens = re.finditer(r"\w+", run.group(0) if run else "")
            name = list(itertools.takewhile(lambda w: w.group(0)[:1].isupper(), tokens))
            if 2 <= len(name) <= 4 and not any(a <= m.start() < b for a, b in spans):
                found.append(question[m.end() : m.end() + name[-1].end()])
                spans.append((m.start(), m.end() + name[-1].end()))
    return found, spans


def _blank(text: str, spans: Sequence[tuple[int, int]]) -> str:
    for a, b in spans:
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def unit_text(raw: str) -> str | None:
    """The unit a question names, tidied ("Vậy Phòng Nội vụ" → "Phòng Nội vụ"); None when it is no unit."""
    text = " ".join(raw.replace("?", " ").split()).strip(" ,;:.-")
    if "," in text:  # "Theo kế hoạch năm 2025, Phòng Nội vụ": a lead before a comma is no part of the name
        head, _, rest = text.partition(",")
        if _LEAD.match(fold_chars(head.strip())) and rest.strip():
            text = rest.strip()
    f = fold_chars(text)
    if m := _TAIL.search(f):
        text, f = text[: m.start()], f[: m.start()]
    lead = re.match(r"^(?:(?:vay|the|con|con\s+ve|thi|and|ke\s+hoach\s+(?:do|nay))\s+)+", f)
    if lead:
        text, f = text[lead.end() :], f[lead.end() :]
    if trail := re.search(r"(?:\s+(?:thi|se|cung|lai))+$", f):  # "Thanh tra tỉnh thì …"
        text, f = text[: trail.start()], f[: trail.start()]
    words = f.split()
    if not words or words[0] in _QUESTION_WORDS or words[-1] in _QUESTION_WORDS or len(words) > _MAX_UNIT_WORDS:
        return None
    # "Những việc nào …", "Hạn chót của …", "… trong những": no name at all
    if (all(w in _NOT_UNIT for w in words) and not HEAD.fullmatch(" ".join(words))) or words[-1] in _DANGLING:
        return None  # (a unit's head word alone is a name: "Công an", whose words fold as "công" and "an")
    return "" if _SELF.match(" ".join(words)) else " ".join(text.split()).strip(" ,;:.-")


def _named_unit(question: str, f: str) -> tuple[str | None, bool, bool]:
    """The unit a duty question names ("" for the asker's own), whether it asks for reports only, and whether
    it is put in English; (None, False, False) when `question` is no duty question."""
    for pattern in (_DIRECTED, _OF_UNIT, *_ENGLISH):
        if (m := pattern.search(f)) and (unit := unit_text(question[m.start("unit") : m.end("unit")])) is not None:
            return unit, False, pattern in _ENGLISH
    for predicate, about_reports in _PREDICATES:
        if m := predicate.search(f):
            unit = unit_text(question[: m.start()])
            return (unit, about_reports, False) if unit is not None else (None, False, False)
    return None, False, False


@dataclass(frozen=True)
class Parts:
    """What a question names besides its unit: the due window, the areas, the plan years (with their words, as
    "năm 2025"), and the question with all of these blanked out (same offsets), where the unit is read."""

    start: date | None
    end: date | None
    places: tuple[str, ...]
    years: tuple[int, ...]
    plain: str


def parts(question: str, today: date) -> Parts:
    """The window, areas and years of `question` (spaces already collapsed), and the rest of it."""
    f = fold_chars(question)
    start, end, taken = _window(f, today)
    places, place_spans = _places(question, f)
    named = [m for m in _NAMED_YEAR.finditer(f) if not any(a <= m.start("y") < b for a, b in taken)]
    plain = _blank(question, [*taken, *place_spans, *(m.span() for m in named)])
    return Parts(start, end, tuple(places), tuple(int(m["y"]) for m in named), plain)


def detect(question: str, today: date) -> DutyAsk | None:
    """The duty or deadline question in `question`, or None for any other question (the ordinary path answers).

    >>> ask = detect("Phòng Nội vụ quận Gò Vấp phải làm gì theo kế hoạch năm 2010?", date(2025, 1, 1))
    >>> ask.unit, ask.places, ask.years, ask.window
    ('Phòng Nội vụ', ('Gò Vấp',), (2010,), False)
    >>> ask = detect("Những việc nào phải xong trước 30/11?", date(2025, 11, 2))
    >>> ask.unit, ask.start, ask.end
    ('', datetime.date(2025, 11, 2), datetime.date(2025, 11, 30))
    """
    p = parts(" ".join(question.split()), today)
    start, end, plain_q = p.start, p.end, p.plain
    plain_f = fold_chars(plain_q)
    unit, reports, english = _named_unit(plain_q, plain_f)
    window = start is not None or end is not None
    if unit is None and not (window and _ASKS_TASKS.search(plain_f)):
        return None
    if not unit and not window:  # "đơn vị tôi phải làm gì?" without a date names nothing to list
        return None
    english = english or bool(re.search(r"(?<![\w])(?:what|which|tasks?|due|reports?)(?![\w])", plain_f))
    plan = _PLAN.search(plain_f)
    numbered = next(
        (m for m in _NUMBERED.finditer(fold_chars(" ".join(question.split()))) if not YEAR.fullmatch(m["number"])),
        None,
    )  # "kế hoạch 2010" names the plan's year (`years`), not its number
    reports = reports or bool(re.search(r"bao\s+cao\s+(?:nao|gi)|reports?(?![\w])", plain_f))
    return DutyAsk(
        unit=unit or "",
        start=start,
        end=end,
        places=p.places,
        years=p.years,
        reports=reports,
        english=english,
        plan=tuple(content_words(plan["plan"])) if plan else (),
        topic=() if plan else _topic(plain_f),
        numbered=(
            (
                _KINDS.get(" ".join(numbered["kind"].split()), " ".join(numbered["kind"].split())),
                re.sub(r"\s+", "", numbered["number"]),
            )
            if numbered
            else None
        ),
    )


def _topic(plain_f: str) -> tuple[str, ...]:
    """The content words of the field the question narrows to, dates and places already blanked out."""
    m = _TOPIC.search(plain_f)
    return tuple(content_words(m["topic"])) if m else ()


def with_scope(ask: DutyAsk, text: str) -> DutyAsk:
    """`ask` with the areas and years of `text` (a follow-up's question completed from earlier turns) when it
    names none of its own."""
    f = fold_chars(" ".join(text.split()))
    places = ask.places or tuple(_places(" ".join(text.split()), f)[0])
    years = ask.years or tuple(int(m.group(0)) for m in YEAR.finditer(f))
    return replace(ask, places=places, years=years)
