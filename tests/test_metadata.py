"""Metadata of every bundled document, of the fixtures, and of unseen documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.clean import clean
from index.loaders import read_text
from index.metadata import extract_metadata
from index.types import DocMeta

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures"

EXPECTED = {
    "000": DocMeta(
        title="Ba Đình: Thực hiện hiệu quả công tác dân vận chính quyền năm 2018",
        issuer="UBND quận Ba Đình",  # the news reports Ba Đình's plan 34/KH-UBND
        number="",  # a news item has no number of its own
        date="2018-05-29",
        place="Ba Đình",
        signer="",
        kind="tin tức",
    ),
    "001": DocMeta(
        title="Quận Đống Đa tăng cường, đổi mới trong công tác dân vận",
        issuer="Quận ủy Đống Đa",
        date="2019-12-13",
        place="Đống Đa",
        kind="tin tức",  # "Nguyên Bảo" is the reporter, not a signer
    ),
    "002": DocMeta(
        title="Thực hiện “Năm Dân vận của chính quyền” Và phong trào thi đua “Dân vận khéo”",
        issuer="UBND quận Gò Vấp",  # "UBND TP HỒ CHÍ MINH" above it is the superior body
        number="08/KH-UBND",
        date="2010-02-09",
        place="Gò Vấp",
        signer="Nguyễn Hồng",
        kind="KẾ HOẠCH",
    ),
    "003": DocMeta(
        title="Triển khai công tác Dân vận chính quyền năm 2025",
        issuer="UBND quận Ba Đình",  # no header: "/KH-UBND" + dateline "Ba Đình" + "quận Ba Đình" in the text
        number="",  # "Số: /KH-UBND": not yet numbered
        date="2025-02",  # "ngày tháng 02 năm 2025": blank day
        place="Ba Đình",
        signer="Phạm Thị Diễm",
        kind="KẾ HOẠCH",
    ),
    "004": DocMeta(
        title="Nâng cao hiệu quả công tác dân vận xây dựng chính quyền trong sạch, vững mạnh",
        issuer="Thành ủy Hà Nội",
        number="1186-TB/TU",  # the notice the item's lead announces ("vừa có Văn bản số 1186-TB/TU")
        date="2018-03-07",
        place="Hà Nội",
        kind="tin tức",
    ),
}


def _meta(path: Path) -> DocMeta:
    return extract_metadata(clean(read_text(path)), path.name)


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_corpus_metadata(prefix: str) -> None:
    (path,) = (ROOT / "corpus").glob(f"{prefix}_*.txt")
    assert _meta(path) == EXPECTED[prefix]


def test_year_of_partial_date() -> None:
    assert EXPECTED["003"].year == 2025
    assert DocMeta(date="").year is None


@pytest.mark.parametrize("name", ["ke_hoach.pdf", "ke_hoach.docx"])
def test_plan_fixtures(name: str) -> None:
    assert _meta(FIXTURES / name) == DocMeta(
        title="Tổ chức tiếp công dân năm 2024",
        issuer="UBND quận Gò Vấp",
        number="12/KH-UBND",
        date="2024-03-05",
        place="Gò Vấp",
        signer="Trần Văn Nam",
        kind="KẾ HOẠCH",
    )


def test_markdown_fixture() -> None:
    meta = _meta(FIXTURES / "ke_hoach.md")
    assert (meta.title, meta.number, meta.date, meta.place, meta.kind) == (
        "Tiếp công dân năm 2024",
        "15/KH-UBND",
        "2024-01-10",
        "Gò Vấp",
        "KẾ HOẠCH",
    )
    assert meta.issuer == ""  # nothing in the text says which level Gò Vấp is


def test_html_news_fixture() -> None:
    assert _meta(FIXTURES / "tin_tuc.html") == DocMeta(
        title="Quận Gò Vấp ra quân phong trào “Dân vận khéo”",
        issuer="UBND quận Gò Vấp",
        date="2024-03-05",
        place="Gò Vấp",
        kind="tin tức",
    )


DECISION = """ỦY BAN NHÂN DÂN
HUYỆN CỦ CHI
Số: 12/2024/QĐ-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Củ Chi, ngày 5 tháng 3 năm 2024

QUYẾT ĐỊNH
Về việc ban hành Quy chế tiếp công dân
trên địa bàn huyện

Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;

Nơi nhận:
- Như Điều 3;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
(Ký tên, đóng dấu)
Trần Văn Nam"""


def test_unseen_decision() -> None:
    assert extract_metadata(DECISION, "qd.docx") == DocMeta(
        title="Về việc ban hành Quy chế tiếp công dân trên địa bàn huyện",
        issuer="UBND huyện Củ Chi",
        number="12/2024/QĐ-UBND",
        date="2024-03-05",
        place="Củ Chi",
        signer="Trần Văn Nam",
        kind="QUYẾT ĐỊNH",
    )


def test_unseen_party_plan_old_tone_style_and_blank_day_and_month() -> None:
    text = (
        "ĐẢNG BỘ QUẬN BA ĐÌNH\nĐẢNG UỶ PHƯỜNG ĐIỆN BIÊN\nSố: 15-KH/ĐU\nĐẢNG CỘNG SẢN VIỆT NAM\n"
        "Điện Biên, ngày   tháng   năm 2023\nKẾ HOẠCH\nHọc tập nghị quyết\n\n1. Mục đích\n"
        "T/M ĐẢNG UỶ\nBÍ THƯ\nNguyễn Văn An"
    )
    meta = extract_metadata(text, "kh.pdf")
    assert meta.issuer == "Đảng ủy phường Điện Biên"
    assert (meta.number, meta.date, meta.place, meta.signer) == (
        "15-KH/ĐU",
        "2023",
        "Điện Biên",
        "Nguyễn Văn An",
    )


def test_one_line_pdf_header() -> None:
    text = (
        "UBND TỈNH QUẢNG NAM SỞ NỘI VỤ Số: 7 /KH-SNV CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - "
        "Hạnh phúc Tam Kỳ, ngày 20 tháng 10 năm 2023 KẾ HOẠCH Cải cách hành chính năm 2024 Căn cứ Quyết định "
        "số 1 của UBND tỉnh."
    )
    meta = extract_metadata(text, "x.pdf")
    assert (meta.number, meta.date, meta.place, meta.kind) == ("7/KH-SNV", "2023-10-20", "Tam Kỳ", "KẾ HOẠCH")
    assert meta.title == "Cải cách hành chính năm 2024"
    assert meta.issuer == "Sở Nội vụ tỉnh Quảng Nam"  # a department of its superior "UBND TỈNH QUẢNG NAM"


def test_place_names_that_look_like_body_words() -> None:
    text = "Phường Thành Công ra mắt mô hình\nNgày đăng 02/01/2024\n\nUBND phường Thành Công tổ chức hội nghị."
    assert extract_metadata(text, "tin.html").issuer == "UBND phường Thành Công"


def test_news_with_old_tone_style() -> None:
    text = "Thành uỷ Hà Nội họp định kỳ\nNgày đăng: 3/1/2020\n\nThành uỷ Hà Nội vừa họp phiên định kỳ."
    meta = extract_metadata(text, "tin.html")
    assert (meta.title, meta.issuer, meta.date, meta.kind) == (
        "Thành ủy Hà Nội họp định kỳ",
        "Thành ủy Hà Nội",
        "2020-01-03",
        "tin tức",
    )


def test_unknown_shape_leaves_fields_empty() -> None:
    text = "Ghi chép cuộc họp\n\nCông văn số 150/UBND-VX, ngày 14 tháng 01 năm 2010 được nhắc tới."
    assert extract_metadata(text, "note.md") == DocMeta(title="Ghi chép cuộc họp")
    assert extract_metadata("", "empty.txt") == DocMeta()


# Letterheads of real documents (tests/fixtures/metadata_*.txt; ../shared/realdocs as each extractor or OCR gives
# them) and hand-written ones of other bodies; metadata_expected.json is the hand-checked table, "source" says
# how each text was made.
REAL_EXPECTED = json.loads((FIXTURES / "metadata_expected.json").read_text(encoding="utf-8"))


def test_every_letterhead_fixture_has_expected_metadata() -> None:
    assert sorted(p.name for p in FIXTURES.glob("metadata_*.txt")) == sorted(REAL_EXPECTED)


@pytest.mark.parametrize("name", sorted(REAL_EXPECTED))
@pytest.mark.parametrize("field", ["kind", "number", "title", "issuer", "place", "date", "signer"])
def test_letterhead_fixture(name: str, field: str) -> None:
    meta = extract_metadata((FIXTURES / name).read_text(encoding="utf-8"), name)
    assert getattr(meta, field) == REAL_EXPECTED[name][field]


def test_signer_is_never_taken_from_the_recipients_list() -> None:
    text = (
        "UBND TỈNH LÀO CAI\nSỞ CÔNG THƯƠNG\nSố: /SCT-CN\nV/v kiểm tra kho\nKính gửi: Công ty A.\n"
        "Sở Công Thương có ý kiến.\nNơi nhận:\n- PCT UBND tỉnh Nguyễn Thành Sinh;\n- Lưu: VT.\n"
        "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC\n"
    )
    meta = extract_metadata(text, "cv.docx")
    assert (meta.kind, meta.title, meta.issuer, meta.signer) == (
        "CÔNG VĂN",
        "V/v kiểm tra kho",
        "Sở Công Thương tỉnh Lào Cai",
        "",
    )


def test_title_that_begins_like_a_body_sentence() -> None:
    """Plans are often titled "Thực hiện …": only the lines after the first are checked for the body's start."""
    text = (
        "ỦY BAN NHÂN DÂN\nPHƯỜNG PHÚC XÁ\nSố: 3/KH-UBND\nPhúc Xá, ngày 2 tháng 1 năm 2025\nKẾ HOẠCH\n"
        "Thực hiện công tác dân vận chính quyền\nnăm 2025\nThực hiện Kế hoạch số 1/KH-UBND của quận.\n"
    )
    meta = extract_metadata(text, "kh.docx")
    assert (meta.title, meta.issuer, meta.date) == (
        "Thực hiện công tác dân vận chính quyền năm 2025",
        "UBND phường Phúc Xá",
        "2025-01-02",
    )


def test_a_table_of_members_above_the_recipients_list_is_no_signature() -> None:
    text = (
        "ỦY BAN NHÂN DÂN\nQUẬN BA ĐÌNH\nSố: 9/QĐ-UBND\nBa Đình, ngày 2 tháng 1 năm 2025\nQUYẾT ĐỊNH\n"
        "Thành lập Ban Chỉ đạo công tác dân vận\nCăn cứ Luật Tổ chức chính quyền địa phương;\n"
        "Điều 1. Thành phần Ban Chỉ đạo:\nTRƯỞNG BAN\nNguyễn Văn A\nPHÓ TRƯỞNG BAN\nLê Thị Hoa\n"
        + "Điều 2. Ban Chỉ đạo có nhiệm vụ giúp Ủy ban nhân dân quận.\n" * 3
        + "Nơi nhận:\n- Như Điều 3;\n- Lưu: VT.\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n"
    )
    meta = extract_metadata(text, "qd.docx")
    assert (meta.title, meta.signer) == ("Thành lập Ban Chỉ đạo công tác dân vận", "")  # the block has no name


def test_signer_named_by_a_legal_portals_metadata_block() -> None:
    """Pages copied from legal portals keep the portal's block ("Người ký: …") but often not the signature."""
    head = "Kế hoạch 110/KH-UBND năm 2013 về công tác dân vận\nSố hiệu: 110/KH-UBND Loại văn bản: Văn bản khác\n"
    for line in ("Nơi ban hành: Tỉnh Phú Yên Người ký: Phạm Đình Cự", "Người ký Lê Văn Hưởng"):
        text = head + line + "\n\nỦY BAN NHÂN DÂN\nTỈNH PHÚ YÊN\n\nSố: 110/KH-UBND\n\nKẾ HOẠCH\nCÔNG TÁC DÂN VẬN\n"
        assert extract_metadata(text, "kh.txt").signer == line.split("ký")[-1].strip(": ")
    unnamed = head + "Người ký: Đang cập nhật\n\nỦY BAN NHÂN DÂN\nTỈNH PHÚ YÊN\n\nKẾ HOẠCH\nCÔNG TÁC DÂN VẬN\n"
    assert extract_metadata(unnamed, "kh.txt").signer == ""


@pytest.mark.parametrize("label", ["Só:", "Sô:", "S6:", "Sồ:", "Số:"])
def test_number_label_as_ocr_misreads_it(label: str) -> None:
    """OCR loses or changes the marks of "Số:" in a letterhead; a number-symbol pattern after it is still the number."""
    text = (
        f"UBND TỈNH LÀO CAI\nSỞ CÔNG THƯƠNG\n{label}12 /SCT-CN Lào Cai, ngày 2 tháng 3 năm 2026\n"
        "V/v kiểm tra kho\nKính gửi: Công ty A.\nSở Công Thương đề nghị.\n"
    )
    meta = extract_metadata(text, "cv.pdf")
    assert (meta.number, meta.issuer, meta.date) == ("12/SCT-CN", "Sở Công Thương tỉnh Lào Cai", "2026-03-02")


def test_a_misread_label_without_a_number_is_no_number() -> None:
    text = "UBND TỈNH LÀO CAI\nSỞ CÔNG THƯƠNG\nSó: /SCT-CN\nV/v kiểm tra kho\nKính gửi: Công ty A.\n"
    assert extract_metadata(text, "cv.pdf").number == ""


def test_kind_with_a_stray_mark_between_its_words() -> None:
    text = "ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\nSố: 9/QĐ-UBND\nQUYẾT. ĐỊNH\nVề việc giao đất\nCăn cứ Luật Đất đai;\n"
    meta = extract_metadata(text, "qd.pdf")
    assert (meta.kind, meta.title) == ("QUYẾT ĐỊNH", "Về việc giao đất")


def test_lines_of_ocr_noise_are_dropped_from_a_title() -> None:
    text = "BIÊN BẢN\n\n„ ^ » ˆ LFA Ä A .ˆ\nKiểm tra hiện trường mỏ đá\n\nHồm nay, ngày 08/6/2026, đoàn làm việc.\n"
    meta = extract_metadata(text, "bb.pdf")
    assert (meta.title, meta.date) == ("Kiểm tra hiện trường mỏ đá", "2026-06-08")


def test_a_title_line_of_acronyms_and_dashes_is_no_noise() -> None:
    text = "ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\nSố: 9/KH-UBND\nKẾ HOẠCH\nQuản lý hạ tầng\ncủa các KCN – CCN tỉnh\n\nI. MỤC\n"
    assert extract_metadata(text, "kh.pdf").title == "Quản lý hạ tầng của các KCN – CCN tỉnh"


def test_central_party_letterhead_names_the_central_department() -> None:
    text = (
        "BAN CHẤP HÀNH TRUNG ƯƠNG\nBAN TUYÊN GIÁO\n*\nĐẢNG CỘNG SẢN VIỆT NAM\nSố: 12-HD/BTGTW\n"
        "Hà Nội, ngày 5 tháng 3 năm 2021\nHƯỚNG DẪN\nTuyên truyền kỷ niệm ngày thành lập Đảng\n"
        "Ban Tuyên giáo Trung ương hướng dẫn như sau:\n"
    )
    meta = extract_metadata(text, "hd.txt")
    assert (meta.issuer, meta.number, meta.kind) == ("Ban Tuyên giáo Trung ương", "12-HD/BTGTW", "HƯỚNG DẪN")


def test_inline_decision_title_ends_before_the_authority_line() -> None:
    text = (
        "ỦY BAN NHÂN DÂN TỈNH PHÚ YÊN Số: 3/QĐ-UBND Tuy Hòa, ngày 2 tháng 1 năm 2020 QUYẾT ĐỊNH Về việc thành lập "
        "Tổ công tác ỦY BAN NHÂN DÂN TỈNH PHÚ YÊN Căn cứ Luật Tổ chức chính quyền địa phương;"
    )
    assert extract_metadata(text, "qd.txt").title == "Về việc thành lập Tổ công tác"
    upper = text.replace("Về việc thành lập Tổ công tác", "VỀ VIỆC THÀNH LẬP TỔ CÔNG TÁC")
    assert extract_metadata(upper, "qd.txt").title.startswith("VỀ VIỆC THÀNH LẬP TỔ CÔNG TÁC")


def test_report_copied_onto_a_portal_takes_the_pages_date_and_its_title_stops_there() -> None:
    """A ward's report as its portal shows it: no letterhead, "Ngày cập nhật 14/07/2022" under the title.
    Before: the date line ran into the title and the date was empty."""
    text = (
        "BÁO CÁO Kết quả thực hiện dân vận chính quyền 6 tháng đầu năm 2022\nNgày cập nhật 14/07/2022\n\n"
        "Ủy ban nhân dân phường Hương An là cơ quan hành chính Nhà nước địa phương.\n"
    )
    meta = extract_metadata(text, "bc.txt")
    assert (meta.kind, meta.title, meta.date) == (
        "BÁO CÁO",
        "Kết quả thực hiện dân vận chính quyền 6 tháng đầu năm 2022",
        "2022-07-14",
    )
    assert meta.issuer == ""  # not printed: not guessed from the body


# The end of 3036-SCT-CN-KH-kiem-tra-kho-VLNCN-MongSen1.pdf (../shared/realdocs) as OCR reads it (OCR_VERSION 2,
# its text layer being garbage): "Nơi nhận" read "Nưi nhận", the second title "PHÓ GIÁM ĐỐC" lost in the
# recipients' column ("HQ GIAM DỌC").
OCR_3036_TAIL = """Công ty Cổ phần Năng lượng Bảo Long được biết và phối hợp triển khai thực hiện./.

Nưi nhận: KT. GIÁM ĐÓC
- Như trên; „ ˆ HẾ

- Ban Giảm đôc Sở; „ ~= - HQ GIAM DỌC
- Phòng QLNLh (đê phôi hợp); 5D <

- Lưu: VT, CN (Dũng)-

Hoàng Văn Thuân"""

# The end of QD-2336-2026-CTDT-KCN-Phu-Xuan.pdf (../shared/realdocs, a scan) as OCR reads it: the first
# recipient's dash read as "~".
OCR_2336_TAIL = """bản lưu tại Văn phòng Ủy ban nhân dân tỉnh Lào Cai./ T4

Nơi nhận: CHỦ TỊCH
~ Thường trực Tỉnh ủy (b/e);
- Chủ tịch UBND tỉnh;

- Các PCT UBND tỉnh; BA
- Các cơ quan tại Điều 3; TEEN tr'ềè E1wS0SYSS
- Trung tâm Phục vụ HCC tỉnh; TẤY

- CVP, các PCVP UBND tỉnh;

- Lưu: VT, KT. S1 2

Nguyễn Tuấn Anh
= Phụ lục"""

# The end of Bien-ban-kiem-tra-hien-truong-Yen-Thanh-8.6.2026.pdf (../shared/realdocs, a phone scan) as OCR
# reads it: the first two blocks side by side on one line, their names on one line, "6+?" (a signature's
# strokes) between the third block's title and its name.
OCR_BIENBAN_TAIL = """Biên bản được lập thành 03 bản, mỗi bên giữ 01 bản và có giá trị như nhau./.

ĐD SỞ CÔNG THƯƠNG ĐD UBND XÃ YÊN THÀNH

-2—

Vũ Việt Linh Triệu Vũ

ĐD CÔNG TY CP XD GIAO THÔNG YÊN BÁI

6+?

Nguyễn Quốc Thịnh"""

LETTER_HEAD = "UBND TỈNH LÀO CAI\nSỞ CÔNG THƯƠNG\nSố: 3036/SCT-CN\nV/v kế hoạch kiểm tra\nKính gửi: Công ty A.\n\n"
DECISION_HEAD = "ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\nSố: 12/QĐ-UBND\nQUYẾT ĐỊNH\nChấp thuận chủ trương đầu tư\n\n"
RECORD_HEAD = "BIÊN BẢN KIỂM TRA\nKhu vực nổ mìn\n\nHôm nay, ngày 08/6/2026, Sở Công Thương kiểm tra.\n\n"


def test_ocr_misread_recipients_label_still_marks_the_signature_block() -> None:
    meta = extract_metadata(LETTER_HEAD + OCR_3036_TAIL, "3036.pdf")
    assert (meta.kind, meta.signer) == ("CÔNG VĂN", "Hoàng Văn Thuân")


def test_recipients_dash_read_as_a_tilde_does_not_end_the_block() -> None:
    meta = extract_metadata(DECISION_HEAD + OCR_2336_TAIL, "2336.pdf")
    assert (meta.kind, meta.signer) == ("QUYẾT ĐỊNH", "Nguyễn Tuấn Anh")


def test_two_blocks_on_one_line_split_by_the_family_names_and_noise_before_a_name() -> None:
    meta = extract_metadata(RECORD_HEAD + OCR_BIENBAN_TAIL, "bb.pdf")
    assert (meta.kind, meta.date, meta.signer) == (
        "BIÊN BẢN",
        "2026-06-08",
        "Vũ Việt Linh, Triệu Vũ, Nguyễn Quốc Thịnh",
    )


@pytest.mark.parametrize(
    "names",
    [
        "Lê Thị Mai Hà",  # four words, two names possible (Lê Thị / Mai Hà): whose is whose cannot be told
        "Vũ Việt Linh",  # one name under two blocks
        "Vũ Việt Linh Triệu Vũ Lan",  # Vũ Việt Linh / Triệu Vũ Lan or Vũ Việt Linh Triệu / Vũ Lan
    ],
)
def test_two_blocks_on_one_line_with_names_that_cannot_be_split_give_none(names: str) -> None:
    text = RECORD_HEAD + f"ĐD SỞ CÔNG THƯƠNG ĐD UBND XÃ YÊN THÀNH\n\n{names}\n"
    assert extract_metadata(text, "bb.pdf").signer == ""


def test_signature_block_in_a_text_box_above_the_recipients_list() -> None:
    """A .docx signature block drawn in a text box anchored in the last paragraph is read before "Nơi nhận:"."""
    text = (
        DECISION_HEAD
        + "Căn cứ Luật Đầu tư;\n\nĐiều 1. Chấp thuận chủ trương đầu tư dự án.\n\n"
        + "Điều 2. Quyết định này có hiệu lực kể từ ngày ký./.\n\n"
        + "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\n(Đã ký)\n\n\n\nNguyễn Thành Sinh\n\n"
        + "Nơi nhận:\n- Như Điều 2;\n- Lưu: VT.\n"
    )
    assert extract_metadata(text, "qd.docx").signer == "Nguyễn Thành Sinh"


def test_the_body_above_the_recipients_list_is_not_taken_for_a_signature_block() -> None:
    text = (
        DECISION_HEAD
        + "Điều 1. Thành phần tổ công tác:\nTRƯỞNG BAN\nNguyễn Văn An\n\n"
        + "Điều 2. Quyết định này có hiệu lực kể từ ngày ký./.\n\n"
        + "Nơi nhận:\n- Như Điều 2;\n- Lưu: VT.\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n"
    )
    assert extract_metadata(text, "qd.docx").signer == ""


# The head of QD-2336-2026-CTDT-KCN-Phu-Xuan.pdf (../shared/realdocs, a scan) as OCR reads it, with two lines of
# its body: the title in bold capitals over two lines with a blank line between (a paragraph break to
# Tesseract) and marks misread ("CHÁP", "ĐẢU", "ĐÔNG"); the body spells the same words rightly, and wrongly too.
OCR_2336_HEAD = """ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM

TỈNH LÀO CAI Độc lập - Tự do - Hạnh phúc
Số: 4 5 46 /QĐ-UBND Lào Cai, ngày 0Â tháng + năm 2026

QUYẾT: ĐỊNH CHÁP THUẬN CHỦ TRƯƠNG ĐẢU TƯ

ĐÔNG THỜI CHÁP THUẬN NHÀ ĐẦU TƯ
(Cáp lần đâu: Ngày 0À tháng ‡ năm 2026)

CHỦ TỊCH UỶ BAN NHÂN DÂN TỈNH LÀO CAI

Căn cứ Kết luận số 300-KL/TU ngày 02 tháng 7 năm 2026 của Ban
Thường vụ Tỉnh ủy về chấp thuận chủ trương đâu tư dự án;

Căn cứ Nghị quyết số 6ó6-NQ/ĐU ngày 27 tháng 6 năm 2026 của Ban Thường vụ Đảng ủy UBND tỉnh về thống nhất chủ trương chấp thuận chủ trương đầu tư đông thời chấp thuận nhà đâu tư đối với dự án;

QUYẾT ĐỊNH:

Điều 1. Chấp thuận chủ trương đầu tư đồng thời với chấp thuận nhà đầu tư đối với Dự án đầu tư xây dựng và kinh. doanh kết cấu hạ tầng Khu công nghiệp Phú Xuân, xã Gia Phú, tỉnh Lào Cai gồm các nội dung sau:

Điều 2. Chấp thuận chủ trương đầu tư đồng thời chấp thuận nhà đầu tư; tổng vốn đầu tư của dự án."""  # noqa: E501


def test_ocr_title_in_capitals_over_a_blank_line_is_kept_whole_and_its_marks_respelled_from_the_text() -> None:
    meta = extract_metadata(OCR_2336_HEAD, "2336.pdf")
    assert (meta.kind, meta.issuer, meta.title) == (
        "QUYẾT ĐỊNH",
        "UBND tỉnh Lào Cai",
        "CHẤP THUẬN CHỦ TRƯƠNG ĐẦU TƯ ĐỒNG THỜI CHẤP THUẬN NHÀ ĐẦU TƯ",
    )


def test_a_title_is_not_respelled_from_a_single_occurrence_or_a_spelling_with_fewer_marks() -> None:
    """A word is respelled only from a spelling found twice beside the same neighbour; the title's spelling, when
    the text has it too, gives way only to one with more marks."""
    head = "ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\nSố: 12/KH-UBND\nKẾ HOẠCH\nPHÒNG CHỐNG THIÊN TAI NĂM 2025\n\n"
    once = head + "Căn cứ kế hoạch phòng chông thiên tai của tỉnh.\n"
    assert extract_metadata(once, "kh.docx").title == "PHÒNG CHỐNG THIÊN TAI NĂM 2025"
    fewer = head + "Căn cứ kế hoạch phong chống thiên tai.\nThực hiện phong chống thiên tai.\nphòng chống lụt\n"
    assert extract_metadata(fewer, "kh.docx").title == "PHÒNG CHỐNG THIÊN TAI NĂM 2025"
