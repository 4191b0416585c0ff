"""A scanned copy of the Ba Đình 2025 plan answers as the text file does (issue 13): the same cited section and
the same quoted sentence, with the real embedder and Tesseract's Vietnamese OCR."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BA_DINH_2025, CORPUS

QUESTION = "Ai chịu trách nhiệm báo cáo quý?"

pytestmark = pytest.mark.slow


def _ocr_missing() -> str | None:
    from index.ocr import OcrEngine

    return OcrEngine().missing()


def _cited(answer: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(section, quoted sentences) of each citation the answer text cites, whitespace collapsed."""
    from eval.metrics import parse_citations

    by_n = {c["n"]: c for c in answer["citations"]}

    def norm(s: str) -> str:
        return re.sub(r"\s+", " ", s).strip()

    return [
        (norm(by_n[n]["section"]), [norm(by_n[n]["text"][a:b]) for a, b in by_n[n]["quotes"]])
        for n in parse_citations(answer["answer"])
        if n in by_n
    ]


@pytest.fixture
def scan_corpus(tmp_path: Path) -> Path:
    """The bundled corpus with the Ba Đình 2025 plan as a 200 dpi image-only PDF in place of its .txt."""
    from assistant.bench.format_files import soffice_convert, write_docx, write_scan

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice missing (makes the scan): apt-get install libreoffice-writer-nogui")
    missing = _ocr_missing()
    if missing:
        pytest.skip(f"{missing} (Debian packages tesseract-ocr, tesseract-ocr-vie)")
    corpus = tmp_path / "scan-corpus"
    shutil.copytree(CORPUS, corpus)
    txt = corpus / BA_DINH_2025
    docx = write_docx(txt.read_text(encoding="utf-8"), tmp_path / "build" / f"{txt.stem}.docx")
    (pdf,) = soffice_convert([docx], tmp_path / "build", "pdf")
    write_scan(pdf, corpus / pdf.name, dpi=200)
    txt.unlink()
    return corpus


def test_scanned_ba_dinh_plan_cites_what_the_text_file_cites(scan_corpus: Path, real_assistant: Any, tmp_path: Path):
    from assistant.engine import Assistant
    from assistant.settings import Settings

    scanned = Assistant(Settings(data_dir=tmp_path / "scan-data", corpus_dir=scan_corpus))
    report = scanned.sync()
    assert report.not_indexed == []
    assert f"{Path(BA_DINH_2025).stem}.pdf" in {Path(d["source"]).name for d in scanned.documents()}

    want = real_assistant.ask(QUESTION).to_json()
    got = scanned.ask(QUESTION).to_json()
    assert _cited(want), want["answer"]  # the text file's answer cites a section and quotes a sentence
    assert _cited(got) == _cited(want), (got["answer"], want["answer"])
    assert {Path(c["source"]).stem for c in got["citations"]} >= {Path(BA_DINH_2025).stem}
