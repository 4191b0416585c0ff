"""A question that asks for an amount, a date or a number is answered by a sentence that states one, or the
answer says the passages found do not (assistant.extractive, assistant.textmatch.answer_type)."""

from __future__ import annotations

from assistant.extractive import ExtractiveAnswerer
from assistant.textmatch import answer_type, states_count, states_value, value_unit
from assistant.types import Query
from index.types import Chunk, DocMeta, Retrieved

DECISION = DocMeta(
    title="Chấp thuận chủ trương đầu tư", issuer="UBND tỉnh Lào Cai", date="2026-07-02", kind="QUYẾT ĐỊNH"
)


def _hit(text: str, n: int = 0, section: str = "", meta: DocMeta = DECISION) -> Retrieved:
    return Retrieved(
        Chunk(f"qd#{n}", "qd.pdf", "qd.pdf", n, text, 0, len(text), section=section, meta=meta), 1 / (n + 1)
    )


def _ask(question: str, hits: list[Retrieved]):
    return ExtractiveAnswerer(lambda _: 1.0).answer(Query(question), hits)


RELATED = (
    "Quy mô dự án: đầu tư, xây dựng kinh doanh kết cấu hạ tầng khu công nghiệp Phú Xuân, theo Điều 51 và Điều 52 "
    "của Luật Đầu tư."
)


def test_an_amount_no_passage_states_is_not_answered_with_a_related_sentence() -> None:
    """Before: the related sentence (which names articles, not money) was quoted as the answer."""
    extract = _ask("Tổng vốn đầu tư dự án hạ tầng khu công nghiệp Phú Xuân là bao nhiêu?", [_hit(RELATED)])
    assert extract.abstained and not extract.citations
    assert extract.text.endswith("Các đoạn tìm được có liên quan nhưng không nêu số tiền này.")


def test_the_sentence_stating_the_amount_is_quoted_though_it_shares_fewer_words() -> None:
    amount = "a) Tổng vốn đầu tư: 3.277.000.000.000 đồng (ba nghìn hai trăm bảy mươi bảy tỷ đồng)."
    extract = _ask(
        "Tổng vốn đầu tư dự án hạ tầng khu công nghiệp Phú Xuân là bao nhiêu?",
        [
            _hit(RELATED),
            _hit(
                amount, 1, section="Điều 1. Chấp thuận dự án hạ tầng khu công nghiệp Phú Xuân › 5. Vốn đầu tư của dự án"
            ),
        ],
    )
    assert not extract.abstained and "3.277.000.000.000 đồng" in extract.text
    assert "Điều 51" not in extract.text


def test_a_count_in_the_unit_asked_for_is_preferred_to_other_numbers() -> None:
    other = "Cụm công nghiệp Báo Đáp đề nghị thành lập theo Quyết định số 525/QĐ-UBND ngày 25/02/2026 của tỉnh."
    size = "Cụm công nghiệp Báo Đáp đề nghị thành lập với quy mô thực hiện: 60,0 ha."
    extract = _ask(
        "Cụm công nghiệp Báo Đáp đề nghị thành lập với quy mô bao nhiêu héc-ta?", [_hit(other), _hit(size, 1)]
    )
    assert "60,0 ha" in extract.text and "525/QĐ-UBND" not in extract.text


def test_a_date_question_without_any_date_in_the_passages_abstains() -> None:
    undated = "Các đơn vị gửi báo cáo tình hình công tác dân vận chính quyền về Phòng Nội vụ để tổng hợp."
    extract = _ask("Hạn gửi báo cáo tình hình công tác dân vận chính quyền là khi nào?", [_hit(undated)])
    assert extract.abstained and extract.text.endswith("không nêu thời gian này.")
    dated = undated.replace("để tổng hợp", "trước ngày 25/11 hằng năm")
    assert "25/11" in _ask("Hạn gửi báo cáo tình hình công tác dân vận chính quyền là khi nào?", [_hit(dated)]).text


def test_answer_types_and_values() -> None:
    assert answer_type("Kinh phí thực hiện kế hoạch là bao nhiêu?") == "money"
    assert answer_type("Ke hoach so may?") is None  # typed without accents: the engine restores them first
    assert answer_type("When was the plan issued?") == "date"
    assert answer_type("How many wards are there?") == "number"
    assert answer_type("Ai chịu trách nhiệm báo cáo quý?") is None
    assert states_value("Vốn góp: 657.000.000.000 đông (chiếm 20%).", "money")  # OCR's "đông" folds alike
    assert not states_value("Tỷ lệ hài lòng được nâng cao.", "money")
    assert states_value("Thời gian: quý II/2026.", "date") and not states_value("Theo Điều 51.", "date")
    assert value_unit("Có bao nhiêu phần trăm phường?") is not None
    assert states_count("100% các phường", value_unit("bao nhiêu phần trăm phường") or "")


def test_a_field_the_question_names_is_quoted_though_its_value_shares_no_word() -> None:
    """ "Chủ đầu tư: …" answers "Ai là chủ đầu tư …?"; before, four sentences sharing more of its words filled the
    answer and the field was left out."""
    longer = [
        f"Về diện tích hiện trạng đất cụm công nghiệp Báo Đáp, UBND tỉnh đã cho {who} thuê đất để thực hiện dự án "
        "đầu tư."
        for who in ("Công ty An Phát", "Công ty Minh Long", "Công ty Hòa Bình", "Công ty Tân Tiến")
    ]
    field = "- Chủ đầu tư: Ban Quản lý dự án đầu tư xây dựng xã Trấn Yên."
    hits = [_hit(t, n) for n, t in enumerate(longer)] + [
        _hit(field, 4, "1. Thông tin về dự án cụm công nghiệp Báo Đáp")
    ]
    extract = _ask("Ai là chủ đầu tư cụm công nghiệp Báo Đáp?", hits)
    assert "Ban Quản lý dự án đầu tư xây dựng xã Trấn Yên" in extract.text


def test_a_long_sentence_is_quoted_around_the_clause_that_answers() -> None:
    """The value at the end of a 600-character sentence was cut off by the quote limit; now the quote is the
    run of clauses around it, marked "…" where it was narrowed."""
    lead = ", ".join(f"phong trào thi đua số {i} tiếp tục được đẩy mạnh trong toàn phường" for i in range(1, 9))
    sentence = f"Trong năm qua, {lead}, tình hình an ninh chính trị được giữ vững, tỷ lệ giao quân đạt 100%."
    extract = _ask("Phường đạt tỷ lệ giao quân bao nhiêu?", [_hit(sentence)])
    assert "tỷ lệ giao quân đạt 100%" in extract.text and "… " in extract.text
    assert len(extract.text) < len(sentence)
    assert all("100%" in sentence[start:end] for start, end in extract.citations[0].quotes)


def test_a_count_in_another_unit_does_not_answer() -> None:
    """ "Bao nhiêu mô hình?" is not answered by a title's "6 tháng đầu năm 2022" (before: it was)."""
    title = "Báo cáo kết quả thực hiện dân vận chính quyền 6 tháng đầu năm 2022 của phường Hương An."
    extract = _ask("Phường Hương An có bao nhiêu mô hình dân vận khéo trong 6 tháng đầu năm?", [_hit(title)])
    assert extract.abstained and extract.text.endswith("không nêu con số này.")


def test_a_field_that_scores_best_but_covers_less_is_the_value_of_the_sentences_that_cover() -> None:
    """r012: "a) Tổng vốn đầu tư: 3.277 … đồng" (a lettered field: its label is the question's words) scored best,
    but covers less of the question than the project's sentences: the answer went to the by-meaning path and
    abstained, "the passages found state no amount"."""
    amount = "a) Tổng vốn đầu tư: 3.277.000.000.000 đồng (ba nghìn hai trăm bảy mươi bảy tỷ đồng)."
    extract = _ask(
        "Tổng vốn đầu tư dự án hạ tầng khu công nghiệp Phú Xuân là bao nhiêu?",
        [_hit(RELATED), _hit(amount, 1, section="Điều 1. Chấp thuận dự án › 5. Vốn đầu tư")],
    )
    assert not extract.abstained and extract.text.startswith("Tổng vốn đầu tư: 3.277.000.000.000 đồng")


LETTER = DocMeta(
    title="V/v kế hoạch kiểm tra công tác nghiệm thu kho chứa vật liệu nổ công nghiệp của thủy điện Móng Sến 1",
    issuer="Sở Công Thương tỉnh Lào Cai",
    number="3036/SCT-CN",
    date="2026-05-28",
    kind="CÔNG VĂN",
)
INSPECTION = [
    "Sở Công Thương nhận được Giấy mời số 21.5/GM-BL ngày 21/5/2026 của Công ty về việc kiểm tra nghiệm thu kho "
    "vật liệu nổ công nghiệp của thủy điện Móng Sến 1.",
    "2. Thời gian kiểm tra: Ngày 29 tháng 05 năm 2026 (thứ Sáu)",
]


def test_when_is_answered_by_the_time_field_not_by_the_date_of_a_cited_letter() -> None:
    """r013 was answered with the date of the invitation letter ("Giấy mời số 21.5/GM-BL ngày 21/5/2026"), not the
    inspection's: the "Thời gian kiểm tra:" field shares two words with the question."""
    extract = _ask(
        "Sở Công Thương kiểm tra nghiệm thu kho vật liệu nổ của thủy điện Móng Sến 1 vào ngày nào?",
        [_hit(INSPECTION[0], meta=LETTER), _hit(INSPECTION[1], 1, section="2. Thời gian kiểm tra", meta=LETTER)],
    )
    assert extract.text.startswith("Thời gian kiểm tra: Ngày 29 tháng 05 năm 2026"), extract.text


def test_a_dateline_or_a_cited_documents_date_is_not_when_something_is_due() -> None:
    """Gia Lai's plan (an excerpt without its reporting section) answered "… yêu cầu báo cáo khi nào?" with its own
    dateline "Gia Lai, ngày 10 tháng 01 năm 2023"."""
    dateline = "Độc lập - Tự do - Hạnh phúc Gia Lai, ngày 10 tháng 01 năm 2023 KẾ HOẠCH thực hiện công tác dân vận."
    cited = "Triển khai Kế hoạch phối hợp số 03-KH/BDVTU ngày 12/12/2022 về công tác dân vận, báo cáo kết quả."
    extract = _ask("Kế hoạch công tác dân vận yêu cầu báo cáo kết quả khi nào?", [_hit(dateline), _hit(cited, 1)])
    assert extract.abstained and extract.text.endswith("không nêu thời gian này.")
    # The date of a document the question names by its number is what it asks.
    named = _ask("Kế hoạch phối hợp số 03-KH/BDVTU về công tác dân vận được ký ngày nào?", [_hit(cited)])
    assert not named.abstained and "12/12/2022" in named.text.split("\n")[0]
    due = _ask("Hạn báo cáo kết quả thực hiện Kế hoạch phối hợp số 03-KH/BDVTU là khi nào?", [_hit(cited)])
    assert due.abstained  # a deadline is asked, not the date of the document it names


def test_a_sentence_of_the_document_that_names_the_project_is_about_it_without_naming_it() -> None:
    """ "Thời hạn hoạt động của dự án Khu công nghiệp Phú Xuân là bao lâu?" abstained: "6. Thời hạn hoạt động của
    dự án: 70 năm …" does not repeat the project's name, which the decision's title lacks too; its other passages
    found say it, and no other document does."""
    scale = "4. Quy mô dự án: Đầu tư, xây dựng kinh doanh kết cấu hạ tầng Khu công nghiệp Phú Xuân với quy mô 300ha."
    term = "6. Thời hạn hoạt động của dự án: 70 năm kể từ ngày được Nhà nước giao đất, cho thuê đất."
    question = "Thời hạn hoạt động của dự án Khu công nghiệp Phú Xuân là bao lâu?"
    rare = {"phu": 4.0, "xuan": 4.0}  # as in an archive: the project's name is rare, "thời hạn" is not

    extract = ExtractiveAnswerer(lambda t: rare.get(t, 1.0)).answer(Query(question), [_hit(scale), _hit(term, 1)])
    assert not extract.abstained and "70 năm" in extract.text.split("\n")[0], extract.text


def test_a_name_only_one_document_says_keeps_the_answer_to_that_document() -> None:
    """ "Diện tích dự án Khu công nghiệp Phú Xuân là bao nhiêu?" also quoted an inspection record's "diện tích là
    4,3ha" of a quarry: the question names the park, which only the decision's passages say."""
    scale = "4. Quy mô dự án: Đầu tư, xây dựng kinh doanh kết cấu hạ tầng Khu công nghiệp Phú Xuân với quy mô 300ha."
    quarry = "Khu vực dự kiến sử dụng vật liệu nổ của dự án có diện tích là 4,3ha theo Giấy phép khai thác khoáng sản."
    record = DocMeta(title="Biên bản kiểm tra khu vực sử dụng vật liệu nổ", date="2026-06-08", kind="BIÊN BẢN")
    hits = [_hit(scale), Retrieved(Chunk("bb#0", "bb.pdf", "bb.pdf", 0, quarry, 0, len(quarry), meta=record), 0.5)]
    extract = _ask("Diện tích dự án Khu công nghiệp Phú Xuân là bao nhiêu?", hits)
    assert "300ha" in extract.text.split("\n")[0] and "4,3ha" not in extract.text, extract.text
