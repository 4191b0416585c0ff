"""Access control: public binds refused without protection, token/cookie and trusted-header flows, and the
token kept out of logs. Real server on 127.0.0.1 over a real (hash-embedder) index."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import logging
from pathlib import Path

import httpx
import pytest

from assistant.access import COOKIE_NAME, RedactTokenFilter, check_exposure, cookie_value
from assistant.errors import ConfigError
from assistant.server import BackgroundServer, create_app, run
from tests.test_api import QUARTERLY, assert_error, build_toy_index, toy_settings

TOKEN = "s3cret-token-Zq8"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_toy_index(tmp_path_factory.mktemp("access"))


def test_public_bind_without_access_control_is_refused(tmp_path: Path) -> None:
    public = toy_settings(tmp_path, host="0.0.0.0")
    with pytest.raises(ConfigError, match="ASSISTANT_ACCESS_TOKEN"):
        check_exposure(public)
    with pytest.raises(ConfigError):
        run(public)  # refuses before binding anything
    with pytest.raises(ConfigError):
        create_app(public)
    check_exposure(toy_settings(tmp_path, host="0.0.0.0", access_token=TOKEN))
    check_exposure(toy_settings(tmp_path, host="10.0.0.5", trusted_header="X-Remote-User"))
    check_exposure(toy_settings(tmp_path, host="::1"))


def test_token_header_and_cookie_flow(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = toy_settings(data_dir, host="0.0.0.0", access_token=TOKEN)
    with BackgroundServer(create_app(settings)) as srv:
        with httpx.Client(base_url=srv.url, timeout=60) as c:
            assert_error(c.get("/healthz"), 401)
            assert_error(c.get("/"), 401)
            assert_error(c.get("/gradio.js"), 401)
            assert_error(c.post("/api/ask", json={"question": QUARTERLY}), 401)
            assert_error(c.get("/healthz", headers={"Authorization": "Bearer wrong"}), 401)
            assert c.get("/healthz", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
            assert_error(c.get("/?token=wrong"), 401)
            r = c.get(f"/?token={TOKEN}&lang=vi")
            assert r.status_code == 303 and r.headers["location"] == "./?lang=vi"
            cookie = r.headers["set-cookie"]
            assert "HttpOnly" in cookie and TOKEN not in cookie
            assert cookie.startswith(f"{COOKIE_NAME}={cookie_value(TOKEN)};")
            assert c.get("/").status_code == 200  # the client kept the cookie
            assert c.post("/api/ask", json={"question": QUARTERLY}).status_code == 200
            assert c.get("/config").status_code == 200
        with httpx.Client(base_url=srv.url, timeout=60, cookies={COOKIE_NAME: "forged"}) as c:
            assert_error(c.get("/healthz"), 401)
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]  # not the client
    assert server_side and all(TOKEN not in r.getMessage() for r in server_side)


def test_trusted_header_from_the_proxy(data_dir: Path) -> None:
    settings = toy_settings(data_dir, host="10.1.2.3", trusted_header="X-Remote-User")
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert_error(c.get("/api/documents"), 401)
        assert c.get("/api/documents", headers={"X-Remote-User": "nguyen.van.a"}).status_code == 200
        assert c.get("/", headers={"x-remote-user": "nguyen.van.a"}).status_code == 200


def test_access_log_never_shows_the_token() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/?token={TOKEN}&x=1", "1.1", 303),
        None,
    )
    RedactTokenFilter().filter(record)
    assert TOKEN not in record.getMessage() and "token=***&x=1" in record.getMessage()


def test_root_path_is_used_for_gradio_urls(data_dir: Path) -> None:
    settings = toy_settings(data_dir, root_path="/tro-ly")
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert c.get("/config").json()["root"].endswith("/tro-ly")
        assert c.get("/healthz").status_code == 200
