"""Reflow of hard-wrapped text: paragraphs joined, structure kept, page furniture dropped, syllables repaired."""

from __future__ import annotations

import re
import textwrap

import pytest

from index.chunking import chunk_document
from index.clean import CLEANER_VERSION, clean
from index.metadata import extract_metadata
from index.reflow import reflow
from index.sentences import sentence_spans
from index.syllables import is_syllable, repair_split_syllables, syllable_counts
from index.types import Document

# The shape of the text layer of a plan exported from Word to PDF (pypdf extraction): a two-column
# letterhead read line by line, justified lines wrapped at ~80 characters, a running header and page
# numbers between pages, headings, "a)" items, "- " bullets, the distribution list and the signature.
WRAPPED_PDF = """\
ỦY BAN NHÂN DÂN
HUYỆN MINH HÀ
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số:        /KH-UBND      Minh Hà, ngày        tháng 02 năm 2025
KẾ HOẠCH
Thực hiện công tác dân vận chính quyền trên địa bàn huyện Minh Hà
năm 2025
Thực hiện Chương trình số 31-CTr/HU ngày 28/01/2025 của Huyện ủy Minh Hà về công
tác dân vận năm 2025, Ủy ban nhân dân huyện xây dựng Kế hoạch thực hiện công tác
dân vận chính quyền trên địa bàn huyện năm 2025 như sau:
I. MỤC ĐÍCH,
YÊU CẦU
1. Tiếp tục nâng cao nhận thức, trách nhiệm của cán bộ, công chức, viên chức
về vị trí, vai trò của công tác dân vận chính quyền; gắn công tác dân vận với
thực hiện nhiệm vụ chính trị của địa phương, đơn vị.
2. Các phòng, ban, ngành và Ủy ban nhân dân các xã, thị trấn chủ động xây dựng
kế hoạch cụ thể, phân công rõ người, rõ việc, rõ thời gian hoàn thành và báo cáo
kết quả về Ủy ban nhân dân huyện (qua Phòng Nội vụ) trước ngày 16
hằng tháng.
Kế hoạch thực hiện công tác dân vận chính quyền năm 2025
2
II. NHIỆM VỤ TRỌNG TÂM
1. Phòng Nội vụ
a) Chủ trì, phối hợp với Ban Dân vận Huyện ủy tham mưu Ủy ban nhân dân huyện
tổ chức sơ kết, đánh giá kết quả thực hiện công tác dân vận chính quyền; tổng
hợp, báo cáo Ủy ban nhân dân huyện định kỳ 6 tháng và một năm.
b) Theo dõi, đôn đốc các cơ quan, đơn vị thực hiện Kế hoạch này; tham mưu khen
thưởng tập thể, cá nhân có thành tích xuất sắc trong thực hiện phong trào thi
đua “Dân vận khéo” theo quy định.
2. Văn phòng HĐND và UBND huyện
- Đẩy mạnh cải cách hành chính, ứng dụng công nghệ thông tin trong giải quyết
thủ tục hành chính cho tổ chức, cá nhân;
- Tiếp nhận, xử lý phản ánh, kiến nghị của người dân, doanh nghiệp đúng thời
hạn quy định.
Kế hoạch thực hiện công tác dân vận chính quyền năm 2025
3
3. Ủy ban nhân dân các xã, thị trấn
Thực hiện tốt Quy chế dân chủ ở cơ sở, công khai các thủ tục hành chính tại Bộ
phận tiếp nhận và trả kết quả; định kỳ tổ chức đối thoại với Nhân dân.
Nơi nhận:
- Thường trực Huyện ủy;
- Lưu: VT, NV.
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
Trần Văn Bình
Kế hoạch thực hiện công tác dân vận chính quyền năm 2025
4
"""


@pytest.fixture(scope="module")
def reflowed() -> str:
    return clean(WRAPPED_PDF)


def test_wrapped_sentences_become_one_line(reflowed: str) -> None:
    lines = reflowed.split("\n")
    assert (
        "Thực hiện Chương trình số 31-CTr/HU ngày 28/01/2025 của Huyện ủy Minh Hà về công tác dân vận năm 2025, "
        "Ủy ban nhân dân huyện xây dựng Kế hoạch thực hiện công tác dân vận chính quyền trên địa bàn huyện năm "
        "2025 như sau:" in lines
    )
    # The number on the next line stays with its sentence (the "…, ngày 16" fragment of the issue).
    assert any(line.endswith("(qua Phòng Nội vụ) trước ngày 16 hằng tháng.") for line in lines)
    # A capitalised word wrapped onto the next line of a full-width line ("Bộ" + "phận").
    assert any("công khai các thủ tục hành chính tại Bộ phận tiếp nhận và trả kết quả;" in line for line in lines)
    # Across a page break: the running header and the page number between the halves are gone.
    assert any("tham mưu khen thưởng tập thể" in line for line in lines)


def test_structure_stays_on_its_own_lines(reflowed: str) -> None:
    lines = reflowed.split("\n")
    for own in (
        "ỦY BAN NHÂN DÂN",
        "HUYỆN MINH HÀ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "KẾ HOẠCH",
        "Thực hiện công tác dân vận chính quyền trên địa bàn huyện Minh Hà năm 2025",
        "I. MỤC ĐÍCH, YÊU CẦU",  # a heading wrapped after its comma is one heading again
        "II. NHIỆM VỤ TRỌNG TÂM",
        "1. Phòng Nội vụ",
        "2. Văn phòng HĐND và UBND huyện",
        "3. Ủy ban nhân dân các xã, thị trấn",
        "Nơi nhận:",
        "- Thường trực Huyện ủy;",
        "- Lưu: VT, NV.",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Trần Văn Bình",
    ):
        assert own in lines, own
    assert any(line.startswith("a) Chủ trì,") for line in lines)
    assert any(line.startswith("b) Theo dõi,") for line in lines)
    assert any(line.startswith("- Đẩy mạnh cải cách") and line.endswith("cá nhân;") for line in lines)
    # Column gaps stay (letterhead columns, blanks left for the number and day); justification goes.
    assert "Số:        /KH-UBND      Minh Hà, ngày        tháng 02 năm 2025" in lines
    assert reflow("Ban hành  Quy chế   dân chủ ở cơ sở.") == "Ban hành Quy chế dân chủ ở cơ sở."


def test_page_furniture_dropped(reflowed: str) -> None:
    assert "Kế hoạch thực hiện công tác dân vận chính quyền năm 2025" not in reflowed.split("\n")
    assert not any(line.strip().isdigit() for line in reflowed.split("\n"))


def test_chunks_and_metadata_read_the_reflowed_structure(reflowed: str) -> None:
    meta = extract_metadata(reflowed, "ke_hoach.pdf")
    assert meta.signer == "Trần Văn Bình"
    doc = Document("k.pdf", "k.pdf", "/tmp/k.pdf", reflowed, "pdf", meta)
    chunks = chunk_document(doc, lambda t: len(t.split()), max_tokens=80, overlap_tokens=0)
    sections = {c.section for c in chunks}
    assert "II. NHIỆM VỤ TRỌNG TÂM › 1. Phòng Nội vụ › b) Theo dõi, đôn đốc các cơ quan" in sections
    assert any(s.startswith("I. MỤC ĐÍCH, YÊU CẦU › 2. Các phòng") for s in sections)
    for c in chunks:
        assert reflowed[c.start : c.end] == c.text
    # Every sentence is whole: none of them ends without punctuation in the middle of the body.
    body = reflowed[reflowed.index("Thực hiện Chương trình") : reflowed.index("Nơi nhận:")]
    for a, b in sentence_spans(body):
        s = body[a:b]
        assert s[-1] in ".;:" or re.match(r"(?:[IVX]+|\d)\. ", s), s  # or a heading


def test_clean_is_idempotent_on_reflowed_text(reflowed: str) -> None:
    assert clean(reflowed) == reflowed
    assert CLEANER_VERSION.startswith("2")


def test_one_paragraph_per_line_text_is_left_alone() -> None:
    text = (
        "Ngày đăng 29/05/2018 | 17:04\n"
        "Quận đã tổ chức hội nghị tổng kết công tác dân vận năm 2018 với sự tham dự của lãnh đạo các phường\n"
        "Phòng Nội vụ là cơ quan thường trực, tổng hợp báo cáo kết quả thực hiện hằng quý."
    )
    assert reflow(text) == text


def test_hyphenated_line_ends() -> None:
    text = "Đẩy mạnh ứng dụng công nghệ thông tin trong giải quyết thủ tục hành chính, th-\nực hiện"
    assert reflow(text).endswith("thủ tục hành chính, thực hiện")
    assert reflow("phòng chống dịch COVID-\n19 trên địa bàn") == "phòng chống dịch COVID-19 trên địa bàn"
    # A spaced dash is not a hyphenation: "kinh tế -" + "xã hội".
    assert reflow("phát triển kinh tế -\nxã hội của địa phương") == "phát triển kinh tế - xã hội của địa phương"


def test_quoted_item_after_colon_stays_apart() -> None:
    text = "được sửa đổi, bổ sung như sau:\n“c) Khu vực khoáng sản đã xác định trong quy hoạch;"
    assert reflow(text) == text


def test_table_rows_and_short_lines_are_not_joined() -> None:
    rows = "STT | Nội dung | Cơ quan chủ trì\n1 | Tuyên truyền | Phòng Văn hóa\n2 | tổng hợp báo cáo | Phòng Nội vụ"
    assert reflow(rows) == rows
    # Lone numbers close together are table cells, not page numbers.
    cells = "STT\n1\nTuyên truyền\n2\nTổng hợp báo cáo"
    assert reflow(cells) == cells


def test_form_feed_pages_drop_running_header() -> None:
    body = [f"Câu thứ {k} của trang {{n}} là một câu trọn vẹn về công tác dân vận." for k in range(1, 9)]
    page = "\n".join(["SỞ NỘI VỤ - Báo cáo tháng", *body, "Trang {n}/3"])
    text = "\f".join(page.format(n=n) for n in (1, 2, 3))
    out = reflow(text)
    assert "SỞ NỘI VỤ" not in out and "Trang" not in out
    assert len(out.split("\n")) == 24
    assert out.startswith("Câu thứ 1 của trang 1 là") and out.endswith(
        "Câu thứ 8 của trang 3 là một câu trọn vẹn về công tác dân vận."
    )


@pytest.mark.parametrize(
    ("word", "ok"),
    [
        ("chế", True),
        ("vận", True),
        ("thực", True),
        ("nghiêng", True),
        ("quyết", True),
        ("khuyến", True),
        ("giữ", True),
        ("thuỷ", True),
        ("ch", False),
        ("th", False),
        ("v", False),
        ("UBND", False),
        ("chếế", False),
        ("ká", False),  # k only before i, e, ê, y
        ("cê", False),
        ("àc", False),  # a stop coda takes only the sắc or nặng tone
        ("hóá", False),  # two tone marks
        ("giaý", False),  # a tone mark on the final glide ("tham gia ý kiến" is two words)
        ("thuý", True),  # y is the nucleus of "uy"
        ("ngoài", True),
        ("ngoaì", False),
    ],
)
def test_is_syllable(word: str, ok: bool) -> None:
    assert is_syllable(word) is ok


def test_split_syllables_repaired() -> None:
    text = "Ban hành Quy ch ế dân chủ ở cơ sở; công tác Dân v ận khéo được th ực hiện tốt. Thực hiện nghiêm."
    out = reflow(text)
    assert out == "Ban hành Quy chế dân chủ ở cơ sở; công tác Dân vận khéo được thực hiện tốt. Thực hiện nghiêm."
    # Both halves are syllables: joined only because the document writes the word whole elsewhere.
    counts, pairs = syllable_counts("triển khai thực hiện, tổ chức thực hiện")
    assert repair_split_syllables("đã thực hi ện xong", counts, pairs) == "đã thực hiện xong"
    counts, pairs = syllable_counts("không có từ ấy ở đây")
    assert repair_split_syllables("đã thực hi ện xong", counts, pairs) == "đã thực hi ện xong"


def test_repair_leaves_real_words_and_acronyms() -> None:
    text = "UBND tỉnh, MTTQ và các tổ chức chính trị - xã hội; điểm a, b khoản 2 Điều 3; chú ý ở cơ sở; tham gia ý kiến"
    assert reflow(text) == text


# A lead paragraph wrapped at about 85 characters, as a PDF text layer gives it (no blank lines).
LEAD = textwrap.wrap(
    "Thành ủy vừa có văn bản thông báo ý kiến kết luận chỉ đạo về việc tiếp tục nâng cao chất lượng công tác "
    "dân vận của các cấp ủy, chính quyền, cơ quan, đơn vị trên địa bàn thành phố trong tình hình mới; theo đó "
    "yêu cầu các cấp ủy, tổ chức đảng quán triệt sâu sắc quan điểm của Đảng về công tác dân vận, gắn công tác "
    "dân vận với thực hiện nhiệm vụ chính trị của địa phương, đơn vị, tạo sự đồng thuận trong nhân dân.",
    85,
)


def test_short_last_line_of_a_title_ends_it() -> None:
    """A title's short last line ends the title even though the lead under it starts in capitals; the width is
    judged on that last line, not on the title joined so far."""
    title = [
        "Nâng cao chất lượng công tác dân vận để xây dựng hệ thống chính trị trong sạch, vững",
        "mạnh (21:41 07/03/2018)",
    ]
    lead = ["HNP - " + LEAD[0], *LEAD[1:]]
    out = reflow("\n".join(title + lead)).split("\n")
    assert out == [" ".join(title), " ".join(lead)]


def test_numbered_heading_not_joined_to_the_body_under_it() -> None:
    heading = "3. Các phòng chuyên môn thuộc quận, các đơn vị sự nghiệp công lập thuộc quận"
    body = ["Chủ động " + LEAD[0], *LEAD[1:]]
    assert reflow("\n".join([*LEAD, heading, *body])).split("\n") == [" ".join(LEAD), heading, " ".join(body)]
    # Wrapped over two lines, the heading is one line, still apart from the body.
    two = ["3. Các phòng chuyên môn thuộc quận, các đơn vị sự nghiệp", "công lập thuộc quận"]
    assert reflow("\n".join([*LEAD, *two, *body])).split("\n") == [" ".join(LEAD), heading, " ".join(body)]


def test_numbered_item_visibly_wrapped_goes_on_in_capitals() -> None:
    """A numbered item whose line is as long as the longest lines was wrapped: a capitalised word continues it."""
    item = [
        "1. Các phòng, ban, ngành chủ động phối hợp với Ủy ban Mặt trận Tổ quốc và các đoàn thể",
        "Chính trị - xã hội của quận tuyên truyền, vận động nhân dân thực hiện tốt chủ trương.",
    ]
    assert reflow("\n".join([*LEAD, *item])).split("\n") == [" ".join(LEAD), " ".join(item)]


def test_page_break_after_a_line_end_is_one_break() -> None:
    """pdftotext ends a page with "\\n\\f": a sentence going on over the page break is still one paragraph."""
    assert reflow("Các cơ quan, đơn vị\n\fthực hiện tốt kế hoạch.") == "Các cơ quan, đơn vị thực hiện tốt kế hoạch."


def test_header_repeating_the_title_dropped_on_one_page() -> None:
    """A two-page document whose second page is headed by its title (cut and wrapped otherwise): the header is
    dropped, and the sentence running over the page break is whole again."""
    title = ["Nâng cao hiệu quả công tác dân vận xây dựng chính quyền trong sạch, vững", "mạnh (21:41 07/03/2018)"]
    page1 = [
        *title,
        *LEAD[:-1],
        "các cấp ủy, tổ chức đảng quán triệt sâu sắc quan điểm của Đảng về công tác dân vận, xây",
    ]
    header = ["Nâng cao hiệu quả công tác dân vận xây dựng chính quyền trong sạch, vững mạnh", "(21:41 07/03"]
    page2 = [*header, "dựng nông thôn mới, đô thị văn minh."]
    out = reflow("\n".join(page1) + "\n1\f" + "\n".join(page2))
    assert out.count("Nâng cao hiệu quả") == 1
    assert out.endswith("về công tác dân vận, xây dựng nông thôn mới, đô thị văn minh.")


def test_ocr_blocks_at_a_page_break_do_not_end_the_sentence() -> None:
    """OCR sets a page number (here misread) and a header in blocks of their own: the blank lines and the
    lone token at the page edge go, and the sentence running over the break is joined again."""
    body = "\n".join(LEAD[:-1]) + "\ntrong đó tập trung nâng cao chất lượng cuộc vận động xây dựng nông"
    out = reflow(body + "\n\nnh\fthôn mới, đô thị văn minh.")
    assert out.endswith("cuộc vận động xây dựng nông thôn mới, đô thị văn minh.") and "nh\n" not in out
    # A blank line inside a page still ends a paragraph.
    assert reflow("Câu một chưa hết\n\nrồi câu hai.") == "Câu một chưa hết\n\nrồi câu hai."
