"""Access control: a shared token (header, or `?token=` once → HttpOnly cookie) or a proxy-set header.

Off when the server is bound to a loopback address and neither a token nor a trusted header is
configured. A public bind with neither is refused (`check_exposure`). The token is never logged:
the cookie holds an HMAC of it, and `?token=` is stripped from the access log and the address bar.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.errors import ConfigError
from assistant.settings import Settings

log = logging.getLogger(__name__)

COOKIE_NAME = "tro_ly_session"
QUERY_PARAM = "token"
DENIED = "Cần xác thực: thiếu hoặc sai mã truy cập (access token required)."
_TOKEN_IN_URL = re.compile(r"((?:^|[?&])token=)[^&\s]*")


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


def redact_token(text: str) -> str:
    """`text` with any `token=` query value replaced by ***."""
    return _TOKEN_IN_URL.sub(r"\1***", text)


class RedactTokenFilter(logging.Filter):
    """Logging filter that removes `?token=` values from log records (uvicorn's access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message arguments in place; never drops a record."""
        if isinstance(record.args, tuple):
            record.args = tuple(redact_token(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact_token(record.msg)
        return True


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
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        if self._token and hmac.compare_digest(query.get(QUERY_PARAM, "").encode(), self._token):
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

    async def _redirect_with_cookie(self, scope: Scope, headers: Headers, query: dict[str, str], send: Send) -> None:
        """Set the session cookie and reload the same address without the token in it."""
        # Relative location: correct behind a path-stripping proxy without knowing its prefix.
        last = scope["path"].rsplit("/", 1)[-1] or "./"
        rest = urlencode([(k, v) for k, v in query.items() if k != QUERY_PARAM])
        location = last + (f"?{rest}" if rest else "")
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
        log.info("access denied: %s %s", scope.get("method", "WS"), scope.get("path", ""))
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


def install_access_control(app: object, settings: Settings) -> bool:
    """Add the middleware to a FastAPI/Starlette app when access control applies; returns whether it did."""
    if not access_required(settings):
        return False
    check_exposure(settings)
    app.add_middleware(  # type: ignore[attr-defined]
        AccessControl,
        token=settings.access_token.get_secret_value(),
        trusted_header=settings.trusted_header,
        cookie_path=settings.root_path.rstrip("/") or "/",
    )
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokenFilter) for f in access_log.filters):
        access_log.addFilter(RedactTokenFilter())
    return True
