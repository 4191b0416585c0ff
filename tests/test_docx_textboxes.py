"""Word text boxes, headers and footers: a letterhead or signature block drawn in a floating text box, or a
letterhead printed in the first page's header, is read once, where it stands, and feeds the metadata; page
furniture (page numbers, the same running head) stays out of the text.

The .docx files are built here with python-docx, the text boxes as Word writes them (a DrawingML shape in
mc:AlternateContent with its VML copy as the Fallback) in raw XML.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from index.ingest import load_document
from index.loaders import read_text
from index.types import DocMeta

REALDOCS = Path("/work/shared/realdocs")
SOFFICE = shutil.which("soffice")
TXBX = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}txbxContent"

_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
)
ISSUER_BOX = ["ỦY BAN NHÂN DÂN", "HUYỆN ĐÔNG ANH", "Số: 15/KH-UBND"]
MOTTO_BOX = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Đông Anh, ngày 16 tháng 01 năm 2025"]
SIGNATURE_BOX = ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "(Đã ký)", "", "Nguyễn Văn An"]
BODY = [
    "Thực hiện Chương trình công tác năm 2025, Ủy ban nhân dân huyện ban hành Kế hoạch như sau:",
    "I. MỤC ĐÍCH, YÊU CẦU",
    "Phát huy vai trò của Nhân dân trong xây dựng chính quyền.",
]
_ids = iter(range(1, 10_000))


def _paragraphs(lines: list[str]) -> str:
    return "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>' for line in lines)


def _box_run(lines: list[str], offset_emu: int = 0, relative: str = "paragraph", vml: str = "both"):  # noqa: ANN202
    """A run holding a floating text box: DrawingML with its VML Fallback ("both"), or VML alone ("only")."""
    from docx.oxml import parse_xml

    n = next(_ids)
    content = f"<w:txbxContent>{_paragraphs(lines)}</w:txbxContent>"
    drawing = (
        f'<w:drawing><wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" relativeHeight="{n}"'
        ' behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="margin"><wp:posOffset>0</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="{relative}"><wp:posOffset>{offset_emu}</wp:posOffset></wp:positionV>'
        '<wp:extent cx="2700000" cy="900000"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
        f'<wp:docPr id="{n}" name="Text Box {n}"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="2700000" cy="900000"/>'
        '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>'
        f"<wps:txbx>{content}</wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>"
    )
    vrel = "text" if relative == "paragraph" else relative
    pict = (
        f'<w:pict><v:shape id="box{n}" o:spid="_x0000_s{n}" type="#_x0000_t202" style="position:absolute;'
        f"margin-left:0;margin-top:{offset_emu / 12700:g}pt;width:212pt;height:71pt;z-index:{n};"
        f'mso-position-vertical-relative:{vrel}"><v:textbox>{content}</v:textbox></v:shape></w:pict>'
    )
    inner = pict if vml == "only" else f'<mc:AlternateContent><mc:Choice Requires="wps">{drawing}</mc:Choice>'
    if vml == "both":
        inner += f"<mc:Fallback>{pict}</mc:Fallback></mc:AlternateContent>"
    return parse_xml(f"<w:r {_NS}>{inner}</w:r>")


def _field_runs(instruction: str, shown: str) -> list:  # noqa: ANN001
    """The runs of a Word field (begin, instruction, separate, its last result, end)."""
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    return [
        parse_xml(f'<w:r {w}><w:fldChar w:fldCharType="begin"/></w:r>'),
        parse_xml(f'<w:r {w}><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'),
        parse_xml(f'<w:r {w}><w:fldChar w:fldCharType="separate"/></w:r>'),
        parse_xml(f"<w:r {w}><w:t>{shown}</w:t></w:r>"),
        parse_xml(f'<w:r {w}><w:fldChar w:fldCharType="end"/></w:r>'),
    ]


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def _meta(path: Path) -> DocMeta:
    return load_document(path, path.name, "hash").meta


def _letter_with_boxes(path: Path, vml: str = "both") -> Path:
    """A plan whose letterhead is two text boxes anchored in its first paragraph (the kind), and whose signature
    block is a text box beside the recipients' list."""
    import docx

    document = docx.Document()
    kind = document.add_paragraph("KẾ HOẠCH")
    kind._p.append(_box_run(ISSUER_BOX, offset_emu=-1_400_000, vml=vml))
    kind._p.append(_box_run(MOTTO_BOX, offset_emu=-1_400_000, vml=vml))
    document.add_paragraph("Công tác dân vận năm 2025")
    for line in BODY:
        document.add_paragraph(line)
    recipients = document.add_paragraph("Nơi nhận:")
    recipients._p.append(_box_run(SIGNATURE_BOX, vml=vml))
    document.add_paragraph("- UBND Thành phố;")
    document.add_paragraph("- Lưu: VT.")
    document.save(str(path))
    return path


def test_letterhead_and_signature_in_text_boxes_read_once_in_place(tmp_path: Path) -> None:
    lines = _lines(read_text(_letter_with_boxes(tmp_path / "hop-van-ban.docx")))
    assert lines[:8] == [*ISSUER_BOX, *MOTTO_BOX, "KẾ HOẠCH", "Công tác dân vận năm 2025"]
    at = lines.index("Nơi nhận:")
    assert lines[at : at + 8] == ["Nơi nhận:", *[x for x in SIGNATURE_BOX if x], "- UBND Thành phố;", "- Lưu: VT."]
    for line in ISSUER_BOX + MOTTO_BOX + SIGNATURE_BOX[:-2]:  # the VML Fallback copy is not read again
        assert lines.count(line) == 1


def test_metadata_from_text_boxes(tmp_path: Path) -> None:
    meta = _meta(_letter_with_boxes(tmp_path / "hop-van-ban.docx"))
    assert (meta.issuer, meta.number, meta.date, meta.place) == (
        "UBND huyện Đông Anh",
        "15/KH-UBND",
        "2025-01-16",
        "Đông Anh",
    )
    assert (meta.kind, meta.title, meta.signer) == ("KẾ HOẠCH", "Công tác dân vận năm 2025", "Nguyễn Văn An")


def test_vml_text_boxes_without_drawingml(tmp_path: Path) -> None:
    """Older Word and converters write the box in VML only (w:pict/v:shape/v:textbox)."""
    path = _letter_with_boxes(tmp_path / "vml.docx", vml="only")
    assert _lines(read_text(path))[:6] == [*ISSUER_BOX, *MOTTO_BOX]
    assert _meta(path).signer == "Nguyễn Văn An"


def test_text_box_above_or_below_its_anchor(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Đoạn mở đầu.")
    document.add_paragraph("Đoạn thứ hai.")._p.append(_box_run(["Hộp đặt phía trên"], offset_emu=-500_000))
    document.add_paragraph("Đoạn thứ ba.")._p.append(_box_run(["Hộp đặt phía dưới"], offset_emu=300_000))
    document.add_paragraph("Đoạn thứ tư.")._p.append(_box_run(["Hộp theo trang"], offset_emu=-300_000, relative="page"))
    document.add_paragraph("Đoạn cuối.")
    document.save(str(tmp_path / "vi-tri.docx"))
    assert _lines(read_text(tmp_path / "vi-tri.docx")) == [
        "Đoạn mở đầu.",
        "Hộp đặt phía trên",
        "Đoạn thứ hai.",
        "Đoạn thứ ba.",
        "Hộp đặt phía dưới",
        "Đoạn thứ tư.",
        "Hộp theo trang",  # placed on the page, not from its paragraph: read after it
        "Đoạn cuối.",
    ]


def test_text_box_in_a_table_cell_and_a_box_holding_a_table(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).paragraphs[0]._p.append(_box_run(["ỦY BAN NHÂN DÂN", "XÃ TÂN HƯNG"]))
    table.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    holder = document.add_paragraph("Danh sách:")
    run = _box_run(["placeholder"])
    box = run.find(f".//{TXBX}")
    grid = document.add_table(rows=2, cols=2)
    for r, row in enumerate([["Đơn vị", "Thời hạn"], ["Phòng Nội vụ", "Quý I"]]):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    box.remove(box[0])
    box.append(parse_xml(grid._tbl.xml))  # a table inside the box (in both copies of it, read once)
    fallback = run.find(f".//{{urn:schemas-microsoft-com:vml}}textbox/{TXBX}")
    fallback.remove(fallback[0])
    fallback.append(parse_xml(grid._tbl.xml))
    grid._tbl.getparent().remove(grid._tbl)
    holder._p.append(run)
    document.save(str(tmp_path / "bang.docx"))
    lines = _lines(read_text(tmp_path / "bang.docx"))
    assert lines[:3] == ["ỦY BAN NHÂN DÂN", "XÃ TÂN HƯNG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]
    assert lines[3:] == ["Danh sách:", "Đơn vị", "Phòng Nội vụ", "Thời hạn", "Quý I"]


# --- headers and footers ----------------------------------------------------------------------


def _plan_with_header(path: Path) -> Path:
    """A plan whose letterhead (issuer and number) is printed in the first page's header; later pages carry a
    page number in their header, every page a "Trang n/m" footer."""
    import docx

    document = docx.Document()
    section = document.sections[0]
    section.different_first_page_header_footer = True
    first = section.first_page_header
    first.paragraphs[0].text = "ỦY BAN NHÂN DÂN"
    for line in ["TỈNH LÀO CAI", "Số: 21/KH-UBND"]:
        first.add_paragraph(line)
    for run in _field_runs("PAGE \\* MERGEFORMAT", "1"):
        first.add_paragraph()._p.append(run)
    for run in _field_runs("PAGE", "15"):
        section.header.paragraphs[0]._p.append(run)
    for part in (section.first_page_footer, section.footer):
        p = part.paragraphs[0]
        p.add_run("Trang ")
        for run in _field_runs("PAGE", "1"):
            p._p.append(run)
        p.add_run("/")
        for run in _field_runs("NUMPAGES", "3"):
            p._p.append(run)
    for line in [MOTTO_BOX[0], MOTTO_BOX[1], "Lào Cai, ngày 05 tháng 3 năm 2026", "KẾ HOẠCH"]:
        document.add_paragraph(line)
    document.add_paragraph("Triển khai Chỉ thị số 11-CT/TU về quản lý khoáng sản")
    for line in BODY:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def test_first_page_header_letterhead_read_once_before_the_body(tmp_path: Path) -> None:
    lines = _lines(read_text(_plan_with_header(tmp_path / "dau-trang.docx")))
    assert lines[:4] == ["ỦY BAN NHÂN DÂN", "TỈNH LÀO CAI", "Số: 21/KH-UBND", MOTTO_BOX[0]]
    assert lines[-1] == BODY[-1]  # the footer held only "Trang 1/3": furniture
    assert not any(line.strip() in {"1", "15", "Trang", "Trang /", "Trang 1/3"} for line in lines)


def test_metadata_from_the_first_page_header(tmp_path: Path) -> None:
    meta = _meta(_plan_with_header(tmp_path / "dau-trang.docx"))
    assert (meta.issuer, meta.number, meta.date, meta.place) == (
        "UBND tỉnh Lào Cai",
        "21/KH-UBND",
        "2026-03-05",
        "Lào Cai",
    )
    assert meta.title == "Triển khai Chỉ thị số 11-CT/TU về quản lý khoáng sản"


def test_running_head_and_page_numbers_stay_out(tmp_path: Path) -> None:
    """A header that repeats the body's title on every page, and a footer of page numbers, add nothing."""
    import docx

    def build(path: Path, furniture: bool) -> Path:
        document = docx.Document()
        if furniture:
            section = document.sections[0]
            section.header.paragraphs[0].text = "Công tác dân vận năm 2025"
            section.footer.paragraphs[0].text = "- 1 -"
            section.footer.add_paragraph("Trang 2")
        for line in ["KẾ HOẠCH", "Công tác dân vận năm 2025", *BODY]:
            document.add_paragraph(line)
        document.save(str(path))
        return path

    assert read_text(build(tmp_path / "co.docx", True)) == read_text(build(tmp_path / "khong.docx", False))


def test_footer_with_content_read_after_the_body(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.sections[0].footer.paragraphs[0].text = "Địa chỉ: Tổ 1, phường Nam Cường; điện thoại 0214 3840 123"
    for line in ["THÔNG BÁO", "Lịch tiếp công dân tháng 3"]:
        document.add_paragraph(line)
    document.save(str(tmp_path / "chan-trang.docx"))
    assert _lines(read_text(tmp_path / "chan-trang.docx"))[-1].startswith("Địa chỉ: Tổ 1")


@pytest.mark.skipif(not REALDOCS.is_dir(), reason="../shared/realdocs not present")
def test_real_docx_headers_are_page_numbers_only() -> None:
    """Both real .docx files have a header with a PAGE field (last shown as "15"): the text is unchanged."""
    for name in ["BC-UBND-QLNN-khoang-san-nam-2025.docx", "KH-UBND-trien-khai-Chi-thi-11-CT-TU-QLNN-khoang-san.docx"]:
        text = read_text(REALDOCS / name)
        assert "BAN NHÂN DÂN" in text.split("\n")[0]
        assert "15" not in [line.strip() for line in text.split("\n")]


@pytest.mark.integration
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice missing: apt-get install libreoffice-writer-nogui")
def test_doc_with_text_boxes_through_libreoffice(tmp_path: Path) -> None:
    """A legacy .doc keeps its text boxes through LibreOffice's conversion, and they are read once."""
    source = _letter_with_boxes(tmp_path / "hop.docx")
    out = tmp_path / "doc"
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [str(SOFFICE), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "doc", "--outdir", str(out)]
        + [str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    lines = _lines(read_text(out / "hop.doc", convert_cache=tmp_path / "cache"))
    for line in [*ISSUER_BOX, *MOTTO_BOX, "Nguyễn Văn An"]:
        assert lines.count(line) == 1, line
    assert lines.index("HUYỆN ĐÔNG ANH") < lines.index("Công tác dân vận năm 2025")


def test_header_letterhead_in_a_text_box_and_a_legacy_font(tmp_path: Path) -> None:
    """The first page's header: the issuer typed in .VnTimeH (TCVN3), the number in a text box."""
    import docx

    document = docx.Document()
    section = document.sections[0]
    section.different_first_page_header_footer = True
    head = section.first_page_header.paragraphs[0]
    head.add_run("ñy ban nh©n d©n").font.name = ".VnTimeH"  # "ỦY BAN NHÂN DÂN" in TCVN3 capitals
    section.first_page_header.add_paragraph("XÃ TÂN HƯNG")
    section.first_page_header.add_paragraph()._p.append(_box_run(["Số: 07/TB-UBND"]))
    for line in [MOTTO_BOX[0], MOTTO_BOX[1], "Tân Hưng, ngày 02 tháng 4 năm 2025", "THÔNG BÁO"]:
        document.add_paragraph(line)
    document.add_paragraph("Lịch tiếp công dân tháng 4 năm 2025")
    document.add_paragraph(BODY[2])
    path = tmp_path / "hop-dau-trang.docx"
    document.save(str(path))
    assert _lines(read_text(path))[:3] == ["ỦY BAN NHÂN DÂN", "XÃ TÂN HƯNG", "Số: 07/TB-UBND"]
    meta = _meta(path)
    assert (meta.issuer, meta.number, meta.kind) == ("UBND xã Tân Hưng", "07/TB-UBND", "THÔNG BÁO")
