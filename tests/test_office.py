"""Word documents: tables read as layout blocks or data rows; .doc/.rtf/.odt through LibreOffice; every file
of a folder indexed or named, with a count of each outcome.

Real documents: ../shared/realdocs (public Lào Cai administrative documents, sources in its SOURCES.md).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.convert import LIBREOFFICE_PACKAGE
from index.errors import LoaderError
from index.loaders import MissingToolError, read_text, scan_folder

from .conftest import REPO

REALDOCS = Path("/work/shared/realdocs")
SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason=f"LibreOffice missing: apt-get install {LIBREOFFICE_PACKAGE}"
)
needs_realdocs = pytest.mark.skipif(not REALDOCS.is_dir(), reason="../shared/realdocs not present")


def _cell(cell, lines: list[str]) -> None:  # noqa: ANN001
    cell.text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def _letter(path: Path) -> Path:
    """A letter as offices type it: letterhead table, body, signature table, then a task table."""
    import docx

    document = docx.Document()
    head = document.add_table(rows=2, cols=2)
    _cell(head.cell(0, 0), ["ỦY BAN NHÂN DÂN", "HUYỆN ĐÔNG ANH"])
    _cell(head.cell(0, 1), ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"])
    _cell(head.cell(1, 0), ["Số: 15/KH-UBND"])
    _cell(head.cell(1, 1), ["Đông Anh, ngày 16 tháng 01 năm 2025"])
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("Công tác dân vận năm 2025")
    sign = document.add_table(rows=1, cols=2)
    _cell(sign.cell(0, 0), ["Nơi nhận:", "- UBND Thành phố;", "- Lưu: VT."])
    _cell(sign.cell(0, 1), ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", "", "", "Nguyễn Văn An"])
    tasks = document.add_table(rows=6, cols=4)
    rows = [
        ["TT", "Nội dung", "Cơ quan chủ trì", "Thời hạn"],
        ["(1)", "(2)", "(3)", "(4)"],
        ["I. NHIỆM VỤ CHUNG", "", "", ""],
        ["1", "Quán triệt kế hoạch đến cán bộ", "Phòng Nội vụ", "Quý I/2025"],
        ["2", "Báo cáo kết quả thực hiện", "Văn phòng HĐND và UBND", "Trước 15/12/2025"],
        ["3", "Kiểm tra việc thực hiện", "", "Hằng quý"],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            tasks.cell(r, c).text = value
    tasks.cell(2, 0).merge(tasks.cell(2, 3)).text = "I. NHIỆM VỤ CHUNG"
    tasks.cell(4, 2).merge(tasks.cell(5, 2)).text = "Văn phòng HĐND và UBND"  # one lead body for two rows
    document.add_paragraph("Hết.")
    document.save(str(path))
    return path


def test_letterhead_signature_and_task_tables(tmp_path: Path) -> None:
    lines = read_text(_letter(tmp_path / "ke-hoach.docx")).split("\n")
    assert lines == [
        "ỦY BAN NHÂN DÂN",
        "HUYỆN ĐÔNG ANH",
        "Số: 15/KH-UBND",
        "",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Đông Anh, ngày 16 tháng 01 năm 2025",
        "",
        "KẾ HOẠCH",
        "",
        "Công tác dân vận năm 2025",
        "",
        "Nơi nhận:",
        "- UBND Thành phố;",
        "- Lưu: VT.",
        "",
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Nguyễn Văn An",
        "",
        "TT | Nội dung | Cơ quan chủ trì | Thời hạn",
        "I. NHIỆM VỤ CHUNG",
        "TT: 1 | Nội dung: Quán triệt kế hoạch đến cán bộ | Cơ quan chủ trì: Phòng Nội vụ | Thời hạn: Quý I/2025",
        "TT: 2 | Nội dung: Báo cáo kết quả thực hiện | Cơ quan chủ trì: Văn phòng HĐND và UBND | "
        "Thời hạn: Trước 15/12/2025",
        "TT: 3 | Nội dung: Kiểm tra việc thực hiện | Cơ quan chủ trì: Văn phòng HĐND và UBND | Thời hạn: Hằng quý",
        "",
        "Hết.",
    ]


def test_table_kind_follows_shape_not_words(tmp_path: Path) -> None:
    """The same words as a two-row layout and as data rows under a header: only the shape differs."""
    import docx

    document = docx.Document()
    layout = document.add_table(rows=2, cols=3)
    for r, row in enumerate([["Cơ quan", "Việc", "Thời hạn"], ["Phòng Nội vụ", "Báo cáo", "Quý I"]]):
        for c, value in enumerate(row):
            layout.cell(r, c).text = value
    data = document.add_table(rows=3, cols=3)
    rows = [["Cơ quan", "Việc", "Thời hạn"], ["Phòng Nội vụ", "Báo cáo", "Quý I"], ["Thanh tra", "Kiểm tra", "Quý II"]]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            data.cell(r, c).text = value
    two_columns = document.add_table(rows=3, cols=2)  # e.g. a letterhead of one-line cells
    for r, row in enumerate([["UBND HUYỆN A", "CỘNG HÒA"], ["PHÒNG NỘI VỤ", "Độc lập"], ["Số: 12/PNV", "A, ngày 2"]]):
        for c, value in enumerate(row):
            two_columns.cell(r, c).text = value
    document.save(str(tmp_path / "t.docx"))
    assert read_text(tmp_path / "t.docx").split("\n") == [
        "Cơ quan",
        "Phòng Nội vụ",
        "",
        "Việc",
        "Báo cáo",
        "",
        "Thời hạn",
        "Quý I",
        "",
        "Cơ quan | Việc | Thời hạn",
        "Cơ quan: Phòng Nội vụ | Việc: Báo cáo | Thời hạn: Quý I",
        "Cơ quan: Thanh tra | Việc: Kiểm tra | Thời hạn: Quý II",
        "",
        "UBND HUYỆN A",
        "PHÒNG NỘI VỤ",
        "Số: 12/PNV",
        "",
        "CỘNG HÒA",
        "Độc lập",
        "A, ngày 2",
    ]


def test_two_level_header_names_each_column(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    t = document.add_table(rows=4, cols=4)
    rows = [
        ["TT", "Nhiệm vụ", "Đơn vị", ""],
        ["", "", "Chủ trì", "Phối hợp"],
        ["1", "Tuyên truyền", "Phòng Văn hóa", "Đoàn Thanh niên"],
        ["2", "Kiểm tra", "Thanh tra", "Phòng Nội vụ"],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    t.cell(0, 0).merge(t.cell(1, 0)).text = "TT"
    t.cell(0, 1).merge(t.cell(1, 1)).text = "Nhiệm vụ"
    t.cell(0, 2).merge(t.cell(0, 3)).text = "Đơn vị"
    document.save(str(tmp_path / "t.docx"))
    assert read_text(tmp_path / "t.docx").split("\n") == [
        "TT | Nhiệm vụ | Đơn vị - Chủ trì | Đơn vị - Phối hợp",
        "TT: 1 | Nhiệm vụ: Tuyên truyền | Đơn vị - Chủ trì: Phòng Văn hóa | Đơn vị - Phối hợp: Đoàn Thanh niên",
        "TT: 2 | Nhiệm vụ: Kiểm tra | Đơn vị - Chủ trì: Thanh tra | Đơn vị - Phối hợp: Phòng Nội vụ",
    ]


@needs_realdocs
def test_real_task_table_rows_read_whole() -> None:
    text = read_text(REALDOCS / "KH-UBND-trien-khai-Chi-thi-11-CT-TU-QLNN-khoang-san.docx")
    lines = text.split("\n")
    row = next(line for line in lines if "Rà soát, điều chỉnh, cập nhật bổ sung phương án" in line)
    assert "Sở, ngành chủ trì tham mưu: Sở Nông nghiệp và Môi trường" in row
    assert "Thời gian thực hiện: Xong trong tháng 5/2026" in row
    # letterhead: the issuer's column (with the number) comes whole before the motto's column
    assert lines.index("Số:           /KH-UBND") < next(i for i, x in enumerate(lines) if x.startswith("CỘNG HÒA"))
    i = lines.index("KT. CHỦ TỊCH")
    assert lines[i - 1 : i + 3] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Thành Sinh"]


@needs_realdocs
def test_real_signature_table_keeps_the_signer() -> None:
    lines = read_text(REALDOCS / "BC-UBND-QLNN-khoang-san-nam-2025.docx").split("\n")
    i = lines.index("KT. CHỦ TỊCH")
    assert lines[i : i + 3] == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Thành Sinh"]
    assert lines[:3] == ["UỶ BAN NHÂN DÂN", "TỈNH LÀO CAI", "Số:          /BC-UBND"]


@pytest.mark.integration
@needs_realdocs
@needs_soffice
@pytest.mark.parametrize(
    "name", ["CV-tu-choi-TKBVTC-da-hoa-LangLanhII.doc", "CV-tu-choi-TKCS-da-hoa-MongSonV-nhomII.doc"]
)
def test_real_doc_through_libreoffice(tmp_path: Path, name: str) -> None:
    cache = tmp_path / "cache"
    lines = [x.strip() for x in read_text(REALDOCS / name, convert_cache=cache).split("\n")]
    i = lines.index("UBND TỈNH LÀO CAI")
    assert lines[i + 1] == "SỞ CÔNG THƯƠNG" and lines[i + 2].startswith("Số:")
    assert any(x.startswith("V/v ") for x in lines)
    j = lines.index("PHÓ GIÁM ĐỐC")
    assert lines[j - 1 : j + 2] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Hoàng Văn Thuân"]
    assert len(list(cache.glob("*.docx"))) == 1


@pytest.mark.integration
@needs_realdocs
@needs_soffice
def test_conversion_cached_by_content_and_missing_libreoffice_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    doc = shutil.copy(REALDOCS / "CV-tu-choi-TKBVTC-da-hoa-LangLanhII.doc", tmp_path / "cong-van.doc")
    first = read_text(Path(doc), convert_cache=cache)
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # LibreOffice gone: the cached conversion still reads
    renamed = Path(shutil.copy(doc, tmp_path / "ban-sao.doc"))
    assert read_text(renamed, convert_cache=cache) == first
    (tmp_path / "khac.doc").write_bytes(Path(doc).read_bytes() + b"\0")
    with pytest.raises(MissingToolError) as err:
        read_text(tmp_path / "khac.doc", convert_cache=cache)
    msg = str(err.value)
    assert "khac.doc" in msg and f"apt-get install {LIBREOFFICE_PACKAGE}" in msg and "\n" not in msg


@pytest.mark.integration
@needs_soffice
def test_rtf_and_odt_through_libreoffice(tmp_path: Path) -> None:
    rtf = tmp_path / "thong-bao.rtf"
    rtf.write_text(
        r"{\rtf1\ansi\deff0{\fonttbl{\f0 Times New Roman;}}\f0 K\u7871? ho\u7841?ch s\u7889? 12\par "
        r"Ph\u242?ng N\u7897?i v\u7909?\par}",
        encoding="ascii",
    )
    assert read_text(rtf).split("\n")[:3] == ["Kế hoạch số 12", "", "Phòng Nội vụ"]
    source = _letter(tmp_path / "thu.docx")
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [str(SOFFICE), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "odt"]
        + ["--outdir", str(tmp_path / "odt"), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    lines = read_text(tmp_path / "odt" / "thu.odt").split("\n")
    assert lines[:3] == ["ỦY BAN NHÂN DÂN", "HUYỆN ĐÔNG ANH", "Số: 15/KH-UBND"]
    assert "Nguyễn Văn An" in lines


@pytest.mark.integration
def test_damaged_doc_is_one_line(tmp_path: Path) -> None:
    cases = [("hong.doc", b"\xd0\xcf\x11\xe0 not really a word file"), ("gia.odt", b"hello"), ("x.rtf", b"x")]
    if SOFFICE is not None:  # a Word header over random bytes: LibreOffice imports it as garbage text
        cases.append(("rac.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(13).randbytes(3000)))
    for name, data in cases:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(LoaderError) as err:
            read_text(tmp_path / name, convert_cache=tmp_path / "cache")
        assert name in str(err.value) and "\n" not in str(err.value)


# --- every file of a folder indexed or named --------------------------------------------------


def _inbox(root: Path) -> Path:
    shutil.copytree(REPO / "corpus", root)
    (root / "bang-tinh.xlsx").write_bytes(b"PK\x03\x04 spreadsheet")
    (root / "sub").mkdir()
    (root / "sub" / "luu.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (root / "sub" / "~$ke-hoach.docx").write_bytes(b"lock")  # Office lock file: not a document
    (root / ".~lock.ke-hoach.odt#").write_bytes(b"lock")
    (root / "rong.txt").write_text("", encoding="utf-8")
    (root / "cong-van.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return root


def test_scan_names_files_of_other_types(tmp_path: Path) -> None:
    files, others = scan_folder(_inbox(tmp_path / "inbox"))
    assert [p.relative_to(tmp_path / "inbox").as_posix() for p, _ in others] == ["bang-tinh.xlsx", "sub/luu.zip"]
    assert all("định dạng không hỗ trợ" in str(e) and "\n" not in str(e) for _, e in others)
    assert "cong-van.doc" in {p.name for p in files}


@pytest.mark.integration
def test_build_counts_each_outcome(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path / "inbox")
    empty = tmp_path / "no-programs"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(tmp_path / "data"),
        ASSISTANT_EMBED_BACKEND="hash",
        ASSISTANT_INGEST_DIRS=str(tmp_path),
        PATH=str(empty),  # no LibreOffice
    )
    r = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index", "build", str(inbox)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith(
        "Đã thêm 5, cập nhật 0, xoá 0, giữ nguyên 0, trùng lặp 0, định dạng không hỗ trợ 2, "
        "thiếu công cụ chuyển đổi 1, lỗi 1;"
    ), r.stdout
    named = [line for line in r.stderr.splitlines() if line.startswith("Bỏ qua ")]
    assert len(named) == 4, r.stderr
    assert any("cong-van.doc" in line and LIBREOFFICE_PACKAGE in line for line in named)
    assert any("bang-tinh.xlsx" in line for line in named) and any("luu.zip" in line for line in named)
    assert any("rong.txt" in line for line in named)
    assert "lock" not in r.stderr and "Traceback" not in r.stderr
