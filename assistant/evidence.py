"""The evidence the extractive answerer chooses from: every quotable span of the retrieved passages, scored by
how well it answers the question (its terms, the passage's heading and document, the places and years named,
what kind of answer is asked), and the sentences that may be quoted by meaning."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.quoting import HEADING_NUMBER, with_values
from assistant.textmatch import TermMatcher, cites_only, is_dateline, names_heading, reports_results
from index.normalize import fold
from index.text import clause_spans
from index.types import Chunk, Retrieved

MIN_QUOTE_WORDS = 4
# "Label: value" lines of forms and decisions ("Chủ đầu tư: …", "2. Thời gian kiểm tra: …", "a) Tổng vốn đầu tư:
# …"); the label is two to eight words after an optional bullet or item mark, no sentence of its own.
_FIELD_LINE = re.compile(r"^\s*(?:[-+•]\s*|\d{1,2}(?:\.\d{1,2})*[.)]\s*|[a-zđ]\)\s*)?((?:\w+\s+){1,7}\w+)\s*:\s+\S")
# A question asking when names the field that says it: "Thời gian kiểm tra: Ngày 29 …", "Thời hạn: …" (folded).
_WHEN_LABELS = frozenset({"thoi", "gian", "han", "ngay"})
_FIELD_MIN_SHARE = 0.6
_HEADING_WORDS = 8
# The fields of a legal portal's card above a document copied from it ("Số hiệu: 110/KH-UBND Loại văn bản: …",
# "Nơi ban hành: Tỉnh Phú Yên Người ký: Phạm Đình Cự"): what the citation shows, not what the document says.
_PORTAL_FIELD = re.compile(
    r"\b(?:Số hiệu|Loại văn bản|Nơi ban hành|Người ký|Ngày ban hành|Ngày hiệu lực|Ngày công báo|Số công báo|"
    r"Lĩnh vực|Tình trạng|Ngày hết hiệu lực)\s*:"
)
_FIELD_BONUS = 0.25
# A sentence that only cites another document weighs this much for a question asking what is done or how; one
# reporting results gains this much for a question asking for results.
_CITING_FACTOR = 0.6
_RESULTS_BONUS = 0.25
# A passage under a section the question names by its heading's every word.
_NAMED_HEADING_BONUS = 0.3


@dataclass
class Candidate:
    """A quotable span of a retrieved passage and how well it answers."""

    rank: int  # 0-based rank of its passage
    hit: Retrieved
    start: int
    end: int
    score: float
    coverage: float


def meaning_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of a passage that may be quoted by meaning (its first eight long enough to stand alone)."""
    return [(s, e) for s, e in clause_spans(text)[:8] if len(text[s:e].split()) >= MIN_QUOTE_WORDS]


def meaning_texts(chunk: Chunk) -> list[str]:
    """Texts of `meaning_spans`: embedded at index time so that answers need not wait for the model."""
    return [chunk.text[s:e] for s, e in meaning_spans(chunk.text)]


def _affinity(named: Sequence[str], meta_text: str) -> float:
    """Share of the named places/years/bodies that a document's metadata mentions (1.0 if none named)."""
    if not named:
        return 1.0
    hay = f" {fold(meta_text)} "
    return sum(1 for n in named if f" {fold(n)} " in hay or fold(n) in hay) / len(named)


def field_label_share(span: str, asked: set[str]) -> float:
    """For a "label: value" line ("Chủ đầu tư: Ban Quản lý dự án …", "Quy mô thực hiện: 60,0 ha"), the share of
    the label's words that the question asks about (0 when under `_FIELD_MIN_SHARE`, or not such a line): a
    form's field named by the question is its answer, though the value shares no word with it."""
    m = _FIELD_LINE.match(span)
    if m is None:
        return 0.0
    words = re.findall(r"\w+", m.group(1))
    if all(w[0].isupper() for w in words):  # a name ("Ba Đình: Thực hiện …", a headline), not a field
        return 0.0
    label = [fold(w) for w in words]
    share = sum(1 for w in label if w in asked) / len(label) if label else 0.0
    return share if share >= _FIELD_MIN_SHARE else 0.0


def names_said(hits: Sequence[Retrieved], names: Sequence[str]) -> dict[str, str]:
    """Per document, the `names` of the question (a project, a site: "Khu công nghiệp Phú Xuân") that its passages
    found say and no other document's do: the document is about them, so its other sentences are too ("6. Thời hạn
    hoạt động của dự án: 70 năm"). A name several documents say ("Bộ Chính trị") tells none apart."""
    if not names:
        return {}
    texts: dict[str, list[str]] = {}
    for h in hits:
        m = h.chunk.meta
        texts.setdefault(h.chunk.doc_id, [f"{m.title} {m.issuer} {m.place}"]).append(h.chunk.text)
    hays = {doc: f" {' '.join(fold(' '.join(parts)).split())} " for doc, parts in texts.items()}
    out: dict[str, list[str]] = {}
    for name in names:
        saying = [doc for doc, hay in hays.items() if f" {fold(name)} " in hay]
        if len(saying) == 1:
            out.setdefault(saying[0], []).append(name)
    return {doc: " ".join(ns) for doc, ns in out.items()}


def _heading_only(span: str) -> bool:
    """A few words in capitals and numbers, no word in lower case: a heading ("II. NỘI DUNG", "MỤC ĐÍCH, YÊU CẦU
    1."), not a statement."""
    words = re.findall(r"\w+", span)
    return len(words) <= _HEADING_WORDS and not any(w.islower() or w.istitle() and len(w) > 1 for w in words)


def _mostly_capitals(span: str) -> bool:
    letters = [ch for ch in span if ch.isalpha()]
    return len(letters) > 20 and sum(ch.isupper() for ch in letters) > 0.4 * len(letters)


def candidates(
    matcher: TermMatcher,
    hits: Sequence[Retrieved],
    named: Sequence[str] = (),
    asks: tuple[bool, bool] = (False, False),
    when: bool = False,
    names: Sequence[str] = (),
    who: bool = False,
) -> list[Candidate]:
    """Every quotable span of the passages, scored by term coverage, heading, document and rank.

    `named` are the places, years and bodies the question names: a document whose metadata
    matches them (issuer, place, title, year) is preferred over one that only shares words. `asks`
    (`textmatch.asks_content`): a question asking what is done or how prefers what a document says to do
    over the documents it cites ("Thực hiện Quyết định số …"); one asking for results, sentences that
    report them (figures, what was achieved); `when`: the question asks a date, which a "Thời gian …:" field gives;
    `who`: it asks who, and a section it names by its heading is no answer (a body it names is not who is asked for:
    "… phối hợp với Phòng Nội vụ …"), else that section's passages are preferred.
    A short line that ends without a stop, a form's label
    ("Người đại diện theo pháp luật của Công ty"), is also quoted with the line after it, which holds its
    value ("Bà: Lương Thị Lợi; …").
    """
    out = []
    asked_terms = {fold(t) for t in matcher.terms} | (_WHEN_LABELS if when else set())

    said = names_said(hits, names)
    for rank, hit in enumerate(hits):
        c = hit.chunk
        context = (
            f"{c.section} {c.meta.title} {c.meta.issuer} {c.meta.place} {c.meta.year or ''} {c.meta.kind} "
            f"{c.meta.number} {said.get(c.doc_id, '')}"
        )
        context_cov = matcher.coverage(context)
        heading_cov = matcher.coverage(c.section.split(" › ")[-1]) if c.section else 0.0
        named_heading = bool(c.section) and not who and names_heading(matcher.question, c.section.split(" › ")[-1])
        affinity = _affinity(named, f"{c.meta.issuer} {c.meta.place} {c.meta.title} {c.meta.date} {c.meta.number}")
        headings = {HEADING_NUMBER.sub("", h).strip(" .:").lower() for h in c.section.split(" › ")}
        for s, e in with_values(c.text, clause_spans(c.text)):
            span = c.text[s:e]
            bare = span.strip(" .:-").lower()
            if len(span.split()) < MIN_QUOTE_WORDS or any(h.startswith(bare) for h in headings):
                continue  # too short to stand alone, or the heading itself (shown in the label)
            if _heading_only(span):
                continue  # "MỤC ĐÍCH, YÊU CẦU 1.": a heading (the text may stop after it), not a statement
            if not when and is_dateline(span):
                continue  # "Phú Yên, ngày 14 tháng 11 năm 2013 KẾ HOẠCH": when it was issued, on its card
            cov = matcher.coverage(span)
            both = matcher.coverage(f"{span} {context}")
            score = 0.6 * cov + 0.25 * both + 0.1 * context_cov + 0.15 * matcher.bigram_bonus(span)
            score += 0.15 * heading_cov + 0.05 / (1 + rank) + (_NAMED_HEADING_BONUS if named_heading else 0.0)
            score *= 0.6 + 0.4 * affinity
            if _mostly_capitals(span):  # a letterhead ("ỦY BAN NHÂN DÂN … CỘNG HÒA …"): dates, not statements
                score *= 0.5
            if len(_PORTAL_FIELD.findall(span)) >= 2:  # a legal portal's card ("Nơi ban hành: … Người ký: …")
                score *= 0.5
            score += _FIELD_BONUS * field_label_share(span, asked_terms)
            if asks[0] and cites_only(span):
                score *= _CITING_FACTOR
            if asks[1] and reports_results(span):
                score += _RESULTS_BONUS
            out.append(Candidate(rank, hit, s, e, score, max(cov, both)))
    return out
