"""The document page: one indexed document's cleaned text, an anchor per passage, the cited sentences marked.

`GET /tai-lieu/{doc_id}?hl=120-180,300-340#c12` is what a source card's «Xem toàn văn» opens (until the
document library has its own viewer). The document is found by its id in the index manifest only: nothing
in the URL ever becomes a file path, and the text shown is the index's own copy of the passages. The page
sits behind the same access control as every other route, is plain HTML with no script (its
Content-Security-Policy forbids any), and escapes every character of the document.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from assistant.errors import USER_ERRORS
from assistant.render import doc_heading, format_date, merge_spans
from index.pipeline import doc_meta_from_manifest
from index.types import Chunk, DocMeta

log = logging.getLogger(__name__)

ROUTE = "/tai-lieu/{doc_id:path}"
MAX_SPANS = 20  # highlighted spans taken from `hl`
_SPAN = re.compile(r"^(\d{1,9})-(\d{1,9})$")
NOT_FOUND = "Không có văn bản này trong kho tài liệu."
UNAVAILABLE = "Kho tài liệu chưa sẵn sàng; vui lòng thử lại sau."
# No script, no outside resource: the page is the document's text and an inline style sheet.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter()

STYLE = """
body { margin: 0; font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif; line-height: 1.6;
  background: #fff; color: #1e293b; }
main, header { max-width: 860px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; padding-bottom: 8px; border-bottom: 1px solid #cbd5e1; }
h1 { font-size: 1.35rem; margin: 0 0 4px 0; }
.meta { color: #475569; font-size: 0.92rem; }
.file { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; }
h2 { font-size: 1rem; margin: 22px 0 4px 0; color: #1e3a8a; }
section { white-space: pre-wrap; scroll-margin-top: 16px; padding: 2px 6px; border-left: 3px solid transparent; }
section:target { border-left-color: #1d4ed8; background: #f1f5f9; }
mark { background: #fff0a8; color: inherit; }
@media (prefers-color-scheme: dark) {
  body { background: #0f172a; color: #e2e8f0; }
  .meta { color: #94a3b8; } h2 { color: #93c5fd; } header { border-color: #334155; }
  section:target { background: #1e293b; border-left-color: #93c5fd; } mark { background: #6b5a00; }
}
@media print { section:target { background: none; } }
"""


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


def render_document_page(meta: DocMeta, source: str, chunks: Sequence[Chunk], spans: Sequence[tuple[int, int]]) -> str:
    """The whole page: heading (type, number, title), issuer and date, file name, then the text passage by
    passage (`<section id="c<ordinal>">`, overlaps shown once), each new heading path as an <h2>."""
    parts, covered, section = [], 0, None
    for c in sorted(chunks, key=lambda c: c.start):
        begin = max(c.start, covered)
        if c.end <= covered:
            parts.append(f'<section id="c{c.ordinal}"></section>')  # inside the previous one: keep its anchor
            continue
        if c.section != section and c.section:
            parts.append(f"<h2>{html.escape(c.section)}</h2>")
        section = c.section
        text = c.text[begin - c.start :]
        parts.append(f'<section id="c{c.ordinal}">{_marked(text, begin, spans)}</section>')
        covered = c.end
    meta_bits = [b for b in (meta.issuer, meta.number, format_date(meta.date)) if b]
    heading = doc_heading(meta, source)
    return (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(heading)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{html.escape(heading)}</h1>"
        f'<div class="meta">{html.escape(" · ".join(meta_bits))}</div>'
        f'<div class="meta">Tệp: <span class="file">{html.escape(source)}</span></div></header>'
        f"<main>{''.join(parts)}</main></body></html>"
    )


def _message_page(status: int, message: str) -> HTMLResponse:
    body = (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{html.escape(message)}</title>'
        f"<style>{STYLE}</style></head><body><main><h1>{html.escape(message)}</h1></main></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers=HEADERS)


@router.get(ROUTE, include_in_schema=False)
def document_page(doc_id: str, request: Request, hl: str = "") -> HTMLResponse:
    """A document's text by its manifest id, opened at a passage (`#c<n>`), the `hl` spans marked."""
    try:
        index = request.app.state.service.get().index
        entry = index.manifest()["documents"].get(doc_id)
    except USER_ERRORS as e:
        log.warning("document page unavailable: %s", e)
        return _message_page(503, UNAVAILABLE)
    if not isinstance(entry, dict):
        return _message_page(404, NOT_FOUND)
    chunks = index.doc_chunks(doc_id)
    meta = doc_meta_from_manifest(entry)
    page = render_document_page(meta, str(entry.get("source", "")), chunks, parse_spans(hl[:2000]))
    return HTMLResponse(page, headers=HEADERS)
