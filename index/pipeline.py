"""The index as a whole: ingest (load, clean, chunk, embed, store), keep it in sync, open it to search.

Files on disk under `index_dir`:
- manifest.json: fingerprint of every setting that changes vectors, and per document its content hash,
  metadata and chunk ids. Written last, atomically, after the stores commit, so a crash mid-ingest
  leaves the previous manifest and the next `sync` repairs the stores against it.
- chunks.jsonl: every chunk (display text, offsets, section, metadata).
- bm25/: the lexical index. chroma/: the local vector store (unless a Chroma server is used).

A file that cannot be parsed raises `IndexDamagedError` with the fix-it command, never a library error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.accents import AccentRestorer
from index.bm25 import TOKENIZER_ID, BM25Index
from index.chunking import CHUNKER_VERSION, chunk_document
from index.clean import CLEANER_VERSION, clean
from index.embed import Embedder
from index.errors import FingerprintMismatchError, IndexDamagedError, IndexMissingError, LoaderError
from index.loaders import iter_files, read_text
from index.metadata import extract_metadata
from index.normalize import NORMALISER_VERSION, normalize
from index.store import DenseStore, chroma_client
from index.types import Chunk, DocMeta, Document

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
REBUILD = "chạy `assistant index build --rebuild` để xây dựng lại"


def _damaged(what: str, exc: BaseException | None = None) -> IndexDamagedError:
    detail = f": {' '.join(str(exc).split())[:120]}" if exc is not None else ""
    return IndexDamagedError(f"Chỉ mục bị hỏng ({what}{detail}); {REBUILD} (index damaged).")


def fingerprint(embedder: Embedder, max_tokens: int, overlap_tokens: int) -> dict[str, Any]:
    """Everything that changes stored vectors or terms; an index only answers queries made the same way."""
    return {
        "format": FORMAT_VERSION,
        "embedder": embedder.name,
        "dim": embedder.dim,
        "chunk_max_tokens": max_tokens,
        "chunk_overlap_tokens": overlap_tokens,
        "normaliser": NORMALISER_VERSION,
        "cleaner": CLEANER_VERSION,
        "chunker": CHUNKER_VERSION,
        "bm25_tokenizer": TOKENIZER_ID,
    }


def index_text(chunk: Chunk) -> str:
    """What is embedded and BM25-indexed for a chunk: document title and heading path give context."""
    head = " · ".join(p for p in (chunk.meta.issuer, chunk.meta.title, chunk.section) if p)
    return normalize(f"{head}\n{chunk.text}" if head else chunk.text)


@dataclass
class SyncReport:
    """What an ingest run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0

    @property
    def changed(self) -> bool:
        """Whether the index was modified."""
        return bool(self.added or self.updated or self.removed)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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
    ) -> None:
        self.dir = index_dir
        self.embedder = embedder
        self.max_tokens = chunk_max_tokens
        self.overlap = chunk_overlap_tokens
        self.chroma_url = chroma_url
        self.batch_size = batch_size
        self.fingerprint = fingerprint(embedder, chunk_max_tokens, chunk_overlap_tokens)
        self._dense: DenseStore | None = None
        self._bm25: BM25Index | None = None
        self._chunks: dict[str, Chunk] | None = None
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
                    manifest = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as e:
                    raise _damaged(str(path), e) from e
                if not isinstance(manifest, dict) or not isinstance(manifest.get("documents"), dict):
                    raise _damaged(str(path))
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

    def chunks(self) -> dict[str, Chunk]:
        """All chunks by id, loaded lazily."""
        if self._chunks is None:
            self._chunks = {}
            path = self.dir / "chunks.jsonl"
            if path.is_file():
                try:
                    with open(path, encoding="utf-8") as f:
                        for line in f:
                            c = Chunk.from_dict(json.loads(line))
                            self._chunks[c.chunk_id] = c
                except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
                    self._chunks = None
                    raise _damaged(str(path), e) from e
        return self._chunks

    def bm25(self) -> BM25Index:
        """The lexical index, loaded lazily."""
        if self._bm25 is None:
            folder = self.dir / "bm25"
            try:
                self._bm25 = BM25Index.load(folder) if (folder / "bm25.json").is_file() else BM25Index([], None)
            except Exception as e:  # bm25s/numpy/json raise many kinds on truncated files
                raise _damaged(str(folder), e) from e
        return self._bm25

    def accent_restorer(self) -> AccentRestorer:
        """Diacritic restoration model of this corpus, built lazily from the chunks."""
        if self._accents is None:
            self._accents = AccentRestorer.from_texts(c.text for c in self.chunks().values())
        return self._accents

    def open_for_search(self) -> None:
        """Check the index can answer queries made with the current settings."""
        if not self.exists():
            raise IndexMissingError(
                f"Chưa có chỉ mục trong {self.dir}: chạy `assistant index build` trước (no index yet)."
            )
        self.check_fingerprint()
        ids = set(self.chunks())
        if set(self.bm25().chunk_ids) != ids or self._manifest_ids() != ids:
            # e.g. a build killed between its file writes: the next build repairs from the manifest
            raise IndexDamagedError(
                "Chỉ mục không nhất quán: chạy `assistant index build` để sửa (index out of sync)."
            )
        try:
            stored = self.dense().ids()
        except Exception as e:  # chromadb raises its own kinds on a damaged database
            raise _damaged("chroma", e) from e
        if stored != ids:
            log.warning(
                "%d chunks lack vectors, %d vectors are orphans: run `assistant index build`",
                len(ids - stored),
                len(stored - ids),
            )

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

    # ---------------------------------------------------------------- ingest
    def load_document(self, path: Path, doc_id: str, content_hash: str) -> Document:
        """Read, clean and describe one file."""
        text = clean(read_text(path))
        if not text.strip():
            raise LoaderError(f"{path.name}: không còn nội dung sau khi làm sạch (no text after cleaning).")
        meta = extract_metadata(text, path.name)
        return Document(doc_id, path.name, str(path), text, content_hash, meta)

    def sync(
        self,
        roots: Sequence[Path],
        remove_missing: bool = True,
        rebuild: bool = False,
        only_remove: Iterable[str] = (),
        check_path: Callable[[Path], None] | None = None,
    ) -> SyncReport:
        """Bring the index in line with the files under `roots`: add new, replace changed, drop removed.

        Idempotent: unchanged files (same content hash) are skipped. With `remove_missing=False` files
        not seen are kept (`index add`). `only_remove` lists doc ids or file names to drop (`index remove`).
        `check_path` may refuse a file (size, allowed folders) by raising LoaderError before it is read.
        """
        report = SyncReport()
        self.dir.mkdir(parents=True, exist_ok=True)
        manifest = {} if rebuild else self.manifest()  # --rebuild must work on a damaged manifest
        if rebuild or manifest.get("fingerprint") != self.fingerprint:
            if manifest.get("documents"):
                log.warning("Index settings changed or rebuild asked: rebuilding from scratch.")
            self._reset()
            manifest = self.manifest()
        docs: dict[str, Any] = manifest["documents"]
        # Only chunks the manifest lists: a killed build may have left others in chunks.jsonl.
        listed = self._manifest_ids()
        chunks = {cid: c for cid, c in self.chunks().items() if cid in listed}
        self._check_dense()

        scanned: list[tuple[str, Path, str]] = []
        for root in roots:
            for path in iter_files(root):
                doc_id = path.name if root.is_file() else path.relative_to(root).as_posix()
                try:
                    if check_path is not None:
                        check_path(path)
                    scanned.append((doc_id, path, _file_hash(path)))
                except LoaderError as e:
                    report.failed.append((str(path), str(e)))
                except OSError as e:
                    report.failed.append((str(path), f"{path.name}: không đọc được tệp (cannot read: {e.strerror})"))

        # One document per content: an indexed copy keeps its name; otherwise the first name seen wins.
        def intact(doc_id: str, h: str) -> bool:  # indexed with this content, every chunk present
            d = docs.get(doc_id)
            return d is not None and d["content_hash"] == h and all(c in chunks for c in d["chunk_ids"])

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
                new_docs.append(self.load_document(path, doc_id, h))
            except LoaderError as e:
                report.failed.append((str(path), str(e)))

        wanted_removed = {r for r in only_remove}
        to_remove = [
            k
            for k, d in docs.items()
            if (remove_missing and k not in seen) or k in wanted_removed or d.get("source") in wanted_removed
        ]
        # Chunk and embed before touching any store: a failure here leaves the index as it was.
        new_chunks: list[Chunk] = []
        for doc in new_docs:
            new_chunks.extend(chunk_document(doc, self.embedder.count_tokens, self.max_tokens, self.overlap))
        texts = [index_text(c) for c in new_chunks]
        vectors = self._embed(texts)

        dense = self.dense()
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
            dense.add(new_chunks, vectors, texts)

        for cid in stale_ids:
            chunks.pop(cid, None)
        for k in to_remove:
            docs.pop(k, None)
        for doc in new_docs:
            ids = [c.chunk_id for c in new_chunks if c.doc_id == doc.doc_id]
            docs[doc.doc_id] = {
                "source": doc.source,
                "path": doc.path,
                "content_hash": doc.content_hash,
                "meta": {**asdict(doc.meta), "year": doc.meta.year},
                "chunk_ids": ids,
            }
        for c in new_chunks:
            chunks[c.chunk_id] = c
        self._repair_dense(chunks)
        wanted = set(chunks)
        consistent = self.exists() and set(self.bm25().chunk_ids) == set(self.chunks()) == wanted
        if report.changed or not consistent:
            self._write(chunks, docs)
        report.chunks = len(chunks)
        return report

    def _embed(self, texts: list[str]):  # noqa: ANN202
        import numpy as np
        from tqdm import tqdm

        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        rows = []
        with tqdm(total=len(texts), desc="Embedding", unit="chunk", disable=len(texts) < 2) as bar:
            for i in range(0, len(texts), self.batch_size):
                batch = texts[i : i + self.batch_size]
                rows.append(self.embedder.embed_passages(batch))
                bar.update(len(batch))
        return np.concatenate(rows)

    def _check_dense(self) -> None:
        """Open the vector store; a local one that cannot be read is dropped (`_repair_dense` refills it)."""
        try:
            self.dense().ids()
        except Exception as e:  # chromadb raises its own kinds on a damaged database
            if self.chroma_url:
                raise _damaged("chroma server collection", e) from e
            log.warning("Local vector store unreadable (%s): rebuilding it from the chunks.", e)
            self._drop_local_chroma()

    def _repair_dense(self, chunks: dict[str, Chunk]) -> None:
        """Make Chroma hold exactly the chunk set (after a crash it may have orphans or gaps)."""
        dense = self.dense()
        stored = dense.ids()
        orphans = stored - set(chunks)
        missing = [chunks[c] for c in chunks if c not in stored]
        if orphans:
            log.warning("Removing %d orphan vectors", len(orphans))
            dense.delete_ids(sorted(orphans))
        if missing:
            log.warning("Re-adding %d missing vectors", len(missing))
            texts = [index_text(c) for c in missing]
            dense.add(missing, self._embed(texts), texts)

    def _write(self, chunks: dict[str, Chunk], docs: dict[str, Any]) -> None:
        ordered = sorted(chunks.values(), key=lambda c: (c.doc_id, c.ordinal))
        bm25 = BM25Index.build([c.chunk_id for c in ordered], [index_text(c) for c in ordered])
        tmp = self.dir / "bm25.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        bm25.save(tmp)
        _atomic_write(
            self.dir / "chunks.jsonl",
            "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in ordered),
        )
        old = self.dir / "bm25.old"
        shutil.rmtree(old, ignore_errors=True)
        if (self.dir / "bm25").exists():
            os.replace(self.dir / "bm25", old)
        os.replace(tmp, self.dir / "bm25")
        shutil.rmtree(old, ignore_errors=True)
        manifest = {"fingerprint": self.fingerprint, "documents": docs}
        _atomic_write(self.dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        self._manifest, self._chunks, self._bm25 = manifest, {c.chunk_id: c for c in ordered}, bm25
        self._accents = None

    def _drop_local_chroma(self) -> None:
        """Delete the local Chroma folder, and chromadb's per-path client cache that would still point at it."""
        from chromadb.api.shared_system_client import SharedSystemClient

        self._dense = None
        folder = self.dir / "chroma"
        system = SharedSystemClient._identifier_to_system.pop(str(folder), None)
        SharedSystemClient._identifier_to_refcount.pop(str(folder), None)
        if system is not None:
            try:
                system.stop()
            except Exception:  # a damaged store may fail to stop; it is deleted anyway
                log.debug("stopping chroma failed", exc_info=True)
        shutil.rmtree(folder, ignore_errors=True)

    def _reset(self) -> None:
        """Forget everything (used for rebuilds and fingerprint changes)."""
        if self.chroma_url:
            dense = self.dense()
            dense.delete_ids(sorted(dense.ids()))
        else:
            self._drop_local_chroma()
        for name in (MANIFEST, "bm25", "chunks.jsonl"):  # the manifest first: a killed reset reads as no index
            p = self.dir / name
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        self._manifest = {"fingerprint": self.fingerprint, "documents": {}}
        self._chunks, self._bm25 = {}, None


def _file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def doc_meta_from_manifest(d: dict[str, Any]) -> DocMeta:
    """DocMeta of a manifest entry."""
    m = dict(d.get("meta", {}))
    m.pop("year", None)
    return DocMeta(**m)
