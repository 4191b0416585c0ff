"""Ingest: idempotent by content hash, changed and deleted files, duplicates, fingerprint, repair."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.engine import Assistant, build_index
from assistant.settings import Settings
from index.errors import FingerprintMismatchError, IndexMissingError
from index.pipeline import PlanIndex

from .conftest import BA_DINH_2025, GO_VAP_2010


def state(idx: PlanIndex) -> tuple[set[str], set[str], set[str]]:
    """Chunk ids as the manifest, BM25 and Chroma see them."""
    manifest_ids = {c for d in idx.manifest()["documents"].values() for c in d["chunk_ids"]}
    return manifest_ids, set(idx.bm25().chunk_ids), idx.dense().ids()


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


def test_add_keeps_other_documents_and_remove_drops_one(
    toy_settings: Settings, corpus_copy: Path, tmp_path: Path
):
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


def test_other_settings_are_refused_with_a_fix_it_message(toy_settings: Settings, corpus_copy: Path):
    build_index(toy_settings).sync([corpus_copy])
    other = toy_settings.model_copy(update={"chunk_max_tokens": 128})
    with pytest.raises(FingerprintMismatchError, match="index build --rebuild"):
        Assistant.open(other)


def test_missing_index_is_a_clear_error(toy_settings: Settings):
    with pytest.raises(IndexMissingError, match="assistant index build"):
        Assistant.open(toy_settings)


def test_sync_repairs_orphan_and_missing_vectors(toy_settings: Settings, corpus_copy: Path):
    """As after a crash between the Chroma write and the manifest write."""
    idx = build_index(toy_settings)
    idx.sync([corpus_copy])
    any_id = sorted(idx.dense().ids())[0]
    idx.dense().delete_ids([any_id])
    from index.types import Chunk

    orphan = Chunk("ghost.txt#0", "ghost.txt", "ghost.txt", 0, "bóng ma", 0, 7)
    idx.dense().add([orphan], idx.embedder.embed_passages(["bóng ma"]), ["bóng ma"])
    idx2 = build_index(toy_settings)
    idx2.sync([corpus_copy])
    m, b, d = state(idx2)
    assert m == b == d and any_id in d and "ghost.txt#0" not in d


def test_manifest_lists_metadata(toy_settings: Settings, corpus_copy: Path):
    idx = build_index(toy_settings)
    idx.sync([corpus_copy])
    docs = {d["source"]: d for d in idx.documents()}
    assert docs[GO_VAP_2010]["meta"]["number"] == "08/KH-UBND"
    assert docs[GO_VAP_2010]["meta"]["date"] == "2010-02-09"
    assert json.loads((toy_settings.index_dir / "manifest.json").read_text(encoding="utf-8"))["fingerprint"]
