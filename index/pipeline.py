"""The index as a whole: ingest (load, clean, chunk, embed, store), keep it in sync, open it to search.

Files on disk under `index_dir`:
- manifest.json: fingerprint of every setting that changes vectors, and per document its content hash,
  metadata and chunk ids. Written last, atomically, after the stores commit, so a crash mid-ingest
  leaves the previous manifest and the next `sync` repairs the stores against it.
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
full and rebuilt once, as before.

A file that cannot be parsed raises `IndexDamagedError` with the fix-it command, never a library error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from index.accents import AccentCounts, AccentRestorer
from index.bm25 import TOKENIZER_ID, BM25Index, TermCounts, bm25_tokens
from index.chunking import CHUNKER_VERSION, chunk_document
from index.chunkstore import ChunkStore, ChunkWriter, file_crc32, read_all
from index.clean import CLEANER_VERSION, clean
from index.embed import Embedder
from index.errors import FingerprintMismatchError, IndexDamagedError, IndexMissingError, LoaderError
from index.loaders import iter_files, read_text
from index.metadata import extract_metadata
from index.normalize import NORMALISER_VERSION, normalize
from index.store import DenseStore, chroma_client
from index.types import Chunk, DocMeta, Document, Filters

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
OFFSETS = "offsets.npy"  # in bm25/: byte offset of each chunks.jsonl line, then the file size
ACCENTS = "accents.json"  # in bm25/: corpus counts of the accent model
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


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
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
            raise _damaged(str(path), e) from e

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
                raise _damaged(str(folder), e) from e
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
            raise _damaged("chroma", e) from e
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
        old = self._open_chunks(verify=True)
        self._chunks = old
        present = self._manifest_ids().intersection(old)
        stored = self._check_dense()

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
            }
        keep = present.difference(stale_ids).union(new)
        # chunks.jsonl order, (document, ordinal): the manifest lists each document's chunks in order.
        order = [cid for d in sorted(docs) for cid in docs[d]["chunk_ids"] if cid in keep]
        self._repair_dense(order, stored, new, old)
        bm25 = self.bm25()
        consistent = isinstance(old, ChunkStore) and self.exists() and bm25.chunk_ids == order
        if report.changed or not consistent:
            self._write(order, docs, new, old)
        report.chunks = len(order)
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

    def _check_dense(self) -> set[str]:
        """Open the vector store and list its ids; a local one that cannot be read is dropped (and refilled by
        `_repair_dense`)."""
        try:
            return self.dense().ids()
        except Exception as e:  # chromadb raises its own kinds on a damaged database
            if self.chroma_url:
                raise _damaged("chroma server collection", e) from e
            log.warning("Local vector store unreadable (%s): rebuilding it from the chunks.", e)
            self._drop_local_chroma()
            return set()

    def _repair_dense(
        self, order: list[str], stored: set[str], new: dict[str, tuple[Chunk, str]], old: Mapping[str, Chunk]
    ) -> None:
        """Make Chroma hold exactly the chunk set (after a crash it may have orphans or gaps)."""
        dense = self.dense()
        orphans = stored.difference(order)
        missing = [old[c] for c in order if c not in stored and c not in new]
        if orphans:
            log.warning("Removing %d orphan vectors", len(orphans))
            dense.delete_ids(sorted(orphans))
        if missing:
            log.warning("Re-adding %d missing vectors", len(missing))
            texts = [index_text(c) for c in missing]
            dense.add(missing, self._embed(texts), texts)

    def _write(
        self, order: list[str], docs: dict[str, Any], new: dict[str, tuple[Chunk, str]], old: Mapping[str, Chunk]
    ) -> None:
        """Commit the chunk set `order`: chunks.jsonl, then bm25/ (one rename), then the manifest, last.

        `old` is what `sync` read: when it is a `ChunkStore` (files of one write, CRC checked) unchanged
        lines are copied as bytes and unchanged chunks keep their term and accent counts; otherwise every
        chunk is serialised and counted again.
        """
        generation = uuid.uuid4().hex
        offsets, crc, tmp_chunks = self._write_chunks(order, new, old)
        try:
            trusted = isinstance(old, ChunkStore)
            previous = self.bm25() if trusted else None
            bm25 = BM25Index.from_counts(order, self._term_counts(order, new, old, previous))
            bm25.extra = {
                "generation": generation,
                "chunks_bytes": int(offsets[-1]),
                "chunks_crc32": crc,
                "accents": ACCENTS,
            }
            accents = self._accent_counts(order, new, old, previous)
            tmp = self.dir / "bm25.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            bm25.save(tmp)
            np.save(tmp / OFFSETS, offsets)
            (tmp / ACCENTS).write_bytes(orjson.dumps(accents.to_json()))
        except BaseException:
            tmp_chunks.unlink(missing_ok=True)
            raise
        os.replace(tmp_chunks, self.dir / CHUNKS)
        old_dir = self.dir / "bm25.old"
        shutil.rmtree(old_dir, ignore_errors=True)
        if (self.dir / "bm25").exists():
            os.replace(self.dir / "bm25", old_dir)
        os.replace(tmp, self.dir / "bm25")
        shutil.rmtree(old_dir, ignore_errors=True)
        manifest = {"fingerprint": self.fingerprint, "generation": generation, "documents": docs}
        _atomic_write(self.dir / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        bm25.folder = self.dir / "bm25"
        if isinstance(old, ChunkStore):
            old.close()
        self._manifest, self._bm25, self._accents = manifest, bm25, None
        self._chunks = ChunkStore(self.dir / CHUNKS, order, offsets)

    def _write_chunks(
        self, order: list[str], new: dict[str, tuple[Chunk, str]], old: Mapping[str, Chunk]
    ) -> tuple[np.ndarray, int, Path]:
        """chunks.jsonl.tmp in `order`; unchanged runs of lines are copied from a `ChunkStore` as bytes."""
        writer = ChunkWriter(self.dir / CHUNKS)
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

    def _term_counts(
        self,
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

    def _accent_counts(
        self,
        order: list[str],
        new: dict[str, tuple[Chunk, str]],
        old: Mapping[str, Chunk],
        previous: BM25Index | None,
    ) -> AccentCounts:
        """Accent model counts of `order`: the previous counts minus removed chunks plus new ones."""
        counts = self._stored_accent_counts(previous) if previous is not None else None
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
        for name in (MANIFEST, "bm25", CHUNKS):  # the manifest first: a killed reset reads as no index
            p = self.dir / name
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        self._manifest = {"fingerprint": self.fingerprint, "documents": {}}
        self._chunks, self._bm25, self._accents = {}, None, None


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
