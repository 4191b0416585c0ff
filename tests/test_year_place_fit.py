"""Year and place named in a question are checked against each document's own metadata, not its text
(assistant.extractive.fitting_documents and its use in ExtractiveAnswerer.answer)."""

from __future__ import annotations

from pathlib import Path

from assistant.engine import Assistant
from assistant.extractive import ExtractiveAnswerer, fitting_documents
from assistant.settings import Settings
from assistant.types import Query
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
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(Query(question, known_named=known), hits)
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
        Query(QUESTION_2024 + " (tỉnh Lào Cai)", known_named=("Lào Cai",)), hits
    )
    assert extract.abstained and not extract.citations
    assert extract.text == (
        "Không tìm thấy thông tin này trong các tài liệu hiện có. Các tài liệu liên quan hiện có là của năm 2022, 2025."
    )
    english = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Who compiled the quarterly reports in 2024?", lang="en"), hits
    )
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
    extract = answerer.answer(
        Query("Kế hoạch 110/KH-UBND của Phú Yên do ai ký?"), [unsigned, other], signer_hits=[other]
    )
    assert "Phạm Bình Minh" not in extract.text
    signed = answerer.answer(Query("Công văn thẩm định do ai ký?"), [other, unsigned], signer_hits=[other])
    assert "Phạm Bình Minh" in signed.text and not signed.abstained


def test_who_signed_a_document_that_shows_no_signer_says_so() -> None:
    """The answer that needs a field the document does not show says so (and counts as an abstention)."""
    unsigned = _hit("tq.txt", "Kế hoạch số 46/KH-UBND của UBND tỉnh Tuyên Quang về công tác dân vận.", "2023-03-14", 0)
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(Query("Ai ký Kế hoạch 46/KH-UBND?"), [unsigned], signer_hits=[])
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
        Query("Quyết định 1696/QĐ-UBND của tỉnh Lào Cai: ai ký quyết định đó?"), [other, named], signer_hits=[named]
    )
    assert not extract.abstained and "Nguyễn Tuấn Anh" in extract.text
    assert [c.source for c in extract.citations] == ["qd1696.pdf"]


# A province plan whose text names another province (a neighbour it coordinates with): that text does not
# make it a plan of the other province.
PLAN_LAO_CAI = (
    "Sở Nội vụ phối hợp với tỉnh Lạng Sơn và các sở, ngành tổng hợp báo cáo quý về công tác dân vận chính quyền."
)


def test_a_place_the_corpus_lacks_abstains_even_when_a_text_names_it() -> None:
    """The question asks for a province's plan; the only plan retrieved is another province's, whose text names
    the first one. Before: it was quoted as if it were that province's plan."""
    hits = [
        _hit("laocai.txt", PLAN_LAO_CAI, "2025-01-15", 0),
        _hit("yenbai.txt", PLAN_2025, "2025-01-20", 1, "UBND tỉnh Yên Bái", "Yên Bái"),
    ]
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Kế hoạch dân vận chính quyền năm 2025 của tỉnh Lạng Sơn giao cơ quan nào tổng hợp báo cáo quý?"), hits
    )
    assert extract.abstained and not extract.citations
    assert extract.text == (
        "Không tìm thấy thông tin này trong các tài liệu hiện có. "
        "Các tài liệu liên quan hiện có là của UBND tỉnh Lào Cai, UBND tỉnh Yên Bái."
    )
    unaccented = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Ke hoach nam 2025 cua tinh Lang Son giao co quan nao tong hop bao cao quy?"), hits
    )
    assert unaccented.abstained and not unaccented.citations


def test_the_named_place_keeps_its_own_documents_and_lower_places_are_content() -> None:
    """A province's plan is kept when the question also names a ward inside it (the ward is what the plan is
    about, not who issued it); a place named without any document or body word is not checked either."""
    ward = "Phường Chi Lăng tổng hợp báo cáo quý về công tác dân vận chính quyền gửi Sở Nội vụ."
    hits = [
        _hit("yenbai.txt", PLAN_2025, "2025-01-20", 0, "UBND tỉnh Yên Bái", "Yên Bái"),
        _hit("langson.txt", ward, "2025-01-15", 1, "UBND tỉnh Lạng Sơn", "Lạng Sơn"),
    ]
    abstained, sources = _answer(
        "Kế hoạch năm 2025 của tỉnh Lạng Sơn giao phường Chi Lăng tổng hợp báo cáo quý gửi đâu?", hits
    )
    assert not abstained and sources == {"langson.txt"}
    abstained, sources = _answer("Phường Chi Lăng tổng hợp báo cáo quý về công tác dân vận gửi đâu?", hits[1:])
    assert not abstained and sources == {"langson.txt"}


def test_a_document_of_unknown_issuer_and_place_is_checked_by_its_text() -> None:
    """Asked for a place's document, one that shows no issuer or place (a report copied onto a portal, an unread
    letterhead) stays only if its passage names that place; an unknown date does not exclude either."""
    unknown = _hit("x.txt", PLAN_LAO_CAI, "2025-01-15", 0, issuer="", place="")
    assert fitting_documents([unknown], [], [], ["Lạng Sơn"]) == [unknown]  # its text names Lạng Sơn
    assert fitting_documents([unknown], [], [], ["Hương An"]) == []
    undated = _hit("y.txt", PLAN_LAO_CAI, "", 0, issuer="UBND tỉnh Lạng Sơn", place="Lạng Sơn")
    assert fitting_documents([undated], ["2025"], [], ["Lạng Sơn"]) == [undated]


def _letter(province: str, number: int, date: tuple[int, int, int], body: str) -> str:
    d, m, y = date
    return (
        f"ỦY BAN NHÂN DÂN\nTỈNH {province.upper()}\n\nSố: {number}/KH-UBND\n\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\n"
        f"{province}, ngày {d:02d} tháng {m:02d} năm {y}\n\n"
        f"KẾ HOẠCH\nThực hiện công tác dân vận chính quyền năm {y}\n\n{body}\n"
    )


def test_the_engine_searches_again_among_the_documents_of_the_named_place_and_year(
    toy_settings: Settings, tmp_path: Path
) -> None:
    """Four plans of other provinces quote the question's words and name Lạng Sơn; the Lạng Sơn 2024 plan, which
    answers, shares fewer words. The first search (top 2) finds only the others: the engine searches again among
    the documents of that place and year, instead of abstaining (or quoting another province's plan)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    neighbour = (
        "Sở Nội vụ tỉnh {p} phối hợp với Sở Nội vụ tỉnh Lạng Sơn tổng hợp báo cáo quý về công tác dân vận chính "
        "quyền năm 2024 của tỉnh Lạng Sơn và tỉnh {p}; kế hoạch tỉnh Lạng Sơn năm 2024 giao cơ quan tổng hợp."
    )
    for i, p in enumerate(("Cao Bằng", "Bắc Giang", "Hà Giang", "Thái Nguyên")):
        (corpus / f"kh{i}.txt").write_text(_letter(p, 10 + i, (15, 1, 2025), neighbour.format(p=p)), encoding="utf-8")
    own = "Giao Văn phòng UBND tỉnh là cơ quan đầu mối, tổng hợp báo cáo quý gửi Ban Dân vận Tỉnh ủy."
    (corpus / "langson.txt").write_text(_letter("Lạng Sơn", 7, (20, 1, 2024), own), encoding="utf-8")
    settings = toy_settings.model_copy(update={"top_k": 2})
    Assistant(settings).sync([corpus])
    assistant = Assistant.open(settings)
    question = "Kế hoạch năm 2024 của tỉnh Lạng Sơn giao cơ quan nào tổng hợp báo cáo quý?"
    first = assistant.retriever.retrieve(question, k=2)
    assert "langson.txt" not in {h.chunk.source for h in first}, "the test needs the first search to miss it"
    answer = assistant.ask(question)
    assert not answer.abstained and {c.source for c in answer.citations} == {"langson.txt"}
    assert "Văn phòng UBND tỉnh" in answer.answer
    # A year no document of that place is of still abstains, saying which years it has.
    missing = assistant.ask("Kế hoạch năm 2022 của tỉnh Lạng Sơn giao cơ quan nào tổng hợp báo cáo quý?")
    assert missing.abstained and "2024" in missing.answer


def test_a_period_fits_a_document_of_any_year_in_it() -> None:
    """ "Quy chế làm việc nhiệm kỳ 2021-2026" asks about a period, not a document of 2021 or of 2026; before, a
    2022 report quoting it was dropped and the answer abstained."""
    from assistant.textmatch import document_years

    named = document_years("UBND phường ban hành Quy chế làm việc nhiệm kỳ 2021-2026 bằng quyết định số mấy?")
    assert named == ["2021-2026"]
    report = _hit("bc.txt", PLAN_2025, "2022-07-14", 0)
    older = _hit("old.txt", PLAN_2025, "2019-03-01", 1)
    assert fitting_documents([report, older], named, []) == [report]


def test_the_engine_searches_in_the_document_the_question_names_by_its_number(
    toy_settings: Settings, tmp_path: Path
) -> None:
    """r030: "Công văn 193/UBND-KT … giao nhiệm vụ cho những cơ quan nào?" found only the letter's header among
    other documents' passages, and answered from those. A document named by its number is searched on its own."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    others = "Ủy ban nhân dân tỉnh giao nhiệm vụ cho các cơ quan, đơn vị quản lý khoáng sản theo quy định."
    for i, p in enumerate(("Cao Bằng", "Bắc Giang", "Hà Giang")):
        (corpus / f"kh{i}.txt").write_text(_letter(p, 20 + i, (15, 1, 2025), others), encoding="utf-8")
    own = "Giao nhiệm vụ cho Sở Công Thương chủ trì quản lý vật liệu nổ; giao Công an tỉnh kiểm tra việc vận chuyển."
    (corpus / "kh193.txt").write_text(_letter("Lào Cai", 193, (10, 1, 2026), own), encoding="utf-8")
    settings = toy_settings.model_copy(update={"top_k": 2})
    Assistant(settings).sync([corpus])
    assistant = Assistant.open(settings)
    question = "Kế hoạch 193/KH-UBND giao nhiệm vụ cho những cơ quan nào?"
    first = assistant.retriever.retrieve(question, k=2)
    assert sum(h.chunk.source == "kh193.txt" for h in first) < 2, "the test needs the first search to miss it"
    answer = assistant.ask(question)
    assert {c.source for c in answer.citations} == {"kh193.txt"} and "Sở Công Thương" in answer.answer
