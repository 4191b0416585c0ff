"""index/ingest.py: what a sync decides. Idempotent by content hash; a changed file replaces its chunks, a deleted
one goes; the same content under another name is indexed once; a file that cannot be read, or is refused, is
named in one line and leaves the index (and its own earlier version) as it was. Real small index: the bundled
corpus with the hashing embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.engine import build_index
from assistant.settings import Settings
from index.errors import LoaderError
from index.ingest import SyncReport, index_text, load_document
from index.loaders import MissingToolError, UnsupportedTypeError
from index.types import Chunk, DocMeta

from .conftest import BA_DINH_2025, GO_VAP_2010
from .test_pipeline import state


def test_build_then_rebuild_changes_nothing(toy_settings: Settings, corpus_copy: Path):
    idx = build_index(toy_settings)
    first = idx.sync([corpus_copy])
    assert len(first.added) == 5 and not first.failed
    m, b, d = state(idx)
    assert m == b == d and len(m) == first.chunks
    before = (toy_settings.index_dir / "manifest.json").read_text(encoding="utf-8")
    again = build_index(toy_settings).sync([corpus_copy])
    assert not again.changed and len(again.unchanged) == 5
    assert (toy_settings.index_dir / "manifest.json").read_text(encoding="utf-8") == before


def test_changed_file_replaces_its_chunks_and_deleted_file_goes(toy_settings: Settings, corpus_copy: Path):
    idx = build_index(toy_settings)
    idx.sync([corpus_copy])
    old_ids = set(idx.manifest()["documents"][BA_DINH_2025]["chunk_ids"])
    path = corpus_copy / BA_DINH_2025
    path.write_text(
        path.read_text(encoding="utf-8") + "\n\n5. Phòng Tài chính\n\nCân đối kinh phí thực hiện.\n",
        encoding="utf-8",
    )
    (corpus_copy / GO_VAP_2010).unlink()
    idx2 = build_index(toy_settings)
    rep = idx2.sync([corpus_copy])
    assert rep.updated == [BA_DINH_2025] and rep.removed == [GO_VAP_2010]
    docs = idx2.manifest()["documents"]
    assert GO_VAP_2010 not in docs
    m, b, d = state(idx2)
    assert m == b == d
    assert not any(c.startswith(GO_VAP_2010) for c in d)
    new_text = " ".join(idx2.chunks()[c].text for c in docs[BA_DINH_2025]["chunk_ids"])
    assert "Cân đối kinh phí" in new_text
    assert old_ids  # ids are positional: the changed doc's chunks were rewritten, none duplicated
    assert len(d) == len(set(d))


def test_add_keeps_other_documents_and_remove_drops_one(toy_settings: Settings, corpus_copy: Path, tmp_path: Path):
    idx = build_index(toy_settings)
    idx.sync([corpus_copy / BA_DINH_2025])
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(corpus_copy / GO_VAP_2010, extra / GO_VAP_2010)
    rep = idx.sync([extra], remove_missing=False)
    assert rep.added == [GO_VAP_2010]
    assert set(idx.manifest()["documents"]) == {BA_DINH_2025, GO_VAP_2010}
    idx.sync([], remove_missing=False, only_remove=[GO_VAP_2010])
    assert set(idx.manifest()["documents"]) == {BA_DINH_2025}
    m, b, d = state(idx)
    assert m == b == d


def test_duplicate_content_under_another_name_is_indexed_once(toy_settings: Settings, corpus_copy: Path):
    shutil.copy(corpus_copy / GO_VAP_2010, corpus_copy / "ban-sao.txt")
    rep = build_index(toy_settings).sync([corpus_copy])
    assert rep.duplicates == ["ban-sao.txt"] and len(rep.added) == 5


def test_bad_file_is_reported_and_index_untouched(toy_settings: Settings, corpus_copy: Path):
    idx = build_index(toy_settings)
    idx.sync([corpus_copy])
    before = state(idx)
    (corpus_copy / "hong.pdf").write_bytes(b"\x00\x01 not a pdf at all")
    (corpus_copy / "rong.txt").write_text("", encoding="utf-8")
    rep = build_index(toy_settings).sync([corpus_copy])
    assert {Path(p).name for p, _ in rep.failed} == {"hong.pdf", "rong.txt"}
    assert all("\n" not in msg for _, msg in rep.failed)
    assert state(build_index(toy_settings)) == before


def test_a_file_that_no_longer_reads_keeps_its_earlier_version(toy_settings: Settings, tmp_path: Path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    plan = folder / "ke-hoach.txt"
    plan.write_text("KẾ HOẠCH\n\n1. Phòng Nội vụ tổng hợp báo cáo quý.\n", encoding="utf-8")
    idx = build_index(toy_settings)
    idx.sync([folder])
    chunk_ids = idx.manifest()["documents"]["ke-hoach.txt"]["chunk_ids"]
    plan.write_text("   \n\n", encoding="utf-8")  # emptied: nothing left after cleaning
    rep = build_index(toy_settings).sync([folder])
    assert [Path(p).name for p, _ in rep.failed] == ["ke-hoach.txt"] and not rep.removed and not rep.changed
    again = build_index(toy_settings)
    assert again.manifest()["documents"]["ke-hoach.txt"]["chunk_ids"] == chunk_ids
    assert "Phòng Nội vụ" in " ".join(again.chunks()[c].text for c in chunk_ids)


def test_a_refused_path_is_named_and_the_others_indexed(toy_settings: Settings, corpus_copy: Path):
    def refuse_go_vap(path: Path) -> None:
        if path.name == GO_VAP_2010:
            raise LoaderError(f"{path.name}: ngoài thư mục được phép (outside the allowed folders).")

    rep = build_index(toy_settings).sync([corpus_copy], check_path=refuse_go_vap)
    assert [Path(p).name for p, _ in rep.failed] == [GO_VAP_2010] and len(rep.added) == 4
    assert GO_VAP_2010 not in build_index(toy_settings).manifest()["documents"]


def test_remove_by_file_name_drops_a_document_kept_under_a_folder_path(toy_settings: Settings, tmp_path: Path):
    folder = tmp_path / "inbox"
    (folder / "2025").mkdir(parents=True)
    (folder / "2025" / "kh.txt").write_text("KẾ HOẠCH\n\nTiếp công dân định kỳ.\n", encoding="utf-8")
    idx = build_index(toy_settings)
    assert idx.sync([folder]).added == ["2025/kh.txt"]  # the id is the path under the folder
    rep = idx.sync([], remove_missing=False, only_remove=["kh.txt"])  # `index remove kh.txt` names the file
    assert rep.removed == ["2025/kh.txt"] and idx.manifest()["documents"] == {}


def test_each_file_left_out_is_recorded_under_its_outcome() -> None:
    report = SyncReport()
    report.refuse("a.xyz", UnsupportedTypeError("a.xyz: định dạng không hỗ trợ (unsupported)"))
    report.refuse("b.doc", MissingToolError("b.doc: cần LibreOffice (needs LibreOffice)"))
    report.refuse("c.pdf", LoaderError("c.pdf: hỏng (damaged)"))
    assert [p for p, _ in report.skipped] == ["a.xyz"] and [p for p, _ in report.missing_tool] == ["b.doc"]
    assert [p for p, _ in report.failed] == ["c.pdf"] and [p for p, _ in report.not_indexed] == [
        "a.xyz",
        "b.doc",
        "c.pdf",
    ]
    assert not report.changed


def test_what_is_indexed_carries_the_document_and_heading_path() -> None:
    meta = DocMeta(title="Dân vận chính quyền năm 2025", issuer="UBND quận Ba Đình")
    chunk = Chunk("d#0", "d", "d.txt", 0, "Phòng Nội vụ là đầu mối.", 0, 24, "III. TỔ CHỨC THỰC HIỆN", meta)
    assert index_text(chunk) == (
        "UBND quận Ba Đình · Dân vận chính quyền năm 2025 · III. TỔ CHỨC THỰC HIỆN Phòng Nội vụ là đầu mối."
    )
    assert index_text(Chunk("e#0", "e", "e.txt", 0, "Chỉ  có   văn bản.", 0, 18)) == "Chỉ có văn bản."


def test_a_document_is_read_cleaned_and_described(tmp_path: Path) -> None:
    path = tmp_path / "kh.txt"
    path.write_text("ỦY BAN NHÂN DÂN\nQUẬN GÒ VẤP\nSố: 08/KH-UBND\n\nKẾ HOẠCH\nThực hiện dân vận\n", encoding="utf-8")
    doc = load_document(path, "kh.txt", "h1")
    assert (doc.doc_id, doc.source, doc.content_hash) == ("kh.txt", "kh.txt", "h1")
    assert doc.meta.number == "08/KH-UBND" and "KẾ HOẠCH" in doc.text
    (tmp_path / "rong.txt").write_text(" \n\t\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="rong.txt"):
        load_document(tmp_path / "rong.txt", "rong.txt", "h2")
