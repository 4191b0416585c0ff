"""Scoring extracted assignments against a gold table (eval/tasks.py) and its gate in `assistant eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import tasks
from eval.runner import load_thresholds
from index.assignments import Assignment, unit_key
from index.deadlines import Due
from index.types import DocMeta

META = DocMeta(title="Kế hoạch", place="Ba Đình", date="2025-02-01")


def _a(unit: str, task: str, due: Due | None = None, source: str = "kh.txt") -> Assignment:
    return Assignment(source, source, unit, unit_key(unit, "Ba Đình"), task, 0, len(task), "", 2025, due, META)


def _g(unit: str, task: str, due: str = "", every: str = "", day: int | None = None, month: int | None = None) -> dict:
    return {"doc": "kh.txt", "unit": unit, "task": task, "due": due, "every": every, "day": day, "month": month,
            "when": ""}  # fmt: skip


def test_precision_recall_and_deadlines() -> None:
    extracted = [
        _a("Phòng Nội vụ quận", "Tổng hợp báo cáo quý gửi UBND quận.", Due(every="quarter", day=15, month=3)),
        _a("P. Nội vụ", "Gửi báo cáo năm trước ngày 25/11.", Due(date="2025-11-20")),  # wrong date
        _a("Văn phòng HĐND-UBND", "Đăng tải kế hoạch lên cổng thông tin."),  # not in the gold
    ]
    gold = [
        _g("Phòng Nội vụ", "Tổng hợp báo cáo quý gửi UBND quận", every="quarter", day=15, month=3),
        _g("Phòng Nội vụ", "gửi báo cáo năm trước ngày 25/11", due="2025-11-25"),
        _g("Thanh tra quận", "Tiếp công dân định kỳ."),  # missed
    ]
    r = tasks.score(extracted, gold)
    assert (r["extracted"], r["gold"]) == (3, 3)
    assert r["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert r["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert r["deadlines"] == 0.5 and r["deadline_rows"] == 2
    assert [m["unit"] for m in r["missed"]] == ["Thanh tra quận"]
    assert [u["unit"] for u in r["unmatched"]] == ["Văn phòng HĐND-UBND"]
    assert r["per_doc"]["kh.txt"] == {"extracted": 3, "gold": 3, "missed": 1, "unmatched": 1}


def test_a_row_of_another_unit_or_document_does_not_match() -> None:
    gold = [_g("Phòng Nội vụ", "Tổng hợp báo cáo quý gửi UBND quận")]
    assert tasks.score([_a("Phòng Tư pháp", "Tổng hợp báo cáo quý gửi UBND quận")], gold)["recall"] == 0.0
    other_doc = _a("Phòng Nội vụ", "Tổng hợp báo cáo quý gửi UBND quận", source="other.txt")
    assert tasks.score([other_doc], gold)["recall"] == 0.0


def test_overlap_is_folded_and_relative_to_the_shorter_text() -> None:
    assert tasks.overlap("Tong hop bao cao quy", "- Tổng hợp  báo cáo quý gửi UBND quận.") == 1.0
    assert tasks.overlap("Tổng hợp báo cáo quý", "Tiếp công dân định kỳ") < tasks.OVERLAP


def test_gate_and_malformed_gold(tmp_path: Path) -> None:
    r = {"precision": 0.95, "recall": 0.80, "deadlines": None}
    assert tasks.check(r, {"precision": 0.9, "recall": 0.85, "deadlines": 0.75}) == [
        "assignments.recall = 0.800 < 0.850"
    ]
    bad = tmp_path / "tasks-x.jsonl"
    bad.write_text(json.dumps({"doc": "a"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="tasks-x.jsonl:1"):
        tasks.load_gold(bad)
    bad.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(ValueError, match="JSON"):
        tasks.load_gold(bad)
    assert tasks.gold_path(Path("eval/datasets/plans.jsonl")) == Path("eval/datasets/tasks-plans.jsonl")


def test_thresholds_refuse_an_unknown_assignments_gate(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text("[assignments]\nprecison = 0.9\n", encoding="utf-8")
    with pytest.raises(ValueError, match="assignments"):
        load_thresholds(path)
    assert load_thresholds(Path(__file__).parents[1] / "eval" / "thresholds.toml")["assignments"]["recall"] == 0.85


def test_eval_scores_the_indexs_assignments(toy_settings, corpus_copy: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`evaluate` reads the gold beside the dataset and gates it: the bundled plans' gold passes with the hashing
    embedder (extraction does not depend on the embedder), and a gold row the extractor cannot find fails it."""
    from assistant.app import App
    from assistant.evaluate import evaluate

    App.from_settings(toy_settings).indexer.sync([corpus_copy])
    engine = App.from_settings(toy_settings).open_engine()
    repo = Path(__file__).parents[1]
    dataset = tmp_path / "plans.jsonl"
    dataset.write_text((repo / "eval/datasets/plans.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n")
    gold = (repo / "eval/datasets/tasks-plans.jsonl").read_text(encoding="utf-8")
    (tmp_path / "tasks-plans.jsonl").write_text(gold, encoding="utf-8")
    report = tmp_path / "report.json"
    lines: list[str] = []
    failures = evaluate(engine, toy_settings, dataset, report, thresholds_path=None, echo=lines.append)
    assert not [f for f in failures if f.startswith("assignments")]
    assert any(line.startswith("assignments: precision") for line in lines)
    assert json.loads(report.read_text(encoding="utf-8"))["assignments"]["recall"] >= 0.85
    wrong = [json.loads(x) for x in gold.splitlines() if x.strip()]
    for row in wrong:
        row["unit"] = "Sở Ngoại vụ"  # no plan gives it anything
    (tmp_path / "tasks-plans.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in wrong) + "\n")
    failures = evaluate(engine, toy_settings, dataset, None, echo=lines.append)
    assert "assignments.recall = 0.000 < 0.850" in failures
