"""Which other origins may read the app's answers: the page's own, the listed embedding portals, and (for local
development only) localhost pages.

Gradio's own CORS layer grants any origin, with credentials, whenever the app is reached under a host name that
is not localhost ("troly.intranet"): any site an official visits could then read `/config` (the document list)
or the queue's answers with the official's session cookie. This layer runs outermost and removes the
`Access-Control-Allow-*` headers from every response to a request whose `Origin` is not allowed, so browsers keep
such a response from the other site's script. Allowed: the same origin (scheme, host and port of the request),
an origin of `ASSISTANT_EMBED_ORIGINS` (a portal that embeds the chat as a web component), and a localhost origin
when the app itself is reached as localhost (Gradio's rule for local development, kept as it was).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import Settings, origin

_LOCALHOST = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "[::1]", "::1"})


def _host_name(host_or_url: str) -> str:
    netloc = urlsplit(host_or_url).netloc if "://" in host_or_url else host_or_url
    return (urlsplit(f"//{netloc}").hostname or "").lower()


def origin_allowed(request_origin: str, host: str, scheme: str, embed_origins: list[str]) -> bool:
    """Whether a page of `request_origin` may read a response of this app, reached as `scheme://host`.

    >>> origin_allowed("https://evil.example", "troly.intranet", "https", [])
    False
    >>> origin_allowed("https://troly.intranet", "troly.intranet", "https", [])
    True
    >>> origin_allowed("https://portal.example.gov.vn", "troly.intranet", "https", ["https://portal.example.gov.vn"])
    True
    >>> origin_allowed("http://127.0.0.1:8001", "127.0.0.1:7860", "http", [])
    True
    >>> origin_allowed("https://evil.example", "bad_host!", "https", [])
    False
    """
    try:
        wanted = origin(request_origin)
    except ValueError:  # "null", a path, garbage: never allowed
        return False
    try:
        own = origin(f"{scheme}://{host}")
    except ValueError:  # a Host header that is no host name: only the listed portals
        own = ""
    if wanted in (own, *embed_origins):
        return True
    return _host_name(host) in _LOCALHOST and _host_name(wanted) in _LOCALHOST


class CorsPolicy:
    """ASGI middleware: drops the CORS grant from responses to requests of an origin that is not allowed."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.embed_origins = list(settings.embed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_origin = headers.get("origin")
        host = headers.get("x-forwarded-host") or headers.get("host") or ""
        scheme = headers.get("x-forwarded-proto") or scope.get("scheme", "http")
        if request_origin is None or origin_allowed(request_origin, host, scheme, self.embed_origins):
            await self.app(scope, receive, send)
            return

        async def strip(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name in [k for k in out if k.lower().startswith("access-control-allow-")]:
                    del out[name]
            await send(message)

        await self.app(scope, receive, strip)
