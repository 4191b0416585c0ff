"""What the app's own HTTP routes share (the API, the document library, its administration): the one error
shape and the request path as routes see it."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import JSONResponse
from starlette.types import Scope


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The error shape of every API route: `{"error": "<one line>"}`."""
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status, headers=headers)


def route_path(scope: Scope) -> str:
    """The request path as routes see it (without a `root_path` prefix, when the server puts it in `path`)."""
    path: str = scope.get("path", "")
    prefix = (scope.get("root_path") or "").rstrip("/")
    return path[len(prefix) :] if prefix and path.startswith(prefix + "/") else path
