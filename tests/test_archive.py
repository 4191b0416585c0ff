"""The synthetic office archive (assistant/bench/archive.py): format mix, documents read back by the loaders
with their own number and date, scans without a text layer, determinism."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.bench.archive import MANIFEST, generate, plan, write_document
from index.errors import LoaderError
from index.loaders import read_text


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    folder = tmp_path_factory.mktemp("archive") / "docs"
    return folder, generate(10, folder, seed=3)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_ten_documents_come_in_the_office_mix(archive: tuple[Path, list]) -> None:
    folder, docs = archive
    formats = Counter(d.format for d in docs)
    assert formats["pdf"] == 6 and formats["docx"] == 2 and formats["scan"] == 1
    assert formats["txt"] + formats["html"] == 1
    files = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert files == sorted(d.name for d in docs) and (folder / MANIFEST).is_file()
    suffixes = Counter(Path(f).suffix for f in files)
    assert suffixes[".pdf"] == 7 and suffixes[".docx"] == 2 and suffixes[".txt"] + suffixes[".html"] == 1
    assert len({d.number for d in docs}) == 10 and len({d.source for d in docs}) > 3


def test_each_file_reads_back_with_its_own_number_and_date(archive: tuple[Path, list]) -> None:
    folder, docs = archive
    for d in docs:
        if d.format == "scan":
            continue
        text = _flat(read_text(folder / d.name))
        assert f"Số: {d.number}" in text and f"{d.place}, {d.date}" in text, d.name
        assert len(text) > 1000, d.name  # a body, not just the letterhead


def test_a_scanned_document_has_no_text_layer(archive: tuple[Path, list]) -> None:
    import pypdfium2 as pdfium

    folder, docs = archive
    (scan,) = [d for d in docs if d.format == "scan"]
    pdf = pdfium.PdfDocument(str(folder / scan.name))
    try:
        assert len(pdf) >= 1
        assert all(not page.get_textpage().get_text_range().strip() for page in pdf)
        assert all(page.get_objects() for page in pdf)  # an image on every page
    finally:
        pdf.close()
    with pytest.raises(LoaderError, match="OCR"):
        read_text(folder / scan.name)  # without OCR there is nothing to read


def test_the_archive_is_the_same_for_a_seed_whatever_its_size(archive: tuple[Path, list], tmp_path: Path) -> None:
    folder, docs = archive
    assert plan(20, seed=3)[:10] == docs and plan(10, seed=4) != docs
    one_of_each = {d.format: d for d in docs}.values()  # PDF and zip dates are fixed: same bytes
    for d in one_of_each:
        assert write_document(d, tmp_path, seed=3).read_bytes() == (folder / d.name).read_bytes(), d.name


def test_a_smaller_archive_in_the_same_folder_drops_the_extra_files(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    generate(5, folder)
    written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    kept = generate(2, folder)
    assert sorted(p.name for p in folder.iterdir() if p.name != MANIFEST) == sorted(d.name for d in kept)
    assert all(written[d.name] == (folder / d.name).stat().st_mtime_ns for d in kept)  # not rewritten


@pytest.mark.integration
def test_ocr_reads_the_scans_number(archive: tuple[Path, list], tmp_path: Path) -> None:
    from index.ocr import OcrEngine

    engine = OcrEngine(tmp_path / "ocr")
    if engine.missing():
        pytest.skip(engine.missing() or "")
    folder, docs = archive
    (scan,) = [d for d in docs if d.format == "scan"]
    text = _flat(read_text(folder / scan.name, ocr=engine))
    assert f"Số: {scan.number}" in text and scan.date[-4:] in text  # the year: OCR may read a bold "0" as "Ô"


def test_no_module_reads_another_modules_private_names() -> None:
    """`module._name` of a project module imported elsewhere (archive.py read synth's private patterns): each
    module's private names stay its own; what another module needs is public."""
    import ast

    from .conftest import REPO
    from .test_imports import project_modules

    known = set(project_modules(REPO))
    found = []
    for module, path in project_modules(REPO).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported: dict[str, str] = {}  # local name -> project module
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update((a.asname or a.name, a.name) for a in node.names if a.name in known and a.asname)
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    if f"{node.module}.{a.name}" in known:
                        imported[a.asname or a.name] = f"{node.module}.{a.name}"
                    elif node.module in known and a.name.startswith("_") and not a.name.startswith("__"):
                        found.append(f"{module}: from {node.module} import {a.name}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in imported
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                found.append(f"{module}:{node.lineno}: {imported[node.value.id]}.{node.attr}")
    assert not found, "\n".join(found)
