"""No server file is readable through Gradio: file objects posted to every Gradio endpoint, pointing inside
and outside the data folder, are refused before Gradio copies them; nothing lands in Gradio's cache and
nothing is served. Real server on 127.0.0.1 over a real (hash-embedder) index."""

from __future__ import annotations

import assistant.offline  # noqa: F401

# isort: split
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from gradio_client import Client

from assistant.gradio_gate import check_event_body, has_file_object, text_only_inputs
from assistant.server import BackgroundServer, create_app
from assistant.settings import Settings
from index.layout import MANIFEST
from tests.test_api import QUARTERLY, build_toy_index, toy_settings

SECRET = "bí-mật-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return toy_settings(build_toy_index(tmp_path_factory.mktemp("gradio-files")))


@pytest.fixture(scope="module")
def targets(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Files an attacker would want: one outside the data folder, the index manifest and the feedback file
    inside it, and system files."""
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text(SECRET, encoding="utf-8")
    settings.feedback_path.write_text(json.dumps({"question": SECRET}) + "\n", encoding="utf-8")
    paths = [outside, settings.index_dir / MANIFEST, settings.feedback_path, Path("/etc/hostname")]
    return [p for p in paths if p.is_file()]


@pytest.fixture(scope="module")
def base(settings: Settings) -> Iterator[str]:
    with BackgroundServer(create_app(settings)) as srv:
        yield srv.url


def file_object(path: Path) -> dict[str, Any]:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}, "orig_name": path.name}


def payloads(path: Path, n_inputs: int) -> list[list[Any]]:
    """Event inputs carrying a file object in each place a client could put one."""
    fobj = file_object(path)
    chat_message = [{"role": "user", "content": [{"type": "file", "file": fobj}]}]
    out = [
        ["Ba Đình làm gì?", chat_message, [], [], "", ""],  # the reported exploit: a file in the chat history
        ["Ba Đình làm gì?", [{"role": "user", "content": fobj}], [], [], "", ""],
    ]
    for i in range(max(n_inputs, 1)):  # a file object as each input in turn, bare and in a list
        out.append([fobj if j == i else "" for j in range(max(n_inputs, 1))])
        out.append([[fobj] if j == i else "" for j in range(max(n_inputs, 1))])
    return out


def cached_copies(settings: Settings, targets: list[Path]) -> list[Path]:
    """Files in Gradio's temp folder (and /tmp/gradio) that are copies of a target."""
    wanted = {p.read_bytes() for p in targets}
    found = []
    for root in (settings.data_dir / "tmp", Path("/tmp/gradio")):
        for folder, _, files in os.walk(root):
            for name in files:
                f = Path(folder) / name
                try:
                    if f.read_bytes() in wanted or any(name == t.name for t in targets):
                        found.append(f)
                except OSError:
                    continue
    return found


def drain(c: httpx.Client, url: str, params: dict[str, str] | None = None) -> str:
    """Read an event stream for a few seconds (Gradio processes an event while its stream is open)."""
    text = ""
    try:
        with c.stream("GET", url, params=params, timeout=10) as r:
            for line in r.iter_lines():
                text += line + "\n"
                if "process_completed" in line or line.startswith("event: complete") or "event: error" in line:
                    break
    except httpx.HTTPError:
        pass
    return text


@pytest.mark.integration
def test_file_payloads_are_refused_on_every_endpoint(base: str, settings: Settings, targets: list[Path]) -> None:
    assert targets, "no target files"
    with httpx.Client(base_url=base, timeout=30) as c:
        config = c.get("/config").json()
        fns = [(i, len(dep.get("inputs", []))) for i, dep in enumerate(config["dependencies"])]
        n_ask = next(n for i, n in fns if config["dependencies"][i].get("api_name") == "ask")
        replies: list[str] = []
        for path in targets:
            for data in payloads(path, n_ask):
                for route in ("/gradio_api/call/ask", "/gradio_api/run/ask", "/gradio_api/api/ask"):
                    r = c.post(route, json={"data": data})
                    replies.append(r.text)
                    assert r.status_code >= 400, (route, data, r.text)
                    if r.status_code < 400 and "event_id" in r.text:
                        replies.append(drain(c, f"{route}/{r.json()['event_id']}"))
                r = c.post("/gradio_api/call/v2/ask", json={"data": data})
                replies.append(r.text)
                assert r.status_code >= 400, r.text
            for fn_index, n_inputs in fns:  # every function of the page, named or not
                for data in payloads(path, n_inputs):
                    session = secrets.token_hex(6)
                    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None}
                    r = c.post("/gradio_api/queue/join", json=body)
                    replies.append(r.text)
                    assert r.status_code >= 400, (fn_index, data, r.text)
                    replies.append(drain(c, "/gradio_api/queue/data", {"session_hash": session}))
            # routes that take a path or a component call directly
            for method, url, kw in (
                ("POST", "/gradio_api/component_server", {"json": {"data": file_object(path), "fn_name": "x"}}),
                ("POST", "/gradio_api/upload", {"files": {"files": (path.name, b"x")}}),
                ("POST", "/gradio_api/process_recording", {"json": file_object(path)}),
                ("GET", f"/gradio_api/file={path}", {}),
                ("GET", f"/gradio_api/file={quote(str(path))}", {}),
                ("GET", f"/gradio_api/file/{path}", {}),
                ("GET", f"/file={path}", {}),
                ("GET", f"/gradio_api/proxy=http://127.0.0.1:1{path}", {}),
                ("GET", f"/gradio_api/stream/x/0/0/{path.name}", {}),
            ):
                r = c.request(method, url, **kw)
                replies.append(r.text)
                assert r.status_code in (400, 403, 404, 405), (url, r.status_code)
        joined = "\n".join(replies)
        assert "/gradio_api/file=" not in joined and "gradio_api/file=" not in joined
        for path in targets:
            assert path.read_text(encoding="utf-8", errors="replace")[:40] not in joined
        assert SECRET not in joined
        assert cached_copies(settings, targets) == []
        # and a copy that would be there is not served either: the file route answers nothing at all
        tmp_file = settings.data_dir / "tmp" / "planted.txt"
        tmp_file.parent.mkdir(parents=True, exist_ok=True)
        tmp_file.write_text(SECRET, encoding="utf-8")
        assert c.get(f"/gradio_api/file={tmp_file}").status_code == 404


@pytest.mark.integration
def test_page_routes_and_text_calls_still_work(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as c:
        assert c.get("/").status_code == 200 and c.get("/config").status_code == 200
        assert c.get("/theme.css").status_code == 200
        info = c.get("/gradio_api/info").json()
        assert list(info["named_endpoints"]) == ["/ask"]
        params = [p["parameter_name"] for p in info["named_endpoints"]["/ask"]["parameters"]]
        assert params == ["question", "sources", "issuers", "year_min", "year_max"]  # no chat history input
    _, chat = Client(base, verbose=False).predict(QUARTERLY, [], [], "", "", api_name="/ask")
    assert 'class="tl-card"' in chat[-1]["content"][0]["text"]


@pytest.mark.integration
def test_unused_gradio_routes_are_closed(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as c:
        for url in ("/gradio_api/upload_progress", "/monitoring", "/gradio_api/runs", "/gradio_api/vibe-code"):
            r = c.get(url)
            assert r.status_code == 404 and list(r.json()) == ["error"], url


@pytest.mark.parametrize(
    "data, ok",
    [
        (["câu hỏi", [], ["a.txt"], [], "2010", None], True),
        ([], True),
        ([{"path": "/etc/passwd"}], False),
        (["q", [{"role": "user", "content": "x"}]], False),  # chat messages are never an input
        (["q", [["nested"]]], False),
        ("not a list", False),
    ],
)
def test_event_inputs_must_be_text(data: Any, ok: bool) -> None:
    assert text_only_inputs(data) is ok
    assert (check_event_body(json.dumps({"data": data}).encode()) is None) is ok


def test_file_objects_are_found_at_any_depth() -> None:
    deep: Any = {"x": [{"y": {"type": "file", "file": {}}}]}
    assert has_file_object(deep) and has_file_object({"event_data": {"meta": {"_type": "gradio.FileData"}}})
    assert not has_file_object({"data": ["a", 1, None], "fn_index": 0, "session_hash": "s"})
    assert check_event_body(b"{not json") is not None and check_event_body(b"[" * 5000 + b"]" * 5000) is not None
