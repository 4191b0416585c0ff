"""The evaluation gate: the project's own eval set, through the chat code path, above its thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluate import evaluate

from .conftest import REPO

DATASET = REPO / "eval" / "datasets" / "plans.jsonl"
OUT = REPO / "test-output"


@pytest.mark.slow
def test_eval_set_meets_thresholds(real_assistant):
    report = OUT / "eval-report.json"
    failures = evaluate(real_assistant, real_assistant.settings, DATASET, report, OUT / "eval-report.html")
    assert failures == [], "\n".join(failures)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert len(data["items"]) >= 80 and {"config", "summary", "items"} <= set(data)


@pytest.mark.slow
def test_gate_fails_when_a_threshold_is_not_met(real_assistant, tmp_path: Path):
    failures = evaluate(
        real_assistant,
        real_assistant.settings,
        DATASET,
        overrides=["overall.fact_recall=1.01"],
        echo=lambda _: None,
    )
    assert any("overall.fact_recall" in f for f in failures)
