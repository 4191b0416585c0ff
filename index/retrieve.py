"""Hybrid retrieval: BM25 and dense candidates fused by reciprocal rank fusion, with optional filters."""

from __future__ import annotations

import logging

from index.fusion import rrf
from index.normalize import normalize
from index.pipeline import PlanIndex
from index.types import Filters, Retrieved

log = logging.getLogger(__name__)


class HybridRetriever:
    """Searches a `PlanIndex` both ways and fuses the ranks.

    >>> r = HybridRetriever(index, candidate_k=30); hits = r.retrieve("Ai báo cáo quý?", k=5)
    """

    def __init__(
        self,
        index: PlanIndex,
        candidate_k: int = 30,
        rrf_k: int = 60,
        use_dense: bool = True,
        use_bm25: bool = True,
    ) -> None:
        if not (use_dense or use_bm25):
            raise ValueError("At least one retriever must be on.")
        self.index = index
        self.candidate_k = candidate_k
        self.rrf_k = rrf_k
        self.use_dense = use_dense
        self.use_bm25 = use_bm25

    def retrieve(
        self, query: str, k: int = 5, filters: Filters | None = None, lexical_query: str | None = None
    ) -> list[Retrieved]:
        """The k best chunks for `query`, best first; `lexical_query` (if given) is what BM25 searches."""
        q = normalize(query)
        lq = normalize(lexical_query) if lexical_query else q
        chunks = self.index.chunks()
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = {cid for cid, c in chunks.items() if filters.accepts(c)}
            if not allowed:
                return []
        bm25_hits = self.index.bm25().search(lq, self.candidate_k, allowed) if self.use_bm25 else []
        dense_hits = self.index.dense().search(q, self.candidate_k, filters) if self.use_dense else []
        dense_hits = [
            (cid, s) for cid, s in dense_hits if cid in chunks and (allowed is None or cid in allowed)
        ]
        bm25_rank = {cid: i for i, (cid, _) in enumerate(bm25_hits, start=1)}
        dense_rank = {cid: i for i, (cid, _) in enumerate(dense_hits, start=1)}
        dense_score = dict(dense_hits)
        fused = rrf([[c for c, _ in bm25_hits], [c for c, _ in dense_hits]], k=self.rrf_k)
        return [
            Retrieved(chunks[cid], score, bm25_rank.get(cid), dense_rank.get(cid), dense_score.get(cid))
            for cid, score in fused[:k]
        ]
