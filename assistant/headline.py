"""The first sentence of an answer: the part of the best quote that answers, in at most 25 words.

An official reads "Phòng Nội vụ: là cơ quan đầu mối, tham mưu … [1]." before any quote. The sentence is built
only from words of the cited passage (its text and its section headings), so the grounding rule holds:

- the clause of the quoted sentence that answers best (`weigh`: the question's terms, and the value asked for:
  a date, a figure, an amount), cut to a window of words around that value or those terms when it is longer;
- for "who/which body" questions, the body the passage is about when its section heading names one
  ("III. Tổ chức thực hiện › 1. Phòng Nội vụ") and the clause does not, put before it;
- from several documents, one short sentence per document, tagged by place and year ("Ba Đình 2025: … [1].
  Gò Vấp 2010: … [3].").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.textmatch import plain
from index.normalize import fold

MAX_WORDS = 25
_PART_WORDS = 18
_INNER_PENALTY = 0.1
# Folded words after which a phrase starts: where a run may begin inside a clause.
_JOINERS = frozenset(
    "va hoac de nhung ma thi la da se roi dong thoi cung con".split()
)  # each document's sentence when several answer, its place and year included
# "ai", "cơ quan nào", "đơn vị nào", "who", "which body": the answer names a body or a person (folded).
_ASKS_WHO = re.compile(
    r"\bai\b|\b(?:co quan|don vi|phong|ban|so|nguoi|to chuc|cap)\s+nao\b|\bwho\b|\bwhich (?:body|office|agency|unit|"
    r"department|organisation|organization)\b"
)
# A heading that names a body: "1. Phòng Nội vụ", "4. Thanh tra quận, Văn phòng UBND quận", "2. Công an tỉnh".
_BODY_HEADING = re.compile(
    r"^(?:Phòng|Ban|Sở|UBND|Ủy ban|Uỷ ban|Văn phòng|Thanh tra|Công an|Trung tâm|Chủ tịch|Thủ trưởng|Bộ Chỉ huy|"
    r"Đề nghị|Các|Quận ủy|Huyện ủy|Tỉnh ủy|Thành ủy|Đảng ủy|Hội|Liên đoàn|Đoàn|Mặt trận|Tòa án|Viện|Kho bạc|Chi cục|"
    r"Cục|Báo|Đài)\b"
)
_NUMBERING = re.compile(r"^\s*(?:[IVXLC]+|\d+(?:\.\d+)*|[a-zđ])[.)]\s*", re.IGNORECASE)
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Part:
    """One document's contribution to the first sentence: where its words come from."""

    text: str  # the chunk text
    start: int  # the quoted sentence within it
    end: int
    section: str
    tag: str = ""  # "Ba Đình 2025" when several documents answer


# What a question asks about the document itself (folded): its number and symbol, its date of issue.
_ASKS_NUMBER = re.compile(r"\b(?:so hieu|ky hieu|so may|so nao|mang so|so bao nhieu|what is its number|which number)\b")
_ASKS_DATE_OF_ISSUE = re.compile(
    r"\b(?:ban hanh|ky|dang|cap nhat|issued?|signed|published)\b(?:\s+\w+){0,2}\s+(?:ngay nao|khi nao|luc nao|bao gio|"
    r"vao ngay nao|thoi gian nao)\b|\b(?:ngay|thoi diem) (?:ban hanh|ky)\b"
    r"|\bwhen (?:was|did)\b.*\b(?:issue|sign|publish)"
    r"|\bban hanh\b[^?]{0,80}\b(?:vao ngay nao|vao thoi gian nao|khi nao)\b"
)


def document_fields(question: str) -> tuple[bool, bool]:
    """(number, date): whether a question asks for a document's number and symbol, or its date of issue.

    >>> document_fields("Kế hoạch năm 2020 của tỉnh Trà Vinh mang số hiệu nào, ban hành ngày nào?")
    (True, True)
    >>> document_fields("Hạn gửi báo cáo năm là ngày nào?")
    (False, False)
    """
    f = fold(question)
    return bool(_ASKS_NUMBER.search(f)), bool(_ASKS_DATE_OF_ISSUE.search(f))


def without_fields(question: str) -> str:
    """The question without the words that ask for the number or the date ("mang số hiệu nào", "ban hành ngày
    nào"): what is left says which document."""
    f = fold(question)
    for pattern in (_ASKS_NUMBER, _ASKS_DATE_OF_ISSUE):
        f = pattern.sub(" ", f)
    return f


def asks_who(question: str) -> bool:
    """Whether a question asks for a body or a person ("Cơ quan nào chủ trì …?", "Ai ký …?").

    >>> asks_who("Ở Ba Đình, cơ quan nào làm đầu mối?"), asks_who("Thời hạn là khi nào?")
    (True, False)
    """
    return bool(_ASKS_WHO.search(fold(question)))


def names(text: str) -> list[str]:
    """Names in `text`: runs of two or more capitalised words ("Ban Dân", "Hoàng Trung Hải", "Phòng Nội vụ" gives
    "Phòng Nội") and acronyms ("MTTQ", "UBND"). A word is capitalised when its first letter is upper case
    (`str.isupper`, not a character range: "đơn" is not).

    >>> names("Các đơn vị gửi về UBND quận qua Phòng Nội vụ, đồng chí Hoàng Trung Hải chủ trì.")
    ['UBND', 'Phòng Nội', 'Hoàng Trung Hải']
    """
    out: list[str] = []
    run: list[str] = []
    for word in [*re.findall(r"\w+", text), ""]:
        if word and word[0].isupper() and not word.isdigit():
            run.append(word)
            continue
        if len(run) >= 2:
            out.append(" ".join(run))
        elif len(run) == 1 and len(run[0]) >= 2 and run[0].isupper():
            out.append(run[0])
        run = []
    return out


def new_names(text: str, question: str) -> int:
    """How many names of bodies, office holders or people `text` gives that the question does not: what a
    "who" question asks for."""
    asked = fold(question)
    return sum(1 for n in names(text) if fold(n) not in asked)


def _body(section: str) -> str:
    """The body a section is about, from its deepest heading that names one ("Phòng Nội vụ")."""
    for heading in reversed([h for h in section.split(" › ") if h]):
        bare = _NUMBERING.sub("", heading).strip(" .:")
        if _BODY_HEADING.match(bare) and len(bare.split()) <= 16:
            return bare
    return ""


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]


def best_window(
    text: str,
    start: int,
    end: int,
    weigh: Callable[[str], float],
    limit: int,
    needed: Callable[[str], bool] = lambda _: True,
) -> tuple[int, int]:
    """The run of at most `limit` words of text[start:end] that answers best (`weigh`). Runs start the sentence
    or follow a clause mark ("," ";" ":" "("): readable, and the subject (often the answer to "who") is kept.
    Only when none of those holds what is `needed` (the value or name asked for) may a run start inside a
    clause (never inside a name: "Công | ty"). Ties go to the earlier run."""
    words = _words(text, start, end)
    if len(words) <= limit:
        return start, end
    clause_starts = [0] + [
        i + 1 for i, (_, b) in enumerate(words[:-1]) if text[b - 1] in ",;:" or text[words[i + 1][0]] == "("
    ]

    def run(i: int) -> tuple[int, int]:
        last = min(i + limit, len(words)) - 1
        # End at a clause mark past the run's middle (a clause, not a cut), unless the sentence ends there.
        ends = [j for j in range(i + limit // 2, last) if text[words[j][1] - 1] in ",;:"]
        j = ends[-1] if ends and last < len(words) - 1 else last
        return words[i][0], words[j][1]

    # Inside a clause, a run starts after a word that joins phrases ("… và | gửi báo cáo năm trước ngày 25/11 …"),
    # never inside a compound or a name; such a run must say more than one that starts a clause.
    inner = [
        i
        for i in range(1, len(words))
        if i not in clause_starts and fold(text[words[i - 1][0] : words[i - 1][1]]).strip(",;:") in _JOINERS
    ]
    scored = [(weigh(text[slice(*run(i))]), -n, run(i)) for n, i in enumerate(clause_starts)]
    scored += [(weigh(text[slice(*run(i))]) - _INNER_PENALTY, -len(words) - n, run(i)) for n, i in enumerate(inner)]
    holding = [x for x in scored if needed(text[x[2][0] : x[2][1]])]
    best = max(holding or [x for x in scored if x[1] > -len(words)], key=lambda x: (x[0], x[1]))
    return best[2]


def _tidy(text: str) -> str:
    t = re.sub(r"\s+", " ", plain(text)).strip(" ,;:-–(").strip()
    t = re.sub(r"\s*\)$", "", t) if t.count("(") < t.count(")") else t
    return t[:1].upper() + t[1:] if t else t


def headline(
    parts: Sequence[Sequence[Part]],
    question: str,
    weigh: Callable[[str], float],
    needed: Callable[[str], bool] = lambda _: True,
) -> list[tuple[str, int, int, int, int]]:
    """The first sentence's pieces, one per document: (words, document, part, start, end), `start:end` the span
    of that part's text they quote; of a document's quoted sentences, the run that answers best (a body named
    by the section heading is put before it). Empty when nothing short can be said."""
    who = asks_who(question)
    limit = MAX_WORDS if len(parts) == 1 else _PART_WORDS
    out = []
    for d, doc_parts in enumerate(parts):
        best: tuple[float, str, int, int, int] | None = None
        for k, p in enumerate(doc_parts):
            body = _body(p.section) if who else ""
            room = limit - len(p.tag.split()) - (len(body.split()) if body else 0)
            a, b = best_window(p.text, p.start, p.end, weigh, max(room, 4), needed)
            words = _tidy(p.text[a:b])
            if words and p.text[b : p.end].strip(' .;,:)”"') and not words.endswith("…"):
                words += " …"  # the sentence goes on
            if not words:
                continue
            score = weigh(words) - 0.01 * k  # the better quote first on a tie
            if body and not any(fold(part) in fold(words) for part in body.split(", ")):
                words = f"{body}: {words}"
            if body and fold(body) not in fold(question):
                score += 1.5  # the body the section is about: what "which body" asks for, before a name in passing
            if best is None or score > best[0]:
                best = (score, words, k, a, b)
        if best is not None:
            _, words, k, a, b = best
            tag = doc_parts[k].tag
            out.append((f"{tag}: {words}" if tag else words, d, k, a, b))
    return out
