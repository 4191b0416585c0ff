"""Who must do what, and by when: the assignments of a plan, a decision or a letter, read from its structure.

Plans, decisions (Quyết định: "Điều N" articles assign execution), directives and letters (Công văn: "đề nghị X …")
assign work; reports, records and news (`_NOT_PLANS`) do not and give nothing. A document assigns work in three
ways, and `extract` reads all three:

1. A unit heads a block ("2. Sở Nông nghiệp và Môi trường", "3. Phòng Nội vụ:", "4. Đề nghị Ủy ban MTTQ …",
   "1. Trách nhiệm của chủ đầu tư"): each list item ("- ", "a)") or, in a paragraph, each sentence of the block is
   one of its tasks. Inside a "Tổ chức thực hiện" / "Trách nhiệm" / "Phân công" part every short numbered heading
   names units; elsewhere a heading names a unit when it starts with an administrative head word (Phòng, Sở, UBND,
   Thanh tra…), with "Trách nhiệm của" / "Nhiệm vụ của", or with a name of the lexicon learned from the corpus's
   headings (`UnitLexicon`). A numbered item that is a sentence ("3. Chánh Văn phòng …; Giám đốc các Sở … có trách
   nhiệm thi hành Quyết định này.") is not a heading, even when the chunker cuts a label from it.
2. A sentence or item names its units: "Giao / Đề nghị / Yêu cầu / Ủy quyền cho <units> …" (anywhere in it: "…, do
   vậy đề nghị Chủ đầu tư …"), "<units> chủ trì …", "<units> (cần|phải|có trách nhiệm|…) …", "Căn cứ …, các cơ
   quan … triển khai …". A sentence ending in its units and a colon ("… đề nghị Chủ đầu tư:") is the heading of the
   items below it.
3. A table row with a "chủ trì" column ("Sở, ngành chủ trì tham mưu: …"): its task cell, its lead units and its
   time cell; a "Chủ trì: <unit>" line.

Units after "phối hợp (với)" are partners, not assignees. Unit names and keys are `index.units`'s. A letter's
single addressee ("Kính gửi: Công ty TNHH …") is the full name of a later "Công ty"; the one event a letter
organises ("2. Thời gian kiểm tra: Ngày 29 tháng 05 năm 2026") dates the tasks written after it.

Extraction is pure text and deterministic (a 40k-character plan takes a few tens of milliseconds);
`document.text[start:end]` is always the task.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from index.chunking import heading_spans, section_spans
from index.deadlines import Due, parse_due, parse_dues
from index.normalize import fold_chars
from index.sentences import sentence_spans
from index.types import DocMeta, Document
from index.units import HEAD, LABEL_PREFIX, WORD_AT, display_unit, unit_end, unit_key, unit_spans

__all__ = ["Assignment", "UnitLexicon", "display_unit", "extract", "unit_key"]

# Parts of a plan that assign work, by their folded heading.
_ASSIGNING_PART = re.compile(r"to chuc thuc hien|trach nhiem|phan cong|nhiem vu cua cac|giao nhiem vu")
# Words that open a directive sentence and are followed by the units addressed.
_DIRECTIVE = re.compile(r"(?<![\w])(?:de nghi|giao|yeu cau|kien nghi|uy quyen cho)\s+(?=\S)")
_NOT_ADDRESSING = re.compile(r"(?:theo|xet|cua|duoc|da|se|nhan|khi|de|nham)\s*$")
_ARTICLE = re.compile(r"dieu \d{1,3}\.\s+")
# An opening clause before the subject: "Căn cứ ý kiến chỉ đạo trên, các cơ quan … triển khai …".
_OPENING_CLAUSE = re.compile(r"(?:can cu|tren co so|de|sau khi|truong hop|ve)\s[^,.;:]{3,120}?[,:]\s*")
# After a subject, words that show the sentence does not assign it a task (description, past, passive).
_NOT_ACTION = re.compile(
    r"\s*(?:da|dang|duoc|bi|la mot|cua|ve|voi|tai|trong|theo(?! chuc nang)|thuoc|nay|do|nhan duoc|thong bao|co \d"
    r"|co y kien|gom|va)(?![\w])"
)
_BULLET = re.compile(r"[ \t]*(?:[-–+•*]|[a-zđ]\))[ \t]+")
_NUMBER = re.compile(r"[ \t]*(?:[IVX]{1,4}\.|\d{1,2}(?:\.\d{1,2})*[.)]?)[ \t]+")
_INLINE_BULLET = re.compile(r"(?<=[.;:!?…])[ \t]+(?:\d{1,3}[ \t]+)?[-–+•][ \t]+(?=\S)")
_NUMBERING = re.compile(r"\s*(?:[IVX]{1,4}|\d{1,2}(?:\.\d{1,2})*|[a-zđ])[.)]\s*")
_EVENT_TIME = re.compile(r"(?m)^[ \t]*\d{1,2}\.[ \t]*thoi gian(?: kiem tra| hop| lam viec| to chuc)?[ \t]*:([^\n]*)")
_ADDRESSEE = re.compile(r"kinh gui\s*:[ \t]*([^\n]{3,160})")
_HEADER_CHARS = 3000
_ITEM_CHARS = 800  # how far a numbered heading is read to tell a sentence from a label
_WRAPPED_LINE = 60  # a line of a PDF page this long that stops without punctuation goes on on the next line
_MIN_ITEM_WORDS = 2
_MIN_SENTENCE_WORDS = 4
_MAX_UNIT_WORDS = 25
# Document kinds that report or tell, not assign: nothing is extracted from them.
_NOT_PLANS = ("tin tuc", "bao cao", "bien ban")


@dataclass(frozen=True)
class Assignment:
    """One task of one unit in one document, with its deadline or rhythm when the text gives one."""

    doc_id: str
    source: str
    unit: str  # as first written in this document, e.g. "Phòng Nội vụ quận"
    unit_key: str  # normalised: `unit_key(unit, area)`
    task: str  # the list item or sentence; document.text[start:end] == task
    start: int
    end: int
    section: str  # heading path ("III. TỔ CHỨC THỰC HIỆN › 1. Phòng Nội vụ")
    year: int | None  # the plan's year
    due: Due | None  # offsets in the document's text
    meta: DocMeta = field(default_factory=DocMeta)  # the plan's title, number, date, issuer (citations)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for persistence."""
        d = asdict(self)
        d["due"] = self.due.to_dict() if self.due else None
        d["meta"] = asdict(self.meta)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Assignment:
        """Inverse of `to_dict`."""
        d = dict(d)
        d["due"] = Due.from_dict(d["due"]) if d.get("due") else None
        d["meta"] = DocMeta(**d.get("meta", {}))
        return cls(**d)


@dataclass
class UnitLexicon:
    """Unit names that head a block in the corpus's documents ("9. Thuế tỉnh", "3. Phòng Nội vụ:"), folded ->
    as written; `extract` recognises them in any document's running text and headings."""

    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def learn(cls, documents: Iterable[Document]) -> UnitLexicon:
        """The unit names heading blocks in `documents`."""
        lexicon = cls()
        for document in documents:
            for _, _, _, names in _unit_headings(document.text, None):
                for name in names:
                    folded = " ".join(fold_chars(name).split())
                    if 1 < len(folded.split()) <= 8:
                        lexicon.names.setdefault(folded, name)
        return lexicon

    def pattern(self) -> re.Pattern[str] | None:
        """A pattern matching any name of the lexicon in folded text, longest first."""
        if not self.names:
            return None
        names = sorted(self.names, key=len, reverse=True)
        return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) + r")(?![\w])")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for persistence."""
        return {"names": dict(sorted(self.names.items()))}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> UnitLexicon:
        """Inverse of `to_dict`."""
        return cls(dict(d.get("names", {})))


# ------------------------------------------------------------------------------------------------ structure
def _unit_headings(
    text: str, lexicon: re.Pattern[str] | None, folded: str | None = None
) -> list[tuple[int, int, int, list[str]]]:
    """(heading start, label end, level, unit names) of each heading that names units."""
    folded = fold_chars(text) if folded is None else folded
    out = []
    part = ""
    heads = heading_spans(text)
    for i, (start, label_end, level, label) in enumerate(heads):
        if level <= 2:
            part = fold_chars(label)
        number = _NUMBERING.match(text, start, label_end)
        if number is None or level <= 1 or label.endswith("…"):
            continue
        name_start = number.end()
        item_end = min(heads[i + 1][0] if i + 1 < len(heads) else len(text), name_start + _ITEM_CHARS)
        same_line = re.match(r"[ \t:]*[^\s:]", text[label_end : label_end + 8]) is not None
        subjects = _subjects(text, folded, name_start, item_end, lexicon, in_block=False) if same_line else []
        opens = bool(subjects) and text.find(subjects[0], name_start) < name_start + 12
        if opens and _end_of(text, subjects, name_start) > label_end:
            continue  # "1. Các cơ quan chuyên môn, đơn vị … tiếp tục quán triệt …": a sentence, not a heading
        prefix = LABEL_PREFIX.match(folded, name_start)
        name_start = prefix.end() if prefix else name_start
        owner = prefix is not None and prefix.group(0).startswith(("trach nhiem", "nhiem vu"))
        name_end = label_end
        while name_end > name_start and text[name_end - 1] in " :;,.\t":
            name_end -= 1
        words = text[name_start:name_end].split()
        if not words or len(words) > _MAX_UNIT_WORDS:
            continue
        units = unit_spans(text, folded, name_start, name_end, lexicon)
        covered = bool(units) and units[-1][1] >= name_end - 1
        in_part = bool(_ASSIGNING_PART.search(part)) and level in (3, 4) and len(words) <= 10
        if covered:
            out.append((start, label_end, level, [text[a:b] for a, b in units]))
        elif (in_part and words[0][:1].isupper() or owner) and not re.search(r"[.;]", text[name_start:name_end]):
            out.append((start, label_end, level, [text[name_start:name_end]]))  # "Trách nhiệm của chủ đầu tư"
    return out


def _end_of(text: str, names: list[str], start: int) -> int:
    """Where the last of `names`, written in order from `start`, ends."""
    for name in names:
        start = text.find(name, start) + len(name)
    return start


def _paragraphs(text: str, start: int, end: int, label_ends: frozenset[int] = frozenset()) -> list[tuple[int, int]]:
    """Paragraphs of text[start:end]: lines, a hard-wrapped line (or a page break) joined to the next one when
    that one goes on in lower case, or when a long line stops mid-sentence just before it ("… các Sở, ngành: Ban\n
    Quản lý Khu kinh tế, …"; not a heading's whole line, `label_ends`)."""
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        a, b = start + line.start(), start + line.end()
        if not text[a:b].strip():
            continue
        previous = text[out[-1][0] : out[-1][1]].rstrip() if out else ""
        wrapped = (
            len(previous) >= _WRAPPED_LINE
            and previous[-1:].isalpha()
            and not {out[-1][0] + len(previous), out[-1][0] + len(previous) - 1} & label_ends
            and text[out[-1][1] : a].count("\n") == 1
            and not _NUMBER.match(text, a, b)
        )
        if (
            out
            and (text[a:b].lstrip()[:1].islower() or wrapped)
            and not _BULLET.match(text, a, b)
            and not previous.endswith((".", ":"))
        ):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _pieces(text: str, a: int, b: int) -> list[tuple[int, int, bool]]:
    """The list items of a paragraph (a "- " or "a)" item whole) or its sentences, as (start, end, is an item)."""
    out: list[tuple[int, int, bool]] = []
    cuts = [a] + [m.start() for m in _INLINE_BULLET.finditer(text, a, b)] + [b]
    for x, y in zip(cuts, cuts[1:], strict=False):
        bullet = _BULLET.match(text, x, y)
        if bullet or len(cuts) > 2:
            x, y = _trim(text, bullet.end() if bullet else x, y)
            if len(text[x:y].split()) >= _MIN_ITEM_WORDS:
                out.append((x, y, True))
        else:
            number = _NUMBER.match(text, x, y)
            x = number.end() if number else x
            spans: list[tuple[int, int]] = []
            for s, e in sentence_spans(text, x, y):
                # a line break inside a sentence ("nghiêm\n\ntúc", "các Sở, ngành: Ban\nQuản lý")
                if spans and (text[s:e].lstrip()[:1].islower() or text[: spans[-1][1]].rstrip()[-1:].isalpha()):
                    spans[-1] = (spans[-1][0], e)
                else:
                    spans.append((s, e))
            for s, e in spans:
                s, e = _trim(text, s, e)
                if len(text[s:e].split()) >= _MIN_SENTENCE_WORDS:
                    out.append((s, e, False))
    return out


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and (text[a].isspace() or text[a] in "-–+•*:"):  # ":" after a unit label on the same line
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    m = re.search(r"\s+\d{1,3}$", text[a:b])  # a page number left at the end of a PDF line
    return (a, a + m.start()) if m and text[a : a + m.start()].rstrip().endswith((".", ";")) else (a, b)


def _section_of(sections: list[tuple[int, int, str]], pos: int) -> str:
    for a, b, path in sections:
        if a <= pos < b:
            return path
    return ""


def _year(document: Document) -> int | None:
    if document.meta.year:
        return document.meta.year
    m = re.search(r"\b(?:19|20)\d\d\b", document.meta.title)
    return int(m.group(0)) if m else None


def _shift(due: Due | None, offset: int) -> Due | None:
    if due is None:
        return None
    return Due(due.date, due.every, due.day, due.month, due.text, due.start + offset, due.end + offset)


# ------------------------------------------------------------------------------------------------ extraction
def _duties(text: str, a: int, b: int, year: int | None) -> list[tuple[int, int]]:
    """text[a:b] cut at each "và" that joins two parts with a deadline each; [(a, b)] when there is none."""
    dues = parse_dues(text[a:b], year)
    if len(dues) < 2:
        return [(a, b)]
    folded = fold_chars(text[a:b])
    cuts: list[tuple[int, int]] = []
    for first, second in zip(dues, dues[1:], strict=False):
        joins = list(re.finditer(r"\s+va\s+", folded[first.end : second.start]))
        if joins:
            j = joins[-1]
            cuts.append((a + first.end + j.start(), a + first.end + j.end()))
    if not cuts:
        return [(a, b)]
    parts, start = [], a
    for end, nxt in cuts:
        parts.append((start, end))
        start = nxt
    parts.append((start, b))
    return parts


class _Collector:
    """The assignments found in one document, one per (unit key, task span)."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.area = document.meta.place or document.meta.issuer
        self.year = _year(document)
        self.sections = section_spans(document.text)
        self.names: dict[str, str] = {}  # unit key -> name as first written
        self.found: dict[tuple[str, int, int], Assignment] = {}

    def add(self, unit: str, a: int, b: int, when: tuple[int, int] | None = None) -> None:
        """Record that `unit` must do text[a:b] (by the deadline in text[when], else in the task). A task of two
        duties joined by "và", each with its own deadline ("gửi báo cáo … giữa tháng cuối mỗi quý và gửi báo
        cáo năm trước ngày 25/11"), is two assignments."""
        if when is None:
            parts = _duties(self.document.text, a, b, self.year)
            if len(parts) > 1:
                for pa, pb in parts:
                    self._add(unit, pa, pb, None)
                return
        self._add(unit, a, b, when)

    def _add(self, unit: str, a: int, b: int, when: tuple[int, int] | None) -> None:
        text = self.document.text
        key = self._resolve(unit_key(unit, self.area))
        if key.startswith("@") or (key, a, b) in self.found:
            return
        self.names.setdefault(key, display_unit(unit))
        span = when or (a, b)
        due = _shift(parse_due(text[span[0] : span[1]], self.year), span[0])
        self.found[(key, a, b)] = Assignment(
            self.document.doc_id, self.document.source, self.names[key], key, text[a:b], a, b,
            _section_of(self.sections, a), self.year, due, self.document.meta,
        )  # fmt: skip

    def _resolve(self, key: str) -> str:
        return key

    def know(self, unit: str) -> None:
        """Record a unit's full name (a letter's addressee) without a task, for short mentions to resolve to."""
        self.names.setdefault(unit_key(unit, self.area), display_unit(unit))

    def resolved(self) -> list[Assignment]:
        """The assignments, a short name ("Công ty") standing for the one longer name of this document it begins."""
        out = []
        for a in self.found.values():
            name, _, place = a.unit_key.partition("@")
            longer = [k for k in self.names if k != a.unit_key and k.startswith(name + " ") and k.endswith("@" + place)]
            if len(longer) == 1:
                a = Assignment(**{**a.__dict__, "unit": self.names[longer[0]], "unit_key": longer[0]})
            out.append(a)
        return out


def extract(document: Document, lexicon: UnitLexicon | None = None) -> list[Assignment]:
    """The assignments of one document, in text order (one per unit and task)."""
    text = document.text
    if fold_chars(document.meta.kind).strip() in ("", *_NOT_PLANS):
        return []
    folded = fold_chars(text)
    out = _Collector(document)
    known = dict(lexicon.names) if lexicon else {}
    # A letter's single addressee ("Kính gửi: Công ty TNHH …"): "Đề nghị Công ty liên hệ …" is addressed to it.
    addressee = _ADDRESSEE.search(folded, 0, min(len(text), _HEADER_CHARS))
    if addressee and (head := HEAD.match(folded, addressee.start(1))):
        out.know(text[addressee.start(1) : addressee.end(1)].strip(" .;"))
        known.setdefault(head.group(0), text[head.start() : head.end()])
    names = UnitLexicon(known).pattern()
    heads = heading_spans(text)
    recipients = next((h[0] for h in heads if h[2] == 0 and folded.startswith("noi nhan", h[0])), len(text))
    # The body: from the first heading, or in a letter without headings from after its addressee.
    body_start = heads[0][0] if heads and heads[0][0] < recipients else (addressee.end() if addressee else 0)
    # 3 first: a table names its units in full, and a later short mention ("Công ty") resolves to them.
    for row in re.finditer(r"(?m)^[^\n|]*\|[^\n]*", text):
        _table_row(text, folded, row.start(), row.end(), names, out)
    blocks = _unit_headings(text, names, folded)
    blocks_at = [(start, label_end, level) for start, label_end, level, _ in blocks]
    block_of: list[tuple[int, int, list[str]]] = []
    for start, label_end, level, units in blocks:
        following = [h[0] for h in heads if h[0] > start and h[2] <= level]
        block_of.append((label_end, min([*following, recipients]), units))
    cut_set = {h[0] for h in heads} | {x for x, _, _ in block_of}
    cuts = sorted(cut_set)
    label_ends = frozenset(h[1] for h in heads)
    intro: list[str] = []  # the units of a sentence introducing the items below ("… đề nghị Chủ đầu tư:")
    for pa, pb in _paragraphs(text, body_start, recipients, label_ends):
        carried: list[str] = []
        bounds = [pa] + cuts[bisect_right(cuts, pa) : bisect_left(cuts, pb)] + [pb]
        for sa, sb in zip(bounds, bounds[1:], strict=False):
            label = next((x for h, x, _ in blocks_at if h == sa), None)
            intro = [] if sa in cut_set else intro
            for a, b, item in _pieces(text, label or sa, sb):
                block = next((u for x, y, u in reversed(block_of) if x <= a < y), [])
                units = _subjects(text, folded, a, b, names, in_block=bool(block))
                if not item:
                    intro = units if units and text[a:b].endswith(units[-1] + ":") else []
                    if intro:
                        continue  # a heading of the list below, not a task of its own
                if units:
                    carried = [] if item else units
                elif carried and not item:
                    units = carried
                else:
                    units = intro if item and intro else block
                for unit in units:
                    out.add(unit, a, b)
            _lead_line(text, folded, sa, sb, names, out)
    return sorted(_event_day(document, folded, out.resolved()), key=lambda x: (x.start, x.unit_key))


def _event_day(document: Document, folded: str, found: list[Assignment]) -> list[Assignment]:
    """The day of the one event a letter organises ("2. Thời gian kiểm tra: Ngày 29 tháng 05 năm 2026") is the
    deadline of the tasks written after it that have none of their own (who leads it, what to prepare)."""
    lines = list(_EVENT_TIME.finditer(folded))
    if len(lines) != 1:
        return found
    line = lines[0]
    due = _shift(parse_due(document.text[line.start(1) : line.end(1)], _year(document)), line.start(1))
    if due is None or not due.date:
        return found
    return [Assignment(**{**a.__dict__, "due": due}) if a.start > line.start() and a.due is None else a for a in found]


def _subjects(text: str, folded: str, a: int, b: int, names: re.Pattern[str] | None, in_block: bool) -> list[str]:
    """The units a sentence or item assigns its task to: after a directive word near its start ("Giao …",
    "UBND quận đề nghị …"), or as its subject ("Các đơn vị gửi báo cáo …")."""
    article = _ARTICLE.match(folded, a, b)  # "Điều 3. Các thành viên … chịu trách nhiệm thi hành …"
    a = article.end() if article else a
    for directive in _DIRECTIVE.finditer(folded, a, b):
        if directive.start() == a:  # "Yêu cầu các đơn vị …" opening an item of a unit's block is that unit's task
            addressed = not in_block
        elif directive.start() < a + 60 and unit_end(text, folded, a, names):
            addressed = True  # "UBND quận đề nghị các phường …": the units after it
        else:  # "…, do vậy đề nghị Chủ đầu tư cập nhật …", not "Xét đề nghị của …", "nhiệm vụ được giao …"
            addressed = not in_block and not _NOT_ADDRESSING.search(
                folded, max(a, directive.start() - 12), directive.start()
            )
        spans = unit_spans(text, folded, directive.end(), b, names) if addressed else []
        if spans:
            return [text[x:y] for x, y in spans]
    opening = _OPENING_CLAUSE.match(folded, a, b)
    if opening and (spans := unit_spans(text, folded, opening.end(), b, names)):
        a = opening.end()  # "Căn cứ ý kiến chỉ đạo trên, các cơ quan, đơn vị liên quan nghiêm túc triển khai …"
    spans = unit_spans(text, folded, a, b, names)
    if not spans or spans[-1][1] >= b:
        return []
    end = spans[-1][1]
    nxt = WORD_AT.match(text, end)
    if nxt is None or not nxt.group(1)[:1].islower() or _NOT_ACTION.match(folded, end):
        return []
    if _DIRECTIVE.match(folded, nxt.start(1)):
        return []  # "UBND quận đề nghị …": the units addressed come after
    return [text[x:y] for x, y in spans]


def _lead_line(text: str, folded: str, a: int, b: int, names: re.Pattern[str] | None, out: _Collector) -> None:
    """A line "Chủ trì: <unit>" (of a meeting, an inspection) assigns that line to the unit."""
    m = re.compile(r"\s*(?:[-–+•]\s*)?(?:co quan |don vi )?chu tri\s*:\s*").match(folded, a, b)
    if m:
        for x, y in unit_spans(text, folded, m.end(), b, names):
            ta, tb = _trim(text, a, b)
            out.add(text[x:y], ta, tb)


def _table_row(text: str, folded: str, a: int, b: int, names: re.Pattern[str] | None, out: _Collector) -> None:
    """A row "TT: 1 | Tên nhiệm vụ: … | Sở, ngành chủ trì tham mưu: … | Thời gian thực hiện: …"."""
    task = lead = when = None
    pos = a
    for part in text[a:b].split("|"):
        x, y = pos, pos + len(part)
        pos = y + 1
        m = re.compile(r"\s*([^:|]{2,60}):\s*").match(folded, x, y)
        if not m:
            continue
        label, value = m.group(1), (m.end(), y)
        if "chu tri" in label and "phoi hop" not in label:
            lead = value
        elif re.search(r"nhiem vu|noi dung|cong viec", label) and task is None:
            task = value
        elif re.search(r"thoi gian|thoi han|tien do", label):
            when = value
    if task is None or lead is None:
        return
    ta, tb = _trim(text, *task)
    if len(text[ta:tb].split()) < _MIN_SENTENCE_WORDS:
        return
    la, lb = _trim(text, *lead)
    for x, y in unit_spans(text, folded, la, lb, names):
        out.add(text[x:y], ta, tb, when)
