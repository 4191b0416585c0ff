"""The Word export across origins: a portal page that embeds the chat as a `<gradio-app>` web component may call
POST /api/export/docx only when its origin is in `embed_origins` (CORS on that route only, preflight checked);
every other origin and every other route stay closed, and the access rule still applies. Real server, no index
(the export needs none)."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import io
from collections.abc import Iterator
from pathlib import Path

import docx
import httpx
import pydantic
import pytest

from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from tests.test_api import toy_settings

pytestmark = pytest.mark.integration

PORTAL = "http://portal.example:8000"
TOKEN = "export-token-123"
CONVERSATION = {
    "title": "Hội thoại",
    "turns": [
        {
            "q": "Ai ký kế hoạch?",
            "a": "Phó Chủ tịch ký [1].",
            "sources": [{"n": 1, "heading": "Kế hoạch 08/KH-UBND — Dân vận", "source": "a.txt", "quote": "ký"}],
        }
    ],
}


def preflight(client: httpx.Client, path: str, origin: str, method: str = "POST", headers: str = "content-type"):
    return client.options(
        path,
        headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    settings = toy_settings(tmp_path_factory.mktemp("export") / "data", embed_origins=PORTAL)
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        yield c


def test_an_allowed_portal_may_preflight_and_read_the_export(client: httpx.Client) -> None:
    r = preflight(client, "/api/export/docx", PORTAL)
    assert r.status_code == 204, r.text
    assert r.headers["access-control-allow-origin"] == PORTAL
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["access-control-allow-methods"] == "POST"
    assert r.headers["access-control-allow-headers"] == "content-type" and "Origin" in r.headers["vary"]
    r = client.post("/api/export/docx", json=CONVERSATION, headers={"Origin": PORTAL})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == PORTAL
    texts = [p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs]
    assert "Câu hỏi 1: Ai ký kế hoạch?" in texts


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [
        ("http://evil.example", "POST", "content-type"),  # not on the list
        ("http://portal.example:8001", "POST", "content-type"),  # same host, another port: another origin
        ("null", "POST", "content-type"),  # sandboxed frames and file:// pages
        (PORTAL, "PUT", "content-type"),  # only the export's own method
        (PORTAL, "POST", "content-type, authorization"),  # no credentials header across origins
    ],
)
def test_other_origins_methods_and_headers_are_refused(client: httpx.Client, origin: str, method: str, headers: str):
    r = preflight(client, "/api/export/docx", origin, method, headers)
    assert r.status_code == 403 and list(r.json()) == ["error"]
    assert "access-control-allow-origin" not in r.headers
    if origin != PORTAL:
        r = client.post("/api/export/docx", json=CONVERSATION, headers={"Origin": origin})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers  # made, not readable there


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback", "/api/documents", "/healthz", "/tai-lieu/x"])
def test_only_the_export_route_is_opened_to_the_portal(client: httpx.Client, path: str) -> None:
    assert "access-control-allow-origin" not in preflight(client, path, PORTAL).headers
    r = client.get(path, headers={"Origin": PORTAL})
    assert "access-control-allow-origin" not in r.headers, path


def test_no_origin_is_allowed_by_default(tmp_path: Path) -> None:
    settings = toy_settings(tmp_path / "data")
    assert settings.embed_origins == []
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        r = preflight(c, "/api/export/docx", PORTAL)
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers


def test_the_access_token_still_applies_to_an_allowed_portal(tmp_path: Path) -> None:
    settings = toy_settings(tmp_path / "data", embed_origins=PORTAL, access_token=TOKEN)
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        r = c.post("/api/export/docx", json=CONVERSATION, headers={"Origin": PORTAL})
        assert r.status_code == 401 and "access-control-allow-origin" not in r.headers
        r = c.post(
            "/api/export/docx", json=CONVERSATION, headers={"Origin": PORTAL, "Authorization": f"Bearer {TOKEN}"}
        )
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == PORTAL


def test_embed_origins_are_exact_origins() -> None:
    s = Settings(embed_origins="HTTPS://Portal.Example.gov.vn/, http://127.0.0.1:8000")
    assert s.embed_origins == ["https://portal.example.gov.vn", "http://127.0.0.1:8000"]
    for bad in ("*", "null", "https://portal.example/trang", "portal.example", "ftp://portal.example"):
        with pytest.raises(pydantic.ValidationError):
            Settings(embed_origins=bad)
