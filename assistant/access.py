"""Access control: a shared token (header, or `?token=` once → HttpOnly cookie) or a proxy-set header.

Off when the server is bound to a loopback address and neither a token nor a trusted header is
configured. A public bind with neither is refused (`check_exposure`). The token is never logged:
the cookie holds an HMAC of it, only the exact `?token=` name is accepted, and every spelling of it
(`Token=`, `%74oken=`) is removed from the log (`assistant.redact`) and from the address bar.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from urllib.parse import quote, unquote_plus

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.errors import ConfigError
from assistant.redact import SECRET_PARAMS, add_secrets, protect, redact
from assistant.settings import Settings

log = logging.getLogger(__name__)

COOKIE_NAME = "tro_ly_session"
QUERY_PARAM = "token"
DENIED = "Cần xác thực: thiếu hoặc sai mã truy cập (access token required)."
# Characters a query string keeps as they are in the Location header; everything else is percent-encoded.
_QUERY_SAFE = "!$&'()*+,;=:@/?%[]"


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def access_required(settings: Settings) -> bool:
    """Whether requests must prove access (a token or trusted header is set, or the bind is public)."""
    return bool(settings.access_token.get_secret_value() or settings.trusted_header) or not is_loopback(settings.host)


def check_exposure(settings: Settings) -> None:
    """Refuse a non-loopback bind that has neither an access token nor a trusted proxy header."""
    if not is_loopback(settings.host) and not (settings.access_token.get_secret_value() or settings.trusted_header):
        raise ConfigError(
            f"Từ chối lắng nghe trên {settings.host} khi chưa bật xác thực: đặt ASSISTANT_ACCESS_TOKEN hoặc "
            "ASSISTANT_TRUSTED_HEADER, hoặc dùng --host 127.0.0.1 "
            "(refusing a public bind without access control)."
        )


def cookie_value(token: str) -> str:
    """What the session cookie holds: an HMAC of the token, so the cookie never reveals the token."""
    return hmac.new(token.encode(), b"tro-ly-session-v1", hashlib.sha256).hexdigest()


def query_token(query_string: str) -> str | None:
    """The value of the first parameter named exactly `token` (value percent-decoded), or None."""
    for part in query_string.split("&"):
        name, sep, value = part.partition("=")
        if name == QUERY_PARAM and sep:
            return unquote_plus(value)
    return None


def _is_secret_param(part: str) -> bool:
    return unquote_plus(part.partition("=")[0]).strip().lower() in SECRET_PARAMS


def same_page_location(path: str, query_string: str) -> str:
    """A relative reference to the same page with every token-like parameter removed.

    It always starts with `./` and its one path segment is fully percent-encoded (slashes, backslashes, colons,
    control characters), so a browser can never read it as another host or a scheme, whatever the request path
    held (`/%5C%5Cevil`, `//evil`, `/http:%5C%5Cevil`). Relative, so it stays right behind a path-stripping proxy.
    """
    last = path.rsplit("/", 1)[-1]
    segment = "" if last in (".", "..") else quote(last, safe="")
    rest = "&".join(p for p in query_string.split("&") if p and not _is_secret_param(p))
    return "./" + segment + (f"?{quote(rest.encode('latin-1'), safe=_QUERY_SAFE)}" if rest else "")


class AccessControl:
    """ASGI middleware: admits a request only with the token, its session cookie or the trusted header."""

    def __init__(self, app: ASGIApp, token: str = "", trusted_header: str = "", cookie_path: str = "/") -> None:
        self.app = app
        self._token = token.encode()
        self._cookie = cookie_value(token).encode() if token else b""
        self._header = trusted_header.lower()
        self._cookie_path = cookie_path or "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self._allowed(headers):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        given = query_token(query)
        if self._token and given is not None and hmac.compare_digest(given.encode(), self._token):
            if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
                await self._redirect_with_cookie(scope, headers, query, send)
            else:
                await self.app(scope, receive, send)
            return
        await self._deny(scope, send)

    def _allowed(self, headers: Headers) -> bool:
        if self._header and headers.get(self._header, "").strip():
            return True
        if not self._token:
            return False
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and hmac.compare_digest(auth[7:].strip().encode(), self._token):
            return True
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE_NAME and hmac.compare_digest(value.encode(), self._cookie):
                return True
        return False

    async def _redirect_with_cookie(self, scope: Scope, headers: Headers, query: str, send: Send) -> None:
        """Set the session cookie and reload the same page without the token in its address."""
        location = same_page_location(scope["path"], query)
        https = scope.get("scheme") == "https" or headers.get("x-forwarded-proto", "").startswith("https")
        cookie = (
            f"{COOKIE_NAME}={self._cookie.decode()}; Path={self._cookie_path}; HttpOnly; "
            f"SameSite={'None; Secure' if https else 'Lax'}"
        )
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode()),
                    (b"set-cookie", cookie.encode()),
                    (b"cache-control", b"no-store"),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _deny(self, scope: Scope, send: Send) -> None:
        log.info("access denied: %s %s", scope.get("method", "WS"), redact(scope.get("path", "")))
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"error": DENIED}, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b"Bearer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def warn_about_trusted_header(settings: Settings) -> None:
    """Say at start-up that anyone who can set the trusted header is let in, louder on a public bind."""
    if not settings.trusted_header:
        return
    header = settings.trusted_header
    if is_loopback(settings.host):
        log.warning(
            "ASSISTANT_TRUSTED_HEADER=%s: mọi yêu cầu có tiêu đề này đều được cho qua; proxy ngược phải xoá bản "
            "do trình duyệt gửi và tự đặt lại nó (any request carrying %s is let in: the reverse proxy must remove "
            "the client's own copy and set it itself).",
            header,
            header,
        )
        return
    log.warning(
        "CẢNH BÁO: lắng nghe trên %s với ASSISTANT_TRUSTED_HEADER=%s: ai kết nối thẳng tới cổng này và tự đặt "
        "tiêu đề đó đều vào được. Chỉ bind 127.0.0.1 (proxy cùng máy) hoặc địa chỉ mà chỉ proxy tới được; proxy "
        "phải xoá bản do trình duyệt gửi và tự đặt lại (WARNING: bound to %s with a trusted header: anyone who "
        "reaches this port directly and sets %s is let in; bind to 127.0.0.1 or an address only the proxy "
        "reaches, and make the proxy overwrite the client's copy of the header).",
        settings.host,
        header,
        settings.host,
        header,
    )


def install_access_control(app: object, settings: Settings) -> bool:
    """Add the middleware to a FastAPI/Starlette app when access control applies; returns whether it did."""
    add_secrets(settings.access_token.get_secret_value())
    # uvicorn's access log shows each path with its query string; its records never reach our handlers.
    protect(logging.getLogger("uvicorn.access"), logging.getLogger("uvicorn.error"))
    if not access_required(settings):
        return False
    check_exposure(settings)
    warn_about_trusted_header(settings)
    app.add_middleware(  # type: ignore[attr-defined]
        AccessControl,
        token=settings.access_token.get_secret_value(),
        trusted_header=settings.trusted_header,
        cookie_path=settings.root_path.rstrip("/") or "/",
    )
    return True
