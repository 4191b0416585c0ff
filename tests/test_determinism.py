"""The evaluation gives the same ranks and answers on any machine of this kind: an index built and asked in
another process with numpy's AVX2 path (AVX-512 switched off), OpenBLAS's Haswell kernels and two embedder
threads ranks every evaluation question's passages exactly as the session's real index does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from assistant.chat import run_turns
from eval.runner import load_dataset

from .conftest import REPO

DATASET = REPO / "eval" / "datasets" / "plans.jsonl"

# Built and asked in a child process: numpy picks its SIMD path and OpenBLAS its kernels at import.
CHILD = textwrap.dedent("""
    import json, sys
    import assistant.offline  # noqa: F401
    from assistant.chat import run_turns
    from assistant.engine import Assistant
    from assistant.settings import Settings
    from eval.runner import load_dataset

    assistant = Assistant(Settings())
    assistant.sync()
    out = {}
    for item in load_dataset(sys.argv[1]):
        a = run_turns(assistant, item["turns"]).to_json()
        out[item["id"]] = {"retrieved": [[r["chunk_id"], round(r["score"], 6)] for r in a["retrieved"]],
                           "answer": a["answer"]}
    json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
""")


def other_simd_path() -> str:
    """NPY_DISABLE_CPU_FEATURES that moves numpy off its AVX-512 code on this CPU (empty where it has none)."""
    from numpy._core._multiarray_umath import __cpu_features__ as features

    wanted = ("X86_V4", "AVX512_SKX", "AVX512_CLX", "AVX512_CNL", "AVX512_ICL", "AVX512_SPR")
    return " ".join(f for f in wanted if features.get(f))


def ranks(assistant: Any) -> dict[str, dict[str, Any]]:
    out = {}
    for item in load_dataset(DATASET):
        a = run_turns(assistant, item["turns"]).to_json()
        out[item["id"]] = {
            "retrieved": [[r["chunk_id"], round(r["score"], 6)] for r in a["retrieved"]],
            "answer": a["answer"],
        }
    return out


@pytest.mark.slow
def test_ranks_do_not_depend_on_simd_path_threads_or_process(real_assistant, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(tmp_path / "data"),
        ASSISTANT_EMBED_THREADS="2",
        OPENBLAS_CORETYPE="Haswell",
        NPY_DISABLE_CPU_FEATURES=other_simd_path(),
    )
    out = tmp_path / "ranks.json"
    subprocess.run([sys.executable, "-c", CHILD, str(DATASET), str(out)], env=env, cwd=REPO, check=True, timeout=900)
    other = json.loads(out.read_text(encoding="utf-8"))
    here = ranks(real_assistant)
    differing = [i for i in here if here[i] != other[i]]
    assert not differing, {i: (here[i], other[i]) for i in differing[:3]}
