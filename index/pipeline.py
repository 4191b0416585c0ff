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
  (unless a Chroma server is used).

The manifest carries the generation of the write that produced it. When manifest, bm25/ and chunks.jsonl
are of one write (generation and size match), opening reads no chunk: `chunks()` is a mapping that
parses a chunk when asked, and a re-index tokenises and serialises only the new chunks (it checks the
CRC first). Anything else (an index of an earlier version, a crash between the renames) is read in
full and rebuilt once.

A file that cannot be parsed raises `IndexDamagedError` with the fix-it command, never a library error.

This module is the reading side. The writing side takes the `PlanIndex` as an argument: `index.ingest`
(scan, load, chunk, embed, Chroma; `sync` and `SyncReport`) and `index.writer` (the commit of the files).
`PlanIndex.sync` and the stage methods below delegate to them, so the stages stay methods of the index
that a caller can wrap on one instance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from index import ingest, writer
from index.accents import AccentCounts, AccentRestorer
from index.bm25 import TOKENIZER_ID, BM25Index, TermCounts
from index.chunking import CHUNKER_VERSION, chunk_document
from index.chunkstore import ChunkStore, file_crc32, read_all
from index.clean import CLEANER_VERSION
from index.embed import Embedder
from index.errors import FingerprintMismatchError, IndexDamagedError, IndexMissingError
from index.ingest import SyncReport
from index.ingest import index_text as index_text  # re-exported: callers import it from here
from index.layout import ACCENTS, CHUNKS, MANIFEST, OFFSETS, damaged
from index.loaders import MAX_DOCUMENT_CHARS, MAX_UNPACKED_BYTES, READER_VERSION
from index.metadata import METADATA_VERSION
from index.normalize import NORMALISER_VERSION
from index.ocr import OcrEngine
from index.store import DenseStore, chroma_client
from index.types import Chunk, DocMeta, Document, Filters

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


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
        """The vector store, opened lazily."""
        if self._dense is None:
            client = chroma_client(None if self.chroma_url else self.dir / "chroma", self.chroma_url)
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
            counts = self._stored_accent_counts(self.bm25())
            if counts is None:
                log.info("Counting the accent model from the chunks (index written without it)")
                counts = AccentCounts()
                counts.add(c.text for c in self.chunks().values())
            self._accents = AccentRestorer.from_counts(counts)
        return self._accents

    def _stored_accent_counts(self, bm25: BM25Index) -> AccentCounts | None:
        path = bm25.folder / ACCENTS if bm25.folder is not None else None
        if path is None or not bm25.extra.get("accents") or not path.is_file():
            return None
        try:
            return AccentCounts.from_json(orjson.loads(path.read_bytes()))
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.warning("accent counts unreadable (%s): counting them again", e)
            return None

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

    # ---------------------------------------------------------------- ingest (index/ingest.py, index/writer.py)
    # `sync` calls the stages below through the index, and chunks with this module's `chunk_document`:
    # wrapping one on an instance (or patching the function here) times that stage (assistant/bench/indexing.py).
    def load_document(self, path: Path, doc_id: str, content_hash: str) -> Document:
        """Read, clean and describe one file (within this index's limits of one document)."""
        return ingest.load_document(
            path,
            doc_id,
            content_hash,
            self.max_document_chars,
            self.max_unpacked_bytes,
            convert_cache=self.convert_cache,
            ocr=self.ocr,
        )

    def sync(
        self,
        roots: Sequence[Path],
        remove_missing: bool = True,
        rebuild: bool = False,
        only_remove: Iterable[str] = (),
        check_path: Callable[[Path], None] | None = None,
        extra_texts: Callable[[Chunk], list[str]] | None = None,
    ) -> SyncReport:
        """Bring the index in line with the files under `roots`: add new, replace changed, drop removed.

        Idempotent: unchanged files (same content hash) are skipped. With `remove_missing=False` files
        not seen are kept (`index add`). `only_remove` lists doc ids or file names to drop (`index remove`).
        `check_path` may refuse a file (size, allowed folders) by raising LoaderError before it is read.
        `extra_texts` names texts of a new chunk to embed too (only into the vector cache), so that their
        vectors are ready when a question needs them.
        """
        return ingest.sync(self, roots, remove_missing, rebuild, only_remove, check_path, chunk_document, extra_texts)

    def _write(
        self, order: list[str], docs: dict[str, Any], new: dict[str, tuple[Chunk, str]], old: Mapping[str, Chunk]
    ) -> None:
        """Commit the chunk set `order` (`index.writer.write`)."""
        writer.write(self, order, docs, new, old)

    def _write_chunks(
        self, order: list[str], new: dict[str, tuple[Chunk, str]], old: Mapping[str, Chunk]
    ) -> tuple[np.ndarray, int, Path]:
        """chunks.jsonl.tmp in `order` (`index.writer.write_chunks`)."""
        return writer.write_chunks(self.dir, order, new, old)

    def _term_counts(
        self, order: list[str], new: dict[str, tuple[Chunk, str]], old: Mapping[str, Chunk], previous: BM25Index | None
    ) -> TermCounts:
        """BM25 term counts of `order` (`index.writer.term_counts`)."""
        return writer.term_counts(order, new, old, previous)

    def _accent_counts(
        self, order: list[str], new: dict[str, tuple[Chunk, str]], old: Mapping[str, Chunk], previous: BM25Index | None
    ) -> AccentCounts:
        """Accent model counts of `order` (`index.writer.accent_counts`)."""
        return writer.accent_counts(self, order, new, old, previous)


def doc_meta_from_manifest(d: dict[str, Any]) -> DocMeta:
    """DocMeta of a manifest entry."""
    m = dict(d.get("meta", {}))
    m.pop("year", None)
    return DocMeta(**m)
