"""What a client may ask of the Gradio side of the server: the routes the chat page uses, text inputs only.

Gradio (6.31) copies any `{"path": …, "meta": {"_type": "gradio.FileData"}}` object found in an event's
inputs into its cache and serves the copy at `/gradio_api/file=…`. Its own check of such paths is skipped
for apps mounted with `gr.mount_gradio_app` (it only runs once `launch()` was called), so a chat history
holding a file object made any file the server can read downloadable (docs/SECURITY.md). This gate sits in
front of Gradio and:

- answers 404 for every Gradio route the page does not use (file and proxy routes, uploads, component
  server, streaming, monitoring, run history…);
- reads the JSON body of every event call (queue/join, call/run/api) before Gradio sees it, and refuses
  it unless each input is text, a number, a boolean, null or a list of those: no object (file, image,
  chat message with a file) gets through, anywhere in the body;
- bounds those bodies (`MAX_EVENT_BYTES`).

Our own routes (`/api/…`, `/healthz`, `/gradio.js`, the document library `/tai-lieu` and its pages
`/tai-lieu/…`) are not Gradio's and pass through untouched.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

MAX_EVENT_BYTES = 1_000_000  # a question is at most 100,000 characters (api.MAX_TEXT); the page sends one at a time
OWN_ROUTES = re.compile(
    r"^/(api/|healthz$|gradio\.js$|tai-lieu(?:/|$)|gradio_api/upload/?$)"
)  # FastAPI's (upload: 403)

# Routes of Gradio that the chat page, its `<gradio-app>` embed and gradio_client calling `ask` need, by method.
_GET = re.compile(
    r"^/(?:"
    r"|config/?|theme\.css|favicon\.ico|robots\.txt"
    r"|assets/[^?]*|static/[^?]*|svelte/[^?]*"
    r"|gradio_api/(?:info/?|config/?|app_id/?|heartbeat/[\w-]+|queue/data|startup-events|call/ask/[\w-]+)"
    r")$"
)
_POST = re.compile(r"^/gradio_api/(?:queue/join|call/ask|run/ask|api/ask|cancel|reset)/?$")
_EVENT_CALLS = re.compile(r"^/gradio_api/(?:queue/join|call/ask|run/ask|api/ask)/?$")
# Keys of Gradio's file objects (FileData, ImageData…): refused wherever they appear in an event body.
_FILE_KEYS = frozenset({"path", "url", "meta", "orig_name", "mime_type", "is_stream", "file"})

NOT_FOUND = "Không tìm thấy (not found)."
TEXT_ONLY = "Chỉ nhận câu hỏi và bộ lọc dạng văn bản; tệp hay đối tượng khác bị từ chối (text inputs only)."
TOO_LARGE = "Yêu cầu quá lớn (request body too large)."
BAD_BODY = "Nội dung yêu cầu không phải JSON hợp lệ (malformed JSON)."


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def text_only_inputs(data: Any) -> bool:
    """Whether an event's `data` holds only text-like inputs: scalars, or lists of scalars."""
    if not isinstance(data, list):
        return False
    return all(_scalar(v) or (isinstance(v, list) and all(_scalar(x) for x in v)) for v in data)


def has_file_object(value: Any, depth: int = 0) -> bool:
    """Whether any object nested in `value` looks like one of Gradio's file payloads (or is too deep to tell)."""
    if depth > 32:
        return True
    if isinstance(value, dict):
        if _FILE_KEYS & set(value) or value.get("_type") or value.get("type") == "file":
            return True
        return any(has_file_object(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(has_file_object(v, depth + 1) for v in value)
    return False


def check_event_body(raw: bytes) -> str | None:
    """None if an event call's body may reach Gradio, else the reason it is refused."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return BAD_BODY
    if not isinstance(body, dict) or has_file_object(body):
        return TEXT_ONLY
    if not text_only_inputs(body.get("data", [])):
        return TEXT_ONLY
    return None


class GradioGate:
    """ASGI middleware in front of the Gradio mount: route allowlist and text-only event inputs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        prefix = (scope.get("root_path") or "").rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        if OWN_ROUTES.match(path):
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "WS")
        allowed = (
            (method in ("GET", "HEAD") and _GET.match(path))
            or (method == "POST" and _POST.match(path))
            or (method == "OPTIONS" and (_GET.match(path) or _POST.match(path)))  # CORS preflight of the embed
        )
        if not allowed:
            log.info("gradio route refused: %s %s", method, path)
            await _reply(scope, send, 404, NOT_FOUND)
            return
        if method == "POST" and _EVENT_CALLS.match(path):
            raw = await _read_body(receive, MAX_EVENT_BYTES)
            if raw is None:
                log.warning("gradio event refused (%s): body over %d bytes", path, MAX_EVENT_BYTES)
                await _reply(scope, send, 413, TOO_LARGE)
                return
            if (reason := check_event_body(raw)) is not None:
                log.warning("gradio event refused (%s): %s", path, reason)
                await _reply(scope, send, 400, reason)
                return
            await self.app(scope, _replay(raw, receive), send)
            return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes `limit` bytes (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(raw: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already read body to the app once, then passes on the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


async def _reply(scope: Scope, send: Send, status: int, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"error": message}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
