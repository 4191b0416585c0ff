"""The answer comes first (assistant.headline and its use in ExtractiveAnswerer): one sentence of at most 25
words, built from the cited passage, with its [n]; the quotes follow."""

from __future__ import annotations

from assistant.compose import headline_scorers
from assistant.extractive import ExtractiveAnswerer
from assistant.headline import (
    MAX_WORDS,
    asked_level,
    asks_document,
    asks_who,
    best_window,
    document_fields,
    field_subjects,
    names,
    said_names,
    same_kind,
    states_place,
    who_score,
)
from assistant.textmatch import TermMatcher
from assistant.types import Query
from index.normalize import fold
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
        Query("Thời hạn gửi báo cáo năm về dân vận chính quyền là khi nào?"), [_hit("bd.txt", text, BA_DINH)]
    )
    first = _first(extract.text)
    assert "25/11" in first and first.endswith("[1].") and len(first.split()) <= MAX_WORDS + 1
    assert extract.text.split("\n")[1].startswith("Theo Kế hoạch «Triển khai công tác Dân vận chính quyền năm 2025»")
    assert "mục «" not in extract.text  # the section path is on the card, not in the text


def test_which_body_is_named_from_the_section_heading() -> None:
    text = "Là cơ quan đầu mối, tham mưu, đề xuất UBND quận ban hành kế hoạch, báo cáo về công tác dân vận chính quyền."
    hit = _hit("bd.txt", text, BA_DINH, section="III. TỔ CHỨC THỰC HIỆN › 1. Phòng Nội vụ")
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Ở Ba Đình năm 2025, cơ quan nào làm đầu mối tham mưu về dân vận chính quyền?"), [hit]
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
        Query("Kế hoạch Năm Dân vận của chính quyền quận Gò Vấp mang số hiệu nào, ký ngày nào?"),
        [Retrieved(chunks[1], 1.0)],
        document_chunks=lambda doc: chunks,
    )
    assert _first(extract.text) == "Kế hoạch số 08/KH-UBND, ngày 09/02/2010 [1]."
    assert extract.citations[0].chunk_id == "gv.txt#0"
    assert letterhead[slice(*extract.citations[0].quotes[0])] == "Số: 08 /KH-UBND"
    # A date of which only the month is printed ("ngày … tháng 02 năm 2025") is said as a month, not "ngày 02/2025".
    head = "ỦY BAN NHÂN DÂN\nQUẬN BA ĐÌNH\nBa Đình, ngày tháng 02 năm 2025\nKẾ HOẠCH"
    month = Chunk("bd.txt#0", "bd.txt", "bd.txt", 0, head, 0, len(head), meta=BA_DINH)
    issued = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Kế hoạch dân vận chính quyền năm 2025 của quận Ba Đình ban hành ngày nào?"),
        [Retrieved(month, 1.0)],
        document_chunks=lambda doc: [month],
    )
    assert _first(issued.text).startswith("Kế hoạch «Triển khai công tác Dân vận chính quyền …», tháng 02/2025 ["), (
        issued.text
    )


PHU_YEN = DocMeta(
    title="Triển khai thực hiện Chương trình hành động số 17-CTr/TU ngày 26/9/2013 của Tỉnh ủy",
    issuer="UBND tỉnh Phú Yên",
    number="110/KH-UBND",
    date="2013-11-14",
    place="Phú Yên",
    kind="KẾ HOẠCH",
)


def _phu_yen() -> list[Chunk]:
    texts = [
        "ỦY BAN NHÂN DÂN\nTỈNH PHÚ YÊN\nSố: 110/KH-UBND\nPhú Yên, ngày 14 tháng 11 năm 2013\nKẾ HOẠCH",
        "Thực hiện Chương trình hành động số 17-CTr/TU ngày 26/9/2013 của Tỉnh ủy thực hiện Nghị quyết số "
        "25-NQ/TW, UBND Tỉnh ban hành Kế hoạch triển khai thực hiện, như sau.",
    ]
    return [Chunk(f"py.txt#{n}", "py.txt", "py.txt", n, t, 0, len(t), meta=PHU_YEN) for n, t in enumerate(texts)]


def test_the_number_of_a_document_the_plan_carries_out_is_not_the_plans_own() -> None:
    """r059, r044, q052: "Kế hoạch đó triển khai chương trình hành động số mấy?" was answered "Kế hoạch số
    110/KH-UBND, ngày 14/11/2013", the plan's own number: the number asked is the programme's."""
    chunks = _phu_yen()
    answerer = ExtractiveAnswerer(lambda _: 1.0)
    programme = answerer.answer(
        Query("Kế hoạch của tỉnh Phú Yên năm 2013 triển khai chương trình hành động số mấy của Tỉnh ủy?"),
        [Retrieved(chunks[1], 1.0)],
        document_chunks=lambda doc: chunks,
    )
    first = _first(programme.text)
    assert "17-CTr/TU" in first and "110/KH-UBND" not in first
    own = answerer.answer(
        Query("Kế hoạch triển khai chương trình hành động của tỉnh Phú Yên năm 2013 mang số hiệu nào?"),
        [Retrieved(chunks[1], 1.0)],
        document_chunks=lambda doc: chunks,
    )
    assert _first(own.text) == "Kế hoạch số 110/KH-UBND, ngày 14/11/2013 [1]."


def test_an_english_question_gets_the_documents_number_and_date_first() -> None:
    """q070, r051: "When was … plan 08/KH-UBND issued?" opened with the letterhead's words cut at 25."""
    chunks = _phu_yen()
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query(
            "tỉnh Phú Yên kế hoạch chương trình hành động số",  # the glossary's terms
            lang="en",
            typed="When did Phu Yen province issue its plan on the Party's action programme, and what is its number?",
        ),
        [Retrieved(chunks[1], 1.0)],
        document_chunks=lambda doc: chunks,
    )
    assert _first(extract.text) == "Plan 110/KH-UBND, dated 14/11/2013 [1]."


def test_several_documents_are_told_apart_in_the_first_sentence() -> None:
    ba_dinh = "Các đơn vị gửi báo cáo quý về UBND quận qua Phòng Nội vụ trước ngày 25 của tháng cuối quý."
    go_vap = "Các đơn vị gửi báo cáo quý về UBND quận qua Phòng Nội vụ trước ngày 20 của tháng cuối quý."
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Các đơn vị gửi báo cáo quý về đâu?"),
        [_hit("bd.txt", ba_dinh, BA_DINH), _hit("gv.txt", go_vap, GO_VAP, 1)],
    )
    first = _first(extract.text)
    assert first.startswith("Ba Đình 2025: ") and ". Gò Vấp 2010: " in first and first.endswith("[2].")


def test_question_kinds() -> None:
    assert asks_who("Ai chịu trách nhiệm báo cáo quý?") and asks_who("Which office compiles the reports?")
    assert not asks_who("Thời hạn gửi báo cáo là khi nào?")
    assert document_fields("Quyết định 1696/QĐ-UBND ký ngày nào?") == (False, True)
    assert field_subjects("Quyết định về cơ chế một cửa mà Gò Vấp căn cứ là số mấy?") == ("quyet dinh", None)
    assert field_subjects("Kế hoạch của tỉnh Gia Lai thực hiện chương trình phối hợp số mấy?")[0] == "chuong trinh"
    assert field_subjects("Kế hoạch của UBND quận Gò Vấp mang số mấy và ký ngày nào?") == ("ke hoach", "ke hoach")
    assert same_kind("quy che", "QUYẾT ĐỊNH", "Về việc ban hành Quy chế thực hiện dân chủ ở xã Nà Nghịu")
    assert not same_kind("chuong trinh", "KẾ HOẠCH", PHU_YEN.title)


def test_a_how_question_is_not_answered_with_the_document_a_plan_cites() -> None:
    """Issue 14: "… muốn cán bộ thay đổi thái độ phục vụ người dân ra sao?" was answered with "Triển khai thực
    hiện Quyết định số 6830/QĐ-UBND …", the plan's ground, not what it asks of officials."""
    cited = (
        "Triển khai thực hiện Quyết định số 6830/QĐ-UBND ngày 31/12/2024 của UBND thành phố về kế hoạch thay đổi "
        "thái độ phục vụ người dân của cán bộ."
    )
    asked = "Cán bộ thay đổi thái độ phục vụ, lấy sự hài lòng của người dân làm thước đo."
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Kế hoạch muốn cán bộ thay đổi thái độ phục vụ người dân ra sao?"),
        [_hit("bd.txt", cited, BA_DINH), _hit("bd.txt", asked, BA_DINH, 1)],
    )
    assert _first(extract.text).startswith("Cán bộ thay đổi thái độ phục vụ")


def test_a_results_question_is_answered_with_the_sentence_that_reports_them() -> None:
    """ "… có kết quả gì nổi bật?" was answered with the news item's opening ("Sáng 13/12, Quận ủy … tổ chức
    Tổng kết …"), not with its figures."""
    opening = "Sáng 13/12, Quận ủy Đống Đa tổ chức Tổng kết công tác dân vận khéo năm 2019 của quận."
    figures = "Năm 2019, đã có 103 tập thể và 115 cá nhân đăng ký thực hiện 230 mô hình dân vận khéo."
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Quận Đống Đa năm 2019 có kết quả gì nổi bật về dân vận khéo?"),
        [_hit("dd.txt", opening, DONG_DA), _hit("dd.txt", figures, DONG_DA, 1)],
    )
    assert "230 mô hình" in _first(extract.text)


LAO_CAI = DocMeta(
    title="Về việc ủy quyền cho Giám đốc Sở Công Thương",
    issuer="UBND tỉnh Lào Cai",
    number="1696/QĐ-UBND",
    date="2026-05-15",
    place="Lào Cai",
    kind="QUYẾT ĐỊNH",
)


def test_a_persons_name_is_reached_past_a_document_number_and_an_agency_tag() -> None:
    """q013: "… là ai?" was answered with the sentence's first 25 words, which stop before the name ("HNP" and
    the capitals of "1186-TB/TU" passed for names)."""
    text = (
        "HNP - Thành ủy Hà Nội vừa có Văn bản số 1186-TB/TU thông báo ý kiến kết luận chỉ đạo của đồng chí Bí thư "
        "Thành ủy Hoàng Trung Hải tại buổi làm việc với Ban Dân vận Thành ủy."
    )
    meta = DocMeta(
        title="Nâng cao hiệu quả công tác dân vận", issuer="Thành ủy Hà Nội", date="2018-03-07", kind="tin tức"
    )
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Bí thư Thành ủy Hà Nội làm việc với Ban Dân vận Thành ủy năm 2018 là ai?"), [_hit("hn.txt", text, meta)]
    )
    first = _first(extract.text)
    assert "Hoàng Trung Hải" in first and len(first.split()) <= MAX_WORDS + 1
    assert names("Văn bản số 1186-TB/TU, QUYẾT ĐỊNH của đồng chí Hoàng Trung Hải") == ["Hoàng Trung Hải"]


def test_with_whom_is_answered_with_the_bodies_named_not_the_words_of_the_question() -> None:
    """q024: "Phòng Nội vụ … cùng với ai kiểm tra, giám sát …?" opened with "Giám sát, đánh giá việc thực hiện kế
    hoạch …", the clause that repeats the question, not the one naming the partners."""
    text = (
        "Phối hợp với Ban Dân vận Quận ủy, Ủy ban Mặt trận Tổ quốc Việt Nam quận và các đoàn thể có kế hoạch tổ "
        "chức kiểm tra, giám sát, đánh giá việc thực hiện kế hoạch “Năm Dân vận của chính quyền” tại các cơ quan, "
        "đơn vị trực thuộc quận."
    )
    hit = _hit("gv.txt", text, GO_VAP, section="III. Tổ chức thực hiện › 1. Phòng Nội vụ")
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Phòng Nội vụ quận Gò Vấp cùng với ai kiểm tra, giám sát việc thực hiện kế hoạch?"), [hit]
    )
    assert "Ban Dân vận Quận ủy" in _first(extract.text)


def test_who_scores_the_kind_of_name_asked_for() -> None:
    asked = "Phòng nào của huyện được giao theo dõi quyết định?"
    assert who_score("Phòng Nội vụ huyện chịu trách nhiệm thi hành", asked) > who_score(
        "QUYẾT ĐỊNH: Điều 1. Ban hành kèm theo Quyết định này Quy chế công tác", asked
    )
    # "ai …": a person's role in lower case answers as a name does; "đơn vị nào" asks for a body, not a role.
    assert who_score("trước hết là người đứng đầu cơ quan", "Ai phải chịu trách nhiệm trước tiên?") == 1.0
    assert who_score("Thủ trưởng cơ quan", "Đơn vị nào lo tuyên truyền?") == 0.0


def test_of_two_counts_the_one_about_the_body_asked_for_comes_first() -> None:
    """q004: "UBND quận … nhận và giải quyết được bao nhiêu đơn?" opened with the Party committee's figures."""
    party = "Tính đến ngày 15/11, Quận uỷ đã tiếp nhận 189 đơn thư và đã giải quyết 127 đơn."
    council = "UBND quận tiếp nhận 1.081 đơn/510 vụ và đã giải quyết 462/510."
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Tính tới giữa tháng 11/2019, UBND quận Đống Đa nhận và giải quyết được bao nhiêu đơn?"),
        [_hit("dd.txt", f"{party} {council}", DONG_DA)],
    )
    assert "1.081" in _first(extract.text)
    assert said_names("xã Yên Thành có 2 nhà", "Ở xã Yên Thành, cách nhà dân bao xa?") == 0.0  # a place, not an actor


def test_a_figure_is_not_cut_from_its_unit() -> None:
    """r011: "… từ 20,0 ha thành 60,0 …" (25 words ending on the figure asked, its unit cut off)."""
    text = (
        "Theo phương án phát triển các Cụm công nghiệp tỉnh đến năm 2030: Cụm công nghiệp Báo Đáp, xã Trấn Yên nằm "
        "trong danh mục các cụm công nghiệp đã thành lập với diện tích được điều chỉnh từ 20,0 ha thành 60,0 ha."
    )
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Cụm công nghiệp Báo Đáp được đề nghị thành lập với quy mô bao nhiêu héc-ta?"),
        [_hit("ld.txt", text, LAO_CAI)],
    )
    assert "60,0 ha" in _first(extract.text)


def test_which_document_is_answered_with_its_number() -> None:
    """r084: "… dựa vào văn bản nào …?" opened with "UBND phường ban hành Quy chế làm việc …", without the number."""
    text = (
        "UBND phường hoạt động theo quy định tại quyết định số 493/QĐ-UBND ngày 10/12/2021 của UBND phường ban hành "
        "Quy chế làm việc của UBND phường nhiệm kỳ 2021-2026."
    )
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Phường dựa vào văn bản nào để quy định cách làm việc của chính quyền phường trong nhiệm kỳ này?"),
        [_hit("ha.txt", text, BA_DINH)],
    )
    assert "493/QĐ-UBND" in _first(extract.text)
    assert asks_document("Theo quyết định nào?") and not asks_document("Quyết định 1696/QĐ-UBND ủy quyền cho ai?")


def test_a_document_named_by_number_is_not_answered_by_its_own_header() -> None:
    """r009, r010: "Quyết định 1696/QĐ-UBND … ủy quyền cho ai?" was answered with "(Kèm theo Quyết định số
    1696/QĐ-UBND …)": the words naming the document outweighed those asking about it."""
    chunks = [
        "Số: 1696/QĐ-UBND Lào Cai, ngày 15 tháng 5 năm 2026",
        "Về việc ủy quyền cho Giám đốc Sở Công Thương thực hiện một số nhiệm vụ, quyền hạn của UBND tỉnh.",
        "Điều 2. Thời hạn ủy quyền: Từ ngày quyết định này có hiệu lực đến hết ngày 28 tháng 02 năm 2027.",
        "(Kèm theo Quyết định số 1696/QĐ-UBND ngày 15/ 5/2026 của UBND tỉnh Lào Cai)",
    ]
    hits = [_hit("qd.pdf", t, LAO_CAI, n) for n, t in enumerate(chunks)]
    idf = {"1696": 5.0, "qd": 2.5, "lao": 0.17, "cai": 0.17, "ubnd": 0.13, "tinh": 0.1}  # as in that index
    answerer = ExtractiveAnswerer(lambda t: idf.get(t, 1.0))
    who = answerer.answer(Query("Quyết định 1696/QĐ-UBND của UBND tỉnh Lào Cai ủy quyền cho ai?"), hits)
    assert "Giám đốc Sở Công Thương" in _first(who.text)
    until = answerer.answer(
        Query("Thời hạn ủy quyền theo Quyết định 1696/QĐ-UBND của Lào Cai kéo dài đến khi nào?"), hits
    )
    assert "28 tháng 02 năm 2027" in _first(until.text)


def test_a_forms_label_is_quoted_with_its_value_on_the_next_line() -> None:
    """r024: "Người đại diện theo pháp luật của Công ty" was quoted alone; the name is on the line after it."""
    text = (
        "Tên doanh nghiệp: Công ty Cổ phần công nghiệp Linh Linh.\n\nNgười đại diện theo pháp luật của Công ty\n\n"
        "Bà: Lương Thị Lợi; Ngày sinh: 03/01/1958.\n\n1. Nhà đầu tư\n\nChức danh: Giám đốc."
    )
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Ai là người đại diện theo pháp luật của nhà đầu tư dự án?"), [_hit("px.pdf", text, LAO_CAI)]
    )
    assert "Lương Thị Lợi" in _first(extract.text)


def test_a_quote_the_first_sentence_gives_whole_is_not_repeated() -> None:
    """A short answering sentence was said twice: as the first sentence, then word for word as the quote."""
    text = "Các đơn vị gửi báo cáo năm trước ngày 25/11 về UBND quận."
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Hạn gửi báo cáo năm là khi nào?"), [_hit("bd.txt", text, BA_DINH)]
    )
    lines = extract.text.split("\n")
    assert lines[0] == "Các đơn vị gửi báo cáo năm trước ngày 25/11 về UBND quận [1]."
    assert lines[1:] == [
        "Theo Kế hoạch «Triển khai công tác Dân vận chính quyền năm 2025» (UBND quận Ba Đình, 02/2025) [1]."
    ]


def test_a_run_inside_a_clause_starts_after_a_joining_word_not_after_a_word_that_folds_like_one() -> None:
    """r050 began "Hoa tại khu vực Mông Sơn V …" and r013 "Công công trình thủy điện …": folded, "đá" (stone)
    and "thi" (in "thi công") read as the joining words "đã" and "thì", so a run started inside "đá hoa" and
    "thi công". Here a run that holds "Bảo Ái" and "pháp luật" would answer best: none may start at "hoa"."""
    text = (
        "Sở Công Thương nhận hồ sơ của dự án khai thác mỏ đá hoa tại khu vực Mông Sơn V xã Bảo Ái tỉnh Lào Cai "
        "thuộc nhóm II theo quy định hiện hành của pháp luật về xây dựng và thi công công trình mỏ"
    )

    def weigh(run: str) -> float:
        return 10.0 * ("Bảo Ái" in run) + 5.0 * ("pháp luật" in run)

    a, b = best_window(text, 0, len(text), weigh, MAX_WORDS)
    assert text[a:b].startswith("Sở Công Thương") and "Bảo Ái" in text[a:b]
    unmarked = fold(text)  # typed without marks, the folded words are all there is to go by
    a, b = best_window(unmarked, 0, len(unmarked), lambda r: 10.0 * ("bao ai" in r) + 5.0 * ("phap luat" in r), 25)
    assert unmarked[a:b].startswith("hoa tai")


def test_which_document_of_any_kind_is_asked() -> None:
    """q071: "Which Politburo conclusion … does the notice mention?" is answered by the conclusion's number."""
    assert asks_document("Which Politburo conclusion on piloting an urban government model does the notice mention?")
    assert asks_document("Thông báo nhắc đến kết luận nào của Bộ Chính trị?")
    assert not asks_document("Which body reports to the Politburo?")
    assert not asks_document("Which district plans to pilot the model?")


def test_a_run_that_starts_inside_brackets_does_not_keep_the_closing_one() -> None:
    """Lào Cai's plan for Chỉ thị 11: "Trước ngày 10/12) hoặc đột xuất báo cáo …"."""
    text = (
        "CHẾ ĐỘ BÁO CÁO - Các Sở, ngành, địa phương định kỳ hàng năm (trước ngày 10/12) hoặc đột xuất báo cáo Ủy ban "
        "nhân dân tỉnh (qua Sở Nông nghiệp và Môi trường) về tình hình, kết quả thực hiện Kế hoạch này để tổng hợp, "
        "báo cáo Ban Thường vụ Tỉnh ủy theo quy định."
    )
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query("Hạn báo cáo kết quả thực hiện kế hoạch là khi nào?"), [_hit("kh.docx", text, BA_DINH)]
    )
    first = _first(extract.text)
    assert "10/12" in first and first.count("(") == first.count(")"), first


def test_a_person_asked_for_is_named_not_only_their_office() -> None:
    """q076: "Ai là người đưa ra kết luận đó?" was answered "… kết luận chỉ đạo của đồng chí Bí thư …": the office
    counted as the person, and the first 25 words stopped before the name."""
    text = (
        "HNP - Thành ủy Hà Nội vừa có Văn bản số 1186-TB/TU thông báo ý kiến kết luận chỉ đạo của đồng chí Bí thư "
        "Thành ủy Hoàng Trung Hải về công tác dân vận năm 2018."
    )
    asked = "Ai là người đưa ra kết luận đó?"
    matcher = TermMatcher(f"Thành ủy Hà Nội, 2018: {asked}", lambda _: 1.0, focus=asked)
    weigh, needed = headline_scorers(matcher, asked, asked, None, False)
    start, end = best_window(text, 0, len(text), weigh, 25, needed)
    assert text[start:end].startswith("đồng chí Bí thư Thành ủy Hoàng Trung Hải")
    assert who_score("kết luận của đồng chí Bí thư", asked) < who_score("đồng chí Hoàng Trung Hải", asked)


def test_which_place_is_answered_by_a_place_of_that_level() -> None:
    """ "Mỏ đá hoa Làng Lạnh II ở xã nào?" began with the letter's subject, cut before the commune; "cơ quan nào"
    asks for a body, not a district ("quận" and "quan" fold alike)."""
    lang_lanh = DocMeta(title="Thẩm định thiết kế", issuer="Sở Công Thương tỉnh Lào Cai", kind="CÔNG VĂN")
    subject = (
        'V/v thẩm định thiết kế bản vẽ thi công điều chỉnh "Dự án đầu tư xây dựng công trình khai thác mỏ đá hoa '
        'trắng khu vực Làng Lạnh II, xã Liễu Đô, huyện Lục Yên, tỉnh Yên Bái"'
    )
    for question in ("Mỏ đá hoa Làng Lạnh II ở xã nào?", "Which commune is the Lang Lanh II marble mine in?"):
        extract = ExtractiveAnswerer(lambda _: 1.0).answer(Query(question), [_hit("ll.doc", subject, lang_lanh)])
        assert _first(extract.text) == "Xã Liễu Đô, huyện Lục Yên, tỉnh Yên Bái [1].", extract.text
    assert asked_level("Báo cáo năm gửi qua cơ quan nào?") is None and asked_level("thuộc huyện nào") == "huyen"
    assert states_place("khu vực Làng Lạnh II, xã Liễu Đô", "xa") and not states_place("các xã, phường", "xa")
