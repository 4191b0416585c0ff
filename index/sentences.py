"""Where sentences end: the one rule the chunker, the answerer, the grounding guard and the evaluation share.

A sentence ends at ".", "!" or "?" (closing quotes or brackets and citation markers "[n]" stay with
it) before whitespace or the end. "…" mostly closes an open list inside a sentence ("văn hóa, thể
thao… được tổ chức"): it ends one only before a "- " bullet, as in a list run onto one line by PDF
extraction ("… lãng phí… - Lập kế hoạch"). Not after
- the number of a heading or item: a Roman numeral or a one- or two-digit number standing alone
  ("II. NỘI DUNG", "mục 2. Công tác"), and
- an abbreviation of one to three capitals ("TP. Hà Nội", "KT. CHỦ TỊCH", "Q. Ba Đình"), or
- the title of a person listed in a form ("- Ông. Triệu Vũ - Phó Chủ tịch xã").
A line break always ends one: text reaches here reflowed (`index.reflow`), so a line break inside a
paragraph no longer occurs and the breaks left are the document's own (headings, list items, letterhead
and signature lines). For quoting, passages are also cut into clauses, at ";" and at ":" before a
"- " bullet, and the number of a heading or item is a piece of its own ("4." | "Đề nghị Ủy ban MTTQ …"),
so the heading's words can be told from a statement; answers are split line by line with their
bullets set aside.
"""

from __future__ import annotations

import re
from typing import NamedTuple

CLOSERS = "\"”’')»]"
MARKERS = r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])*"
# Fixed-width look-behinds: a standalone heading number, or a standalone abbreviation of 1-3 capitals.
_NUMBERING = "".join(f"(?<![\\s«›(]{n})(?<!^{n})" for n in ("[IVXLC]", "[IVXLC]{2}", "[IVXLC]{3}", "\\d", "\\d\\d"))
_ABBREVIATION = "".join(f"(?<![\\s(]{n})(?<!^{n})" for n in ("[A-ZĐ]", "[A-ZĐ]{2}", "[A-ZĐ]{3}"))
# "- Ông. Triệu Vũ - Phó Chủ tịch xã": the title of a person listed in a form (as typed or read by OCR).
_TITLE = "".join(f"(?<![-+•]\\s{t})(?<!^{t})" for t in ("Ông", "Bà"))
# The end of a sentence (match end = just after its punctuation, closers and citation markers).
SENTENCE_END = re.compile(
    _NUMBERING
    + _ABBREVIATION
    + _TITLE
    + r"(?:[.!?]+…?|…(?=\s+[-–+•]\s))"
    + f"[{re.escape(CLOSERS)}]*"
    + MARKERS
    + r"(?=\s|$)",
    re.M,
)
# Where a passage is cut into sentences (chunker) and further into clauses (quoting).
_SENTENCE_BREAK = re.compile(f"(?:{SENTENCE_END.pattern})|\\n", re.M)
_CLAUSE_BREAK = re.compile(f"(?:{SENTENCE_END.pattern})|\\n|;(?=\\s)|:(?=\\s+- )", re.M)
BULLET = re.compile(r"^\s*(?:[-*•+]|\d{1,2}[.)])\s+")
_ONLY_MARKERS = re.compile(r"^" + MARKERS + r"\s*$")
_TRIM_START = " \t-–•*+"
_LEADING_NUMBER = re.compile(r"((?:[IVXLC]{1,4}|\d{1,2}(?:\.\d{1,2})*)\.)\s+")


def split_spans(text: str, start: int, end: int, pattern: re.Pattern[str], trim: str = "") -> list[tuple[int, int]]:
    """Pieces of text[start:end] cut after each match of `pattern`, stripped of edge whitespace (and of `trim`
    characters at their start)."""
    out: list[tuple[int, int]] = []
    prev = start
    for cut in [m.end() for m in pattern.finditer(text, start, end)] + [end]:
        a, b = prev, cut
        while a < b and (text[a].isspace() or text[a] in trim):
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
        prev = cut
    return out


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of the sentences of text[start:end], whitespace trimmed, in order."""
    return split_spans(text, start, len(text) if end is None else end, _SENTENCE_BREAK, "")


def clause_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences and clauses of a passage, whitespace and leading bullets trimmed;
    a leading heading or item number ("4.", "II.", "1.2.") is a span of its own."""
    out: list[tuple[int, int]] = []
    for a, b in split_spans(text, 0, len(text), _CLAUSE_BREAK, _TRIM_START):
        m = _LEADING_NUMBER.match(text, a, b)
        if m and m.end() < b:
            out.append((a, m.end(1)))
            a = m.end()
        out.append((a, b))
    return out


class AnswerSentence(NamedTuple):
    """One sentence of an answer, the line it sits on and that line's bullet ("- ", "1. " or "")."""

    line: int
    prefix: str
    text: str


def answer_sentences(text: str) -> list[AnswerSentence]:
    """Sentences of an answer in order; a line's bullet is set aside and lone "[n]" join the sentence before."""
    out: list[AnswerSentence] = []
    for no, raw in enumerate(text.splitlines()):
        m = BULLET.match(raw)
        prefix = m.group(0).strip() + " " if m else ""
        line = raw[m.end() :] if m else raw
        for a, b in sentence_spans(line):
            piece = line[a:b]
            if _ONLY_MARKERS.match(piece) and out:
                last = out[-1]
                out[-1] = AnswerSentence(last.line, last.prefix, f"{last.text} {piece}")
            else:
                out.append(AnswerSentence(no, prefix, piece))
    return out
