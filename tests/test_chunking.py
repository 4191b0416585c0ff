"""Structure-aware chunking: heading paths, token budget, overlap and exact offsets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.types import Query
from index.chunking import CHUNKER_VERSION, chunk_document
from index.clean import clean
from index.loaders import read_text
from index.metadata import extract_metadata
from index.types import Chunk, Document

CORPUS = Path(__file__).parents[1] / "corpus"


def words(text: str) -> int:
    """Whitespace token counter: simple, additive."""
    return len(text.split())


def quarter_chars(text: str) -> int:
    """Subword-like counter: not additive over concatenation."""
    return (len(text) + 3) // 4


def _doc(prefix: str) -> Document:
    (path,) = CORPUS.glob(f"{prefix}_*.txt")
    text = clean(read_text(path))
    return Document(path.name, path.name, str(path), text, "hash", extract_metadata(text, path.name))


def _text_doc(text: str) -> Document:
    return Document("d.txt", "d.txt", "/tmp/d.txt", text, "hash")


def _check(doc: Document, chunks: list[Chunk], count: Callable[[str], int], max_tokens: int) -> None:
    for n, c in enumerate(chunks):
        assert doc.text[c.start : c.end] == c.text
        assert c.text and c.text == c.text.strip()
        assert count(c.text) <= max_tokens
        assert (c.ordinal, c.chunk_id, c.doc_id, c.source, c.meta) == (
            n,
            f"{doc.doc_id}#{n}",
            doc.doc_id,
            doc.source,
            doc.meta,
        )


def test_version_is_declared() -> None:
    assert isinstance(CHUNKER_VERSION, str) and CHUNKER_VERSION


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
@pytest.mark.parametrize(("count", "max_tokens"), [(words, 220), (words, 40), (quarter_chars, 60)])
def test_corpus_budget_offsets_and_determinism(prefix: str, count: Callable[[str], int], max_tokens: int) -> None:
    doc = _doc(prefix)
    chunks = chunk_document(doc, count, max_tokens, 30 if max_tokens > 40 else 8)
    _check(doc, chunks, count, max_tokens)
    assert chunks == chunk_document(doc, count, max_tokens, 30 if max_tokens > 40 else 8)


def test_003_heading_paths() -> None:
    chunks = chunk_document(_doc("003"), words)
    focal = [c for c in chunks if c.section == "III. TỔ CHỨC THỰC HIỆN › 1. Phòng Nội vụ"]
    assert focal and "Là cơ quan đầu mối" in focal[0].text
    assert focal[0].text.startswith("1. Phòng Nội vụ\n\nLà cơ quan đầu mối")  # heading stays with its text
    sections = [c.section for c in chunks]
    assert sections[0] == ""  # number, dateline, title and preamble
    assert "II. NỘI DUNG › 4. Công tác sơ kết, tổng kết, báo cáo và thi đua khen thưởng" in sections
    assert "III. TỔ CHỨC THỰC HIỆN › 4. Đề nghị Ủy ban MTTQ và các tổ chức chính trị - xã hội" in sections
    # A part heading with no text of its own opens its first item's passage.
    first_item = next(c for c in chunks if c.section.startswith("I. MỤC ĐÍCH, YÊU CẦU › 1. "))
    assert first_item.text.startswith("I. MỤC ĐÍCH, YÊU CẦU\n\n1. Tiếp tục tăng cường")
    assert "I. MỤC ĐÍCH, YÊU CẦU" not in sections
    # Long numbered paragraphs get a short label.
    assert all(len(s.split(" › ")[-1]) <= 130 for s in sections)


def test_003_recipients_section() -> None:
    last = chunk_document(_doc("003"), words)[-1]
    assert last.section == "Nơi nhận"
    assert last.text.startswith("Nơi nhận:") and "- Lưu: VT, NV." in last.text
    assert last.text.endswith("PHÓ CHỦ TỊCH\n\nPhạm Thị Diễm")


def test_recipients_misread_by_ocr_still_close_the_body() -> None:
    """3036-SCT (a scan): OCR read "Nưi nhận:", so the recipients and the signature were the last numbered item's
    text, and "những phương pháp kiểm tra nào?" was answered "Như trên; Ban Giám đốc Sở; …"."""
    text = (
        "6. Phương pháp kiểm tra: Kiểm tra, đối chiếu hồ sơ; Quan sát tại hiện trường.\n\n"
        "Sở Công Thương thông báo để Công ty được biết./.\n\n"
        "Nưi nhận: KT. GIÁM ĐÓC\n- Như trên;\n- Ban Giảm đôc Sở;\n- Lưu: VT."
    )
    chunks = chunk_document(_text_doc(text), words)
    assert [c.section for c in chunks] == ["6. Phương pháp kiểm tra", "Nơi nhận"]
    assert "Như trên" not in chunks[0].text and chunks[1].text.startswith("Nưi nhận:")


# The end of KH-UBND-trien-khai-Chi-thi-11 (../shared/realdocs, .docx): its key tasks are an appendix after the
# signature, with a mention of it in the body; QD-1696 (PDF) titles it on the line below "PHỤ LỤC:" and numbers its
# parts; QD-2336 (a scan) has a stamp's mark before it.
APPENDIX_PLAN = (
    "IV. TỔ CHỨC THỰC HIỆN\n12. Ủy ban nhân dân các xã, phường\nRà soát các mỏ khoáng sản làm vật liệu xây dựng.\n\n"
    "(Một số nhiệm vụ trọng tâm thực hiện có Phụ lục kèm theo)\n\n"
    "Nơi nhận:\n- Bộ Nông nghiệp và Môi trường;\n- Phụ lục kèm theo;\n- Lưu: VT, KT.\n\n"
    "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nNguyễn Thành Sinh\n\nPhụ lục\n\n"
    "MỘT SỐ NHIỆM VỤ TRỌNG TÂM CỦA CÁC SỞ, BAN, NGÀNH VÀ ĐỊA PHƯƠNG\n\n"
    "(Kèm theo Kế hoạch số:           /KH-UBND ngày        tháng      năm 2026 của UBND tỉnh Lào Cai)\n\n"
    "TT: 1 | Tên nhiệm vụ: Tổ chức quán triệt sâu rộng Chỉ thị của Ban Thường vụ Tỉnh ủy | "
    "Sở, ngành chủ trì tham mưu: Các Sở, ban, ngành; UBND các xã, phường | Thời gian thực hiện: Quý II/2026\n"
)
APPENDIX_DECISION = (
    "Điều 3. Quyết định này có hiệu lực kể từ ngày ký.\nNơi nhận:\n- Như Điều 3;\n- Lưu: VT, KT (Long).\n"
    "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Tuấn Anh\nPHỤ LỤC:\n"
    "DANH MỤC NHIỆM VỤ QUYỀN HẠN TRONG LĨNH VỰC AN TOÀN VỆ SINH LAO ĐỘNG;\n"
    "I. Lĩnh vực Vận chuyển hàng hóa nguy hiểm\n1. Cấp giấy phép vận chuyển hàng hóa nguy hiểm loại 1, 2, 3.\n"
    "II. Lĩnh vực An toàn vệ sinh lao động\n1. Thông báo tình hình tai nạn lao động trên địa bàn tỉnh.\n"
)


@pytest.mark.parametrize(
    ("text", "sections"),
    [
        (
            APPENDIX_PLAN,
            [
                "IV. TỔ CHỨC THỰC HIỆN › 12. Ủy ban nhân dân các xã, phường",
                "Nơi nhận",
                "Phụ lục: MỘT SỐ NHIỆM VỤ TRỌNG TÂM CỦA CÁC SỞ, BAN, NGÀNH VÀ ĐỊA PHƯƠNG",
            ],
        ),
        (
            APPENDIX_DECISION,
            [
                "Điều 3. Quyết định này có hiệu lực…",
                "Nơi nhận",
                "PHỤ LỤC: DANH MỤC NHIỆM VỤ QUYỀN HẠN TRONG LĨNH VỰC AN TOÀN VỆ SINH LAO ĐỘNG",
                "PHỤ LỤC: DANH MỤC NHIỆM VỤ QUYỀN HẠN TRONG LĨNH VỰC AN TOÀN VỆ SINH LAO ĐỘNG › "
                "I. Lĩnh vực Vận chuyển hàng hóa nguy hiểm › 1. Cấp giấy phép vận chuyển hàng…",
                "PHỤ LỤC: DANH MỤC NHIỆM VỤ QUYỀN HẠN TRONG LĨNH VỰC AN TOÀN VỆ SINH LAO ĐỘNG › "
                "II. Lĩnh vực An toàn vệ sinh lao động › 1. Thông báo tình hình tai nạn…",
            ],
        ),
        (
            "Điều 1. Chấp thuận dự án.\nNơi nhận:\n- Lưu: VT, KT. S1 2\n\nNguyễn Tuấn Anh\n= Phụ lục\n"
            "BẢNG TỌA ĐỘ RANH GIỚI PHẠM VI THỰC HIỆN DỰ ÁN ĐẦU TƯ\nĐiểm 1: X = 2403512, Y = 512043\n",
            ["Điều 1. Chấp thuận dự án", "Nơi nhận", "Phụ lục: BẢNG TỌA ĐỘ RANH GIỚI PHẠM VI THỰC HIỆN DỰ ÁN ĐẦU TƯ"],
        ),
    ],
)
def test_an_appendix_after_the_signature_is_a_part_of_its_own(text: str, sections: list[str]) -> None:
    """Not the recipients' section: its tasks are cited as the appendix's, which the body's mention of it ("có Phụ
    lục kèm theo") and the recipients' line "- Phụ lục kèm theo;" do not start."""
    doc = _text_doc(text)
    chunks = chunk_document(doc, words, max_tokens=40, overlap_tokens=0)
    _check(doc, chunks, words, 40)
    assert list(dict.fromkeys(c.section for c in chunks)) == sections
    appendix = [c for c in chunks if c.section.startswith(sections[2])]
    assert appendix[0].text.lstrip("= ").upper().startswith("PHỤ LỤC")
    assert "Nguyễn" not in " ".join(c.text for c in appendix)  # the signature stays in the recipients' section


def test_002_inline_headings_on_one_long_line() -> None:
    chunks = chunk_document(_doc("002"), words)
    sections = [c.section for c in chunks]
    focal = [c for c in chunks if c.section == "III. Tổ chức thực hiện › 3. Phòng Nội vụ"]
    assert focal and focal[0].text.startswith("3. Phòng Nội vụ: - Phối hợp với Ban Dân vận Quận ủy")
    parts = list(dict.fromkeys(s.split(" › ")[0] for s in sections if s))
    assert parts == ["I. Mục đích – Yêu cầu", "II. Nội dung thực hiện", "III. Tổ chức thực hiện", "Nơi nhận"]
    items = [s for s in dict.fromkeys(sections) if s.startswith("III.")]
    assert [s.split(" › ")[1].split(".")[0] for s in items] == ["1", "2", "3", "4"]
    # "phường 3" and "ISO 9001:2000" do not start items; the stray page number "4" is left out.
    assert not any("phường 3" in s or "9001" in s for s in sections)
    before = chunks[chunks.index(focal[0]) - 1]
    assert before.text.endswith("trong thi hành nhiệm vụ.")
    assert chunks[-1].section == "Nơi nhận" and chunks[-1].text.endswith("(đã ký) Nguyễn Hồng")


def test_news_items_are_one_section() -> None:
    for prefix in ("000", "001", "004"):
        assert {c.section for c in chunk_document(_doc(prefix), words)} == {""}


def test_overlap_whole_sentences_within_a_section() -> None:
    sentences = [f"Câu số {i} nói về công tác dân vận." for i in range(1, 41)]
    text = "I. MỤC ĐÍCH\n\n" + " ".join(sentences) + "\n\nII. NỘI DUNG\n\n" + " ".join(sentences[:8])
    doc = _text_doc(text)
    chunks = chunk_document(doc, words, max_tokens=40, overlap_tokens=10)
    _check(doc, chunks, words, 40)
    first = [c for c in chunks if c.section == "I. MỤC ĐÍCH"]
    assert len(first) > 3
    for a, b in zip(first, first[1:], strict=False):
        assert b.start < a.end  # shared text
        shared = doc.text[b.start : a.end]
        assert words(shared) <= 10 and shared.strip().endswith(".")  # whole sentences
    second = [c for c in chunks if c.section == "II. NỘI DUNG"]
    assert second[0].start >= first[-1].end  # no overlap across sections


def test_no_overlap_when_zero() -> None:
    doc = _text_doc(" ".join(f"Câu {i} ngắn." for i in range(50)))
    chunks = chunk_document(doc, words, max_tokens=12, overlap_tokens=0)
    assert all(b.start >= a.end for a, b in zip(chunks, chunks[1:], strict=False))


def test_over_long_sentence_split_at_clauses_then_words() -> None:
    clause = "phối hợp với Mặt trận Tổ quốc và các đoàn thể"
    text = "1. Phòng Nội vụ: " + "; ".join([clause] * 6) + " " + " ".join(["dânvận"] * 300) + "."
    doc = _text_doc(text)
    for count, limit in ((words, 25), (quarter_chars, 30)):
        chunks = chunk_document(doc, count, max_tokens=limit, overlap_tokens=5)
        _check(doc, chunks, count, limit)
        assert "".join("".join(c.text.split()) for c in chunks).count("dânvận") >= 300  # nothing lost
    clause_chunks = chunk_document(doc, words, max_tokens=25, overlap_tokens=0)
    assert clause_chunks[0].text.endswith(";")


def test_single_huge_word_is_cut_by_characters() -> None:
    doc = _text_doc("x" * 1000)
    chunks = chunk_document(doc, quarter_chars, max_tokens=50, overlap_tokens=0)
    _check(doc, chunks, quarter_chars, 50)
    assert "".join(c.text for c in chunks) == "x" * 1000


def test_numbers_that_do_not_continue_the_sequence_are_not_headings() -> None:
    text = (
        "I. Nội dung: 1. Triển khai tại UBND phường 3. Tiếp tục rà soát. 2. Tổ chức học tập năm 2010. "
        "5. Không phải mục. 3. Báo cáo định kỳ."
    )
    sections = [c.section for c in chunk_document(_text_doc(text), words, max_tokens=8, overlap_tokens=0)]
    labels = {s.split(" › ")[-1] for s in sections}
    assert labels == {"1. Triển khai tại UBND phường 3", "2. Tổ chức học tập năm 2010", "3. Báo cáo định kỳ"}


def test_line_start_legal_headings() -> None:
    text = (
        "Chương I\nQUY ĐỊNH CHUNG\nĐiều 1. Phạm vi\n1. Quy chế này quy định việc tiếp dân.\n"
        "Điều 2. Hiệu lực\nCó hiệu lực."
    )
    chunks = chunk_document(_text_doc(text), words, max_tokens=60, overlap_tokens=0)
    assert [c.section for c in chunks] == [
        "Chương I",
        "Chương I › Điều 1. Phạm vi › 1. Quy chế này quy định việc…",  # a one-sentence clause stays quotable
        "Chương I › Điều 2. Hiệu lực",
    ]
    assert chunks[1].text.startswith("Điều 1. Phạm vi\n1. Quy chế")


def test_trailing_numbers_that_are_content_are_kept() -> None:
    text = "1. Phòng Nội vụ\nThực hiện theo khoản 3"
    assert chunk_document(_text_doc(text), words)[-1].text.endswith("khoản 3")


def test_empty_and_invalid() -> None:
    assert chunk_document(_text_doc(""), words) == []
    assert chunk_document(_text_doc(" \n\n\t"), words) == []
    with pytest.raises(ValueError):
        chunk_document(_text_doc("a"), words, max_tokens=0)
    with pytest.raises(ValueError):
        chunk_document(_text_doc("a"), words, overlap_tokens=-1)


_PIECES = st.sampled_from(
    [
        "I. ",
        "II. ",
        "III. ",
        "1. ",
        "2. ",
        "3. ",
        "4 ",
        "Nơi nhận:",
        "Phòng ",
        "Nội vụ",
        ". ",
        ": ",
        "; ",
        "\n",
    ]
    + ["\n\n", " ", "a) ", "1.1. ", "x" * 40, "“", "”", "./", "5", "Điều 2. ", "Chương I\n", "\u00a0"]
)
_TEXT = st.one_of(st.text(), st.lists(_PIECES, max_size=60).map("".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT, st.integers(1, 40), st.integers(0, 50), st.sampled_from([words, quarter_chars]))
def test_property_never_crashes_offsets_slice_back(
    text: str, max_tokens: int, overlap: int, count: Callable[[str], int]
) -> None:
    doc = _text_doc(text)
    chunks = chunk_document(doc, count, max_tokens, overlap)
    for n, c in enumerate(chunks):
        assert text[c.start : c.end] == c.text and c.text == c.text.strip() and c.ordinal == n
        assert count(c.text) <= max_tokens or len(c.text) == 1  # one character is the smallest cut
    assert all(b.end > a.end for a, b in zip(chunks, chunks[1:], strict=False))
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    lost = {text[i] for i in range(len(text)) if i not in covered and not text[i].isspace()}
    assert lost <= set("0123456789")  # only stray page numbers are left out


def test_a_numbered_task_written_as_one_sentence_stays_a_quotable_sentence() -> None:
    """A plan's "1. Ban Quản lý chợ … trước ngày 30/11/2026." was taken whole as a heading: the answerer, which never
    quotes a heading, had only "1." left and said the date was not stated (found by the library's browser test)."""
    from assistant.extractive import ExtractiveAnswerer
    from index.types import Retrieved

    text = (
        "KẾ HOẠCH\nI. TỔ CHỨC THỰC HIỆN\n"
        "1. Ban Quản lý chợ Quảng An lắp đặt camera giám sát an ninh trước ngày 30/11/2026.\n"
        "2. Phòng Kinh tế tổng hợp, báo cáo kết quả trước ngày 15/12/2026.\n3. Mục đích.\n"
    )
    chunks = chunk_document(Document("kh", "kh.txt", "kh.txt", text, "h"), lambda s: len(s.split()))
    sections = [c.section for c in chunks]
    assert "I. TỔ CHỨC THỰC HIỆN › 1. Ban Quản lý chợ Quảng An…" in sections
    assert "I. TỔ CHỨC THỰC HIỆN › 3. Mục đích" in sections  # a short heading ending with a stop stays one
    answer = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Ban Quản lý chợ Quảng An phải lắp camera trước ngày nào?"), [Retrieved(c, 1.0) for c in chunks]
    )
    assert not answer.abstained and "30/11/2026" in answer.text.split("\n")[0]
