"""Lexical side of the index: bm25s over normalised syllables plus diacritic-folded copies.

No stemming, no stopwords, one-letter syllables kept ("ở", "ý"): Vietnamese words are syllables, and
the folded copies let questions typed without accents match. Our own file records the tokenizer, so a
reload can never silently fall back to other settings (llama-index's BM25 `persist()` forgets them).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.errors import IndexDamagedError
from index.normalize import NORMALISER_VERSION, fold_tokens, tokenize

log = logging.getLogger(__name__)

TOKENIZER_ID = f"syllables+folded/normaliser-{NORMALISER_VERSION}"


def bm25_tokens(text: str) -> list[str]:
    """Index terms of a text: its syllables and their folded copies (once each when identical)."""
    toks = tokenize(text)
    folded = [f for t, f in zip(toks, fold_tokens(toks), strict=True) if f != t]
    return toks + folded


class BM25Index:
    """An immutable BM25 index over chunk ids; rebuild or load, then search."""

    def __init__(
        self,
        chunk_ids: Sequence[str],
        model: object | None,
        k1: float = 1.2,
        b: float = 0.75,
        df: dict[str, int] | None = None,
    ):
        self.chunk_ids = list(chunk_ids)
        self.df = df or {}
        self._pos = {cid: i for i, cid in enumerate(self.chunk_ids)}
        self._model = model
        self.k1, self.b = k1, b

    @classmethod
    def build(
        cls, chunk_ids: Sequence[str], texts: Sequence[str], k1: float = 1.2, b: float = 0.75
    ) -> BM25Index:
        """Index `texts` (one per chunk id)."""
        import bm25s

        if not chunk_ids:
            return cls([], None, k1, b)
        model = bm25s.BM25(k1=k1, b=b)
        corpus = [bm25_tokens(t) or [""] for t in texts]
        model.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        for toks in corpus:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        return cls(chunk_ids, model, k1, b, df)

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
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunk_ids[i], float(scores[i])) for i in top]

    def save(self, folder: Path) -> None:
        """Write the index to `folder` (replaced as a whole by the caller)."""
        folder.mkdir(parents=True, exist_ok=True)
        if self._model is not None:
            self._model.save(str(folder / "bm25s"), show_progress=False)  # type: ignore[attr-defined]
        meta = {
            "tokenizer": TOKENIZER_ID,
            "k1": self.k1,
            "b": self.b,
            "chunk_ids": self.chunk_ids,
            "df": self.df,
        }
        (folder / "bm25.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        """Read an index written by `save`; a different tokenizer is an error, not a silent default."""
        import bm25s

        try:
            meta = json.loads((folder / "bm25.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise IndexDamagedError(f"BM25 index unreadable in {folder}: {e}") from e
        if meta.get("tokenizer") != TOKENIZER_ID:
            raise IndexDamagedError("BM25 index was built with another tokenizer; rebuild the index.")
        model = None
        if meta["chunk_ids"]:
            model = bm25s.BM25.load(str(folder / "bm25s"), show_progress=False, verbosity=0)
        return cls(meta["chunk_ids"], model, meta["k1"], meta["b"], meta.get("df", {}))
