"""The `assistant` command: exit codes, one-line errors, JSON output, index commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import BA_DINH_2025, GO_VAP_2010, REPO

pytestmark = pytest.mark.integration


def run(args: list[str], data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    full.update({"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_EMBED_BACKEND": "hash", **env})
    full.setdefault("ASSISTANT_INGEST_DIRS", str(data.parent))  # the tests' corpus copies live beside the data
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=REPO,
        timeout=300,
    )


@pytest.fixture
def built(tmp_path: Path, corpus_copy: Path) -> Path:
    data = tmp_path / "cli-data"
    r = run(["index", "build", str(corpus_copy)], data)
    assert r.returncode == 0, r.stderr
    assert "Đã thêm 5" in r.stdout
    return data


def test_missing_index_is_one_line_and_nonzero(tmp_path: Path):
    r = run(["ask", "Ai ký kế hoạch?"], tmp_path / "empty")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "assistant index build" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("question", ["", "   ", "x" * 2500, "?!?!"])
def test_bad_questions_exit_nonzero_with_one_line(built: Path, question: str):
    r = run(["ask", question], built)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_ask_json_contract(built: Path):
    r = run(["ask", "Ai chịu trách nhiệm báo cáo quý?", "--json"], built)
    assert r.returncode == 0, r.stderr
    js = json.loads(r.stdout)
    assert {"question", "answer", "abstained", "citations", "retrieved", "latency_ms"} <= set(js)
    assert {"n", "source", "title", "section", "text", "score"} <= set(js["citations"][0])


def test_abstention_exits_zero(built: Path):
    r = run(["ask", "Thời tiết ở quận Cầu Giấy ngày mai thế nào?", "--json"], built)
    assert r.returncode == 0 and json.loads(r.stdout)["abstained"]


def test_index_list_shows_metadata_and_rebuild_is_idempotent(built: Path, corpus_copy: Path):
    r = run(["index", "list", "--json"], built)
    docs = {d["source"]: d["meta"] for d in json.loads(r.stdout)}
    assert docs[GO_VAP_2010]["signer"] == "Nguyễn Hồng" and docs[BA_DINH_2025]["issuer"] == "UBND quận Ba Đình"
    text = run(["index", "list"], built).stdout
    assert "08/KH-UBND" in text and "Phạm Thị Diễm" in text
    again = run(["index", "build", str(corpus_copy)], built)
    assert "giữ nguyên 5" in again.stdout


def test_index_remove(built: Path):
    assert run(["index", "remove", "khong-co.txt"], built).returncode != 0
    r = run(["index", "remove", GO_VAP_2010], built)
    assert r.returncode == 0 and "xoá 1" in r.stdout
    docs = json.loads(run(["index", "list", "--json"], built).stdout)
    assert GO_VAP_2010 not in {d["source"] for d in docs}


def test_index_build_does_not_load_the_llm(tmp_path: Path, corpus_copy: Path):
    """Issue 16: with ASSISTANT_LLM=llamacpp, `index build` loaded the model (here one that is not there) just to
    index. Indexing and listing work without it; a question reports the model in one line."""
    data = tmp_path / "llm-data"
    llm = {"ASSISTANT_LLM": "llamacpp", "ASSISTANT_LLM_MODEL": str(tmp_path / "khong-co.gguf")}
    built = run(["index", "build", str(corpus_copy)], data, **llm)
    assert built.returncode == 0 and "Đã thêm 5" in built.stdout, built.stderr
    assert len(json.loads(run(["index", "list", "--json"], data, **llm).stdout)) == 5
    assert "xoá 1" in run(["index", "remove", GO_VAP_2010], data, **llm).stdout
    asked = run(["ask", "Ai ký kế hoạch?"], data, **llm)
    assert asked.returncode == 2 and "Traceback" not in asked.stderr
    assert len(asked.stderr.strip().splitlines()) == 1 and "llamacpp" in asked.stderr


def test_settings_mismatch_is_a_clear_error(built: Path):
    r = run(["ask", "Ai ký?"], built, ASSISTANT_CHUNK_MAX_TOKENS="100")
    assert r.returncode == 2 and "--rebuild" in r.stderr and "Traceback" not in r.stderr


def test_missing_path_is_reported(tmp_path: Path):
    r = run(["index", "build", str(tmp_path / "nope")], tmp_path / "d")
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_eval_command_writes_reports_and_fails_below_threshold(built: Path, tmp_path: Path):
    dataset = tmp_path / "mini.jsonl"
    src = (REPO / "eval" / "datasets" / "plans.jsonl").read_text(encoding="utf-8").splitlines()
    dataset.write_text("\n".join(src[:3] + src[-3:]) + "\n", encoding="utf-8")
    report, html = tmp_path / "r.json", tmp_path / "r.html"
    ok = run(
        [
            "eval",
            "--dataset",
            str(dataset),
            "--report",
            str(report),
            "--html",
            str(html),
            "--threshold",
            "overall.groundedness=0.0",
        ],
        built,
        ASSISTANT_EMBED_BACKEND="hash",
    )
    data = json.loads(report.read_text(encoding="utf-8"))
    assert {"config", "summary", "items"} <= set(data) and len(data["items"]) == 6
    assert "overall" in ok.stdout and html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    bad = run(["eval", "--dataset", str(dataset), "--threshold", "overall.fact_recall=1.01"], built)
    assert bad.returncode == 1 and "overall.fact_recall" in bad.stderr


def test_bad_settings_and_bad_files_give_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = run(["ask", "Ai báo cáo quý?"], tmp_path / "data", ASSISTANT_TOP_K="abc", ASSISTANT_FUSION="nope")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "ASSISTANT_TOP_K" in lines[0] and "ASSISTANT_FUSION" in lines[0]
    dataset = tmp_path / "bad.jsonl"
    dataset.write_text('{"id": "q1"}\n', encoding="utf-8")
    broken = run(["eval", "--dataset", str(dataset)], tmp_path / "data")
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    assert broken.stderr.strip().splitlines() == [broken.stderr.strip()] and "line 1" in broken.stderr
    assert "Traceback" in (tmp_path / "data" / "logs" / "assistant.log").read_text(encoding="utf-8")
