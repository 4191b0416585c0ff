"""The document library: the list page `/tai-lieu` and the read side of its HTTP API.

- `GET /tai-lieu` (and `/tai-lieu/`): every indexed document, searched by words of its type, number, title or
  issuer (accents optional: "ke hoach 08" finds "Kế hoạch 08/KH-UBND"), filtered by issuer, type and year,
  sorted by date, paged on the server. Plain HTML, no script: the filters are a GET form, the pages links.
- `GET /api/documents?q=&issuer=&kind=&year=&sort=-date&page=1&per_page=50`: the same as JSON, with facets.
- `GET /api/documents/{id}`: one document's metadata, headings, passages and OCR'd pages.
- `GET /api/documents/{id}/file`: the original file, exactly as indexed.

Listing, filtering and facets read a `Catalogue` built once per manifest (the manifest object a loaded index
holds, which every index write replaces): a request at 37,000 documents scans rows already folded for search,
never the manifest. The original is found through the manifest only (no path from the request); it is served
only from the allowed folders, outside the assistant's own state, and only while its SHA-256 is still the one
indexed (409 otherwise): what is downloaded is what was read.
"""

from __future__ import annotations

import hashlib
import html
import logging
import math
import os
import re
import stat
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from assistant import docpage
from assistant.admin import is_admin
from assistant.errors import USER_ERRORS
from assistant.http import error
from assistant.render import format_date, kind_name
from assistant.settings import Settings
from index.normalize import fold
from index.pipeline import PlanIndex

log = logging.getLogger(__name__)

router = APIRouter()

Sort = Literal["-date", "date", "title"]
SORTS: dict[str, str] = {"-date": "Mới nhất trước", "date": "Cũ nhất trước", "title": "Theo tiêu đề (A–Z)"}
PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_FACET_VALUES = 100  # issuers shown in a facet (the most frequent; the one filtered on always)
MAX_QUERY_CHARS = 200
BLOCK = 1 << 20

NOT_FOUND = "Không có văn bản này trong kho tài liệu (no such document)."
CHANGED = "Tệp gốc đã thay đổi từ khi lập chỉ mục (original changed since indexing)"
GONE = "Tệp gốc không còn trên máy chủ (original no longer on the server)."
OUTSIDE = "Tệp gốc nằm ngoài các thư mục được phép (original outside the allowed folders)."
LIST_HEADERS = {
    **docpage.HEADERS,
    "Content-Security-Policy": docpage.HEADERS["Content-Security-Policy"].replace(
        "form-action 'none'", "form-action 'self'"
    ),
}
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",  # an HTML original never runs as our page
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-cache",
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "odt": "application/vnd.oasis.opendocument.text",
    "rtf": "application/rtf",
    "txt": "text/plain",  # no charset: an original may be TCVN3 or VNI, and it is sent as it is
    "md": "text/markdown",
    "html": "text/html",
    "htm": "text/html",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "tif": "image/tiff",
    "tiff": "image/tiff",
}
_WORD = re.compile(r"[^\W_]+")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


# ------------------------------------------------------------------------------------------- catalogue
@dataclass(frozen=True, slots=True)
class Row:
    """One document of the catalogue: what the list shows, plus its folded keys for search and filters."""

    id: str
    kind: str
    number: str
    title: str
    issuer: str
    date: str
    signer: str
    format: str
    pages: int | None
    chunks: int
    source: str
    year: int | None
    words: str  # " " + the folded words of kind, number, title, issuer and file name, space-separated
    issuer_key: str
    kind_key: str
    title_key: str

    def to_json(self) -> dict[str, Any]:
        """The row as `GET /api/documents` lists it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "number": self.number,
            "title": self.title,
            "issuer": self.issuer,
            "date": self.date,
            "signer": self.signer,
            "format": self.format,
            "pages": self.pages,
            "chunks": self.chunks,
            "source": self.source,
        }


def _meta(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = entry.get("meta")
    return meta if isinstance(meta, dict) else {}


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def row_of(doc_id: str, entry: Mapping[str, Any], folded: dict[str, str] | None = None) -> Row:
    """A manifest entry as a catalogue row (`folded`: a memo of folded issuers and kinds, shared by a build)."""
    memo = {} if folded is None else folded
    meta = _meta(entry)
    kind, number, title = kind_name(_text(meta.get("kind"))), _text(meta.get("number")), _text(meta.get("title"))
    issuer, source, date = _text(meta.get("issuer")), _text(entry.get("source")), _text(meta.get("date"))
    year = int(date[:4]) if date[:4].isdigit() else None
    pages = entry.get("page_count")
    ids = entry.get("chunk_ids")
    kind_key = memo[kind] if kind in memo else memo.setdefault(kind, fold(kind))
    issuer_key = memo[issuer] if issuer in memo else memo.setdefault(issuer, fold(issuer))
    title_key = fold(title or source)
    words = _WORD.findall(f"{kind_key} {fold(number + ' ' + source)} {title_key if title else ''} {issuer_key}")
    return Row(
        doc_id,
        kind,
        number,
        title,
        issuer,
        date,
        _text(meta.get("signer")),
        docpage.file_format(source),
        pages if isinstance(pages, int) and not isinstance(pages, bool) else None,
        len(ids) if isinstance(ids, list) else 0,
        source,
        year,
        " " + " ".join(words),
        issuer_key,
        kind_key,
        title_key,
    )


def query_words(q: str) -> list[str]:
    """The folded words of a search; each must begin a word of the document's catalogue entry."""
    return _WORD.findall(fold(q[:MAX_QUERY_CHARS]))


@dataclass(frozen=True)
class Page:
    """One page of a catalogue query: the rows shown, how many matched, and the facets."""

    total: int
    page: int
    per_page: int
    rows: list[Row]
    facets: dict[str, list[list[Any]]]

    @property
    def last_page(self) -> int:
        """The number of the last page (1 when nothing matched)."""
        return max(1, math.ceil(self.total / self.per_page))

    def to_json(self) -> dict[str, Any]:
        """The body of `GET /api/documents`."""
        return {
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "documents": [r.to_json() for r in self.rows],
            "facets": self.facets,
        }


class Catalogue:
    """Every document of one manifest as rows, in each sort order, with facet counts: built once per manifest,
    then each query is one pass over row references."""

    def __init__(self, documents: Mapping[str, Any]) -> None:
        folded: dict[str, str] = {}
        self.rows = [row_of(k, d, folded) for k, d in list(documents.items()) if isinstance(d, dict)]
        by_title = sorted(range(len(self.rows)), key=lambda i: (self.rows[i].title_key, self.rows[i].id))
        dated = [i for i in by_title if self.rows[i].date]
        undated = [i for i in by_title if not self.rows[i].date]  # last in either date order
        self.orders: dict[str, list[int]] = {
            "title": by_title,
            "date": sorted(dated, key=lambda i: self.rows[i].date) + undated,
            "-date": sorted(dated, key=lambda i: self.rows[i].date, reverse=True) + undated,
        }
        self._words = [r.words for r in self.rows]
        self._names = {
            "issuer": {r.issuer_key: r.issuer for r in self.rows},
            "kind": {r.kind_key: r.kind for r in self.rows},
        }
        self._all = self._facets(
            Counter(r.issuer_key for r in self.rows if r.issuer),
            Counter(r.kind_key for r in self.rows if r.kind),
            Counter(r.year for r in self.rows if r.year),
            "",
            "",
        )

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def facets(self) -> dict[str, list[list[Any]]]:
        """Facet counts over every document (what the list page offers to filter on, whatever is searched)."""
        return self._all

    def query(
        self,
        q: str = "",
        issuer: str = "",
        kind: str = "",
        year: int | None = None,
        sort: str = "-date",
        page: int = 1,
        per_page: int = PER_PAGE,
    ) -> Page:
        """The rows matching every word of `q` and each filter, in `sort` order, page `page`; each facet counts
        the documents that match everything but its own filter."""
        order = self.orders.get(sort, self.orders["-date"])
        needles = sorted({" " + w for w in query_words(q)}, key=len, reverse=True)  # the longest rules out most
        issuer_key, kind_key = fold(issuer), fold(kind)
        start = (max(1, page) - 1) * per_page
        if not (needles or issuer_key or kind_key or year):
            rows = [self.rows[i] for i in order[start : start + per_page]]
            return Page(len(order), page, per_page, rows, self._all)
        issuers: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        years: Counter[int] = Counter()
        matched: list[int] = []
        words = self._words
        if needles:  # one comprehension first: most rows fail the words, and this is the bulk of the time
            first, rest = needles[0], needles[1:]
            order = [i for i in order if first in words[i] and all(n in words[i] for n in rest)]
        for i in order:
            r = self.rows[i]
            other_issuer = bool(issuer_key) and r.issuer_key != issuer_key
            other_kind = bool(kind_key) and r.kind_key != kind_key
            other_year = year is not None and r.year != year
            misses = other_issuer + other_kind + other_year
            if misses > 1:
                continue
            if not (other_kind or other_year) and r.issuer:
                issuers[r.issuer_key] += 1
            if not (other_issuer or other_year) and r.kind:
                kinds[r.kind_key] += 1
            if not (other_issuer or other_kind) and r.year:
                years[r.year] += 1
            if not misses:
                matched.append(i)
        rows = [self.rows[i] for i in matched[start : start + per_page]]
        return Page(len(matched), page, per_page, rows, self._facets(issuers, kinds, years, issuer_key, kind_key))

    def _facets(
        self, issuers: Counter[str], kinds: Counter[str], years: Counter[int], issuer_key: str, kind_key: str
    ) -> dict[str, list[list[Any]]]:
        def named(field: str, counts: Counter[str], chosen: str) -> list[list[Any]]:
            top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FACET_VALUES]
            if chosen and chosen in self._names[field] and all(k != chosen for k, _ in top):
                top.append((chosen, counts.get(chosen, 0)))
            return [[self._names[field][k], n] for k, n in top]

        return {
            "issuer": named("issuer", issuers, issuer_key),
            "kind": named("kind", kinds, kind_key),
            "year": [[y, n] for y, n in sorted(years.items(), reverse=True)],
        }


class CatalogueCache:
    """The catalogue of the manifest a loaded index holds, built on its first request. An index write (here or,
    through the service's reload, in another process) brings a new manifest object, hence a new catalogue."""

    def __init__(self, keep: int = 2) -> None:
        self._lock = threading.Lock()
        self._entries: list[tuple[Mapping[str, Any], tuple[Any, int], Catalogue]] = []
        self._keep = keep

    def get(self, manifest: Mapping[str, Any]) -> Catalogue:
        """The catalogue of `manifest` (the same object while the manifest and its document count stay)."""
        documents = manifest.get("documents") or {}
        version = (manifest.get("generation"), len(documents))
        with self._lock:  # one build at a time: concurrent first requests wait for it instead of repeating it
            for held, v, catalogue in self._entries:
                if held is manifest and v == version:
                    return catalogue
            catalogue = Catalogue(documents)
            log.info("document catalogue built: %d documents", len(catalogue))
            self._entries = [(manifest, version, catalogue), *self._entries[: self._keep - 1]]
            return catalogue


CATALOGUES = CatalogueCache()


# ------------------------------------------------------------------------------------------- one document
def document_detail(index: PlanIndex, doc_id: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """`GET /api/documents/{id}`: the list row's fields and place, content hash, headings, passages and the
    pages read by OCR (None when every page came from a text layer)."""
    row = row_of(doc_id, entry)
    meta = _meta(entry)
    chunks = index.doc_chunks(doc_id)
    return {
        **row.to_json(),
        "place": _text(meta.get("place")),
        "content_hash": str(entry.get("content_hash", "")),
        "sections": [c.section for c in _first_of_each_section(chunks)],
        "chunks": [{"id": c.chunk_id, "section": c.section, "text": c.text} for c in chunks],
        "ocr": docpage.ocr_pages(entry),
    }


def _first_of_each_section(chunks: Sequence[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for c in chunks:
        if c.section and c.section not in seen:
            seen.add(c.section)
            out.append(c)
    return out


class FileRefused(Exception):
    """The original cannot be served: `status` and the one-line message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _inside(path: Path, folders: Sequence[Path]) -> bool:
    return any(path.is_relative_to(os.path.realpath(f)) for f in folders)


def servable(settings: Settings, real: Path) -> bool:
    """Whether a resolved path may be sent: inside an allowed folder or the uploads, not the assistant's own
    state (index, caches, logs, temporary files, models, benchmarks, the files directly in the data folder)."""
    data = settings.data_dir
    own = [settings.index_dir, data / "index", settings.cache_dir, data / "logs", data / "tmp", data / "models"]
    if _inside(real, [*own, data / "bench"]) or real.parent == Path(os.path.realpath(data)):
        return False
    return _inside(real, [*settings.allowed_dirs, data / "uploads"])


def open_original(settings: Settings, entry: Mapping[str, Any]) -> tuple[IO[bytes], int]:
    """The original file of a manifest entry, opened and checked (allowed folder, regular file, the indexed
    SHA-256), positioned at its start, with its size; raises `FileRefused`."""
    path, expected = entry.get("path"), entry.get("content_hash")
    if not isinstance(path, str) or not path or not isinstance(expected, str):
        raise FileRefused(410, GONE)
    real = Path(os.path.realpath(path))
    if not servable(settings, real):
        log.warning("original outside the allowed folders refused: %s", real)
        raise FileRefused(403, OUTSIDE)
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as e:
        log.warning("original unreadable: %s (%s)", real, e.strerror)
        raise FileRefused(410, GONE) from e
    f = os.fdopen(fd, "rb")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileRefused(410, GONE)
        h, size = hashlib.sha256(), 0
        while block := f.read(BLOCK):  # hashed through the descriptor that is then sent: no swap in between
            h.update(block)
            size += len(block)
        if h.hexdigest() != expected:
            log.warning("original changed since indexing: %s", real)
            raise FileRefused(409, CHANGED)
        f.seek(0)
    except BaseException:
        f.close()
        raise
    return f, size


def _stream(f: IO[bytes], size: int) -> Iterator[bytes]:
    with f:
        left = size
        while left > 0 and (block := f.read(min(BLOCK, left))):
            left -= len(block)
            yield block


def content_disposition(source: str, fallback: str = "tai-lieu") -> str:
    """`attachment` with an ASCII file name and the real one in RFC 5987 `filename*` (Vietnamese kept)."""
    name = "".join(ch for ch in Path(source.replace("\\", "/")).name if ch.isprintable() and ch not in '"/\\')
    bare = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    ascii_name = _UNSAFE_NAME.sub("_", bare.replace("đ", "d").replace("Đ", "D")).strip("._")[:150] or fallback
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name or ascii_name, safe='')}"


# ------------------------------------------------------------------------------------------- HTTP API
def _index(request: Request) -> PlanIndex:
    return request.app.state.service.get().index  # type: ignore[no-any-return]


@router.get("/api/documents")
def list_documents(
    request: Request,
    q: str = Query("", max_length=MAX_QUERY_CHARS),
    issuer: str = Query("", max_length=300),
    kind: str = Query("", max_length=100),
    year: int | None = Query(None, ge=1900, le=2100),
    sort: Sort = "-date",
    page: int = Query(1, ge=1, le=1_000_000),
    per_page: int = Query(PER_PAGE, ge=1, le=MAX_PER_PAGE),
) -> JSONResponse:
    """Indexed documents, searched, filtered, sorted and paged, with facet counts."""
    try:
        catalogue = CATALOGUES.get(_index(request).manifest())
    except USER_ERRORS as e:
        return error(503, str(e))
    return JSONResponse(catalogue.query(q, issuer, kind, year, sort, page, per_page).to_json())


def _target(request: Request, path: str, documents: Mapping[str, Any]) -> tuple[str, bool]:
    """(document id, whether its file is asked for) of `/api/documents/<path>`: a literal `/file` ending asks
    for the file, an encoded one (`%2Ffile`) belongs to the id."""
    raw = (request.scope.get("raw_path") or b"").decode("latin-1")
    literal_file = raw.endswith("/file") if raw else path.endswith("/file")
    if path.endswith("/file") and literal_file and path[: -len("/file")] in documents:
        return path[: -len("/file")], True
    return path, False


@router.get("/api/documents/{doc_path:path}")
def document(request: Request, doc_path: str) -> Response:
    """One document (`/api/documents/<id>`) or its original file (`/api/documents/<id>/file`)."""
    try:
        index = _index(request)
        documents = index.manifest()["documents"]
    except USER_ERRORS as e:
        return error(503, str(e))
    doc_id, wants_file = _target(request, doc_path, documents)
    entry = documents.get(doc_id)
    if not isinstance(entry, dict):
        return error(404, NOT_FOUND)
    if not wants_file:
        return JSONResponse(document_detail(index, doc_id, entry))
    try:
        f, size = open_original(request.app.state.settings, entry)
    except FileRefused as e:
        return error(e.status, str(e))
    source = str(entry.get("source", ""))
    headers = {
        **FILE_HEADERS,
        "Content-Type": CONTENT_TYPES.get(docpage.file_format(source), "application/octet-stream"),
        "Content-Disposition": content_disposition(source),
        "Content-Length": str(size),
    }
    return StreamingResponse(_stream(f, size), headers=headers)


# ------------------------------------------------------------------------------------------- list page
LIST_STYLE = """
form.filters { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: flex-end; margin: 12px 0; }
form.filters label { display: flex; flex-direction: column; font-size: 0.88rem; color: #334155; }
input, select, button { font: inherit; padding: 4px 8px; border: 1px solid #64748b; border-radius: 6px;
  background: #fff; color: #1e293b; }
input[type=search] { min-width: 16rem; }
button { background: #1d4ed8; border-color: #1d4ed8; color: #fff; font-weight: 600; cursor: pointer; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
caption { text-align: left; color: #475569; padding: 4px 0; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #cbd5e1; }
th { background: #e2e8f0; }
td.num { text-align: right; white-space: nowrap; }
.nowrap { white-space: nowrap; }
nav.pages ul { list-style: none; display: flex; flex-wrap: wrap; gap: 6px; padding: 0; }
nav.pages a, nav.pages span { display: inline-block; padding: 2px 10px; border-radius: 6px; }
nav.pages [aria-current] { background: #1d4ed8; color: #fff; font-weight: 600; }
@media (prefers-color-scheme: dark) {
  form.filters label { color: #cbd5e1; } caption { color: #94a3b8; }
  input, select { background: #1e293b; color: #e2e8f0; border-color: #94a3b8; }
  button { background: #93c5fd; border-color: #93c5fd; color: #0f172a; }
  th { background: #1e293b; } th, td { border-color: #334155; }
  nav.pages [aria-current] { background: #93c5fd; color: #0f172a; }
}
"""


@dataclass(frozen=True)
class ListQuery:
    """The list page's parameters, read leniently (anything unusable is the default)."""

    q: str = ""
    issuer: str = ""
    kind: str = ""
    year: int | None = None
    sort: str = "-date"
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> ListQuery:
        """Parse the query string of a list page request."""
        year, page = params.get("year", "").strip(), params.get("page", "").strip()
        return cls(
            q=" ".join(params.get("q", "").split())[:MAX_QUERY_CHARS],
            issuer=params.get("issuer", "").strip()[:300],
            kind=params.get("kind", "").strip()[:100],
            year=int(year) if year.isdigit() and 1900 <= int(year) <= 2100 else None,
            sort=params.get("sort", "") if params.get("sort", "") in SORTS else "-date",
            page=min(int(page), 1_000_000) if page.isdigit() and int(page) > 0 else 1,
        )

    def link(self, page: int) -> str:
        """The query string of this search at `page` (empty parameters left out)."""
        params = {"q": self.q, "issuer": self.issuer, "kind": self.kind, "year": self.year or "", "sort": self.sort}
        kept = {k: v for k, v in params.items() if v and not (k == "sort" and v == "-date")}
        return "?" + urlencode({**kept, **({"page": page} if page > 1 else {})})


def _options(name: str, values: Sequence[Sequence[Any]], chosen: str, everything: str) -> str:
    opts = [f'<option value="">{everything}</option>']
    for value, count in values:
        v = str(value)
        selected = " selected" if fold(v) == fold(chosen) and chosen else ""
        opts.append(f'<option value="{html.escape(v)}"{selected}>{html.escape(v)} ({count})</option>')
    return f'<select name="{name}" id="f-{name}">{"".join(opts)}</select>'


def _pager(query: ListQuery, page: Page) -> str:
    last, p = page.last_page, page.page
    if last <= 1:
        return ""
    shown = sorted({1, last, *range(max(1, p - 2), min(last, p + 2) + 1)})
    items, previous = [], 0
    if p > 1:
        items.append(f'<li><a href="{html.escape(query.link(p - 1))}" rel="prev">‹ Trang trước</a></li>')
    for n in shown:
        if n - previous > 1:
            items.append("<li><span>…</span></li>")
        if n == p:
            items.append(f'<li><span aria-current="page">{n}</span></li>')
        else:
            items.append(f'<li><a href="{html.escape(query.link(n))}" aria-label="Trang {n}">{n}</a></li>')
        previous = n
    if p < last:
        items.append(f'<li><a href="{html.escape(query.link(p + 1))}" rel="next">Trang sau ›</a></li>')
    return f'<nav class="pages" aria-label="Phân trang"><ul>{"".join(items)}</ul></nav>'


def _row_html(r: Row, base: str) -> str:
    href = html.escape(base + quote(r.id, safe=""))
    cells = [
        html.escape(r.kind) or "—",
        html.escape(r.number) or "—",
        f'<a href="{href}">{html.escape(r.title or r.source)}</a>',
        html.escape(r.issuer) or "—",
        f'<span class="nowrap">{html.escape(format_date(r.date)) or "—"}</span>',
        html.escape(r.signer) or "—",
        html.escape(r.format.upper()) or "—",
    ]
    numbers = [str(r.pages) if r.pages else "—", str(r.chunks)]
    return (
        "<tr>"
        + "".join(f"<td>{c}</td>" for c in cells)
        + "".join(f'<td class="num">{n}</td>' for n in numbers)
        + "</tr>"
    )


COLUMNS = ("Loại", "Số hiệu", "Tiêu đề", "Cơ quan ban hành", "Ngày", "Người ký", "Định dạng", "Số trang", "Số đoạn")


def render_list_page(query: ListQuery, page: Page, catalogue: Catalogue, base: str, admin_href: str = "") -> str:
    """The library page: search and filters (a GET form; each filter offers every value of the catalogue, so
    it can be changed along with the search), the matching documents as a table linking to each reader
    (`base` + id), and page links."""
    facets, size = catalogue.facets, len(catalogue)
    sorts = "".join(
        f'<option value="{k}"{" selected" if k == query.sort else ""}>{v}</option>' for k, v in SORTS.items()
    )
    form = (
        '<form class="filters" method="get" role="search" aria-label="Tìm văn bản">'
        '<label for="f-q">Tìm theo tiêu đề, số hiệu'
        f'<input type="search" id="f-q" name="q" value="{html.escape(query.q)}" maxlength="{MAX_QUERY_CHARS}"'
        ' placeholder="ví dụ: kế hoạch 08"></label>'
        f'<label for="f-issuer">Cơ quan ban hành{_options("issuer", facets["issuer"], query.issuer, "Tất cả")}'
        "</label>"
        f'<label for="f-kind">Loại văn bản{_options("kind", facets["kind"], query.kind, "Tất cả")}</label>'
        f'<label for="f-year">Năm{_options("year", facets["year"], str(query.year or ""), "Tất cả")}</label>'
        f'<label for="f-sort">Sắp xếp<select name="sort" id="f-sort">{sorts}</select></label>'
        '<button type="submit">Tìm</button></form>'
    )
    if page.rows:
        head = "".join(f'<th scope="col">{c}</th>' for c in COLUMNS)
        body = "".join(_row_html(r, base) for r in page.rows)
        first = (page.page - 1) * page.per_page + 1
        table = (
            '<div class="scroll" role="region" aria-labelledby="ket-qua" tabindex="0"><table>'
            f"<caption>Văn bản {first}–{first + len(page.rows) - 1} trong {page.total} (trang {page.page}/"
            f"{page.last_page})</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )
    else:
        table = "<p>Không tìm thấy văn bản nào phù hợp. Hãy bỏ bớt bộ lọc hoặc đổi từ khóa.</p>"
    found = f"Tìm thấy {page.total} văn bản" if page.total != size else f"Kho có {size} văn bản"
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{docpage.LIBRARY_TITLE}</title><style>{docpage.STYLE}{LIST_STYLE}</style></head><body>"
        f'<header><h1>{docpage.LIBRARY_TITLE}</h1><p class="meta">Mọi văn bản trợ lý dùng để trả lời: mở một văn '
        "bản để đọc toàn văn, xem mục lục và tải bản gốc.</p>"
        + (
            f'<p><a href="{html.escape(admin_href)}">Quản trị tài liệu: thêm, thay, xoá văn bản</a></p>'
            if admin_href
            else ""
        )
        + "</header>"
        f'<main>{form}<h2 id="ket-qua">{found}</h2>{table}{_pager(query, page)}</main></body></html>'
    )


@router.get("/tai-lieu", include_in_schema=False)
@router.get("/tai-lieu/", include_in_schema=False)
def library_page(request: Request) -> HTMLResponse:
    """The document library: search, filters, sort and pages, one row per document linking to its reader."""
    query = ListQuery.from_params(request.query_params)
    try:
        catalogue = CATALOGUES.get(_index(request).manifest())
    except USER_ERRORS as e:
        log.warning("library page unavailable: %s", e)
        return docpage.message_page(503, docpage.UNAVAILABLE)
    page = catalogue.query(query.q, query.issuer, query.kind, query.year, query.sort, query.page, PER_PAGE)
    if page.page > page.last_page:  # past the end (a shorter list since the link was made): its last page
        page = catalogue.query(query.q, query.issuer, query.kind, query.year, query.sort, page.last_page, PER_PAGE)
    base = "./" if request.url.path.endswith("/") else "tai-lieu/"
    # Administrators (assistant/admin.py) get a link to the page that adds, replaces and removes documents.
    admin_href = ("../" if base == "./" else "") + "quan-tri/tai-lieu" if _is_admin(request) else ""
    return HTMLResponse(render_list_page(query, page, catalogue, base, admin_href), headers=LIST_HEADERS)


def _is_admin(request: Request) -> bool:
    return is_admin(request, request.app.state.service.settings)
