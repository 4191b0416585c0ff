"""Dense side of the index: Chroma (local folder or server) behind llama-index's ChromaVectorStore.

Collections are created with no embedding function of Chroma's own (its default downloads a model);
vectors always come from our embedder, through a llama-index embedding wrapper passed explicitly.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode
from pydantic import PrivateAttr

from index.embed import Embedder
from index.errors import IndexPipelineError
from index.types import Chunk, Filters

log = logging.getLogger(__name__)

COLLECTION = "chunks"
_ADD_BATCH = 1000
DENSE_OVERFETCH = 10  # candidates asked of the approximate (HNSW) search beyond k, then rescored exactly
# Up to this many stored vectors a search compares the query with every one of them, in memory, instead of asking
# Chroma's HNSW graph: Chroma rebuilds the part of the graph it has not saved (up to 1,000 vectors) each time it
# opens a store, inserting in parallel, so the same query on the same store missed its best passage after some
# openings (3 of 40 on the real-documents index, r078). The server then holds ~12 KB more a vector (13,600
# vectors: 492 MiB against 328 with HNSW), so larger stores keep HNSW.
EXACT_MAX = 20_000
# Vectors read a page at a time: Chroma keeps the memory of a page once read (5,000 a page: +220 MB of RSS for
# 13,600 vectors, 500: +75 MB).
_GET_PAGE = 500
SCORE_DECIMALS = 9  # exact cosines are rounded here, so last-bit differences of BLAS kernels cannot reorder


class LlamaIndexEmbedding(BaseEmbedding):
    """Our embedder as a llama-index embedding model (query/passage prefixes handled by the embedder)."""

    _inner: Any = PrivateAttr()

    def __init__(self, inner: Embedder, **kwargs: Any) -> None:
        super().__init__(model_name=inner.name, embed_batch_size=16, **kwargs)
        self._inner = inner

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._inner.embed_queries([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._inner.embed_passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._inner.embed_passages(texts).tolist()


def chroma_client(path: Path | None = None, url: str = "") -> Any:
    """A Chroma client with telemetry off: HttpClient for a server URL, else PersistentClient in `path`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cfg = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if url:
        u = urlparse(url)
        if not u.hostname:
            raise IndexPipelineError(f"Invalid Chroma URL {url!r}.")
        return chromadb.HttpClient(host=u.hostname, port=u.port or 8000, ssl=u.scheme == "https", settings=cfg)
    if path is None:
        raise IndexPipelineError("Chroma needs a folder or a server URL.")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=cfg)


# Opens a local store the way a search does (count, then one query: the HNSW segment is loaded) in a child.
_PROBE = """
import sys, chromadb
from chromadb.config import Settings
client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))
names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
if sys.argv[2] in names:
    col = client.get_collection(sys.argv[2], embedding_function=None)
    if col.count():
        v = col.get(limit=1, include=["embeddings"])["embeddings"][0]
        col.query(query_embeddings=[v], n_results=min(10, col.count()), include=[])
"""
PROBE_TIMEOUT_S = 600


def probe_local(path: Path, collection: str = COLLECTION, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Why the local store in `path` cannot be opened and searched, or None when it can.

    It is tried in a child process because chromadb's HNSW loader can kill the process that opens a
    segment left half-written by a killed write (SIGSEGV instead of an exception: chroma-core/chroma#7238).
    """
    try:
        r = subprocess.run(
            [sys.executable, "-c", _PROBE, str(path), collection],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return f"opening it took over {timeout:.0f} s"
    if r.returncode < 0:
        return f"opening it killed the process (signal {-r.returncode})"
    if r.returncode:
        lines = r.stderr.strip().splitlines()
        return lines[-1] if lines else f"exit status {r.returncode}"
    return None


def _chunk_metadata(c: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "doc_id": c.doc_id,
        "source": c.source,
        "section": c.section,
        "ordinal": c.ordinal,
    }
    meta["issuer"] = c.meta.issuer
    meta["year"] = c.meta.year if c.meta.year is not None else -1
    return meta


def _to_chroma_where(f: Filters | None) -> dict[str, Any] | None:
    """Chroma's `where` clause for our filters (the metadata `_chunk_metadata` writes); None for no filter."""
    if f is None or f.is_empty():
        return None
    parts: list[dict[str, Any]] = []
    if f.sources:
        parts.append({"source": {"$in": list(f.sources)}})
    if f.issuers:
        parts.append({"issuer": {"$in": list(f.issuers)}})
    if f.year_min is not None:
        parts.append({"year": {"$gte": f.year_min}})
    if f.year_max is not None:
        parts.append({"year": {"$lte": f.year_max}})
    return parts[0] if len(parts) == 1 else {"$and": parts}


def exact_cosines(
    query: Sequence[float], ids: Sequence[str], vectors: Sequence[Any] | np.ndarray
) -> list[tuple[str, float]]:
    """(id, cosine) best first, computed in float64 and rounded to `SCORE_DECIMALS`; equal scores by id.

    Chroma's HNSW scores are float32 sums whose order follows the CPU's SIMD path (AVX-512 or AVX2), so a
    near tie among candidates could rank differently on another machine of the same kind; the exact
    cosine of the same stored vectors cannot.

    >>> exact_cosines([1.0, 0.0], ["b", "a", "c"], [[1.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    [('c', 1.0), ('a', 0.707106781), ('b', 0.707106781)]
    """
    q = np.asarray(query, dtype=np.float64)
    m = np.asarray(vectors, dtype=np.float64).reshape(len(ids), -1)
    norms = np.linalg.norm(m, axis=1) * max(float(np.linalg.norm(q)), 1e-12)
    cos = np.round((m @ q) / np.maximum(norms, 1e-12), SCORE_DECIMALS)
    return sorted(zip(ids, cos.tolist(), strict=True), key=lambda x: (-x[1], x[0]))


class _AllVectors:
    """Every stored vector and its filter metadata, in memory: an exact search."""

    def __init__(self, ids: list[str], vectors: np.ndarray, fields: list[tuple[str, str, int]]) -> None:
        self.ids = ids
        self.vectors = vectors  # float32, one row a chunk
        self.norms = np.maximum(np.linalg.norm(vectors, axis=1), 1e-12)
        self.sources = np.array([f[0] for f in fields], dtype=object)
        self.issuers = np.array([f[1] for f in fields], dtype=object)
        self.years = np.array([f[2] for f in fields], dtype=np.int64)

    def allowed(self, f: Filters | None) -> np.ndarray | None:
        """The rows `f` keeps, as `_to_chroma_where` asks Chroma to; None for all."""
        if f is None or f.is_empty():
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        if f.sources:
            keep &= np.isin(self.sources, list(f.sources))
        if f.issuers:
            keep &= np.isin(self.issuers, list(f.issuers))
        if f.year_min is not None:
            keep &= self.years >= f.year_min
        if f.year_max is not None:
            keep &= self.years <= f.year_max
        return np.flatnonzero(keep)

    def search(self, query: Sequence[float], k: int, filters: Filters | None) -> list[tuple[str, float]]:
        """The k best by exact cosine: every row is compared in float32, the best k + `DENSE_OVERFETCH` are
        rescored in float64 (`exact_cosines`), so the order depends on neither the SIMD path nor ties."""
        rows = self.allowed(filters)
        if rows is None:
            rows = np.arange(len(self.ids))
        if not len(rows):
            return []
        q = np.asarray(query, dtype=np.float32)
        sims = (self.vectors[rows] @ q) / self.norms[rows]
        n = min(k + DENSE_OVERFETCH, len(rows))
        best = rows[np.argpartition(-sims, n - 1)[:n]] if n < len(rows) else rows
        return exact_cosines(query, [self.ids[i] for i in best], self.vectors[best])[:k]


class DenseStore:
    """Chunk vectors in one Chroma collection, read and written through llama-index.

    A store of at most `exact_max` vectors is searched exactly, in memory (`_AllVectors`, read from Chroma at the
    first search and again after a write); a larger one through Chroma's HNSW index."""

    def __init__(
        self, client: Any, embedder: Embedder, collection: str = COLLECTION, exact_max: int = EXACT_MAX
    ) -> None:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.exact_max = exact_max
        self._all: _AllVectors | None = None
        self._counted = False  # whether `_all` is up to date: None then means more than `exact_max`
        self.embedder = embedder
        self.embed_model = LlamaIndexEmbedding(embedder)
        # embedding_function=None: Chroma must never embed by itself (its default downloads a model).
        self.collection = client.get_or_create_collection(
            collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Store chunks with precomputed vectors.

        Chroma keeps ids, vectors and filter metadata only, not the text: every reader takes the text from
        the chunk list (chunks.jsonl), and storing it too made Chroma index it for full-text search, half
        the time of a write (6.3 → 3.3 s for 6,000 chunks, `collection.add` alone).
        Nodes are built a batch at a time: a node holds its vector as a Python list (~30 bytes a float),
        so building all of them first cost gigabytes at 100k chunks.
        """
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks, {len(vectors)} vectors")
        self._forget()
        for i in range(0, len(chunks), _ADD_BATCH):
            batch: list[BaseNode] = []
            part = slice(i, i + _ADD_BATCH)
            for c, v in zip(chunks[part], vectors[part], strict=True):
                node = TextNode(id_=c.chunk_id, text="", embedding=v.tolist(), metadata=_chunk_metadata(c))
                node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=c.doc_id)
                batch.append(node)
            # Ids are positional (doc#n): after an interrupted ingest a stale vector may hold an id we
            # write again, and Chroma's add keeps the old one. Delete first so the new vector wins.
            self.collection.delete(ids=[n.node_id for n in batch])
            self.vector_store.add(batch)

    def delete_doc(self, doc_id: str) -> None:
        """Remove every chunk of a document."""
        self._forget()
        self.vector_store.delete(ref_doc_id=doc_id)

    def delete_ids(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        self._forget()
        if ids:
            self.collection.delete(ids=list(ids))

    def ids(self) -> set[str]:
        """Every chunk id in the collection."""
        return set(self.collection.get(include=[])["ids"])

    def count(self) -> int:
        """Number of stored vectors."""
        return int(self.collection.count())

    def _forget(self) -> None:
        self._all, self._counted = None, False

    def _all_vectors(self) -> _AllVectors | None:
        """Every stored vector, read once (in pages) while the store holds at most `exact_max`; else None."""
        if not self._counted:
            n = self.count()
            self._all = self._read_all(n) if n <= self.exact_max else None
            self._counted = True
        return self._all

    def _read_all(self, n: int) -> _AllVectors:
        ids: list[str] = []
        rows: list[np.ndarray] = []
        fields: list[tuple[str, str, int]] = []  # what `_to_chroma_where` filters on
        for offset in range(0, n, _GET_PAGE):
            got = self.collection.get(include=["embeddings", "metadatas"], limit=_GET_PAGE, offset=offset)
            ids += got["ids"]
            rows.append(np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1))
            for m in got["metadatas"]:
                m = m or {}
                fields.append((str(m.get("source", "")), str(m.get("issuer", "")), int(m.get("year", -1))))
        return _AllVectors(ids, np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32), fields)

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the k nearest chunks, best first (fewer when fewer are stored).

        Up to `exact_max` stored vectors: every one is compared (`_AllVectors`). Above: one request to Chroma
        for the ids and stored vectors of `k + DENSE_OVERFETCH` approximate (HNSW) neighbours, ranked by their
        exact cosine (`exact_cosines`), so the order does not depend on the machine's SIMD path.
        """
        qvec = self.embed_model.get_query_embedding(query)
        if (every := self._all_vectors()) is not None:
            return every.search(qvec, k, filters)
        res = self.collection.query(
            query_embeddings=[qvec],
            n_results=k + DENSE_OVERFETCH,
            where=_to_chroma_where(filters),
            include=["embeddings"],
        )
        ids, vectors = res["ids"][0], res["embeddings"][0]
        return exact_cosines(qvec, ids, vectors)[:k] if len(ids) else []
