"""Hybrid retrieval: BM25 and dense candidates fused (convex fusion of standardised scores, or RRF), with filters."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from index.fusion import convex, rrf
from index.normalize import normalize
from index.pipeline import PlanIndex
from index.types import Filters, Retrieved

log = logging.getLogger(__name__)

FUSIONS = ("convex", "rrf")


class HybridRetriever:
    """Searches a `PlanIndex` both ways and fuses the two candidate lists.

    `fusion="convex"` ranks by `fusion_alpha * z(dense) + (1 - fusion_alpha) * z(bm25)` (standardised
    scores, see `index.fusion.convex`); `fusion="rrf"` by reciprocal ranks with constant `rrf_k`.

    >>> import tempfile; from pathlib import Path; from index.embed import HashEmbedder
    >>> docs, home = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> _ = (docs / "kh.txt").write_text("KẾ HOẠCH\\n1. Phòng Nội vụ tổng hợp báo cáo quý.\\n", encoding="utf-8")
    >>> index = PlanIndex(home, HashEmbedder()); _ = index.sync([docs])
    >>> hits = HybridRetriever(index, candidate_k=30).retrieve("Ai tổng hợp báo cáo quý?", k=5)
    >>> hits[0].chunk.source, "Phòng Nội vụ" in hits[0].chunk.text
    ('kh.txt', True)
    """

    def __init__(
        self,
        index: PlanIndex,
        candidate_k: int = 30,
        rrf_k: int = 60,
        use_dense: bool = True,
        use_bm25: bool = True,
        fusion: str = "convex",
        fusion_alpha: float = 0.5,
    ) -> None:
        if not (use_dense or use_bm25):
            raise ValueError("At least one retriever must be on.")
        if fusion not in FUSIONS:
            raise ValueError(f"Unknown fusion {fusion!r}; choose one of {', '.join(FUSIONS)}.")
        if not 0.0 <= fusion_alpha <= 1.0:
            raise ValueError(f"fusion_alpha must lie in [0, 1], got {fusion_alpha}.")
        self.index = index
        self.candidate_k = candidate_k
        self.rrf_k = rrf_k
        self.use_dense = use_dense
        self.use_bm25 = use_bm25
        self.fusion = fusion
        self.fusion_alpha = fusion_alpha

    def retrieve(
        self,
        query: str,
        k: int = 5,
        filters: Filters | None = None,
        lexical_query: str | Sequence[str] | None = None,
    ) -> list[Retrieved]:
        """The k best chunks for `query`, best first.

        BM25 searches `query`, or `lexical_query` when given: one query, or several whose lists share BM25's
        weight (a question typed without accents, and with the accents we guessed). Empty queries search
        nothing: `""` or `()` means no BM25 at all (e.g. no Vietnamese term was found for an English question).
        """
        q = normalize(query)
        if lexical_query is None:
            lexical_query = [q]
        elif isinstance(lexical_query, str):
            lexical_query = [lexical_query]
        lexical = list(dict.fromkeys(n for n in map(normalize, lexical_query) if n)) if self.use_bm25 else []
        chunks = self.index.chunks()
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = self.index.allowed_ids(filters)  # from the manifest: no chunk is parsed
            if not allowed:
                return []
        bm25_lists = [
            [(cid, s) for cid, s in self.index.bm25().search(lq, self.candidate_k, allowed) if cid in chunks]
            for lq in lexical
        ]
        dense_hits = self.index.dense().search(q, self.candidate_k, filters) if self.use_dense else []
        dense_hits = [(cid, s) for cid, s in dense_hits if cid in chunks and (allowed is None or cid in allowed)]
        share = 1.0 / max(len(bm25_lists), 1)  # several BM25 lists split one side's weight
        if self.fusion == "convex":
            weights = [share * (1.0 - self.fusion_alpha)] * len(bm25_lists) + [self.fusion_alpha]
            fused = convex([*bm25_lists, dense_hits], weights=weights)
        else:
            ranked = [[c for c, _ in hits] for hits in [*bm25_lists, dense_hits]]
            fused = rrf(ranked, k=self.rrf_k, weights=[share] * len(bm25_lists) + [1.0])
        bm25_rank: dict[str, int] = {}
        for hits in bm25_lists:
            for i, (cid, _) in enumerate(hits, start=1):
                bm25_rank[cid] = min(i, bm25_rank.get(cid, i))
        dense_rank = {cid: i for i, (cid, _) in enumerate(dense_hits, start=1)}
        dense_score = dict(dense_hits)
        return [
            Retrieved(chunks[cid], score, bm25_rank.get(cid), dense_rank.get(cid), dense_score.get(cid))
            for cid, score in fused[:k]
        ]
