"""The chunk list on disk: written with offsets, read on demand as a Mapping, copied as bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.chunkstore import ChunkStore, ChunkWriter, chunk_json, file_crc32, read_all
from index.errors import IndexDamagedError
from index.types import Chunk, DocMeta

META = DocMeta(title="Kế hoạch", issuer="UBND quận Ba Đình", date="2025-02-03", kind="KẾ HOẠCH")
CHUNKS = [
    Chunk(f"a.txt#{i}", "a.txt", "a.txt", i, f"Đoạn {i}: báo cáo quý “{i}”\n", 10 * i, 10 * i + 9, "I. MỤC ĐÍCH", META)
    for i in range(5)
] + [Chunk("b.txt#0", "b.txt", "b.txt", 0, "Phòng Nội vụ", 0, 12)]


def write(path: Path, chunks: list[Chunk]) -> ChunkStore:
    w = ChunkWriter(path)
    for c in chunks:
        w.add(c)
    offsets, crc = w.finish()
    w.tmp.replace(path)
    assert crc == file_crc32(path)
    return ChunkStore(path, [c.chunk_id for c in chunks], offsets)


def test_lines_are_the_chunks_to_dict_and_read_back_equal(tmp_path: Path) -> None:
    store = write(tmp_path / "chunks.jsonl", CHUNKS)
    lines = (tmp_path / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == [c.to_dict() for c in CHUNKS]  # what any JSON reader sees
    assert json.loads(chunk_json(CHUNKS[0])) == CHUNKS[0].to_dict()
    assert store.parsed == 0 and len(store) == 6 and list(store) == [c.chunk_id for c in CHUNKS]
    assert store["a.txt#3"] == CHUNKS[3] and store.parsed == 1
    assert "b.txt#0" in store and "c.txt#0" not in store and store.get("c.txt#0") is None
    with pytest.raises(KeyError):
        store["c.txt#0"]
    assert list(store.values()) == CHUNKS and dict(store.items()) == read_all(tmp_path / "chunks.jsonl")
    assert store["a.txt#1"].meta is store["a.txt#2"].meta  # one DocMeta per document


def test_copied_runs_keep_their_bytes_and_offsets(tmp_path: Path) -> None:
    old = write(tmp_path / "old.jsonl", CHUNKS)
    w = ChunkWriter(tmp_path / "new.jsonl")
    w.copy(old, 3, 5)
    added = Chunk("c.txt#0", "c.txt", "c.txt", 0, "Nội dung mới", 0, 12, "", META)
    w.add(added)
    w.copy(old, 5, 6)
    offsets, crc = w.finish()
    w.tmp.replace(tmp_path / "new.jsonl")
    assert crc == file_crc32(tmp_path / "new.jsonl")
    new = ChunkStore(tmp_path / "new.jsonl", ["a.txt#3", "a.txt#4", "c.txt#0", "b.txt#0"], offsets)
    assert [new.line(i) for i in (0, 1, 3)] == [old.line(3), old.line(4), old.line(5)]
    assert list(new.values()) == [CHUNKS[3], CHUNKS[4], added, CHUNKS[5]]


def test_a_file_that_is_not_the_one_the_offsets_describe_is_refused(tmp_path: Path) -> None:
    store = write(tmp_path / "chunks.jsonl", CHUNKS)
    offsets = store._offsets
    with open(tmp_path / "chunks.jsonl", "ab") as f:
        f.write(b"\n")
    with pytest.raises(ValueError):
        ChunkStore(tmp_path / "chunks.jsonl", [c.chunk_id for c in CHUNKS], offsets)
    assert store["b.txt#0"] == CHUNKS[-1]  # an open store keeps reading the file it opened


def test_misplaced_lines_are_reported_as_damage(tmp_path: Path) -> None:
    path = tmp_path / "chunks.jsonl"
    store = write(path, CHUNKS)
    ids = [c.chunk_id for c in CHUNKS]
    swapped = ChunkStore(path, ids[1:2] + ids[:1] + ids[2:], store._offsets)
    with pytest.raises(IndexDamagedError):
        swapped[ids[0]]
    with pytest.raises(IndexDamagedError):
        list(ChunkStore(path, ids[1:2] + ids[:1] + ids[2:], store._offsets).values())
