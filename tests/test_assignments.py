"""Assignments (unit, task, deadline) extracted from plans (index.assignments), on the real documents."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from index.assignments import Assignment, UnitLexicon, extract, unit_key
from index.ingest import load_document
from index.types import DocMeta, Document

from .conftest import REPO

CORPUS = REPO / "corpus"
REALDOCS = Path("/work/shared/realdocs")


def _load(path: Path):  # type: ignore[no-untyped-def]
    return load_document(path, path.name, "test")


def test_ba_dinh_plan_gives_phong_noi_vu_its_tasks() -> None:
    doc = _load(CORPUS / "003_7bfcb32814c81f86.txt")
    found = extract(doc)
    for a in found:
        assert doc.text[a.start : a.end] == a.task
    noi_vu = [a for a in found if a.unit_key == unit_key("Phòng Nội vụ", "Ba Đình")]
    assert len(noi_vu) >= 4 and all("TỔ CHỨC THỰC HIỆN" in a.section for a in noi_vu)
    assert any(a.task.startswith("Là cơ quan đầu mối") for a in noi_vu)
    reports = [a for a in found if "trước ngày 25/11" in a.task]
    assert reports and reports[0].unit == "Các đơn vị" and reports[0].due is not None
    assert not any(a.unit_key.startswith("mat tran to quoc") and "phối hợp" in a.task[:10] for a in found)


def test_go_vap_plan_run_onto_one_line() -> None:
    doc = _load(CORPUS / "002_f8451427429f5507.txt")
    units = {a.unit for a in extract(doc)}
    assert {"Phòng Nội vụ", "Thanh tra quận", "Văn phòng UBND quận", "Phòng Văn hóa và Thông tin quận"} <= units


def test_news_items_give_none() -> None:
    for name in ("000_a0e3f80ae5a2bbff.txt", "001_9c6d0240b9c85170.txt", "004_6d6ef2d0f9823f83.txt"):
        assert extract(_load(CORPUS / name)) == []


@pytest.mark.skipif(not REALDOCS.exists(), reason="real documents not present")
def test_realdocs_plan_table_and_blocks() -> None:
    doc = _load(REALDOCS / "KH-UBND-trien-khai-Chi-thi-11-CT-TU-QLNN-khoang-san.docx")
    start = time.perf_counter()
    found = extract(doc)
    assert time.perf_counter() - start < 0.5
    units = {a.unit for a in found}
    assert {"Sở Nông nghiệp và Môi trường", "Sở Công Thương", "Thanh tra tỉnh", "Công an tỉnh"} <= units
    quy2 = [a for a in found if a.due is not None and a.due.date == "2026-06-30" and a.unit == "Công an tỉnh"]
    assert quy2  # "Xong trong Quý II/2026", from the Phụ lục's time column
    assert all(doc.text[a.due.start : a.due.end] == a.due.text for a in found if a.due)
    assert found == extract(doc)  # deterministic
    assert Assignment.from_dict(found[0].to_dict()) == found[0]


def test_unit_keys() -> None:
    same = {unit_key(n, "Ba Đình") for n in ("phòng Nội vụ quận", "Phòng Nội vụ", "P. Nội vụ", "Phòng Nội vụ:")}
    assert len(same) == 1
    assert unit_key("Phòng Nội vụ", "Gò Vấp") not in same
    assert unit_key("Phòng Nội vụ quận Gò Vấp", "Ba Đình") == unit_key("Phòng Nội vụ", "Gò Vấp")
    assert unit_key("UBND các phường", "Ba Đình") == unit_key("Ủy ban nhân dân các phường", "Ba Đình")


def test_lexicon_learned_from_headings_round_trips() -> None:
    docs = [_load(CORPUS / n) for n in ("002_f8451427429f5507.txt", "003_7bfcb32814c81f86.txt")]
    lexicon = UnitLexicon.learn(docs)
    assert "phong noi vu" in lexicon.names
    assert UnitLexicon.from_dict(lexicon.to_dict()) == lexicon


# ------------------------------------------------------------------------------------------------ decisions, letters
# Real passages of the real-documents set (OCR spellings kept), as the loaders read them.
def _doc(text: str, kind: str = "QUYẾT ĐỊNH", date: str = "2026-05-15") -> Document:
    meta = DocMeta(title="t", issuer="UBND tỉnh Lào Cai", date=date, place="Lào Cai", kind=kind)
    return Document("d", "d.pdf", "/d.pdf", text, "h", meta)


def _rows(doc: Document) -> set[tuple[str, str]]:
    return {(a.unit, a.task[:30]) for a in extract(doc)}


def test_decision_article_lists_units_cut_by_semicolons() -> None:
    """QD-1696, Điều 1 and Điều 4: "Ủy quyền cho X …"; a ";" list names each office, a class stays one unit."""
    doc = _doc(
        "Điều 1. Nội dung, phạm vi ủy quyền\n"
        "Uỷ quyền cho Giám đốc Sở Công Thương thực hiện một số nhiệm vụ, quyền hạn của Uỷ ban nhân dân tỉnh.\n"
        "Điều 4. Quyết định này có hiệu lực thi hành kể từ ký.\n"
        "Chánh Văn phòng Ủy ban nhân dân tỉnh; Giám đốc Sở Công Thương; Giám đốc Trung tâm phục vụ Hành chính công "
        "tỉnh; Thủ trưởng các sở, ban, ngành, đơn vị cấp tỉnh; Chủ tịch Uỷ ban nhân dân các xã, phường; Thủ trưởng "
        "các cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành Quyết định này./.\n"
        "Nơi nhận:\n- Như Điều 4;\n"
    )
    found = extract(doc)
    assert found[0].unit == "Giám đốc Sở Công Thương" and found[0].task.startswith("Uỷ quyền cho")
    assert {a.unit for a in found[1:]} == {
        "Chánh Văn phòng Ủy ban nhân dân tỉnh",
        "Giám đốc Sở Công Thương",
        "Giám đốc Trung tâm phục vụ Hành chính công tỉnh",
        "Thủ trưởng các sở, ban, ngành, đơn vị cấp tỉnh",
        "Chủ tịch Uỷ ban nhân dân các xã, phường",
        "Thủ trưởng các cơ quan, đơn vị có liên quan",
    }
    assert len(found) == 7


def test_a_class_followed_by_its_members_and_a_wrapped_line() -> None:
    """QD-2336, Điều 3 item 3: "Giám đốc các Sở, ngành: A, B, …" names each Sở; the PDF line wraps mid-name."""
    doc = _doc(
        "Điều 3. Điều khoản thi hành\n1. Quyết định này có hiệu lực thi hành kể từ ngày ký ban hành.\n\n"
        "3. Chánh Văn phòng Ủy ban nhân dân tỉnh; Giám đóc các Sở, ngành: Ban\n"
        "Quản lý Khu kinh tế, Tài chính, Xây dựng, Công an tỉnh, Thanh tra tỉnh; Trưởng Thuê tỉnh; Chủ tịch UBND xã "
        "Gia Phú và Công ty Cô phân công nghiệp Linh Linh có trách nhiệm thi hành Quyêt định này.\n"
    )
    found = extract(doc)
    assert {a.unit for a in found} == {
        "Chánh Văn phòng Ủy ban nhân dân tỉnh",
        "Ban Quản lý Khu kinh tế",
        "Tài chính",
        "Xây dựng",
        "Công an tỉnh",
        "Thanh tra tỉnh",
        "Trưởng Thuê tỉnh",
        "Chủ tịch UBND xã Gia Phú",
        "Công ty Cô phân công nghiệp Linh Linh",
    }
    assert all(a.task.startswith("Chánh Văn phòng") and a.task.endswith("Quyêt định này.") for a in found)


def test_responsibility_heading_and_addressees_after_a_directive() -> None:
    """QD-2336, Điều 2-3: "Trách nhiệm của chủ đầu tư" heads its items; "Đề nghị A, B, C phối hợp …"; an item
    that opens with its own subjects, "theo chức năng" after them."""
    doc = _doc(
        "Điều 2. Tổ chức thực hiện\n\n1. Trách nhiệm của chủ đầu tư\n\n"
        "- Tổ chức triển khai thực hiện dự án theo đúng quy định của Luật Đầu tư.\n\n"
        "2. Trách nhiệm của các Sở, ngành, địa phương\n\n"
        "- Sở Công Thương, Ban Quản lý Khu kinh tế tỉnh Lào Cai có trách nhiệm giám sát thực hiện dự án.\n\n"
        "Điều 3. Điều khoản thi hành\n"
        "2. Đề nghị Ủy ban Kiểm tra Tỉnh ủy, Ban Nội chính Tỉnh ủy, Kiểm toán khu vực VỊI phôi hợp kiểm tra, giám "
        "sát định kỳ. Thanh tra tỉnh, Công an tỉnh theo chức năng, nhiệm vụ, quyền hạn được giao tham mưu cho Ủy "
        "ban nhân dân tỉnh.\n"
    )
    keys = {a.unit_key for a in extract(doc)}
    expected = ["chủ đầu tư", "Sở Công Thương", "Ban Quản lý Khu kinh tế tỉnh Lào Cai", "Ủy ban Kiểm tra Tỉnh ủy"]
    expected += ["Ban Nội chính Tỉnh ủy", "Kiểm toán khu vực VỊI", "Thanh tra tỉnh", "Công an tỉnh"]
    assert {unit_key(u, "Lào Cai") for u in expected} == keys


def test_letter_requests_anywhere_and_a_list_introduced_by_its_unit() -> None:
    """CV-6791: "…, do vậy đề nghị Chủ đầu tư …"; "… đề nghị Chủ đầu tư:" heads the items below (and is no row);
    "… của Sở A đề nghị Sở B tổng hợp"; "khu vực đề nghị thành lập" names nobody."""
    doc = _doc(
        "2.5. Lĩnh vực thủy lợi\n"
        "Căn cứ bảng tọa độ, qua kiểm tra nhận thấy khu vực đề nghị thành lập cụm công nghiệp ảnh hưởng đến hồ thủy "
        "lợi, đề nghị Chủ đầu tư:\n"
        "- Có giải pháp đảm bảo an toàn về phòng, chống thiên tai đối với các cơ sở hạ tầng của dự án;\n"
        "- Một số căn cứ pháp lý viện dẫn trong Báo cáo hiện đã được sửa đổi, do vậy đề nghị Chủ đầu tư cập nhật "
        "đầy đủ các văn bản.\n"
        "Trên đây là ý kiến tham gia dự án của Sở Nông nghiệp và Môi trường đề nghị Sở Công thương tổng hợp, báo "
        "cáo theo quy định./.\n",
        kind="CÔNG VĂN",
    )
    assert _rows(doc) == {
        ("Chủ đầu tư", "Có giải pháp đảm bảo an toàn v"),
        ("Chủ đầu tư", "Một số căn cứ pháp lý viện dẫn"),
        ("Sở Công thương", "Trên đây là ý kiến tham gia dự"),
    }


def test_letter_without_headings_resolves_its_addressee() -> None:
    """CV-tu-choi: no heading but "Nơi nhận"; "Đề nghị Công ty …" is the addressee's task, by its full name; the
    issuer stating its opinion is not a task."""
    doc = _doc(
        "SỞ CÔNG THƯƠNG\n\nKính gửi: Công ty TNHH Sản xuất và Thương mại Chân Thiện Mỹ\n\n"
        "Sau khi nghiên cứu hồ sơ và các tài liệu liên quan, Sở Công Thương có ý kiến như sau:\n\n"
        "Đề nghị Công ty liên hệ với Sở Xây dựng tỉnh Lào Cai để được hướng dẫn, xem xét giải quyết.\n\n"
        "Nơi nhận:\n- Như trên;\n",
        kind="CÔNG VĂN",
    )
    assert _rows(doc) == {("Công ty TNHH Sản xuất và Thương mại Chân Thiện Mỹ", "Đề nghị Công ty liên hệ với Sở")}


def test_the_day_of_the_inspection_dates_the_tasks_after_it() -> None:
    """3036: "2. Thời gian kiểm tra: Ngày 29 tháng 05 năm 2026" is the deadline of who leads and who prepares."""
    doc = _doc(
        "Kính gửi: Công ty cỗ phần Năng lượng Bảo Long\n\n"
        "1. Giai đoạn kiểm tra: Giai đoạn hoàn thành thi công xây dựng công trình.\n\n"
        "2. Thời gian kiểm tra: Ngày 29 tháng 05 năm 2026 (thứ Sáu)\n\n"
        "4. Thành phần tham gia kiểm tra:\n\n- Chủ trì: Sở Công Thương tỉnh Lào Cai\n\n"
        "Đề nghị Công ty Cổ phần Năng lượng Bảo Long thông báo cho các chủ thể tham gia xây dựng công trình.\n",
        kind="CÔNG VĂN",
    )
    found = extract(doc)
    assert len(found) == 2 and all(a.due is not None and a.due.date == "2026-05-29" for a in found)
    assert all(doc.text[a.due.start : a.due.end] == a.due.text for a in found if a.due)


def test_a_numbered_sentence_is_not_a_heading_and_an_opening_clause() -> None:
    """kh-19: "1. Các cơ quan chuyên môn, đơn vị …, thành phố tiếp tục …" is one sentence of one class of units;
    CV-UBND: "Căn cứ ý kiến chỉ đạo trên, các cơ quan, đơn vị liên quan nghiêm túc triển khai …"; "4. Bộ Chỉ huy
    Quân sự tỉnh/Ban Chỉ huy Bộ đội Biên phòng tỉnh" heads its items for both."""
    doc = _doc(
        "I. MỤC ĐÍCH, YÊU CẦU\n1. Các cơ quan chuyên môn, đơn vị sự nghiệp thuộc Ủy ban nhân dân tỉnh, Ủy ban nhân dân "
        "các huyện, thị xã, thành phố tiếp tục quán triệt và triển khai thực hiện tốt các văn bản chỉ đạo.\n"
        "4. Bộ Chỉ huy Quân sự tỉnh/Ban Chỉ huy Bộ đội Biên phòng tỉnh\n"
        "a) Hỗ trợ Công an tỉnh, cơ quan Thi hành án, bảo quản, tiêu hủy VLNCN theo quy định.\n"
        "Căn cứ ý kiến chỉ đạo trên, các cơ quan, đơn vị liên quan nghiêm túc triển khai thực hiện./.\n",
        kind="CÔNG VĂN",
    )
    assert _rows(doc) == {
        ("Các cơ quan chuyên môn, đơn vị sự nghiệp thuộc Ủy ban nhân dân tỉnh, Ủy ban nhân dân các huyện, thị xã, "
         "thành phố", "Các cơ quan chuyên môn, đơn vị"),
        ("Bộ Chỉ huy Quân sự tỉnh", "Hỗ trợ Công an tỉnh, cơ quan T"),
        ("Ban Chỉ huy Bộ đội Biên phòng tỉnh", "Hỗ trợ Công an tỉnh, cơ quan T"),
        ("Các cơ quan, đơn vị liên quan", "Căn cứ ý kiến chỉ đạo trên, cá"),
    }  # fmt: skip


def test_reports_and_records_give_nothing() -> None:
    text = "Đề nghị Bộ Nông nghiệp và Môi trường sớm ban hành hướng dẫn.\n"
    assert extract(_doc(text, kind="BÁO CÁO")) == [] and extract(_doc(text, kind="BIÊN BẢN")) == []
    assert extract(_doc(text, kind="CÔNG VĂN"))
