"""The commit of an index's chunk set to disk: chunks.jsonl, then bm25/, then the manifest, last.

`write` is a function of plain arguments (the folder, the chunk order, the manifest's documents, the new
chunks, what the previous write left) and returns the state it wrote (`Written`); `PlanIndex.sync` applies
a `index.ingest.SyncPlan` with it.

Write order and what a crash leaves:
1. chunks.jsonl is written to chunks.jsonl.tmp, and bm25/ (score matrix, term counts, accent counts, the
   offsets of chunks.jsonl's lines, the record of the write) to bm25.tmp/; a failure here deletes the
   temporary chunk file and leaves the index as it was.
2. chunks.jsonl.tmp is renamed over chunks.jsonl; bm25/ is replaced as a whole (bm25/ renamed to bm25.old/,
   bm25.tmp/ to bm25/, bm25.old/ deleted).
3. manifest.json is written last, atomically (a .tmp file, fsynced, renamed), after the stores commit, so a
   crash mid-ingest leaves the previous manifest and the next `sync` repairs the stores against it: files
   of two writes side by side differ in generation or size, and are read in full and rewritten once.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from index.accents import AccentCounts
from index.bm25 import BM25Index, TermCounts, bm25_tokens
from index.chunkstore import ChunkStore, ChunkWriter
from index.files import atomic_write
from index.ingest import NoStages, Stages, index_text
from index.layout import ACCENTS, CHUNKS, MANIFEST, OFFSETS
from index.types import Chunk

log = logging.getLogger("index.pipeline")  # one logger for the index: operators filter its messages by it


@dataclass
class Written:
    """What one `write` left on disk, as the index reads it back."""

    manifest: dict[str, Any]
    bm25: BM25Index
    chunks: ChunkStore


def read_accent_counts(bm25: BM25Index) -> AccentCounts | None:
    """The accent model's counts stored beside `bm25` by its write (None: written without them, or unreadable)."""
    path = bm25.folder / ACCENTS if bm25.folder is not None else None
    if path is None or not bm25.extra.get("accents") or not path.is_file():
        return None
    try:
        return AccentCounts.from_json(orjson.loads(path.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("accent counts unreadable (%s): counting them again", e)
        return None


def write(
    index_dir: Path,
    fingerprint: dict[str, Any],
    order: list[str],
    documents: dict[str, Any],
    new: dict[str, tuple[Chunk, str]],
    old: Mapping[str, Chunk],
    previous: BM25Index | None = None,
    stages: Stages | None = None,
) -> Written:
    """Commit the chunk set `order`: chunks.jsonl, then bm25/ (one rename), then the manifest, last.

    `new` holds the new chunks with their index text, `old` the chunks read before. `previous` is the lexical
    index of the write that wrote `old`, given only when `old` is a `ChunkStore` of that write (CRC checked):
    then unchanged lines are copied as bytes and unchanged chunks keep their term and accent counts;
    otherwise every chunk is serialised and counted again.
    """
    stages = stages or NoStages()
    generation = uuid.uuid4().hex
    with stages.stage("write.chunks_jsonl"):
        offsets, crc, tmp_chunks = write_chunks(index_dir, order, new, old)
    try:
        with stages.stage("write.bm25_term_counts"):
            bm25 = BM25Index.from_counts(order, term_counts(order, new, old, previous))
        bm25.extra = {
            "generation": generation,
            "chunks_bytes": int(offsets[-1]),
            "chunks_crc32": crc,
            "accents": ACCENTS,
        }
        with stages.stage("write.accent_counts"):
            stored = read_accent_counts(previous) if previous is not None else None
            accents = accent_counts(order, new, old, previous, stored)
        tmp = index_dir / "bm25.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        bm25.save(tmp)
        np.save(tmp / OFFSETS, offsets)
        (tmp / ACCENTS).write_bytes(orjson.dumps(accents.to_json()))
    except BaseException:
        tmp_chunks.unlink(missing_ok=True)
        raise
    os.replace(tmp_chunks, index_dir / CHUNKS)
    old_dir = index_dir / "bm25.old"
    shutil.rmtree(old_dir, ignore_errors=True)
    if (index_dir / "bm25").exists():
        os.replace(index_dir / "bm25", old_dir)
    os.replace(tmp, index_dir / "bm25")
    shutil.rmtree(old_dir, ignore_errors=True)
    manifest = {"fingerprint": fingerprint, "generation": generation, "documents": documents}
    atomic_write(index_dir / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    bm25.folder = index_dir / "bm25"
    return Written(manifest, bm25, ChunkStore(index_dir / CHUNKS, order, offsets))


def write_chunks(
    index_dir: Path, order: list[str], new: dict[str, tuple[Chunk, str]], old: Mapping[str, Chunk]
) -> tuple[np.ndarray, int, Path]:
    """chunks.jsonl.tmp in `order`; unchanged runs of lines are copied from a `ChunkStore` as bytes."""
    writer = ChunkWriter(index_dir / CHUNKS)
    store = old if isinstance(old, ChunkStore) else None

    def line_of(cid: str) -> int | None:  # where an unchanged chunk sits in a store we may copy from
        return store.position(cid) if store is not None and cid not in new else None

    try:
        i = 0
        while i < len(order):
            pos = line_of(order[i])
            if store is None or pos is None:
                writer.add(new[order[i]][0] if order[i] in new else old[order[i]])
                i += 1
                continue
            j = i + 1  # extend the run while the old file has the next chunk on the next line
            while j < len(order) and line_of(order[j]) == pos + j - i:
                j += 1
            writer.copy(store, pos, pos + j - i)
            i = j
        offsets, crc = writer.finish()
    except BaseException:
        writer.abort()
        raise
    return offsets, crc, writer.tmp


def term_counts(
    order: list[str],
    new: dict[str, tuple[Chunk, str]],
    old: Mapping[str, Chunk],
    previous: BM25Index | None,
) -> TermCounts:
    """BM25 term counts of `order`: kept rows of the previous index, new chunks tokenised."""
    counts = previous.counts() if previous is not None else None
    rows: list[int | None] = [None] * len(order)
    if previous is not None and counts is not None:
        rows = [previous.position(c) if c not in new else None for c in order]
    fresh = [c for c, r in zip(order, rows, strict=True) if r is None]
    if len(fresh) < len(order):
        log.info("BM25: %d chunks kept, %d tokenised", len(order) - len(fresh), len(fresh))
    added = TermCounts.from_tokens(bm25_tokens(new[c][1] if c in new else index_text(old[c])) for c in fresh)
    if counts is None:
        return added
    both = counts.extended(added)
    at = iter(range(counts.rows, both.rows))
    return both.select(np.asarray([r if r is not None else next(at) for r in rows], dtype=np.int64))


def accent_counts(
    order: list[str],
    new: dict[str, tuple[Chunk, str]],
    old: Mapping[str, Chunk],
    previous: BM25Index | None,
    stored: AccentCounts | None,
) -> AccentCounts:
    """Accent model counts of `order`: the `stored` counts of the `previous` write minus removed chunks plus new
    ones (counted from scratch without them). `stored` is changed in place."""
    counts = stored
    if counts is not None and previous is not None:
        kept = set(order).difference(new)
        try:
            counts.add((old[c].text for c in previous.chunk_ids if c not in kept), sign=-1)
            counts.add(new[c][0].text for c in order if c in new)
            return counts
        except ValueError as e:
            log.warning("accent counts out of step (%s): counting them again", e)
    counts = AccentCounts()
    counts.add((new[c][0] if c in new else old[c]).text for c in order)
    return counts
