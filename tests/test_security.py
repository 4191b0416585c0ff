"""Security: loopback by default and no public bind without protection; no share link, analytics or
upload route; the page works with every non-loopback connection blocked (browser), shows hostile text as
text, and neither logs nor feedback ever hold the LLM API key or the access token."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from tests.conftest import REPO
from tests.test_api import QUARTERLY, XSS_QUESTION, build_toy_index, toy_settings

API_KEY = "sk-test-never-log-me-7431"
TOKEN = "tok-never-log-me-5512"
HOSTILE_QUESTION = '<img src=x onerror="alert(7)"> [x](javascript:alert(8)) Ai chịu trách nhiệm báo cáo quý?'

# The server's interpreter: connections and name look-ups are allowed to loopback only; every other
# attempt is refused and written to $BLOCKED_LOG.
SERVER_BLOCKER = textwrap.dedent("""
    import os, socket, sys
    LOCAL = {"127.0.0.1", "::1", "localhost", None}
    def _note(what):
        with open(os.environ["BLOCKED_LOG"], "a", encoding="utf-8") as f:
            f.write(what + "\\n")
    _connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
    def _local(self, addr):
        return self.family == socket.AF_UNIX or (isinstance(addr, tuple) and addr[0] in LOCAL)
    def connect(self, addr, *a, **k):
        if _local(self, addr):
            return _connect(self, addr, *a, **k)
        _note(f"connect {addr}")
        raise OSError(f"network access blocked by test: {addr}")
    def connect_ex(self, addr, *a, **k):
        if _local(self, addr):
            return _connect_ex(self, addr, *a, **k)
        _note(f"connect {addr}")
        return 111
    def getaddrinfo(host, *a, **k):
        if host in LOCAL or (isinstance(host, bytes) and host.decode() in LOCAL):
            return _getaddrinfo(host, *a, **k)
        _note(f"getaddrinfo {host}")
        raise socket.gaierror(f"name look-up blocked by test: {host}")
    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
    from assistant.cli import main
    sys.argv = ["assistant"] + sys.argv[1:]
    main()
""")


def base_env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "HTTP_PROXY", "HTTPS_PROXY"))}
    env.update({"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_EMBED_BACKEND": "hash", **extra})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------ binding
def test_default_bind_is_loopback() -> None:
    assert Settings().host == "127.0.0.1"


@pytest.mark.integration
def test_public_bind_without_protection_refuses_to_start(tmp_path: Path) -> None:
    """From the command line (other addresses and the library calls: tests/test_access.py)."""
    r = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=base_env(tmp_path / "data"),
        cwd=REPO,
        timeout=120,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    line = r.stderr.strip()
    assert len(line.splitlines()) == 1 and "ASSISTANT_ACCESS_TOKEN" in line and "ASSISTANT_TRUSTED_HEADER" in line


# ----------------------------------------------------------------------------- share, analytics, uploads
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_toy_index(tmp_path_factory.mktemp("security"))


@pytest.mark.integration
def test_no_share_link_analytics_or_uploads(data_dir: Path) -> None:
    settings = toy_settings(data_dir)
    with BackgroundServer(create_app(settings)) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        config = c.get("/config").json()
        assert config["analytics_enabled"] is False and not config.get("share_url") and not config.get("is_space")
        assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False" and os.environ["HF_HUB_OFFLINE"] == "1"
        r = c.post("/gradio_api/upload", files={"files": ("../../../etc/evil.txt", b"x" * 100)})
        assert r.status_code == 403 and "error" in r.json()
        assert Path(os.environ["GRADIO_TEMP_DIR"]).is_relative_to(settings.data_dir)
    assert not Path("/tmp/gradio/evil.txt").exists()


# ------------------------------------------------------------------------- the page with the network off
@pytest.fixture(scope="module")
def blocked_server(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`assistant serve` with the network blocked, an access token, an (unreachable) LLM and its API key."""
    log = tmp_path_factory.mktemp("blocked") / "blocked.log"
    log.write_text("", encoding="utf-8")
    port = free_port()
    env = base_env(
        data_dir,
        BLOCKED_LOG=str(log),
        ASSISTANT_ACCESS_TOKEN=TOKEN,
        ASSISTANT_LLM="openai",
        ASSISTANT_LLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",  # nothing listens: the guard falls back
        ASSISTANT_LLM_MODEL="qwen",
        ASSISTANT_LLM_API_KEY=API_KEY,
        ASSISTANT_LLM_TIMEOUT_S="3",
        ASSISTANT_LOG_LEVEL="DEBUG",
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER_BLOCKER, "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            if httpx.get(url + "healthz", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.5)
    info: dict[str, Any] = {"url": url, "log": log, "data": data_dir, "output": ""}
    yield info
    proc.terminate()
    try:
        info["output"] = proc.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.integration
def test_api_works_with_the_network_blocked(blocked_server: dict[str, Any]) -> None:
    url, auth = blocked_server["url"], {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(url + "api/ask", json={"question": QUARTERLY}, timeout=60).status_code == 401
    body = httpx.post(url + "api/ask", json={"question": QUARTERLY}, headers=auth, timeout=60).json()
    assert body["mode"] == "extractive-fallback" and body["citations"]  # the LLM was tried, then the guard fell back
    r = httpx.post(
        url + "api/feedback",
        json={"question": body["question"], "answer": body["answer"], "vote": "down", "comment": f"key {API_KEY[:5]}"},
        headers=auth,
        timeout=60,
    )
    assert r.status_code == 200
    assert blocked_server["log"].read_text(encoding="utf-8") == ""


@pytest.mark.browser
def test_page_works_offline_and_escapes_everything(blocked_server: dict[str, Any]) -> None:
    from tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, WAIT_MS, ask

    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    url = blocked_server["url"]
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="vi-VN")
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{url}?token={TOKEN}", wait_until="load")  # sets the session cookie, drops the token
            assert TOKEN not in page.url
            page.locator("#tl-question textarea").wait_for(timeout=WAIT_MS)
            answer = ask(page, QUARTERLY)
            assert "[1]" in answer.locator(".tl-text").inner_text()
            hostile = ask(page, XSS_QUESTION)
            assert "<script>alert(1)</script>" in hostile.locator(".tl-card").first.inner_text()
            ask(page, HOSTILE_QUESTION)
            user = page.locator("#tl-chat .tl-user").last.inner_text()
            assert "onerror" in user and "javascript:alert(8)" in user  # shown as typed, as text
            chat = page.locator("#tl-chat")
            assert chat.locator("script").count() == 0 and chat.locator("img[src='x']").count() == 0
            assert chat.locator("a[href^='javascript']").count() == 0
            page.wait_for_timeout(500)
        finally:
            browser.close()
    outside = [
        u for u in requests if urlparse(u).scheme not in ("data", "blob") and urlparse(u).hostname not in LOCAL_HOSTS
    ]
    assert requests and not outside, outside[:5]
    assert not dialogs, dialogs
    assert blocked_server["log"].read_text(encoding="utf-8") == "", "the server tried to reach the network"


@pytest.mark.integration
def test_logs_and_feedback_never_hold_secrets(blocked_server: dict[str, Any]) -> None:
    """An answer that tries the LLM and a feedback line, then everything the server wrote is searched."""
    url, auth = blocked_server["url"], {"Authorization": f"Bearer {TOKEN}"}
    body = httpx.post(url + "api/ask", json={"question": QUARTERLY}, headers=auth, timeout=60).json()
    vote = {"question": body["question"], "answer": body["answer"], "vote": "up", "comment": f"token {TOKEN[:4]}"}
    assert httpx.post(url + "api/feedback", json=vote, headers=auth, timeout=60).status_code == 200
    data: Path = blocked_server["data"]
    written = [p for p in data.rglob("*") if p.is_file() and p.suffix in (".log", ".jsonl", ".json", ".txt")]
    logs = [p for p in written if p.suffix == ".log"]
    assert logs and (data / "feedback.jsonl").is_file()
    assert any("LLM call failed" in p.read_text(encoding="utf-8", errors="replace") for p in logs)  # it was used
    for p in written:
        text = p.read_text(encoding="utf-8", errors="replace")
        assert API_KEY not in text and TOKEN not in text, p
