"""Access control: public binds refused without protection, token/cookie and trusted-header flows, and the
token kept out of logs. Real server on 127.0.0.1 over a real (hash-embedder) index."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import http.client
import logging
import re
import socket
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from assistant.access import COOKIE_NAME, check_exposure, cookie_value, install_access_control
from assistant.errors import ConfigError
from assistant.redact import RedactFilter, add_secrets
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


@pytest.mark.integration
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


@pytest.mark.integration
def test_trusted_header_from_the_proxy(data_dir: Path) -> None:
    settings = toy_settings(data_dir, host="10.1.2.3", trusted_header="X-Remote-User")
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert_error(c.get("/api/documents"), 401)
        assert c.get("/api/documents", headers={"X-Remote-User": "nguyen.van.a"}).status_code == 200
        assert c.get("/", headers={"x-remote-user": "nguyen.van.a"}).status_code == 200


def test_access_log_never_shows_the_token() -> None:
    add_secrets(TOKEN)
    for path in (
        f"/?token={TOKEN}&x=1",
        "/?Token=other-value&x=1",
        "/?%74oken=other-value&x=1",
        "/?x=1&TOKEN=other-value",
        f"/{TOKEN}?x=1",
        "/" + "".join(f"%{ord(ch):02X}" for ch in TOKEN) + "?x=1",
    ):
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "GET", path, "1.1", 303),
            None,
        )
        RedactFilter().filter(record)
        message = record.getMessage()
        assert TOKEN not in message and "other-value" not in message and "x=1" in message, message
        assert isinstance(record.args, tuple) and len(record.args) == 5  # uvicorn's AccessFormatter unpacks them


# --------------------------------------------------------------------------- the ?token= redirect
HOSTILE_PATHS = [
    "/%5C%5Cevil.example",
    "/%5C%5C127.0.0.1:7891",
    "//evil.example",
    "/\\evil.example",
    "/\\\\evil.example",
    "/%2F%2Fevil.example",
    "/%2F%5Cevil.example",
    "/a/..%2F..%2F%2Fevil.example",
    "/http:%5C%5Cevil.example",
    "/javascript:alert(1)",
    "/%09%5C%5Cevil.example",
    "/%0D%0A%5C%5Cevil.example",
    "/%5C%09%5Cevil.example",
    "/..",
    "/%2E%2E",
]
SAFE_LOCATION = re.compile(r"\./[A-Za-z0-9%._~-]*(\?[!$&'()*+,;=:@/?%\[\]A-Za-z0-9._~-]*)?")


def redirect(url: str, target: str) -> tuple[int, str]:
    """Status and Location of GET `target`, sent exactly as written (no client-side normalising)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        conn.endheaders()
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader("location") or ""
    finally:
        conn.close()


def raw_response_head(url: str, target: bytes) -> str:
    """The response head to a request line holding `target` byte for byte."""
    with socket.create_connection(("127.0.0.1", urlsplit(url).port or 80), timeout=30) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return sock.recv(65536).decode("latin-1")


def assert_same_origin(location: str) -> None:
    """A relative reference that no browser reads as another host or scheme."""
    assert SAFE_LOCATION.fullmatch(location), location
    assert "\\" not in location and not any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in location)
    assert urlsplit(urljoin("http://intranet.example/tro-ly/a/b", location)).netloc == "intranet.example"


@pytest.mark.integration
def test_token_redirect_stays_on_the_same_page(data_dir: Path) -> None:
    settings = toy_settings(data_dir, access_token=TOKEN)
    with BackgroundServer(create_app(settings)) as srv:
        for path in HOSTILE_PATHS:
            status, location = redirect(srv.url, f"{path}?token={TOKEN}&lang=vi")
            assert status == 303, path
            assert_same_origin(location)
            assert location.endswith("?lang=vi") and TOKEN not in location
        assert redirect(srv.url, f"/?token={TOKEN}") == (303, "./")
        assert redirect(srv.url, "/sub/page?token=" + TOKEN + "&a=b") == (303, "./page?a=b")
        assert redirect(srv.url, f"/sub/ghi%20ch%C3%BA?a=1&token={TOKEN}&Token=x&b=%5C") == (
            303,
            "./ghi%20ch%C3%BA?a=1&b=%5C",
        )
        # A raw tab or backslashes in the request line itself: refused by the server, or made safe.
        for raw in (b"/\t\\\\evil.example", b"/\\/evil.example", b"/x\\\\evil.example"):
            head = raw_response_head(srv.url, raw + b"?token=" + TOKEN.encode())
            found = re.search(r"(?im)^location: (.*)\r$", head)
            if found:
                assert_same_origin(found.group(1))
            else:
                assert head.startswith("HTTP/1.1 400"), head


# ------------------------------------------------------------------------------------ trusted header
def test_trusted_header_warns_that_the_proxy_must_own_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="assistant.access")
    for host, public in (("127.0.0.1", False), ("10.1.2.3", True), ("0.0.0.0", True)):
        caplog.clear()
        install_access_control(FastAPI(), toy_settings(tmp_path, host=host, trusted_header="X-Remote-User"))
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "X-Remote-User" in warnings[0] and "proxy" in warnings[0]
        assert ("CẢNH BÁO" in warnings[0] and host in warnings[0] and "127.0.0.1" in warnings[0]) == public
    caplog.clear()
    install_access_control(FastAPI(), toy_settings(tmp_path, host="0.0.0.0", access_token=TOKEN))
    assert not caplog.records


@pytest.mark.integration
def test_root_path_is_used_for_gradio_urls(data_dir: Path) -> None:
    settings = toy_settings(data_dir, root_path="/tro-ly")
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        assert c.get("/config").json()["root"].endswith("/tro-ly")
        assert c.get("/healthz").status_code == 200
