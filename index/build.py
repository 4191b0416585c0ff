"""The embedding side of one build: passages and sentences embedded as documents are cut, with one progress line.

`PlanIndex.sync` hands a `BuildEmbedding` to `index.ingest.plan` as its sink: while worker processes read the next
files (`index.ingest.read_files`), the main process embeds the chunks already cut, a few batches at a time, so
reading, OCR and the model run at once. Vectors only go to memory and to the embedder's vector cache; the index
is written after the plan, as before (docs/WRITE_PATH.md), so an interrupted build leaves the index as it was and
its rerun finds the vectors of every batch done in the cache.

    with BuildEmbedding(embedder, 16, sentences, BuildProgress()) as build:
        plan = ingest.plan(..., sink=build)
        vectors = build.passages(plan.texts)
        build.extras(texts)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from index.embed import Embedder
from index.ingest import embed, index_text
from index.types import Chunk

FLUSH_BATCHES = 8  # batches of texts gathered before embedding: long enough to sort by length, short enough to overlap
# They go to the embedder in one call: sorted by tokens together (less padding), and a runtime that runs batches
# side by side (onnx-e5's q4) keeps its threads busy; the vector cache commits once per call.


class BuildProgress:
    """One line for a whole build: documents read, passages and sentences embedded, and an ETA for all remaining
    work. Shown on a terminal only (tqdm's own test: nothing in logs, pipes or tests)."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = enabled  # None: when stderr is a terminal
        self.documents = 0
        self.read = 0
        self.queued = 0  # texts (passages and sentences) handed to the model so far, embedded or pending
        self.embedded = {"passages": 0, "sentences": 0}
        self.embed_seconds = 0.0
        self.start = time.perf_counter()
        self._bar: Any = None

    def expect(self, documents: int) -> None:
        """Start the line for `documents` files to read."""
        from tqdm import tqdm

        self.documents, self.start = documents, time.perf_counter()
        if documents:
            self._bar = tqdm(
                total=documents,
                desc="Lập chỉ mục (indexing)",
                unit="doc",
                disable=not (sys.stderr.isatty() if self.enabled is None else self.enabled),
                bar_format="{desc}: {n_fmt}/{total_fmt} văn bản (documents) |{bar:20}| {postfix}",
                leave=True,
            )
        self._draw()

    def took(self, texts: int) -> None:
        """One more document read, of `texts` texts to embed."""
        self.read += 1
        self.queued += texts
        if self._bar is not None:
            self._bar.update(1)
        self._draw()

    def embedding(self, kind: str) -> Callable[[int, float], None]:
        """The progress callback of `index.ingest.embed` for texts of `kind` ("passages" or "sentences")."""

        def done(n: int, seconds: float) -> None:
            self.embedded[kind] += n
            self.embed_seconds += seconds
            self._draw()

        return done

    def eta(self) -> float | None:
        """Seconds left: the texts still to embed at the rate so far (those of files not read yet estimated from
        the files read), plus the main process's waits for files at their rate so far; None before any rate."""
        done = sum(self.embedded.values())
        if not self.read or not done or not self.embed_seconds:
            return None
        left_files = max(self.documents - self.read, 0)
        texts_total = self.queued * self.documents / self.read if self.documents else self.queued
        embed_left = max(texts_total - done, 0) / (done / self.embed_seconds)
        waiting = max(time.perf_counter() - self.start - self.embed_seconds, 0.0)
        return embed_left + waiting / self.read * left_files

    def line(self) -> str:
        """The counters and the ETA, as shown after the bar."""
        eta = self.eta()
        left = "?" if eta is None else f"{int(eta) // 60}:{int(eta) % 60:02d}"
        e = self.embedded
        return f"{e['passages']} đoạn (passages), {e['sentences']} câu (sentences), còn (ETA) {left}"

    def _draw(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self.line(), refresh=True)

    def close(self) -> None:
        """End the line."""
        if self._bar is not None:
            self._draw()
            self._bar.close()
            self._bar = None


class BuildEmbedding:
    """The vectors of one build's new chunks (kept in memory for the index) and their sentences (`extra_texts`,
    only into the embedder's vector cache), embedded `FLUSH_BATCHES` batches at a time as documents are cut.

    A text already embedded in this build (a boilerplate paragraph in many documents, a sentence that is a whole
    passage) is not embedded again.
    """

    def __init__(
        self,
        embedder: Embedder,
        batch_size: int,
        extra_texts: Callable[[Chunk], list[str]] | None = None,
        progress: BuildProgress | None = None,
    ) -> None:
        self.embedder = embedder
        self.batch_size = batch_size
        self.call_size = FLUSH_BATCHES * batch_size  # texts per call of the embedder
        self.extra_texts = extra_texts
        self.progress = progress or BuildProgress(enabled=False)
        self.vectors: dict[str, np.ndarray] = {}  # passage text -> vector
        self.extras_done: set[str] = set()
        self._passages: list[str] = []
        self._extras: list[str] = []

    def __enter__(self) -> BuildEmbedding:
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.close()

    # ------------------------------------------------------------------ the sink of `ingest.plan`
    def expect(self, documents: int) -> None:
        """How many files will be read."""
        self.progress.expect(documents)

    def take(self, chunks: Sequence[Chunk]) -> None:
        """Queue one document's passages and sentences; embed when enough are waiting."""
        passages = [index_text(c) for c in chunks]
        extras = [t for c in chunks for t in self.extra_texts(c)] if self.extra_texts else []
        self._passages.extend(passages)
        self._extras.extend(extras)
        self.progress.took(len(passages) + len(extras))
        if len(self._passages) >= FLUSH_BATCHES * self.batch_size:
            self._embed_passages()
        if len(self._extras) >= FLUSH_BATCHES * self.batch_size:
            self._embed_extras()

    # ------------------------------------------------------------------ results
    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of `texts`, one row each (those not embedded yet are now)."""
        self._passages.extend(texts)
        self._embed_passages()
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts])

    def extras(self, texts: Sequence[str]) -> None:
        """Embed `texts` into the vector cache (those not embedded yet in this build)."""
        self._extras.extend(texts)
        self._embed_extras()

    def _embed_passages(self) -> None:
        todo = [t for t in dict.fromkeys(self._passages) if t not in self.vectors]
        self._passages = []
        if todo:
            rows = embed(self.embedder, todo, self.call_size, self.progress.embedding("passages"))
            self.vectors.update(zip(todo, rows, strict=True))

    def _embed_extras(self) -> None:
        todo = [t for t in dict.fromkeys(self._extras) if t not in self.extras_done and t not in self.vectors]
        self._extras = []
        if todo:
            embed(self.embedder, todo, self.call_size, self.progress.embedding("sentences"))
            self.extras_done.update(todo)
