"""The index as a whole: its files on disk, opened to search, and `PlanIndex.sync` to keep it in line with a folder.

Files on disk under `index_dir` (their names in `index.layout`):
- manifest.json: fingerprint of every setting that changes vectors, and per document its content hash,
  metadata and chunk ids. Written last, after the stores commit, so a crash mid-ingest leaves the previous
  manifest and the next `sync` repairs the stores against it (the write order: `index.writer`).
- chunks.jsonl: every chunk (display text, offsets, section, metadata), one line each, sorted by
  (document, ordinal).
- bm25/: replaced as a whole (one rename) by every write: the lexical index (bm25s score matrix), each
  chunk's term counts, the accent model's counts, the byte offsets of chunks.jsonl's lines, and a record
  of the write (a random generation, chunks.jsonl's size and CRC-32). chroma/: the local vector store
  (unless a Chroma server is used). chroma.writing: present while a build may be writing chroma/; one left
  by a killed build makes the next open try chroma/ in a child process first (`dense`).

The manifest carries the generation of the write that produced it. When manifest, bm25/ and chunks.jsonl
are of one write (generation and size match), opening reads no chunk: `chunks()` is a mapping that
parses a chunk when asked, and a re-index tokenises and serialises only the new chunks (it checks the
CRC first). Anything else (an index of an earlier version, a crash between the renames) is read in
full and rebuilt once.

A file that cannot be parsed raises `IndexDamagedError` with the fix-it command, never a library error.

Writing is plan, then apply: `sync` asks `index.ingest.plan` what changed (plain data: documents to add,
replace and drop, their chunks), embeds the new chunks, writes the vectors to Chroma and the files with
`index.writer.write`, and keeps the state that returns. Nothing else changes the index's state (docs/WRITE_PATH.md).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from index import ingest, taskstore, writer
from index.accents import AccentCounts, AccentRestorer
from index.bm25 import TOKENIZER_ID, BM25Index
from index.build import BuildEmbedding, BuildProgress
from index.chunking import CHUNKER_VERSION, chunk_document
from index.chunkstore import ChunkStore, file_crc32, read_all
from index.clean import CLEANER_VERSION
from index.embed import Embedder
from index.errors import FingerprintMismatchError, IndexDamagedError, IndexMissingError
from index.ingest import Stages, SyncPlan, SyncReport
from index.ingest import index_text as index_text  # re-exported: callers import it from here
from index.layout import CHUNKS, MANIFEST, OFFSETS, damaged
from index.loaders import MAX_DOCUMENT_CHARS, MAX_UNPACKED_BYTES, READER_VERSION
from index.metadata import METADATA_VERSION
from index.normalize import NORMALISER_VERSION
from index.ocr import OcrEngine
from index.store import DenseStore, chroma_client, probe_local
from index.types import Chunk, DocMeta, Document, Filters

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DENSE_WRITING = "chroma.writing"


def fingerprint(embedder: Embedder, max_tokens: int, overlap_tokens: int) -> dict[str, Any]:
    """Everything that changes stored vectors or terms; an index only answers queries made the same way."""
    return {
        "format": FORMAT_VERSION,
        "embedder": embedder.name,
        "dim": embedder.dim,
        "chunk_max_tokens": max_tokens,
        "chunk_overlap_tokens": overlap_tokens,
        "normaliser": NORMALISER_VERSION,
        "reader": READER_VERSION,
        "cleaner": CLEANER_VERSION,
        "metadata": METADATA_VERSION,
        "chunker": CHUNKER_VERSION,
        "bm25_tokenizer": TOKENIZER_ID,
        "assignments": taskstore.VERSION,
    }


class PlanIndex:
    """Hybrid index of plan documents in one folder (plus Chroma local or remote)."""

    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        chunk_max_tokens: int = 220,
        chunk_overlap_tokens: int = 30,
        chroma_url: str = "",
        batch_size: int = 16,
        max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
        max_document_chars: int = MAX_DOCUMENT_CHARS,
        max_document_chunks: int = ingest.MAX_DOCUMENT_CHUNKS,
        ocr: OcrEngine | None = None,
        convert_cache: Path | None = None,
        index_workers: int = 1,
    ) -> None:
        self.dir = index_dir
        self.embedder = embedder
        self.max_tokens = chunk_max_tokens
        self.overlap = chunk_overlap_tokens
        self.chroma_url = chroma_url
        self.batch_size = batch_size
        # Limits of one document (a file over one is reported and skipped; its earlier version stays indexed).
        self.max_unpacked_bytes = max_unpacked_bytes
        self.max_document_chars = max_document_chars
        self.max_document_chunks = max_document_chunks
        self.ocr = ocr  # scans, garbage text layers, images and signature stamps (None: text layers only)
        self.convert_cache = convert_cache  # .doc/.rtf/.odt converted by LibreOffice, by content hash
        self.index_workers = index_workers  # processes reading files (`ingest.read_files`); 0: automatic
        self.fingerprint = fingerprint(embedder, chunk_max_tokens, chunk_overlap_tokens)
        self._dense: DenseStore | None = None
        self._bm25: BM25Index | None = None
        self._chunks: Mapping[str, Chunk] | None = None
        self._manifest: dict[str, Any] | None = None
        self._accents: AccentRestorer | None = None

    # ---------------------------------------------------------------- state on disk
    def exists(self) -> bool:
        """Whether a manifest has been written."""
        return (self.dir / MANIFEST).is_file()

    def manifest(self) -> dict[str, Any]:
        """The manifest, or an empty one for a new index."""
        if self._manifest is None:
            path = self.dir / MANIFEST
            if path.is_file():
                try:
                    manifest = orjson.loads(path.read_bytes())
                except (OSError, ValueError) as e:
                    raise damaged(str(path), e) from e
                if not isinstance(manifest, dict) or not isinstance(manifest.get("documents"), dict):
                    raise damaged(str(path))
                self._manifest = manifest
            else:
                self._manifest = {"fingerprint": self.fingerprint, "documents": {}}
        return self._manifest

    def check_fingerprint(self) -> None:
        """Raise with a fix-it message when the index was built with other vector-changing settings."""
        stored = self.manifest().get("fingerprint", {})
        diff = {k: (stored.get(k), v) for k, v in self.fingerprint.items() if stored.get(k) != v}
        if diff:
            detail = ", ".join(f"{k}: {a!r} → {b!r}" for k, (a, b) in diff.items())
            raise FingerprintMismatchError(
                f"Chỉ mục được xây dựng với cấu hình khác ({detail}). "
                "Chạy `assistant index build --rebuild` để xây dựng lại (index built with other settings)."
            )

    def dense(self) -> DenseStore:
        """The vector store, opened lazily.

        After a build that did not end (its `DENSE_WRITING` mark is left) a local store is first opened and
        searched in a child process: chromadb can die of SIGSEGV on a segment half-written by the killed build
        (chroma-core/chroma#7238), and this process must raise `IndexDamagedError` instead; a build that meets
        it drops the store and refills it from the chunks (`_stored_vector_ids`)."""
        if self._dense is None:
            folder = self.dir / "chroma"
            if not self.chroma_url and (self.dir / DENSE_WRITING).is_file() and folder.is_dir():
                problem = probe_local(folder)
                if problem is not None:
                    raise damaged("chroma", RuntimeError(problem))
            client = chroma_client(None if self.chroma_url else folder, self.chroma_url)
            self._dense = DenseStore(client, self.embedder)
        return self._dense

    def chunks(self) -> Mapping[str, Chunk]:
        """All chunks by id, loaded lazily (a `ChunkStore` that reads each chunk on demand, when it can)."""
        if self._chunks is None:
            self._chunks = self._open_chunks(verify=False)
        return self._chunks

    def _open_chunks(self, verify: bool) -> Mapping[str, Chunk]:
        """chunks.jsonl through the offsets of its write when bm25/ and the manifest are of that write (size
        checked; with `verify`, the CRC too, before bytes are copied), else parsed in full."""
        path = self.dir / CHUNKS
        if not path.is_file():
            return {}
        bm25 = self.bm25()
        rec = bm25.extra
        if self._in_step(bm25) and rec.get("chunks_bytes") == path.stat().st_size and bm25.folder is not None:
            if verify and rec.get("chunks_crc32") != file_crc32(path):
                log.warning("%s changed after the index was written: reading it in full", path)
            else:
                try:
                    return ChunkStore(path, bm25.chunk_ids, np.load(bm25.folder / OFFSETS))
                except (OSError, ValueError) as e:
                    log.warning("chunk offsets unusable (%s): reading %s in full", e, path)
        try:
            return read_all(path)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
            raise damaged(str(path), e) from e

    def _in_step(self, bm25: BM25Index) -> bool:
        """Whether bm25/ was written by the write that wrote the manifest."""
        generation = self.manifest().get("generation")
        return generation is not None and bm25.extra.get("generation") == generation

    def bm25(self) -> BM25Index:
        """The lexical index, loaded lazily."""
        if self._bm25 is None:
            folder = self.dir / "bm25"
            try:
                self._bm25 = BM25Index.load(folder) if (folder / "bm25.json").is_file() else BM25Index([], None)
            except Exception as e:  # bm25s/numpy/json raise many kinds on truncated files
                raise damaged(str(folder), e) from e
        return self._bm25

    def accent_restorer(self) -> AccentRestorer:
        """Diacritic restoration model of this corpus: its counts are read from bm25/ (written with the
        index); an index written without them has them counted from the chunks."""
        if self._accents is None:
            counts = self.stored_accent_counts()
            if counts is None:
                log.info("Counting the accent model from the chunks (index written without it)")
                counts = AccentCounts()
                counts.add(c.text for c in self.chunks().values())
            self._accents = AccentRestorer.from_counts(counts)
        return self._accents

    def stored_accent_counts(self) -> AccentCounts | None:
        """The accent model's counts as the last write stored them in bm25/ (None: written without them)."""
        return writer.read_accent_counts(self.bm25())

    def open_for_search(self) -> None:
        """Check the index can answer queries made with the current settings (cheap: no chunk is parsed
        when the files are of one write)."""
        if not self.exists():
            raise IndexMissingError(
                f"Chưa có chỉ mục trong {self.dir}: chạy `assistant index build` trước (no index yet)."
            )
        self.check_fingerprint()
        chunks = self.chunks()
        listed = sum(len(d.get("chunk_ids", [])) for d in self.manifest()["documents"].values())
        if isinstance(chunks, ChunkStore):  # manifest, bm25/ and chunks.jsonl of one write
            consistent = listed == len(chunks)
        else:
            ids = set(chunks)
            consistent = set(self.bm25().chunk_ids) == ids and self._manifest_ids() == ids
        if not consistent:
            # e.g. a build killed between its file writes: the next build repairs from the manifest
            raise IndexDamagedError("Chỉ mục không nhất quán: chạy `assistant index build` để sửa (index out of sync).")
        try:
            stored = self.dense().count()
        except Exception as e:  # chromadb raises its own kinds on a damaged database
            raise damaged("chroma", e) from e
        if stored != len(chunks):
            have = self.dense().ids()
            log.warning(
                "%d chunks lack vectors, %d vectors are orphans: run `assistant index build`",
                sum(1 for c in chunks if c not in have),
                len(have - set(chunks)),
            )

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        """The chunks of one document, in order (read through the manifest: no scan of every chunk)."""
        d = self.manifest()["documents"].get(doc_id)
        chunks = self.chunks()
        return [chunks[c] for c in (d or {}).get("chunk_ids", []) if c in chunks]

    def allowed_ids(self, filters: Filters) -> set[str]:
        """Ids of the chunks that pass `filters`, decided per document from the manifest (every filter is
        on document fields: file name, issuer, year), so no chunk text is read."""
        out: set[str] = set()
        for doc_id, d in self.manifest()["documents"].items():
            probe = Chunk("", doc_id, d.get("source", ""), 0, "", 0, 0, meta=doc_meta_from_manifest(d))
            if filters.accepts(probe):
                out.update(d.get("chunk_ids", []))
        return out

    def _manifest_ids(self) -> set[str]:
        return {c for d in self.manifest()["documents"].values() for c in d.get("chunk_ids", [])}

    def documents(self) -> list[dict[str, Any]]:
        """Indexed documents with their metadata, in id order."""
        docs = self.manifest()["documents"]
        return [
            {
                "doc_id": k,
                **{kk: v for kk, v in d.items() if kk != "chunk_ids"},
                "chunks": len(d["chunk_ids"]),
            }
            for k, d in sorted(docs.items())
        ]

    # ---------------------------------------------------------------- writing: plan (index.ingest), then apply
    def reader(self) -> ingest.Reader:
        """How this index reads a file (within its limits of one document), as plain data for worker processes."""
        return ingest.Reader(self.max_document_chars, self.max_unpacked_bytes, self.convert_cache, self.ocr)

    def load_document(self, path: Path, doc_id: str, content_hash: str) -> Document:
        """Read, clean and describe one file (within this index's limits of one document)."""
        return self.reader()(path, doc_id, content_hash)

    def cut(self, doc: Document) -> list[Chunk]:
        """The chunks of one document, as this index cuts them."""
        return chunk_document(doc, self.embedder.count_tokens, self.max_tokens, self.overlap)

    def sync(
        self,
        roots: Sequence[Path],
        remove_missing: bool = True,
        rebuild: bool = False,
        only_remove: Iterable[str] = (),
        check_path: Callable[[Path], None] | None = None,
        extra_texts: Callable[[Chunk], list[str]] | None = None,
        stages: Stages | None = None,
        accept: Callable[[SyncPlan], None] | None = None,
    ) -> SyncReport:
        """Bring the index in line with the files under `roots`: add new, replace changed, drop removed.

        Idempotent: unchanged files (same content hash) are skipped. With `remove_missing=False` files
        not seen are kept (`index add`). `only_remove` lists doc ids or file names to drop (`index remove`).
        `check_path` may refuse a file (size, allowed folders) by raising LoaderError before it is read.
        `extra_texts` names texts of a new chunk to embed too (only into the vector cache), so that their
        vectors are ready when a question needs them. `stages` sees each stage run (timing, progress: the
        names in `index.ingest` and `index.writer`, and "chroma_list_ids", "chroma_delete", "chroma_add",
        "bm25_chunks_manifest_write"). `accept` sees the plan before anything is embedded or written; an
        exception it raises stops the sync and leaves the index as it was.

        Files are read by `index_workers` processes while the main process embeds the chunks already cut
        (`index.build.BuildEmbedding`; with `accept`, nothing is embedded before it has seen the plan), and a
        progress line covers the whole build. Vectors reach the vector cache call by call (8 batches): an interrupted
        build's rerun embeds only what was not done.
        """
        stages = stages or ingest.NoStages()
        self.dir.mkdir(parents=True, exist_ok=True)
        manifest = {} if rebuild else self.manifest()  # --rebuild must work on a damaged manifest
        if rebuild or manifest.get("fingerprint") != self.fingerprint:
            if manifest.get("documents"):
                log.warning("Index settings changed or rebuild asked: rebuilding from scratch.")
            self._reset(stages)
            manifest = self.manifest()
        # Only chunks the manifest lists: a killed build may have left others in chunks.jsonl.
        old = self._open_chunks(verify=True)
        self._chunks = old
        present = self._manifest_ids().intersection(old)
        stored = self._stored_vector_ids(stages)
        writing = self.dir / DENSE_WRITING
        writing.touch()  # removed when this sync ends without error: a killed one leaves it
        try:
            # Embed before touching any store: a failure here leaves the index as it was. `extra_texts`, e.g.
            # sentences the answerer may compare by meaning, only go into the vector cache.
            with BuildEmbedding(self.embedder, self.batch_size, extra_texts, BuildProgress()) as build:
                plan = ingest.plan(
                    roots,
                    manifest["documents"],
                    present,
                    self.reader(),
                    self.cut,
                    self.max_document_chunks,
                    remove_missing,
                    only_remove,
                    check_path,
                    stages,
                    ingest.resolve_workers(self.index_workers),
                    sink=build if accept is None else None,
                    lexicon=taskstore.load_lexicon(self.dir),
                )
                if accept is not None:
                    accept(plan)
                vectors = build.passages(plan.texts)
                if extra_texts is not None:
                    build.extras([t for c in plan.new_chunks for t in extra_texts(c)])
            report = self._apply(plan, vectors, old, stored, stages)
        except Exception:  # this process lives on and closes chroma/ itself
            writing.unlink(missing_ok=True)
            raise
        writing.unlink(missing_ok=True)
        return report

    def _apply(
        self, plan: SyncPlan, vectors: np.ndarray, old: Mapping[str, Chunk], stored: set[str], stages: Stages
    ) -> SyncReport:
        """Vectors into the vector store, then the files (`index.writer`), then this object's state."""
        dense = self.dense()
        with stages.stage("chroma_delete"):
            dense.delete_ids(plan.stale_ids)
        if plan.new_chunks:
            with stages.stage("chroma_add"):
                dense.add(plan.new_chunks, vectors)
        new = plan.new
        self._repair_dense(plan.order, (stored - set(plan.stale_ids)) | set(new), new, old, stages)
        report = plan.report
        bm25 = self.bm25()
        consistent = isinstance(old, ChunkStore) and self.exists() and bm25.chunk_ids == plan.order
        if report.changed or not consistent:
            previous = bm25 if isinstance(old, ChunkStore) else None
            with stages.stage("bm25_chunks_manifest_write"):
                if plan.lexicon is not None:  # before the manifest, like the chunks
                    taskstore.write(self.dir, sorted(plan.documents), plan.assignments, plan.lexicon)
                written = writer.write(
                    self.dir, self.fingerprint, plan.order, plan.documents, new, old, previous, stages
                )
            if isinstance(old, ChunkStore):
                old.close()
            self._manifest, self._bm25, self._accents = written.manifest, written.bm25, None
            self._chunks = written.chunks
        report.chunks = len(plan.order)
        return report

    def _stored_vector_ids(self, stages: Stages) -> set[str]:
        """Open the vector store and list its ids; a local one that cannot be read is dropped (and refilled by
        `_repair_dense`)."""
        try:
            with stages.stage("chroma_list_ids"):
                return self.dense().ids()
        except Exception as e:  # chromadb raises its own kinds on a damaged database
            if self.chroma_url:
                raise damaged("chroma server collection", e) from e
            log.warning("Local vector store unreadable (%s): rebuilding it from the chunks.", e)
            self._drop_local_chroma()
            return set()

    def _repair_dense(
        self,
        order: list[str],
        stored: set[str],
        new: Mapping[str, tuple[Chunk, str]],
        old: Mapping[str, Chunk],
        stages: Stages,
    ) -> None:
        """Make Chroma hold exactly the chunk set (after a crash it may have orphans or gaps)."""
        dense = self.dense()
        orphans, missing_ids = ingest.dense_repair(order, stored, new)
        if orphans:
            log.warning("Removing %d orphan vectors", len(orphans))
            with stages.stage("chroma_delete"):
                dense.delete_ids(orphans)
        if missing_ids:
            log.warning("Re-adding %d missing vectors", len(missing_ids))
            missing = [old[c] for c in missing_ids]
            vectors = ingest.embed(self.embedder, [index_text(c) for c in missing], self.batch_size)
            with stages.stage("chroma_add"):
                dense.add(missing, vectors)

    def _drop_local_chroma(self) -> None:
        """Delete the local Chroma folder, and chromadb's per-path client cache that would still point at it."""
        from chromadb.api.shared_system_client import SharedSystemClient

        self._dense = None
        folder = self.dir / "chroma"
        # chromadb keeps one system per path in class-level caches and offers no public way to drop one
        system = SharedSystemClient._identifier_to_system.pop(str(folder), None)
        SharedSystemClient._identifier_to_refcount.pop(str(folder), None)
        if system is not None:
            try:
                system.stop()
            except Exception:  # a damaged store may fail to stop; it is deleted anyway
                log.debug("stopping chroma failed", exc_info=True)
        shutil.rmtree(folder, ignore_errors=True)

    def _reset(self, stages: Stages) -> None:
        """Forget everything (used for rebuilds and fingerprint changes)."""
        if self.chroma_url:
            dense = self.dense()
            with stages.stage("chroma_list_ids"):
                ids = dense.ids()
            with stages.stage("chroma_delete"):
                dense.delete_ids(sorted(ids))
        else:
            self._drop_local_chroma()
        for name in (MANIFEST, "bm25", CHUNKS, taskstore.ASSIGNMENTS, taskstore.UNITS):  # manifest first: a killed
            # reset reads as no index
            p = self.dir / name
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        self._manifest = {"fingerprint": self.fingerprint, "documents": {}}
        self._chunks, self._bm25, self._accents = {}, None, None


def doc_meta_from_manifest(d: dict[str, Any]) -> DocMeta:
    """DocMeta of a manifest entry."""
    m = dict(d.get("meta", {}))
    m.pop("year", None)
    return DocMeta(**m)
