"""HTTP API: /api/ask (the `Answer.to_json()` contract), /api/feedback, /api/export/docx, /api/tasks(.ics),
/healthz, the document page (/tai-lieu/…, assistant/docpage.py) and the `<gradio-app>` web-component loader
served from the installed gradio wheel.

Every error of these routes is `{"error": "<one line, Vietnamese first>"}`: validation and parse errors,
unknown `/api/…` paths (404) and wrong methods (405 with `Allow`), and bodies over their limit (413,
refused while the body is read: `BodyLimit`).
"""

from __future__ import annotations

import email.message
import importlib.util
import json
import logging
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any, Literal

from anyio import to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import docpage, export
from assistant.admin import admin_route
from assistant.errors import USER_ERRORS, QuestionError
from assistant.http import error, route_path
from assistant.service import MAX_COMMENT_CHARS, AssistantService, BusyError
from assistant.tasks import CachedTaskBook, NoTaskIndexError, TaskBook, TaskRow, TasksError, parse_day, task_dict
from index.errors import IndexPipelineError
from index.types import FilterError, Filters

log = logging.getLogger(__name__)


# The documented embed snippet loads https://gradio.s3-us-west-2.amazonaws.com/<version>/gradio.js;
# the same file ships in the wheel. It imports "./assets/index-<hash>.js", so it must be served from
# the app's root, next to gradio's own /assets/ route.
def _gradio_dir() -> Path:
    spec = importlib.util.find_spec("gradio")  # locate the package without importing it
    assert spec is not None and spec.origin is not None, "gradio is not installed"
    return Path(spec.origin).resolve().parent


WEB_COMPONENT_JS = _gradio_dir() / "templates" / "frontend" / "gradio.js"
WEB_COMPONENT_ROUTE = "/gradio.js"
INTERNAL_ERROR = "Lỗi máy chủ khi xử lý yêu cầu (internal error)."
CROSS_ORIGIN_REFUSED = (
    "Trang ở địa chỉ gốc này không được gọi xuất tệp Word từ nơi khác; hãy thêm địa chỉ đó vào "
    "ASSISTANT_EMBED_ORIGINS (cross-origin request refused)."
)
MAX_TEXT = 100_000  # bodies beyond this are malformed, not questions (the engine enforces the real limit)
# Request bodies, in bytes. A question with a long conversation is far below 1 MB; a feedback line with its
# citations (8 passages of ~1,000 characters, even \u-escaped) below 64 KB.
MAX_ASK_BYTES = 1_000_000
MAX_FEEDBACK_BYTES = 64_000
MAX_OTHER_BYTES = 64_000  # every other /api/… path and /healthz: none of them reads a body
MAX_EXPORT_BYTES = 1_000_000  # a conversation of 100 answers with their sources' quoted sentences
BODY_LIMITS: Mapping[str, int] = {
    "/api/ask": MAX_ASK_BYTES,
    "/api/feedback": MAX_FEEDBACK_BYTES,
    "/api/export/docx": MAX_EXPORT_BYTES,
}

BAD_BODY = "Nội dung yêu cầu không đọc được: cần một đối tượng JSON hợp lệ, mã hóa UTF-8 (malformed JSON body)."
EMPTY_BODY = "Thiếu nội dung yêu cầu: cần một đối tượng JSON (empty request body)."
NOT_JSON = "Nội dung yêu cầu phải là JSON, với Content-Type: application/json (unsupported media type)."
NOT_FOUND = "Không có địa chỉ này trong API (not found)."
INVALID = "Yêu cầu không hợp lệ"
# Pydantic's error types, in Vietnamese (the English message follows in parentheses).
_VALIDATION_VI = {
    "missing": "thiếu trường này",
    "extra_forbidden": "không có trường này",
    "string_type": "phải là chuỗi",
    "int_type": "phải là số nguyên",
    "bool_type": "phải là true hoặc false",
    "list_type": "phải là danh sách",
    "dict_type": "phải là đối tượng JSON",
    "model_type": "phải là đối tượng JSON",
    "model_attributes_type": "phải là đối tượng JSON",
    "literal_error": "giá trị không được chấp nhận",
    "string_too_long": "quá dài",
    "too_long": "quá nhiều phần tử",
}

router = APIRouter()
router.include_router(docpage.router)


class Turn(BaseModel):
    """One earlier message of the conversation."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: StrictStr = Field(max_length=MAX_TEXT)


class FiltersIn(BaseModel):
    """Retrieval restrictions; empty means none."""

    model_config = ConfigDict(extra="forbid")
    sources: list[StrictStr] = Field(default_factory=list, max_length=500)
    issuers: list[StrictStr] = Field(default_factory=list, max_length=500)
    year_min: StrictInt | None = None
    year_max: StrictInt | None = None

    def to_filters(self) -> Filters | None:
        """Our `Filters`, or None when nothing is restricted."""
        f = Filters(tuple(self.sources), tuple(self.issuers), self.year_min, self.year_max)
        return None if f.is_empty() else f


class AskIn(BaseModel):
    """Body of POST /api/ask."""

    model_config = ConfigDict(extra="forbid")
    question: StrictStr = Field(max_length=MAX_TEXT)
    history: list[Turn] = Field(default_factory=list, max_length=100)
    filters: FiltersIn | None = None


class FeedbackIn(BaseModel):
    """Body of POST /api/feedback."""

    model_config = ConfigDict(extra="forbid")
    question: StrictStr = Field(max_length=MAX_TEXT)
    answer: StrictStr = Field(max_length=MAX_TEXT)
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    vote: Literal["up", "down"]
    comment: StrictStr = Field(default="", max_length=MAX_COMMENT_CHARS)
    turns: list[StrictStr] = Field(default_factory=list, max_length=50)  # the conversation's earlier questions
    # The answer's id: a later vote with the same id replaces the earlier line (one line per answer).
    answer_id: StrictStr = Field(default="", max_length=64)


class SourceIn(BaseModel):
    """One cited source of an exported answer (what the page's `data-tl` holds)."""

    model_config = ConfigDict(extra="forbid")
    n: StrictInt = Field(ge=0, le=999)
    name: StrictStr = Field(default="", max_length=500)
    heading: StrictStr = Field(default="", max_length=500)
    issuer: StrictStr = Field(default="", max_length=500)
    date: StrictStr = Field(default="", max_length=50)
    section: StrictStr = Field(default="", max_length=1000)
    source: StrictStr = Field(default="", max_length=500)
    url: StrictStr = Field(default="", max_length=3000)
    quote: StrictStr = Field(default="", max_length=5000)


class ExportTurnIn(BaseModel):
    """One question and answer of an exported conversation."""

    model_config = ConfigDict(extra="forbid")
    q: StrictStr = Field(max_length=4000)
    a: StrictStr = Field(max_length=20_000)
    sources: list[SourceIn] = Field(default_factory=list, max_length=30)


class ExportIn(BaseModel):
    """Body of POST /api/export/docx: a conversation as the page keeps it."""

    model_config = ConfigDict(extra="forbid")
    title: StrictStr = Field(default="Hội thoại", max_length=300)
    turns: list[ExportTurnIn] = Field(max_length=100)


def too_large_message(limit: int) -> str:
    """The 413 message for a body over `limit` bytes."""
    size = f"{limit / 1_000_000:g} MB" if limit >= 1_000_000 else f"{limit / 1000:g} KB"
    return f"Nội dung yêu cầu quá lớn, tối đa {size} (request body too large)."


def _service(request: Request) -> AssistantService:
    return request.app.state.service  # type: ignore[no-any-return]


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """200 with the document count once the index is loaded, 503 before."""
    try:
        n = len(_service(request).documents())
    except IndexPipelineError as e:
        return JSONResponse({"status": "unavailable", "error": " ".join(str(e).split())}, status_code=503)
    return JSONResponse({"status": "ok", "documents": n})


@router.post("/api/ask")
async def ask(body: AskIn, request: Request) -> JSONResponse:
    """Answer one question; the body is exactly `Answer.to_json()`. 503 with Retry-After when busy."""
    history = [t.model_dump() for t in body.history]
    try:
        filters = body.filters.to_filters() if body.filters else None
    except FilterError as e:  # a year outside 1900-2100, or year_min after year_max
        return error(400, str(e))
    service = _service(request)
    try:
        async with service.slots.slot():
            answer = await to_thread.run_sync(partial(service.ask, body.question, history=history, filters=filters))
    except BusyError as e:
        response = error(503, str(e))
        response.headers["Retry-After"] = "5"
        return response
    except QuestionError as e:
        return error(400, str(e))
    except IndexPipelineError as e:
        return error(503, str(e))
    except USER_ERRORS as e:
        return error(400, str(e))
    except Exception:
        log.exception("/api/ask failed")
        return error(500, INTERNAL_ERROR)
    return JSONResponse(answer.to_json())


@router.post("/api/feedback")
def feedback(body: FeedbackIn, request: Request) -> JSONResponse:
    """Append one feedback line (vote, optional comment) for an answer."""
    try:
        _service(request).record_feedback(**body.model_dump())
    except OSError:
        log.exception("cannot write feedback")
        return error(500, INTERNAL_ERROR)
    return JSONResponse({"status": "ok"})


def _embed_origins(request: Request) -> list[str]:
    return list(request.app.state.settings.embed_origins)


@router.options("/api/export/docx", include_in_schema=False)
def export_docx_preflight(request: Request) -> Response:
    """A browser's preflight of a cross-origin export: allowed only for `embed_origins`, a POST of JSON."""
    h = request.headers
    allowed = export.preflight_headers(
        h.get("origin"),
        h.get("access-control-request-method", ""),
        h.get("access-control-request-headers", ""),
        _embed_origins(request),
    )
    if allowed is None:
        return error(403, CROSS_ORIGIN_REFUSED, headers={"Vary": "Origin"})
    return Response(status_code=204, headers=allowed)


@router.post("/api/export/docx")
def export_docx(body: ExportIn, request: Request) -> Response:
    """The conversation as a Word document, each citation a footnote naming its source."""
    cors = export.cors_headers(request.headers.get("origin"), _embed_origins(request))
    turns = [
        export.Turn(
            t.q,
            t.a,
            [
                export.Source(s.n, s.heading or s.name, s.issuer, s.date, s.section, s.source, s.quote)
                for s in t.sources
            ],
        )
        for t in body.turns
    ]
    try:
        data = export.conversation_docx(body.title, turns)
    except Exception:
        log.exception("/api/export/docx failed")
        return error(500, INTERNAL_ERROR, headers=cors)
    return Response(
        data,
        media_type=export.DOCX_TYPE,
        headers={"Content-Disposition": 'attachment; filename="hoi-thoai.docx"'} | cors,
    )


MAX_UNIT_CHARS = 200


def _task_book(request: Request) -> TaskBook:
    """The assignments of the served index, read again when a rebuild replaces the file."""
    return CachedTaskBook.of(request.app.state.settings.index_dir).get()


def _task_query(request: Request) -> tuple[TaskBook, list[TaskRow], list[str]] | JSONResponse:
    """The book, the rows `?unit=&from=&to=` select and the matched unit keys; the error response of a bad
    parameter (400) or of an index without assignments (503)."""
    try:
        return _task_selection(request)
    except NoTaskIndexError as e:
        return error(503, str(e))
    except TasksError as e:
        return error(400, str(e))


def _task_selection(request: Request) -> tuple[TaskBook, list[TaskRow], list[str]]:
    q = request.query_params
    unit = " ".join(q.get("unit", "").split())
    if len(unit) > MAX_UNIT_CHARS:
        raise TasksError(f"Tên đơn vị dài quá {MAX_UNIT_CHARS} ký tự (unit too long).")
    start = parse_day(q["from"]) if q.get("from", "").strip() else None
    end = parse_day(q["to"]) if q.get("to", "").strip() else None
    book = _task_book(request)
    keys = book.require_units(unit) if unit else []
    return book, book.tasks(unit or None, start, end), keys


@router.get("/api/tasks")
def tasks(request: Request) -> JSONResponse:
    """Tasks and deadlines per unit: `?unit=` (any spelling), `?from=&to=` (dd/mm/yyyy or yyyy-mm-dd). `units`
    lists the matched units (every unit without `unit`), `tasks` the rows (`assistant.tasks.task_dict`)."""
    query = _task_query(request)
    if isinstance(query, JSONResponse):
        return query
    book, rows, keys = query
    units = [u for u in book.units() if not keys or u.key in keys]
    return JSONResponse({"units": [u.to_dict() for u in units], "tasks": [task_dict(r) for r in rows]})


@router.get("/api/tasks.ics")
def tasks_ics(request: Request) -> Response:
    """The deadlines of the same selection as `/api/tasks`, as an iCalendar attachment."""
    from assistant.ics import calendar

    query = _task_query(request)
    if isinstance(query, JSONResponse):
        return query
    book, rows, keys = query
    return Response(
        calendar([r.assignment for r in rows], book.calendar_name(keys)),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="nhiem-vu.ics"'},
    )


def no_uploads() -> JSONResponse:
    """Refuse Gradio's file upload route: nothing on the page takes files."""
    return error(403, "Không nhận tệp tải lên (uploads are disabled).")


@router.get(WEB_COMPONENT_ROUTE, include_in_schema=False)
def web_component_script() -> FileResponse:
    """The `<gradio-app>` loader script from the installed gradio package (no CDN)."""
    return FileResponse(
        WEB_COMPONENT_JS,
        media_type="text/javascript",
        # A module script from another origin (the intranet page) needs CORS; the file is public code.
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"},
    )


def _allowed_methods(request: Request) -> list[str]:
    """Methods of the routes (ours and the app's own, e.g. the OpenAPI schema) whose path matches the request."""
    path = route_path(request.scope)
    methods: set[str] = {m for m in ("POST", "DELETE") if admin_route(m, path)}  # answered before routing
    for route in _routes([*router.routes, *request.app.router.routes]):
        if getattr(route, "endpoint", None) is no_route or not hasattr(route, "path_regex"):
            continue
        if route.path_regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _routes(routes: list[Any]) -> list[Any]:
    """`routes` with those of the routers they include (FastAPI keeps an included router as one entry)."""
    out: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out.extend(_routes(list(inner.routes)) if inner is not None else [route])
    return out


# Last of our routes: everything under /api/ (and /healthz) that no route above takes. Without it the Gradio
# mount at "/" would answer unknown paths and wrong methods with its own `{"detail": "Not Found"}`.
_EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@router.api_route("/api/{rest:path}", methods=_EVERY_METHOD, include_in_schema=False)
@router.api_route("/healthz", methods=_EVERY_METHOD, include_in_schema=False)
def no_route(request: Request) -> JSONResponse:
    """404 for a path the API does not have; 405 with `Allow` for a known path asked with another method."""
    allowed = _allowed_methods(request)
    if allowed:
        method = request.method[:20]
        return error(
            405,
            f"Địa chỉ này không nhận phương thức {method}, chỉ nhận {', '.join(allowed)} (method not allowed).",
            headers={"Allow": ", ".join(allowed)},
        )
    return error(404, NOT_FOUND)


class _BodyTooLarge(Exception):
    """Raised into the app by `BodyLimit` when a body passes its limit while being read."""


class BodyLimit:
    """ASGI middleware: refuses a request body over its route's limit with 413 `{"error": …}`.

    A declared `Content-Length` over the limit is refused before anything is read; otherwise (chunked bodies
    too) the bytes are counted as the app reads them and reading stops at the limit: the app's own answer to
    the interrupted read is dropped and the 413 sent instead. Only our routes (`/api/…`, `/healthz`).
    """

    def __init__(self, app: ASGIApp, limits: Mapping[str, int] = BODY_LIMITS, default: int = MAX_OTHER_BYTES) -> None:
        self.app = app
        self.limits = dict(limits)
        self.default = default

    def limit_for(self, path: str) -> int | None:
        """The byte limit of a path, or None for paths that are not ours (Gradio's bound their own)."""
        if path in self.limits:
            return self.limits[path]
        if path.startswith("/api/") or path == "/healthz":
            return self.default
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(route_path(scope)) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "").strip()
        if declared.isdigit() and (len(declared) > 15 or int(declared) > limit):
            await self._refuse(scope, send, limit)
            return
        received, refused, started = 0, False, False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:  # the app's reply to the interrupted read (a parse error) is replaced by the 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise
        if refused and not started:
            await self._refuse(scope, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int) -> None:
        log.warning("request body over %d bytes refused: %s %s", limit, scope.get("method"), route_path(scope))
        body = json.dumps({"error": too_large_message(limit)}, ensure_ascii=False).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),  # the rest of the body is not read: do not wait for it on this connection
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _is_json(content_type: str | None) -> bool:
    """Whether a Content-Type header names JSON (`application/json`, `application/…+json`), as FastAPI reads it."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def validation_message(errors: list[Any]) -> str:
    """One line for pydantic's errors: Vietnamese first, pydantic's English in parentheses."""
    vi, en = [], []
    for e in errors[:3]:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        vi.append(f"{loc} {_VALIDATION_VI.get(str(e.get('type')), 'không hợp lệ')}")
        en.append(f"{loc}: {str(e.get('msg', 'invalid'))[:200]}")
    return f"{INVALID}: {'; '.join(vi)} (invalid request: {'; '.join(en)})."


def install_error_handlers(app: FastAPI) -> None:
    """Turn FastAPI's validation and HTTP errors on our routes into `{"error": ...}` bodies, and bound request
    bodies (`BodyLimit`)."""

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        errors = list(exc.errors()) if isinstance(exc, RequestValidationError) else []
        if any(e.get("type") == "json_invalid" for e in errors):
            return error(400, BAD_BODY)
        body_errors = [e for e in errors if tuple(e.get("loc", ())) == ("body",)]
        if any(e.get("type") == "missing" for e in body_errors):
            return error(400, EMPTY_BODY)
        if body_errors and not _is_json(request.headers.get("content-type")):
            return error(415, NOT_JSON)
        return error(422, validation_message(errors))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        headers = getattr(exc, "headers", None)
        if status == 400:  # FastAPI's "There was an error parsing the body": bad UTF-8, too deep, huge numbers
            return error(400, BAD_BODY, headers)
        if status == 404:
            return error(404, NOT_FOUND, headers)
        detail = str(getattr(exc, "detail", "") or "")
        return error(status, f"Không xử lý được yêu cầu (HTTP {status}{': ' + detail if detail else ''}).", headers)

    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_middleware(BodyLimit)
