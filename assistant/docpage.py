"""The document reader: one indexed document's metadata, table of contents and cleaned text, an anchor per
passage, the cited sentences marked, a link to download the original.

`GET /tai-lieu/{doc_id}?hl=120-180,300-340#c12` is what a source card's «Xem toàn văn» and a row of the
document library (`/tai-lieu`, assistant/library.py) open. The document is found by its id in the index
manifest only: nothing in the URL ever becomes a file path, and the text shown is the index's own copy of the
passages (the original is downloaded through `/api/documents/{id}/file`, which checks it). The page sits behind
the same access control as every other route, is plain HTML with no script (its Content-Security-Policy forbids
any), and escapes every character of the document.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from assistant.errors import USER_ERRORS
from assistant.render import doc_heading, format_date, kind_name, merge_spans
from index.pipeline import doc_meta_from_manifest
from index.types import Chunk, DocMeta

log = logging.getLogger(__name__)

ROUTE = "/tai-lieu/{doc_id:path}"
LIBRARY_TITLE = "Thư viện tài liệu"
MAX_SPANS = 20  # highlighted spans taken from `hl`
_SPAN = re.compile(r"^(\d{1,9})-(\d{1,9})$")
SECTION_SEP = " › "  # between the parts of a chunk's heading path (index.chunking)
NOT_FOUND = "Không có văn bản này trong kho tài liệu."
UNAVAILABLE = "Kho tài liệu chưa sẵn sàng; vui lòng thử lại sau."
# No script, no outside resource: the page is the document's text and an inline style sheet.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter()

# Colours keep 4.5:1 against their background in both schemes (text, muted text, links, marks, focus ring).
STYLE = """
body { margin: 0; font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif; line-height: 1.6;
  background: #fff; color: #1e293b; }
main, header, footer { max-width: 960px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 16px; padding-bottom: 8px; border-bottom: 1px solid #cbd5e1; }
h1 { font-size: 1.35rem; margin: 6px 0 4px 0; }
h2 { font-size: 1.08rem; margin: 22px 0 4px 0; color: #1e3a8a; }
h3 { font-size: 1.02rem; margin: 16px 0 4px 0; color: #1e3a8a; }
h4 { font-size: 0.97rem; margin: 12px 0 4px 0; }
h5 { font-size: 0.95rem; margin: 10px 0 4px 0; }
a { color: #1d4ed8; }
a:focus-visible, input:focus-visible, select:focus-visible, button:focus-visible, [tabindex]:focus-visible {
  outline: 3px solid #1d4ed8; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { position: static; }
.meta { color: #475569; font-size: 0.92rem; }
.file { overflow-wrap: anywhere; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; font-size: 0.92rem; }
dl.facts dt { color: #475569; } dl.facts dd { margin: 0; }
.download { display: inline-block; margin: 6px 0; padding: 4px 12px; border: 1px solid #1d4ed8; border-radius: 6px;
  text-decoration: none; font-weight: 600; }
nav.toc ol { margin: 2px 0; padding-left: 1.2em; list-style: none; }
nav.toc > ol { padding-left: 0; }
.low { color: #9a3412; font-weight: 600; }
section { white-space: pre-wrap; scroll-margin-top: 3em; padding: 2px 6px; border-left: 3px solid transparent; }
section:target { border-left-color: #1d4ed8; background: #f1f5f9; }
mark { background: #fff0a8; color: inherit; }
@media (prefers-color-scheme: dark) {
  body { background: #0f172a; color: #e2e8f0; }
  .meta, dl.facts dt { color: #94a3b8; } h2, h3 { color: #93c5fd; } header { border-color: #334155; }
  a { color: #93c5fd; } .download { border-color: #93c5fd; } .low { color: #fdba74; }
  a:focus-visible, input:focus-visible, select:focus-visible, button:focus-visible, [tabindex]:focus-visible {
    outline-color: #93c5fd; }
  section:target { background: #1e293b; border-left-color: #93c5fd; } mark { background: #6b5a00; }
}
@media print { section:target { background: none; } .skip, .download { display: none; } }
"""


@dataclass(frozen=True)
class Original:
    """What the reader says of a document's file: its name, format, page count (when known), the pages read by
    OCR (`{"page", "method", "confidence", "low"}`, from the manifest) and where to download it."""

    source: str
    format: str = ""
    pages: int | None = None
    ocr: tuple[Mapping[str, Any], ...] = ()
    file_url: str = ""


def file_format(source: str) -> str:
    """A file's format as its extension, lower case without the dot ("pdf", "docx"; "" without one)."""
    name = source.replace("\\", "/").rpartition("/")[2]
    stem, dot, ext = name.rpartition(".")
    return ext.lower()[:10] if dot and stem.strip(".") else ""


def ocr_pages(entry: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The pages of a manifest entry not read from a text layer, or None for a document read from text only."""
    pages = entry.get("pages")
    if not isinstance(pages, list) or not pages:
        return None
    out = []
    for p in pages:
        if isinstance(p, dict) and isinstance(p.get("page"), int):
            conf = p.get("confidence")
            out.append(
                {
                    "page": p["page"],
                    "method": str(p.get("method", "")),
                    "confidence": round(float(conf), 1) if isinstance(conf, int | float) else None,
                    "low": bool(p.get("low")),
                }
            )
    return out or None


def parse_spans(hl: str) -> list[tuple[int, int]]:
    """The `hl` parameter ("120-180,300-340"): document offsets of the sentences to mark; anything else ignored."""
    spans = []
    for part in (hl or "").split(",")[:MAX_SPANS]:
        if m := _SPAN.match(part.strip()):
            start, end = int(m.group(1)), int(m.group(2))
            if start < end:
                spans.append((start, end))
    return spans


def _marked(text: str, offset: int, spans: Sequence[tuple[int, int]]) -> str:
    """`text` (at `offset` in the document), escaped, with the parts inside `spans` in <mark>."""
    local = [(s - offset, e - offset) for s, e in spans if e > offset and s < offset + len(text)]
    out, pos = [], 0
    for s, e in merge_spans(local, len(text)):
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


def section_parts(section: str) -> list[str]:
    """A chunk's heading path as its headings, outermost first."""
    return [p.strip() for p in (section or "").split(SECTION_SEP) if p.strip()]


def headings(chunks: Sequence[Chunk]) -> list[tuple[int, str, int]]:
    """The document's headings in reading order: (depth from 0, heading, ordinal of the first chunk under it)."""
    out: list[tuple[int, str, int]] = []
    previous: list[str] = []
    for c in sorted(chunks, key=lambda c: c.start):
        parts = section_parts(c.section)
        if parts == previous or not parts:
            continue
        same = 0
        while same < min(len(parts), len(previous)) and parts[same] == previous[same]:
            same += 1
        out.extend((depth, parts[depth], c.ordinal) for depth in range(same, len(parts)))
        previous = parts
    return out


def _toc(entries: Sequence[tuple[int, str, int]]) -> str:
    """Nested ordered lists of the headings, each a link to the passage it opens (`headings` never goes more
    than one level deeper from one heading to the next)."""
    if not entries:
        return ""
    out, depth = ["<ol>"], 0
    for i, (d, text, ordinal) in enumerate(entries):
        if i:
            out.append("<ol>" if d > depth else "</li>" + "</ol></li>" * (depth - d))
        out.append(f'<li><a href="#c{ordinal}">{html.escape(text)}</a>')
        depth = d
    out.append("</li>" + "</ol></li>" * depth + "</ol>")
    return f'<nav class="toc" aria-labelledby="muc-luc"><h2 id="muc-luc">Mục lục</h2>{"".join(out)}</nav>'


def _ocr_block(pages: Sequence[Mapping[str, Any]]) -> str:
    """Which pages were read by OCR and how sure it was; doubtful and unread pages named."""
    if not pages:
        return ""
    items = []
    for p in pages:
        if p.get("method") == "none":
            items.append(f'<li>Trang {int(p["page"])}: <span class="low">không đọc được</span></li>')
            continue
        conf = p.get("confidence")
        shown = f"độ tin cậy {float(conf):.0f}/100" if conf is not None else "không có chữ"
        low = ' — <span class="low">cần kiểm tra</span>' if p.get("low") else ""
        items.append(f"<li>Trang {int(p['page'])}: {shown}{low}</li>")
    return (
        '<div class="ocr"><h2 id="ocr">Trang được nhận dạng chữ (OCR)</h2>'
        '<p class="meta">Văn bản của các trang này được đọc từ ảnh quét; hãy đối chiếu với bản gốc.</p>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def _facts(meta: DocMeta, original: Original, n_chunks: int) -> str:
    rows = [
        ("Loại văn bản", kind_name(meta.kind)),
        ("Số hiệu", meta.number),
        ("Cơ quan ban hành", meta.issuer),
        ("Ngày ban hành", format_date(meta.date)),
        ("Nơi ban hành", meta.place),
        ("Người ký", meta.signer),
        ("Định dạng", original.format.upper()),
        ("Số trang", str(original.pages) if original.pages else ""),
        ("Số đoạn", str(n_chunks)),
    ]
    items = "".join(f"<dt>{k}</dt><dd>{html.escape(v) if v else '—'}</dd>" for k, v in rows)
    file_line = f'<dt>Tệp gốc</dt><dd><span class="file">{html.escape(original.source)}</span></dd>'
    return f'<dl class="facts">{items}{file_line}</dl>'


def render_document_page(
    meta: DocMeta,
    source: str,
    chunks: Sequence[Chunk],
    spans: Sequence[tuple[int, int]],
    original: Original | None = None,
    back_url: str = "",
) -> str:
    """The whole page: heading (type, number, title), the metadata, a «Tải bản gốc» link, the table of contents,
    the OCR'd pages, then the text passage by passage (`<section id="c<ordinal>">`, overlaps shown once), each
    new heading as an <h3>/<h4>/<h5> by its depth."""
    original = original or Original(source, file_format(source))
    parts, covered = [], 0
    previous: list[str] = []
    for c in sorted(chunks, key=lambda c: c.start):
        begin = max(c.start, covered)
        if c.end <= covered:
            parts.append(f'<section id="c{c.ordinal}"></section>')  # inside the previous one: keep its anchor
            continue
        path = section_parts(c.section)
        if path and path != previous:
            same = 0
            while same < min(len(path), len(previous)) and path[same] == previous[same]:
                same += 1
            for depth in range(same, len(path)):
                level = min(depth + 3, 5)
                parts.append(f"<h{level}>{html.escape(path[depth])}</h{level}>")
        previous = path or previous
        text = c.text[begin - c.start :]
        parts.append(f'<section id="c{c.ordinal}">{_marked(text, begin, spans)}</section>')
        covered = c.end
    heading = doc_heading(meta, source)
    link = f'<a href="{html.escape(back_url)}">← {LIBRARY_TITLE}</a>'
    back = f'<nav class="meta" aria-label="Đường dẫn">{link}</nav>' if back_url else ""
    download = (
        f'<a class="download" href="{html.escape(original.file_url)}" download>Tải bản gốc '
        f"({html.escape(original.format.upper() or 'tệp')})</a>"
        if original.file_url
        else ""
    )
    return (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(heading)}</title><style>{STYLE}</style></head><body>"
        f'<a class="skip" href="#noi-dung">Đến nội dung văn bản</a>'
        f"<header>{back}"
        f"<h1>{html.escape(heading)}</h1>{_facts(meta, original, len(chunks))}{download}</header>"
        f"<main>{_toc(headings(chunks))}{_ocr_block(original.ocr)}"
        f'<h2 id="noi-dung">Nội dung văn bản</h2>'
        f"{''.join(parts)}</main></body></html>"
    )


def message_page(status: int, message: str, back_url: str = "") -> HTMLResponse:
    """A page that only says `message` (unknown document, index not ready), with a link back to the library."""
    back = f'<p><a href="{html.escape(back_url)}">← {LIBRARY_TITLE}</a></p>' if back_url else ""
    body = (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{html.escape(message)}</title>'
        f"<style>{STYLE}</style></head><body><main><h1>{html.escape(message)}</h1>{back}</main></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def up_to_library(request: Request) -> str:
    """The relative link from a reader URL (`/tai-lieu/<id>`, its id encoded or not) to the library list."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    tail = raw.decode("latin-1").split("/tai-lieu/", 1)[-1]
    return "../" * tail.count("/") or "./"


def file_url(doc_id: str, up: str) -> str:
    """The relative link from a reader URL to its original (`/api/documents/<id>/file`)."""
    return f"{'' if up == './' else up}../api/documents/{quote(doc_id, safe='')}/file"


@router.get(ROUTE, include_in_schema=False)
def document_page(doc_id: str, request: Request, hl: str = "") -> HTMLResponse:
    """A document's text by its manifest id, opened at a passage (`#c<n>`), the `hl` spans marked."""
    up = up_to_library(request)
    try:
        index = request.app.state.service.get().index
        entry = index.manifest()["documents"].get(doc_id)
    except USER_ERRORS as e:
        log.warning("document page unavailable: %s", e)
        return message_page(503, UNAVAILABLE)
    if not isinstance(entry, dict):
        return message_page(404, NOT_FOUND, up)
    chunks = index.doc_chunks(doc_id)
    meta = doc_meta_from_manifest(entry)
    source = str(entry.get("source", ""))
    page_count = entry.get("page_count")
    original = Original(
        source,
        file_format(source),
        page_count if isinstance(page_count, int) else None,
        tuple(ocr_pages(entry) or ()),
        file_url(doc_id, up),
    )
    page = render_document_page(meta, source, chunks, parse_spans(hl[:2000]), original, up)
    return HTMLResponse(page, headers=HEADERS)
