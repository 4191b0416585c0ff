"""HTTP API: /api/ask (the `Answer.to_json()` contract), /api/documents, /api/feedback, /healthz,
and the `<gradio-app>` web-component loader served from the installed gradio wheel."""

from __future__ import annotations

import importlib.util
import logging
from functools import partial
from pathlib import Path
from typing import Any, Literal

from anyio import to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import USER_ERRORS, QuestionError
from assistant.service import MAX_COMMENT_CHARS, AssistantService, BusyError
from index.errors import IndexPipelineError
from index.types import Filters

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
MAX_TEXT = 100_000  # bodies beyond this are malformed, not questions (the engine enforces the real limit)

router = APIRouter()


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


def error(status: int, message: str) -> JSONResponse:
    """The error shape of every API route: `{"error": "<one line>"}`."""
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status)


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


@router.get("/api/documents")
def documents(request: Request) -> JSONResponse:
    """Indexed documents with their metadata."""
    try:
        return JSONResponse({"documents": _service(request).documents()})
    except IndexPipelineError as e:
        return error(503, str(e))


@router.post("/api/ask")
async def ask(body: AskIn, request: Request) -> JSONResponse:
    """Answer one question; the body is exactly `Answer.to_json()`. 503 with Retry-After when busy."""
    history = [t.model_dump() for t in body.history]
    filters = body.filters.to_filters() if body.filters else None
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


def install_error_handlers(app: FastAPI) -> None:
    """Turn FastAPI's validation and HTTP errors on our routes into `{"error": ...}` bodies."""

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        if errors and errors[0].get("type") == "json_invalid":
            return error(422, "Nội dung yêu cầu không phải JSON hợp lệ (malformed JSON).")
        parts = []
        for e in errors[:3]:
            loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
            parts.append(f"{loc}: {e.get('msg', 'invalid')}")
        return error(422, "Yêu cầu không hợp lệ (invalid request): " + "; ".join(parts))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        return error(status, str(getattr(exc, "detail", "")) or "error")

    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
