"""Ingest, the planning half of `PlanIndex.sync`: what changed in a folder, as plain data.

`plan` runs the phases below and returns a `SyncPlan`; nothing in this module writes to the index. The
index applies the plan (`PlanIndex.sync`: vectors into Chroma, then the files, `index.writer`).

1. `scan`: the files under the roots, each with its id and content hash (a file refused before it is read,
   e.g. by size, goes to the report).
2. `triage`: which files are duplicates of another, unchanged, to load; which documents go.
3. `load_documents`: read, clean and describe each file to load (a file that fails keeps its earlier version),
   in worker processes when there are many (`read_files`, a picklable `Reader`).
4. `cut_documents`: chunk them (a document of too many chunks is dropped like one that failed to load).
   `plan` reads and cuts one document after the other and hands each one's chunks to a `DocumentSink`, so the
   caller can embed them while the next files are read (`index.build`).
5. `plan_documents`: the manifest's documents after the sync, the chunks that go stale, the chunk order.

Each phase that takes a while runs inside `stages.stage(name)` when a `Stages` is given (a timer, or a
progress report): "load_clean_metadata" per file, "chunk" per document.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index import taskstore
from index.assignments import Assignment, UnitLexicon
from index.clean import clean
from index.embed import Embedder
from index.errors import IndexPipelineError, LoaderError
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
# Fewer files than this are read in the main process whatever `workers` says: starting the workers (fresh
# interpreters importing the readers) took 0.4-0.5 s, what reading 3-5 text PDFs takes; an upload or a
# small `index add` would wait longer, and the bundled corpus (5 files) builds as it always did.
POOL_MIN_FILES = 6


class Stages(Protocol):
    """Where a sync reports its stages: `with stages.stage("chunk"): ...` (e.g. `assistant.bench.Timer`)."""

    def stage(self, name: str) -> AbstractContextManager[Any]:
        """A context around one run of stage `name`."""
        ...


class DocumentSink(Protocol):
    """What sees a plan's documents as they are cut (`plan`): e.g. `index.build.BuildEmbedding`."""

    def expect(self, documents: int) -> None:
        """How many files will be read."""
        ...

    def take(self, chunks: Sequence[Chunk]) -> None:
        """The chunks of the next file read (none: it was refused)."""
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


@dataclass(frozen=True)
class Reader:
    """`load_document` with one index's limits, as plain data: picklable, so that worker processes read files
    with their own OCR engine (`OcrEngine` pickles its settings and cache folder) and converters."""

    max_chars: int = MAX_DOCUMENT_CHARS
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES
    convert_cache: Path | None = None
    ocr: OcrEngine | None = None

    def __call__(self, path: Path, doc_id: str, content_hash: str) -> Document:
        """Read, clean and describe one file."""
        return load_document(
            path, doc_id, content_hash, self.max_chars, self.max_unpacked_bytes, self.convert_cache, self.ocr
        )


def resolve_workers(workers: int) -> int:
    """Processes that read files: `workers`, or with 0 (automatic) one per core up to two."""
    return workers if workers > 0 else min(2, os.cpu_count() or 1)


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
    assignments: dict[str, list[Assignment]] = field(default_factory=dict)  # doc id -> its tasks, of each one cut
    lexicon: UnitLexicon | None = None  # the unit lexicon after the sync (None: assignments not extracted)

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


_worker_load: Callable[[Path, str, str], Document] | None = None  # the `load` of a worker process


def _start_worker(load: Callable[[Path, str, str], Document], parent: int) -> None:
    global _worker_load
    _worker_load = load
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End this worker when the build that started it is gone (killed): an orphan would go on reading files."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _read_in_worker(path: Path, doc_id: str, content_hash: str) -> Document:
    assert _worker_load is not None
    return _worker_load(path, doc_id, content_hash)


def read_files(
    to_load: Sequence[Scanned],
    load: Callable[[Path, str, str], Document],
    workers: int = 1,
    stages: Stages | None = None,
) -> Iterator[tuple[Scanned, Document | LoaderError]]:
    """Each file with its document, or the LoaderError that refused it, in the order of `to_load`.

    With `workers` > 1 (and at least `POOL_MIN_FILES` files) the files are read by that many worker processes
    (`load` must pickle, e.g. a `Reader`), at most a few files ahead of the caller: a bounded queue, so the
    caller can embed one document's passages while the next ones are read. "load_clean_metadata" then times
    the caller's waits. A worker that dies (killed, out of memory) stops the sync with an IndexPipelineError
    before anything is written.
    """
    stages = stages or NoStages()
    if workers <= 1 or len(to_load) < POOL_MIN_FILES:
        for s in to_load:
            try:
                with stages.stage("load_clean_metadata"):
                    got: Document | LoaderError = load(s.path, s.doc_id, s.content_hash)
            except LoaderError as e:
                got = e
            yield s, got
        return
    ahead = 4 * workers  # documents read ahead of the caller; they are small next to the model's memory
    # spawn, not fork: the main process has threads (the embedder's, Chroma's) that a fork would copy half-held
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(load, os.getpid()))
    todo = iter(to_load)
    queue: deque[tuple[Scanned, Future[Document]]] = deque()
    try:
        for s in todo:
            queue.append((s, pool.submit(_read_in_worker, s.path, s.doc_id, s.content_hash)))
            if len(queue) >= ahead:
                break
        while queue:
            s, future = queue.popleft()
            try:
                with stages.stage("load_clean_metadata"):
                    got = future.result()
            except LoaderError as e:
                got = e
            except BrokenProcessPool as e:
                raise IndexPipelineError(
                    "Một tiến trình đọc tệp đã dừng đột ngột; chỉ mục không thay đổi, chạy lại lệnh để tiếp tục "
                    "(a reader process died; the index is unchanged, run the build again to resume)"
                ) from e
            for nxt in todo:
                queue.append((nxt, pool.submit(_read_in_worker, nxt.path, nxt.doc_id, nxt.content_hash)))
                break
            yield s, got
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def load_documents(
    to_load: Sequence[Scanned],
    load: Callable[[Path, str, str], Document],
    report: SyncReport,
    stages: Stages | None = None,
    workers: int = 1,
) -> tuple[list[Document], dict[str, str]]:
    """Each file read by `load`, in order (`read_files`); a file that fails goes to `report` (and to the second
    value: doc id -> its one-line message)."""
    docs: list[Document] = []
    unreadable: dict[str, str] = {}
    for s, got in read_files(to_load, load, workers, stages):
        if isinstance(got, LoaderError):
            report.refuse(s.path, got)
            unreadable[s.doc_id] = str(got)
        else:
            docs.append(got)
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
    kept: list[Document] = []
    chunks: list[Chunk] = []
    counts: dict[str, int] = {}
    for doc in docs:
        cut_chunks = cut_document(doc, cut, max_chunks, report, counts, stages)
        if cut_chunks is not None:
            kept.append(doc)
            chunks.extend(cut_chunks)
    return kept, chunks, counts


def cut_document(
    doc: Document,
    cut: Callable[[Document], list[Chunk]],
    max_chunks: int,
    report: SyncReport,
    counts: dict[str, int],
    stages: Stages | None = None,
) -> list[Chunk] | None:
    """The chunks of one document (its count into `counts`), or None when they are over `max_chunks` (reported)."""
    with (stages or NoStages()).stage("chunk"):
        cut_chunks = cut(doc)
    counts[doc.doc_id] = len(cut_chunks)
    if len(cut_chunks) > max_chunks:
        report.failed.append((doc.path, too_many_chunks(doc, len(cut_chunks), max_chunks)))
        return None
    return cut_chunks


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
    workers: int = 1,
    sink: DocumentSink | None = None,
    lexicon: UnitLexicon | None = None,
) -> SyncPlan:
    """What a sync of `roots` changes in an index whose manifest lists `documents` and whose stores hold the
    chunks `present`: files are read with `load` (by `workers` processes, `read_files`) and chunked with `cut`
    (see the phases above), one document after the other; `sink` sees each document's chunks as soon as they
    are cut (e.g. `BuildEmbedding`, which embeds them while the next files are read). With a `lexicon` (the
    index's unit names), the assignments of the documents read are extracted too (`taskstore.plan_assignments`)."""
    report = SyncReport()
    scanned = scan(roots, report, check_path)
    sorted_out = triage(scanned, documents, present, remove_missing, only_remove)
    report.duplicates.extend(sorted_out.duplicates)
    report.unchanged.extend(sorted_out.unchanged)
    if sink is not None:
        sink.expect(len(sorted_out.to_load))
    new_docs: list[Document] = []
    new_chunks: list[Chunk] = []
    counts: dict[str, int] = {}
    unreadable: dict[str, str] = {}
    for s, got in read_files(sorted_out.to_load, load, workers, stages):
        cut_chunks = None
        if isinstance(got, LoaderError):
            report.refuse(s.path, got)
            unreadable[s.doc_id] = str(got)
        else:
            cut_chunks = cut_document(got, cut, max_chunks, report, counts, stages)
        if cut_chunks is not None:
            new_docs.append(got)  # type: ignore[arg-type]  # a Document when it was cut
            new_chunks.extend(cut_chunks)
        if sink is not None:
            sink.take(cut_chunks or [])
    after, stale_ids, order = plan_documents(documents, present, new_docs, new_chunks, sorted_out.to_remove, report)
    texts = [index_text(c) for c in new_chunks]
    assignments: dict[str, list[Assignment]] = {}
    if lexicon is not None:
        with (stages or NoStages()).stage("assignments"):
            assignments, lexicon = taskstore.plan_assignments(new_docs, lexicon)
    return SyncPlan(report, after, new_chunks, texts, stale_ids, order, unreadable, counts, assignments, lexicon)


def embed(
    embedder: Embedder,
    texts: Sequence[str],
    batch_size: int,
    progress: Callable[[int, float], None] | None = None,
) -> np.ndarray:
    """Passage vectors of `texts`, one row each: every distinct text once, in batches of `batch_size` texts of
    similar length (fewer pad tokens for the batching models), put back in order. `progress` sees the texts and
    seconds of each batch. The embedder's vector cache (`CachedEmbedder`) keeps each batch as it is done."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    distinct = list(dict.fromkeys(texts))
    by_length = sorted(range(len(distinct)), key=lambda i: len(distinct[i]))
    rows: np.ndarray | None = None
    for i in range(0, len(by_length), batch_size):
        batch = by_length[i : i + batch_size]
        start = time.perf_counter()
        got = np.asarray(embedder.embed_passages([distinct[j] for j in batch]), dtype=np.float32)
        if rows is None:
            rows = np.zeros((len(distinct), got.shape[1]), dtype=np.float32)
        rows[batch] = got
        if progress is not None:
            progress(len(batch), time.perf_counter() - start)
    assert rows is not None
    where = {t: i for i, t in enumerate(distinct)}
    return rows[[where[t] for t in texts]]


def dense_repair(order: Sequence[str], stored: set[str], new: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Vector ids to delete (orphans: in the store, not in `order`) and chunk ids to re-embed (in `order`, not
    new, missing from the store): after a crash the vector store may hold either."""
    orphans = sorted(stored.difference(order))
    missing = [c for c in order if c not in stored and c not in new]
    return orphans, missing
