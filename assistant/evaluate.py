"""`assistant eval`: the evaluation set through the chat code path, scored, reported and gated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.chat import run_turns
from assistant.settings import Settings
from eval import runner, tasks
from eval.report_html import write_html
from index.taskstore import load_assignments

DEFAULT_THRESHOLDS = Path(runner.__file__).resolve().parent / "thresholds.toml"


def apply_overrides(thresholds: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """`overall.fact_recall=0.6` or `kind.english.answered=0.5` replaces one threshold."""
    for item in overrides:
        key, _, value = item.partition("=")
        parts = key.strip().split(".")
        if not value or len(parts) not in (2, 3) or parts[0] not in ("overall", "kind"):
            raise ValueError(f"Bad threshold override {item!r}; use overall.<metric>=<value>")
        table = thresholds.setdefault(parts[0], {})
        if parts[0] == "kind":
            if len(parts) != 3:
                raise ValueError(f"Bad threshold override {item!r}; use kind.<kind>.<metric>=<value>")
            table = table.setdefault(parts[1], {})
        table[parts[-1]] = float(value)
    return thresholds


def check_inputs(
    dataset: Path, thresholds_path: Path | None = None, overrides: Sequence[str] = (), tasks_path: Path | None = None
) -> None:
    """Raise ValueError with the file and line when the dataset, thresholds, overrides or the gold table of
    assignments are malformed."""
    runner.load_dataset(dataset)
    apply_overrides(runner.load_thresholds(thresholds_path or DEFAULT_THRESHOLDS), overrides)
    gold = tasks_path or tasks.gold_path(dataset)
    if tasks_path is not None or gold.is_file():
        tasks.load_gold(gold)


def evaluate(
    assistant: Any,
    settings: Settings,
    dataset: Path,
    report_path: Path | None = None,
    html_path: Path | None = None,
    thresholds_path: Path | None = None,
    overrides: Sequence[str] = (),
    k: int = 5,
    echo: Callable[[str], None] = print,
    tasks_path: Path | None = None,
) -> list[str]:
    """Run, print the per-kind table, write reports; return the threshold failures (empty = pass).

    The index's assignments are scored too (`eval.tasks`) against `tasks_path`, by default the gold table
    beside the dataset (tasks-<name>.jsonl) when there is one, and gated by the thresholds' [assignments]."""
    items = runner.load_dataset(dataset)
    thresholds = apply_overrides(runner.load_thresholds(thresholds_path or DEFAULT_THRESHOLDS), overrides)
    config = {
        "dataset": str(dataset),
        "embed_backend": settings.embed_backend,
        "llm": settings.llm,
        "llm_model": settings.llm_model if settings.llm != "extractive" else "",
        "top_k": settings.top_k,
        "candidate_k": settings.candidate_k,
        "fusion": settings.fusion,
        "fusion_alpha": settings.fusion_alpha,
        "chunk_max_tokens": settings.chunk_max_tokens,
        "fingerprint": assistant.index.fingerprint,
    }
    report = runner.run(items, lambda turns: run_turns(assistant, turns).to_json(), k=k, config=config)
    echo(runner.format_table(report["summary"]))
    failures: list[str] = []
    gold = tasks_path or tasks.gold_path(dataset)
    if tasks_path is not None or gold.is_file():
        result = tasks.score(load_assignments(assistant.index.dir), tasks.load_gold(gold))
        report["assignments"] = {"gold": str(gold), **result}
        echo(tasks.format_table(result))
        failures += tasks.check(result, thresholds.get("assignments", {}))
    if report["summary"].get("modes"):
        echo("answers by mode: " + ", ".join(f"{m} {n}" for m, n in report["summary"]["modes"].items()))
    if report_path:
        import json

        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if html_path:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        write_html(report, html_path)
    return runner.check_thresholds(report["summary"], thresholds) + failures
