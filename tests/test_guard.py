"""assistant/guard.py: the grounding guard keeps only the sentences of an LLM answer that its cited passages
support, renumbers the citations in order of use, and judges a streamed answer sentence by sentence exactly as
the whole answer. Passages are real chunks of the bundled corpus (real cleaner, metadata and chunker)."""

from __future__ import annotations

import pytest

from assistant import guard
from assistant.guard import (
    GuardStream,
    check_sentence,
    guard_answer,
    is_abstention,
    parse_citations,
    passage_text,
    quote_spans,
    split_units,
    visible_text,
)
from eval import metrics
from index.types import Retrieved
from prompts import ABSTAIN, phrase
from tests.conftest import BA_DINH_2025, GO_VAP_2010
from tests.test_llm import GOOD, corpus_chunks, pick


@pytest.fixture(scope="module")
def hits() -> list[Retrieved]:
    """Five passages: Phòng Nội vụ's tasks, report deadline, wards' tasks, Gò Vấp 2010, a news item."""
    ba_dinh = corpus_chunks(BA_DINH_2025)
    chosen = [
        pick(ba_dinh, "cơ quan đầu mối"),
        pick(ba_dinh, "25/11"),
        pick(ba_dinh, "Tập trung chỉ đạo quán triệt"),
        corpus_chunks(GO_VAP_2010)[3],
        corpus_chunks("004_6d6ef2d0f9823f83.txt")[0],
    ]
    return [Retrieved(c, 1.0 / (i + 1)) for i, c in enumerate(chosen)]


def test_guard_agrees_with_the_eval_rule(hits: list[Retrieved]):
    answer = (
        GOOD + " Quận Ba Đình cấp 2 tỷ đồng cho Phòng Nội vụ [1].\n- UBND các phường tập trung chỉ đạo "
        "quán triệt, triển khai công tác dân vận chính quyền tại cơ sở [3].\n- Bịa đặt hoàn toàn."
    )
    passages = {i: passage_text(h) for i, h in enumerate(hits, start=1)}
    _, details = metrics.sentence_groundedness(answer, passages)
    assert [u.text for u in split_units(answer)] == metrics.split_sentences(answer)
    ours = [check_sentence(u.text, passages) for u in split_units(answer)]
    assert [c.supported for c in ours if c.counted] == [d["grounded"] for d in details if d["counted"]]
    g = guard_answer(answer, hits)
    assert g.text.splitlines() == [
        GOOD,
        "- UBND các phường tập trung chỉ đạo quán triệt, triển khai công tác dân vận chính quyền tại cơ sở [3].",
    ]
    assert [c.n for c in g.citations_used] == [1, 2, 3] and g.support_ratio == pytest.approx(3 / 5)


def test_guard_renumbers_citations_in_order_of_use(hits: list[Retrieved]):
    g = guard_answer(
        "Các đơn vị gửi báo cáo năm trước ngày 25/11 về UBND quận [2, 2]. Phòng Nội vụ là cơ quan đầu mối [5][1].",
        hits,
    )
    assert g.text == (
        "Các đơn vị gửi báo cáo năm trước ngày 25/11 về UBND quận [1]. Phòng Nội vụ là cơ quan đầu mối [2][3]."
    )
    assert [c.chunk_id for c in g.citations_used] == [
        hits[1].chunk.chunk_id,
        hits[4].chunk.chunk_id,
        hits[0].chunk.chunk_id,
    ]


def test_a_number_outside_the_passages_supports_nothing(hits: list[Retrieved]):
    passages = {i: passage_text(h) for i, h in enumerate(hits, start=1)}
    sentence = "Các đơn vị gửi báo cáo năm trước ngày 25/11 về UBND quận [9]."
    check = check_sentence(sentence, passages)
    assert check.invalid == (9,) and check.citations == () and not check.supported
    assert check_sentence(sentence.replace("[9]", "[2]"), passages).supported
    assert not check_sentence(sentence.replace("[9]", "[4]"), passages).supported  # the wrong passage


def test_citations_are_read_in_order_of_first_use() -> None:
    assert parse_citations("a [2][1, 2]. b [3] [1]") == [2, 1, 3]
    assert parse_citations("không có số") == []


def test_reasoning_blocks_are_never_shown() -> None:
    assert visible_text("<think>nháp</think>Trả lời [1].") == "Trả lời [1]."
    assert visible_text("Trả lời [1]. <THINK>chưa đóng") == "Trả lời [1]. "


def test_the_abstention_is_recognised_in_either_language() -> None:
    assert is_abstention(ABSTAIN) and is_abstention(ABSTAIN.rstrip(".") + " [1]")
    assert is_abstention(phrase("abstain", "en").upper())
    assert not is_abstention(ABSTAIN + " Nhưng Phòng Nội vụ là đầu mối.")


def test_a_streamed_answer_is_judged_as_the_whole_answer(hits: list[Retrieved]):
    """Fed piece by piece: a sentence is shown once complete (not while its citation may still come), an
    unsupported one never, and the result is the same as guarding the whole text at once."""
    answer = GOOD + "\n- Quận Ba Đình cấp 2 tỷ đồng cho Phòng Nội vụ [1].\n- Bịa đặt hoàn toàn [2]."
    stream = GuardStream(hits)
    shown = [stream.feed(answer[:end]) for end in range(7, len(answer), 7)]
    shown.append(stream.feed(answer, final=True))
    first = GOOD.index("[1]") + len("[1].")
    assert "".join(shown[: (first - 1) // 7]) == ""  # nothing before the first sentence and its [1] are in
    whole = guard_answer(answer, hits)
    assert "".join(shown) == whole.text == stream.result().text == GOOD
    assert len(stream.result().removed_sentences) == len(whole.removed_sentences) == 2


def test_quotes_are_the_passage_sentences_a_claim_rests_on() -> None:
    passage = "Phòng Nội vụ là cơ quan đầu mối. Các đơn vị gửi báo cáo năm trước ngày 25/11. Hết."
    (span,) = quote_spans(passage, ["Báo cáo năm gửi trước ngày 25/11 [1]."])
    assert passage[span[0] : span[1]].startswith("Các đơn vị gửi báo cáo năm trước ngày 25/11")
    assert quote_spans(passage, ["Thời tiết ngày mai nắng [1]."]) == ()


def test_the_guard_and_the_evaluation_judge_by_the_same_words() -> None:
    """Issue 16: the guard kept a copy of the evaluation's word lists ("same lists as the eval"); a change to one
    would have made the guard accept what the eval calls ungrounded. Both now use index.text."""
    from index import text

    assert guard.content_words is metrics.content_words is text.content_words
    assert guard.STOPWORDS is metrics.STOPWORDS is text.STOPWORDS and guard.FRAMING is metrics.FRAMING
    assert guard.parse_citations is metrics.parse_citations and guard.fold is metrics.fold
