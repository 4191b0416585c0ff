"""How the extractive answer names documents and quotes passages: labels, dates, the span a quote covers
(a form's label with its value, a list with its items, the clauses of a long sentence that answer) and the
quote as shown."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.textmatch import HEADING_NUMBER, number_key, plain
from index.normalize import fold
from index.text import clause_spans
from index.types import Chunk, DocMeta
from prompts import phrase

MAX_QUOTE_CHARS = 420
MAX_LIST_CHARS = 600
# A line of at most this many words without a stop is a label whose value may be on the next line.
_LABEL_WORDS = 12
# The fields of a meeting or inspection notice ("Chủ trì: Sở Công Thương", "Thành phần tham dự: …"), folded, as the
# whole label (after a number, a bullet or a date and a dash): alone they say nothing, their value is the item.
_FIELD = re.compile(
    r"(?:^|^[\d./]+\s*[-–—]\s*|^[-–+•]\s*|^\d{1,2}[.)]\s*)"
    r"(?:chu tri|chu toa|noi dung|nhiem vu|thanh phan(?: tham du| tham gia| moi| doan(?: kiem tra)?)?|tham du"
    r"|(?:kinh )?moi|phoi hop|dia diem|thoi gian|truong doan|pho truong doan|thanh vien|thu ky|dai dien|dai bieu"
    r"|can bo tham gia)$"
)


# The phrase keys of the kinds of document an answer names by their own word (folded `DocMeta.kind`).
_KIND_KEYS = {
    "ke hoach": "kind_plan",
    "tin tuc": "kind_news",
    "quyet dinh": "kind_decision",
    "cong van": "kind_letter",
    "bao cao": "kind_report",
    "bien ban": "kind_minutes",
    "quy che": "kind_regulation",
    "quy dinh": "kind_rules",
    "thong bao": "kind_notice",
    "chi thi": "kind_directive",
    "nghi quyet": "kind_resolution",
    "to trinh": "kind_submission",
    "huong dan": "kind_guidance",
    "chuong trinh": "kind_programme",
}


def kind_key(meta: DocMeta) -> str:
    """The phrase key of a document's kind: "kind_plan", "kind_decision", "kind_news" …, "kind_other" for a kind
    without its own word."""
    return _KIND_KEYS.get(" ".join(fold(meta.kind or "").split()), "kind_other")


def doc_label(meta: DocMeta, source: str, lang: str) -> str:
    """How an answer names a document: kind and number or title, then issuing body and date."""
    kind = kind_key(meta)
    kw = phrase(kind, lang)
    if meta.number and kind != "kind_news":  # a news item's number is the document it reports on
        name = phrase("doc_numbered", lang, kind=kw, number=meta.number)
    elif meta.title:
        name = phrase("doc_titled", lang, kind=kw, title=meta.title)
    else:
        name = f"{kw} {source}"
    extra = ", ".join(p for p in (meta.issuer, display_date(meta.date)) if p)
    return f"{name} ({extra})" if extra else name


def display_date(iso: str) -> str:
    """'2010-02-09' → '09/02/2010'; partial dates keep what is known."""
    parts = iso.split("-")
    return "/".join(reversed(parts)) if iso else ""


def with_values(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """`spans`, a form's label line quoted with the line after it, which holds its value: "Người đại diện theo
    pháp luật của Công ty" / "Bà: Lương Thị Lợi; …" (a label: at most `_LABEL_WORDS` words, no stop, no colon)."""
    out = []
    for i, (s, e) in enumerate(spans):
        label = text[s:e]
        if (
            i + 1 < len(spans)
            and 3 <= len(label.split()) <= _LABEL_WORDS
            and label[-1:].isalnum()
            and ":" not in label
            and not HEADING_NUMBER.match(label)  # "1. Nhà đầu tư": a heading, not a label
            and "\n" in text[e : spans[i + 1][0]]
        ):
            e = spans[i + 1][1]
        out.append((s, e))
    return out


# Marks before an item's first word that OCR or a bullet left ("¬- Vốn góp …", "- Lập hồ sơ …").
_LEADING_MARKS = re.compile(r"^[^\w(“\"«]+")


def headline_item(text: str) -> str:
    """An item as said in the first sentence: plain, without its closing stop and what follows a colon
    ("Sở Công Thương: chủ trì, …" → "Sở Công Thương"), unless what comes before the colon is only a field of a
    meeting or inspection notice, whose value is the item.

    >>> headline_item("Sở Công Thương: chủ trì, phối hợp với các sở.")
    'Sở Công Thương'
    >>> headline_item("29/05/2026 – Thành phần tham dự: Công ty Cổ phần Năng lượng Bảo Long (Chủ đầu tư).")
    '29/05/2026 – Thành phần tham dự: Công ty Cổ phần Năng lượng Bảo Long (Chủ đầu tư)'
    """
    t = _LEADING_MARKS.sub("", re.sub(r"\s+", " ", plain(text)).strip())
    head = t.split(": ")[0]
    if _FIELD.search(fold(head)):
        return t.rstrip(" .;:,")
    return head.rstrip(" .;:,")


def headline_value(text: str) -> str:
    """An item said whole in the first sentence, its label with its value: plain, without bracketed asides and
    its closing stop.

    >>> headline_value("- Lập hồ sơ kỹ thuật (hoàn thiện các thủ tục): Từ quý III/2026 đến quý IV/2026.")
    'Lập hồ sơ kỹ thuật: Từ quý III/2026 đến quý IV/2026'
    """
    t = re.sub(r"\s*\([^()]*\)", "", plain(text))
    return _LEADING_MARKS.sub("", re.sub(r"\s+", " ", t).strip()).rstrip(" .;:,")


def extend_list(text: str, start: int, end: int, whole_sentence: bool = False) -> int:
    """A span that introduces a list ("…đó là: a;" or "…như sau:") is extended over the following
    clauses or bullets of the same sentence, so a list question gets the whole list; with
    `whole_sentence` any clause ending in ";" is extended to the end of its sentence."""
    span = text[start:end]
    if not span.rstrip().endswith((";", ":")) or not (whole_sentence or ":" in span):
        return end
    base = end
    for _, e in clause_spans(text[base:]):
        if end - start > MAX_LIST_CHARS or not text[start:end].rstrip().endswith((";", ":")):
            break
        end = base + e
    return end


def printed_at(chunks: Sequence[Chunk], number: str) -> tuple[Chunk, tuple[int, int]]:
    """The chunk and line that print a document's number ("Số: 19/KH-UBND", spaced or not), else the line of
    its first chunk that shows a date: the passage a document's number and date are cited at."""
    key = number_key(number)
    for ch in chunks:
        for m in re.finditer(r"[^\n]+", ch.text):
            line = number_key(m.group(0))
            if (key and key in line) or (not key and re.search(r"ngay\s*\d|\d{1,2}/\d{1,2}/\d{4}", fold(m.group(0)))):
                return ch, (m.start(), m.end())
    first = chunks[0]
    end = first.text.find("\n")
    return first, (0, len(first.text) if end < 0 else end)


def doc_tag(meta: DocMeta) -> str:
    """How the first sentence tells documents apart: place (or issuer) and year ("Ba Đình 2025")."""
    return " ".join(p for p in (meta.place or meta.issuer or meta.number, str(meta.year or "")) if p)


def window(text: str, start: int, end: int, weigh: Callable[[str], float]) -> tuple[int, int, bool]:
    """A span too long to quote whole is narrowed to the run of its clauses around the one that answers best
    (`weigh`): the fact at the end of a long sentence is quoted, not cut off. Returns (start, end, narrowed)."""
    limit = MAX_LIST_CHARS + 200 if ";" in text[start:end] else MAX_QUOTE_CHARS
    if end - start <= limit:
        return start, end, False
    cuts = [start] + [start + m.end() for m in re.finditer(r"[,;]\s+", text[start:end])] + [end]
    clauses = list(zip(cuts, cuts[1:], strict=False))
    best = max(range(len(clauses)), key=lambda i: (weigh(text[clauses[i][0] : clauses[i][1]]), -i))
    lo = hi = best
    while True:  # grow towards the side that keeps the window within the limit, the start first
        if lo > 0 and clauses[hi][1] - clauses[lo - 1][0] <= limit:
            lo -= 1
        elif hi + 1 < len(clauses) and clauses[hi + 1][1] - clauses[lo][0] <= limit:
            hi += 1
        else:
            break
    if lo == 0:
        return start, end, False  # the answer is in the first part: the usual cut at the end
    return clauses[lo][0], clauses[hi][1], True


def quote(text: str, narrowed: bool = False) -> str:
    text = plain(text)
    if narrowed:
        inner = re.sub(r"\s+", " ", text).strip().rstrip(";,:/ ").strip()
        return "… " + (inner if inner.endswith((".", "!", "?", "…", "”", '"')) else inner + " …")
    q = re.sub(r"\s+", " ", text).strip().rstrip(";,:/ ").strip()
    limit = MAX_LIST_CHARS + 200 if ";" in q else MAX_QUOTE_CHARS
    if len(q) > limit:
        cut = q.rfind(" ", 0, limit)
        q = q[: cut if cut > 0 else limit] + " …"
    return q if q.endswith((".", "!", "?", "…", "”", '"')) else q + "."
