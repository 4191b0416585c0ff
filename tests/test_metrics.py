"""Tests for eval.metrics: every metric, folded comparison and citation edge cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval import metrics as m

PASSAGE_NV = "Phòng Nội vụ\n\nLà cơ quan đầu mối, tham mưu, đề xuất UBND quận ban hành kế hoạch, báo cáo."
PASSAGE_BC = "Các đơn vị gửi báo cáo năm trước ngày 25/11 về UBND quận (qua Phòng Nội vụ)."


def test_fold_case_diacritics_d_and_whitespace() -> None:
    assert m.fold("  Phòng   NỘI\tvụ\n") == "phong noi vu"
    assert m.fold("Đống Đa đã") == "dong da da"
    assert m.fold("hoá") == m.fold("hóa") == "hoa"


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert m.fold(m.fold(text)) == m.fold(text)


def test_evidence_hit_at_k_folded_and_cut_at_k() -> None:
    texts = ["không liên quan", "khác", PASSAGE_BC]
    assert m.evidence_hit_at_k(texts, ["gui bao cao nam truoc ngay 25/11"], k=3) == 1.0
    assert m.evidence_hit_at_k(texts, ["gửi báo cáo năm trước ngày 25/11"], k=2) == 0.0
    assert m.evidence_hit_at_k(texts, [], k=3) == 0.0
    assert m.evidence_hit_at_k([], ["x"], k=5) == 0.0


def test_reciprocal_rank() -> None:
    texts = ["a", PASSAGE_NV, PASSAGE_BC]
    assert m.reciprocal_rank(texts, ["25/11", "đầu mối"]) == pytest.approx(0.5)
    assert m.reciprocal_rank(texts, ["không có"]) == 0.0
    assert m.reciprocal_rank([PASSAGE_BC], ["25/11"]) == 1.0


def test_citation_support_contained_and_near_boundary() -> None:
    evidence = "gửi báo cáo năm trước ngày 25/11 về UBND quận"
    assert m.citation_support([PASSAGE_BC], [evidence]) == 1.0
    # The chunk boundary cut the last few characters: >= 90% still lies in one passage.
    cut = "Các đơn vị gửi báo cáo năm trước ngày 25/11 về UBND qu"
    assert m.citation_support([cut], [evidence]) == 1.0
    # Only half of it in each of two passages: not supported (no concatenation).
    half = len(evidence) // 2
    assert m.citation_support([evidence[:half], evidence[half:]], [evidence]) == 0.0
    assert m.citation_support([], [evidence]) == 0.0
    assert m.citation_support([PASSAGE_NV], [evidence]) == 0.0


def test_document_recall() -> None:
    assert m.document_recall(["a.txt", "a.txt"], ["a.txt", "b.txt"]) == 0.5  # one plan quoted twice
    assert m.document_recall(["b.txt", "a.txt", ""], ["a.txt", "b.txt"]) == 1.0
    assert m.document_recall([], ["a.txt", "b.txt"]) == 0.0
    assert m.document_recall(["x.txt"], []) == 1.0


def test_citation_precision() -> None:
    assert m.citation_precision(["a.txt", "b.txt"], ["a.txt"]) == 0.5
    assert m.citation_precision(["a.txt"], ["a.txt", "b.txt"]) == 1.0
    assert m.citation_precision([], ["a.txt"]) == 0.0
    assert m.citation_precision(["", "a.txt"], ["a.txt"]) == 0.5  # "" marks an invalid [n]


def test_fact_recall_groups_alternatives_and_folding() -> None:
    answer = "Phong Noi vu tổng hợp; hạn 25/11 [1]."
    assert m.fact_recall(answer, [["Phòng Nội vụ", "phòng Nội vụ"], ["25/11"]]) == 1.0
    assert m.fact_recall(answer, [["Phòng Nội vụ"], ["Phạm Thị Diễm"]]) == 0.5
    assert m.fact_recall(answer, []) == 1.0
    assert m.fact_recall("", [["x"]]) == 0.0


def test_parse_citations() -> None:
    assert m.parse_citations("a [1][2] b [2] c [3, 4]") == [1, 2, 3, 4]
    assert m.parse_citations("không có trích dẫn") == []
    assert m.parse_citations("[10]") == [10]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Hạn là 25/11 [1]. Phòng Nội vụ tổng hợp [2].", ["Hạn là 25/11 [1].", "Phòng Nội vụ tổng hợp [2]."]),
        (
            "Hạn là 25/11. [1] Phòng Nội vụ tổng hợp. [1][2]",
            ["Hạn là 25/11. [1]", "Phòng Nội vụ tổng hợp. [1][2]"],
        ),
        ("- Một [1]\n- Hai [2]\n\n* Ba!", ["Một [1]", "Hai [2]", "Ba!"]),
        (
            "1. Nhận 1.081 đơn [1]\n2. Giải quyết 462/510 [1]",
            ["Nhận 1.081 đơn [1]", "Giải quyết 462/510 [1]"],
        ),
        ("Câu hỏi? Trả lời.\n[2]", ["Câu hỏi?", "Trả lời. [2]"]),
        ("", []),
    ],
)
def test_split_sentences(answer: str, expected: list[str]) -> None:
    assert m.split_sentences(answer) == expected


def test_content_words_drop_markers_stopwords_and_framing() -> None:
    words = m.content_words("Theo kế hoạch, Phòng Nội vụ là cơ quan đầu mối [1].")
    assert words == ["phong", "noi", "vu", "quan", "dau", "moi"]
    assert m.content_words("[1]") == []


def test_groundedness_all_grounded() -> None:
    answer = "Theo kế hoạch, Phòng Nội vụ là cơ quan đầu mối [1]. Báo cáo năm gửi trước ngày 25/11 [2]."
    score, details = m.sentence_groundedness(answer, {1: PASSAGE_NV, 2: PASSAGE_BC})
    assert score == 1.0
    assert [d["grounded"] for d in details] == [True, True]


def test_groundedness_multi_marker_union() -> None:
    answer = "Phòng Nội vụ là đầu mối, báo cáo năm trước ngày 25/11 [1][2]."
    score, _ = m.sentence_groundedness(answer, {1: PASSAGE_NV, 2: PASSAGE_BC})
    assert score == 1.0
    # With only one of the two passages, too many words are missing.
    score, details = m.sentence_groundedness(
        "Phòng Nội vụ là đầu mối, báo cáo năm trước ngày 25/11 [1].", {1: PASSAGE_NV}
    )
    assert score == 0.0 and details[0]["missing"]


def test_groundedness_invalid_number_fails_sentence() -> None:
    score, details = m.sentence_groundedness("Phòng Nội vụ là đầu mối [1][7].", {1: PASSAGE_NV})
    assert score == 0.0
    assert details[0]["invalid"] == [7] and details[0]["reason"] == "invalid citation number"


def test_groundedness_no_citation_fails_and_unsupported_content_fails() -> None:
    score, details = m.sentence_groundedness("Phòng Nội vụ là đầu mối. Ngân sách 5 tỷ đồng [1].", {1: PASSAGE_NV})
    assert score == 0.0
    assert [d["reason"] for d in details] == ["no citation", "content not in cited passages"]


def test_groundedness_skips_sentences_without_content_words() -> None:
    score, details = m.sentence_groundedness("Phòng Nội vụ là đầu mối [1]. Theo kế hoạch:", {1: PASSAGE_NV})
    assert score == 1.0
    assert [d["counted"] for d in details] == [True, False]


def test_groundedness_no_countable_sentence_is_one_and_marked() -> None:
    score, details = m.sentence_groundedness("", {})
    assert (score, details) == (1.0, [])
    score, details = m.sentence_groundedness("Theo kế hoạch.", {})
    assert score == 1.0 and details[0]["counted"] is False


def test_answered() -> None:
    assert m.answered(False) == 1.0
    assert m.answered(True) == 0.0


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert m.percentile(values, 50) == 10.0
    assert m.percentile(values, 95) == 19.0
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([], 50) is None


def test_summarize_per_kind_and_overall_skip_none() -> None:
    none = dict.fromkeys(m.METRICS)
    items = [
        {"kind": "fact", "latency_ms": 100, "metrics": {**none, "fact_recall": 1.0, "groundedness": 1.0}},
        {"kind": "fact", "latency_ms": 300, "metrics": {**none, "fact_recall": 0.5, "groundedness": 0.0}},
        {"kind": "unanswerable", "latency_ms": 200, "metrics": {**none, "abstained": 1.0}},
    ]
    summary = m.summarize(items)
    assert summary["overall"]["n"] == 3
    assert summary["overall"]["fact_recall"] == pytest.approx(0.75)
    assert summary["overall"]["abstained"] == 1.0
    assert summary["overall"]["latency_p50_ms"] == 200.0
    assert summary["overall"]["latency_p95_ms"] == 300.0
    assert summary["kinds"]["fact"]["abstained"] is None
    assert summary["kinds"]["unanswerable"]["fact_recall"] is None
    assert summary["kinds"]["fact"]["groundedness"] == 0.5


def test_answer_first_needs_a_fact_in_a_short_first_sentence() -> None:
    facts = [["25/11"]]
    assert m.answer_first("Trước ngày 25/11, gửi UBND quận [1].\nTheo Kế hoạch …: … [1]", facts, False) == 1.0
    long = "Theo Kế hoạch số 08/KH-UBND (UBND quận Gò Vấp, 09/02/2010), mục «III»: " + "các đơn vị " * 10 + "25/11 [1]."
    assert m.answer_first(long, facts, False) == 0.0  # more than 25 words before the fact's sentence ends
    assert m.answer_first("Gửi UBND quận [1].\nTrước ngày 25/11 [1].", facts, False) == 0.0  # not first
    assert m.answer_first("Trước ngày 25/11 [1].", facts, True) == 0.0  # an abstention answers nothing
