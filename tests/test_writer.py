"""index/writer.py: the commit of a chunk set, from plain data (no index object), and the state it returns."""

from __future__ import annotations

from pathlib import Path

import orjson

from index import writer
from index.accents import AccentCounts
from index.bm25 import BM25Index
from index.chunkstore import read_all
from index.ingest import index_text
from index.types import Chunk, DocMeta

TEXTS = {
    "a.txt": ["Phòng Nội vụ tổng hợp báo cáo quý.", "Ủy ban nhân dân phường kiểm tra, giám sát."],
    "b.txt": ["Tiếp công dân định kỳ hằng tháng.", "Cải cách hành chính năm 2025."],
}


def _chunks(doc_id: str, texts: list[str]) -> list[Chunk]:
    meta = DocMeta(title=f"Kế hoạch {doc_id}")
    return [Chunk(f"{doc_id}#{i}", doc_id, doc_id, i, t, 0, len(t), "I. MỤC ĐÍCH", meta) for i, t in enumerate(texts)]


def _plan(texts: dict[str, list[str]]) -> tuple[list[str], dict, dict[str, tuple[Chunk, str]]]:
    chunks = {d: _chunks(d, t) for d, t in texts.items()}
    documents = {d: {"content_hash": d, "chunk_ids": [c.chunk_id for c in cs]} for d, cs in chunks.items()}
    order = [c.chunk_id for d in sorted(chunks) for c in chunks[d]]
    return order, documents, {c.chunk_id: (c, index_text(c)) for cs in chunks.values() for c in cs}


def test_write_from_plain_data_returns_what_it_wrote_and_reuses_it(tmp_path: Path) -> None:
    order, documents, new = _plan(TEXTS)
    first = writer.write(tmp_path, {"format": 1}, order, documents, new, {})
    assert first.manifest == orjson.loads((tmp_path / "manifest.json").read_bytes())
    assert first.manifest["documents"] == documents and first.manifest["fingerprint"] == {"format": 1}
    assert first.bm25.chunk_ids == order and first.bm25.extra["generation"] == first.manifest["generation"]
    assert list(first.chunks.items()) == list(read_all(tmp_path / "chunks.jsonl").items())
    from_scratch = AccentCounts()
    from_scratch.add(new[c][0].text for c in order)
    assert writer.read_accent_counts(first.bm25) == from_scratch

    changed = {"a.txt": TEXTS["a.txt"], "b.txt": ["Tiếp công dân định kỳ hằng tuần.", *TEXTS["b.txt"][1:]]}
    order2, documents2, all_new = _plan(changed)
    new2 = {c: all_new[c] for c in ("b.txt#0",)}  # one chunk changed; the others come from the first write
    second = writer.write(tmp_path, {"format": 1}, order2, documents2, new2, first.chunks, first.bm25)
    fresh = BM25Index.build(order2, [all_new[c][1] for c in order2])
    for q in ("tiếp công dân", "bao cao quy", "hằng tuần"):
        assert second.bm25.search(q, 10) == fresh.search(q, 10)
    expected = AccentCounts()
    expected.add(all_new[c][0].text for c in order2)
    assert writer.read_accent_counts(second.bm25) == expected
    assert [c.text for c in second.chunks.values()] == [all_new[c][0].text for c in order2]
    assert second.manifest["generation"] != first.manifest["generation"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bm25", "chunks.jsonl", "manifest.json"]


def test_the_store_comparison_holds_the_same_data_both_ways(tmp_path: Path) -> None:
    """`python -m assistant.bench.indexing store-compare` (docs/WRITE_PATH.md) compares like with like."""
    from assistant.bench.indexing import store_compare
    from assistant.settings import Settings

    res = store_compare(Settings(data_dir=tmp_path), "bundled", repeats=1)
    assert res["same_data"] and res["documents"] == 5 and res["chunks"] > 40
    assert all(res[k] > 0 for k in ("files_write_s", "files_open_s", "sqlite_write_s", "sqlite_open_s"))
    assert res["files_counts_s"] < res["files_write_s"] and res["sqlite_counts_s"] < res["sqlite_write_s"]
