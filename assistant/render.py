"""HTML of chat answers, source cards and the document list (no gradio here; the UI only places it).

Document text and user input are untrusted: every piece of it goes through `esc`, which also turns
the characters markdown and LaTeX give meaning to into entities, so a `[link](http://evil)` or
`<script>` inside a document is shown as text whatever renderer displays the HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from assistant.types import Answer, Citation
from index.text import CITATION_MARK
from index.types import DocMeta, Retrieved

# html.escape's five characters plus everything markdown/GFM/LaTeX parse (links, emphasis, code,
# headings, tables, autolinks "http:" / "www." / "a@b", math "$").
_SPECIAL = set("&<>\"'[]()*_`~#|!\\{}$:@.+-=^%")
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")

ABSTAINED_TITLE = "Các đoạn gần nhất"
RELATED_TITLE = "Các đoạn liên quan"
SOURCES_TITLE = "Nguồn trích dẫn"
NEAREST_SHOWN = 3  # passages shown open when the answer abstained; the rest are collapsed
OPEN_DOCUMENT = "Xem toàn văn"
DOC_PAGE = "tai-lieu/"  # the document page (assistant/docpage.py), relative to the app's root
_NEWS = "tin tức"
# The page shows Vietnamese only: the English gloss that closes a user error ("… (no such document).") is
# for API clients and logs.
_ENGLISH_GLOSS = re.compile(r"\s*\((?=[^)]*[a-z]{3})[\x20-\x27\x2a-\x7e]*\)")


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


def shorten(text: str, max_chars: int) -> str:
    """`text` with collapsed whitespace, cut at a word boundary to at most `max_chars` (with "…")."""
    text = " ".join(str(text or "").split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[max_chars // 2 :] else cut).rstrip(" ,;:—-") + "…"


def kind_name(kind: str) -> str:
    """A document kind as a name: "KẾ HOẠCH" -> "Kế hoạch"."""
    k = " ".join((kind or "").split()).lower()
    return k[:1].upper() + k[1:]


def doc_name(meta: DocMeta, source: str = "") -> str:
    """How officials name a document: "Kế hoạch 08/KH-UBND"; without a number, its kind and shortened title."""
    kind = kind_name(meta.kind)
    if meta.number and kind.lower() != _NEWS:  # a news item's number is the document it reports on
        return f"{kind or 'Văn bản'} {meta.number}"
    title = shorten(meta.title or source, 60)
    return f"{kind}: {title}" if kind and title else kind or title


def doc_heading(meta: DocMeta, source: str = "") -> str:
    """A card's heading: "Kế hoạch 08/KH-UBND — Thực hiện Năm Dân vận…" (type, number, title)."""
    kind = kind_name(meta.kind)
    if meta.number and kind.lower() != _NEWS:
        name = f"{kind or 'Văn bản'} {meta.number}"
    else:
        name = kind
    title = shorten(meta.title, 120)
    return " — ".join(x for x in (name, title) if x) or source


def citation_meta(c: Citation, kind: str = "") -> DocMeta:
    """The document fields of a citation (its kind comes from the retrieved chunk: citations do not carry it)."""
    return DocMeta(title=c.title, issuer=c.issuer, number=c.number, date=c.date, kind=kind)


def doc_url(doc_id: str, chunk_id: str = "", spans: Iterable[Sequence[int]] = ()) -> str:
    """Link to the document page at a passage, with the document-offset `spans` highlighted (relative URL)."""
    hl = ",".join(f"{int(s)}-{int(e)}" for s, e in spans if int(e) > int(s))
    n = chunk_id.rpartition("#")[2]
    return DOC_PAGE + quote(doc_id, safe="") + (f"?hl={hl}" if hl else "") + (f"#c{n}" if n.isdigit() else "")


def vi_only(message: str) -> str:
    """A user error as the page shows it: without the closing English gloss in parentheses."""
    return _ENGLISH_GLOSS.sub("", message).rstrip() or message


def _safe_key(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", key) or "a"


def anchor_id(key: str, n: int) -> str:
    """Element id of source card `n` of the answer identified by `key` (unique within the page)."""
    return f"src-{_safe_key(key)}-{n}"


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


def render_answer_text(text: str, anchors: Mapping[int, str], names: Mapping[int, str] | None = None) -> str:
    """The answer, escaped, with each `[n]` that has a source card turned into a link to it, named for screen
    readers after its document ("Nguồn 1: Kế hoạch 08/KH-UBND")."""
    parts, pos = [], 0
    for m in CITATION_MARK.finditer(text):
        n = int(m.group(1))
        if n not in anchors:
            continue
        name = (names or {}).get(n, "")
        label = f"Nguồn {n}: {name}" if name else f"Nguồn {n}"
        parts.append(esc(text[pos : m.start()]))
        parts.append(f'<a class="tl-cite" aria-label="{esc(label)}" href="#{anchors[n]}">{esc(m.group(0))}</a>')
        pos = m.end()
    parts.append(esc(text[pos:]))
    return "".join(parts)


def _meta_line(issuer: str, date: str) -> str:
    bits = [
        f'<span class="tl-issuer">{esc(issuer)}</span>' if issuer else "",
        f'<span class="tl-date">{esc(format_date(date))}</span>' if date else "",
    ]
    return '<div class="tl-meta">' + '<span class="tl-dot"> · </span>'.join(b for b in bits if b) + "</div>"


def _card_foot(source: str, url: str, name: str) -> str:
    """The file name (secondary) and the link that opens the whole document at the passage."""
    link = (
        f'<a class="tl-open" href="{esc(url)}" target="_blank" rel="noopener" '
        f'aria-label="{esc(f"{OPEN_DOCUMENT}: {name}")}">{OPEN_DOCUMENT}</a>'
    )
    return f'<div class="tl-card-foot"><span class="tl-file">{esc(source)}</span>{link}</div>'


def render_source_card(c: Citation, anchor: str, kind: str = "") -> str:
    """Source card of one citation: type, number and title, issuing body, date, heading path, passage with
    highlights; the file name and a link to the whole document at the passage above the passage."""
    meta = citation_meta(c, kind)
    section = f'<div class="tl-section">{esc(c.section)}</div>' if c.section else ""
    url = doc_url(c.doc_id, c.chunk_id, [(c.start + s, c.start + e) for s, e in merge_spans(c.quotes, len(c.text))])
    return (
        f'<div class="tl-card" id="{anchor}">'
        f'<div class="tl-card-head"><span class="tl-num">{esc(f"[{c.n}]")}</span>'
        f'<span class="tl-title">{esc(doc_heading(meta, c.source))}</span></div>'
        f"{_meta_line(c.issuer, c.date)}{section}{_card_foot(c.source, url, doc_name(meta, c.source))}"
        f'<div class="tl-passage">{render_passage(c.text, c.quotes)}</div></div>'
    )


def render_retrieved_card(r: Retrieved) -> str:
    """A retrieved passage that is not cited: type, number and title, issuing body, date, heading path, text."""
    c = r.chunk
    section = f'<div class="tl-section">{esc(c.section)}</div>' if c.section else ""
    return (
        f'<div class="tl-card tl-card-plain"><div class="tl-card-head">'
        f'<span class="tl-title">{esc(doc_heading(c.meta, c.source))}</span></div>'
        f"{_meta_line(c.meta.issuer, c.meta.date)}{section}"
        f"{_card_foot(c.source, doc_url(c.doc_id, c.chunk_id), doc_name(c.meta, c.source))}"
        f'<div class="tl-passage">{render_passage(c.text)}</div></div>'
    )


def render_partial(text: str) -> str:
    """An answer still streaming in: escaped text only (sources come with the final answer)."""
    return f'<div class="tl-answer"><div class="tl-text">{esc(text)}</div></div>'


def render_answer(answer: Answer, key: str, text: str | None = None, final: bool = True) -> str:
    """One assistant message: notice, answer with linked [n], cited source cards, other passages.

    `text` replaces the answer text while it streams in; cards are added when `final`, with the answer as
    plain data (hidden `.tl-data`, JSON) for the page's copy, export and saved conversations.
    """
    kinds = {r.chunk.doc_id: r.chunk.meta.kind for r in answer.retrieved}
    anchors = {c.n: anchor_id(key, c.n) for c in answer.citations}
    names = {c.n: doc_name(citation_meta(c, kinds.get(c.doc_id, "")), c.source) for c in answer.citations}
    body = render_answer_text(answer.answer if text is None else text, anchors, names)
    # The chat's sanitizer drops data-* and aria-* attributes: the answer's id is the element id, its data the
    # (escaped, hidden) text of .tl-data, and the page script names the [n] links from it.
    html = [f'<div class="tl-answer" id="ans-{_safe_key(key)}">' if final else '<div class="tl-answer">']
    if answer.notice:
        html.append(f'<div class="tl-notice">{esc(answer.notice)}</div>')
    html.append(f'<div class="tl-text{" tl-abstained" if answer.abstained else ""}">{body}</div>')
    if final:
        html.append(_render_evidence(answer, anchors, kinds))
        html.append(f'<div class="tl-data">{esc(answer_data(answer, kinds))}</div>')
    html.append("</div>")
    return "".join(html)


def answer_data(answer: Answer, kinds: Mapping[str, str] | None = None) -> str:
    """The answer as JSON for the page: question, answer text, and each source's name, heading, issuer, date,
    section, file, link and quoted sentences (what a copy or an export shows)."""
    sources = []
    for c in answer.citations:
        meta = citation_meta(c, (kinds or {}).get(c.doc_id, ""))
        spans = merge_spans(c.quotes, len(c.text))
        sources.append(
            {
                "n": c.n,
                "name": doc_name(meta, c.source),
                "heading": doc_heading(meta, c.source),
                "issuer": c.issuer,
                "date": format_date(c.date),
                "section": c.section,
                "source": c.source,
                "url": doc_url(c.doc_id, c.chunk_id, [(c.start + s, c.start + e) for s, e in spans]),
                "quote": " … ".join(" ".join(c.text[s:e].split()) for s, e in spans) or shorten(c.text, 300),
            }
        )
    return json.dumps({"q": answer.question, "a": answer.answer, "sources": sources}, ensure_ascii=False)


def _render_evidence(answer: Answer, anchors: Mapping[int, str], kinds: Mapping[str, str]) -> str:
    cited = {c.chunk_id for c in answer.citations}
    others = [r for r in answer.retrieved if r.chunk.chunk_id not in cited]
    html = []
    if answer.citations:
        cards = "".join(render_source_card(c, anchors[c.n], kinds.get(c.doc_id, "")) for c in answer.citations)
        html.append(f'<div class="tl-sources"><h3 class="tl-label">{SOURCES_TITLE}</h3>{cards}</div>')
    if answer.abstained and others:
        cards = "".join(render_retrieved_card(r) for r in others[:NEAREST_SHOWN])
        html.append(f'<div class="tl-sources tl-nearest"><h3 class="tl-label">{ABSTAINED_TITLE}</h3>{cards}</div>')
        others = others[NEAREST_SHOWN:]
    if others:
        cards = "".join(render_retrieved_card(r) for r in others)
        html.append(f'<details class="tl-related"><summary>{RELATED_TITLE} ({len(others)})</summary>{cards}</details>')
    return "".join(html)


def render_user(question: str) -> str:
    """A user message, escaped."""
    return f'<div class="tl-user">{esc(question)}</div>'


def render_error(message: str) -> str:
    """A short error message in the chat (never a traceback), Vietnamese only."""
    return f'<div class="tl-answer"><div class="tl-error" role="alert">{esc(vi_only(message))}</div></div>'


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
        title = esc(meta.get("title") or d.get("source", ""))
        if d.get("doc_id"):  # the whole document opens on the document page
            title = f'<a class="tl-open tl-doc-link" href="{esc(doc_url(str(d["doc_id"])))}">{title}</a>'
        items.append(
            f'<li class="tl-doc"><div class="tl-doc-title">{kind}{title}</div>'
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
