"""Whom a document is addressed to: "Công văn 6791 gửi cho ai?", "Báo cáo … gửi những cơ quan nào?" are answered
from the lines after its "Kính gửi:", each addressee quoted and cited:

    Kính gửi:                                  Kính gửi: Công ty TNHH Sản xuất và Thương mại Chân Thiện Mỹ
    - Bộ Nông nghiệp và Môi trường;
    - Bộ Công Thương;
    - Bộ Xây dựng.

An addressee hard-wrapped onto the next line ("- Các Sở, ngành: Công Thương, …, Ban Chỉ huy / Bộ đội Biên phòng
tỉnh;") runs on until its ";" or ".". A question that names a kind of document ("Báo cáo năm gửi cho ai?") asks it
of a document of that kind only: of a plan, it asks where the plan's reports go, which its text says.

A document without "Kính gửi" (a plan, a decision) is sent to its "Nơi nhận:" list, after its signature: each
dashed line up to its ";", but "Như trên" / "Như Điều 4" (those named above) and the archive copy ("Lưu: VT").
A layout flattened onto one line ("Nơi nhận: - Thường trực UBND thành phố; - Văn phòng UBND Thành phố; báo cáo" -
Bí thư Quận ủy; …") is read at its dashes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.lists import Item
from index.normalize import fold
from index.types import Chunk

# "gửi cho ai", "gửi những cơ quan nào", "được gửi đến đơn vị nào", "addressed to", "sent to" (folded).
_ASKS = re.compile(
    r"\bgui (?:cho |den |toi )?(?:ai|nhung|cac|noi nao|dau|(?:co quan|don vi|cong ty|to chuc|so|bo|ban|phong) nao)\b"
    r"|\bkinh gui (?:ai|nhung|cac)\b"
    r"|\b(?:addressed|sent) to (?:whom|which|who)\b|\b(?:who(?:m)?|which)\b.*\b(?:addressed|sent) to\b"
)
_LABEL = re.compile(r"(?:Kính gửi|KÍNH GỬI|Kinh gui|KINH GUI)\s*:[ \t]*")
_DASHES = ("-", "+", "–", "•")
_HEADER_CHUNKS = 3  # "Kính gửi" is in the header: the first passages of a document
_RECIPIENTS = re.compile(r"N[ơoưu]i nh[ậaâ]n\s*:", re.IGNORECASE)  # as OCR reads it too ("Nưi nhận:")
_DASH = re.compile(r"(?:^|\s)[-–•+~]\s+")
_KEPT = re.compile(r"\W*(?:Lưu|LƯU|Luu)\b")  # "Lưu: VT, KT.": the archive copy, the list's last line
_SAME_AS = re.compile(r"\W*(?:Như|NHƯ|Nhu)\s+(?:trên|TRÊN|tren|Điều|điều|Dieu|dieu|Khoản|khoản|Mục|mục)\b")


def asks_recipients(question: str) -> bool:
    """Whether a question asks whom a document is addressed to.

    >>> asks_recipients("Công văn 6791 gửi cho ai?"), asks_recipients("Hạn gửi báo cáo năm là khi nào?")
    (True, False)
    >>> asks_recipients("Who is letter 193/UBND-KT addressed to?"), asks_recipients("Which agencies is it sent to?")
    (True, True)
    """
    return bool(_ASKS.search(fold(question)))


def several_documents(question: str, kind: str) -> bool:
    """Whether a question asks of several documents of `kind` (folded, as `headline.kinds_named` gives it):
    "Các công văn từ chối …", "hai kế hoạch", "the letters".

    >>> several_documents("Các công văn từ chối thẩm định gửi những công ty nào?", "cong van")
    True
    """
    f = fold(question)
    named = bool(kind) and re.search(rf"\b(?:cac|nhung|hai|ba)\s+{kind}\b", f) is not None
    return named or re.search(r"\b(?:letters|documents|decisions|plans|reports)\b", f) is not None


def addressees(chunks: Sequence[Chunk]) -> tuple[Item, ...]:
    """The addressees after a document's "Kính gửi:" (in its first passages, in order), each a span of its chunk;
    empty when it has none."""
    for ch in chunks[:_HEADER_CHUNKS]:
        m = _LABEL.search(ch.text)
        if m is None:
            continue
        text = ch.text
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        if text[m.end() : line_end].strip() and not text[m.end() :].lstrip().startswith(_DASHES):
            return (_item(ch, m.end(), line_end),)  # "Kính gửi: Công ty TNHH …"
        items: list[Item] = []
        pos = m.end()
        for line in re.finditer(r"[^\n]*", text[m.end() :]):
            s, e = m.end() + line.start(), m.end() + line.end()
            body = text[s:e].strip()
            if s < pos:
                continue
            pos = e + 1
            if not body:
                if items:
                    break
                continue
            if body.startswith(_DASHES):
                items.append(_item(ch, s, e))
            elif items and not text[items[-1].start : items[-1].end].rstrip().endswith((";", ".")):
                items[-1] = _item(ch, items[-1].start, e)  # a hard-wrapped addressee goes on
            else:
                break
        if items:
            return tuple(items)
    return ()


def recipients(chunks: Sequence[Chunk]) -> tuple[Item, ...]:
    """The recipients of a document's "Nơi nhận:" list (its chunks in order), each a span of its chunk; empty
    when it has none."""
    for ch in chunks:
        m = _RECIPIENTS.search(ch.text)
        if m is None:
            continue
        items: list[Item] = []
        offset = m.end()
        for line in ch.text[m.end() :].split("\n"):
            start, offset = offset, offset + len(line) + 1
            marks = list(_DASH.finditer(line))
            if not marks:
                if items and line.strip():
                    break  # the signature after the list ("KT. GIÁM ĐỐC")
                continue  # a blank line, or the signature's first words beside the label
            for i, mark in enumerate(marks):
                s = start + mark.end()
                e = start + (marks[i + 1].start() if i + 1 < len(marks) else len(line))
                piece = ch.text[s:e]
                if _KEPT.match(piece):
                    return tuple(items)
                cut = piece.find(";")
                e = s + cut if cut >= 0 else e
                if not _SAME_AS.match(piece) and len(ch.text[s:e].split()) >= 2:
                    items.append(_item(ch, s, e))
        if items:
            return tuple(items)
    return ()


def _item(chunk: Chunk, start: int, end: int) -> Item:
    text = chunk.text
    while start < end and (text[start].isspace() or text[start] in "".join(_DASHES)):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ";.,"):
        end -= 1
    return Item(chunk, start, end)
