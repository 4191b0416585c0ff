"""Tests for eval.runner and eval.report_html, driven by a tiny real corpus lookup."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eval import metrics
from eval.report_html import is_failure, render_html, write_html
from eval.runner import (
    KINDS,
    check_thresholds,
    format_markdown_table,
    format_table,
    load_dataset,
    load_thresholds,
    run,
)

ROOT = Path(__file__).parents[1]
CORPUS = ROOT / "corpus"
DATASET = ROOT / "eval" / "datasets" / "plans.jsonl"
THRESHOLDS = ROOT / "eval" / "thresholds.toml"
ABSTAIN = "Tôi không tìm thấy thông tin này trong tài liệu."
ITEM_KEYS = {
    "id",
    "kind",
    "question",
    "answer",
    "abstained",
    "citations",
    "retrieved",
    "latency_ms",
    "metrics",
}


class CorpusAsk:
    """A small real answerer: keyword overlap over corpus paragraphs, quotes the best sentence."""

    def __init__(self, corpus_dir: Path, k: int = 5, min_overlap: int = 3) -> None:
        self.k, self.min_overlap = k, min_overlap
        self.passages: list[tuple[str, str]] = []
        for path in sorted(corpus_dir.glob("*.txt")):
            for para in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
                # The Gò Vấp plan is one long line: cut it into ~600-character windows of clauses.
                window = ""
                for clause in re.split(r"(?<=[.;:])\s+", para.strip()):
                    if window and len(window) + len(clause) > 600:
                        self.passages.append((path.name, window))
                        window = ""
                    window = f"{window} {clause}".strip()
                if window:
                    self.passages.append((path.name, window))

    def __call__(self, turns: list[str]) -> dict[str, Any]:
        started = time.perf_counter()
        query = set(metrics.content_words(" ".join(turns)))
        scored = sorted(
            ((len(query & set(metrics.content_words(text))), i) for i, (_, text) in enumerate(self.passages)),
            key=lambda pair: (-pair[0], pair[1]),
        )[: self.k]
        retrieved = [
            {"source": self.passages[i][0], "section": "", "text": self.passages[i][1], "score": float(s)}
            for s, i in scored
        ]
        best_score, best = scored[0]
        if best_score < self.min_overlap:
            answer, abstained, citations = ABSTAIN, True, []
        else:
            source, text = self.passages[best]
            sentences = re.split(r"(?<=[.;])\s+", text)
            sentence = max(sentences, key=lambda s: len(query & set(metrics.content_words(s))))
            answer, abstained = f"{sentence.rstrip('.;')} [1].", False
            citations = [{"n": 1, "source": source, "title": "", "section": "", "text": text, "score": 1.0}]
        return {
            "question": turns[-1],
            "answer": answer,
            "abstained": abstained,
            "citations": citations,
            "retrieved": retrieved,
            "latency_ms": (time.perf_counter() - started) * 1000,
        }


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return run(load_dataset(DATASET), CorpusAsk(CORPUS), k=5, config={"name": "corpus-lookup"})


def test_report_shape(report: dict[str, Any]) -> None:
    assert set(report) == {"config", "summary", "items"}
    assert report["config"] == {"k": 5, "name": "corpus-lookup"}
    assert set(report["summary"]["kinds"]) == set(KINDS)
    for item in report["items"]:
        assert ITEM_KEYS <= set(item)
        assert set(item["metrics"]) == set(metrics.METRICS)
    json.dumps(report)  # the report must be JSON-serialisable


def test_metrics_apply_where_they_should(report: dict[str, Any]) -> None:
    for item in report["items"]:
        m = item["metrics"]
        if item["gold_docs"]:
            assert m["abstained"] is None and m["fact_recall"] is not None
        else:
            assert m["abstained"] is not None and m["evidence_hit_at_k"] is None
        assert (m["groundedness"] is None) == item["abstained"]
    summary = report["summary"]
    assert summary["kinds"]["unanswerable"]["evidence_hit_at_k"] is None
    assert summary["kinds"]["fact"]["abstained"] is None
    # A real (if crude) lookup finds evidence and quotes grounded sentences.
    assert summary["overall"]["evidence_hit_at_k"] > 0.3
    assert summary["overall"]["groundedness"] > 0.8
    assert summary["overall"]["latency_p95_ms"] >= summary["overall"]["latency_p50_ms"]


def test_invalid_citation_and_failing_ask_are_failures() -> None:
    item = load_dataset(DATASET)[7]  # q008: signer of the Ba Đình 2025 plan
    text = "PHÓ CHỦ TỊCH\n\nPhạm Thị Diễm"
    source = item["docs"][0]

    def ask(turns: list[str]) -> dict[str, Any]:
        cit = {"n": 1, "source": source, "title": "", "section": "", "text": text, "score": 1.0}
        return {
            "answer": "Phó Chủ tịch Phạm Thị Diễm ký [1][9].",
            "abstained": False,
            "citations": [cit],
            "retrieved": [cit],
        }

    m = run([item], ask)["items"][0]["metrics"]
    assert m["fact_recall"] == 1.0 and m["citation_support"] == 1.0
    assert m["citation_precision"] == 0.5  # [9] is invalid and counts as a wrong citation
    assert m["groundedness"] == 0.0

    def broken(turns: list[str]) -> dict[str, Any]:
        raise RuntimeError("model unavailable")

    rec = run([item], broken)["items"][0]
    assert rec["error"] == "RuntimeError: model unavailable" and rec["metrics"]["answered"] == 1.0
    assert rec["metrics"]["fact_recall"] == 0.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '{"id": "x", "kind": "fact", "turns": ["q"], "docs": ["a"], "evidence": ["e"], "facts": [], "extra": 1}',
            "unknown",
        ),
        ('{"id": "x", "kind": "fact", "turns": "q", "docs": ["a"], "evidence": ["e"], "facts": []}', "turns"),
        ('{"id": "x", "kind": "poem", "turns": ["q"], "docs": [], "evidence": [], "facts": []}', "kind"),
        (
            '{"id": "x", "kind": "unanswerable", "turns": ["q"], "docs": [], "evidence": ["e"], "facts": []}',
            "unanswerable",
        ),
        (
            '{"id": "x", "kind": "fact", "turns": ["q"], "docs": ["a"], "evidence": ["e"], "facts": [[]]}',
            "facts",
        ),
        ("not json", "Expecting value"),
    ],
)
def test_load_dataset_rejects_bad_lines(tmp_path: Path, line: str, message: str) -> None:
    good = '{"id": "q1", "kind": "unanswerable", "turns": ["q"], "docs": [], "evidence": [], "facts": []}'
    path = tmp_path / "d.jsonl"
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        load_dataset(path)
    assert ", line 2:" in str(err.value)


def test_load_dataset_rejects_duplicate_ids(tmp_path: Path) -> None:
    good = '{"id": "q1", "kind": "unanswerable", "turns": ["q"], "docs": [], "evidence": [], "facts": []}'
    path = tmp_path / "d.jsonl"
    path.write_text(good + "\n" + good + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate id"):
        load_dataset(path)


def test_bundled_thresholds_load_and_check(report: dict[str, Any]) -> None:
    thresholds = load_thresholds(THRESHOLDS)
    assert isinstance(thresholds["meta"]["calibrated"], bool)
    assert isinstance(check_thresholds(report["summary"], thresholds), list)


def test_check_thresholds_messages() -> None:
    summary = {
        "overall": {"citation_support": 0.71, "fact_recall": 0.9, "latency_p95_ms": 5400.0},
        "kinds": {"unanswerable": {"abstained": 0.95}},
    }
    thresholds = {
        "overall": {"citation_support": 0.8, "fact_recall": 0.8, "latency_p95_ms": 4000},
        "kind": {"unanswerable": {"abstained": 0.9}, "english": {"fact_recall": 0.5}},
    }
    assert check_thresholds(summary, thresholds) == [
        "overall.citation_support 0.71 < 0.80",
        "overall.latency_p95_ms 5400 > 4000",
        "kind.english.fact_recall missing (no items it applies to)",
    ]


def test_load_thresholds_rejects_unknown_metric(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text("[overall]\nrecall_at_everything = 0.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="recall_at_everything"):
        load_thresholds(path)


def test_format_tables(report: dict[str, Any]) -> None:
    table = format_table(report["summary"])
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["kind", "n", "hit@k"]
    assert len(lines) == 2 + len(KINDS) + 1
    assert lines[-1].startswith("overall")
    unanswerable = next(line for line in lines if line.startswith("unanswerable"))
    assert len(unanswerable.split()) < len(lines[0].split())  # blank retrieval/citation cells
    md = format_markdown_table(report["summary"])
    assert md.splitlines()[0].startswith("| kind | n | hit@k | MRR |")
    assert len(md.splitlines()) == 2 + len(KINDS) + 1


def test_table_blank_where_not_applicable() -> None:
    summary = metrics.summarize(
        [
            {
                "kind": "unanswerable",
                "latency_ms": 10,
                "metrics": {**dict.fromkeys(metrics.METRICS), "abstained": 1.0},
            }
        ]
    )
    row = format_table(summary).splitlines()[2]
    assert row.split() == ["unanswerable", "1", "1.00", "10", "10"]


def test_html_escapes_everything_and_is_self_contained(tmp_path: Path, report: dict[str, Any]) -> None:
    evil = "<script>alert('x')</script>"
    bad_item = {
        "id": "q<1>",
        "kind": "fact<b>",
        "question": f"Câu hỏi {evil}",
        "turns": [evil, f"Câu hỏi {evil}"],
        "gold_docs": ["a.txt"],
        "facts": [[evil]],
        "answer": f"Trả lời {evil} [1].",
        "abstained": False,
        "citations": [{"n": 1, "source": evil, "section": evil, "text": f"Đoạn {evil}", "score": 1.0}],
        "retrieved": [],
        "latency_ms": 1.0,
        "metrics": {**dict.fromkeys(metrics.METRICS), "fact_recall": 0.0, "answered": 1.0},
    }
    rep = {**report, "config": {"note": evil}, "items": [bad_item], "threshold_failures": [evil]}
    rep["summary"] = metrics.summarize([bad_item])
    path = tmp_path / "report.html"
    write_html(rep, path)
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "<svg" in html
    assert "http://" not in html and "https://" not in html
    assert "q&lt;1&gt;" in html


def test_failing_items_selection(report: dict[str, Any]) -> None:
    html = render_html(report)
    failing = [it for it in report["items"] if is_failure(it)]
    assert f"Failing items ({len(failing)} of {len(report['items'])})" in html
    ok = {
        "metrics": {
            **dict.fromkeys(metrics.METRICS),
            "fact_recall": 1.0,
            "citation_support": 1.0,
            "answered": 1.0,
            "groundedness": 1.0,
        }
    }
    assert not is_failure(ok)
    assert is_failure({"metrics": {**ok["metrics"], "citation_support": 0.0}})
    assert is_failure({"metrics": {**dict.fromkeys(metrics.METRICS), "abstained": 0.0, "groundedness": 1.0}})
    assert not is_failure({"metrics": {**dict.fromkeys(metrics.METRICS), "abstained": 1.0}})


def test_check_thresholds_shows_enough_digits() -> None:
    failures = check_thresholds({"overall": {"reciprocal_rank": 0.3999}}, {"overall": {"reciprocal_rank": 0.4}})
    assert failures == ["overall.reciprocal_rank 0.3999 < 0.4000"]


def test_a_multi_document_answer_quoting_one_plan_scores_half_document_recall() -> None:
    item = next(i for i in load_dataset(DATASET) if i["id"] == "q039")  # quarterly reports: Ba Đình and Gò Vấp
    one, other = item["docs"][:2]

    def ask_citing(*sources: str) -> Callable[[list[str]], dict[str, Any]]:
        cits = [{"n": n, "source": s, "text": item["evidence"][0]} for n, s in enumerate(sources, start=1)]
        answer = " ".join(f"Phòng Nội vụ tổng hợp [{c['n']}]." for c in cits)
        return lambda turns: {"answer": answer, "abstained": False, "citations": cits, "retrieved": cits}

    assert run([item], ask_citing(one, one))["items"][0]["metrics"]["document_recall"] == 0.5
    assert run([item], ask_citing(one, other))["items"][0]["metrics"]["document_recall"] == 1.0
    single = next(i for i in load_dataset(DATASET) if len(i["docs"]) == 1)
    assert run([single], ask_citing(single["docs"][0]))["items"][0]["metrics"]["document_recall"] is None


def test_report_records_each_answers_mode() -> None:
    items = load_dataset(DATASET)[:3]
    modes = iter(["llm", "extractive-fallback", "llm"])

    def ask(turns: list[str]) -> dict[str, Any]:
        return {"answer": "", "abstained": True, "citations": [], "retrieved": [], "mode": next(modes)}

    report = run(items, ask)
    assert [i["mode"] for i in report["items"]] == ["llm", "extractive-fallback", "llm"]
    assert report["summary"]["modes"] == {"extractive-fallback": 1, "llm": 2}


def test_count_gates_allow_the_stated_misses_of_each_kind() -> None:
    """{measured, misses}: a 9-item kind at 1.0 with one miss allowed passes at 8/9 and fails at 7/9."""
    gate = {"kind": {"no-diacritics": {"evidence_hit_at_k": {"measured": 1.0, "misses": 1}}}}

    def summary(hits: int) -> dict[str, Any]:
        row = {"n": 9, "evidence_hit_at_k": hits / 9, "counts": {"evidence_hit_at_k": 9}}
        return {"overall": {}, "kinds": {"no-diacritics": row}}

    assert check_thresholds(summary(9), gate) == [] and check_thresholds(summary(8), gate) == []
    (failure,) = check_thresholds(summary(7), gate)
    assert failure.startswith("kind.no-diacritics.evidence_hit_at_k 0.78 < 0.89")
    assert "1 of 9 items may miss" in failure


def test_count_gates_scale_with_the_items_a_metric_applies_to() -> None:
    """The margin is counted in the items the metric applied to, not in all items of the group."""
    gate = {"overall": {"fact_recall": {"measured": 0.9, "misses": 2}}}
    row = {"n": 100, "fact_recall": 0.9 - 2 / 40, "counts": {"fact_recall": 40}}
    assert check_thresholds({"overall": row}, gate) == []
    row["fact_recall"] = 0.9 - 3 / 40
    assert len(check_thresholds({"overall": row}, gate)) == 1


def test_bundled_gates_allow_one_miss_per_kind_except_injection() -> None:
    """What eval/thresholds.toml says of its margins holds: one miss per kind (none for injections; for the
    answer-first rate of fact and role items, only as many as keep issue 14's floor of 0.85), and every overall
    gate allows at least two items."""
    thresholds = load_thresholds(THRESHOLDS)
    items = [json.loads(line) for line in THRESHOLDS.parent.joinpath("datasets/plans.jsonl").read_text().splitlines()]
    for kind, table in thresholds["kind"].items():
        for name, gate in table.items():
            assert isinstance(gate, dict), (kind, name)
            if name == "answer_first" and kind in ("fact", "role"):
                n = sum(1 for i in items if i["kind"] == kind and i.get("facts"))
                assert gate["misses"] == min(1, math.floor((gate["measured"] - 0.85) * n + 1e-9)), (kind, name)
                assert gate["measured"] - gate["misses"] / n >= 0.85, (kind, name)
            else:
                assert gate["misses"] == (0 if kind == "injection" else 1), (kind, name)
    assert all(g["misses"] >= 1 for g in thresholds["overall"].values())
    assert sum(g["misses"] >= 3 for g in thresholds["overall"].values()) >= 5


@pytest.mark.parametrize(
    "gate",
    ["{ measured = 1.2, misses = 1 }", "{ measured = 0.9 }", "{ measured = 0.9, misses = -1 }", '"high"'],
)
def test_load_thresholds_rejects_bad_count_gates(tmp_path: Path, gate: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(f"[overall]\nfact_recall = {gate}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="fact_recall"):
        load_thresholds(path)
