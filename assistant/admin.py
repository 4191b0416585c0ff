"""Document administration: who is an administrator, protection against cross-site requests, and the routes.

The administrator right is separate from, and in addition to, the access control of `assistant.access`:
- `ASSISTANT_ADMIN_TOKEN`, sent as `X-Admin-Token` or `Authorization: Bearer` (compared in constant time, never
  logged), or typed once on the admin page and then kept as an HttpOnly, SameSite=Strict cookie holding an HMAC
  of it (the cookie never reveals the token);
- or `ASSISTANT_ADMIN_HEADER` (set by the reverse proxy, e.g. `X-Remote-Groups`) naming a group of
  `ASSISTANT_ADMIN_GROUPS`.
With neither configured nobody is an administrator. A request whose right comes from an ambient credential
(the cookie, the proxy header) changes nothing unless it carries `X-Assistant-Csrf: 1` (a header a cross-site
form cannot send, and a cross-site script cannot send without a CORS pre-flight, which is never allowed) and a
same-origin `Origin` (or `Referer`).

Routes (answered by `AdminRoutes` before the body limits of `assistant.api` and the Gradio gate):
`GET/POST /quan-tri/tai-lieu` (the page; its POST takes the token once), `POST /quan-tri/dang-xuat`,
`/quan-tri/admin.js|admin.css`, `POST /api/documents`, `GET /api/documents/jobs/{id}`, `DELETE /api/documents/{id}`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from python_multipart.multipart import parse_options_header
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant import admin_page
from assistant.admin_jobs import Library
from assistant.http import error, route_path
from assistant.redact import add_secrets
from assistant.settings import Settings
from assistant.uploads import MAX_FIELD_BYTES, UploadError, discard, read_multipart

log = logging.getLogger(__name__)

COOKIE_NAME = "tro_ly_admin"
CSRF_HEADER = "x-assistant-csrf"
TOKEN_HEADER = "x-admin-token"
FORBIDDEN = "Cần quyền quản trị tài liệu (administrator right required)."
CSRF_REFUSED = (
    "Yêu cầu bị từ chối: thiếu tiêu đề X-Assistant-Csrf hoặc không cùng nguồn gốc (cross-site request refused)."
)
DELETE_WAIT_S = 600.0
MAX_WHO_CHARS = 200


def admin_cookie(token: str) -> str:
    """What the admin cookie holds: an HMAC of the token (another key than the access cookie's)."""
    return hmac.new(token.encode(), b"tro-ly-admin-v1", hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def admin_identity(request: Request, settings: Settings) -> tuple[str, bool] | None:
    """(who, ambient) for an administrator, None for anyone else. `who` is the proxy's user header when
    `ASSISTANT_TRUSTED_HEADER` names one, else "admin-token" or "admin-group"; `ambient` says the right came
    from a credential the browser sends by itself (the cookie or the proxy's group header)."""
    headers = request.headers
    token = settings.admin_token.get_secret_value()
    right: tuple[str, bool] | None = None
    if token:
        auth = headers.get("authorization", "")
        bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if _same(headers.get(TOKEN_HEADER, "").strip(), token) or _same(bearer, token):
            right = ("admin-token", False)
        elif _same(request.cookies.get(COOKIE_NAME, ""), admin_cookie(token)):
            right = ("admin-token", True)
    if right is None and settings.admin_header and settings.admin_groups:
        wanted = {g.casefold() for g in settings.admin_groups}
        raw = headers.get(settings.admin_header, "")
        if any(g.strip().casefold() in wanted for g in raw.replace(";", ",").split(",") if g.strip()):
            right = ("admin-group", True)
    if right is None:
        return None
    user = headers.get(settings.trusted_header, "") if settings.trusted_header else ""
    user = "".join(c for c in user if c.isprintable()).strip()[:MAX_WHO_CHARS]
    return (user or right[0], right[1])


def is_admin(request: Request, settings: Settings) -> bool:
    """Whether the request has the administrator right (see the module docstring)."""
    return admin_identity(request, settings) is not None


def _host_port(scheme: str, netloc: str) -> tuple[str, str]:
    """(host, port) of a netloc, lower case; the port empty when it is the scheme's default or absent."""
    parts = urlsplit(f"//{netloc.strip().lower()}")
    try:
        port = parts.port
    except ValueError:
        return ("", "")
    default = {"http": 80, "https": 443}.get(scheme)
    return (parts.hostname or "", "" if port in (None, default) else str(port))


def same_origin(request: Request) -> bool:
    """Whether `Origin` (or, without it, `Referer`) names this server's host (as the proxy forwards it: nginx's
    `$host` carries no port, and then any port of that host is taken as this server)."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    parts = urlsplit(source)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # absent, "null" (sandboxed frames, file:) or garbage
    forwarded = (request.headers.get("x-forwarded-host") or request.headers.get("host") or "").split(",")[0]
    host, port = _host_port(parts.scheme, forwarded)
    origin_host, origin_port = _host_port(parts.scheme, parts.netloc)
    if not host or origin_host != host:
        return False
    return origin_port == port or (not port and ":" not in forwarded.strip().rsplit("]", 1)[-1])


def csrf_ok(request: Request, ambient: bool) -> bool:
    """Whether a state-changing request may act: always with an explicit token header; with an ambient
    credential only with `X-Assistant-Csrf: 1` and a same-origin `Origin`/`Referer`."""
    return not ambient or (request.headers.get(CSRF_HEADER, "").strip() == "1" and same_origin(request))


def _library(request: Request) -> Library:
    return request.app.state.library  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _acting_admin(request: Request) -> str | JSONResponse:
    """The administrator's name for a state-changing request, or the 403 response."""
    identity = admin_identity(request, _settings(request))
    if identity is None:
        return error(403, FORBIDDEN)
    if not csrf_ok(request, identity[1]):
        log.warning("cross-site admin request refused: %s %s", request.method, request.url.path)
        return error(403, CSRF_REFUSED)
    return identity[0]


def request_limit(settings: Settings) -> int:
    """Bytes one upload request may carry: every file at its limit, plus room for the form's framing."""
    return int(settings.upload_max_files * settings.max_file_mb * 1_000_000) + 1_000_000


router = APIRouter()


@router.post("/api/documents")
async def upload(request: Request) -> JSONResponse:
    """Multipart `files` (one or more), optional `replace=<doc id>`: 202 with one job per file."""
    who = _acting_admin(request)
    if isinstance(who, JSONResponse):
        return who
    settings, library = _settings(request), _library(request)
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary", b"")
    if kind != b"multipart/form-data" or not boundary:
        return error(415, "Cần gửi tệp dạng multipart/form-data, trường «files» (unsupported media type).")
    limit = request_limit(settings)
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and (len(declared) > 15 or int(declared) > limit):
        return error(413, f"Nội dung tải lên quá lớn, tối đa {limit / 1e6:g} MB mỗi lần (request body too large).")
    try:
        files, fields = await read_multipart(
            request.stream(),
            boundary,
            library.incoming_dir,
            max_file_bytes=int(settings.max_file_mb * 1_000_000),
            max_total_bytes=limit,
            max_files=settings.upload_max_files,
        )
    except UploadError as e:
        return error(e.status, str(e))
    replace = fields.get("replace", "").strip()
    if not files:
        return error(400, "Không có tệp nào trong trường «files» (no file uploaded).")
    if replace and len(files) != 1:
        discard(files)
        return error(400, "Thay thế nhận đúng một tệp (replace takes exactly one file).")
    jobs = library.submit_upload(files, replace, who)
    return JSONResponse({"jobs": [j.to_json() for j in jobs]}, status_code=202)


@router.get("/api/documents/jobs/{job_id}")
def job_status(job_id: str, request: Request) -> JSONResponse:
    """Status of one upload or removal (administrators only)."""
    if not is_admin(request, _settings(request)):
        return error(403, FORBIDDEN)
    job = _library(request).job(job_id)
    if job is None:
        return error(404, "Không có công việc này (no such job).")
    return JSONResponse(job.to_json())


@router.delete("/api/documents/{doc_id:path}")
def remove(doc_id: str, request: Request) -> JSONResponse:
    """Remove a document from the index, and its stored original if it was uploaded."""
    who = _acting_admin(request)
    if isinstance(who, JSONResponse):
        return who
    job = _library(request).submit_remove(doc_id, who)
    if not job.done.wait(DELETE_WAIT_S):
        return JSONResponse({"job": job.to_json()}, status_code=202)
    if job.status == "done":
        return JSONResponse({"removed": doc_id})
    return error(404 if "no such document" in job.message else 409, job.message)


PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _page(request: Request, message: str = "", status: int | None = None) -> HTMLResponse:
    settings = _settings(request)
    admin = is_admin(request, settings)
    body = admin_page.render(
        admin=admin,
        token_login=bool(settings.admin_token.get_secret_value()),
        message=message,
        reload_ms=int(settings.reload_check_s * 1000),
        max_file_mb=settings.max_file_mb,
    )
    return HTMLResponse(body, status_code=status or (200 if admin else 403), headers=PAGE_HEADERS)


@router.get("/quan-tri/tai-lieu", response_class=HTMLResponse)
def admin_page_view(request: Request) -> HTMLResponse:
    """The admin page for administrators; a 403 page (with the token form, if a token is set) for others."""
    return _page(request)


@router.post("/quan-tri/tai-lieu", response_class=HTMLResponse)
async def admin_login(request: Request) -> Response:
    """Take the admin token once (a same-origin form) and keep its HMAC in an HttpOnly cookie."""
    settings = _settings(request)
    token = settings.admin_token.get_secret_value()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FIELD_BYTES:
            return _page(request, "Biểu mẫu quá lớn (form too large).", 413)
    given = (parse_qs(body.decode("utf-8", "replace")).get("token") or [""])[0].strip()
    if not token or not same_origin(request) or not _same(given, token):
        log.warning("admin login refused")
        return _page(request, "Mã quản trị không đúng (wrong administrator token).", 403)
    https = request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").startswith("https")
    response = RedirectResponse("tai-lieu", status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        admin_cookie(token),
        path=(settings.root_path.rstrip("/") or "") + "/",
        httponly=True,
        samesite="strict",
        secure=https,
    )
    return response


@router.post("/quan-tri/dang-xuat")
def admin_logout(request: Request) -> Response:
    """Forget the admin cookie (same-origin form only)."""
    if not same_origin(request):
        return error(403, CSRF_REFUSED)
    response = RedirectResponse("tai-lieu", status_code=303)
    response.delete_cookie(COOKIE_NAME, path=(_settings(request).root_path.rstrip("/") or "") + "/")
    return response


@router.get("/quan-tri/admin.js")
def admin_script() -> Response:
    """The admin page's script (served here: the page's CSP allows only 'self')."""
    return Response(admin_page.SCRIPT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/quan-tri/admin.css")
def admin_style() -> Response:
    """The admin page's style sheet."""
    return Response(admin_page.STYLE, media_type="text/css", headers={"Cache-Control": "no-cache"})


def admin_route(method: str, path: str) -> bool:
    """Whether `AdminRoutes` answers this request."""
    if path == "/quan-tri" or path.startswith("/quan-tri/") or path.startswith("/api/documents/jobs/"):
        return True
    return (path == "/api/documents" and method == "POST") or (
        path.startswith("/api/documents/") and method == "DELETE"
    )


class AdminRoutes:
    """ASGI middleware: the admin routes go to their own small app (own body limits: uploads are large);
    everything else goes on. Installed inside the access control, so it only sees admitted requests."""

    def __init__(self, app: ASGIApp, admin_app: ASGIApp) -> None:
        self.app = app
        self.admin_app = admin_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and admin_route(scope["method"], route_path(scope)):
            await self.admin_app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def build_admin_app(settings: Settings, library: Library) -> FastAPI:
    """The app of the admin routes, every error as `{"error": …}`."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings, app.state.library = settings, library
    app.include_router(router)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        if status == 404:
            return error(404, "Không có địa chỉ này (not found).")
        if status == 405:
            return error(405, "Địa chỉ này không nhận phương thức đó (method not allowed).")
        return error(status, f"Không xử lý được yêu cầu (HTTP {status}).")

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        return error(422, "Yêu cầu không hợp lệ (invalid request).")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    return app


def install_admin(app: FastAPI, settings: Settings, library: Library | None = None) -> Library:
    """Add the admin routes to the web app (call before the access control is added, so it runs first)."""
    add_secrets(settings.admin_token.get_secret_value())
    if settings.admin_header:
        log.warning(
            "ASSISTANT_ADMIN_HEADER=%s: nhóm trong tiêu đề này cấp quyền quản trị; proxy ngược phải xoá bản do trình "
            "duyệt gửi và tự đặt lại (the reverse proxy must overwrite the client's copy of this header).",
            settings.admin_header,
        )
    library = library or Library(settings, getattr(app.state, "service", None))
    app.state.library = library
    app.add_middleware(AdminRoutes, admin_app=build_admin_app(settings, library))
    # Listed in the app's own routes too, for the OpenAPI schema; requests to them are answered by
    # `AdminRoutes` before they reach these copies.
    app.include_router(router)
    return library
