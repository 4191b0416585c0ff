"""Benchmarks of retrieval quality (XQuAD), latency and indexing as the corpus grows.

Shared helpers live here: stage timing, a query-memoising embedder wrapper and the bench working folder;
percentiles and memory (MiB) are `assistant.measure`'s, as for the evaluation and the load test. Heavy modules
(chromadb, llama-index, matplotlib) are imported where used.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from assistant.measure import peak_rss_mib, percentile, rss_mib

__all__ = ["MemoQueries", "Timer", "bench_root", "peak_rss_mib", "percentile", "rss_mib"]


class Timer:
    """Accumulates wall-clock seconds per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the body and add it to `name`."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0


class MemoQueries:
    """Wraps an embedder so that each distinct query is embedded once (benchmarks ask the same text
    through several retrievers); passages and token counts go straight through, and the name is the
    inner one, so the index fingerprint is unchanged."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens
        self._memo: dict[str, np.ndarray] = {}

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for queries, memoised."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            for t, row in zip(todo, self.inner.embed_queries(todo), strict=True):
                self._memo[t] = row
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Rows for passages (not memoised here: the embedder's own cache does that)."""
        return self.inner.embed_passages(texts)

    def count_tokens(self, text: str) -> int:
        """Delegates to the model's tokenizer."""
        return int(self.inner.count_tokens(text))


def bench_root(data_dir: Path) -> Path:
    """Working folder of the benchmarks (indexes of bench corpora), under the data folder."""
    return data_dir / "bench"
