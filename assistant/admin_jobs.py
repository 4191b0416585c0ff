"""The write side of the document library: one worker thread adds, replaces and removes documents, one at a time
(the index has one writer), and every change goes to the audit log.

An upload is checked (`assistant.uploads.check_content`), compared with the index by content hash (a copy of an
indexed document under another name is not indexed twice), stored as `<data_dir>/uploads/<sha256>/<name>` and
indexed by `Indexer.sync(remove_missing=False)`, the same path as `assistant index add`. A file that cannot be
read, or splits into too many chunks, stops the sync before anything is written: the index, and the document a
replace would have dropped, stay as they were. Serving processes pick the new index up by their reload check
(`AssistantService`, `reload_check_s`).

    library = Library(settings)
    job = library.submit_upload([incoming], replace="", who="admin-token")[0]
    job.done.wait(); job.to_json()  # {"id", "file", "status": "done", "progress": 1.0, "message", "doc_id"}
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.indexer import Indexer, NotIndexedError, build_embedder, build_index
from assistant.service import AssistantService
from assistant.settings import Settings
from assistant.uploads import Incoming, UploadError, UploadStore, check_content, discard, safe_name
from index.embed import Embedder
from index.errors import IndexPipelineError
from index.ingest import SyncPlan, SyncReport

log = logging.getLogger(__name__)

KEEP_JOBS = 1000  # finished jobs remembered for status queries
INTERNAL = "Lỗi máy chủ khi xử lý tệp (internal error); xem nhật ký máy chủ."
STEPS = {"queued": 0.0, "checking": 0.1, "reading": 0.3, "indexing": 0.6, "done": 1.0, "failed": 1.0}


class _Refused(Exception):
    """Raised out of `PlanIndex.sync` by a job's check of the plan: stops the sync before any store is written."""


class _Progress:
    """The `index.ingest.Stages` of a job's sync: the job is "reading" while its file is read."""

    def __init__(self, job: Job) -> None:
        self.job = job

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Step the job to "reading" as its file starts to be read."""
        if name == "load_clean_metadata":
            self.job.step("reading")
        yield


@dataclass
class Job:
    """One file to add or replace, or one document to remove, and how far it got."""

    file: str
    action: str  # add | replace | remove
    who: str
    incoming: Incoming | None = None
    target: str = ""  # the document replaced or removed
    id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    status: str = "queued"
    progress: float = 0.0
    message: str = ""
    doc_id: str = ""
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def step(self, status: str, message: str = "") -> None:
        """Move to `status` (its progress from `STEPS`)."""
        self.status, self.progress, self.message = status, STEPS[status], message or self.message

    def to_json(self) -> dict[str, Any]:
        """The job status of `GET /api/documents/jobs/{id}`."""
        return {
            "id": self.id,
            "file": self.file,
            "status": self.status,
            "progress": self.progress,
            "message": self.message,
            "doc_id": self.doc_id,
        }


class AuditLog:
    """`<data_dir>/logs/audit.jsonl`: one JSON line per change (who, when, action, file, hash, result)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, job: Job, status: str, message: str, content_hash: str = "") -> None:
        """Append the outcome (`status` done or failed, `message`) of a job."""
        entry = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "who": job.who,
            "action": job.action,
            "file": job.file,
            "doc_id": job.doc_id or job.target,
            "content_hash": content_hash,
            "result": "ok" if status == "done" else "failed",
            "message": message,
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)


class Library:
    """Queues uploads and removals and applies them to the index in one background thread."""

    def __init__(self, settings: Settings, service: AssistantService | None = None) -> None:
        self.settings = settings
        self.store = UploadStore(settings.data_dir / "uploads")
        self.incoming_dir = settings.data_dir / "tmp" / "uploads"
        self.audit = AuditLog(settings.data_dir / "logs" / "audit.jsonl")
        self._service = service  # its engine's embedder is shared (no second copy of the model in memory)
        self._embedder: Embedder | None = None
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._sweep_incoming()

    def _sweep_incoming(self) -> None:
        """Delete temporary uploads a stopped server left behind (older than a day: another process sharing
        the data folder may be receiving one now)."""
        if not self.incoming_dir.is_dir():
            return
        cutoff = time.time() - 86_400
        for p in self.incoming_dir.iterdir():
            try:
                if p.is_file() and p.stat().st_mtime < cutoff:
                    p.unlink()
            except OSError:
                log.debug("cannot sweep %s", p, exc_info=True)

    # ------------------------------------------------------------------ queue
    def submit_upload(self, files: list[Incoming], replace: str, who: str) -> list[Job]:
        """One job per received file; files dropped while streaming (too large) fail at once."""
        jobs = []
        for item in files:
            job = Job(safe_name(item.name), "replace" if replace else "add", who, item, replace)
            if item.error or item.path is None:
                self._finish(job, "failed", item.error or f"{job.file}: không nhận được tệp (file not received)")
            else:
                self._enqueue(job)
            jobs.append(job)
        return jobs

    def submit_remove(self, doc_id: str, who: str) -> Job:
        """A job that removes one document and its stored original."""
        job = Job(doc_id, "remove", who, target=doc_id)
        self._enqueue(job)
        return job

    def job(self, job_id: str) -> Job | None:
        """A job by id (the last `KEEP_JOBS` are kept)."""
        with self._lock:
            return self._jobs.get(job_id)

    def _remember(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)

    def _enqueue(self, job: Job) -> None:
        self._remember(job)
        self._queue.put(job)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="document-library", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job.action == "remove":
                    self._remove(job)
                else:
                    self._add(job)
            except Exception:
                log.exception("document job %s (%s) failed", job.id, job.action)
                self._finish(job, "failed", INTERNAL)
            finally:
                if job.incoming is not None:
                    discard([job.incoming])

    def _finish(self, job: Job, status: str, message: str = "", content_hash: str = "") -> None:
        """Record the outcome in the audit log, then show it (whoever polls or waits sees it recorded)."""
        log.info("document %s %s: %s %s", job.action, job.file, status, message)
        try:
            self.audit.write(job, status, message, content_hash or (job.incoming.sha256 if job.incoming else ""))
        except OSError:
            log.exception("cannot write the audit log %s", self.audit.path)
        job.step(status, message)
        self._remember(job)
        job.done.set()

    # ------------------------------------------------------------------ the writer
    def _indexer(self) -> Indexer:
        """A fresh view of the index on disk (another process may have written it), sharing one embedder; it
        writes only (no LLM, no answerer)."""
        indexer = Indexer(self.settings, build_index(self.settings, self._shared_embedder()))
        if indexer.index.exists():
            indexer.index.check_fingerprint()  # a sync would otherwise rebuild the index from these files alone
        return indexer

    def _shared_embedder(self) -> Embedder:
        """The serving engine's embedder (it changes when the engine reloads), or one of our own without it."""
        if self._service is not None:
            try:
                return self._service.get().index.embedder
            except IndexPipelineError:  # no index yet: this upload may create it
                pass
        if self._embedder is None:
            self._embedder = build_embedder(self.settings)
        return self._embedder

    def _add(self, job: Job) -> None:
        item = job.incoming
        assert item is not None and item.path is not None
        job.step("checking")
        try:
            check_content(
                item.path,
                job.file,
                max_unpacked_bytes=int(self.settings.max_uncompressed_mb * 1_000_000),
                max_pages=self.settings.upload_max_pages,
            )
            indexer = self._indexer()
        except (UploadError, IndexPipelineError) as e:
            self._finish(job, "failed", str(e))
            return
        idx = indexer.index
        docs: dict[str, Any] = idx.manifest()["documents"]
        if job.target and job.target not in docs:
            self._finish(job, "failed", f"Không có tài liệu «{job.target}» để thay thế (no such document).")
            return
        same = next((k for k, d in docs.items() if d.get("content_hash") == item.sha256), None)
        if same is not None:
            job.doc_id = same
            if same == job.target:
                self._finish(job, "done", f"{job.file}: giống hệt bản đang có, không thay đổi (unchanged).")
            else:
                self._finish(job, "failed", f"{job.file}: trùng nội dung với tài liệu «{same}» đã có (duplicate).")
            return
        name = self._doc_name(job.file, docs, job.target)
        if job.target and job.target != name and (clash := _shares_name(docs, job.target)):
            self._finish(job, "failed", clash)
            return
        old = str(docs[job.target].get("path", "")) if job.target else ""  # the original a replacement drops
        stored = self.store.put(item.path, item.sha256, name)
        item.path = None
        only_remove = [job.target] if job.target and job.target != name else []

        def accept(plan: SyncPlan) -> None:  # before anything is embedded or written
            if name in plan.unreadable:
                raise _Refused(plan.unreadable[name])
            if name not in plan.chunk_counts:
                return
            if (n := plan.chunk_counts[name]) > idx.max_document_chunks:
                raise _Refused(
                    f"{job.file}: văn bản chia thành quá nhiều đoạn ({n:,} > {idx.max_document_chunks:,}; "
                    "too many chunks, see ASSISTANT_MAX_DOCUMENT_CHUNKS)"
                )
            job.step("indexing")

        try:
            report = indexer.sync(
                [stored], remove_missing=False, only_remove=only_remove, stages=_Progress(job), accept=accept
            )
        except (_Refused, IndexPipelineError) as e:
            self.store.delete(stored)
            self._finish(job, "failed", " ".join(str(e).split()))
            return
        except BaseException:
            self.store.delete(stored)
            raise
        if name not in report.added and name not in report.updated:
            self.store.delete(stored)
            reason = report.not_indexed[0][1] if report.not_indexed else f"{job.file}: không lập chỉ mục được"
            self._finish(job, "failed", reason)
            return
        job.doc_id = name
        if old and self.store.owns(old) and Path(old) != stored:
            self.store.delete(old)
        verb = "Đã thay thế" if job.target else "Đã thêm"
        chunks = len(idx.manifest()["documents"][name]["chunk_ids"])
        self._finish(job, "done", f"{verb} «{name}» ({chunks:,} đoạn; indexed).")

    def _doc_name(self, name: str, docs: dict[str, Any], replacing: str) -> str:
        """`name`, or `name-2`, `name-3`… when another document has that id or file name. A replacement of
        the same type keeps the replaced document's id when that is a plain file name."""
        if replacing and "/" not in replacing and replacing.lower().endswith(Path(name).suffix.lower()):
            if replacing == safe_name(replacing):
                return replacing
        taken = {k for k in docs if k != replacing} | {d.get("source", "") for k, d in docs.items() if k != replacing}
        stem, ext = Path(name).stem, Path(name).suffix
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{stem}-{n}{ext}"
        return candidate

    def _remove(self, job: Job) -> None:
        try:
            indexer = self._indexer()
        except IndexPipelineError as e:
            self._finish(job, "failed", str(e))
            return
        idx = indexer.index
        docs = idx.manifest()["documents"]
        entry = docs.get(job.target)
        if entry is None:
            self._finish(job, "failed", f"Không có tài liệu «{job.target}» trong kho (no such document).")
            return
        if clash := _shares_name(docs, job.target):
            self._finish(job, "failed", clash)
            return
        job.step("indexing")
        try:
            report = indexer.remove([job.target])
        except NotIndexedError:  # removed by another process since the manifest was read
            report = SyncReport()
        if job.target not in report.removed:
            self._finish(job, "failed", f"Không xoá được «{job.target}» (not removed).", entry.get("content_hash", ""))
            return
        if self.store.owns(entry.get("path", "")):
            self.store.delete(entry["path"])
        job.doc_id = job.target
        self._finish(job, "done", f"Đã xoá «{job.target}» khỏi kho (removed).", entry.get("content_hash", ""))


def _shares_name(docs: dict[str, Any], doc_id: str) -> str:
    """A message when removing `doc_id` would also remove another document (the index removes by id or file
    name, and another document's file name is this id); empty otherwise."""
    others = [k for k, d in docs.items() if k != doc_id and d.get("source") == doc_id]
    if not others:
        return ""
    return (
        f"Không xoá riêng được «{doc_id}»: tài liệu «{others[0]}» có cùng tên tệp "
        "(another document has this file name; remove it with `assistant index remove`)."
    )
