"""Lexical side of the index: bm25s over normalised syllables plus diacritic-folded copies.

No stemming, no stopwords, one-letter syllables kept ("ở", "ý"): Vietnamese words are syllables, and
the folded copies let questions typed without accents match. Our own file records the tokenizer, so a
reload can never silently fall back to other settings (llama-index's BM25 `persist()` forgets them).

Each chunk's term counts are kept next to the bm25s matrix (`TermCounts`, one sparse row per chunk), so
a re-index tokenises only new chunks: the matrix is recomputed from the counts with numpy, with the same
scores bm25s's own `index()` gives for the same token lists.
"""

from __future__ import annotations

import logging
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import IndexDamagedError
from index.normalize import NORMALISER_VERSION, fold_tokens, tokenize

log = logging.getLogger(__name__)

TOKENIZER_ID = f"syllables+folded/normaliser-{NORMALISER_VERSION}"
COUNTS = "counts.npz"
_BLOCK = 1 << 22  # entries scored at a time: bounds the float64 temporaries to ~100 MB


def bm25_tokens(text: str) -> list[str]:
    """Index terms of a text: its syllables and their folded copies (once each when identical)."""
    toks = tokenize(text)
    folded = [f for t, f in zip(toks, fold_tokens(toks), strict=True) if f != t]
    return toks + folded


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k highest scores, best first; equal scores in position order.

    The same on every machine: `argpartition` alone picks among equal scores at the cut, and orders them,
    as its selection algorithm and SIMD path happen to (numpy dispatches AVX-512 or AVX2 code at run time),
    and ties are common in BM25 (chunks sharing the query's terms equally often). Every position tied with
    the k-th score is kept, then all are ordered by (score, position) and cut.

    >>> top_k(np.array([1.0, 3.0, 3.0, 2.0], dtype=np.float32), 2).tolist()
    [1, 2]
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(scores):
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        cand = np.flatnonzero(scores >= kth)
    else:
        cand = np.arange(len(scores))
    order = np.lexsort((cand, -scores[cand]))  # last key first: score descending, then position
    return cand[order[:k]]


@dataclass
class TermCounts:
    """Term counts of each chunk as sparse rows (CSR): row i holds `terms[indptr[i]:indptr[i+1]]` with
    their counts `tf[...]`; term ids index `vocab`. A chunk without terms counts the empty term once, as
    bm25s does."""

    vocab: list[str]
    indptr: np.ndarray  # int64, rows + 1
    terms: np.ndarray  # int32
    tf: np.ndarray  # unsigned counts

    @classmethod
    def empty(cls, vocab: Sequence[str] = ()) -> TermCounts:
        """No rows."""
        return cls(list(vocab), np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint16))

    @classmethod
    def from_tokens(cls, token_lists: Iterable[Sequence[str]], vocab: Sequence[str] = ()) -> TermCounts:
        """Count each list; `vocab` is extended (its existing ids are kept)."""
        words = list(vocab)
        ids = {w: i for i, w in enumerate(words)}
        # C arrays, not lists: 100k chunks hold ~30M (term, count) pairs.
        indptr, terms, tf = array("q", [0]), array("i"), array("I")
        for toks in token_lists:
            counted = Counter(toks or [""])
            for t in counted:
                if t not in ids:
                    ids[t] = len(words)
                    words.append(t)
            terms.extend(ids[t] for t in counted)
            tf.extend(counted.values())
            indptr.append(len(terms))
        counts = np.frombuffer(tf, dtype=np.uint32) if tf else np.zeros(0, np.uint32)
        return cls(
            words,
            np.frombuffer(indptr, dtype=np.int64).copy(),
            np.frombuffer(terms, dtype=np.int32).copy() if terms else np.zeros(0, np.int32),
            counts.astype(np.min_scalar_type(int(counts.max(initial=0)))),
        )

    @property
    def rows(self) -> int:
        """Number of chunks."""
        return len(self.indptr) - 1

    def row(self, i: int) -> dict[str, int]:
        """Term -> count of one chunk."""
        a, b = self.indptr[i], self.indptr[i + 1]
        return {self.vocab[t]: int(n) for t, n in zip(self.terms[a:b], self.tf[a:b], strict=True)}

    def extended(self, other: TermCounts) -> TermCounts:
        """These rows followed by `other`'s, in one vocabulary (ours first)."""
        ids = {w: i for i, w in enumerate(self.vocab)}
        vocab = list(self.vocab)
        for w in other.vocab:
            if w not in ids:
                ids[w] = len(vocab)
                vocab.append(w)
        remap = np.asarray([ids[w] for w in other.vocab], dtype=np.int32)
        tf_type = np.promote_types(self.tf.dtype, other.tf.dtype)
        return TermCounts(
            vocab,
            np.concatenate([self.indptr, other.indptr[1:] + self.indptr[-1]]),
            np.concatenate([self.terms, remap[other.terms] if len(remap) else other.terms]),
            np.concatenate([self.tf.astype(tf_type), other.tf.astype(tf_type)]),
        )

    def select(self, rows: np.ndarray) -> TermCounts:
        """The given rows, in that order, with terms no row uses dropped from the vocabulary."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = (self.indptr[1:] - self.indptr[:-1])[rows]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        gather = np.repeat(self.indptr[rows] - indptr[:-1], lengths) + np.arange(indptr[-1], dtype=np.int64)
        terms, tf = self.terms[gather], self.tf[gather]
        used = np.bincount(terms, minlength=len(self.vocab)) > 0
        remap = (np.cumsum(used) - 1).astype(np.int32)
        vocab = [w for w, u in zip(self.vocab, used, strict=True) if u]
        return TermCounts(vocab, indptr, remap[terms], tf)

    def save(self, path: Path) -> None:
        """Write as one uncompressed .npz (vocabulary included)."""
        with open(path, "wb") as f:
            np.savez(f, indptr=self.indptr, terms=self.terms, tf=self.tf, vocab=np.asarray("\n".join(self.vocab)))

    @classmethod
    def load(cls, path: Path) -> TermCounts:
        """Read what `save` wrote."""
        with np.load(path, allow_pickle=False) as z:
            text = str(z["vocab"])
            return cls(text.split("\n") if text or z["terms"].size else [], z["indptr"], z["terms"], z["tf"])


def _scores_model(counts: TermCounts, k1: float, b: float) -> Any:
    """A bm25s model (Lucene BM25) over `counts`, scored as bm25s's `index()` scores the same tokens."""
    import bm25s
    from scipy.sparse import csr_matrix

    n, n_vocab = counts.rows, len(counts.vocab)
    lengths = counts.indptr[1:] - counts.indptr[:-1]
    doc_of = np.repeat(np.arange(n, dtype=np.int32), lengths)
    doc_len = np.bincount(doc_of, weights=counts.tf, minlength=n).astype(np.int64)
    avg_len = doc_len.mean()
    df = np.bincount(counts.terms, minlength=n_vocab)
    values, where = np.unique(df, return_inverse=True)
    # math.log per distinct df, as bm25s computes it, so that the float32 idf is bit for bit the same.
    idf = np.asarray([math.log(1 + (n - int(d) + 0.5) / (int(d) + 0.5)) for d in values])[where].astype(np.float32)
    data = np.empty(len(counts.terms), dtype=np.float32)
    for a in range(0, len(data), _BLOCK):
        z = slice(a, a + _BLOCK)
        tf = counts.tf[z].astype(np.float64)
        tfc = tf / (k1 * ((1 - b) + b * doc_len[doc_of[z]] / avg_len) + tf)
        data[z] = idf[counts.terms[z]].astype(np.float64) * tfc
    csc = csr_matrix((data, counts.terms, counts.indptr), shape=(n, n_vocab)).tocsc()
    model = bm25s.BM25(k1=k1, b=b)
    model.scores = {"data": csc.data, "indices": csc.indices, "indptr": csc.indptr, "num_docs": n}
    model.vocab_dict = {w: i for i, w in enumerate(counts.vocab)}
    model.unique_token_ids_set = set(model.vocab_dict.values())
    model.nonoccurrence_array = None
    return model


class BM25Index:
    """An immutable BM25 index over chunk ids; build, load, then search."""

    def __init__(
        self,
        chunk_ids: Sequence[str],
        model: object | None,
        k1: float = 1.2,
        b: float = 0.75,
        df: dict[str, int] | None = None,
        counts: TermCounts | None = None,
        extra: dict[str, Any] | None = None,
        folder: Path | None = None,
    ):
        self.chunk_ids = list(chunk_ids)
        self.df = df or {}
        self._pos = {cid: i for i, cid in enumerate(self.chunk_ids)}
        self._model = model
        self.k1, self.b = k1, b
        self._counts = counts
        self.extra = dict(extra or {})  # what the pipeline records with the index (generation, offsets...)
        self.folder = folder

    @classmethod
    def build(cls, chunk_ids: Sequence[str], texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        """Index `texts` (one per chunk id)."""
        return cls.from_counts(chunk_ids, TermCounts.from_tokens(bm25_tokens(t) for t in texts), k1, b)

    @classmethod
    def from_counts(cls, chunk_ids: Sequence[str], counts: TermCounts, k1: float = 1.2, b: float = 0.75) -> BM25Index:
        """Index chunks from their term counts (row i is chunk_ids[i])."""
        if counts.rows != len(chunk_ids):
            raise ValueError(f"{counts.rows} count rows for {len(chunk_ids)} chunks")
        if not chunk_ids:
            return cls([], None, k1, b, counts=counts)
        df = np.bincount(counts.terms, minlength=len(counts.vocab))
        if (df == 0).any():  # terms of dropped rows: not part of this index
            counts = counts.select(np.arange(counts.rows))
            df = np.bincount(counts.terms, minlength=len(counts.vocab))
        return cls(
            chunk_ids, _scores_model(counts, k1, b), k1, b, dict(zip(counts.vocab, df.tolist(), strict=True)), counts
        )

    def position(self, chunk_id: str) -> int | None:
        """Row of a chunk, or None."""
        return self._pos.get(chunk_id)

    def counts(self) -> TermCounts | None:
        """Per-chunk term counts (read from disk on first use); None for an index saved without them."""
        if self._counts is None and self.folder is not None and (self.folder / COUNTS).is_file():
            try:
                self._counts = TermCounts.load(self.folder / COUNTS)
            except (OSError, ValueError, KeyError) as e:
                log.warning("BM25 term counts unreadable (%s): every chunk will be tokenised again", e)
                return None
            if self._counts.rows != len(self.chunk_ids):
                log.warning("BM25 term counts do not match the index: every chunk will be tokenised again")
                self._counts = None
        return self._counts

    def idf(self, term: str) -> float:
        """BM25 inverse document frequency of an index term (unknown terms get the highest value)."""
        n = len(self.chunk_ids)
        d = self.df.get(term, 0)
        return math.log(1.0 + (n - d + 0.5) / (d + 0.5))

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, score) of the k best chunks with a positive score, best first."""
        if self._model is None:
            return []
        q = [t for t in bm25_tokens(query) if t in self._model.vocab_dict]  # type: ignore[attr-defined]
        if not q:
            return []
        scores = np.asarray(self._model.get_scores(q), dtype=np.float32)  # type: ignore[attr-defined]
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            for cid in allowed:
                if (i := self._pos.get(cid)) is not None:
                    mask[i] = True
            scores = np.where(mask, scores, 0.0)
        k = min(k, int((scores > 0).sum()))
        if k <= 0:
            return []
        return [(self.chunk_ids[i], float(scores[i])) for i in top_k(scores, k)]

    def save(self, folder: Path) -> None:
        """Write the index (and the term counts, when known) to `folder` (replaced as a whole by the caller)."""
        import orjson

        folder.mkdir(parents=True, exist_ok=True)
        if self._model is not None:
            self._model.save(str(folder / "bm25s"), show_progress=False)  # type: ignore[attr-defined]
        if self._counts is not None:
            self._counts.save(folder / COUNTS)
        meta = {
            "tokenizer": TOKENIZER_ID,
            "k1": self.k1,
            "b": self.b,
            "chunk_ids": self.chunk_ids,
            "df": self.df,
            **self.extra,
        }
        (folder / "bm25.json").write_bytes(orjson.dumps(meta))

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        """Read an index written by `save`; a different tokenizer is an error, not a silent default.

        The score matrix is memory-mapped (shared by processes, paged in as queries touch it); the term
        counts are read only when a re-index needs them.
        """
        import bm25s
        import orjson

        try:
            meta = orjson.loads((folder / "bm25.json").read_bytes())
        except (OSError, ValueError) as e:
            raise IndexDamagedError(f"BM25 index unreadable in {folder}: {e}") from e
        if meta.get("tokenizer") != TOKENIZER_ID:
            raise IndexDamagedError("BM25 index was built with another tokenizer; rebuild the index.")
        model = None
        if meta["chunk_ids"]:
            model = bm25s.BM25.load(str(folder / "bm25s"), show_progress=False, verbosity=0, mmap=True)
        extra = {k: v for k, v in meta.items() if k not in ("tokenizer", "k1", "b", "chunk_ids", "df")}
        return cls(meta["chunk_ids"], model, meta["k1"], meta["b"], meta.get("df", {}), extra=extra, folder=folder)
