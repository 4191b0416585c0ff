"""The builders of `assistant bench formats` on one small plan (no model): layout split, .docx tables,
LibreOffice PDF and .doc, the image-only scan, source renaming and the comparison with the .txt run."""

from __future__ import annotations

import shutil

import pytest

from assistant.bench.format_files import soffice_convert, split_layout, write_docx, write_scan
from assistant.bench.formats import compare, gold_names, make_variants

PLAN = """ỦY BAN NHÂN DÂN
QUẬN TÂY HỒ
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

Số: 12/KH-UBND

Tây Hồ, ngày 05 tháng 3 năm 2024

KẾ HOẠCH
Thực hiện công tác dân vận chính quyền năm 2024

Căn cứ Chỉ thị số 33/CT-TTg, UBND quận xây dựng kế hoạch như sau:

I. MỤC ĐÍCH, YÊU CẦU

Nâng cao hiệu quả công tác dân vận của chính quyền các cấp.

II. TỔ CHỨC THỰC HIỆN

1. Phòng Nội vụ

Là cơ quan thường trực, tổng hợp báo cáo quý gửi Ủy ban nhân dân quận.

Nơi nhận:
- UBND Thành phố;
- Lưu: VT, NV.

TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH

Nguyễn Văn An
"""

NEWS = """Tây Hồ tổng kết công tác dân vận năm 2023
Ngày đăng 12/01/2024 | 09:30

Sáng 12/01, Quận ủy Tây Hồ tổ chức hội nghị tổng kết công tác dân vận.
"""

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice missing: apt install libreoffice-writer-nogui"
)


def test_split_layout_takes_letterhead_and_signature_from_the_text():
    layout = split_layout(PLAN)
    assert layout.letterhead_left == ["ỦY BAN NHÂN DÂN", "QUẬN TÂY HỒ", "Số: 12/KH-UBND"]
    assert layout.letterhead_right == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Tây Hồ, ngày 05 tháng 3 năm 2024",
    ]
    assert layout.title == ["KẾ HOẠCH", "Thực hiện công tác dân vận chính quyền năm 2024"]
    assert layout.body[0] == ["Căn cứ Chỉ thị số 33/CT-TTg, UBND quận xây dựng kế hoạch như sau:"]
    assert layout.recipients == ["Nơi nhận:", "- UBND Thành phố;", "- Lưu: VT, NV."]
    assert layout.signature == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn An"]


def test_a_news_page_has_no_letterhead_or_signature():
    layout = split_layout(NEWS)
    assert (layout.letterhead_left, layout.title, layout.recipients, layout.signature) == ([], [], [], [])
    assert layout.body[0] == ["Tây Hồ tổng kết công tác dân vận năm 2023", "Ngày đăng 12/01/2024 | 09:30"]


def test_docx_has_letterhead_and_signature_tables_headings_header_and_page_numbers(tmp_path):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document(str(write_docx(PLAN, tmp_path / "plan.docx")))
    first, last = doc.tables[0], doc.tables[-1]
    assert len(doc.tables) == 2
    assert first.cell(0, 0).text.split("\n") == ["ỦY BAN NHÂN DÂN", "QUẬN TÂY HỒ", "Số: 12/KH-UBND"]
    assert first.cell(0, 1).text.endswith("Tây Hồ, ngày 05 tháng 3 năm 2024")
    assert last.cell(0, 0).text.startswith("Nơi nhận:")
    assert last.cell(0, 1).text.split("\n") == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn An"]
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        ("Heading 1", "I. MỤC ĐÍCH, YÊU CẦU"),
        ("Heading 1", "II. TỔ CHỨC THỰC HIỆN"),
        ("Heading 2", "1. Phòng Nội vụ"),
    ]
    body = next(p for p in doc.paragraphs if p.text.startswith("Là cơ quan thường trực"))
    assert body.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    section = doc.sections[0]
    assert section.header.paragraphs[0].text.startswith("KẾ HOẠCH")
    assert 'w:instr="PAGE"' in section.footer._element.xml


def test_the_docx_reads_back_as_the_text_it_came_from(tmp_path):
    from docx import Document

    from index.office import docx_lines

    lines = [x for x in docx_lines(Document(str(write_docx(PLAN, tmp_path / "plan.docx")))) if x.strip()]
    text = "\n".join(lines)
    for line in ("Số: 12/KH-UBND", "1. Phòng Nội vụ", "Nguyễn Văn An", "- UBND Thành phố;"):
        assert line in text


@pytest.mark.integration
@needs_soffice
def test_text_pdf_doc_and_scan_of_the_docx(tmp_path):
    import pypdfium2 as pdfium

    docx = write_docx(PLAN, tmp_path / "docx" / "plan.docx")
    (pdf,) = soffice_convert([docx], tmp_path / "pdf", "pdf")
    (doc,) = soffice_convert([docx], tmp_path / "doc", "doc")
    assert doc.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE2 (Word 97-2003) file
    text = pdfium.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert "Nguyễn Văn An" in text and "Số: 12/KH-UBND" in text
    scan = pdfium.PdfDocument(str(write_scan(pdf, tmp_path / "scan" / "plan.pdf", dpi=200)))
    page = scan[0]
    assert page.get_textpage().get_text_range().strip() == ""  # image only, no text layer
    image = page.render(scale=200 / 72).to_pil()
    assert abs(image.width - 1654) <= 2 and abs(image.height - 2339) <= 2  # A4 at 200 dpi


def test_make_variants_keeps_the_stems_and_refuses_unknown_formats(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "007_tayho.txt").write_text(PLAN, encoding="utf-8")
    folders = make_variants(corpus, tmp_path / "out", ["txt", "docx"])
    assert [p.name for p in folders["docx"].iterdir()] == ["007_tayho.docx"]
    assert (folders["txt"] / "007_tayho.txt").read_text(encoding="utf-8") == PLAN
    with pytest.raises(ValueError, match="ocr-tiff"):
        make_variants(corpus, tmp_path / "out", ["ocr-tiff"])


def test_gold_names_maps_variant_sources_back_to_the_txt_names():
    response = {
        "answer": "x [1]",
        "citations": [{"n": 1, "source": "003_abc.pdf"}, {"n": 2, "source": "other.pdf"}],
        "retrieved": [{"source": "003_abc.pdf", "text": "t"}],
    }
    out = gold_names(response, {"003_abc.pdf": "003_abc.txt"})
    assert [c["source"] for c in out["citations"]] == ["003_abc.txt", "other.pdf"]
    assert out["retrieved"][0]["source"] == "003_abc.txt"
    assert response["citations"][0]["source"] == "003_abc.pdf"  # the input is not changed


def _report(fact: float, items: dict[str, float]) -> dict:
    row = {"fact_recall": fact, "evidence_hit_at_k": 1.0}
    return {
        "summary": {"overall": row, "kinds": {"fact": row}},
        "items": [{"id": i, "kind": "fact", "metrics": {"fact_recall": v}} for i, v in items.items()],
    }


def test_compare_flags_metrics_beyond_the_tolerance_and_names_the_items():
    reports = {
        "txt": _report(0.90, {"q1": 1.0, "q2": 1.0}),
        "pdf": _report(0.88, {"q1": 1.0, "q2": 0.5}),
        "scan": _report(0.80, {"q1": 0.5, "q2": 1.0}),
    }
    res = compare(reports, tolerance=0.03, scan_tolerance=0.05)
    assert res["pdf"]["within"] and [i["id"] for i in res["pdf"]["items"]] == ["q2"]
    assert not res["scan"]["within"]
    assert {b["where"] for b in res["scan"]["beyond"]} == {"overall", "kind.fact"}
    assert [i["id"] for i in res["scan"]["items"]] == ["q1"]


def test_tolerance_allows_one_item_of_a_metric_over_few_items():
    """Doc recall over 7 questions moves by 1/7 when one flips: within; two flips are not."""

    def report(recall: float) -> dict:
        row = {"document_recall": recall, "fact_recall": 0.9, "counts": {"document_recall": 7, "fact_recall": 100}}
        return {"summary": {"overall": row, "kinds": {}}, "items": []}

    res = compare({"txt": report(5 / 7), "pdf": report(4 / 7), "scan": report(3 / 7)}, 0.03, 0.05)
    assert res["pdf"]["within"] and res["pdf"]["beyond"] == []
    assert not res["scan"]["within"]
    assert res["scan"]["beyond"][0]["metric"] == "document_recall" and res["scan"]["beyond"][0]["tolerance"] == 0.143


def test_bench_formats_command_runs_the_dataset_over_each_variant(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from assistant.cli_bench import bench

    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "hash")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "007_tayho.txt").write_text(PLAN, encoding="utf-8")
    item = {
        "id": "t1",
        "kind": "role",
        "turns": ["Ai tổng hợp báo cáo quý về dân vận chính quyền ở Tây Hồ?"],
        "docs": ["007_tayho.txt"],
        "evidence": ["tổng hợp báo cáo quý"],
        "facts": [["Phòng Nội vụ"]],
    }
    dataset = tmp_path / "one.jsonl"
    dataset.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    args = ["formats", "--corpus", str(corpus), "--dataset", str(dataset), "--variants", "docx", "--json"]
    res = CliRunner().invoke(bench, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{\n") :])
    assert list(out["variants"]) == ["txt", "docx"]  # the .txt reference always runs first
    for name in ("txt", "docx"):
        (record,) = out["items"][name]
        assert record["metrics"]["citation_precision"] == 1.0  # the .docx citation counts as 007_tayho.txt
        assert out["variants"][name]["sync"]["not_indexed"] == []
    assert out["comparison"]["docx"]["within"]
    bad = CliRunner().invoke(
        bench, ["formats", "--corpus", str(corpus), "--dataset", str(dataset), "--variants", "tiff"]
    )
    assert bad.exit_code == 1 and "unknown variant" in bad.output and "Traceback" not in bad.output
