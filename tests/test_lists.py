"""List questions are answered from the document's outline, item by item (assistant.lists and its use in
ExtractiveAnswerer.answer): sub-section headings, a section's bullets, or the sections a "… như sau:" opens."""

from __future__ import annotations

from assistant import lists
from assistant.crosslingual import vietnamese_terms
from assistant.extractive import ExtractiveAnswerer
from assistant.lists import asks_for_list, list_noun
from assistant.types import Query
from index.types import Chunk, DocMeta, Retrieved

META = DocMeta(
    title="V/v tham gia ý kiến thẩm định hồ sơ cụm công nghiệp Hòa Bình",
    issuer="Sở Nông nghiệp và Môi trường tỉnh Yên Bái",
    number="512/SNNMT-KHTC",
    date="2026-03-02",
    kind="CÔNG VĂN",
)


PLAN = DocMeta(
    title="Thực hiện công tác dân vận chính quyền năm 2025",
    issuer="UBND tỉnh Yên Bái",
    number="21/KH-UBND",
    date="2025-01-16",
    kind="KẾ HOẠCH",
)


def _chunks(doc: str, parts: list[tuple[str, str]], meta: DocMeta = META) -> list[Chunk]:
    out, pos = [], 0
    for i, (section, text) in enumerate(parts):
        out.append(Chunk(f"{doc}#{i}", doc, doc, i, text, pos, pos + len(text), section=section, meta=meta))
        pos += len(text) + 1
    return out


OPINIONS = _chunks(
    "cv.pdf",
    [
        ("", "Sở Nông nghiệp và Môi trường nhận được hồ sơ cụm công nghiệp Hòa Bình và có ý kiến như sau."),
        (
            "2. Ý kiến tham gia theo lĩnh vực ngành quản lý › 2.1. Về lĩnh vực đất đai",
            "2. Ý kiến tham gia theo lĩnh vực ngành quản lý\n2.1. Về lĩnh vực đất đai\n"
            "Khu đất phù hợp quy hoạch sử dụng đất.",
        ),
        (
            "2. Ý kiến tham gia theo lĩnh vực ngành quản lý › 2.2. Lĩnh vực môi trường",
            "2.2. Lĩnh vực môi trường\nĐề nghị chủ đầu tư cập nhật quy chuẩn về nước thải.",
        ),
        (
            "2. Ý kiến tham gia theo lĩnh vực ngành quản lý › 2.3. Lĩnh vực thủy lợi",
            "2.3. Lĩnh vực thủy lợi\nKhu đất không chồng lấn công trình thủy lợi.",
        ),
    ],
)

PURPOSES = _chunks(
    "kh.txt",
    [
        (
            "I. MỤC ĐÍCH, YÊU CẦU › 1. Mục đích",
            "I. MỤC ĐÍCH, YÊU CẦU\n1. Mục đích\n- Nâng cao nhận thức của cán bộ về công tác dân vận chính quyền.\n"
            "- Đổi mới phương thức dân vận trong cơ quan hành chính.",
        ),
        ("I. MỤC ĐÍCH, YÊU CẦU › 1. Mục đích", "- Phát huy vai trò của Nhân dân trong xây dựng chính quyền."),
        ("I. MỤC ĐÍCH, YÊU CẦU › 2. Yêu cầu", "2. Yêu cầu\n- Xác định rõ trách nhiệm của từng cơ quan."),
    ],
    PLAN,
)

TASKS = _chunks(
    "cv193.pdf",
    [
        ("", "Chủ tịch UBND tỉnh yêu cầu các cơ quan, đơn vị triển khai các nhiệm vụ quản lý vật liệu nổ như sau:"),
        ("1. Sở Công Thương", "1. Sở Công Thương\nRà soát các quy định về quản lý vật liệu nổ."),
        ("2. Công an tỉnh", "2. Công an tỉnh\nKiểm tra việc vận chuyển vật liệu nổ."),
        ("3. Sở Nội vụ", "3. Sở Nội vụ\nĐưa kết quả quản lý vật liệu nổ vào đánh giá thi đua."),
    ],
)
DOCS = {"cv.pdf": OPINIONS, "kh.txt": PURPOSES, "cv193.pdf": TASKS}


def _ask(question: str, chunks: list[Chunk], with_outline: bool = True):
    """The answer from `chunks` (one document's, in order), whose outline is on file with `DOCS`."""
    hits = [Retrieved(c, 1.0 / (i + 1)) for i, c in enumerate(chunks)]
    on_file = {**DOCS, chunks[0].doc_id: chunks}
    answerer = ExtractiveAnswerer(lambda _: 1.0)
    return answerer.answer(Query(question), hits, document_chunks=on_file.__getitem__ if with_outline else None)


def test_sub_section_headings_that_name_what_is_asked_are_the_items() -> None:
    question = "Sở Nông nghiệp và Môi trường góp ý hồ sơ cụm công nghiệp Hòa Bình theo những lĩnh vực nào?"
    extract = _ask(question, OPINIONS)
    assert not extract.abstained
    lines = extract.text.split("\n")  # the answer first, then the lead and the items
    assert lines[0] == "Gồm: Về lĩnh vực đất đai; Lĩnh vực môi trường; Lĩnh vực thủy lợi [1][2][3]."
    assert lines[1].startswith("Theo Công văn số 512/SNNMT-KHTC") and lines[1].endswith("gồm:")
    assert lines[2:] == ["- Về lĩnh vực đất đai. [1]", "- Lĩnh vực môi trường. [2]", "- Lĩnh vực thủy lợi. [3]"]
    assert [c.quotes for c in extract.citations][1] == ((5, 24),)  # "Lĩnh vực môi trường", its number left out
    before = _ask(question, OPINIONS, with_outline=False)  # without the outline: one sentence, one field
    assert "thủy lợi" not in before.text


def test_a_sections_bullets_are_the_items_across_chunks() -> None:
    extract = _ask("Kế hoạch dân vận chính quyền năm 2025 của tỉnh Yên Bái nêu những mục đích gì?", PURPOSES)
    assert "mục «I. MỤC ĐÍCH, YÊU CẦU › 1. Mục đích»" in extract.text
    assert extract.text.count("\n- ") == 3 and "Phát huy vai trò của Nhân dân" in extract.text
    assert "Xác định rõ trách nhiệm" not in extract.text  # the next section's bullet


def test_the_sections_a_sentence_introduces_are_the_items() -> None:
    extract = _ask("Chủ tịch UBND tỉnh giao nhiệm vụ quản lý vật liệu nổ cho những cơ quan nào?", TASKS)
    assert [ln for ln in extract.text.split("\n")[2:]] == [
        "- Sở Công Thương. [1]",
        "- Công an tỉnh. [2]",
        "- Sở Nội vụ. [3]",
    ]


def test_list_questions_and_nouns() -> None:
    assert asks_for_list("Những ai tham gia đoàn kiểm tra?") and asks_for_list("Các cơ quan nào phối hợp?")
    assert not asks_for_list("Cơ quan nào chủ trì?")
    assert list_noun("Kế hoạch giao cho các cấp ủy những việc gì?") == "việc"  # with its marks: "phần" is no "phân"
    assert list_noun("Ke hoach giao cho cac cap uy nhung viec gi?") == "viec"


def test_the_answer_first_names_the_first_items_and_a_closing_block_is_no_item() -> None:
    """A list answer began "Theo văn bản số 193/UBND-KT … [1], gồm:": no item was read before the list; and the
    recipients' block ("Nơi nhận") was listed as one of the bodies given tasks."""
    closing = _chunks(
        "cv193b.pdf",
        [(s, t) for s, t in ((c.section, c.text) for c in TASKS)]
        + [("Nơi nhận", "Nơi nhận:\n- Như trên;\n- Lưu: VT.")],
    )
    extract = _ask("Chủ tịch UBND tỉnh giao nhiệm vụ quản lý vật liệu nổ cho những cơ quan nào?", closing)
    lines = extract.text.split("\n")
    assert lines[0] == "Gồm: Sở Công Thương; Công an tỉnh; Sở Nội vụ [1][2][3]."
    assert lines[1].startswith("Theo Công văn số 512/SNNMT-KHTC") and "Nơi nhận" not in extract.text


def test_items_that_are_sentences_are_said_first_by_their_first_words() -> None:
    """r026: "… nêu những mục đích gì?" got no first sentence: each purpose of the Bắc Kạn plan is a 40-word
    sentence, and not even one fitted in 25 words."""
    purposes = _chunks(
        "kh21.txt",
        [
            (
                "I. MỤC ĐÍCH, YÊU CẦU › 1. Mục đích",
                "I. MỤC ĐÍCH, YÊU CẦU\n1. Mục đích\n- Tiếp tục nâng cao nhận thức cho cán bộ, đảng viên, công chức, "
                "viên chức và người lao động về vai trò, vị trí và tầm quan trọng của công tác dân vận, đưa công tác "
                "dân vận trở thành công việc thường xuyên, tự giác.\n- Tiếp tục đổi mới, nâng cao hiệu quả công tác "
                "dân vận của cơ quan nhà nước, chính quyền các cấp, gắn với thực hiện nhiệm vụ chính trị của địa "
                "phương, cơ quan, đơn vị trong năm 2025.",
            ),
            ("I. MỤC ĐÍCH, YÊU CẦU › 2. Yêu cầu", "2. Yêu cầu\n- Xác định rõ trách nhiệm của từng cơ quan."),
        ],
        PLAN,
    )
    extract = _ask("Kế hoạch dân vận chính quyền năm 2025 của tỉnh Yên Bái nêu những mục đích gì?", purposes)
    first = extract.text.split("\n")[0]
    assert first == "Gồm: Tiếp tục nâng cao nhận thức cho cán …; Tiếp tục đổi mới, nâng cao hiệu quả … [1]."


def test_sections_a_sentence_introduces_answer_only_the_kind_of_thing_they_are() -> None:
    """ "Kế hoạch … căn cứ vào những văn bản nào?" was answered "Gồm: Phòng Nội vụ; UBND các phường; …": the sentence
    before them ("… căn cứ chức năng nhiệm vụ … các nhiệm vụ sau:") shared words with the question, not its kind;
    "Những chỉ thị nào …?" was answered with the plan's own parts ("I. MỤC ĐÍCH, YÊU CẦU; II. NỘI DUNG")."""
    not_documents = _ask("Chủ tịch UBND tỉnh căn cứ vào những văn bản nào về quản lý vật liệu nổ?", TASKS)
    assert not not_documents.text.startswith("Gồm: Sở Công Thương")
    preamble = _chunks(
        "kh02.txt",
        [
            ("", "Thực hiện Chỉ thị số 02/CT-UBND của UBND Thành phố, UBND tỉnh xây dựng Kế hoạch dân vận như sau:"),
            ("I. MỤC ĐÍCH, YÊU CẦU", "I. MỤC ĐÍCH, YÊU CẦU\nNâng cao nhận thức về công tác dân vận."),
            ("II. NỘI DUNG", "II. NỘI DUNG\nĐẩy mạnh cải cách hành chính."),
        ],
        PLAN,
    )
    parts = _ask("Kế hoạch dân vận của UBND tỉnh Yên Bái thực hiện những chỉ thị nào?", preamble)
    outline = _ask("Kế hoạch dân vận của UBND tỉnh Yên Bái gồm những nội dung nào?", preamble)
    assert "MỤC ĐÍCH" not in parts.text.split("\n")[0] and "Chỉ thị số 02/CT-UBND" in parts.text
    assert outline.text.split("\n")[0] == "Gồm: I. MỤC ĐÍCH, YÊU CẦU; II. NỘI DUNG [1][2]."


def test_the_lines_of_a_section_that_does_not_name_what_is_asked_are_no_list() -> None:
    """Giá Rai's decision (a web page, one line per part): "Tổ công tác … gồm những ai?" was answered "Gồm: ỦY BAN
    NHÂN DÂN CỘNG HÒA XÃ HỘI …; Thực hiện Chỉ thị số 20/2004/CT-UBND …", the lines of the section whose heading
    shared a word with the question. Bullets still are a list."""
    lines = _chunks(
        "qd-gr.txt",
        [
            (
                "1. Tổ công tác Dân vận chính quyền huyện",
                "1. Tổ công tác Dân vận chính quyền huyện\nThực hiện Chỉ thị số 20/2004/CT-UBND của UBND tỉnh về "
                "công tác dân vận.\nQuyết định này có hiệu lực kể từ ngày ký.",
            )
        ],
        PLAN,
    )
    extract = _ask("Tổ công tác Dân vận chính quyền huyện gồm những ai?", lines)
    assert not extract.text.startswith("Gồm:"), extract.text


DECISION = _chunks(
    "qd2336.pdf",
    [
        (
            "Điều 1. Chấp thuận chủ trương đầu tư",
            "Điều 1. Chấp thuận chủ trương đầu tư dự án Khu công nghiệp Phú Xuân gồm các nội dung sau:",
        ),
        (
            "Điều 1. Chấp thuận chủ trương đầu tư › 3. Nhà đầu tư",
            "3. Nhà đầu tư\n- Công ty Cổ phần Phát triển hạ tầng Gia Phú.\n- Địa chỉ trụ sở: xã Gia Phú, tỉnh Lào Cai.",
        ),
        (
            "Điều 1. Chấp thuận chủ trương đầu tư › 4. Quy mô dự án",
            "4. Quy mô dự án: Đầu tư xây dựng kết cấu hạ tầng Khu công nghiệp Phú Xuân với quy mô 300ha.",
        ),
        (
            "Điều 1. Chấp thuận chủ trương đầu tư › 5. Mục tiêu dự án",
            "5. Mục tiêu dự án: Kinh doanh kết cấu hạ tầng khu công nghiệp.\n- Cho thuê nhà xưởng.\n"
            "- Cho thuê kho bãi.",
        ),
        (
            "Điều 1. Chấp thuận chủ trương đầu tư › 8. Tiến độ thực hiện dự án",
            "8. Tiến độ thực hiện dự án:\n- Chuẩn bị đầu tư và pháp lý (phê duyệt dự án, giao đất): Từ quý II/2026 "
            "đến quý II/2026.\n- Lập hồ sơ kỹ thuật (hoàn thiện thủ tục pháp lý): Từ quý III/2026 đến quý IV/2026.\n"
            "- Vận hành và kinh doanh: Từ quý I/2028.",
        ),
        (
            "Điều 2. Tổ chức thực hiện › 1. Trách nhiệm của chủ đầu tư",
            "1. Trách nhiệm của chủ đầu tư\n- Triển khai dự án theo đúng tiến độ đã được phê duyệt.\n"
            "- Báo cáo giám sát đầu tư dự án hằng quý.",
        ),
    ],
    DocMeta(
        title="Chấp thuận chủ trương đầu tư đồng thời chấp thuận nhà đầu tư",
        issuer="UBND tỉnh Lào Cai",
        number="2336/QĐ-UBND",
        date="2026-06-02",
        kind="QUYẾT ĐỊNH",
    ),
)


def test_a_section_the_question_names_by_its_heading_answers_with_its_items() -> None:
    """ "Tiến độ thực hiện dự án Khu công nghiệp Phú Xuân thế nào?" was answered by the project's scale ("Quy mô dự
    án: … Khu công nghiệp Phú Xuân …"): the sentence that says the project's name, not the phases, which do not."""
    question = "Tiến độ thực hiện dự án Khu công nghiệp Phú Xuân thế nào?"
    extract = _ask(question, DECISION)
    lines = extract.text.split("\n")
    assert lines[0] == (
        "Gồm: Chuẩn bị đầu tư và pháp lý: Từ quý II/2026 đến quý II/2026; Lập hồ sơ kỹ thuật: Từ quý III/2026 đến "
        "quý IV/2026 … [1]."
    )
    assert "› 8. Tiến độ thực hiện dự án»" in lines[1]
    assert lines[2:] == [
        "- Chuẩn bị đầu tư và pháp lý (phê duyệt dự án, giao đất): Từ quý II/2026 đến quý II/2026. [1]",
        "- Lập hồ sơ kỹ thuật (hoàn thiện thủ tục pháp lý): Từ quý III/2026 đến quý IV/2026. [1]",
        "- Vận hành và kinh doanh: Từ quý I/2028. [1]",
    ]
    assert _ask(f"Cho biết {question[0].lower()}{question[1:]}", DECISION).text == extract.text
    # Without the outline the items are not listed, but the section the question names still answers first (its
    # heading's every word is asked), not the sentence that says the project's name.
    before = _ask(question, DECISION, with_outline=False)
    assert before.text.split("\n")[0].startswith("Chuẩn bị đầu tư và pháp lý"), before.text


def test_a_heading_named_inside_the_question_or_saying_its_own_answer_is_no_section_answer() -> None:
    """The question asks what comes first: "Trách nhiệm của nhà đầu tư …" is not a question for "3. Nhà đầu tư";
    a heading whose line goes on ("5. Mục tiêu dự án: Kinh doanh …") is answered by that sentence; who, when and
    how much are answered as they are."""
    duty = _ask("Trách nhiệm của nhà đầu tư dự án Khu công nghiệp Phú Xuân là gì?", DECISION)
    assert "Công ty Cổ phần" not in duty.text.split("\n")[0]
    goal = _ask("Mục tiêu dự án Khu công nghiệp Phú Xuân là gì?", DECISION)
    assert goal.text.startswith("Mục tiêu dự án: Kinh doanh kết cấu hạ tầng khu công nghiệp"), goal.text
    when = _ask("Tiến độ thực hiện dự án Khu công nghiệp Phú Xuân đến khi nào?", DECISION)
    assert not when.text.startswith("Gồm:"), when.text


def test_who_a_section_names_is_what_that_section_says_first() -> None:
    """ "Nhà đầu tư dự án Khu công nghiệp Phú Xuân là ai?" was answered "Tên dự án: … Khu công nghiệp Phú Xuân": the
    section "3. Nhà đầu tư" names the company, but not the project, which the question's other words name."""
    for question in (
        "Nhà đầu tư dự án Khu công nghiệp Phú Xuân là ai?",
        "Ai là nhà đầu tư dự án Khu công nghiệp Phú Xuân?",
    ):
        first = _ask(question, DECISION).text.split("\n")[0]
        assert first.startswith("Công ty Cổ phần Phát triển hạ tầng Gia Phú [")
    english = "Who is the investor of the Phu Xuan industrial park?"  # `match`: the glossary's terms
    hits = [Retrieved(c, 1.0 / (i + 1)) for i, c in enumerate(DECISION)]
    extract = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query(vietnamese_terms(english), "en", english), hits, document_chunks={"qd2336.pdf": DECISION}.__getitem__
    )
    assert extract.text.startswith("Công ty Cổ phần Phát triển hạ tầng Gia Phú ["), extract.text


def test_a_list_asked_with_its_amounts_says_each_items_value_first() -> None:
    """r029: "… đến từ những nguồn nào, mỗi nguồn bao nhiêu?" began "Gồm: ¬- Vốn góp của nhà đầu tư; Vốn vay": the
    sources without their amounts, after a mark OCR left."""
    funds = _chunks(
        "qd2336b.pdf",
        [
            (
                "5. Vốn đầu tư của dự án Khu công nghiệp Phú Xuân › b) Nguồn vốn",
                "b) Nguồn vốn\n¬- Vốn góp của nhà đầu tư: 657.000.000.000 đồng (chiếm 20% tổng vốn đầu tư).\n"
                "- Vốn vay: 2.622.000.000.000 đồng (chiếm 80% tổng vốn đầu tư).",
            )
        ],
        DECISION[0].meta,
    )
    first = _ask("Vốn của dự án Khu công nghiệp Phú Xuân đến từ những nguồn nào, mỗi nguồn bao nhiêu?", funds)
    assert first.text.split("\n")[0] == (
        "Gồm: Vốn góp của nhà đầu tư: 657.000.000.000 đồng; Vốn vay: 2.622.000.000.000 đồng [1]."
    ), first.text


def test_what_a_whole_document_holds_is_its_outline() -> None:
    """ "Tóm tắt kế hoạch triển khai Chỉ thị 11 …", "Nội dung chính của quyết định 1696 là gì?" were answered with one
    of the passages found (the grounds it cites): the outline says what the document holds, each part cited."""
    for question in (
        "Tóm tắt quyết định 2336 của UBND tỉnh Lào Cai.",
        "Nội dung chính của quyết định 2336 là gì?",
        "Quyết định 2336 gồm những phần nào?",  # asked by its parts' name: not the items of one part
    ):
        extract = _ask(question, DECISION)
        lines = extract.text.split("\n")
        assert lines[0].startswith("Gồm các phần: Nhà đầu tư; Quy mô dự án;"), extract.text
        assert lines[1] == "Theo Quyết định số 2336/QĐ-UBND (UBND tỉnh Lào Cai, 02/06/2026) [1], văn bản gồm các phần:"
        assert lines[2:4] == ["- Nhà đầu tư. [1]", "- Quy mô dự án. [2]"]  # two articles only: Điều 1's parts
        assert len(lines) == 2 + len(lists.outline(DECISION)) and len(extract.citations) == len(lines) - 2
    english = ExtractiveAnswerer(lambda _: 1.0).answer(
        Query(vietnamese_terms("Summarize decision 2336."), "en", "Summarize decision 2336."),
        [Retrieved(c, 1.0) for c in DECISION],
        document_chunks={"qd2336.pdf": DECISION}.__getitem__,
    )
    assert english.text.startswith("Its parts are: Nhà đầu tư;"), english.text
    # A part of it asked about is no outline; nor is a document without headings.
    part = _ask("Tiến độ thực hiện dự án Khu công nghiệp Phú Xuân gồm những nội dung gì?", DECISION)
    assert not part.text.startswith("Gồm các phần"), part.text
    assert lists.outline(DECISION[:1]) == [] and lists.asks_overview("Kế hoạch có mấy phần?")


def test_the_parts_of_a_report_are_its_own_not_those_of_its_best_covered_part() -> None:
    """ "Báo cáo quản lý khoáng sản năm 2025 của Lào Cai gồm những phần nào?" listed the parts of its section 7 (the
    heading that says the question's words), not the report's four parts."""
    report = _chunks(
        "bc.docx",
        [
            ("I. CÔNG TÁC QUẢN LÝ NHÀ NƯỚC VỀ KHOÁNG SẢN", "I. CÔNG TÁC QUẢN LÝ NHÀ NƯỚC VỀ KHOÁNG SẢN"),
            (
                "I. CÔNG TÁC QUẢN LÝ NHÀ NƯỚC VỀ KHOÁNG SẢN › 1. Về phân cấp",  # "phân" folds as "phần": to the
                "1. Về phân cấp\nĐã phân cấp cho cấp xã.",  # list rule, these headings name the parts asked for
            ),
            (
                "I. CÔNG TÁC QUẢN LÝ NHÀ NƯỚC VỀ KHOÁNG SẢN › 2. Về phân quyền",
                "2. Về phân quyền\nĐã phân quyền cho Sở.",
            ),
            ("II. TÌNH HÌNH HOẠT ĐỘNG KHOÁNG SẢN", "II. TÌNH HÌNH HOẠT ĐỘNG KHOÁNG SẢN\nCó 40 mỏ đang khai thác."),
            ("III. ĐỀ XUẤT, KIẾN NGHỊ", "III. ĐỀ XUẤT, KIẾN NGHỊ\nĐề nghị Bộ hướng dẫn đóng cửa mỏ."),
        ],
        DocMeta(title="Công tác quản lý nhà nước về khoáng sản năm 2025", issuer="UBND tỉnh Lào Cai", kind="BÁO CÁO"),
    )
    first = _ask("Báo cáo công tác quản lý nhà nước về khoáng sản năm 2025 gồm những phần nào?", report).text
    assert first.startswith("Gồm các phần: I. CÔNG TÁC QUẢN LÝ NHÀ NƯỚC VỀ KHOÁNG SẢN; II. TÌNH HÌNH"), first
