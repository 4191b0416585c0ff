"""Year and place named in a question are checked against each document's own metadata, not its text
(assistant.extractive.fitting_documents and its use in ExtractiveAnswerer.answer)."""

from __future__ import annotations

from assistant.extractive import ExtractiveAnswerer, fitting_documents
from index.types import Chunk, DocMeta, Retrieved

# Each plan's text cites a document of the other year: only the plan's own date says which year it is of.
PLAN_2025 = (
    "Thực hiện Kế hoạch số 5/KH-UBND ngày 10/12/2024 của UBND tỉnh. "
    "Sở Nội vụ tổng hợp báo cáo quý về công tác dân vận chính quyền của các sở, ngành gửi UBND tỉnh."
)
PLAN_2024 = (
    "Thực hiện Kế hoạch số 7/KH-UBND ngày 12/01/2023 của UBND tỉnh. "
    "Văn phòng UBND tỉnh tổng hợp báo cáo quý về công tác dân vận gửi UBND tỉnh."
)
QUESTION_2024 = "Năm 2024 cơ quan nào tổng hợp báo cáo quý về công tác dân vận chính quyền của các sở, ngành?"


def _hit(
    doc: str, text: str, date: str, n: int, issuer: str = "UBND tỉnh Lào Cai", place: str = "Lào Cai"
) -> Retrieved:
    meta = DocMeta(title="Công tác dân vận chính quyền", issuer=issuer, date=date, place=place, kind="KẾ HOẠCH")
    return Retrieved(Chunk(f"{doc}#0", doc, doc, 0, text, 0, len(text), meta=meta), 1.0 / (n + 1))


def _answer(question: str, hits: list[Retrieved], known: tuple[str, ...] = ()) -> tuple[bool, set[str]]:
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(question, hits, known_named=known)
    return extract.abstained, {c.source for c in extract.citations}


def test_a_year_cited_in_the_text_does_not_make_the_document_of_that_year() -> None:
    # The 2025 plan ranks first, shares more words with the question and its text names 2024; the question
    # asks for the 2024 plan (before: both plans were quoted).
    hits = [_hit("kh2025.txt", PLAN_2025, "2025-01-15", 0), _hit("kh2024.txt", PLAN_2024, "2024-02-01", 1)]
    abstained, sources = _answer(QUESTION_2024, hits)
    assert not abstained and sources == {"kh2024.txt"}


def test_a_year_the_corpus_lacks_abstains_even_when_a_text_mentions_it() -> None:
    hits = [_hit("kh2025.txt", PLAN_2025, "2025-01-15", 0)]
    abstained, _ = _answer(QUESTION_2024, hits)
    assert abstained


def test_year_fit_by_title_late_previous_year_and_unknown_date() -> None:
    def fits(meta: DocMeta, year: str) -> bool:
        chunk = Chunk("c", "d.txt", "d.txt", 0, "x", 0, 1, meta=meta)
        return bool(fitting_documents([Retrieved(chunk, 1.0)], [year], []))

    assert fits(DocMeta(title="Kế hoạch năm 2024", date="2025-01-05"), "2024")  # a year's report, issued after
    assert fits(DocMeta(date="2019-12-13"), "2020")  # plans for a year are issued in its last quarter before
    assert not fits(DocMeta(date="2019-05-13"), "2020")
    assert fits(DocMeta(date=""), "2020")  # undated: its year cannot be checked, so it is not excluded
    assert fits(DocMeta(date="2025-02"), "2025")


def test_place_named_without_accents_keeps_the_documents_issued_there() -> None:
    text = "Các phường gửi báo cáo quý về Phòng Nội vụ trước ngày 25 của tháng cuối quý."
    hits = [
        _hit("govap.txt", text, "2010-02-09", 0, "UBND quận Gò Vấp", "Gò Vấp"),
        _hit("badinh.txt", text, "2025-02", 1, "UBND quận Ba Đình", "Ba Đình"),
    ]
    # The engine passes the corpus's issuers/places that the question names, matched without accents.
    abstained, sources = _answer(
        "Which office must the wards send their quarterly reports to in Ba Dinh?", hits, ("Ba Đình",)
    )
    kept = fitting_documents(hits, [], ["Ba Đình"])
    assert [h.chunk.source for h in kept] == ["badinh.txt"]
    assert abstained or sources <= {"badinh.txt"}


def test_abstention_for_a_missing_year_names_the_years_on_file() -> None:
    """Asked for a year the corpus lacks, the answer abstains and says which years it has for that place."""
    hits = [
        _hit("kh2025.txt", PLAN_2025, "2025-01-15", 0),
        _hit("kh2022.txt", PLAN_2024.replace("2023", "2021"), "2022-02-01", 1),
        _hit("other.txt", PLAN_2025, "2019-03-01", 2, "UBND tỉnh Yên Bái", "Yên Bái"),
    ]
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        QUESTION_2024 + " (tỉnh Lào Cai)", hits, known_named=("Lào Cai",)
    )
    assert extract.abstained and not extract.citations
    assert extract.text == (
        "Không tìm thấy thông tin này trong các tài liệu hiện có. Các tài liệu liên quan hiện có là của năm 2022, 2025."
    )
    english = ExtractiveAnswerer(lambda _: 1.0).answer("Who compiled the quarterly reports in 2024?", hits, lang="en")
    assert english.abstained and english.text.endswith("The related documents on file are from 2019, 2022, 2025.")


def test_who_signed_is_answered_from_the_best_document_only() -> None:
    """The best document's signer is not printed: no other document's signer is given in its place."""
    unsigned = _hit("phuyen.txt", "Kế hoạch số 110/KH-UBND của UBND tỉnh Phú Yên về công tác dân vận.", "2013-11-14", 0)
    signed_text = "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC Phạm Bình Minh"
    other = Retrieved(
        Chunk(
            "cv.txt#3",
            "cv.txt",
            "cv.txt",
            3,
            signed_text,
            0,
            len(signed_text),
            meta=DocMeta(
                title="V/v thẩm định",
                issuer="Sở Nông nghiệp và Môi trường tỉnh Lào Cai",
                date="2026-07-17",
                signer="Phạm Bình Minh",
                kind="CÔNG VĂN",
            ),
        ),
        0.4,
    )
    answerer = ExtractiveAnswerer(lambda _: 1.0)
    extract = answerer.answer("Kế hoạch 110/KH-UBND của Phú Yên do ai ký?", [unsigned, other], signer_hits=[other])
    assert "Phạm Bình Minh" not in extract.text
    signed = answerer.answer("Công văn thẩm định do ai ký?", [other, unsigned], signer_hits=[other])
    assert "Phạm Bình Minh" in signed.text and not signed.abstained


def test_who_signed_a_document_that_shows_no_signer_says_so() -> None:
    """The answer that needs a field the document does not show says so (and counts as an abstention)."""
    unsigned = _hit("tq.txt", "Kế hoạch số 46/KH-UBND của UBND tỉnh Tuyên Quang về công tác dân vận.", "2023-03-14", 0)
    extract = ExtractiveAnswerer(lambda _: 1.0).answer("Ai ký Kế hoạch 46/KH-UBND?", [unsigned], signer_hits=[])
    assert extract.abstained and not extract.citations
    assert extract.text.startswith("Không tìm thấy thông tin này trong các tài liệu hiện có. Kế hoạch")
    assert extract.text.endswith("không cho thấy người ký (không có khối chữ ký, hoặc không đọc được).")


def test_who_signed_asks_the_document_whose_number_the_question_names() -> None:
    """A follow-up "Ai ký quyết định đó?" carries the number of the decision from the earlier turn."""
    other = _hit("qd2336.pdf", "Quyết định chấp thuận chủ trương đầu tư khu công nghiệp.", "2026-07-02", 0)
    text = "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH Nguyễn Tuấn Anh"
    meta = DocMeta(
        title="Về việc ủy quyền",
        issuer="UBND tỉnh Lào Cai",
        date="2026-05-15",
        number="1696/QĐ-UBND",
        signer="Nguyễn Tuấn Anh",
        kind="QUYẾT ĐỊNH",
    )
    named = Retrieved(Chunk("qd1696.pdf#9", "qd1696.pdf", "qd1696.pdf", 9, text, 0, len(text), meta=meta), 0.3)
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        "Quyết định 1696/QĐ-UBND của tỉnh Lào Cai: ai ký quyết định đó?", [other, named], signer_hits=[named]
    )
    assert not extract.abstained and "Nguyễn Tuấn Anh" in extract.text
    assert [c.source for c in extract.citations] == ["qd1696.pdf"]
