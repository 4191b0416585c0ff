"""The index as a whole: settings fingerprint, repair, manifest, opening and reading (what a sync decides is in
tests/test_ingest.py)."""

from __future__ import annotations

import json
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
    idx.dense().add([orphan], idx.embedder.embed_passages(["bóng ma"]))
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


# ----------------------------------------------------------------- incremental writes and cheap opening
QUERIES = ["báo cáo quý", "phong noi vu", "Ủy ban nhân dân quận Ba Đình", "dân vận khéo năm 2025", "cân đối kinh phí"]


def _change_corpus(folder: Path) -> None:
    """One document changed, one deleted, one added."""
    path = folder / BA_DINH_2025
    extra = "\n\n5. Phòng Tài chính\n\nCân đối kinh phí thực hiện.\n"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    (folder / GO_VAP_2010).unlink()
    moi = (folder / "004_6d6ef2d0f9823f83.txt").read_text(encoding="utf-8")
    (folder / "moi.txt").write_text(moi + "\n\nGhi chú: bản bổ sung năm 2026.\n", encoding="utf-8")


def _bm25_scores(idx: PlanIndex) -> list[dict[str, float]]:
    return [dict(idx.bm25().search(q, 100_000)) for q in QUERIES]


def test_incremental_sync_equals_a_fresh_build_and_only_new_chunks_are_tokenised(
    toy_settings: Settings, corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import index.chunkstore
    import index.writer
    from index.accents import AccentCounts, AccentRestorer
    from index.bm25 import bm25_tokens
    from index.chunkstore import chunk_json

    build_index(toy_settings).sync([corpus_copy])
    _change_corpus(corpus_copy)
    tokenised: list[str] = []
    serialised: list[str] = []
    monkeypatch.setattr(index.writer, "bm25_tokens", lambda t: tokenised.append(t) or bm25_tokens(t))
    monkeypatch.setattr(index.chunkstore, "chunk_json", lambda c: serialised.append(c.chunk_id) or chunk_json(c))
    rep = build_index(toy_settings).sync([corpus_copy])
    monkeypatch.undo()
    assert rep.updated == [BA_DINH_2025] and rep.removed == [GO_VAP_2010] and rep.added == ["moi.txt"]
    docs = build_index(toy_settings).manifest()["documents"]
    written = [c for d in (BA_DINH_2025, "moi.txt") for c in docs[d]["chunk_ids"]]
    assert len(tokenised) == len(written) < rep.chunks  # the other chunks kept their term counts
    assert sorted(serialised) == sorted(written)  # and their lines were copied as bytes

    fresh = build_index(toy_settings.model_copy(update={"data_dir": tmp_path / "fresh"}))
    fresh.sync([corpus_copy])
    inc = build_index(toy_settings)  # read back from disk
    assert inc.bm25().chunk_ids == fresh.bm25().chunk_ids and inc.bm25().df == fresh.bm25().df
    assert _bm25_scores(inc) == _bm25_scores(fresh)  # the same floats, not just the same ranks
    assert list(inc.chunks().items()) == list(fresh.chunks().items())
    assert (inc.dir / "chunks.jsonl").read_bytes() == (fresh.dir / "chunks.jsonl").read_bytes()
    from_scratch = AccentCounts()
    from_scratch.add(c.text for c in fresh.chunks().values())
    stored = inc.stored_accent_counts()
    assert stored == from_scratch == fresh.stored_accent_counts()
    assert inc.accent_restorer().by_fold == AccentRestorer.from_texts(c.text for c in inc.chunks().values()).by_fold


def test_opening_parses_no_chunk_and_search_parses_only_hits(toy_settings: Settings, corpus_copy: Path):
    from index.chunkstore import ChunkStore

    build_index(toy_settings).sync([corpus_copy])
    a = Assistant.open(toy_settings)
    store = a.index.chunks()
    assert isinstance(store, ChunkStore) and store.parsed == 0 and len(store) > 40
    hits = a.retriever.retrieve("Ai chịu trách nhiệm báo cáo quý?", k=3)
    assert hits and 0 < store.parsed < len(store)
    assert a.ask("Ai chịu trách nhiệm báo cáo quý?").citations


def test_filters_and_document_chunks_come_from_the_manifest(toy_settings: Settings, corpus_copy: Path):
    from index.types import Filters

    idx = build_index(toy_settings)
    idx.sync([corpus_copy])
    chunks = idx.chunks()
    for f in (
        Filters(sources=(GO_VAP_2010,)),
        Filters(issuers=("UBND quận Gò Vấp",)),
        Filters(year_min=2015),
        Filters(year_max=2012, sources=(GO_VAP_2010, BA_DINH_2025)),
    ):
        expected = {cid for cid, c in chunks.items() if f.accepts(c)}
        assert idx.allowed_ids(f) == expected and expected
    assert [c.chunk_id for c in idx.doc_chunks(BA_DINH_2025)] == [
        c.chunk_id for c in chunks.values() if c.doc_id == BA_DINH_2025
    ]
    assert idx.doc_chunks("no-such-doc") == []


def test_an_index_written_by_the_previous_version_is_read_in_full_then_upgraded(
    toy_settings: Settings, corpus_copy: Path
):
    """No generation in the manifest, no term counts, offsets or accent counts in bm25/ (format of the
    previous version): everything still works, and the next sync writes the new layout once."""
    from index.chunkstore import ChunkStore

    idx = build_index(toy_settings)
    idx.sync([corpus_copy])
    expected = _bm25_scores(idx)
    path = toy_settings.index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["generation"]
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    for name in ("counts.npz", "offsets.npy", "accents.json"):
        (toy_settings.index_dir / "bm25" / name).unlink()
    old = Assistant.open(toy_settings)
    assert not isinstance(old.index.chunks(), ChunkStore)
    assert old.index.accent_restorer().restore("bao cao quy") == "báo cáo quý"
    assert old.ask("Ai chịu trách nhiệm báo cáo quý?").citations
    rep = build_index(toy_settings).sync([corpus_copy])
    assert not rep.changed and len(rep.unchanged) == 5
    upgraded = build_index(toy_settings)
    upgraded.open_for_search()
    assert isinstance(upgraded.chunks(), ChunkStore) and _bm25_scores(upgraded) == expected
    assert (toy_settings.index_dir / "bm25" / "counts.npz").is_file()


def test_a_chunk_list_changed_behind_the_index_is_read_in_full_not_copied(toy_settings: Settings, corpus_copy: Path):
    """Same size, other bytes (CRC differs): the sync re-reads and re-counts every chunk instead of trusting
    the stored term counts, so BM25 agrees with the chunk texts again."""
    idx = build_index(toy_settings)
    idx.sync([corpus_copy])
    path = toy_settings.index_dir / "chunks.jsonl"
    data = path.read_bytes()
    assert b" kinh " in data
    path.write_bytes(data.replace(b" kinh ", b" zqzq ", 1))
    assert build_index(toy_settings).bm25().search("zqzq", 5) == []
    build_index(toy_settings).sync([corpus_copy])
    again = build_index(toy_settings)
    hit = again.bm25().search("zqzq", 5)
    assert len(hit) == 1 and "zqzq" in again.chunks()[hit[0][0]].text


def test_an_index_read_or_described_by_other_rules_is_refused(toy_settings: Settings, corpus_copy: Path):
    """How files are read and how their metadata is found are part of the fingerprint: an index built by older
    rules (unchanged files are not read again) must be rebuilt, not kept with stale text and metadata."""
    build_index(toy_settings).sync([corpus_copy])
    path = toy_settings.index_dir / "manifest.json"
    original = path.read_text(encoding="utf-8")
    Assistant.open(toy_settings)  # as built: opens
    for key in ("reader", "metadata"):
        manifest = json.loads(original)
        manifest["fingerprint"][key] = "1"
        path.write_text(json.dumps(manifest), encoding="utf-8")
        with pytest.raises(FingerprintMismatchError, match="index build --rebuild"):
            Assistant.open(toy_settings)


def test_manifest_records_the_page_count_of_paged_formats(toy_settings: Settings, tmp_path: Path) -> None:
    """The library lists a document's pages (issue 15); the manifest knew only the pages read by OCR."""
    from tests.fixtures.make_fixtures import write_pdf

    folder = tmp_path / "docs"
    folder.mkdir()
    write_pdf(folder / "kh.pdf", [["KẾ HOẠCH số 1", "Nội dung trang một của kế hoạch."], ["Trang hai của kế hoạch."]])
    (folder / "kh.txt").write_text("KẾ HOẠCH\nNội dung của kế hoạch bằng văn bản thường.\n", encoding="utf-8")
    Assistant(toy_settings).sync([folder])
    docs = {d["source"]: d for d in Assistant.open(toy_settings).documents()}
    assert docs["kh.pdf"]["page_count"] == 2 and "page_count" not in docs["kh.txt"]


def test_a_full_build_keeps_the_documents_uploaded_from_the_library(toy_settings: Settings, tmp_path: Path) -> None:
    """`index build` drops documents not found in its folders; an upload (issue 15) lives in the data folder
    and leaves the index only when removed from the page, so a nightly build must not drop it."""
    import hashlib

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kh.txt").write_text("KẾ HOẠCH\nNội dung của kế hoạch trong thư mục tài liệu.\n", encoding="utf-8")
    body = "KẾ HOẠCH\nKế hoạch vừa được tải lên từ trang thư viện tài liệu.\n".encode()
    stored = toy_settings.data_dir / "uploads" / hashlib.sha256(body).hexdigest() / "tai-len.txt"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(body)
    for rebuild in (False, True):
        Assistant(toy_settings).sync([corpus], rebuild=rebuild)
        assert {d["doc_id"] for d in Assistant.open(toy_settings).documents()} == {"kh.txt", "tai-len.txt"}
    Assistant(toy_settings).sync([corpus], remove_missing=False, only_remove=["tai-len.txt"])  # removed from the page
    assert {d["doc_id"] for d in Assistant.open(toy_settings).documents()} == {"kh.txt"}
