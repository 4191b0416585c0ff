"""Lists stated inside one sentence: "… trên 4 lĩnh vực: Kinh tế, văn hoá – xã hội, an ninh quốc phòng và xây
dựng hệ thống chính trị." A list question answered by such a sentence gets its items first ("Gồm: Kinh tế; văn
hoá – xã hội; …"), not the words that introduce them.

A sentence states a list of what is asked when the few words before an introducer (":", "đó là", "như", "gồm",
"bao gồm") name the kind of thing the question asks for ("những lĩnh vực nào" → "lĩnh vực"). The items are what
follows, up to the end of the sentence, separated by ";" (each split again at its commas when it is itself a list
of three or more short items), else by "," with a last "và". Separators inside brackets or quotation marks do not
count. Lists laid out as sections or bullets are `assistant.lists`'s.
"""

from __future__ import annotations

import re

from assistant.lists import Item
from index.normalize import fold, fold_chars
from index.types import Chunk

# The introducer, in folded text; the noun asked for must be among the words just before it.
_INTRO = re.compile(r":(?=[ \t])|\b(?:do la|bao gom|gom co|gom|nhu)\b(?=[ \t])")
_INTRO_WORDS = 12
# A colon after at most this many words of its sentence follows a label ("6. Phương pháp kiểm tra:").
_LABEL_WORDS = 6
_MARKS = re.compile(r"[^\w\s]")
# Where the sentence ends: a stop before a space or the end, or a new line (a bullet, a heading).
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")
# A piece between ";" longer than _SHORT words is split at its commas only when that gives at least
# _MIN_COMMA_ITEMS items of _MIN_ITEM_WORDS to _SHORT words each ("cán bộ, công chức, viên chức" is one item).
_MIN_COMMA_ITEMS = 3
_MIN_ITEM_WORDS = 3
_SHORT = 16
_OPEN, _CLOSE = "(“[", ")”]"
_AND = re.compile(r"\s(?:va|hoac)\s")
# "những ngày lễ lớn nào", "các phong trào, cuộc vận động nào" (folded): at most four words each, none a verb
# or modal ("các đơn vị phải làm gì" asks what to do, not which units).
_NOUN = r"[a-z]+(?:\s+[a-z]+){0,3}"
_NOT_NOUN = frozenset("phai lam duoc se da dang can co".split())
_ASKED = re.compile(rf"\b(?:nhung|cac)\s+({_NOUN}(?:\s*,\s*{_NOUN})*)\s+(?:nao|gi)\b")
_HEAD_WORDS = 2


def asked_nouns(question: str) -> tuple[str, ...]:
    """The kinds of thing a list question asks for, folded, each by its first two words (a sentence says "các
    ngày Lễ lớn của Thủ đô" for "những ngày lễ lớn nào"); empty when it names none.

    >>> asked_nouns("Ba Đình kỷ niệm những ngày lễ lớn nào?"), asked_nouns("Gồm những phong trào, cuộc vận động nào?")
    (('ngay le',), ('phong trao', 'cuoc van'))
    """
    m = _ASKED.search(fold(question))
    if not m or _NOT_NOUN & set(m.group(1).replace(",", " ").split()):
        return ()
    return tuple(" ".join(p.split()[:_HEAD_WORDS]) for p in m.group(1).split(",") if p.strip())


def names_any(text: str, nouns: tuple[str, ...]) -> bool:
    """Whether `text` names one of `nouns` (as `asked_nouns` gives them), as whole words."""
    words = f" {' '.join(_MARKS.sub(' ', fold(text)).split())} "
    return any(f" {noun} " in words for noun in nouns)


def _split(text: str, start: int, end: int, marks: str) -> list[tuple[int, int]]:
    """`text[start:end]` cut at any of `marks` outside brackets and quotation marks."""
    out, depth, begin, straight = [], 0, start, False
    for i in range(start, end):
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch == '"':
            straight = not straight
        elif ch in marks and depth == 0 and not straight:
            out.append((begin, i))
            begin = i + 1
    out.append((begin, end))
    return out


def _inside(text: str, start: int, at: int) -> bool:
    """Whether `at` is inside brackets or quotation marks opened after `start` ("(trong đó: 08 …")."""
    depth = sum(text.count(o, start, at) - text.count(c, start, at) for o, c in zip(_OPEN, _CLOSE, strict=True))
    return depth > 0 or text.count('"', start, at) % 2 == 1


def _trim(text: str, folded: str, start: int, end: int) -> tuple[int, int]:
    """A piece without its surrounding spaces and stops, nor a leading "và"."""
    while start < end and (text[start].isspace() or text[start] in ",;:-–"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:.-–"):
        end -= 1
    if m := re.match(r"(?:va|hoac)\s+", folded[start:end]):
        start += m.end()
    return start, end


def _words(text: str, span: tuple[int, int]) -> int:
    return len(text[span[0] : span[1]].split())


def _items(text: str, start: int, end: int, label: bool = False) -> list[tuple[int, int]]:
    """The items of `text[start:end]` (what follows an introducer), in order. After a `label` ("Nguyên nhân
    khách quan: hoạt động khai thác cát, sỏi …, phân bố không tập trung"), what commas alone separate is a
    sentence, unless each piece is a name ("Các Sở, ngành: Công Thương, Nội vụ, Công an tỉnh")."""
    folded = fold_chars(text)
    pieces = [_trim(text, folded, a, b) for a, b in _split(text, start, end, ";")]
    semicolons = len(pieces) > 1
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        commas = [_trim(text, folded, s, e) for s, e in _split(text, a, b, ",")]
        if semicolons:
            listed = len(commas) >= _MIN_COMMA_ITEMS and _words(text, (a, b)) > _SHORT
            least = _MIN_ITEM_WORDS
        else:
            listed, least = len(commas) >= 2, 1
            if label and not all(text[c[0] : c[0] + 1].isupper() for c in commas):
                listed = False
        if listed and all(least <= _words(text, c) <= _SHORT for c in commas[:-1]):
            last_a, last_b = commas[-1]
            joins = list(_AND.finditer(folded, last_a, last_b))
            if joins:  # "…, an ninh quốc phòng và xây dựng hệ thống chính trị": two items
                commas[-1:] = [
                    _trim(text, folded, last_a, joins[-1].start()),
                    _trim(text, folded, joins[-1].end(), last_b),
                ]
            out += commas
        else:
            out.append((a, b))
    return [(a, b) for a, b in out if b > a]


def inline_items(chunk: Chunk, start: int, end: int, nouns: tuple[str, ...]) -> tuple[Item, ...]:
    """The items that a sentence of `chunk.text[start:end]` states after naming one of `nouns` (as `asked_nouns`
    gives them); empty when there is no such list of two items or more.

    >>> text = "Năm 2019 có 230 mô hình trên 4 lĩnh vực: Kinh tế, văn hoá – xã hội, an ninh quốc phòng và xây dựng."
    >>> ch = Chunk("c", "d", "f.txt", 0, text, 0, len(text))
    >>> [text[i.start : i.end] for i in inline_items(ch, 0, len(text), ("linh vuc",))]
    ['Kinh tế', 'văn hoá – xã hội', 'an ninh quốc phòng', 'xây dựng']
    """
    if not nouns:
        return ()
    text = chunk.text
    folded = fold_chars(text)
    for m in _INTRO.finditer(folded, start, end):
        before = " ".join(folded[start : m.start()].split()[-_INTRO_WORDS:])
        if not names_any(before, nouns) or _inside(text, start, m.start()):
            continue
        stop = _SENTENCE_END.search(text, m.end())
        ends = [e.end() for e in _SENTENCE_END.finditer(text, start, m.start())]
        opened = max([start, text.rfind("\n", 0, m.start()) + 1, *ends])  # where its sentence starts
        label = folded[m.start()] == ":" and len(text[opened : m.start()].split()) <= _LABEL_WORDS
        spans = _items(text, m.end(), stop.start() if stop else len(text), label)
        if len(spans) >= 2:
            return tuple(Item(chunk, a, b) for a, b in spans)
    return ()
