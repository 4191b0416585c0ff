"""Optional: a real local LLM behind llama-cpp-python's own OpenAI-compatible server, held to the guard.

Off unless `ASSISTANT_TEST_GGUF` names a GGUF file and the `local-llm` extra is installed (CI installs
neither: compiling llama-cpp-python takes ~8 minutes and a model is 1 GB or more). See the README,
"Generative answers", for how to obtain a small model from the package registry.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.settings import Settings
from eval.metrics import parse_citations, sentence_groundedness
from eval.runner import cited_passage

from .conftest import BA_DINH_2025, GO_VAP_2010

GGUF = os.environ.get("ASSISTANT_TEST_GGUF", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not GGUF or not Path(GGUF).is_file(), reason="set ASSISTANT_TEST_GGUF to a GGUF file"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` on 127.0.0.1 with the test model; yields its /v1 base URL."""
    pytest.importorskip("llama_cpp.server", reason="needs the local-llm extra: pip install -e '.[local-llm]'")
    port = _free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", GGUF, "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--n_ctx", "8192", "--n_threads", "2", "--model_alias", "local-test"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert proc.poll() is None, "llama_cpp.server exited; see its log"
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        else:
            pytest.fail("llama_cpp.server did not start within 180 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def test_local_llm_answer_is_grounded_or_falls_back(real_data_dir: Path, llama_server: str) -> None:
    from assistant.engine import Assistant

    settings = Settings(
        data_dir=real_data_dir, llm="openai", llm_base_url=llama_server, llm_model="local-test", llm_timeout_s=600
    )
    answer = Assistant.open(settings).ask("Ai chịu trách nhiệm báo cáo quý?")
    assert answer.mode in ("llm", "extractive-fallback") and not answer.abstained
    by_n = {c.n: c for c in answer.citations}
    assert parse_citations(answer.answer) and set(parse_citations(answer.answer)) <= set(by_n)
    passages = {n: cited_passage(c.to_json()) for n, c in by_n.items()}
    grounded, details = sentence_groundedness(answer.answer, passages)
    assert grounded == 1.0, details
    assert {c.source for c in answer.citations} & {BA_DINH_2025, GO_VAP_2010}
