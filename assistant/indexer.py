"""The write side of the index: settings become an embedder and a `PlanIndex`, and files from the allowed folders
are synced into it. Nothing here builds an LLM, an answerer or the accent model, so `assistant index build` works
whatever `ASSISTANT_LLM` says.

    indexer = Indexer(settings)
    indexer.sync()                       # the corpus folder (and the library's uploads): add, replace, drop
    indexer.add([Path("inbox/moi.docx")])
    indexer.remove(["moi.docx"])
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.extractive import meaning_texts
from assistant.settings import Settings
from index.embed import Embedder, make_embedder
from index.errors import LoaderError
from index.ocr import OcrEngine
from index.pipeline import PlanIndex, SyncReport


class NotIndexedError(AssistantError):
    """A document named for removal is not in the index."""


def index_threads(settings: Settings) -> int:
    """Embedding threads of a build (`index_threads`; 0: the cores this process may run on)."""
    if settings.index_threads:
        return settings.index_threads
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def build_embedder(settings: Settings, threads: int | None = None) -> Embedder:
    """The embedder the settings select, with its vector cache under the data folder, on `threads` CPU threads
    (default: `embed_threads`, the answering side's).

    fast-e5 and onnx-e5 keep their converted model in `embed_model`, by default `<data_dir>/models/<backend>`.
    """
    model_path = settings.embed_model
    if settings.embed_backend in ("fast-e5", "onnx-e5") and not model_path:
        model_path = str(settings.data_dir / "models" / settings.embed_backend)
    return make_embedder(
        settings.embed_backend,
        model_path=model_path,
        query_prefix=settings.embed_query_prefix,
        passage_prefix=settings.embed_passage_prefix,
        threads=threads or settings.embed_threads,
        cache_path=settings.cache_dir / "embeddings.sqlite",
        batch_size=settings.embed_batch_size,
        onnx_recipe=settings.onnx_recipe,
    )


def build_index(settings: Settings, embedder: Embedder | None = None) -> PlanIndex:
    """The index the settings describe (nothing is read until used)."""
    return PlanIndex(
        settings.index_dir,
        embedder or build_embedder(settings),
        chunk_max_tokens=settings.chunk_max_tokens,
        chunk_overlap_tokens=settings.chunk_overlap_tokens,
        chroma_url=settings.chroma_url,
        batch_size=settings.embed_batch_size,
        max_unpacked_bytes=int(settings.max_uncompressed_mb * 1_000_000),
        max_document_chars=settings.max_document_chars,
        max_document_chunks=settings.max_document_chunks,
        ocr=build_ocr(settings),
        convert_cache=settings.cache_dir / "convert",
        index_workers=settings.index_workers,
    )


def build_ocr(settings: Settings) -> OcrEngine | None:
    """Tesseract OCR as the settings describe it, its results cached under `<data_dir>/cache/ocr` (None: off)."""
    if settings.ocr == "off":
        return None
    return OcrEngine(settings.cache_dir / "ocr", dpi=settings.ocr_dpi, min_confidence=settings.ocr_min_confidence)


class Indexer:
    """Adds, replaces, removes and lists the documents of one index; reads files from the allowed folders only
    (`ASSISTANT_INGEST_DIRS`), never the assistant's own state."""

    def __init__(self, settings: Settings, index: PlanIndex | None = None) -> None:
        self.settings = settings
        # A build embeds on every core (`index_threads`); the answering side keeps `embed_threads`.
        self.index = index or build_index(settings, build_embedder(settings, threads=index_threads(settings)))

    def open(self) -> Indexer:
        """Check that the index exists and was built with these settings (fix-it error otherwise)."""
        self.index.open_for_search()
        return self

    def sync(
        self,
        paths: Sequence[Path] | None = None,
        *,
        remove_missing: bool = True,
        rebuild: bool = False,
        only_remove: Iterable[str] = (),
        **options: Any,
    ) -> SyncReport:
        """Ingest files (default: the configured corpus folder) from the allowed folders only. A full sync
        (`index build`, which drops what it does not find) keeps the documents uploaded from the library page:
        their originals under `<data_dir>/uploads/` are synced too, each under its own id (its file name).
        `options` go to `PlanIndex.sync` as they are (progress and checks of the library's jobs)."""
        roots = list(paths or [self.settings.corpus_dir])
        if remove_missing:
            roots += sorted(p for p in (self.settings.data_dir / "uploads").glob("*/*") if p.is_file())
        for root in roots:
            if not self._allowed(Path(root)):
                raise LoaderError(
                    f"Không được phép đọc {root}: nằm ngoài các thư mục được phép; thêm thư mục vào "
                    "ASSISTANT_INGEST_DIRS nếu cần (path outside the allowed folders)."
                )
            self._check_data_folder(Path(root))
        # The answerer's sentences are embedded at build time, so that questions find their vectors ready.
        extra = meaning_texts if self.settings.sentence_vectors else None
        return self.index.sync(
            roots,
            remove_missing=remove_missing,
            rebuild=rebuild,
            only_remove=only_remove,
            check_path=self._check_file,
            extra_texts=extra,
            **options,
        )

    def add(self, paths: Sequence[Path]) -> SyncReport:
        """Add or update these files and folders, keeping every other document (`assistant index add`)."""
        return self.sync(paths, remove_missing=False)

    def remove(self, names: Sequence[str]) -> SyncReport:
        """Drop documents by id or file name (`assistant index remove`, the library's removal); a name the index
        does not hold is a `NotIndexedError` and nothing is removed."""
        docs = self.index.documents()
        known = {d["doc_id"] for d in docs} | {d["source"] for d in docs}
        if unknown := [n for n in names if n not in known]:
            raise NotIndexedError(f"Không có trong chỉ mục: {', '.join(unknown)}")
        return self.index.sync([], remove_missing=False, only_remove=list(names))

    def documents(self) -> list[dict[str, Any]]:
        """Indexed documents with their metadata, in id order."""
        return self.index.documents()

    def _allowed(self, path: Path) -> bool:
        """Whether `path`, links resolved, lies inside one of the allowed folders."""
        real = Path(os.path.realpath(path))
        return any(real.is_relative_to(os.path.realpath(d)) for d in self.settings.allowed_dirs)

    def _state_dirs(self) -> list[Path]:
        """The folders of the assistant's own state (the index wherever `index_path` puts it, caches, logs,
        temporary files, models, benchmarks), links resolved."""
        s, d = self.settings, self.settings.data_dir
        dirs = (s.index_dir, d / "index", s.cache_dir, d / "logs", d / "tmp", d / "models", d / "bench")
        return [Path(os.path.realpath(p)) for p in dirs]

    def _check_data_folder(self, path: Path) -> None:
        """Refuse the assistant's own state (`_state_dirs`, and the files directly in the data folder: feedback,
        build records), and a link from outside the data folder into a part of it. A folder the user put in
        the data folder (e.g. `data/inbox`) and named directly stays allowed."""
        real = Path(os.path.realpath(path))
        data = Path(os.path.realpath(self.settings.data_dir))
        if any(real.is_relative_to(s) for s in self._state_dirs()) or (real.parent == data and not real.is_dir()):
            raise LoaderError(
                f"{path.name}: thuộc dữ liệu của chính trợ lý (chỉ mục, bộ nhớ đệm, nhật ký, phản hồi), không đưa vào "
                "chỉ mục (the assistant's own data; see ASSISTANT_DATA_DIR, ASSISTANT_INDEX_PATH)"
            )
        if real.is_relative_to(data) and _linked_into(Path(os.path.abspath(path)), data):
            raise LoaderError(
                f"{path.name}: liên kết từ bên ngoài trỏ vào thư mục dữ liệu (link into the data folder from "
                "outside; see ASSISTANT_DATA_DIR)"
            )

    def _check_file(self, path: Path) -> None:
        """Refuse a file that links out of the allowed folders or into the data folder, or is over the size
        limit (before reading)."""
        if not self._allowed(path):
            raise LoaderError(
                f"{path.name}: liên kết trỏ ra ngoài các thư mục được phép (link outside the allowed folders; "
                "see ASSISTANT_INGEST_DIRS)"
            )
        self._check_data_folder(path)
        size_mb = path.stat().st_size / 1_000_000
        if size_mb > self.settings.max_file_mb:
            raise LoaderError(
                f"{path.name}: tệp quá lớn ({size_mb:.0f} MB > {self.settings.max_file_mb:g} MB; "
                "file too large, see ASSISTANT_MAX_FILE_MB)"
            )


def _linked_into(path: Path, data: Path) -> bool:
    """Whether a link on the way to `path` (an absolute path, links not resolved), the file itself or a folder
    above it, leads from outside `data` into a part of it. A link to `data` as a whole (or to a folder above
    it) only moves the data folder, and is not one."""
    for p in (path, *path.parents):
        if p.is_symlink():
            target, here = Path(os.path.realpath(p)), Path(os.path.realpath(p.parent))
            if target.is_relative_to(data) and target != data and not here.is_relative_to(data):
                return True
    return False
