"""Several app processes share one Chroma server (`chroma run`), as in the deployment of docs/SCALE.md.

One process indexes the bundled corpus into the server; two `assistant serve` processes answer from
it. The BM25 side (manifest, chunk list, BM25 files) is a shared index folder written only by the
indexer: each serving process has its own writable data folder (cache, logs, feedback) and reads the
shared folder through `ASSISTANT_INDEX_PATH` (a read-only network mount in production). When the
indexer adds a document, both serving processes reopen the index by themselves (`ASSISTANT_RELOAD_CHECK_S`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CHROMA = Path(sys.executable).parent / "chroma"
NEW_DOC = """ỦY BAN NHÂN DÂN QUẬN BA ĐÌNH
Số: 77/KH-UBND
Ba Đình, ngày 02 tháng 03 năm 2025
KẾ HOẠCH
Tổ chức ngày hội đọc sách năm 2025

I. MỤC ĐÍCH
Phòng Văn hóa và Thông tin tổ chức ngày hội đọc sách cho thiếu nhi tại các phường trong tháng 4.
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_index_once_answer_from_two_serving_processes(tmp_path: Path) -> None:
    import psutil

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    base_env.update(
        {"ANONYMIZED_TELEMETRY": "False", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    log = open(tmp_path / "chroma.log", "wb")
    handles = [log]
    try:
        chroma = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(tmp_path / "chroma-data"), "--host", "127.0.0.1", "--port", str(port)],
            env=base_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append(chroma)
        _wait_http(f"{url}/api/v2/heartbeat", chroma)
        listening = [c for c in psutil.Process(chroma.pid).net_connections("inet") if c.status == "LISTEN"]
        assert listening and all(c.laddr.ip == "127.0.0.1" for c in listening)

        app_env = {**base_env, "ASSISTANT_CHROMA_URL": url, "ASSISTANT_EMBED_BACKEND": "hash"}
        indexer_data = tmp_path / "indexer"
        subprocess.run(
            [sys.executable, "-m", "assistant.cli", "index", "build", str(REPO / "corpus")],
            env={**app_env, "ASSISTANT_DATA_DIR": str(indexer_data)},
            check=True,
            capture_output=True,
            timeout=300,
        )
        shared = indexer_data / "index"
        assert (shared / "manifest.json").is_file() and (shared / "bm25" / "bm25.json").is_file()
        assert not (shared / "chroma").exists(), "vectors must live on the server, not in the index folder"
        before = _snapshot(shared)

        servers = []
        for name in ("app1", "app2"):
            data = tmp_path / name
            data.mkdir()
            p = _free_port()
            handles.append(open(data / "serve.stderr", "wb"))
            env = {
                **app_env,
                "ASSISTANT_DATA_DIR": str(data),
                "ASSISTANT_INDEX_PATH": str(shared),  # the indexer's folder, only read
                "ASSISTANT_RELOAD_CHECK_S": "0.5",
                "GRADIO_ANALYTICS_ENABLED": "False",
            }
            proc = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "serve", "--port", str(p)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=handles[-1],
            )
            procs.append(proc)
            servers.append((proc, f"http://127.0.0.1:{p}"))
        for proc, base in servers:
            _wait_http(f"{base}/healthz", proc, timeout=120)
            with urllib.request.urlopen(f"{base}/healthz") as r:
                assert json.loads(r.read())["documents"] == 5

        question = "Phòng Nội vụ quận Ba Đình được giao những việc gì năm 2025?"
        answers = [_post(f"{base}/api/ask", {"question": question}) for _, base in servers]
        for a in answers:
            assert not a["abstained"] and a["citations"], a
            assert "[1]" in a["answer"]
        assert answers[0]["answer"] == answers[1]["answer"]  # same index, same answer from both processes
        unaccented = _post(f"{servers[1][1]}/api/ask", {"question": "Phong Noi vu quan Ba Dinh lam gi nam 2025?"})
        assert unaccented["citations"]

        import chromadb
        from chromadb.config import Settings as ChromaSettings

        client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
        manifest = json.loads((shared / "manifest.json").read_text(encoding="utf-8"))
        n_chunks = sum(len(d["chunk_ids"]) for d in manifest["documents"].values())
        assert client.get_collection("chunks").count() == n_chunks
        for proc in [chroma] + [p for p, _ in servers]:  # nothing talks to anything but loopback
            for c in psutil.Process(proc.pid).net_connections("inet"):
                assert not c.raddr or c.raddr.ip in ("127.0.0.1", "::1"), c
        assert _snapshot(shared) == before, "serving processes must not write to the shared index folder"

        # The indexer adds a document; both serving processes pick it up without a restart.
        extra = tmp_path / "more"
        shutil.copytree(REPO / "corpus", extra)
        (extra / "900_doc_sach.txt").write_text(NEW_DOC, encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "assistant.cli", "index", "build", str(extra)],
            env={**app_env, "ASSISTANT_DATA_DIR": str(indexer_data), "ASSISTANT_INGEST_DIRS": str(extra)},
            check=True,
            capture_output=True,
            timeout=300,
        )
        for _, base in servers:
            deadline = time.monotonic() + 30
            while json.loads(urllib.request.urlopen(f"{base}/healthz").read())["documents"] != 6:
                assert time.monotonic() < deadline, "the new index was not picked up"
                time.sleep(0.5)
            found = _post(f"{base}/api/ask", {"question": "Ai tổ chức ngày hội đọc sách cho thiếu nhi?"})
            assert "900_doc_sach.txt" in {c["source"] for c in found["citations"]}, found
        assert client.get_collection("chunks").count() > n_chunks
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for h in handles:
            h.close()
    assert all(p.returncode is not None for p in procs)
