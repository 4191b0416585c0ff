"""Rebuild a document's paragraphs from hard-wrapped text (PDF extraction, pages copied from portals).

`reflow` works on lines and keeps every line that the document's structure puts on its own: headings
("I. MỤC ĐÍCH", "1. Phòng Nội vụ", "a)", "Điều 3.", "Chương II"), "- " and "+ " list items, labels
("Kính gửi:", "Nơi nhận:", "V/v …"), letterhead and signature lines (short, or all in capitals), table
rows ("|", tabs, wide column gaps). A line is joined to the one before when it continues that line's
sentence:
- the previous line has no sentence end and the line starts in lower case ("… Chủ" + "tịch Uỷ ban …"),
  or the previous line ends with a comma;
- or the text is hard-wrapped (many lines that fill the width end without punctuation) and the line's
  first word would not have fitted at the end of the previous one: the break was the wrap's. The previous
  line is the physical one: a short last line of a title ends it even when the title's first line was full,
  and a numbered heading ("3. Các phòng …") goes on with a capitalised line only when its own line is about
  as long as the longest lines (visibly wrapped).
A word hyphenated at a line end is joined without the hyphen when the result is a syllable or a word
the document uses elsewhere, else with it ("COVID-" + "19"). Page furniture is dropped before joining:
lone page numbers ("2", "- 2 -", "Trang 2/5") that go up through the document far apart, and lines
(digits aside) repeated at least three times far apart (running headers and footers); pages split by
form feeds are used when the extractor marks them, and then the first lines of a page that repeat the start of
the document (a running header repeating the title) go too, even on one page. Finally two or three spaces between words
(justification) become one, while wider gaps, which separate the columns of a letterhead or a table
row, stay; syllables split by justified spacing are joined again (`index.syllables`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from index.syllables import is_syllable, repair_split_syllables, syllable_counts

REFLOW_VERSION = "2"

_ENDS = ".!?…"
_CLOSERS = "\"”’')»]"
_OPENERS = "\"“‘'(«["
# A line the document's structure starts: numbered headings, list items, legal parts, labels, signatures.
_STRUCTURAL = re.compile(
    r"(?:[IVXLC]{1,5}[.)]\s|\d{1,2}(?:\.\d{1,2})*[.)]\s|[a-zđ][.)]\s"
    r"|[-–—+•*·▪●○■□►✓]\s*[^\W\d_a-zđ]"  # a bullet, unless "- xã hội" continues "kinh tế -"
    r"|[•·▪●○■□►✓]|\((?:[ivx]{1,4}|\d{1,2}|[a-zđ])\)\s"
    r"|(?:Điều|ĐIỀU)\s+\d+[a-z]?\s*[.:]"  # "Điều 3." heads an article; "Điều 17 Thông tư …" cites one
    r"|(?:Chương|CHƯƠNG|Mục|MỤC|Phần|PHẦN)\s+(?:\d+|[IVXLC]+)\s*(?:[.:–-]|$)"
    r"|(?:Kính gửi|KÍNH GỬI|Nơi nhận|NƠI NHẬN|Số|SỐ)\s*:"
    r"|V/v\b|(?:TM|KT|TL|TUQ|Q|PT)\.\s"
    r"|\((?:đã ký|Đã ký|ký|Ký)"
    r")"
)
# A numbered heading or item: "II. ", "3. ", "1.2. ", "a) ".
_NUMBERED = re.compile(r"(?:[IVXLC]{1,5}|\d{1,2}(?:\.\d{1,2})*|[a-zđ])[.)]\s")
_TOKEN = re.compile(r"\w{1,3}")
_PAGE_NUMBER = re.compile(r"(?:[-–—]\s*)?(?:(?:trang|page)\s*)?(\d{1,3})(?:\s*/\s*\d{1,3})?(?:\s*[-–—])?", re.I)
_TABLE = re.compile(r"\s\|\s|\||\t|\S {4,}\S")
# Two or three spaces between words are justification; four or more separate columns and stay.
_SPACES = re.compile(r"(?<=\S)[ \u00a0]{2,3}(?=\S)")
_HYPHENATED = re.compile(r"([^\W\d_]+)-$")
_LEADING_WORD = re.compile(r"^([^\W\d_]+)")

_TITLE_LINES = 6  # lines at the start of a document a running header may repeat
_MIN_TITLE = 20  # characters (spaces aside) a page's first lines must repeat of them to be its running header
_MIN_FURNITURE_GAP = 8  # lines between two copies of a page header, or two page numbers
_NEAR_BREAK = 3  # lines from a page break within which a running header or footer sits
_FULL = 0.9  # share of the text width a line plus the next word must reach to count as wrapped
_SHORT = 0.7  # share of the text width under which the last line of a wrapped paragraph ends it
_HEADING_FULL = 0.95  # share of the longest lines' length a numbered heading's line must reach to be wrapped


def _is_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and not any(c.islower() for c in letters)


def _ends_sentence(line: str) -> bool:
    return line.rstrip(_CLOSERS)[-1:] in _ENDS


def _starts_lower(line: str) -> bool:
    s = line.lstrip(_OPENERS)
    return bool(s) and s[0].islower()


def _title_headers(lines: list[str], page_starts: set[int], drop: set[int]) -> set[int]:
    """Lines at the top of a page that repeat the start of the document's first lines (a running header that
    repeats the title, wrapped or cut anywhere): told on one page, where the repeat rule needs three."""
    opening = "".join("".join(line.split()).casefold() for line in lines[:_TITLE_LINES])
    found: set[int] = set()
    for start in sorted(page_starts - {0}):
        at = start
        while at in drop:
            at += 1
        seen, end = "", None
        for j in range(at, min(at + _NEAR_BREAK, len(lines))):
            seen += "".join(lines[j].split()).casefold()
            if not lines[j] or not opening.startswith(seen):
                break
            end = j
        if end is not None and len("".join("".join(lines[j].split()) for j in range(at, end + 1))) >= _MIN_TITLE:
            found.update(range(at, end + 1))
    return found


def _furniture(lines: list[str], page_starts: set[int]) -> set[int]:
    """Indexes of running headers/footers and page numbers (`page_starts`: first lines of pages, if known).

    With pages marked (form feeds), furniture is what sits next to a page break: page numbers, and a
    line repeated on at least three pages (two of two). Without, page numbers are lone numbers going up
    at least a few lines apart, and a header is a line repeated at least three times as far apart, next
    to a page number or an end of the text.
    """
    drop: set[int] = set()
    page_of = [0] * len(lines)
    for i in range(1, len(lines)):
        page_of[i] = page_of[i - 1] + (i in page_starts)
    pages = page_of[-1] + 1 if lines else 0
    edges = page_starts | {s - 1 for s in page_starts} | {0, len(lines) - 1}
    at_edge = {j for b in edges for j in range(b - _NEAR_BREAK, b + _NEAR_BREAK + 1)}
    last_no, last_at = 0, 0
    for i, line in enumerate(lines):
        m = _PAGE_NUMBER.fullmatch(line)
        if not m:
            continue
        if pages > 1 and i in at_edge:
            drop.add(i)
        elif pages == 1 and int(m.group(1)) > last_no and i - last_at >= _MIN_FURNITURE_GAP:
            drop.add(i)
            last_no, last_at = int(m.group(1)), i
    # Headers and footers sit next to a page break: a page number, a form feed, the start or the end.
    breaks = drop | edges
    near = {j for b in breaks for j in range(b - _NEAR_BREAK, b + _NEAR_BREAK + 1)}
    where: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if line and i not in drop and not _STRUCTURAL.match(line):
            where.setdefault(re.sub(r"\d+", "#", line), []).append(i)
    for at in where.values():
        if len(at) < 2 or 3 * sum(i in near for i in at) < 2 * len(at):
            continue
        if pages > 1:
            on = len({page_of[i] for i in at})
            if on >= min(3, pages) and on == len(at):
                drop.update(at)
        elif len(at) >= 3 and min(b - a for a, b in zip(at, at[1:], strict=False)) >= _MIN_FURNITURE_GAP:
            drop.update(at)
    drop |= _title_headers(lines, page_starts, drop)
    return drop | _break_gaps(lines, page_starts, drop)


def _break_gaps(lines: list[str], page_starts: set[int], drop: set[int]) -> set[int]:
    """Blank lines around a page break (OCR puts furniture in blocks of its own), and a lone token of at most
    three characters set apart by a blank line as a page's last or first line (a page number OCR misread):
    a sentence going on over the page break is then joined again."""
    found: set[int] = set()
    for start in sorted(page_starts - {0}):
        for side in (range(start - 1, -1, -1), range(start, len(lines))):
            seen = [j for j in side if j < len(lines)][: 2 * _NEAR_BREAK]
            for k, j in enumerate(seen):
                if j in drop or not lines[j]:
                    found.add(j)
                    continue
                nxt = seen[k + 1] if k + 1 < len(seen) else None
                if _TOKEN.fullmatch(lines[j]) and nxt is not None and not lines[nxt]:
                    found.add(j)
                    continue
                break
    return found - drop


@dataclass(frozen=True)
class _Shape:
    width: float  # the text width: a high percentile of line lengths
    longest: float  # the longest lines (a higher percentile: one stray long line does not count)
    wrapped: bool  # whether the text is hard-wrapped


def _shape(lines: list[str]) -> _Shape:
    """The text width, its longest lines and whether the text is hard-wrapped."""
    lengths = sorted(len(line) for line in lines if line)
    if len(lengths) < 6:
        return _Shape(0.0, 0.0, False)
    width = lengths[int(0.9 * (len(lengths) - 1))]
    longest = lengths[int(0.98 * (len(lengths) - 1))]
    if width > 200:
        return _Shape(width, longest, False)  # a paragraph per line
    full = [
        a
        for a, b in zip(lines, lines[1:], strict=False)
        if a and b and len(a) + 1 + len(b.split()[0]) >= _FULL * width and not _TABLE.search(a)
    ]
    open_ends = sum(not _ends_sentence(a) for a in full)
    return _Shape(width, longest, len(full) >= 4 and open_ends >= 0.4 * len(full))


def _continues(prev: str, line: str, tail: int, shape: _Shape, after_caps: bool) -> bool:
    """Whether `line` continues the sentence of `prev` (both stripped, non-empty); `tail`: the length of the
    last line joined into `prev` (the line just above `line`, `prev` itself when nothing was joined yet);
    `after_caps`: `prev` follows a line in capitals that is not a numbered heading (the title under "KẾ HOẠCH")."""
    if _TABLE.search(prev) or _TABLE.search(line) or _STRUCTURAL.match(line.lstrip(_OPENERS)):
        return False  # also a quoted item: "“c) Khu vực …"
    if _ends_sentence(prev):
        return False
    if _HYPHENATED.search(prev) or re.search(r"\w[-/]$", prev):
        return True  # "th-" + "ực", "NĐ-" + "CP", "số 08/" + "KH-UBND"
    if _starts_lower(line):
        return not _is_caps(prev) or prev.endswith(",")
    if prev.endswith(","):
        return _is_caps(prev) == _is_caps(line)  # "I. MỤC ĐÍCH," + "YÊU CẦU"
    if prev.endswith((";", ":")) or _is_caps(prev) or _is_caps(line):
        return False
    # Wrapped by the layout when the next line's first word would not have fitted at the end of the line above.
    # A paragraph already wrapped goes on unless that line is well short of the width (a title's last line
    # above the lead): lines of capitals, which are wider, hold fewer characters.
    fits = tail + 1 + len(line.split()[0])
    full = _FULL if tail == len(prev) else _SHORT
    if not (shape.wrapped and not after_caps and fits >= full * shape.width):
        return False
    # A numbered heading goes on with a capitalised line only when it is visibly wrapped, as long as the longest.
    return not _NUMBERED.match(prev) or fits >= _HEADING_FULL * shape.longest


def _join(prev: str, line: str, vocabulary: Counter[str]) -> str:
    m, n = _HYPHENATED.search(prev), _LEADING_WORD.match(line)
    if m and n:
        word = m.group(1) + n.group(1)
        if is_syllable(word) or vocabulary[word.lower()] > 0:
            return prev[:-1] + line  # "th-" + "ực hiện"
    if re.search(r"\w[-/]$", prev):
        return prev + line  # "COVID-" + "19", "NĐ-" + "CP": a hyphenated word or a document symbol
    return f"{prev} {line}"


def reflow(text: str) -> str:
    """`text` with wrapped lines joined into their paragraphs, page furniture dropped, spacing repaired."""
    lines: list[str] = []
    page_starts: set[int] = set()
    for n, page in enumerate(text.replace("\n\f", "\f").split("\f")):  # "\n\f" (pdftotext) is one page break
        if n:
            page_starts.add(len(lines))
        lines.extend(line.strip() for line in page.split("\n"))
    drop = _furniture(lines, page_starts)
    kept = [line for i, line in enumerate(lines) if i not in drop]
    shape = _shape(kept)
    counts, pairs = syllable_counts("\n".join(kept))
    out: list[str] = []
    tail = 0  # length of the last line joined into out[-1]
    for line in kept:
        after_caps = len(out) >= 2 and _is_caps(out[-2]) and not _STRUCTURAL.match(out[-2])
        if line and out and out[-1] and _continues(out[-1], line, tail, shape, after_caps):
            out[-1] = _join(out[-1], line, counts)
        else:
            out.append(line)
        tail = len(line)
    out = [_SPACES.sub(" ", line) for line in out]
    counts, pairs = syllable_counts("\n".join(out))
    return "\n".join(repair_split_syllables(line, counts, pairs) for line in out)
