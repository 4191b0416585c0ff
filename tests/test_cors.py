"""Which other origins may read the app's responses (assistant/cors.py): Gradio's own layer granted any origin,
with credentials, whenever the app was reached under a host name that is not localhost."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings

pytestmark = pytest.mark.integration

PORTAL = "https://portal.example.gov.vn"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.test_api import build_toy_index, toy_settings

    settings: Settings = toy_settings(build_toy_index(tmp_path_factory.mktemp("cors")), embed_origins=[PORTAL])
    with BackgroundServer(create_app(settings)) as srv:
        yield srv.url


def _grant(base_url: str, path: str, origin: str, host: str = "troly.intranet", method: str = "GET") -> str | None:
    headers = {"Origin": origin, "Host": host}
    if method == "OPTIONS":
        headers["Access-Control-Request-Method"] = "POST"
    r = httpx.request(method, base_url + path, headers=headers, timeout=30)
    return r.headers.get("access-control-allow-origin")


@pytest.mark.parametrize("path", ["config", "gradio_api/info"])
def test_a_foreign_site_cannot_read_the_apps_responses(base_url: str, path: str) -> None:
    """Before: /config (the document list) answered `Access-Control-Allow-Origin: https://evil.example` with
    credentials allowed when the app was reached as troly.intranet."""
    assert _grant(base_url, path, "https://evil.example") is None
    assert _grant(base_url, path, "https://evil.example", method="OPTIONS") is None
    assert _grant(base_url, path, "null") is None


def test_the_listed_portal_and_local_development_keep_their_grant(base_url: str) -> None:
    assert _grant(base_url, "config", PORTAL) == PORTAL  # the web component on the listed portal works
    assert _grant(base_url, "config", "http://127.0.0.1:8001", host="127.0.0.1:7860") == "http://127.0.0.1:8001"
