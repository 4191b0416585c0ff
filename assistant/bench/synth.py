"""Synthetic corpora for the scale benchmarks, generated from the bundled documents.

Document i is bundled document `i % 5` with its own district and city, people, years, dates,
document numbers, percentages and a few synonyms swapped, drawn from a generator seeded by (seed, i):
the same i always gives the same text whatever the corpus size, so a 10k corpus contains the 1k one
and indexes grow incrementally. Names and numbers vary, so BM25 vocabularies and filters behave as
with real documents of many districts; the prose stays that of the bundled plans.

>>> a, b = generate_text(0, 7), generate_text(0, 7)
>>> a == b and a != generate_text(0, 12)
True
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import REPO_ROOT

BUNDLED = REPO_ROOT / "corpus"

# (district, city) pairs: the city replaces "Hà Nội"/"Thành phố Hồ Chí Minh" of the template.
DISTRICTS = [
    ("Ba Đình", "Hà Nội"),
    ("Hoàn Kiếm", "Hà Nội"),
    ("Tây Hồ", "Hà Nội"),
    ("Long Biên", "Hà Nội"),
    ("Cầu Giấy", "Hà Nội"),
    ("Đống Đa", "Hà Nội"),
    ("Hai Bà Trưng", "Hà Nội"),
    ("Hoàng Mai", "Hà Nội"),
    ("Thanh Xuân", "Hà Nội"),
    ("Nam Từ Liêm", "Hà Nội"),
    ("Bắc Từ Liêm", "Hà Nội"),
    ("Hà Đông", "Hà Nội"),
    ("Gò Vấp", "Hồ Chí Minh"),
    ("Bình Thạnh", "Hồ Chí Minh"),
    ("Phú Nhuận", "Hồ Chí Minh"),
    ("Tân Bình", "Hồ Chí Minh"),
    ("Tân Phú", "Hồ Chí Minh"),
    ("Bình Tân", "Hồ Chí Minh"),
    ("Thủ Đức", "Hồ Chí Minh"),
    ("Hải Châu", "Đà Nẵng"),
    ("Thanh Khê", "Đà Nẵng"),
    ("Sơn Trà", "Đà Nẵng"),
    ("Ngũ Hành Sơn", "Đà Nẵng"),
    ("Liên Chiểu", "Đà Nẵng"),
    ("Cẩm Lệ", "Đà Nẵng"),
    ("Ninh Kiều", "Cần Thơ"),
    ("Bình Thủy", "Cần Thơ"),
    ("Cái Răng", "Cần Thơ"),
    ("Ô Môn", "Cần Thơ"),
    ("Hồng Bàng", "Hải Phòng"),
    ("Lê Chân", "Hải Phòng"),
    ("Ngô Quyền", "Hải Phòng"),
    ("Kiến An", "Hải Phòng"),
    ("Hải An", "Hải Phòng"),
]
SURNAMES = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh Mai Tạ".split()
MIDDLE = "Văn Thị Hữu Đức Minh Thanh Quốc Ngọc Thu Hồng Xuân Kim Bảo Công Anh".split()
GIVEN = (
    "An Bình Cường Dũng Giang Hà Hải Hạnh Hùng Hương Khánh Lan Linh Long Mai Nam Nga Phong Phúc Quang Sơn Tâm "
    "Thảo Trung Tuấn Vân Yến"
).split()

# Names in the bundled documents that are replaced.
_TEMPLATE_DISTRICTS = ("Ba Đình", "Đống Đa", "Gò Vấp")
_TEMPLATE_PEOPLE = ("Phạm Thị Diễm", "Hoàng Trung Hải", "Nguyễn Hồng", "Nguyên Bảo", "Bình An")
_HCM_CITY = re.compile(r"(Thành phố|TP\.?)\s*Hồ\s*Chí\s*Minh")
_SYNONYMS = [
    ("tăng cường", "đẩy mạnh"),
    ("nâng cao", "cải thiện"),
    ("triển khai", "tổ chức thực hiện"),
    ("kịp thời", "nhanh chóng"),
    ("nhân dân", "người dân"),
]
# Years, "dd/mm/" before a year, document numbers ("1234/KH-...") and percentages: what `vary_numbers` changes.
YEAR = re.compile(r"(?<!\d)(199\d|20[0-2]\d)(?!\d)")
DATE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(?=(?:199\d|20[0-2]\d)(?!\d))")
DOCNO = re.compile(r"(?<![\d/])\d{1,5}(?=\s*[/-]\s*(?:KH|UBND|CT|TT|CTr|TB|QĐ|VX)\b)")
PERCENT = re.compile(r"(?<![\d,.])(\d{1,2})(?=%)")


@dataclass(frozen=True)
class SynthDoc:
    """What was chosen for one synthetic document (questions are made from it)."""

    index: int
    name: str
    template: str
    district: str
    city: str
    signer: str
    year_shift: int


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def templates() -> list[Path]:
    """The bundled plans documents are made from, in name order (document i takes template i % 5)."""
    return sorted(p for p in BUNDLED.iterdir() if p.suffix == ".txt")


def choices(seed: int, i: int) -> SynthDoc:
    """The names and shifts of document i (deterministic)."""
    rng = random.Random(seed * 1_000_003 + i)
    bundled = templates()
    district, city = rng.choice(DISTRICTS)
    return SynthDoc(
        index=i,
        name=f"synth_{i:05d}.txt",
        template=bundled[i % len(bundled)].name,
        district=district,
        city=city,
        signer=_person(rng),
        year_shift=rng.randint(-9, 3),
    )


def vary_numbers(text: str, rng: random.Random, year_shift: int) -> str:
    """`text` with its years moved by `year_shift`, and its day/month dates, document numbers and percentages
    drawn from `rng` (in that order: the same `rng` state gives the same text)."""
    text = YEAR.sub(lambda m: str(int(m.group(1)) + year_shift), text)
    text = DATE.sub(lambda m: f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/", text)
    text = DOCNO.sub(lambda m: str(rng.randint(1, 9999)), text)
    return PERCENT.sub(lambda m: str(rng.randint(5, 99)), text)


def generate_text(seed: int, i: int) -> str:
    """The text of synthetic document i."""
    d = choices(seed, i)
    rng = random.Random(seed * 7_000_001 + i)
    text = (BUNDLED / d.template).read_text(encoding="utf-8")
    for name in _TEMPLATE_DISTRICTS:
        text = text.replace(name, d.district).replace(name.upper(), d.district.upper())
    text = _HCM_CITY.sub(lambda m: f"{m.group(1)} {d.city}", text).replace("HỒ CHÍ MINH", d.city.upper())
    text = text.replace("Hà Nội", d.city).replace("HÀ NỘI", d.city.upper())
    people = {p: (d.signer if k == 0 else _person(rng)) for k, p in enumerate(_TEMPLATE_PEOPLE)}
    for old, new in people.items():
        text = text.replace(old, new)
    text = vary_numbers(text, rng, d.year_shift)
    for a, b in _SYNONYMS:
        if rng.random() < 0.5:
            text = text.replace(a, b)
    return text


def generate(n: int, folder: Path, seed: int = 0) -> list[SynthDoc]:
    """Write documents 0..n-1 into `folder` (files already up to date are left alone); extra
    files of a bigger corpus generated earlier in the same folder are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = [choices(seed, i) for i in range(n)]
    wanted = {d.name for d in docs}
    for p in folder.glob("synth_*.txt"):
        if p.name not in wanted:
            p.unlink()
    for d in docs:
        text = generate_text(seed, d.index)
        p = folder / d.name
        if not p.is_file() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8")
    return docs


def questions(docs: list[SynthDoc], n: int, seed: int = 0) -> list[str]:
    """Questions naming the districts, people and years of some synthetic documents."""
    rng = random.Random(seed + 99)
    forms = [
        "Kế hoạch dân vận chính quyền của quận {district} do ai ký?",
        "Quận {district} giao Phòng Nội vụ nhiệm vụ gì trong công tác dân vận?",
        "UBND thành phố {city} chỉ đạo gì về công tác dân vận chính quyền?",
        "Mô hình dân vận khéo của quận {district} gồm những gì?",
        "Ban Dân vận ở {district} được giao nhiệm vụ gì?",
        "Văn bản nào do {signer} ký?",
    ]
    out = []
    for _ in range(n):
        d = rng.choice(docs)
        out.append(rng.choice(forms).format(district=d.district, city=d.city, signer=d.signer))
    return out
