"""Split a document into passages along its own structure, within a token budget.

Headings are the document's own: Roman-numeral parts ("I. MỤC ĐÍCH, YÊU CẦU", "III. Tổ chức thực
hiện:"), numbered items ("1. Phòng Nội vụ"), at line starts also "Chương I", "Mục 2", "Điều 3.", "1.1."
and "a)", and "Nơi nhận:", which opens the closing section (distribution list and signature). An appendix after
it ("Phụ lục" / "PHỤ LỤC I:" on a line of its own, its title on that line or the next) is a part of its own,
with its own numbered headings: plans put their key task tables there, and they are not the recipients' list.

PDF extraction often leaves a whole document on one line with stray page numbers
("… nhiệm vụ. 4 3. Phòng Nội vụ: - Phối hợp …"), so a heading is also found inline: after a sentence
end or colon (a page number may sit between), and only when its number continues the current sequence
(after "2." comes "3."), which keeps "phường 3." or "năm 2010." from being taken for headings.

Within a section, passages are whole sentences packed up to `max_tokens` with about `overlap_tokens`
of whole sentences repeated between neighbours; an over-long sentence is cut at "; " and then at
word boundaries, so no passage exceeds the budget. Every passage is an exact slice of `doc.text`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from index.sentences import sentence_spans, split_spans
from index.types import Chunk, Document

log = logging.getLogger(__name__)

# 2: sentences end where index.sentences says; 3: a one-sentence numbered item is no heading; 4: appendices;
# 5: "Nơi nhận:" as OCR misreads it closes the body
CHUNKER_VERSION = "5"
# A numbered line of at least this many words that ends with a stop is a sentence (a task), not a heading.
_SENTENCE_ITEM_WORDS = 8
_SENTENCE_ITEM_LABEL_WORDS = 6
SECTION_SEPARATOR = " › "

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_CANDIDATE = re.compile(r"(?<![\w./-])(?:(?P<roman>[IVX]{1,4})|(?P<num>\d{1,2}))\.[ \t\u00a0]+(?=\S)")
# Headings recognised only at a line start: legal parts and articles, "1.1." and "a)" sub-items.
_LINE_HEADING = re.compile(
    r"^[ \t]*(?:(?P<part>(?:Phần|PHẦN|Chương|CHƯƠNG)[ \t]+(?:[IVXLC]+|\d+)\b)"
    r"|(?P<section>(?:Mục|MỤC)[ \t]+\d+\b)"
    r"|(?P<article>(?:Điều|ĐIỀU)[ \t]+\d+[a-z]?[ \t]*[.:])"
    r"|(?P<dec>\d{1,2}\.\d{1,2})\.?|(?P<letter>[a-zđ])\))[ \t]*",
    re.M,
)
_LINE_LEVELS = {"part": 0, "section": 1, "article": 2, "dec": 4, "letter": 5}
# "Nơi nhận:" as printed, without its marks, or as OCR misreads them ("Nưi nhận:", "Nơi nhân:").
_RECIPIENTS = re.compile(r"(?:N[ơoưu]i[ \t]*nh[ậaâ]n|N[ƠOƯU]I[ \t]*NH[ẬAÂ]N)[ \t]*:")
# An appendix's own line after the signature: "Phụ lục", "PHỤ LỤC I", "Phụ lục số 02:", "PHỤ LỤC 01: DANH MỤC …"
# (a mark OCR read from a stamp may come first: "= Phụ lục"); "(Chi tiết tại Phụ lục kèm theo)" is a mention.
_APPENDIX = re.compile(
    r"^[ \t]*(?:[^\w\s]{1,3}[ \t]*)?"
    r"(?P<head>(?:Phụ lục|PHỤ LỤC|Phụ Lục)(?:[ \t]+(?:số[ \t]*)?(?:[IVXLC]{1,5}|\d{1,2}))?)"
    r"[ \t]*(?:$|[:.][ \t]*(?P<title>[^\n]{0,200})$)",
    re.M,
)
_OPENERS = "\"“‘'(«"
_CLOSERS = "\"”’')»]"
_SENTENCE_END = ".:;!?…"
_LONE_NUMERAL = re.compile(r"(?:[IVX]{1,4}|\d{1,3}|[a-zđ])[.)]|(?:Điều|ĐIỀU)\s+\d+[a-z]?\.")
_CLAUSE = re.compile(r";(?=\s)")
_WORD = re.compile(r"\S+")
_TRAILING_PAGE_NUMBER = re.compile(r"\s\d{1,3}\s*$")


@dataclass(frozen=True)
class _Heading:
    start: int
    label_end: int
    level: int
    label: str


def _before_is_boundary(text: str, pos: int, extra: str = "") -> tuple[bool, bool]:
    """(is a heading boundary, is a line start) for a heading candidate at `pos`."""
    i = pos
    while i > 0 and text[i - 1] in " \t\u00a0":
        i -= 1
    if i == 0 or text[i - 1] == "\n":
        return True, True
    j = i
    while j > 0 and text[j - 1].isdigit() and i - j < 3:
        j -= 1  # a stray page number between the sentence end and the heading: "nhiệm vụ. 4 3. Phòng"
    if j < i and (j == 0 or text[j - 1] in " \t\u00a0\n"):
        while j > 0 and text[j - 1] in " \t\u00a0":
            j -= 1
        if j == 0 or text[j - 1] == "\n":
            return True, True
        i = j
    while i > 0 and text[i - 1] in _CLOSERS:
        i -= 1
    return (i > 0 and text[i - 1] in _SENTENCE_END + extra), False


def _starts_capitalised(text: str, pos: int) -> bool:
    while pos < len(text) and text[pos] in _OPENERS:
        pos += 1
    return pos < len(text) and text[pos].isupper()


def _label(text: str, start: int, body: int) -> tuple[str, int]:
    """Short heading text from `start` (numeral included) and where it ends; `body` follows the numeral."""
    end = text.find("\n", start)
    end = len(text) if end == -1 else end
    line = text[start:end]
    if len(line) <= 160 and not re.search(r"[.!?;:](?=\s)", text[body:end]):
        # A line that is only a heading; not a numbered task or clause written as one sentence ("1. Ban Quản lý
        # chợ lắp đặt camera trước ngày 30/11/2026."): that one is named by its first words and stays quotable.
        item = text[body:end]
        if line.rstrip().endswith((".", "!", "?")) and len(item.split()) >= _SENTENCE_ITEM_WORDS:
            first = re.match(rf"\s*(?:\S+\s+){{{_SENTENCE_ITEM_LABEL_WORDS}}}", item)
            if first is not None:
                return " ".join(text[start : body + first.end()].split()) + "…", body + first.end()
        return " ".join(line.split()).rstrip(" :.;"), end
    rest = text[body:end]
    colon = rest.find(":")
    if 0 <= colon <= 120:
        cut = colon
    else:
        m = re.search(r"[.;,](?=\s)", rest[20:80])
        cut = 20 + m.start() if m else -1
    if cut >= 0:
        return " ".join(text[start : body + cut].split()), body + cut
    cut = len(rest) if len(rest) <= 80 else max(rest.rfind(" ", 0, 80), 1)
    return " ".join(text[start : body + cut].split()) + "…", body + cut


def _headings(text: str) -> list[_Heading]:
    recipients = None
    for m in _RECIPIENTS.finditer(text):
        if _before_is_boundary(text, m.start(), "/")[0]:
            recipients = m
    limit = recipients.start() if recipients else len(text)
    found = _scan(text, 0, limit)
    if recipients:
        label = "NƠI NHẬN" if recipients.group(0).isupper() else "Nơi nhận"  # as printed, not as misread
        found.append(_Heading(recipients.start(), recipients.end(), 0, label))
        # Appendices after the signature are parts of their own, with their own numbered items.
        appendices = list(_APPENDIX.finditer(text, recipients.end()))
        for n, m in enumerate(appendices):
            end = appendices[n + 1].start() if n + 1 < len(appendices) else len(text)
            found.append(_Heading(m.start("head"), m.end(), 0, _appendix_label(text, m)))
            found.extend(_scan(text, m.end(), end))
    return found


def _appendix_label(text: str, m: re.Match[str]) -> str:
    """The label of an appendix, "Phụ lục I: <title>": the title written after it on its line, else the line
    below when it is a title (short, not a numbered item nor a table row)."""
    head = " ".join(m.group("head").split())
    title = (m.group("title") or "").strip()
    if not title:
        below = re.match(r"\s*([^\n|]{3,200})(?=\n|$)", text[m.end() :])
        title = below.group(1).strip() if below and not _CANDIDATE.match(below.group(1)) else ""
    if len(title) > 100:
        title = title[: max(title.rfind(" ", 0, 100), 1)] + "…"
    return f"{head}: {title.rstrip(' :.;')}" if title else head


def _scan(text: str, lo: int, hi: int) -> list[_Heading]:
    """The headings of text[lo:hi], their numbering counted from its start."""
    found: list[_Heading] = []
    roman_last = number_last = 0
    candidates = sorted(
        [*_CANDIDATE.finditer(text, lo, hi), *_LINE_HEADING.finditer(text, lo, hi)],
        key=lambda m: m.start(),
    )
    for m in candidates:
        if m.re is _LINE_HEADING:
            kind = next(k for k in _LINE_LEVELS if m.group(k))
            start, body, level = m.start(kind), m.end(), _LINE_LEVELS[kind]
            if kind in ("dec", "letter") and (body >= len(text) or text[body] == "\n" or body == m.end(kind)):
                continue  # "a)" alone on a line, or "1.5triệu", is not an item
            if kind == "dec" and not _starts_capitalised(text, body):
                continue  # "1.5 triệu đồng" is an amount
            number_last = 0 if level <= 2 else number_last  # a new part or article restarts the items
            roman_last = 0 if level == 0 else roman_last
        else:
            start, body = m.start(), m.end()
            boundary, line_start = _before_is_boundary(text, start)
            if not boundary or not _starts_capitalised(text, body):
                continue
            if m.group("roman"):
                value = _ROMAN.get(m.group("roman"), 0)
                if not value or not (value == roman_last + 1 or (line_start and value > roman_last)):
                    continue
                roman_last, number_last, level = value, 0, 1
            else:
                value = int(m.group("num"))
                if not (value == number_last + 1 or (line_start and (value == 1 or value > number_last))):
                    continue
                number_last, level = value, 3
        label, label_end = _label(text, start, body)
        found.append(_Heading(start, label_end, level, label))
    return found


def _sections(text: str) -> list[tuple[int, int, str]]:
    """(start, end, heading path) of each section; a heading with no text of its own joins its first child."""
    heads = _headings(text)
    out: list[tuple[int, int, str]] = []
    if not heads or text[: heads[0].start].strip():
        out.append((0, heads[0].start if heads else len(text), ""))
    stack: list[_Heading] = []
    carry: int | None = None
    for n, h in enumerate(heads):
        while stack and stack[-1].level >= h.level:
            stack.pop()
        stack.append(h)
        end = heads[n + 1].start if n + 1 < len(heads) else len(text)
        start = h.start if carry is None else carry
        nxt = heads[n + 1] if n + 1 < len(heads) else None
        if nxt and nxt.level > h.level and not re.sub(r"[\W_]", "", text[h.label_end : end]):
            carry = start  # heading only: its text opens the child's first passage
            continue
        carry = None
        tail = _TRAILING_PAGE_NUMBER.search(text, start, end)
        if tail and tail.start() > h.label_end:
            before = text[start : tail.start()].rstrip()
            signature = end == len(text) and h.level == 0  # "… (đã ký) Nguyễn Hồng 5" closing the text
            if signature or before[-1] in _SENTENCE_END + _CLOSERS:
                end = tail.start()  # a page number left between pages ("nhiệm vụ. 4 3. Phòng")
        out.append((start, end, SECTION_SEPARATOR.join(s.label for s in stack)))
    return out


def _fit_words(text: str, a: int, b: int, count: Callable[[str], int], limit: int) -> list[tuple[int, int]]:
    """Cut text[a:b] at word boundaries (characters, for a single huge word) into pieces within `limit`."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, a, b)]
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and count(text[words[i][0] : words[j][1]]) <= limit:
            j += 1
        s, e = words[i][0], words[j - 1][1]
        if j == i + 1 and count(text[s:e]) > limit:  # one word over budget: largest fitting prefixes
            while s < e:
                lo, hi = s + 1, e
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    lo, hi = (mid, hi) if count(text[s:mid]) <= limit else (lo, mid - 1)
                out.append((s, lo))
                s = lo
        else:
            out.append((s, e))
        i = j
    return out


def _units(text: str, start: int, end: int, count: Callable[[str], int], limit: int) -> list[tuple[int, int]]:
    """Sentences of a section, each within `limit` tokens."""
    sentences = sentence_spans(text, start, end)
    # "1." or "a)" cut off by the sentence pattern belongs to the sentence it numbers.
    for n in range(len(sentences) - 2, -1, -1):
        a, b = sentences[n]
        if _LONE_NUMERAL.fullmatch(text, a, b):
            sentences[n : n + 2] = [(a, sentences[n + 1][1])]
    units: list[tuple[int, int]] = []
    for a, b in sentences:
        if count(text[a:b]) <= limit:
            units.append((a, b))
            continue
        for c, d in split_spans(text, a, b, _CLAUSE):
            units.extend([(c, d)] if count(text[c:d]) <= limit else _fit_words(text, c, d, count, limit))
    return units


def _pack(
    text: str, units: list[tuple[int, int]], count: Callable[[str], int], limit: int, overlap: int
) -> list[tuple[int, int]]:
    """Group consecutive units into spans within `limit`, neighbours sharing about `overlap` tokens."""
    sizes = [count(text[a:b]) for a, b in units]
    spans: list[tuple[int, int]] = []
    i = need = 0  # `need`: first unit not yet in any span; every span must include it
    while need < len(units):
        j, total = i, 0
        while j < len(units) and (j <= need or total + sizes[j] <= limit):
            total += sizes[j]
            j += 1
        # Token counts are not always additive (subword tokenizers): check the real span.
        while count(text[units[i][0] : units[j - 1][1]]) > limit:
            if j - 1 > need:
                j -= 1
            elif i < need:
                i += 1
            else:
                break
        spans.append((units[i][0], units[j - 1][1]))
        need = j
        if need >= len(units):
            break
        k, shared = j, 0
        while k - 1 > i and shared + sizes[k - 1] <= overlap:
            k -= 1
            shared += sizes[k]
        while k < j and shared + sizes[j] > limit:
            shared -= sizes[k]
            k += 1
        i = k
    return spans


def chunk_document(
    doc: Document, count_tokens: Callable[[str], int], max_tokens: int = 220, overlap_tokens: int = 30
) -> list[Chunk]:
    """Passages of `doc` along its headings, each at most `max_tokens`, sliced exactly from `doc.text`."""
    if max_tokens < 1 or overlap_tokens < 0:
        raise ValueError("max_tokens must be >= 1 and overlap_tokens >= 0")
    text = doc.text
    chunks: list[Chunk] = []
    for start, end, path in _sections(text):
        units = _units(text, start, end, count_tokens, max_tokens)
        for a, b in _pack(text, units, count_tokens, max_tokens, overlap_tokens):
            n = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{n}",
                    doc_id=doc.doc_id,
                    source=doc.source,
                    ordinal=n,
                    text=text[a:b],
                    start=a,
                    end=b,
                    section=path,
                    meta=doc.meta,
                )
            )
    log.debug("%s: %d chunks", doc.doc_id, len(chunks))
    return chunks


def heading_spans(text: str) -> list[tuple[int, int, int, str]]:
    """(start, label end, level, label) of each heading the chunker finds in `text`, in order (levels: 0 part or
    "Nơi nhận", 1 Roman numeral, 2 article, 3 numbered item, 4 "1.1.", 5 "a)")."""
    return [(h.start, h.label_end, h.level, h.label) for h in _headings(text)]


def section_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, heading path) of each section the chunker cuts `text` into, in order."""
    return _sections(text)
