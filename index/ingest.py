"""Ingest: bring an index in line with a folder (load, clean, chunk, embed, store), behind `PlanIndex.sync`.

The functions here take the `PlanIndex` they work on: it stays the one object callers hold, they read it
through its own methods (`manifest()`, `dense()`, `bm25()`, ...) and update its cached state. `sync`
reaches its stages through the index (`load_document`, and `_write`, which commits the files: see
`index.writer` for the write order and crash safety) and chunks with the `chunker` `PlanIndex.sync`
passes; so a caller can wrap a stage on one index, or `index.pipeline.chunk_document`, to time it
(assistant/bench/indexing.py does). Imports go one way: `index.pipeline` imports this module and
`index.writer`, which imports `index_text` from here; the `PlanIndex` type is imported only for checking.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.chunking import chunk_document
from index.chunkstore import ChunkStore
from index.clean import clean
from index.errors import LoaderError
from index.files import file_digest
from index.layout import CHUNKS, MANIFEST, damaged
from index.loaders import (
    MAX_DOCUMENT_CHARS,
    MAX_UNPACKED_BYTES,
    MissingToolError,
    UnsupportedTypeError,
    read_document,
    scan_folder,
)
from index.metadata import extract_metadata
from index.normalize import normalize
from index.ocr import OcrEngine
from index.types import Chunk, Document

if TYPE_CHECKING:
    from index.pipeline import PlanIndex

log = logging.getLogger("index.pipeline")  # one logger for the index: operators filter its messages by it

Chunker = Callable[[Document, Callable[[str], int], int, int], list[Chunk]]

MAX_DOCUMENT_CHUNKS = 5000  # the settings' default (assistant/settings.py)


def index_text(chunk: Chunk) -> str:
    """What is embedded and BM25-indexed for a chunk: document title and heading path give context."""
    head = " · ".join(p for p in (chunk.meta.issuer, chunk.meta.title, chunk.section) if p)
    return normalize(f"{head}\n{chunk.text}" if head else chunk.text)


@dataclass
class SyncReport:
    """What an ingest run did: every file seen is in exactly one of added, updated, unchanged, duplicates,
    skipped (a type the index does not read), missing_tool (a converter to install) or failed (unreadable,
    over a limit); the last three as (path, one-line message)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    missing_tool: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0

    @property
    def changed(self) -> bool:
        """Whether the index was modified."""
        return bool(self.added or self.updated or self.removed)

    @property
    def not_indexed(self) -> list[tuple[str, str]]:
        """(path, one-line message) of every file left out: skipped, missing a tool, failed."""
        return [*self.skipped, *self.missing_tool, *self.failed]

    def refuse(self, path: Path | str, error: LoaderError) -> None:
        """Record a file left out, under the outcome its error names."""
        entry = (str(path), str(error))
        if isinstance(error, MissingToolError):
            self.missing_tool.append(entry)
        elif isinstance(error, UnsupportedTypeError):
            self.skipped.append(entry)
        else:
            self.failed.append(entry)


def load_document(
    path: Path,
    doc_id: str,
    content_hash: str,
    max_chars: int = MAX_DOCUMENT_CHARS,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    convert_cache: Path | None = None,
    ocr: OcrEngine | None = None,
) -> Document:
    """Read, clean and describe one file; raises LoaderError over a limit (see `read_text`, which keeps
    LibreOffice conversions in `convert_cache` and OCRs scans, images and signature stamps with `ocr`)."""
    read = read_document(path, max_chars, max_unpacked_bytes, convert_cache, ocr)
    if read.low_confidence_pages:
        log.warning("%s: OCR doubtful on pages %s (low confidence)", path.name, read.low_confidence_pages)
    text = clean(read.text)
    if not text.strip():
        raise LoaderError(f"{path.name}: không còn nội dung sau khi làm sạch (no text after cleaning).")
    meta = extract_metadata(text, path.name)
    pages = tuple(p.to_dict() for p in read.pages if p.method != "text")  # what `index list` reports of OCR
    return Document(doc_id, path.name, str(path), text, content_hash, meta, pages, len(read.pages) or None)


def sync(
    idx: PlanIndex,
    roots: Sequence[Path],
    remove_missing: bool = True,
    rebuild: bool = False,
    only_remove: Iterable[str] = (),
    check_path: Callable[[Path], None] | None = None,
    chunker: Chunker = chunk_document,
    extra_texts: Callable[[Chunk], list[str]] | None = None,
) -> SyncReport:
    """`PlanIndex.sync` (see there), chunking with `chunker`."""
    report = SyncReport()
    idx.dir.mkdir(parents=True, exist_ok=True)
    manifest = {} if rebuild else idx.manifest()  # --rebuild must work on a damaged manifest
    if rebuild or manifest.get("fingerprint") != idx.fingerprint:
        if manifest.get("documents"):
            log.warning("Index settings changed or rebuild asked: rebuilding from scratch.")
        _reset(idx)
        manifest = idx.manifest()
    docs: dict[str, Any] = manifest["documents"]
    # Only chunks the manifest lists: a killed build may have left others in chunks.jsonl.
    old = idx._open_chunks(verify=True)
    idx._chunks = old
    present = idx._manifest_ids().intersection(old)
    stored = _check_dense(idx)

    scanned: list[tuple[str, Path, str]] = []
    for root in roots:
        files, others = scan_folder(root)
        for path, error in others:
            report.refuse(path, error)
        for path in files:
            doc_id = path.name if root.is_file() else path.relative_to(root).as_posix()
            try:
                if check_path is not None:
                    check_path(path)
                scanned.append((doc_id, path, file_digest(path)))
            except LoaderError as e:
                report.refuse(path, e)
            except OSError as e:
                report.failed.append((str(path), f"{path.name}: không đọc được tệp (cannot read: {e.strerror})"))

    # One document per content: an indexed copy keeps its name; otherwise the first name seen wins.
    def intact(doc_id: str, h: str) -> bool:  # indexed with this content, every chunk present
        d = docs.get(doc_id)
        return d is not None and d["content_hash"] == h and all(c in present for c in d["chunk_ids"])

    owner_of: dict[str, str] = {}
    for doc_id, _, h in scanned:
        if intact(doc_id, h):
            owner_of.setdefault(h, doc_id)
    if not remove_missing:
        for k, d in docs.items():
            owner_of.setdefault(d["content_hash"], k)
    for doc_id, _, h in scanned:
        owner_of.setdefault(h, doc_id)

    seen: set[str] = set()
    new_docs: list[Document] = []
    for doc_id, path, h in scanned:
        if owner_of[h] != doc_id:
            report.duplicates.append(doc_id)
            continue
        seen.add(doc_id)  # a file that fails to load keeps its previous chunks, if any
        if intact(doc_id, h):
            report.unchanged.append(doc_id)
            continue
        try:
            new_docs.append(idx.load_document(path, doc_id, h))
        except LoaderError as e:
            report.refuse(path, e)

    wanted_removed = {r for r in only_remove}
    to_remove = [
        k
        for k, d in docs.items()
        if (remove_missing and k not in seen) or k in wanted_removed or d.get("source") in wanted_removed
    ]
    # Chunk and embed before touching any store: a failure here leaves the index as it was. A document of
    # too many chunks is dropped like one that failed to load: its earlier version, if any, stays.
    new_chunks: list[Chunk] = []
    for doc in list(new_docs):
        chunks = chunker(doc, idx.embedder.count_tokens, idx.max_tokens, idx.overlap)
        if len(chunks) > idx.max_document_chunks:
            new_docs.remove(doc)
            report.failed.append((doc.path, _too_many_chunks(doc, len(chunks), idx.max_document_chunks)))
            continue
        new_chunks.extend(chunks)
    texts = [index_text(c) for c in new_chunks]
    vectors = _embed(idx, texts)
    if extra_texts is not None:  # e.g. sentences the answerer may compare by meaning: into the vector cache
        _embed(idx, list(dict.fromkeys(t for c in new_chunks for t in extra_texts(c))), "Embedding sentences")

    dense = idx.dense()
    stale_ids: list[str] = []
    for doc in new_docs:
        if doc.doc_id in docs:
            stale_ids.extend(docs[doc.doc_id]["chunk_ids"])
            report.updated.append(doc.doc_id)
        else:
            report.added.append(doc.doc_id)
    for k in to_remove:
        stale_ids.extend(docs[k]["chunk_ids"])
        report.removed.append(k)
    dense.delete_ids(stale_ids)
    if new_chunks:
        dense.add(new_chunks, vectors)
    new = {c.chunk_id: (c, t) for c, t in zip(new_chunks, texts, strict=True)}
    stored = (stored - set(stale_ids)) | set(new)

    for k in to_remove:
        docs.pop(k, None)
    ids_of: dict[str, list[str]] = {}
    for c in new_chunks:
        ids_of.setdefault(c.doc_id, []).append(c.chunk_id)
    for doc in new_docs:
        docs[doc.doc_id] = {
            "source": doc.source,
            "path": doc.path,
            "content_hash": doc.content_hash,
            "meta": {**asdict(doc.meta), "year": doc.meta.year},
            "chunk_ids": ids_of.get(doc.doc_id, []),
            **({"pages": list(doc.pages)} if doc.pages else {}),
            **({"page_count": doc.page_count} if doc.page_count else {}),
        }
    keep = present.difference(stale_ids).union(new)
    # chunks.jsonl order, (document, ordinal): the manifest lists each document's chunks in order.
    order = [cid for d in sorted(docs) for cid in docs[d]["chunk_ids"] if cid in keep]
    _repair_dense(idx, order, stored, new, old)
    bm25 = idx.bm25()
    consistent = isinstance(old, ChunkStore) and idx.exists() and bm25.chunk_ids == order
    if report.changed or not consistent:
        idx._write(order, docs, new, old)
    report.chunks = len(order)
    return report


def _too_many_chunks(doc: Document, n: int, limit: int) -> str:
    return (
        f"{doc.source}: văn bản chia thành quá nhiều đoạn ({n:,} > {limit:,}; "
        "too many chunks, see ASSISTANT_MAX_DOCUMENT_CHUNKS)"
    )


def _embed(idx: PlanIndex, texts: list[str], desc: str = "Embedding"):  # noqa: ANN202
    import numpy as np
    from tqdm import tqdm

    if not texts:
        return np.zeros((0, idx.embedder.dim), dtype=np.float32)
    rows = []
    with tqdm(total=len(texts), desc=desc, unit="text", disable=len(texts) < 2) as bar:
        for i in range(0, len(texts), idx.batch_size):
            batch = texts[i : i + idx.batch_size]
            rows.append(idx.embedder.embed_passages(batch))
            bar.update(len(batch))
    return np.concatenate(rows)


def _check_dense(idx: PlanIndex) -> set[str]:
    """Open the vector store and list its ids; a local one that cannot be read is dropped (and refilled by
    `_repair_dense`)."""
    try:
        return idx.dense().ids()
    except Exception as e:  # chromadb raises its own kinds on a damaged database
        if idx.chroma_url:
            raise damaged("chroma server collection", e) from e
        log.warning("Local vector store unreadable (%s): rebuilding it from the chunks.", e)
        _drop_local_chroma(idx)
        return set()


def _repair_dense(
    idx: PlanIndex, order: list[str], stored: set[str], new: dict[str, tuple[Chunk, str]], old: Mapping[str, Chunk]
) -> None:
    """Make Chroma hold exactly the chunk set (after a crash it may have orphans or gaps)."""
    dense = idx.dense()
    orphans = stored.difference(order)
    missing = [old[c] for c in order if c not in stored and c not in new]
    if orphans:
        log.warning("Removing %d orphan vectors", len(orphans))
        dense.delete_ids(sorted(orphans))
    if missing:
        log.warning("Re-adding %d missing vectors", len(missing))
        texts = [index_text(c) for c in missing]
        dense.add(missing, _embed(idx, texts))


def _drop_local_chroma(idx: PlanIndex) -> None:
    """Delete the local Chroma folder, and chromadb's per-path client cache that would still point at it."""
    from chromadb.api.shared_system_client import SharedSystemClient

    idx._dense = None
    folder = idx.dir / "chroma"
    system = SharedSystemClient._identifier_to_system.pop(str(folder), None)
    SharedSystemClient._identifier_to_refcount.pop(str(folder), None)
    if system is not None:
        try:
            system.stop()
        except Exception:  # a damaged store may fail to stop; it is deleted anyway
            log.debug("stopping chroma failed", exc_info=True)
    shutil.rmtree(folder, ignore_errors=True)


def _reset(idx: PlanIndex) -> None:
    """Forget everything (used for rebuilds and fingerprint changes)."""
    if idx.chroma_url:
        dense = idx.dense()
        dense.delete_ids(sorted(dense.ids()))
    else:
        _drop_local_chroma(idx)
    for name in (MANIFEST, "bm25", CHUNKS):  # the manifest first: a killed reset reads as no index
        p = idx.dir / name
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    idx._manifest = {"fingerprint": idx.fingerprint, "documents": {}}
    idx._chunks, idx._bm25, idx._accents = {}, None, None
