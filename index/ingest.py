"""Ingest, the planning half of `PlanIndex.sync`: what changed in a folder, as plain data.

`plan` runs the phases below and returns a `SyncPlan`; nothing in this module writes to the index. The
index applies the plan (`PlanIndex.sync`: vectors into Chroma, then the files, `index.writer`).

1. `scan`: the files under the roots, each with its id and content hash (a file refused before it is read,
   e.g. by size, goes to the report).
2. `triage`: which files are duplicates of another, unchanged, to load; which documents go.
3. `load_documents`: read, clean and describe each file to load (a file that fails keeps its earlier version).
4. `cut_documents`: chunk them (a document of too many chunks is dropped like one that failed to load).
5. `plan_documents`: the manifest's documents after the sync, the chunks that go stale, the chunk order.

Each phase that takes a while runs inside `stages.stage(name)` when a `Stages` is given (a timer, or a
progress report): "load_clean_metadata" per file, "chunk" per document.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.clean import clean
from index.embed import Embedder
from index.errors import LoaderError
from index.files import file_digest
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

log = logging.getLogger("index.pipeline")  # one logger for the index: operators filter its messages by it

MAX_DOCUMENT_CHUNKS = 5000  # the settings' default (assistant/settings.py)


class Stages(Protocol):
    """Where a sync reports its stages: `with stages.stage("chunk"): ...` (e.g. `assistant.bench.Timer`)."""

    def stage(self, name: str) -> AbstractContextManager[Any]:
        """A context around one run of stage `name`."""
        ...


class NoStages:
    """The `Stages` of a sync nobody watches."""

    def stage(self, name: str) -> AbstractContextManager[Any]:
        """Nothing around the stage."""
        return nullcontext()


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


# ------------------------------------------------------------------------------------------------ phases
@dataclass(frozen=True)
class Scanned:
    """A file found under a root: its document id (path under the root, or the file name of a root that is a
    file) and the hash of its content."""

    doc_id: str
    path: Path
    content_hash: str


@dataclass
class Triage:
    """What to do with the scanned files and the indexed documents."""

    duplicates: list[str] = field(default_factory=list)  # same content as another file that is kept
    unchanged: list[str] = field(default_factory=list)  # indexed with this content, every chunk present
    to_load: list[Scanned] = field(default_factory=list)  # new or changed (or with a chunk missing)
    to_remove: list[str] = field(default_factory=list)  # indexed documents to drop


@dataclass
class SyncPlan:
    """What a sync will change, worked out before anything is written (`plan`)."""

    report: SyncReport  # added, updated and removed filled in; `chunks` once applied
    documents: dict[str, Any]  # the manifest's documents after the sync
    new_chunks: list[Chunk]  # the chunks of the documents loaded, in document order
    texts: list[str]  # `index_text` of each new chunk: what is embedded and BM25-indexed
    stale_ids: list[str]  # chunks of updated and removed documents, to delete from the vector store
    order: list[str]  # every chunk after the sync, in chunks.jsonl order: (document, ordinal)
    unreadable: dict[str, str] = field(default_factory=dict)  # doc id -> one-line message of a file that failed
    chunk_counts: dict[str, int] = field(default_factory=dict)  # doc id -> chunks, of every document cut

    @property
    def new(self) -> dict[str, tuple[Chunk, str]]:
        """The new chunks by id, with their index text."""
        return {c.chunk_id: (c, t) for c, t in zip(self.new_chunks, self.texts, strict=True)}


def scan(roots: Sequence[Path], report: SyncReport, check_path: Callable[[Path], None] | None = None) -> list[Scanned]:
    """The files under `roots` with their content hash; files left out (type, `check_path`, unreadable) go to
    `report`."""
    scanned: list[Scanned] = []
    for root in roots:
        files, others = scan_folder(root)
        for path, error in others:
            report.refuse(path, error)
        for path in files:
            doc_id = path.name if root.is_file() else path.relative_to(root).as_posix()
            try:
                if check_path is not None:
                    check_path(path)
                scanned.append(Scanned(doc_id, path, file_digest(path)))
            except LoaderError as e:
                report.refuse(path, e)
            except OSError as e:
                report.failed.append((str(path), f"{path.name}: không đọc được tệp (cannot read: {e.strerror})"))
    return scanned


def triage(
    scanned: Sequence[Scanned],
    documents: Mapping[str, Any],
    present: set[str],
    remove_missing: bool = True,
    only_remove: Iterable[str] = (),
) -> Triage:
    """Sort the scanned files against the manifest's `documents` (`present`: the chunk ids the index holds).

    One document per content: an indexed copy keeps its name; otherwise the first name seen wins. A file that
    is kept but fails to load later keeps its earlier version (it is not removed as missing).
    """

    def intact(doc_id: str, h: str) -> bool:  # indexed with this content, every chunk present
        d = documents.get(doc_id)
        return d is not None and d["content_hash"] == h and all(c in present for c in d["chunk_ids"])

    owner_of: dict[str, str] = {}
    for s in scanned:
        if intact(s.doc_id, s.content_hash):
            owner_of.setdefault(s.content_hash, s.doc_id)
    if not remove_missing:
        for k, d in documents.items():
            owner_of.setdefault(d["content_hash"], k)
    for s in scanned:
        owner_of.setdefault(s.content_hash, s.doc_id)

    out = Triage()
    seen: set[str] = set()
    for s in scanned:
        if owner_of[s.content_hash] != s.doc_id:
            out.duplicates.append(s.doc_id)
            continue
        seen.add(s.doc_id)
        if intact(s.doc_id, s.content_hash):
            out.unchanged.append(s.doc_id)
        else:
            out.to_load.append(s)
    wanted_removed = set(only_remove)
    out.to_remove = [
        k
        for k, d in documents.items()
        if (remove_missing and k not in seen) or k in wanted_removed or d.get("source") in wanted_removed
    ]
    return out


def load_documents(
    to_load: Sequence[Scanned],
    load: Callable[[Path, str, str], Document],
    report: SyncReport,
    stages: Stages | None = None,
) -> tuple[list[Document], dict[str, str]]:
    """Each file read by `load`, in order; a file that fails goes to `report` (and to the second value: doc id
    -> its one-line message)."""
    stages = stages or NoStages()
    docs: list[Document] = []
    unreadable: dict[str, str] = {}
    for s in to_load:
        try:
            with stages.stage("load_clean_metadata"):
                docs.append(load(s.path, s.doc_id, s.content_hash))
        except LoaderError as e:
            report.refuse(s.path, e)
            unreadable[s.doc_id] = str(e)
    return docs, unreadable


def cut_documents(
    docs: Sequence[Document],
    cut: Callable[[Document], list[Chunk]],
    max_chunks: int,
    report: SyncReport,
    stages: Stages | None = None,
) -> tuple[list[Document], list[Chunk], dict[str, int]]:
    """The documents kept, their chunks in order, and the chunk count of every document cut; a document of more
    than `max_chunks` chunks goes to `report` and is not kept (its earlier version, if any, stays)."""
    stages = stages or NoStages()
    kept: list[Document] = []
    chunks: list[Chunk] = []
    counts: dict[str, int] = {}
    for doc in docs:
        with stages.stage("chunk"):
            cut_chunks = cut(doc)
        counts[doc.doc_id] = len(cut_chunks)
        if len(cut_chunks) > max_chunks:
            report.failed.append((doc.path, too_many_chunks(doc, len(cut_chunks), max_chunks)))
            continue
        kept.append(doc)
        chunks.extend(cut_chunks)
    return kept, chunks, counts


def too_many_chunks(doc: Document, n: int, limit: int) -> str:
    """The one-line message of a document cut into `n` chunks, over `limit`."""
    return (
        f"{doc.source}: văn bản chia thành quá nhiều đoạn ({n:,} > {limit:,}; "
        "too many chunks, see ASSISTANT_MAX_DOCUMENT_CHUNKS)"
    )


def manifest_entry(doc: Document, chunk_ids: list[str]) -> dict[str, Any]:
    """A document as the manifest lists it."""
    return {
        "source": doc.source,
        "path": doc.path,
        "content_hash": doc.content_hash,
        "meta": {**asdict(doc.meta), "year": doc.meta.year},
        "chunk_ids": chunk_ids,
        **({"pages": list(doc.pages)} if doc.pages else {}),
        **({"page_count": doc.page_count} if doc.page_count else {}),
    }


def plan_documents(
    documents: Mapping[str, Any],
    present: set[str],
    new_docs: Sequence[Document],
    new_chunks: Sequence[Chunk],
    to_remove: Sequence[str],
    report: SyncReport,
) -> tuple[dict[str, Any], list[str], list[str]]:
    """The manifest's documents after the sync (a new dict; `documents` is left as it is), the chunk ids that
    go stale, and every chunk id kept, in chunks.jsonl order; updated, added and removed go to `report`."""
    stale_ids: list[str] = []
    for doc in new_docs:
        if doc.doc_id in documents:
            stale_ids.extend(documents[doc.doc_id]["chunk_ids"])
            report.updated.append(doc.doc_id)
        else:
            report.added.append(doc.doc_id)
    for k in to_remove:
        stale_ids.extend(documents[k]["chunk_ids"])
        report.removed.append(k)
    after = dict(documents)
    for k in to_remove:
        after.pop(k, None)
    ids_of: dict[str, list[str]] = {}
    for c in new_chunks:
        ids_of.setdefault(c.doc_id, []).append(c.chunk_id)
    for doc in new_docs:
        after[doc.doc_id] = manifest_entry(doc, ids_of.get(doc.doc_id, []))
    keep = present.difference(stale_ids).union(c.chunk_id for c in new_chunks)
    # chunks.jsonl order, (document, ordinal): the manifest lists each document's chunks in order.
    order = [cid for d in sorted(after) for cid in after[d]["chunk_ids"] if cid in keep]
    return after, stale_ids, order


def plan(
    roots: Sequence[Path],
    documents: Mapping[str, Any],
    present: set[str],
    load: Callable[[Path, str, str], Document],
    cut: Callable[[Document], list[Chunk]],
    max_chunks: int = MAX_DOCUMENT_CHUNKS,
    remove_missing: bool = True,
    only_remove: Iterable[str] = (),
    check_path: Callable[[Path], None] | None = None,
    stages: Stages | None = None,
) -> SyncPlan:
    """What a sync of `roots` changes in an index whose manifest lists `documents` and whose stores hold the
    chunks `present`: files are read with `load` and chunked with `cut` (see the phases above)."""
    report = SyncReport()
    scanned = scan(roots, report, check_path)
    sorted_out = triage(scanned, documents, present, remove_missing, only_remove)
    report.duplicates.extend(sorted_out.duplicates)
    report.unchanged.extend(sorted_out.unchanged)
    loaded, unreadable = load_documents(sorted_out.to_load, load, report, stages)
    new_docs, new_chunks, counts = cut_documents(loaded, cut, max_chunks, report, stages)
    after, stale_ids, order = plan_documents(documents, present, new_docs, new_chunks, sorted_out.to_remove, report)
    texts = [index_text(c) for c in new_chunks]
    return SyncPlan(report, after, new_chunks, texts, stale_ids, order, unreadable, counts)


def embed(embedder: Embedder, texts: list[str], batch_size: int, desc: str = "Embedding") -> np.ndarray:
    """Passage vectors of `texts`, `batch_size` at a time, with a progress bar."""
    from tqdm import tqdm

    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    rows = []
    with tqdm(total=len(texts), desc=desc, unit="text", disable=len(texts) < 2) as bar:
        for i in range(0, len(texts), batch_size):
            batch = texts[i : i + batch_size]
            rows.append(embedder.embed_passages(batch))
            bar.update(len(batch))
    return np.concatenate(rows)


def dense_repair(order: Sequence[str], stored: set[str], new: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Vector ids to delete (orphans: in the store, not in `order`) and chunk ids to re-embed (in `order`, not
    new, missing from the store): after a crash the vector store may hold either."""
    orphans = sorted(stored.difference(order))
    missing = [c for c in order if c not in stored and c not in new]
    return orphans, missing
