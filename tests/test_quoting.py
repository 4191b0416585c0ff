"""How answers say an item in their first sentence (assistant.quoting.headline_item): a unit before its task's
colon, but a field of a meeting or inspection notice with its value."""

from __future__ import annotations

import pytest

from assistant.quoting import headline_item
from index.assignments import extract
from index.types import DocMeta, Document


@pytest.mark.parametrize(
    ("item", "said"),
    [
        ("Sở Công Thương: chủ trì, phối hợp với các sở, ngành liên quan.", "Sở Công Thương"),
        ("Phòng Nội vụ quận:\nhướng dẫn các phường.", "Phòng Nội vụ quận"),
        ("Chủ trì: Sở Công Thương tỉnh Lào Cai", "Chủ trì: Sở Công Thương tỉnh Lào Cai"),
        (
            "- Thành phần tham dự: Công ty Cổ phần Năng lượng Bảo Long.",
            "Thành phần tham dự: Công ty Cổ phần Năng lượng Bảo Long",  # plain: without its bullet
        ),
        ("29/05/2026 – Chủ trì: Sở Công Thương tỉnh Lào Cai.", "29/05/2026 – Chủ trì: Sở Công Thương tỉnh Lào Cai"),
        ("3. Địa điểm: Hội trường UBND phường.", "3. Địa điểm: Hội trường UBND phường"),
        ("Thời gian: 8 giờ 00, ngày 15/3/2026;", "Thời gian: 8 giờ 00, ngày 15/3/2026"),
        # a field's words inside a longer label are not that field
        ("Thời gian thực hiện kế hoạch của các phòng: cả năm.", "Thời gian thực hiện kế hoạch của các phòng"),
    ],
)
def test_a_headline_item_is_its_unit_or_a_field_with_its_value(item: str, said: str) -> None:
    assert headline_item(item) == said


def test_the_lead_of_an_inspection_is_said_with_the_unit_that_leads_it() -> None:
    """3036 (../shared/realdocs): "- Chủ trì: Sở Công Thương tỉnh Lào Cai" is the Sở's task on the day of the
    inspection; a duties headline that said only "29/05/2026 – Chủ trì" told nobody who leads it."""
    text = (
        "Kính gửi: Công ty cỗ phần Năng lượng Bảo Long\n\n"
        "2. Thời gian kiểm tra: Ngày 29 tháng 05 năm 2026 (thứ Sáu)\n\n"
        "4. Thành phần tham gia kiểm tra:\n\n- Chủ trì: Sở Công Thương tỉnh Lào Cai\n\n"
        "Đề nghị Công ty Cổ phần Năng lượng Bảo Long thông báo cho các chủ thể tham gia xây dựng công trình.\n"
    )
    meta = DocMeta(title="t", issuer="Sở Công Thương tỉnh Lào Cai", date="2026-05-28", place="Lào Cai", kind="CÔNG VĂN")
    found = extract(Document("d", "d.pdf", "/d.pdf", text, "h", meta))
    lead = [a for a in found if a.task.startswith("Chủ trì")]
    assert [headline_item(a.task) for a in lead] == ["Chủ trì: Sở Công Thương tỉnh Lào Cai"]
