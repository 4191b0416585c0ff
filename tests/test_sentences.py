"""One sentence rule for the chunker, the answerer, the guard and the evaluation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from assistant import evidence, lists, quoting
from assistant.guard import split_units
from eval import metrics
from index.chunking import chunk_document
from index.clean import clean
from index.sentences import answer_sentences, clause_spans, sentence_spans
from index.types import Document


def _texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[a:b] for a, b in spans]


def test_sentence_ends_and_what_is_not_one() -> None:
    text = (
        "UBND TP. Hà Nội giao Phòng Nội vụ tổng hợp. Báo cáo gửi trước ngày 16 hằng tháng!\n"
        "II. NHIỆM VỤ TRỌNG TÂM\n"
        "Theo mục 2. Công tác dân vận (“Dân vận khéo”.) Xong?\n"
        "KT. CHỦ TỊCH\n"
        "các hoạt động văn hóa, thể thao… được tổ chức thường xuyên, phòng chống lãng phí… - Lập kế hoạch.\n"
        "- Ông. Triệu Vũ - Phó Chủ tịch xã\n"
        "Bà. Lương Thị Lợi\n"
        "Phía Nam mỏ giáp hồ Thác Bà. Không có nhà dân."
    )
    assert _texts(text, sentence_spans(text)) == [
        "UBND TP. Hà Nội giao Phòng Nội vụ tổng hợp.",  # "TP." is an abbreviation
        "Báo cáo gửi trước ngày 16 hằng tháng!",
        "II. NHIỆM VỤ TRỌNG TÂM",  # a heading number is no sentence end; the line break is
        "Theo mục 2. Công tác dân vận (“Dân vận khéo”.)",  # closers stay with their sentence
        "Xong?",
        "KT. CHỦ TỊCH",
        "các hoạt động văn hóa, thể thao… được tổ chức thường xuyên, phòng chống lãng phí…",
        "- Lập kế hoạch.",
        "- Ông. Triệu Vũ - Phó Chủ tịch xã",  # a person's title in a form (the Biên bản at Yên Thành, by OCR)
        "Bà. Lương Thị Lợi",
        "Phía Nam mỏ giáp hồ Thác Bà.",  # a name that ends in "Bà"
        "Không có nhà dân.",
    ]


def test_sentence_spans_within_bounds() -> None:
    text = "Mở đầu. Câu một. Câu hai. Kết."
    start, end = text.index("Câu một"), text.index(" Kết")
    assert _texts(text, sentence_spans(text, start, end)) == ["Câu một.", "Câu hai."]


def test_clause_spans_for_quoting() -> None:
    text = "Câu một. Câu hai; câu ba:\n- gạch đầu dòng\n4. Đề nghị Ủy ban MTTQ và các tổ chức chính trị - xã hội."
    assert _texts(text, clause_spans(text)) == [
        "Câu một.",
        "Câu hai;",
        "câu ba:",
        "gạch đầu dòng",
        "4.",  # the item number apart, so the heading's words can be recognised
        "Đề nghị Ủy ban MTTQ và các tổ chức chính trị - xã hội.",
    ]
    assert (
        evidence.clause_spans is quoting.clause_spans is lists.clause_spans is clause_spans
    )  # the answerer quotes by this rule


def test_answer_sentences_bullets_and_markers() -> None:
    answer = "Theo Kế hoạch [1]: Phòng Nội vụ tổng hợp. [1]\n- UBND TP. Hà Nội chỉ đạo [2].\n2. Báo cáo quý. [1][3]"
    got = answer_sentences(answer)
    assert [s.text for s in got] == [
        "Theo Kế hoạch [1]: Phòng Nội vụ tổng hợp. [1]",
        "UBND TP. Hà Nội chỉ đạo [2].",
        "Báo cáo quý. [1][3]",
    ]
    assert [s.prefix for s in got] == ["", "- ", "2. "]
    assert [s.line for s in got] == [0, 1, 2]


@given(st.text(alphabet="abc AB.!?;:[]12\n-•…”", max_size=80))
def test_guard_and_eval_split_answers_alike(answer: str) -> None:
    assert [u.text for u in split_units(answer)] == metrics.split_sentences(answer)


def test_chunker_does_not_cut_at_abbreviations_or_wrapped_lines() -> None:
    raw = (
        "Ủy ban nhân dân TP. Hồ Chí Minh giao Phòng Nội vụ tổng hợp, báo cáo kết quả về Ủy ban nhân dân thành\n"
        "phố trước ngày 16 hằng tháng. Các phường gửi báo cáo quý về Phòng Nội vụ để tổng hợp chung.\n"
        "Phòng Văn hóa tuyên truyền."
    )
    text = clean(raw)
    doc = Document("d.txt", "d.txt", "/tmp/d.txt", text, "txt")
    chunks = chunk_document(doc, lambda t: len(t.split()), max_tokens=32, overlap_tokens=0)
    first = chunks[0].text
    assert first.startswith("Ủy ban nhân dân TP. Hồ Chí Minh")
    assert first.endswith("thành phố trước ngày 16 hằng tháng.")  # one sentence, whole
