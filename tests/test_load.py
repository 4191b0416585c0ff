"""Load: concurrent sessions get answers with their own histories and stable memory (a shortened run of
`python -m assistant.loadtest`), and questions beyond the answer slots get a Vietnamese "busy" reply at
once (HTTP 503 on the API), never a hang."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client

from assistant.engine import Assistant
from assistant.server import BackgroundServer, create_app
from assistant.service import BUSY
from tests.conftest import REPO
from tests.test_api import QUARTERLY, build_toy_index, toy_settings


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_toy_index(tmp_path_factory.mktemp("load"))


@pytest.mark.slow
def test_short_load_run_has_no_errors_or_mixed_histories(data_dir: Path, tmp_path: Path) -> None:
    """The CI form of the README's load test: 6 sessions for 15 s against `assistant serve`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update({"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_EMBED_BACKEND": "hash"})
    out = tmp_path / "load.json"
    cmd = [sys.executable, "-m", "assistant.loadtest", "--sessions", "6", "--seconds", "15", "--json", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads(out.read_text(encoding="utf-8"))
    assert s["errors"] == 0 and s["mixups"] == 0 and s["busy"] == 0
    assert s["requests"] >= 30 and s["p95_ms"]["gradio"] and s["p95_ms"]["http"]
    rss = s["rss_mib"]
    assert rss["end"] - rss["start"] < 150, rss  # no leak a short run could show
    assert "server RSS" in r.stdout and "p50 / p95" in r.stdout


def slow_assistant(settings: Any, delay_s: float) -> Assistant:
    """A real engine whose every answer takes at least `delay_s` (as on a busy CPU)."""
    a = Assistant.open(settings)
    ask, stream = a.ask, a.stream

    def slow_ask(*args: Any, **kwargs: Any) -> Any:
        time.sleep(delay_s)
        return ask(*args, **kwargs)

    def slow_stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
        time.sleep(delay_s)
        yield from stream(*args, **kwargs)

    a.ask, a.stream = slow_ask, slow_stream  # type: ignore[method-assign]
    return a


def fire(n: int, call: Any) -> list[Any]:
    """Run `call(i)` for i < n at the same time; the results in order."""
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            results[i] = call(i)
        except Exception as e:  # kept for the assertion message
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
        time.sleep(0.05)  # in order of arrival
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return results


@pytest.mark.integration
def test_api_beyond_the_slots_is_told_busy_at_once(data_dir: Path) -> None:
    settings = toy_settings(data_dir, concurrency_limit=1, queue_size=1, busy_timeout_s=20)
    with BackgroundServer(create_app(settings, slow_assistant(settings, 1.5))) as srv:
        t0 = time.monotonic()
        replies = fire(5, lambda i: httpx.post(srv.url + "api/ask", json={"question": QUARTERLY}, timeout=60))
        assert all(isinstance(r, httpx.Response) for r in replies), replies
        codes = [r.status_code for r in replies]
        assert codes.count(200) == 2 and codes.count(503) == 3, codes  # one answering, one waiting
        busy = [r for r in replies if r.status_code == 503]
        assert all(r.json() == {"error": BUSY} and r.headers["retry-after"] for r in busy)
        assert time.monotonic() - t0 < 10
        ok = httpx.post(srv.url + "api/ask", json={"question": QUARTERLY}, timeout=60)
        assert ok.status_code == 200  # slots are given back


@pytest.mark.integration
def test_waiting_longer_than_the_timeout_is_told_busy(data_dir: Path) -> None:
    settings = toy_settings(data_dir, concurrency_limit=1, queue_size=5, busy_timeout_s=0.5)
    with BackgroundServer(create_app(settings, slow_assistant(settings, 2.0))) as srv:
        replies = fire(2, lambda i: httpx.post(srv.url + "api/ask", json={"question": QUARTERLY}, timeout=60))
        assert sorted(r.status_code for r in replies) == [200, 503]


@pytest.mark.integration
def test_chat_page_beyond_the_slots_shows_busy_in_vietnamese(data_dir: Path) -> None:
    settings = toy_settings(data_dir, concurrency_limit=1, queue_size=1, busy_timeout_s=20)
    with BackgroundServer(create_app(settings, slow_assistant(settings, 1.5))) as srv:

        def chat(i: int) -> str:
            client = Client(srv.url, verbose=False)
            try:
                _, shown = client.predict(QUARTERLY, [], [], None, None, api_name="/ask")
            finally:
                client.close()
            return str(shown[-1]["content"][0]["text"])

        shown = fire(4, chat)
        srv.server.force_exit = True  # the clients' event streams would hold a graceful shutdown
        assert all(isinstance(s, str) for s in shown), shown
        busy = [s for s in shown if "Hệ thống đang bận" in s]
        answered = [s for s in shown if 'class="tl-card"' in s]
        assert len(busy) == 2 and len(answered) == 2, shown
        assert all('class="tl-error"' in s and "Traceback" not in s for s in busy)


@pytest.mark.integration
def test_server_keeps_at_most_max_sessions_in_memory(data_dir: Path) -> None:
    """Gradio keeps every session's state (about 150 KB each, 10,000 by default); ours are bounded."""
    settings = toy_settings(data_dir, max_sessions=10)
    app = create_app(settings)
    holder = next(r.app.state_holder for r in app.routes if hasattr(getattr(r, "app", None), "state_holder"))
    with BackgroundServer(app) as srv:
        client = Client(srv.url, verbose=False)
        try:
            for _ in range(15):
                client.reset_session()
                client.predict(QUARTERLY, [], [], None, None, api_name="/ask")
        finally:
            client.close()
        assert 5 <= len(holder.session_data) <= 10
        srv.server.force_exit = True
