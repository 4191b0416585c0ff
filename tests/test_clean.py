"""Web chrome and duplicate removal, on every bundled file and on unseen pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.clean import CLEANER_VERSION, clean
from index.normalize import fold

CORPUS = Path(__file__).parents[1] / "corpus"


def _raw(prefix: str) -> str:
    (path,) = CORPUS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def _squash(text: str) -> str:
    return "".join(fold(text).split())


def test_version_is_declared() -> None:
    assert isinstance(CLEANER_VERSION, str) and CLEANER_VERSION


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_corpus_shape_and_original_spelling(prefix: str) -> None:
    raw = _raw(prefix)
    cleaned = clean(raw)
    assert cleaned == cleaned.strip() and "\n\n\n" not in cleaned
    assert clean(cleaned) == cleaned
    # Nothing is respelled: every kept line is a piece of the input.
    for line in cleaned.split("\n"):
        assert line in raw


def test_000_breadcrumb_removed_body_kept() -> None:
    cleaned = clean(_raw("000"))
    assert "khối các phường ban ngành" not in cleaned
    assert cleaned.startswith("Ba Đình: Thực hiện hiệu quả công tác dân vận chính quyền năm 2018\n")
    assert "Ngày đăng 29/05/2018 | 17:04" in cleaned
    assert "kế hoạch số 34/KH-UBND ngày 24/01/2018" in cleaned
    assert cleaned.endswith("Sau đây là danh sách Mô hình dân vận khéo năm 2018\n\nPhòng Nội Vụ")


def test_001_nav_and_counter_removed_date_kept() -> None:
    cleaned = clean(_raw("001"))
    assert not cleaned.startswith("tin tức khác")
    assert "Lượt xem" not in cleaned
    assert cleaned.split("\n")[1] == "Ngày đăng 13/12/2019 | 17:44"
    assert "Quận uỷ đã tiếp nhận 189 đơn thư" in cleaned  # original tone placement kept
    assert cleaned.endswith("\n\nNguyên Bảo")  # the byline is part of the article


def test_002_glued_summary_and_download_chrome_removed() -> None:
    raw = _raw("002")
    cleaned = clean(raw)
    for gone in ("Kếhoạchsố5827", "nhưsau:", "pdf5 trang", "Chia sẻ", "haohao89", "Lượt", "Bạn đang xem"):
        assert gone not in cleaned
    assert "DOWNLOAD" not in cleaned and "Tài liệu liên quan" not in cleaned
    assert cleaned.startswith("Thực hiện năm dân vận của chính quyền và phong trào thi đua dân vận khéo\n\n")
    assert cleaned.count("Thực hiện Kế hoạch số 5827/KH-UBND ngày 06/11/2009") == 1
    assert "năm 2010 KẾ HOẠCH Thực hiện “Năm Dân vận của chính quyền”" in cleaned
    assert "4 3. Phòng Nội vụ: - Phối hợp với Ban Dân vận Quận ủy" in cleaned
    assert cleaned.endswith("PHÓ CHỦ TỊCH THƯỜNG TRỰC (đã ký) Nguyễn Hồng 5")
    assert len(cleaned.split("\n\n")) == 2


def test_003_only_whitespace_changes() -> None:
    raw = _raw("003")
    cleaned = clean(raw)
    assert _squash(cleaned) == _squash(raw)
    # A page-break fragment that repeats part of a later paragraph, spaced normally, is content.
    assert "cách, đơn giản hoá các thủ tục hành chính, tăng cường ứng dụng" in cleaned
    assert cleaned.count("đơn giản hoá các thủ tục hành chính") == 2
    assert cleaned.startswith("Số: /KH-UBND\n\nBa Đình, ngày tháng 02 năm 2025\n\nKẾ HOẠCH\n")
    assert cleaned.endswith("PHÓ CHỦ TỊCH\n\nPhạm Thị Diễm")


def test_004_comment_form_and_article_lists_removed() -> None:
    cleaned = clean(_raw("004"))
    for gone in (
        "Các bài mới đăng",
        "Các bài đã đăng",
        "Bài viết Xem",
        "Viết bình luận",
        "Họ tên",
        "Số điện thoại",
    ):
        assert gone not in cleaned
    assert "Mã xác nhận" not in cleaned and "Lấy lại mã bảo mật" not in cleaned
    assert cleaned.startswith("Nâng cao hiệu quả công tác dân vận xây dựng chính quyền trong sạch, vững mạnh (21:41")
    assert "Văn bản số 1186-TB/TU" in cleaned
    assert cleaned.endswith("theo hướng dẫn của Trung ương.\n\nBình An")


# --- unseen pages -----------------------------------------------------------------------------

PAGE = """Trang chủ > Tin tức > Dân vận

Huyện Củ Chi sơ kết phong trào Dân vận khéo
Cập nhật 02/04/2024 · Lượt xem: 1.250 · Chia sẻ: Facebook
Tải về
Bạn đang xem trước 10 trang tài liệu Sơ kết phong trào, để xem đầy đủ hãy tải về

Sáng 2/4, UBND huyện Củ Chi tổ chức hội nghị sơ kết phong trào thi đua Dân vận khéo.

Sáng 2/4, UBND huyện Củ Chi tổ chức hội nghị sơ kết phong trào thi đua Dân vận khéo.

Nội dung:
Hội nghị đánh giá kết quả thực hiện các mô hình trên địa bàn huyện trong quý I năm 2024.

Các đại biểu đã thảo luận và thống nhất phương hướng nhiệm vụ cho quý II.

Minh Châu

Tin cùng chuyên mục
Huyện Hóc Môn ra quân tháng thanh niên
Gửi bình luận
Họ và tên:
Email:
Mã bảo mật:
"""


def test_unseen_page_chrome() -> None:
    cleaned = clean(PAGE)
    for gone in (
        "Trang chủ",
        "Lượt xem",
        "Chia sẻ",
        "Tải về",
        "Bạn đang xem",
        "Tin cùng chuyên mục",
        "Hóc Môn",
    ):
        assert gone not in cleaned
    assert "Email" not in cleaned and "Gửi bình luận" not in cleaned
    assert "Huyện Củ Chi sơ kết phong trào Dân vận khéo\nCập nhật 02/04/2024" in cleaned
    assert cleaned.count("Sáng 2/4, UBND huyện Củ Chi tổ chức") == 1  # exact duplicate paragraph
    assert "Nội dung:\nHội nghị đánh giá" in cleaned  # a lone label is not a form
    assert cleaned.endswith("Minh Châu")


def test_glued_copy_of_unseen_document_dropped() -> None:
    body = (
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; xét đề nghị của Trưởng phòng "
        "Nội vụ huyện, Ủy ban nhân dân huyện ban hành kế hoạch như sau:"
    )
    glued = body.replace("Luật Tổ", "LuậtTổ").replace("đề nghị", "đềnghị").replace("huyện ban", "huyệnban")
    cleaned = clean(f"Tiêu đề trang\n\n{glued}\n\nKẾ HOẠCH {body} I. MỤC ĐÍCH")
    assert glued not in cleaned
    assert cleaned == f"Tiêu đề trang\n\nKẾ HOẠCH {body} I. MỤC ĐÍCH"


def test_share_as_a_verb_is_content() -> None:
    text = "• Chia sẻ kinh nghiệm giữa các phường • Báo cáo định kỳ\n\nLượt xem: 15 | Chia sẻ: Zalo"
    assert clean(text) == "• Chia sẻ kinh nghiệm giữa các phường • Báo cáo định kỳ"


def test_short_repeated_paragraphs_kept() -> None:
    text = "Điều 1. Nội dung thứ nhất.\n\n(đã ký)\n\nĐiều 2. Nội dung thứ hai.\n\n(đã ký)"
    assert clean(text) == text


def test_comment_word_in_first_half_is_content() -> None:
    text = "Bình luận\n\n" + "Bài bình luận chính sách dân vận của quận trong năm 2024, rất dài. " * 5
    assert clean(text).startswith("Bình luận\n\n")


def test_crlf_and_edge_whitespace() -> None:
    assert clean("  Dòng một  \r\n\r\n\r\n Dòng hai\r\n") == "Dòng một\n\nDòng hai"
    assert clean("") == ""


def test_banner_wrapped_over_two_lines_removed() -> None:
    """A download banner that the page or a PDF wrapped over two lines is chrome once the lines are joined."""
    text = (
        "Kế hoạch tổ chức hội nghị dân vận\n\n"
        "Bạn đang xem nội dung tài liệu Kế hoạch tổ chức hội nghị dân vận của phường năm nay,\n"
        "để tải tài liệu về máy bạn click vào nút DOWNLOAD ở trên\n"
        "UBND PHƯỜNG BẾN NGHÉ\n\n"
        "Phường tổ chức hội nghị dân vận vào quý II năm 2024."
    )
    cleaned = clean(text)
    assert "Bạn đang xem" not in cleaned and "DOWNLOAD" not in cleaned
    assert cleaned == (
        "Kế hoạch tổ chức hội nghị dân vận\n\nUBND PHƯỜNG BẾN NGHÉ\n\n"
        "Phường tổ chức hội nghị dân vận vào quý II năm 2024."
    )


def test_chrome_at_the_top_of_a_page_is_still_chrome() -> None:
    """A chrome line that starts a page (after a form feed) is matched like any other; no form feed is left."""
    text = "Phường tổ chức hội nghị dân vận vào quý II năm 2024.\fTải về\nCác đại biểu đã thảo luận."
    cleaned = clean(text)
    assert "Tải về" not in cleaned and "\f" not in cleaned
    assert cleaned.endswith("Các đại biểu đã thảo luận.")


def test_wrapped_banner_removed_when_the_text_under_it_would_join_it() -> None:
    """In hard-wrapped text the banner's last line may be as wide as the text: the banner goes, the text stays."""
    body = [
        "Ủy ban nhân dân phường tổ chức hội nghị dân vận vào quý II năm 2024 với sự tham gia của",
        "đại biểu các ban, ngành, đoàn thể, tổ dân phố và đông đảo nhân dân trên địa bàn phường;",
        "hội nghị đánh giá kết quả thực hiện các mô hình dân vận khéo và đề ra phương hướng cho",
        "các quý còn lại của năm, trong đó chú trọng công tác tiếp công dân và giải quyết khiếu",
        "nại của người dân tại cơ sở, bảo đảm đúng quy định của pháp luật hiện hành về dân vận.",
    ]
    banner = [
        "Bạn đang xem nội dung tài liệu Kế hoạch tổ chức hội nghị dân vận của phường năm nay và",
        "phong trào thi đua dân vận khéo, để tải tài liệu về máy bạn click vào nút DOWNLOAD ở trên",
    ]
    cleaned = clean("\n".join([*banner, *body]))
    assert cleaned == " ".join(body)
