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
from index.ingest import (
    Scanned,
    SyncPlan,
    SyncReport,
    cut_documents,
    dense_repair,
    index_text,
    load_document,
    plan_documents,
    triage,
)
from index.loaders import MissingToolError, UnsupportedTypeError
from index.types import Chunk, DocMeta, Document

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


# ------------------------------------------------------------------------------------ the phases of a plan
def _entry(content_hash: str, chunk_ids: list[str], source: str = "") -> dict:
    return {"content_hash": content_hash, "chunk_ids": chunk_ids, "source": source}


def test_triage_sorts_files_against_the_manifest() -> None:
    documents = {
        "giu.txt": _entry("h-giu", ["giu.txt#0"]),
        "doi.txt": _entry("h-cu", ["doi.txt#0"]),
        "thieu.txt": _entry("h-thieu", ["thieu.txt#0", "thieu.txt#1"]),  # a chunk lost in a crash
        "mat.txt": _entry("h-mat", ["mat.txt#0"]),  # no longer in the folder
    }
    present = {"giu.txt#0", "doi.txt#0", "thieu.txt#0", "mat.txt#0"}
    scanned = [
        Scanned("ban-sao.txt", Path("ban-sao.txt"), "h-giu"),  # a copy of an indexed document: it keeps its name
        Scanned("doi.txt", Path("doi.txt"), "h-moi"),
        Scanned("giu.txt", Path("giu.txt"), "h-giu"),
        Scanned("moi.txt", Path("moi.txt"), "h-1"),
        Scanned("moi-2.txt", Path("moi-2.txt"), "h-1"),  # of two new copies, the first name seen wins
        Scanned("thieu.txt", Path("thieu.txt"), "h-thieu"),
    ]
    t = triage(scanned, documents, present)
    assert t.duplicates == ["ban-sao.txt", "moi-2.txt"] and t.unchanged == ["giu.txt"]
    assert [s.doc_id for s in t.to_load] == ["doi.txt", "moi.txt", "thieu.txt"] and t.to_remove == ["mat.txt"]
    kept = triage(scanned[:1], documents, present, remove_missing=False, only_remove=["doi.txt"])
    assert kept.duplicates == ["ban-sao.txt"] and kept.to_load == [] and kept.to_remove == ["doi.txt"]
    by_name = triage([], {"2025/kh.txt": _entry("h", [], source="kh.txt")}, set(), False, ["kh.txt"])
    assert by_name.to_remove == ["2025/kh.txt"]


def _doc(doc_id: str, text: str = "") -> Document:
    return Document(doc_id, doc_id, f"/in/{doc_id}", text, f"h-{doc_id}", DocMeta())


def _chunks(doc: Document, n: int) -> list[Chunk]:
    return [Chunk(f"{doc.doc_id}#{i}", doc.doc_id, doc.source, i, f"đoạn {i}", 0, 1) for i in range(n)]


def test_cutting_drops_a_document_of_too_many_chunks_and_counts_every_one() -> None:
    report = SyncReport()
    docs = [_doc("a.txt", "xx"), _doc("b.txt", "xxxxx"), _doc("c.txt", "x")]
    kept, chunks, counts = cut_documents(docs, lambda d: _chunks(d, len(d.text)), 3, report)
    assert [d.doc_id for d in kept] == ["a.txt", "c.txt"] and [c.chunk_id for c in chunks] == [
        "a.txt#0",
        "a.txt#1",
        "c.txt#0",
    ]
    assert counts == {"a.txt": 2, "b.txt": 5, "c.txt": 1}
    assert report.failed == [
        (
            "/in/b.txt",
            "b.txt: văn bản chia thành quá nhiều đoạn (5 > 3; too many chunks, see ASSISTANT_MAX_DOCUMENT_CHUNKS)",
        )
    ]


def test_the_planned_manifest_stale_chunks_and_order() -> None:
    documents = {"b.txt": _entry("h-old", ["b.txt#0", "b.txt#1"]), "z.txt": _entry("h-z", ["z.txt#0"])}
    before = {k: dict(v) for k, v in documents.items()}
    present = {"b.txt#0", "b.txt#1", "z.txt#0"}
    new_docs = [_doc("b.txt"), _doc("a.txt")]
    new_chunks = _chunks(new_docs[0], 1) + _chunks(new_docs[1], 2)
    report = SyncReport()
    after, stale, order = plan_documents(documents, present, new_docs, new_chunks, ["z.txt"], report)
    assert (report.updated, report.added, report.removed) == (["b.txt"], ["a.txt"], ["z.txt"])
    assert stale == ["b.txt#0", "b.txt#1", "z.txt#0"] and order == ["a.txt#0", "a.txt#1", "b.txt#0"]
    assert list(after) == ["b.txt", "a.txt"] and after["b.txt"]["chunk_ids"] == ["b.txt#0"]
    assert after["a.txt"]["content_hash"] == "h-a.txt" and after["a.txt"]["path"] == "/in/a.txt"
    assert documents == before  # the manifest read is not changed: the plan is a new one


def test_vectors_to_drop_and_to_add_again_after_a_crash() -> None:
    orphans, missing = dense_repair(["a#0", "a#1", "b#0", "c#0"], {"a#0", "x#0", "w#0"}, {"c#0": None})
    assert orphans == ["w#0", "x#0"] and missing == ["a#1", "b#0"]


class _Recorder:
    """A `Stages` that lists the stages a sync reports, in order."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def stage(self, name: str):  # noqa: ANN201
        from contextlib import nullcontext

        self.names.append(name)
        return nullcontext()


def test_a_sync_reports_its_stages_and_a_refused_plan_writes_nothing(toy_settings: Settings, corpus_copy: Path):
    idx = build_index(toy_settings)
    idx.sync([corpus_copy / BA_DINH_2025])
    files = {p.name: p.read_bytes() for p in toy_settings.index_dir.iterdir() if p.is_file()}
    plans: list[SyncPlan] = []

    def refuse(plan: SyncPlan) -> None:
        plans.append(plan)
        raise LoaderError("không (refused)")

    with pytest.raises(LoaderError):
        idx.sync([corpus_copy], accept=refuse)
    (plan,) = plans
    assert plan.report.unchanged == [BA_DINH_2025] and len(plan.report.added) == 4
    assert len(plan.texts) == len(plan.new_chunks) == sum(plan.chunk_counts.values()) and not plan.unreadable
    assert {p.name: p.read_bytes() for p in toy_settings.index_dir.iterdir() if p.is_file()} == files
    m, b, d = state(build_index(toy_settings))  # nor a vector added to the store
    assert m == b == d == set(idx.manifest()["documents"][BA_DINH_2025]["chunk_ids"])

    stages = _Recorder()
    (corpus_copy / GO_VAP_2010).unlink()
    report = build_index(toy_settings).sync([corpus_copy], stages=stages)
    assert len(report.added) == 3 and not report.removed
    assert stages.names.count("load_clean_metadata") == stages.names.count("chunk") == 3
    assert stages.names[0] == "chroma_list_ids" and stages.names[-4:] == [
        "bm25_chunks_manifest_write",
        "write.chunks_jsonl",
        "write.bm25_term_counts",
        "write.accent_counts",
    ]
    assert {"chroma_delete", "chroma_add"} <= set(stages.names)
