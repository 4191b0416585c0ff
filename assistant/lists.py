"""Answers to list questions from a document's outline: "những lĩnh vực nào?" is answered by the headings under
the section that matches, "những mục đích gì?" by the items of that section, each item a quote with its [n].

Administrative documents state their lists as structure, not as one sentence: a letter's opinions by field
("2.1. Về lĩnh vực đất đai", "2.2. Lĩnh vực môi trường", …), a plan's purposes as bullets under "1. Mục đích",
the tasks of a letter as numbered sections after "… như sau:". Quoting the best sentence gave one item of such a
list; this module finds the list in the chunks of the document (in order) and quotes each item:

- a section whose heading covers the question has sub-sections: their headings are the items;
- it has none: the bullets (or lines) of its body are, first sentence of each;
- a sentence that introduces a list ("… như sau:") is followed by sections: their headings are.

A list needs at least two items; otherwise the caller answers as usual.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.headline import names_body
from assistant.textmatch import TermMatcher, content_terms
from index.normalize import fold, fold_chars, normalize
from index.text import clause_spans
from index.types import Chunk

MAX_ITEMS = 8
_MAX_ITEM_CHARS = 200
_MIN_ITEM_WORDS = 2
# Bullets and item marks that start a line of a list: "- ", "+ ", "•", "a)", "(i)", "1." (folded).
_CLOSING = re.compile(r"^\W*(?:noi nhan|tm\.|kt\.|q\.|tl\.|tuq\.)")
_ITEM_MARK = re.compile(r"^\s*(?:[-+•*–]\s+|\(?[a-zđ]\)\s*|\(?[ivx]+\)\s*|\d+(?:\.\d+)*[.)]\s+)", re.IGNORECASE)
# "những …", "các … nào/gì", "gồm", "what are", "list": questions asking for several things (folded).
_LIST_NOUN = re.compile(r"\b(?:nhung|cac)\s+([a-z]+(?:\s+[a-z]+)?)\s+(?:nao|gi)\b")
# A heading's article or number: "Điều 2.", "Chương II", "8.", "2.1.", "II.", "a)".
_HEADING_LEAD = re.compile(
    r"^\W*(?:(?:Điều|Chương|Mục|Phần|ĐIỀU|CHƯƠNG|MỤC|PHẦN)\s+[0-9IVXLC]+\b\W*)?"
    r"(?:(?:\d+(?:\.\d+)*\.?|[IVXLC]+\.|[a-zđ]\))\s*)?"
)
_MIN_NAMED_WORDS = 3
# ... by the names of parts, or for a summary (folded).
_ASKS_STRUCTURE = re.compile(
    r"\b(?:tom tat|tom luoc|bo cuc|summari[sz]e|summary of|outline of|main parts"
    r"|(?:gom|co) (?:nhung |cac |may |bao nhieu )?(?:phan|muc|dieu|chuong)\b)"
)
# What asks for a whole document's outline (folded).
_ASKS_OVERVIEW = re.compile(
    r"\b(?:tom tat|tom luoc|noi dung chinh|(?:nhung|cac) noi dung (?:gi|nao|chinh)|bo cuc"
    r"|gom (?:nhung |cac |may )?(?:noi dung|phan|muc|dieu|chuong)(?: (?:gi|nao))?"
    r"|co (?:nhung|may|bao nhieu) (?:noi dung|phan|muc|dieu|chuong)(?: (?:gi|nao|chinh))?"
    r"|summari[sz]e|summary of|main (?:points|contents?|parts)|outline of)\b"
)
_ASKS_LIST = re.compile(r"\bnhung\b|\bcac\b.*\b(?:nao|gi)\b|\bgom\b|\bwhat are\b|\blist\b|\bwhich\b.*\bare\b")


def list_noun(question: str) -> str:
    """What a list question asks for: the words after "những"/"các" up to "nào"/"gì" (at most two), lower case, with
    their marks if typed with them ("phần" is not "phân"), else folded; "" when there are none ("những ai").

    >>> list_noun("Sở góp ý theo những lĩnh vực nào?"), list_noun("So gop y theo nhung linh vuc nao?")
    ('lĩnh vực', 'linh vuc')
    >>> list_noun("Những ai tham gia?")
    ''
    """
    m = _LIST_NOUN.search(fold_chars(question))  # one character per character: the noun as typed is sliced out
    if not m:
        return ""
    typed = " ".join(question[m.start(1) : m.end(1)].lower().split())
    return typed if typed != fold(typed) else m.group(1)  # with its marks when typed with them


def asks_overview(question: str) -> bool:
    """Whether a question asks what a whole document holds ("Tóm tắt kế hoạch …", "Kế hoạch … gồm những nội dung
    gì?", "Quyết định … có mấy điều?", "Summarise decision 1696").

    >>> asks_overview("Tóm tắt kế hoạch triển khai Chỉ thị 11"), asks_overview("Kế hoạch nêu những mục đích gì?")
    (True, False)
    """
    return bool(_ASKS_OVERVIEW.search(fold(question)))


def asks_structure(question: str) -> bool:
    """Whether a question asks for a whole document's parts by name ("tóm tắt", "gồm những phần nào", "có mấy
    điều"), not for "nội dung", which a section may be called ("II. Nội dung thực hiện").

    >>> asks_structure("Báo cáo gồm những phần nào?"), asks_structure("Kế hoạch gồm những nội dung gì?")
    (True, False)
    """
    return bool(_ASKS_STRUCTURE.search(fold(question)))


def overview_words(question: str) -> set[str]:
    """The words (folded) by which a question asks for a document's outline ("tóm tắt", "nội dung chính")."""
    return {w for m in _ASKS_OVERVIEW.finditer(fold(question)) for w in re.findall(r"\w+", m.group(0))}


def asks_for_list(question: str) -> bool:
    """Whether a question asks for several things ("những mục đích gì?", "các cơ quan nào?").

    >>> asks_for_list("Kế hoạch nêu những mục đích gì?"), asks_for_list("Cơ quan nào chủ trì?")
    (True, False)
    """
    return bool(_ASKS_LIST.search(fold(question)))


@dataclass(frozen=True)
class Item:
    """One item of a list: a span of a chunk's text."""

    chunk: Chunk
    start: int
    end: int
    cut: bool = False  # the sentence goes on beyond `end` (too long to quote whole)


@dataclass(frozen=True)
class Found:
    """A list found in a document: the section path it belongs to and its items, in document order."""

    path: tuple[str, ...]
    items: tuple[Item, ...]
    coverage: float
    named: bool = False  # its heading, or most of its items', names the kind of thing asked for


def section_path(chunk: Chunk) -> tuple[str, ...]:
    """A chunk's headings, outermost first ("II. NỘI DUNG › 1. Mục đích" → two)."""
    return tuple(h for h in chunk.section.split(" › ") if h) if chunk.section else ()


def _heading_item(chunks: Sequence[Chunk], path: tuple[str, ...]) -> Item | None:
    """The heading of `path` where it is printed (in the first chunk of that section), without its number."""
    heading = path[-1]
    shortened = heading.endswith("…")  # a long heading is kept by its first words ("… đối với Dự án…")
    said = heading[:-1].rstrip() if shortened else heading
    for c in chunks:
        if section_path(c)[: len(path)] == path and (pos := c.text.find(said)) >= 0:
            mark = _ITEM_MARK.match(heading)
            end = pos + len(said)
            if shortened:  # the heading as printed, to the end of its line
                end = line_end if (line_end := c.text.find("\n", end)) >= 0 else len(c.text)
            return Item(c, pos + (mark.end() if mark else 0), end)
    return None


def _children(chunks: Sequence[Chunk], path: tuple[str, ...], after: int = -1) -> list[tuple[str, ...]]:
    """The sub-sections directly under `path`, in order (those starting after chunk number `after`); the
    closing blocks of a document (its recipients "Nơi nhận", the signature "TM. ỦY BAN NHÂN DÂN") are none."""
    out: list[tuple[str, ...]] = []
    for i, c in enumerate(chunks):
        p = section_path(c)
        if len(p) > len(path) and p[: len(path)] == path and i > after:
            child = p[: len(path) + 1]
            if _CLOSING.match(fold(child[-1])):
                continue
            if child not in out:
                out.append(child)
    return out


def _first_sentence(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """Where the first sentence of `text[start:end]` ends (cut at a word within `_MAX_ITEM_CHARS`)."""
    spans = [(start + s, start + e) for s, e in clause_spans(text[start:end])]
    s, e = spans[0] if spans else (start, end)
    if e - s <= _MAX_ITEM_CHARS:
        return s, e, False
    cut = text.rfind(" ", s, s + _MAX_ITEM_CHARS)
    return s, (cut if cut > s else s + _MAX_ITEM_CHARS), True


def _body_items(chunks: Sequence[Chunk], path: tuple[str, ...], bullets_only: bool = False) -> list[Item]:
    """The bullets of the body of `path` (its own text, not its sub-sections'), else its lines (unless
    `bullets_only`)."""
    lines: list[tuple[Chunk, int, int, bool]] = []
    headings = {fold(h).strip(" .:") for h in path}
    for c in chunks:
        if section_path(c) != path:
            continue
        pos = 0
        for line in c.text.split("\n"):
            start, pos = pos, pos + len(line) + 1
            bare = fold(line).strip(" .:")
            if len(line.split()) < _MIN_ITEM_WORDS or bare in headings:
                continue
            mark = _ITEM_MARK.match(line)
            lines.append((c, start + (mark.end() if mark else 0), start + len(line), mark is not None))
    marked = [x for x in lines if x[3]]
    chosen = marked if len(marked) >= 2 or bullets_only else lines
    kept: list[tuple[Chunk, int, int]] = []
    for c, s, e, _ in chosen:  # chunks overlap: a line cut at a chunk's end is also whole in the next one
        span = (c.start + s, c.start + e)
        same = [k for k in kept if k[0].start + k[1] < span[1] and span[0] < k[0].start + k[2]]
        if same:
            if e - s > same[0][2] - same[0][1]:
                kept[kept.index(same[0])] = (c, s, e)
            continue
        kept.append((c, s, e))
    return [Item(c, *_first_sentence(c.text, s, e)) for c, s, e in kept]


def _names_noun(heading: str, noun: str) -> bool:
    """Whether a heading says the noun a list question asks for (`list_noun`): with its marks when it has them."""
    if not noun:
        return False
    if noun == fold(noun):
        return noun in fold(heading)
    return noun in " ".join(normalize(heading).lower().split())


def find_list(matcher: TermMatcher, chunks: Sequence[Chunk], min_coverage: float, noun: str = "") -> Found | None:
    """The list of one document (its chunks, in order) under the heading that best answers the question
    (`matcher`), if any: its sub-sections' headings, else its bullets.

    A heading qualifies when the question's terms cover its path and the document's title and issuer. Preferred
    are headings whose sub-sections mostly name the `noun` asked for ("lĩnh vực": "2.1. Về lĩnh vực đất đai",
    "2.2. Lĩnh vực môi trường", …), then headings that name it ("1. Mục đích"), then the best covered (deeper
    on a tie: the narrowest section that says it).
    """
    if not chunks:
        return None
    meta = chunks[0].meta
    context = f"{meta.title} {meta.issuer} {meta.place} {meta.year or ''}"
    nodes: list[tuple[str, ...]] = []
    for c in chunks:
        p = section_path(c)
        for depth in range(1, len(p) + 1):
            if p[:depth] not in nodes:
                nodes.append(p[:depth])
    best: tuple[tuple[int, float, int], tuple[str, ...]] | None = None
    for node in nodes:
        whole = matcher.coverage(f"{' '.join(node)} {context}")
        if whole < min_coverage:
            continue
        children = _children(chunks, node)
        naming = sum(1 for ch in children if _names_noun(ch[-1], noun))
        tier = 2 if naming >= max(2, len(children) // 2 + 1) else 1 if _names_noun(node[-1], noun) else 0
        if tier == 0 and matcher.coverage(node[-1]) <= 0:
            continue
        key = (tier, whole, len(node))
        if best is None or key > best[0]:
            best = (key, node)
    if best is None:
        return None
    node = best[1]
    children = _children(chunks, node)
    if len(children) >= 2:
        items = [it for ch in children[:MAX_ITEMS] if (it := _heading_item(chunks, ch)) is not None]
    else:  # a heading that does not name what is asked: only bullets are a list, not any lines of its text
        items = _body_items(chunks, node, bullets_only=best[0][0] == 0)[:MAX_ITEMS]
    return Found(node, tuple(items), best[0][1], best[0][0] > 0) if len(items) >= 2 else None


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))


def heading_words(heading: str) -> str:
    """A heading's words, folded, without its number or article: "Điều 2. Tổ chức thực hiện" → "to chuc thuc hien"."""
    return _words(_HEADING_LEAD.sub("", heading))


def named_heading(question: str, paths: Sequence[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The section among `paths` that the question names by its heading, word for word ("Tiến độ thực hiện dự án
    … thế nào?" names "8. Tiến độ thực hiện dự án"; "Nhà đầu tư dự án … là ai?", "3. Nhà đầu tư"). The heading has
    at least `_MIN_NAMED_WORDS` words (a one-word "Mục đích" is named by many questions about other things), is
    not a name ("3. Sở Công Thương", "Phòng Nội vụ": a body, whose tasks a question about it need not ask) and
    starts what the question asks (only words such as "Cho biết" before it: "Trách nhiệm của nhà đầu tư …" does
    not ask for "3. Nhà đầu tư"); the longest named wins."""
    words = re.findall(r"\w+", question)
    said = f" {_words(question)} "
    best: tuple[int, tuple[str, ...]] | None = None
    for path in paths:
        for depth in range(1, len(path) + 1):
            heading = _HEADING_LEAD.sub("", path[depth - 1])
            if names_body(heading) or (
                not heading.isupper() and all(w[0].isupper() for w in re.findall(r"\w+", heading))
            ):
                continue  # a name ("3. Sở Công Thương", "Phòng Nội vụ": a body's tasks), not what is asked about
            bare = _words(heading)
            at = said.find(f" {bare} ")
            if len(bare.split()) < _MIN_NAMED_WORDS or at < 0:
                continue
            if content_terms(" ".join(words[: said[:at].count(" ")])):
                continue  # what is asked comes first: "Trách nhiệm của nhà đầu tư" asks no "Nhà đầu tư"
            if best is None or len(bare) > best[0]:
                best = (len(bare), path[:depth])
    return best[1] if best else None


def named_section(question: str, chunks: Sequence[Chunk], paths: Sequence[tuple[str, ...]]) -> Found | None:
    """The section of one document (its chunks, in order) that the question names by its heading
    (`named_heading`, among `paths`: those of the passages found), with its items: the bullets of its body. Not a
    section with parts, whose headings say what it covers rather than what it says, nor one whose heading's
    line goes on with a statement ("3. Mục tiêu dự án: Đầu tư …": that sentence answers), nor one of prose.
    None when it has fewer than two items (its sentence then answers as any other)."""
    node = named_heading(question, paths)
    if node is None:
        return None
    head = _heading_item(chunks, node)
    if head is None or len(head.chunk.text[head.end :].split("\n", 1)[0].split()) >= _MIN_ITEM_WORDS:
        return None  # "3. Mục tiêu dự án: Đầu tư xây dựng …": the heading's own line says it
    if _children(chunks, node):
        return None  # its parts' headings say what it covers, not what it says
    items = _body_items(chunks, node, bullets_only=True)[:MAX_ITEMS]
    return Found(node, tuple(items), 1.0, True) if len(items) >= 2 else None


def outline(chunks: Sequence[Chunk]) -> list[Item]:
    """A document's outline (its chunks, in order): the headings of its parts ("I. MỤC ĐÍCH, YÊU CẦU", "II.
    NHIỆM VỤ, GIẢI PHÁP", …, or "Điều 1. …", "Điều 2. …"), those of the parts of each when it has fewer than
    three; its closing blocks are none. [] for a document without headings (a news item, a letter)."""
    parts = _children(chunks, ())
    if len(parts) < 3:
        parts = [child for part in parts for child in (_children(chunks, part) or [part])]
    items = [it for part in parts[:MAX_ITEMS] if (it := _heading_item(chunks, part)) is not None]
    return items if len(items) >= 2 else []


def list_after(chunk: Chunk, end: int, chunks: Sequence[Chunk], coverage: float) -> Found | None:
    """The sections that a sentence ending in ":" at `end` of `chunk` introduces ("… như sau:"): the
    sub-sections of its section that start right after it (nothing else said in between)."""
    if not chunk.text[:end].rstrip().endswith(":"):
        return None
    index = next((i for i, c in enumerate(chunks) if c.chunk_id == chunk.chunk_id), None)
    if index is None:
        return None
    path = section_path(chunk)
    children = _children(chunks, path, after=index - 1)
    items = [it for ch in children[:MAX_ITEMS] if (it := _heading_item(chunks, ch)) is not None]
    if len(items) < 2:
        return None
    first = items[0]
    follows = (first.chunk.chunk_id == chunk.chunk_id and not chunk.text[end : first.start].strip()) or (
        not chunk.text[end:].strip() and chunks.index(first.chunk) == index + 1
    )
    return Found(path, tuple(items), coverage) if follows else None
