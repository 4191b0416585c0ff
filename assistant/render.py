"""HTML of chat answers, source cards and the document list (no gradio here; the UI only places it).

Document text and user input are untrusted: every piece of it goes through `esc`, which also turns
the characters markdown and LaTeX give meaning to into entities, so a `[link](http://evil)` or
`<script>` inside a document is shown as text whatever renderer displays the HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from assistant.types import Answer, Citation
from index.types import Retrieved

# html.escape's five characters plus everything markdown/GFM/LaTeX parse (links, emphasis, code,
# headings, tables, autolinks "http:" / "www." / "a@b", math "$").
_SPECIAL = set("&<>\"'[]()*_`~#|!\\{}$:@.+-=^%")
_CITE = re.compile(r"\[(\d{1,3})\]")
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")

ABSTAINED_TITLE = "Các đoạn gần nhất"
RELATED_TITLE = "Các đoạn liên quan"
SOURCES_TITLE = "Nguồn trích dẫn"
NEAREST_SHOWN = 3  # passages shown open when the answer abstained; the rest are collapsed


def esc(text: object) -> str:
    """Text as inert HTML: special characters become numeric entities, newlines become <br>."""
    out = []
    for ch in str(text):
        if ch in _SPECIAL:
            out.append(f"&#{ord(ch)};")
        elif ch == "\n":
            out.append("<br>")
        elif ch == "\r":
            continue
        else:
            out.append(ch)
    return "".join(out)


def format_date(iso: str) -> str:
    """Vietnamese display form of an ISO date: 2010-02-09 -> 09/02/2010, 2025-02 -> 02/2025."""
    m = _ISO_DATE.match(iso or "")
    if not m:
        return iso or ""
    year, month, day = m.groups()
    return "/".join(p for p in (day, month, year) if p)


def anchor_id(key: str, n: int) -> str:
    """Element id of source card `n` of the answer identified by `key` (unique within the page)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "", key) or "a"
    return f"src-{safe}-{n}"


def merge_spans(spans: Iterable[Sequence[int]], length: int) -> list[tuple[int, int]]:
    """Sorted, clipped, non-overlapping (start, end) spans."""
    clean = sorted((max(0, int(s)), min(length, int(e))) for s, e in spans)
    merged: list[tuple[int, int]] = []
    for s, e in clean:
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def render_passage(text: str, quotes: Iterable[Sequence[int]] = ()) -> str:
    """A passage, escaped, with the supporting sentences (`quotes` spans) inside <mark>."""
    parts, pos = [], 0
    for s, e in merge_spans(quotes, len(text)):
        parts.append(esc(text[pos:s]))
        parts.append(f"<mark>{esc(text[s:e])}</mark>")
        pos = e
    parts.append(esc(text[pos:]))
    return "".join(parts)


def render_answer_text(text: str, anchors: Mapping[int, str]) -> str:
    """The answer, escaped, with each `[n]` that has a source card turned into a link to it."""
    parts, pos = [], 0
    for m in _CITE.finditer(text):
        n = int(m.group(1))
        if n not in anchors:
            continue
        parts.append(esc(text[pos : m.start()]))
        parts.append(f'<a class="tl-cite" href="#{anchors[n]}">{esc(m.group(0))}</a>')
        pos = m.end()
    parts.append(esc(text[pos:]))
    return "".join(parts)


def _meta_line(issuer: str, date: str, source: str) -> str:
    bits = [
        f'<span class="tl-issuer">{esc(issuer)}</span>' if issuer else "",
        f'<span class="tl-date">{esc(format_date(date))}</span>' if date else "",
        f'<span class="tl-file">{esc(source)}</span>' if source else "",
    ]
    return '<div class="tl-meta">' + '<span class="tl-dot"> · </span>'.join(b for b in bits if b) + "</div>"


def render_source_card(c: Citation, anchor: str) -> str:
    """Source card of one citation: title, issuing body, date, heading path, passage with highlights."""
    section = f'<div class="tl-section">{esc(c.section)}</div>' if c.section else ""
    return (
        f'<div class="tl-card" id="{anchor}">'
        f'<div class="tl-card-head"><span class="tl-num">{esc(f"[{c.n}]")}</span>'
        f'<span class="tl-title">{esc(c.title or c.source)}</span></div>'
        f"{_meta_line(c.issuer, c.date, c.source)}{section}"
        f'<div class="tl-passage">{render_passage(c.text, c.quotes)}</div></div>'
    )


def render_retrieved_card(r: Retrieved) -> str:
    """A retrieved passage that is not cited: title, issuing body, date, heading path, text."""
    c = r.chunk
    section = f'<div class="tl-section">{esc(c.section)}</div>' if c.section else ""
    return (
        f'<div class="tl-card tl-card-plain"><div class="tl-card-head">'
        f'<span class="tl-title">{esc(c.meta.title or c.source)}</span></div>'
        f"{_meta_line(c.meta.issuer, c.meta.date, c.source)}{section}"
        f'<div class="tl-passage">{render_passage(c.text)}</div></div>'
    )


def render_partial(text: str) -> str:
    """An answer still streaming in: escaped text only (sources come with the final answer)."""
    return f'<div class="tl-answer"><div class="tl-text">{esc(text)}</div></div>'


def render_answer(answer: Answer, key: str, text: str | None = None, final: bool = True) -> str:
    """One assistant message: notice, answer with linked [n], cited source cards, other passages.

    `text` replaces the answer text while it streams in; cards are added when `final`.
    """
    anchors = {c.n: anchor_id(key, c.n) for c in answer.citations}
    body = render_answer_text(answer.answer if text is None else text, anchors)
    html = ['<div class="tl-answer">']
    if answer.notice:
        html.append(f'<div class="tl-notice">{esc(answer.notice)}</div>')
    html.append(f'<div class="tl-text{" tl-abstained" if answer.abstained else ""}">{body}</div>')
    if final:
        html.append(_render_evidence(answer, anchors))
    html.append("</div>")
    return "".join(html)


def _render_evidence(answer: Answer, anchors: Mapping[int, str]) -> str:
    cited = {c.chunk_id for c in answer.citations}
    others = [r for r in answer.retrieved if r.chunk.chunk_id not in cited]
    html = []
    if answer.citations:
        cards = "".join(render_source_card(c, anchors[c.n]) for c in answer.citations)
        html.append(f'<div class="tl-sources"><div class="tl-label">{SOURCES_TITLE}</div>{cards}</div>')
    if answer.abstained and others:
        cards = "".join(render_retrieved_card(r) for r in others[:NEAREST_SHOWN])
        html.append(f'<div class="tl-sources tl-nearest"><div class="tl-label">{ABSTAINED_TITLE}</div>{cards}</div>')
        others = others[NEAREST_SHOWN:]
    if others:
        cards = "".join(render_retrieved_card(r) for r in others)
        html.append(f'<details class="tl-related"><summary>{RELATED_TITLE} ({len(others)})</summary>{cards}</details>')
    return "".join(html)


def render_user(question: str) -> str:
    """A user message, escaped."""
    return f'<div class="tl-user">{esc(question)}</div>'


def render_error(message: str) -> str:
    """A short error message in the chat (never a traceback)."""
    return f'<div class="tl-answer"><div class="tl-error">{esc(message)}</div></div>'


def render_pending() -> str:
    """Placeholder shown while the answer is being searched."""
    return '<div class="tl-answer"><div class="tl-text tl-pending">Đang tìm trong tài liệu…</div></div>'


def vi_number(n: int) -> str:
    """An integer with Vietnamese thousands separators: 37000 -> 37.000."""
    return f"{n:,}".replace(",", ".")


def newest_first(docs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Documents by date, newest first (ISO dates sort as text); undated ones last, in their order."""
    return sorted(docs, key=lambda d: (d.get("meta") or {}).get("date") or "", reverse=True)


def render_documents(docs: Sequence[Mapping[str, Any]], limit: int | None = None) -> str:
    """The list of indexed documents: title, issuing body, date.

    Beyond `limit` documents the box summarises instead (a page listing 37,000 documents weighs 20 MB):
    how many documents and issuing bodies, the `limit` newest documents, and how to reach the others.
    """
    if not docs:
        return '<div class="tl-docs tl-empty">Chưa có tài liệu nào được lập chỉ mục.</div>'
    if limit is not None and len(docs) > limit:
        issuers = {(d.get("meta") or {}).get("issuer", "") for d in docs} - {""}
        head = (
            f'<div class="tl-docs-summary">{vi_number(len(docs))} tài liệu của {vi_number(len(issuers))} '
            "cơ quan ban hành. Mới nhất:</div>"
        )
        more = (
            f'<div class="tl-docs-more">… và {vi_number(len(docs) - limit)} tài liệu khác. '
            "Dùng «Bộ lọc» để hỏi riêng một văn bản (gõ tên tệp) hoặc một cơ quan.</div>"
        )
        return head + render_documents(newest_first(docs)[:limit]) + more
    items = []
    for d in docs:
        meta = d.get("meta") or {}
        kind = f'<span class="tl-kind">{esc(meta.get("kind", ""))}</span>' if meta.get("kind") else ""
        number = f" · {esc(meta['number'])}" if meta.get("number") else ""
        items.append(
            f'<li class="tl-doc"><div class="tl-doc-title">{kind}'
            f"{esc(meta.get('title') or d.get('source', ''))}</div>"
            f'<div class="tl-doc-meta">{esc(meta.get("issuer", ""))}{number}'
            f"{' · ' + esc(format_date(meta.get('date', ''))) if meta.get('date') else ''}</div></li>"
        )
    return f'<ul class="tl-docs">{"".join(items)}</ul>'


def doc_label(doc: Mapping[str, Any], max_chars: int = 70) -> str:
    """Plain-text label of a document in the filter list: shortened title and date."""
    meta = doc.get("meta") or {}
    title = meta.get("title") or doc.get("source", "")
    title = title if len(title) <= max_chars else title[: max_chars - 1] + "…"
    date = format_date(meta.get("date", ""))
    return f"{title} ({date})" if date else title
