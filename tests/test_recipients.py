"""Whom a document is addressed to is read from its "Kính gửi:" (assistant.recipients and its use by
ExtractiveAnswerer): "Công văn … gửi cho ai?" was answered with whatever sentence shared its words."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.crosslingual import vietnamese_terms
from assistant.extractive import ExtractiveAnswerer
from assistant.recipients import addressees, asks_recipients, recipients
from assistant.types import Query
from index.types import Chunk, DocMeta, Retrieved

LETTER = DocMeta(
    title="V/v tăng cường quản lý vật liệu nổ công nghiệp",
    issuer="UBND tỉnh Lào Cai",
    number="193/UBND-KT",
    date="2026-01-10",
    kind="CÔNG VĂN",
)
PLAN = DocMeta(title="Triển khai Chỉ thị số 11-CT/TU", issuer="UBND tỉnh Lào Cai", date="2026", kind="KẾ HOẠCH")

# CV-UBND-tinh-chi-dao-quan-ly-giam-sat-VLNCN.pdf (../shared/realdocs): its first addressee is hard-wrapped.
LETTER_HEAD = (
    "Số: 193/UBND-KT\nV/v tăng cường quản lý vật liệu nổ công nghiệp\nKính gửi:\n- Các Sở, ngành: Công Thương, "
    "Nội vụ, Công an tỉnh, Ban Chỉ huy\nBộ đội Biên phòng tỉnh;\n- UBND các xã, phường;\n- Tổ chức, doanh nghiệp "
    "hoạt động vật liệu nổ.\n\nCông tác quản lý vật liệu nổ công nghiệp thời gian qua được tăng cường."
)
PLAN_TEXT = "KẾ HOẠCH Triển khai Chỉ thị số 11-CT/TU\nCác Sở, ngành gửi báo cáo năm về Sở Nông nghiệp và Môi trường."


def _chunk(doc: str, text: str, meta: DocMeta, n: int = 0) -> Chunk:
    return Chunk(f"{doc}#{n}", doc, doc, n, text, 0, len(text), meta=meta)


DOCS = {"cv193.pdf": [_chunk("cv193.pdf", LETTER_HEAD, LETTER)], "kh.docx": [_chunk("kh.docx", PLAN_TEXT, PLAN)]}


def _ask(question: str, docs: Sequence[str], lang: str = "vi") -> str:
    hits = [Retrieved(DOCS[d][0], 1.0 / (i + 1)) for i, d in enumerate(docs)]
    query = Query(vietnamese_terms(question), lang, question) if lang == "en" else Query(question)
    return ExtractiveAnswerer(lambda _: 1.0).answer(query, hits, document_chunks=DOCS.__getitem__).text


def test_the_addressees_are_the_lines_after_kinh_gui() -> None:
    items = addressees(DOCS["cv193.pdf"])
    assert [LETTER_HEAD[i.start : i.end] for i in items] == [
        "Các Sở, ngành: Công Thương, Nội vụ, Công an tỉnh, Ban Chỉ huy\nBộ đội Biên phòng tỉnh",
        "UBND các xã, phường",
        "Tổ chức, doanh nghiệp hoạt động vật liệu nổ",
    ]
    one = "V/v thẩm định thiết kế\n\nKính gửi: Công ty TNHH Chân Thiện Mỹ\n\nSở Công Thương nhận được Tờ trình."
    assert [one[i.start : i.end] for i in addressees([_chunk("cv.doc", one, LETTER)])] == ["Công ty TNHH Chân Thiện Mỹ"]
    assert addressees(DOCS["kh.docx"]) == ()


def test_whom_a_letter_is_addressed_to_is_answered_from_kinh_gui() -> None:
    lines = _ask("Công văn chỉ đạo quản lý vật liệu nổ công nghiệp gửi những cơ quan nào?", ["kh.docx", "cv193.pdf"])
    assert (
        lines.split("\n")[0]
        == "Văn bản gửi: Các Sở, ngành; UBND các xã, phường; Tổ chức, doanh nghiệp hoạt động vật liệu nổ [1]."
    )
    assert "Theo Công văn số 193/UBND-KT" in lines and "- UBND các xã, phường. [1]" in lines
    english = _ask("Who is letter 193/UBND-KT addressed to?", ["cv193.pdf"], "en")
    assert english.startswith("Addressed to: Các Sở, ngành;")


def test_a_plan_without_kinh_gui_and_a_kind_the_letter_is_not_are_answered_from_the_text() -> None:
    assert not _ask("Kế hoạch triển khai Chỉ thị 11 gửi báo cáo năm cho ai?", ["kh.docx", "cv193.pdf"]).startswith(
        "Văn bản gửi"
    )
    assert asks_recipients("Báo cáo năm gửi cho ai?") and not asks_recipients("Hạn gửi báo cáo năm là khi nào?")


def test_several_letters_asked_of_are_each_answered() -> None:
    """r036: "Các công văn từ chối … gửi những công ty nào?" asks of two letters, each to its company."""
    refusal = DocMeta(title="V/v từ chối thẩm định thiết kế mỏ đá hoa", issuer="Sở Công Thương", kind="CÔNG VĂN")
    texts = {
        "a.doc": "V/v từ chối thẩm định thiết kế mỏ đá hoa\nKính gửi: Công ty cổ phần khoáng chất Việt Nam\n",
        "b.doc": "V/v từ chối thẩm định thiết kế mỏ đá hoa\nKính gửi: Công ty TNHH Chân Thiện Mỹ\n",
    }
    for doc, text in texts.items():
        DOCS[doc] = [_chunk(doc, text, refusal)]
    try:
        answer = _ask("Các công văn từ chối thẩm định mỏ đá hoa gửi những công ty nào?", ["a.doc", "b.doc"])
        one = _ask("Công văn từ chối thẩm định mỏ đá hoa gửi công ty nào?", ["a.doc", "b.doc"])
    finally:
        for doc in texts:
            del DOCS[doc]
    assert (
        answer.split("\n")[0] == "Văn bản gửi: Công ty cổ phần khoáng chất Việt Nam; Công ty TNHH Chân Thiện Mỹ [1][2]."
    )
    assert "Chân Thiện Mỹ" not in one


# QD-1696-QD-UBND-uy-quyen-15-5-2026.pdf's list, and Gò Vấp's 2010 plan (corpus/), whose two columns were flattened.
SENT_TO = (
    "Điều 4. Quyết định này có hiệu lực thi hành kể từ ký.\nNơi nhận: KT. CHỦ TỊCH\n- Như Điều 4;\n"
    "- TT. Tỉnh ủy, HĐND tỉnh;\n- Các sở, ban, ngành tỉnh; „ ~=\n\n- Lưu: VT, KT (Long).\nNguyễn Tuấn Anh"
)
FLAT = (
    "Nơi nhận: - Thường trực UBND thành phố; - Đ/c Nguyễn Thị Hồng, PCT.UBNDTP; “để - Văn phòng UBND Thành phố; "
    'báo cáo" - Bí thư Quận ủy; - Website quận; - Lưu VP.T.Tuyến TM.ỦY BAN NHÂN DÂN'
)


def test_the_recipients_are_the_noi_nhan_list_without_those_named_above_and_the_archive() -> None:
    assert [SENT_TO[i.start : i.end] for i in recipients([_chunk("qd.pdf", SENT_TO, PLAN)])] == [
        "TT. Tỉnh ủy, HĐND tỉnh",
        "Các sở, ban, ngành tỉnh",
    ]
    assert [FLAT[i.start : i.end] for i in recipients([_chunk("kh.txt", FLAT, PLAN)])] == [
        "Thường trực UBND thành phố",
        "Đ/c Nguyễn Thị Hồng, PCT.UBNDTP",
        "Văn phòng UBND Thành phố",
        "Bí thư Quận ủy",
        "Website quận",
    ]


def test_a_document_without_kinh_gui_is_sent_to_its_noi_nhan() -> None:
    """ "Kế hoạch của Gò Vấp năm 2010 gửi cho những ai?" was answered with a task's sentence: a plan has no "Kính
    gửi", and its recipients were not read."""
    DOCS["qd.pdf"] = [_chunk("qd.pdf", SENT_TO, PLAN)]
    try:
        answer = _ask("Kế hoạch triển khai Chỉ thị 11 gửi cho những ai?", ["qd.pdf"])
    finally:
        del DOCS["qd.pdf"]
    lines = answer.split("\n")
    assert lines[0] == "Văn bản gửi: TT. Tỉnh ủy, HĐND tỉnh; Các sở, ban, ngành tỉnh [1]."
    assert lines[1].endswith("nơi nhận:") and lines[2:] == [
        "- TT. Tỉnh ủy, HĐND tỉnh. [1]",
        "- Các sở, ban, ngành tỉnh. [1]",
    ]


def test_which_bodies_an_english_question_asks_a_letter_is_sent_to() -> None:
    english = _ask("Which agencies is letter 193/UBND-KT sent to?", ["cv193.pdf"], "en")
    assert english.startswith("Addressed to: Các Sở, ngành;"), english
