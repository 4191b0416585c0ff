from pathlib import Path

import numpy as np
import pytest

from index.embed import HashEmbedder
from index.store import EXACT_MAX, DenseStore, LlamaIndexEmbedding, chroma_client
from index.types import Chunk, DocMeta, Filters


def chunk(cid: str, doc: str, text: str, issuer: str = "", date: str = "") -> Chunk:
    return Chunk(cid, doc, doc, 0, text, 0, len(text), "", DocMeta(issuer=issuer, date=date))


def make_store(tmp_path: Path, exact_max: int = EXACT_MAX) -> tuple[DenseStore, list[Chunk]]:
    emb = HashEmbedder()
    store = DenseStore(chroma_client(tmp_path / "chroma"), emb, exact_max=exact_max)
    chunks = [
        chunk("a#0", "a.txt", "Phòng Nội vụ tổng hợp báo cáo quý", "UBND quận Ba Đình", "2025-02"),
        chunk("b#0", "b.txt", "Phòng Nội vụ quận Gò Vấp nhận báo cáo hàng quý", "UBND quận Gò Vấp", "2010-02-09"),
        chunk("c#0", "c.txt", "Mặt trận Tổ quốc giám sát cán bộ", "Thành ủy Hà Nội", "2018-03-07"),
    ]
    texts = [c.text for c in chunks]
    store.add(chunks, emb.embed_passages(texts))
    return store, chunks


@pytest.mark.parametrize("exact_max", [EXACT_MAX, 0], ids=["in memory", "hnsw"])
def test_search_returns_cosine_and_respects_filters(tmp_path: Path, exact_max: int):
    store, _ = make_store(tmp_path, exact_max)
    hits = store.search("báo cáo quý Phòng Nội vụ", 3)
    assert {h for h, _ in hits[:2]} == {"a#0", "b#0"}
    assert all(-1.0 <= s <= 1.0 for _, s in hits)
    only_2010 = store.search("báo cáo quý", 3, Filters(year_min=2000, year_max=2015))
    assert [h for h, _ in only_2010] == ["b#0"]
    by_issuer = store.search("báo cáo", 3, Filters(issuers=("Thành ủy Hà Nội",)))
    assert [h for h, _ in by_issuer] == ["c#0"]
    by_source = store.search("báo cáo", 3, Filters(sources=("a.txt", "c.txt")))
    assert {h for h, _ in by_source} == {"a#0", "c#0"}


def test_delete_by_document_and_ids_persist(tmp_path: Path):
    store, _ = make_store(tmp_path)
    store.delete_doc("a.txt")
    store.delete_ids(["c#0"])
    reopened = DenseStore(chroma_client(tmp_path / "chroma"), HashEmbedder())
    assert reopened.ids() == {"b#0"}


def test_chroma_keeps_vectors_and_filter_metadata_not_text(tmp_path: Path):
    """The text lives in the chunk list only: storing it in Chroma too doubled the time of a write."""
    store, chunks = make_store(tmp_path)
    got = store.collection.get(ids=["a#0"], include=["documents", "metadatas"])
    assert not got["documents"][0]
    meta = got["metadatas"][0]
    assert (meta["source"], meta["issuer"], meta["year"]) == ("a.txt", "UBND quận Ba Đình", 2025)
    assert chunks[0].text not in str(meta)


def test_collection_has_no_chroma_embedding_function(tmp_path: Path):
    store, _ = make_store(tmp_path)
    # Chroma's default embedding function would download a model; ours must be absent.
    assert store.collection._embedding_function is None


def test_llama_index_embedding_wrapper_uses_our_embedder():
    emb = HashEmbedder()
    li = LlamaIndexEmbedding(emb)
    assert np.allclose(li.get_query_embedding("báo cáo"), emb.embed_queries(["báo cáo"])[0])
    assert np.allclose(li.get_text_embedding_batch(["a b", "c"])[1], emb.embed_passages(["c"])[0])


def test_adding_an_existing_id_replaces_its_vector(tmp_path: Path):
    store, chunks = make_store(tmp_path)
    assert store.search("Mặt trận Tổ quốc giám sát cán bộ", 1, Filters(sources=("a.txt",)))[0][1] < 0.99
    emb = HashEmbedder()
    changed = chunk("a#0", "a.txt", "Mặt trận Tổ quốc giám sát cán bộ", "UBND quận Ba Đình", "2025-02")
    store.add([changed], emb.embed_passages([changed.text]))
    assert store.ids() == {"a#0", "b#0", "c#0"}
    top = store.search("Mặt trận Tổ quốc giám sát cán bộ", 3, Filters(sources=("a.txt",)))
    assert top[0][0] == "a#0" and top[0][1] > 0.99


def _spied(store: DenseStore) -> list[str]:
    calls: list[str] = []
    for name in ("count", "query", "get"):
        original = getattr(store.collection, name)

        def spy(*args, _name=name, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _original(*args, **kwargs)

        setattr(store.collection, name, spy)
    return calls


def test_a_small_store_is_read_once_and_searched_in_memory(tmp_path: Path):
    """Chroma rebuilt the unsaved part of its HNSW graph at each opening, in parallel: the same query on the same
    store missed its best passage after some openings. A store of at most EXACT_MAX vectors is compared whole."""
    store, _ = make_store(tmp_path)
    calls = _spied(store)
    hits = store.search("báo cáo quý", 50)  # k above the stored count: all of them
    assert len(hits) == 3 and calls == ["count", "get"]
    assert store.search("giám sát cán bộ", 2) and calls == ["count", "get"]  # no request after the first
    store.delete_ids(["c#0"])
    assert {h for h, _ in store.search("giám sát cán bộ", 5)} == {"a#0", "b#0"}  # a write is read again
    empty = DenseStore(chroma_client(tmp_path / "empty"), HashEmbedder())
    assert empty.search("báo cáo quý", 5) == []


def test_a_large_store_is_one_hnsw_request_a_search_with_the_same_ranks(tmp_path: Path):
    small, _ = make_store(tmp_path / "small")
    large, _ = make_store(tmp_path / "large", exact_max=2)
    calls = _spied(large)
    assert large.search("báo cáo quý", 50) == small.search("báo cáo quý", 50)
    assert calls == ["count", "query"]
    large.search("giám sát cán bộ", 2)
    assert calls == ["count", "query", "query"]


def test_scores_are_exact_cosines_and_ties_are_ordered_by_id(tmp_path: Path):
    """Dense ranks do not depend on HNSW's float32 sums: exact float64 cosines, equal ones by chunk id."""
    emb = HashEmbedder()
    store = DenseStore(chroma_client(tmp_path / "chroma"), emb)
    text = "Phòng Nội vụ tổng hợp báo cáo quý"
    twins = [chunk(cid, "t.txt", text) for cid in ("t#2", "t#0", "t#1")]  # same vector three times
    other = chunk("o#0", "o.txt", "Mặt trận Tổ quốc giám sát cán bộ")
    vectors = emb.embed_passages([text] * 3 + [other.text])
    store.add([*twins, other], vectors)
    hits = store.search(text, 4)
    assert [h for h, _ in hits[:3]] == ["t#0", "t#1", "t#2"]
    q = np.asarray(emb.embed_queries([text])[0], dtype=np.float64)
    v = np.asarray(vectors[3], dtype=np.float64)
    expected = round(float(q @ v / (np.linalg.norm(q) * np.linalg.norm(v))), 9)
    assert hits[3] == ("o#0", expected)
