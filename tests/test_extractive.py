"""The extractive answerer's quoting by meaning: which sentences reach the model, and when none do."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.extractive import ExtractiveAnswerer
from assistant.settings import Settings
from assistant.types import Query
from index.embed import HashEmbedder
from index.types import Chunk, Retrieved

FIRST = "Phòng Nội vụ tổng hợp báo cáo quý của các đơn vị. Các phường gửi báo cáo trước ngày 25 hằng tháng."
# Overlapping chunks repeat a sentence: "Các phường gửi báo cáo…" ends the first and starts the second.
SECOND = "Các phường gửi báo cáo trước ngày 25 hằng tháng. Thanh tra quận tăng cường tiếp công dân định kỳ."


class CountingEmbedder:
    """The toy hashing embedder, recording every passage text it is asked to embed."""

    def __init__(self) -> None:
        self.inner = HashEmbedder()
        self.passages: list[str] = []

    def embed_query(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passage(self, texts: Sequence[str]) -> np.ndarray:
        self.passages.extend(texts)
        return self.inner.embed_passages(texts)


def hit(text: str, n: int, dense: float | None) -> Retrieved:
    chunk = Chunk(f"c{n}", "d.txt", "d.txt", n, text, 0, len(text))
    return Retrieved(chunk, 1.0 / (n + 1), dense_rank=n + 1 if dense is not None else None, dense_score=dense)


def answerer(emb: CountingEmbedder) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(lambda _: 1.0, emb.embed_query, emb.embed_passage, min_dense=0.87)


def test_a_sentence_shared_by_overlapping_passages_is_embedded_once() -> None:
    emb = CountingEmbedder()
    cands = answerer(emb).by_meaning("Ai gửi báo cáo?", [hit(FIRST, 0, 0.9), hit(SECOND, 1, 0.88)])
    assert len(cands) == 4  # every sentence of both passages is a candidate…
    assert len(emb.passages) == 3 == len(set(emb.passages))  # …but the shared one reached the model once
    shared = [c.score for c in cands if c.hit.chunk.text[c.start : c.end].startswith("Các phường")]
    assert len(shared) == 2 and shared[0] == shared[1]


def test_passages_far_from_the_question_skip_the_model() -> None:
    emb = CountingEmbedder()
    far = [hit(FIRST, 0, 0.80), hit(SECOND, 1, 0.79)]
    assert answerer(emb).by_meaning("Thời tiết ngày mai thế nào?", far) == [] and emb.passages == []
    # One passage close enough, or one whose similarity is unknown (found by BM25 only): the model runs.
    for second in (0.86, None):
        emb = CountingEmbedder()
        assert answerer(emb).by_meaning("Ai gửi báo cáo?", [hit(FIRST, 0, 0.80), hit(SECOND, 1, second)])
        assert emb.passages


def test_document_labels_golden() -> None:
    from assistant.extractive import doc_label
    from index.types import DocMeta

    plan = DocMeta(kind="KẾ HOẠCH", number="08/KH-UBND", issuer="UBND quận Gò Vấp", date="2010-02-09")
    assert doc_label(plan, "002.txt", "vi") == "Kế hoạch số 08/KH-UBND (UBND quận Gò Vấp, 09/02/2010)"
    assert doc_label(plan, "002.txt", "en") == "Plan 08/KH-UBND (UBND quận Gò Vấp, 09/02/2010)"
    news = DocMeta(kind="tin tức", title="Dân vận chính quyền", date="2018-05", number="1186-TB/TU")
    assert doc_label(news, "001.txt", "vi") == "bài «Dân vận chính quyền» (05/2018)"
    assert doc_label(DocMeta(), "x.txt", "en") == "document x.txt"
    # Each kind by its own word (before, every kind but a plan was "văn bản"), as printed in capitals or not.
    decision = DocMeta(kind="QUYẾT ĐỊNH", number="1696/QĐ-UBND", issuer="UBND tỉnh Lào Cai", date="2026-05-15")
    assert doc_label(decision, "qd.pdf", "vi") == "Quyết định số 1696/QĐ-UBND (UBND tỉnh Lào Cai, 15/05/2026)"
    assert doc_label(decision, "qd.pdf", "en") == "Decision 1696/QĐ-UBND (UBND tỉnh Lào Cai, 15/05/2026)"
    letter = DocMeta(kind="Công văn", title="V/v từ chối thẩm định", issuer="Sở Công Thương tỉnh Lào Cai")
    assert doc_label(letter, "cv.doc", "vi") == "Công văn «V/v từ chối thẩm định» (Sở Công Thương tỉnh Lào Cai)"
    assert doc_label(DocMeta(kind="BIÊN BẢN", title="Kiểm tra hiện trường"), "bb.pdf", "en") == (
        "Minutes «Kiểm tra hiện trường»"
    )
    assert doc_label(DocMeta(kind="ĐỀ ÁN", number="5/ĐA-UBND"), "da.pdf", "vi") == "văn bản số 5/ĐA-UBND"


def _plan(doc: str, text: str, place: str, n: int) -> Retrieved:
    from index.types import DocMeta

    meta = DocMeta(kind="KẾ HOẠCH", issuer=f"UBND quận {place}", place=place, date="2020-01-01")
    return Retrieved(Chunk(f"{doc}-{n}", doc, doc, n, text, 0, len(text), meta=meta), 1.0 / (n + 1))


BA_DINH = "Phòng Nội vụ quận tổng hợp báo cáo quý về công tác dân vận chính quyền của các đơn vị trong quận."
GO_VAP = "Các phường định kỳ hàng quý gửi báo cáo công tác dân vận cho Ủy ban nhân dân quận."


def test_every_plan_that_answers_is_quoted_unless_the_question_names_one() -> None:
    emb = CountingEmbedder()
    hits = [_plan("ba-dinh.txt", BA_DINH, "Ba Đình", 0), _plan("go-vap.txt", GO_VAP, "Gò Vấp", 1)]
    both = answerer(emb).answer(Query("Ai tổng hợp báo cáo quý về công tác dân vận chính quyền?"), hits)
    assert {c.source for c in both.citations} == {"ba-dinh.txt", "go-vap.txt"}
    assert "UBND quận Ba Đình" in both.text and "UBND quận Gò Vấp" in both.text  # which plan says what
    one = answerer(emb).answer(Query("Ở quận Ba Đình ai tổng hợp báo cáo quý về công tác dân vận chính quyền?"), hits)
    assert {c.source for c in one.citations} == {"ba-dinh.txt"}


def test_sentences_embedded_at_index_time_spare_the_model_at_question_time(
    toy_settings: Settings, corpus_copy: Path
) -> None:
    from assistant.engine import Assistant

    calls: dict[bool, int] = {}
    for precompute in (True, False):
        data = toy_settings.data_dir / ("with" if precompute else "without")
        settings = toy_settings.model_copy(
            update={"corpus_dir": corpus_copy, "data_dir": data, "sentence_vectors": precompute}
        )
        a = Assistant(settings)
        a.sync()
        inner = a.index.embedder.inner  # the model behind the vector cache
        seen: list[str] = []
        original = inner.embed_passages
        inner.embed_passages = lambda texts, o=original, s=seen: (s.extend(texts), o(texts))[1]
        a.extractive.gate_by_passage_similarity = False  # hash vectors: passages always look far
        hits = a.retriever.retrieve("Phòng Nội vụ làm gì?", k=4)
        assert a.extractive.by_meaning("Phòng Nội vụ làm gì?", hits)
        calls[precompute] = len(seen)
    assert calls == {True: 0, False: calls[False]} and calls[False] > 0


def test_a_dateline_is_no_answer_to_what_a_plan_says() -> None:
    """ "Kế hoạch 110 của Phú Yên năm 2013 có mục đích gì?" was answered "Phú Yên, ngày 14 tháng 11 năm 2013 KẾ
    HOẠCH": the dateline says the place, the year and the kind of document the question names."""
    head = "Phú Yên, ngày 14 tháng 11 năm 2020\nKẾ HOẠCH"
    body = "Mục đích của kế hoạch là nâng cao nhận thức của cán bộ về công tác dân vận."
    hits = [_plan("py.txt", head, "Phú Yên", 0), _plan("py.txt", body, "Phú Yên", 1)]
    emb = CountingEmbedder()
    what = answerer(emb).answer(Query("Kế hoạch của tỉnh Phú Yên năm 2020 có mục đích gì?"), hits)
    assert what.text.startswith("Mục đích của kế hoạch"), what.text
    assert "ngày 14 tháng 11" not in what.text  # nor is it quoted


def _numbered(doc: str, place: str, number: str, day: str, text: str) -> Retrieved:
    from index.types import DocMeta

    meta = DocMeta(
        title="Thực hiện công tác dân vận chính quyền",
        kind="KẾ HOẠCH",
        issuer=f"UBND tỉnh {place}",
        place=place,
        number=number,
        date=day,
    )
    return Retrieved(Chunk(f"{doc}-0", doc, doc, 0, text, 0, len(text), meta=meta), 1.0)


def test_the_number_and_date_of_each_document_whose_place_the_question_names() -> None:
    """r033: "Kế hoạch … của Trà Vinh năm 2020 và của Bắc Kạn năm 2025 mang số hiệu gì?" was answered by a sentence
    of one plan: the fields were said only of a document the whole question describes."""
    hits = [
        _numbered(
            "bk.txt", "Bắc Kạn", "21/KH-UBND", "2025-01-16", "Số: 21/KH-UBND\nThực hiện công tác dân vận năm 2025."
        ),
        _numbered(
            "tv.txt", "Trà Vinh", "19/KH-UBND", "2020-04-06", "Số: 19/KH-UBND\nThực hiện công tác dân vận năm 2020."
        ),
    ]
    emb = CountingEmbedder()
    both = answerer(emb).answer(
        Query("Kế hoạch dân vận chính quyền của Trà Vinh năm 2020 và của Bắc Kạn năm 2025 mang số hiệu gì?"), hits
    )
    first = both.text.split("\n")[0]
    assert first.startswith("Trà Vinh 2020: Kế hoạch số 19/KH-UBND, ngày 06/04/2020 [")  # in the question's order
    assert "; Bắc Kạn 2025: Kế hoạch số 21/KH-UBND, ngày 16/01/2025 [" in first
    assert {c.source for c in both.citations} == {"bk.txt", "tv.txt"}


def test_a_heading_alone_is_no_statement() -> None:
    """An excerpt that stops after a heading ("MỤC ĐÍCH, YÊU CẦU 1.") answered "… có mục đích gì?" with it."""
    hits = [_plan("gl.txt", "MỤC ĐÍCH, YÊU CẦU\n1.", "Gia Lai", 0), _plan("gl.txt", BA_DINH, "Gia Lai", 1)]
    extract = answerer(CountingEmbedder()).answer(Query("Kế hoạch của Gia Lai có mục đích, yêu cầu gì?"), hits)
    assert "MỤC ĐÍCH, YÊU CẦU 1" not in extract.text, extract.text


def test_a_legal_portals_card_is_no_statement() -> None:
    """ "Kế hoạch 110 của Phú Yên năm 2013 có mục đích gì?" was answered "Nơi ban hành: Tỉnh Phú Yên Người ký: Phạm
    Đình Cự": the card of the portal the plan was copied from, which names the place and the kind asked."""
    from dataclasses import replace

    card = "Số hiệu: 110/KH-UBND Loại văn bản: Văn bản khác\nNơi ban hành: Tỉnh Phú Yên Người ký: Phạm Đình Cự"
    purpose = "Nhằm tạo sự chuyển biến mạnh mẽ, tích cực về nhận thức của cán bộ, công chức trong tỉnh."
    first, second = _plan("py.txt", card, "Phú Yên", 0), _plan("py.txt", purpose, "Phú Yên", 1)
    second = Retrieved(replace(second.chunk, section="I. MỤC ĐÍCH, YÊU CẦU"), second.score)
    extract = answerer(CountingEmbedder()).answer(Query("Kế hoạch của tỉnh Phú Yên có mục đích gì?"), [first, second])
    assert extract.text.startswith("Nhằm tạo sự chuyển biến"), extract.text


class CosineEmbedder:
    """Sentence vectors at a set cosine to every question's (1, 0): the meaning scores a test wants."""

    def __init__(self, cosines: dict[str, float]) -> None:
        self.cosines = cosines

    def embed_query(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([[1.0, 0.0] for _ in texts], dtype=np.float32)

    def embed_passage(self, texts: Sequence[str]) -> np.ndarray:
        c = [self.cosines.get(t.strip(), 0.0) for t in texts]
        return np.array([[x, (1.0 - x * x) ** 0.5] for x in c], dtype=np.float32)


def test_a_deadline_question_is_answered_by_a_date_said_as_a_deadline() -> None:
    """q051 ("Han chot nop bao cao nam …?"), built by another engine: the sentence citing "Chương trình số
    31-CTr/QU ngày 28/01/2025 … năm 2025" came 0.001 closer in meaning than the one saying "trước ngày 25/11"."""
    cited = "Chương trình số 31-CTr/QU ngày 28/01/2025 của Quận ủy về công tác dân vận năm 2025."
    due = "Các đơn vị gửi báo cáo tình hình vào giữa các tháng cuối mỗi quý và gửi báo cáo năm trước ngày 25/11."
    hits = [
        dataclasses.replace(_plan("bd.txt", text, "Ba Đình", n), dense_score=0.9) for n, text in enumerate((cited, due))
    ]
    emb = CosineEmbedder({cited: 0.898, due: 0.897})
    extract = ExtractiveAnswerer(lambda _: 1.0, emb.embed_query, emb.embed_passage, min_dense=0.87).answer(
        Query("Hạn chót nộp bản tổng hợp cả năm là khi nào?"), hits
    )
    assert "25/11" in extract.text.split("\n")[0] and "28/01/2025" not in extract.text, extract.text
    # Asked when a document was issued, its date is the answer: only a deadline question wants a deadline.
    issued = ExtractiveAnswerer(lambda _: 1.0, emb.embed_query, emb.embed_passage, min_dense=0.87).answer(
        Query("Chương trình của Quận ủy ban hành khi nào?"), hits
    )
    assert "28/01/2025" in issued.text.split("\n")[0], issued.text


def test_who_holds_an_office_is_answered_by_a_name_or_not_at_all() -> None:
    """q087: "Ai là Chủ tịch UBND quận Ba Đình năm 2018?" was answered with a news item's headline, which names
    the body and the year but no one."""
    news = "UBND quận Ba Đình đã xây dựng kế hoạch công tác dân vận chính quyền năm 2018 và giao các phường thực hiện."
    named = "Đồng chí Nguyễn Văn An, Chủ tịch UBND quận Ba Đình, chủ trì hội nghị tổng kết năm 2018."
    question = Query("Ai là Chủ tịch UBND quận Ba Đình?")
    none = answerer(CountingEmbedder()).answer(question, [_plan("bd.txt", news, "Ba Đình", 0)])
    assert none.abstained and "không nêu tên người giữ chức vụ này" in none.text, none.text
    hits = [_plan("bd.txt", news, "Ba Đình", 0), _plan("bd.txt", named, "Ba Đình", 1)]
    found = answerer(CountingEmbedder()).answer(question, hits)
    assert not found.abstained and "Nguyễn Văn An" in found.text.split("\n")[0], found.text
    # The office holder the plan names for another office answers too ("Trưởng ban: Chủ tịch UBND quận").
    board = "Trưởng ban chỉ đạo công tác dân vận chính quyền năm 2018: Chủ tịch UBND quận Ba Đình."
    head = answerer(CountingEmbedder()).answer(
        Query("Ai là Trưởng ban chỉ đạo công tác dân vận chính quyền?"), [_plan("bd.txt", board, "Ba Đình", 0)]
    )
    assert not head.abstained and "Chủ tịch UBND quận Ba Đình" in head.text, head.text


def test_a_why_question_is_answered_by_the_cause_not_by_the_subject_line() -> None:
    """r050: "Vì sao Sở Công Thương … không xem xét hồ sơ … mỏ đá hoa Mông Sơn V?" was answered with the letter's
    subject ("V/v từ chối thẩm định …"), which restates what was done. The cause ends one passage; the next opens
    with the consequence drawn from it ("Do đó, … từ chối thẩm định …")."""
    subject = "V/v từ chối thẩm định thiết kế cơ sở mỏ đá hoa Mông Sơn V.\nKính gửi: Công ty Khoáng sản."
    cause = (
        "Sở Công Thương nhận được hồ sơ thẩm định thiết kế cơ sở mỏ đá hoa Mông Sơn V. Kể từ ngày 01/7/2025, "
        "thẩm quyền thẩm định thiết kế mỏ đá hoa trắng không thuộc thẩm quyền của Sở Công Thương, thuộc thẩm quyền "
        "của Sở Xây dựng."
    )
    then = "Do đó, Sở Công Thương từ chối thẩm định thiết kế cơ sở mỏ đá hoa Mông Sơn V. Đề nghị Công ty liên hệ."
    chunks = [_plan("ms.txt", text, "Lào Cai", n).chunk for n, text in enumerate((subject, cause, then))]
    hits = [Retrieved(chunks[0], 1.0), Retrieved(chunks[2], 0.5)]  # the cause's passage is not among those found
    extract = answerer(CountingEmbedder()).answer(
        Query("Vì sao Sở Công Thương từ chối thẩm định thiết kế cơ sở mỏ đá hoa Mông Sơn V?"),
        hits,
        document_chunks=lambda doc: chunks,
    )
    first = extract.text.split("\n")[0]
    assert "không thuộc thẩm quyền của Sở Công Thương" in first and not first.startswith("V/v"), extract.text
    assert [c.chunk_id for c in extract.citations][:1] == [chunks[1].chunk_id]
    # Asked what the letter is about, the subject answers.
    about = answerer(CountingEmbedder()).answer(
        Query("Công văn về mỏ đá hoa Mông Sơn V về việc gì?"), hits, document_chunks=lambda doc: chunks
    )
    assert "V/v từ chối thẩm định" in about.text, about.text


def test_the_section_a_question_names_answers_it() -> None:
    """ "Sở Nông nghiệp và Môi trường có ý kiến gì về lĩnh vực lâm nghiệp đối với cụm công nghiệp Báo Đáp?" was
    answered by the letter's opening, which repeats the body, the cluster and "ý kiến", not by its section "2.4.
    Lĩnh vực lâm nghiệp" (a heading numbered on two levels)."""
    from index.types import DocMeta

    meta = DocMeta(kind="CÔNG VĂN", issuer="Sở Nông nghiệp và Môi trường tỉnh Lào Cai", place="Lào Cai")
    opening = (
        "Sở Nông nghiệp và Môi trường nhận được Công văn số 4170/SCT-CN của Sở Công thương về việc tham gia ý kiến "
        "thẩm định hồ sơ đề nghị thành lập cụm công nghiệp Báo Đáp."
    )
    forest = "2.4. Lĩnh vực lâm nghiệp\nPhạm vi ranh giới dự án không có rừng tự nhiên; có rừng trồng, đất khác."
    sections = ("", "2. Ý kiến tham gia theo lĩnh vực ngành quản lý › 2.4. Lĩnh vực lâm nghiệp")
    hits = [
        Retrieved(Chunk(f"cv-{n}", "cv.pdf", "cv.pdf", n, text, 0, len(text), section=section, meta=meta), score)
        for n, (text, section, score) in enumerate(((forest, sections[1], 1.0), (opening, sections[0], 0.9)))
    ]
    extract = answerer(CountingEmbedder()).answer(
        Query("Sở Nông nghiệp và Môi trường có ý kiến gì về lĩnh vực lâm nghiệp đối với cụm công nghiệp Báo Đáp?"),
        hits,
    )
    first = extract.text.split("\n")[0]
    assert "rừng" in first and "4170" not in first, extract.text
    assert extract.citations[0].chunk_id == "cv-0"


def test_which_body_issued_a_document_is_read_from_its_letterhead() -> None:
    """ "Kế hoạch 79 của Gia Lai do cơ quan nào ban hành?" was answered with a plan it carries out ("Triển khai Kế
    hoạch phối hợp số 03-KH/BDVTU-BCSĐ …")."""
    from index.types import DocMeta

    meta = DocMeta(kind="KẾ HOẠCH", issuer="UBND tỉnh Gia Lai", place="Gia Lai", number="79/KH-UBND", date="2023-01-10")
    head = "ỦY BAN NHÂN DÂN\nTỈNH GIA LAI\n-------\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: 79/KH-UBND"
    body = (
        "Triển khai Kế hoạch phối hợp số 03-KH/BDVTU-BCSĐ ngày 12/12/2022 giữa Ban Dân vận Tỉnh ủy và Ban cán sự đảng."
    )
    chunks = [Chunk(f"gl-{n}", "gl.txt", "gl.txt", n, t, 0, len(t), meta=meta) for n, t in enumerate((head, body))]
    hits = [Retrieved(chunks[1], 1.0), Retrieved(chunks[0], 0.5)]
    for question, lead in (
        (
            "Kế hoạch 79 của Gia Lai do cơ quan nào ban hành?",
            "Theo Kế hoạch số 79/KH-UBND (UBND tỉnh Gia Lai, 10/01/2023)",
        ),
        ("Who issued plan 79 of Gia Lai?", "According to Plan 79/KH-UBND (UBND tỉnh Gia Lai, 10/01/2023)"),
    ):
        lang = "en" if question.startswith("Who") else "vi"
        extract = answerer(CountingEmbedder()).answer(
            Query(question, lang, question), hits, document_chunks=lambda doc: chunks
        )
        assert extract.text.startswith(f"UBND tỉnh Gia Lai [1].\n{lead}"), extract.text
        [cited] = extract.citations
        assert (
            cited.chunk_id == "gl-0" and cited.text[slice(*cited.quotes[0])] == "ỦY BAN NHÂN DÂN\nTỈNH GIA LAI\n-------"
        )
