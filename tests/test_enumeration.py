"""A list stated inside one sentence ("… trên 4 lĩnh vực: Kinh tế, …") is said first, item by item
(assistant.enumeration and its use by the answer's first sentence)."""

from __future__ import annotations

import pytest

from assistant.enumeration import asked_nouns, inline_items
from assistant.extractive import ExtractiveAnswerer
from assistant.types import Query
from index.types import Chunk, DocMeta, Retrieved

NEWS = DocMeta(title="Quận Đống Đa đổi mới công tác dân vận", issuer="Quận ủy Đống Đa", date="2019-12-13", kind="TIN")


def _chunk(text: str, doc: str = "tin.txt") -> Chunk:
    return Chunk(f"{doc}#0", doc, doc, 0, text, 0, len(text), meta=NEWS)


def _items(text: str, nouns: tuple[str, ...]) -> list[str]:
    ch = _chunk(text)
    return [text[i.start : i.end] for i in inline_items(ch, 0, len(text), nouns)]


def _first_line(question: str, text: str) -> str:
    answerer = ExtractiveAnswerer(lambda _: 1.0)
    extract = answerer.answer(Query(question), [Retrieved(_chunk(text), 1.0)])
    assert not extract.abstained
    return extract.text.split("\n")[0]


FIELDS = (
    "Năm 2019, có 103 tập thể và 115 cá nhân đăng ký thực hiện 230 mô hình “Dân vận khéo” trên 4 lĩnh vực: Kinh tế, "
    "văn hoá – xã hội, an ninh quốc phòng và xây dựng hệ thống chính trị."
)


def test_the_items_after_the_kind_asked_for_are_said_first() -> None:
    """q034 began with the sentence's first 25 words, cut before the fields it was asked for."""
    first = _first_line("Mô hình Dân vận khéo năm 2019 ở Đống Đa thuộc những lĩnh vực nào?", FIELDS)
    assert first == "Gồm: Kinh tế; văn hoá – xã hội; an ninh quốc phòng; xây dựng hệ thống chính trị [1]."


def test_a_sentence_that_does_not_name_the_kind_asked_for_keeps_its_usual_first_sentence() -> None:
    first = _first_line("Mô hình Dân vận khéo năm 2019 ở Đống Đa có những tập thể nào đăng ký?", FIELDS)
    assert not first.startswith("Gồm:")


@pytest.mark.parametrize(
    ("text", "nouns", "items"),
    [
        # Items split at ";", one of them a list of three short items split again at its commas (q033).
        (
            "Tham gia kỷ niệm các ngày Lễ lớn của Thủ đô: 95 năm ngày thành lập Đảng, 135 năm ngày sinh Chủ tịch "
            "Hồ Chí Minh, 50 năm ngày giải phóng miền Nam thống nhất đất nước; sắp xếp tinh gọn bộ máy.",
            ("ngay le",),
            [
                "95 năm ngày thành lập Đảng",
                "135 năm ngày sinh Chủ tịch Hồ Chí Minh",
                "50 năm ngày giải phóng miền Nam thống nhất đất nước",
                "sắp xếp tinh gọn bộ máy",
            ],
        ),
        # "cán bộ, công chức, viên chức" and "các cơ quan, đơn vị" are one item each (q030, q038).
        (
            "UBND quận đề ra các chỉ tiêu, đó là: 100% các cơ quan, đơn vị nghiêm túc thực hiện kế hoạch; "
            "nâng cao ý thức phục vụ của cán bộ, công chức, viên chức; 100% các phường đăng ký mô hình.",
            ("chi tieu",),
            [
                "100% các cơ quan, đơn vị nghiêm túc thực hiện kế hoạch",
                "nâng cao ý thức phục vụ của cán bộ, công chức, viên chức",
                "100% các phường đăng ký mô hình",
            ],
        ),
        # "như" introduces; a separator inside quotation marks does not split.
        (
            "Vận động nhân dân tham gia các phong trào như “Toàn dân đoàn kết, xây dựng đời sống văn hoá”, "
            "“Người tốt việc tốt”.",
            ("phong trao",),
            ["“Toàn dân đoàn kết, xây dựng đời sống văn hoá”", "“Người tốt việc tốt”"],
        ),
        # A colon inside brackets does not introduce the list (Lào Cai's mining report).
        (
            "Năm 2025, tỉnh đã cấp, ban hành: 10 Giấy phép khai thác khoáng sản (trong đó: 08 Giấy phép cấp mới và "
            "02 Giấy phép gia hạn); 01 Quyết định đóng cửa mỏ.",
            ("giay phep",),
            [],
        ),
        # A body named before a colon is not a list of duties: "chủ trì, phối hợp" are not items of "nhiệm vụ".
        ("Phòng Nội vụ: chủ trì, phối hợp với các phòng, ban, đơn vị liên quan.", ("nhiem vu",), []),
        # After a label, commas separate the parts of a sentence, not items, unless the items are names.
        (
            "Công tác phối hợp còn chưa chặt chẽ. Nguyên nhân khách quan: hoạt động khai thác cát, sỏi thường được "
            "thực hiện trên sông, phân bố không tập trung.",
            ("nguyen nhan",),
            [],
        ),
        (
            "- Các Sở, ngành: Công Thương, Nội vụ, Công an tỉnh.",
            ("so", "nganh"),
            ["Công Thương", "Nội vụ", "Công an tỉnh"],
        ),
        (
            "6. Phương pháp kiểm tra: Kiểm tra, đối chiếu hồ sơ quản lý chất lượng; Quan sát, kiểm tra trực quan "
            "tại hiện trường.",
            ("phuong phap",),
            ["Kiểm tra, đối chiếu hồ sơ quản lý chất lượng", "Quan sát, kiểm tra trực quan tại hiện trường"],
        ),
        # One item is no list; the sentence ends at its stop.
        ("Các lĩnh vực: kinh tế. Xã hội, môi trường, quốc phòng.", ("linh vuc",), []),
    ],
)
def test_inline_items(text: str, nouns: tuple[str, ...], items: list[str]) -> None:
    assert _items(text, nouns) == items


def test_asked_nouns() -> None:
    assert asked_nouns("Gò Vấp kêu gọi nhân dân tham gia những phong trào, cuộc vận động nào?") == (
        "phong trao",
        "cuoc van",
    )
    assert asked_nouns("Kế hoạch nêu những chỉ tiêu gì?") == ("chi tieu",)
    assert asked_nouns("Đoàn dùng những phương pháp kiểm tra nào?") == ("phuong phap",)
    assert asked_nouns("Các đơn vị phải làm gì khi có sự cố?") == ()  # a duty question, not a list of units
    assert asked_nouns("Ai chịu trách nhiệm báo cáo quý?") == ()
