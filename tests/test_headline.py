"""The answer comes first (assistant.headline and its use in ExtractiveAnswerer): one sentence of at most 25
words, built from the cited passage, with its [n]; the quotes follow."""

from __future__ import annotations

from assistant.extractive import ExtractiveAnswerer
from assistant.headline import MAX_WORDS, asks_who, document_fields
from index.types import Chunk, DocMeta, Retrieved

BA_DINH = DocMeta(
    title="Triển khai công tác Dân vận chính quyền năm 2025",
    issuer="UBND quận Ba Đình",
    date="2025-02",
    place="Ba Đình",
    kind="KẾ HOẠCH",
)
GO_VAP = DocMeta(
    title="Thực hiện Năm Dân vận của chính quyền",
    issuer="UBND quận Gò Vấp",
    number="08/KH-UBND",
    date="2010-02-09",
    place="Gò Vấp",
    kind="KẾ HOẠCH",
)


DONG_DA = DocMeta(
    title="Quận Đống Đa tăng cường, đổi mới trong công tác dân vận",
    issuer="Quận ủy Đống Đa",
    date="2019-12-13",
    place="Đống Đa",
    kind="tin tức",
)


def _hit(doc: str, text: str, meta: DocMeta, n: int = 0, section: str = "") -> Retrieved:
    chunk = Chunk(f"{doc}#{n}", doc, doc, n, text, 0, len(text), section=section, meta=meta)
    return Retrieved(chunk, 1.0 / (n + 1))


def _first(text: str) -> str:
    return text.split("\n")[0]


def test_the_first_line_gives_the_date_asked_for_in_at_most_25_words() -> None:
    """Before: the answer began with the document's label and a 40-word quote."""
    text = (
        "Các đơn vị gửi báo cáo tình hình công tác dân vận chính quyền vào giữa các tháng cuối của mỗi quý và "
        "gửi báo cáo năm trước ngày 25/11 về UBND quận (qua Phòng Nội vụ) để tổng hợp, báo cáo Ban Dân vận "
        "Quận ủy và UBND thành phố theo quy định."
    )
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        "Thời hạn gửi báo cáo năm về dân vận chính quyền là khi nào?", [_hit("bd.txt", text, BA_DINH)]
    )
    first = _first(extract.text)
    assert "25/11" in first and first.endswith("[1].") and len(first.split()) <= MAX_WORDS + 1
    assert extract.text.split("\n")[1].startswith("Theo Kế hoạch «Triển khai công tác Dân vận chính quyền năm 2025»")
    assert "mục «" not in extract.text  # the section path is on the card, not in the text


def test_which_body_is_named_from_the_section_heading() -> None:
    text = "Là cơ quan đầu mối, tham mưu, đề xuất UBND quận ban hành kế hoạch, báo cáo về công tác dân vận chính quyền."
    hit = _hit("bd.txt", text, BA_DINH, section="III. TỔ CHỨC THỰC HIỆN › 1. Phòng Nội vụ")
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        "Ở Ba Đình năm 2025, cơ quan nào làm đầu mối tham mưu về dân vận chính quyền?", [hit]
    )
    first = _first(extract.text)
    assert first.startswith("Phòng Nội vụ: ") and len(first.split()) <= MAX_WORDS + 1


def test_number_and_date_of_a_document_are_said_first_and_cited_where_printed() -> None:
    letterhead = "ỦY BAN NHÂN DÂN\nQUẬN GÒ VẤP\nSố: 08 /KH-UBND\nGò Vấp, ngày 09 tháng 02 năm 2010\nKẾ HOẠCH"
    body = "Thực hiện Năm Dân vận của chính quyền trên địa bàn quận Gò Vấp năm 2010 như sau."
    chunks = [
        Chunk("gv.txt#0", "gv.txt", "gv.txt", 0, letterhead, 0, len(letterhead), meta=GO_VAP),
        Chunk("gv.txt#1", "gv.txt", "gv.txt", 1, body, 60, 60 + len(body), meta=GO_VAP),
    ]
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        "Kế hoạch Năm Dân vận của chính quyền quận Gò Vấp mang số hiệu nào, ký ngày nào?",
        [Retrieved(chunks[1], 1.0)],
        document_chunks=lambda doc: chunks,
    )
    assert _first(extract.text) == "Kế hoạch số 08/KH-UBND, ngày 09/02/2010 [1]."
    assert extract.citations[0].chunk_id == "gv.txt#0"
    assert letterhead[slice(*extract.citations[0].quotes[0])] == "Số: 08 /KH-UBND"


def test_several_documents_are_told_apart_in_the_first_sentence() -> None:
    ba_dinh = "Các đơn vị gửi báo cáo quý về UBND quận qua Phòng Nội vụ trước ngày 25 của tháng cuối quý."
    go_vap = "Các đơn vị gửi báo cáo quý về UBND quận qua Phòng Nội vụ trước ngày 20 của tháng cuối quý."
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        "Các đơn vị gửi báo cáo quý về đâu?", [_hit("bd.txt", ba_dinh, BA_DINH), _hit("gv.txt", go_vap, GO_VAP, 1)]
    )
    first = _first(extract.text)
    assert first.startswith("Ba Đình 2025: ") and ". Gò Vấp 2010: " in first and first.endswith("[2].")


def test_question_kinds() -> None:
    assert asks_who("Ai chịu trách nhiệm báo cáo quý?") and asks_who("Which office compiles the reports?")
    assert not asks_who("Thời hạn gửi báo cáo là khi nào?")
    assert document_fields("Quyết định 1696/QĐ-UBND ký ngày nào?") == (False, True)


def test_a_how_question_is_not_answered_with_the_document_a_plan_cites() -> None:
    """Issue 14: "… muốn cán bộ thay đổi thái độ phục vụ người dân ra sao?" was answered with "Triển khai thực
    hiện Quyết định số 6830/QĐ-UBND …", the plan's ground, not what it asks of officials."""
    cited = (
        "Triển khai thực hiện Quyết định số 6830/QĐ-UBND ngày 31/12/2024 của UBND thành phố về kế hoạch thay đổi "
        "thái độ phục vụ người dân của cán bộ."
    )
    asked = "Cán bộ thay đổi thái độ phục vụ, lấy sự hài lòng của người dân làm thước đo."
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        "Kế hoạch muốn cán bộ thay đổi thái độ phục vụ người dân ra sao?",
        [_hit("bd.txt", cited, BA_DINH), _hit("bd.txt", asked, BA_DINH, 1)],
    )
    assert _first(extract.text).startswith("Cán bộ thay đổi thái độ phục vụ")


def test_a_results_question_is_answered_with_the_sentence_that_reports_them() -> None:
    """ "… có kết quả gì nổi bật?" was answered with the news item's opening ("Sáng 13/12, Quận ủy … tổ chức
    Tổng kết …"), not with its figures."""
    opening = "Sáng 13/12, Quận ủy Đống Đa tổ chức Tổng kết công tác dân vận khéo năm 2019 của quận."
    figures = "Năm 2019, đã có 103 tập thể và 115 cá nhân đăng ký thực hiện 230 mô hình dân vận khéo."
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        "Quận Đống Đa năm 2019 có kết quả gì nổi bật về dân vận khéo?",
        [_hit("dd.txt", opening, DONG_DA), _hit("dd.txt", figures, DONG_DA, 1)],
    )
    assert "230 mô hình" in _first(extract.text)
