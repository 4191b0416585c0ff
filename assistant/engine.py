"""Composition root: turns `Settings` into an embedder, an index, a retriever and an answerer."""

from __future__ import annotations

import logging
import os
import re
import time
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.conversation import condense
from assistant.crosslingual import vietnamese_terms
from assistant.errors import QuestionError
from assistant.extractive import Extract, ExtractiveAnswerer, document_fits, fitting_documents, meaning_texts
from assistant.generative import GenerativeAnswerer, GenerativeResult, condense_llm
from assistant.llm import make_llm
from assistant.offline import forbid_llama_index_defaults
from assistant.settings import Settings
from assistant.textmatch import (
    detect_language,
    document_numbers,
    document_places,
    document_years,
    number_key,
    search_queries,
)
from assistant.types import Answer
from index.embed import Embedder, make_embedder
from index.errors import LoaderError
from index.normalize import fold, tokenize
from index.ocr import OcrEngine
from index.pipeline import PlanIndex, SyncReport, doc_meta_from_manifest
from index.retrieve import HybridRetriever
from index.types import Filters, Retrieved
from prompts import phrase

log = logging.getLogger(__name__)

# "Who signed …?" in Vietnamese (with or without accents) and English, on folded text.
_TERMINAL_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# A second search among the documents of a named year or place is skipped when they are more than this: so many
# documents of that year would have been found by the first search.
_REFOCUS_MAX_DOCUMENTS = 2000
# A document named by its number is searched on its own when fewer of the passages retrieved are its own.
_NAMED_DOCUMENT_HITS = 2
_SIGNER = re.compile(r"\b(?:ai ky|nguoi ky|ky boi|ai da ky|who signed|signed by|signer|signatory)\b")


def build_embedder(settings: Settings) -> Embedder:
    """The embedder the settings select, with its vector cache under the data folder.

    fast-e5 keeps its converted model in `embed_model`, by default `<data_dir>/models/fast-e5`.
    """
    model_path = settings.embed_model
    if settings.embed_backend == "fast-e5" and not model_path:
        model_path = str(settings.data_dir / "models" / "fast-e5")
    return make_embedder(
        settings.embed_backend,
        model_path=model_path,
        query_prefix=settings.embed_query_prefix,
        passage_prefix=settings.embed_passage_prefix,
        threads=settings.embed_threads,
        cache_path=settings.cache_dir / "embeddings.sqlite",
        batch_size=settings.embed_batch_size,
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
    )


def build_ocr(settings: Settings) -> OcrEngine | None:
    """Tesseract OCR as the settings describe it, its results cached under `<data_dir>/cache/ocr` (None: off)."""
    if settings.ocr == "off":
        return None
    return OcrEngine(settings.cache_dir / "ocr", dpi=settings.ocr_dpi, min_confidence=settings.ocr_min_confidence)


def clean_question(question: object, max_chars: int) -> str:
    """The question with control characters removed; a clear error when it cannot be asked."""
    if not isinstance(question, str):
        raise QuestionError("Câu hỏi phải là một chuỗi văn bản (question must be text).")
    if len(question) > max_chars:
        raise QuestionError(f"Câu hỏi quá dài: {len(question)} ký tự, tối đa {max_chars} (question too long).")
    q = _TERMINAL_ESCAPE.sub(" ", question)  # pasted colour codes: "\x1b[31m" is not the words "31m"
    q = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in q)
    q = " ".join(q.split())
    if not q:
        raise QuestionError("Câu hỏi trống: hãy nhập câu hỏi (empty question).")
    if not any(ch.isalnum() for ch in q):
        raise QuestionError("Câu hỏi không có chữ hoặc số nào (question has no words).")
    return q


class Assistant:
    """Answers questions over an index: retrieval, follow-up condensation, extractive answer."""

    def __init__(self, settings: Settings, index: PlanIndex | None = None) -> None:
        forbid_llama_index_defaults()  # any silent fallback to OpenAI models fails loudly
        self.settings = settings
        self.index = index or build_index(settings)
        self.retriever = HybridRetriever(
            self.index,
            candidate_k=settings.candidate_k,
            rrf_k=settings.rrf_k,
            fusion=settings.fusion,
            fusion_alpha=settings.fusion_alpha,
        )
        self._known: list[str] | None = None
        llm = make_llm(settings)
        self.generative = GenerativeAnswerer(llm) if llm is not None else None
        emb = self.index.embedder
        self.extractive = ExtractiveAnswerer(
            idf=lambda t: self.index.bm25().idf(t),
            embed_query=emb.embed_queries,
            embed_passage=emb.embed_passages,
            max_sentences=settings.answer_max_sentences,
            min_coverage=settings.abstain_min_coverage,
            min_dense=settings.abstain_min_dense,
        )

    @classmethod
    def open(cls, settings: Settings) -> Assistant:
        """An assistant over an existing index; raises a fix-it error if the index is missing or stale."""
        a = cls(settings)
        a.index.open_for_search()
        return a

    def sync(self, paths: Sequence[Path] | None = None, **kwargs: Any) -> SyncReport:
        """Ingest files (default: the configured corpus folder) from the allowed folders only. A full sync
        (`index build`, which drops what it does not find) keeps the documents uploaded from the library page:
        their originals under `<data_dir>/uploads/` are synced too, each under its own id (its file name)."""
        roots = list(paths or [self.settings.corpus_dir])
        if kwargs.get("remove_missing", True):
            roots += sorted(p for p in (self.settings.data_dir / "uploads").glob("*/*") if p.is_file())
        for root in roots:
            if not self._allowed(Path(root)):
                raise LoaderError(
                    f"Không được phép đọc {root}: nằm ngoài các thư mục được phép; thêm thư mục vào "
                    "ASSISTANT_INGEST_DIRS nếu cần (path outside the allowed folders)."
                )
            self._check_data_folder(Path(root))
        extra = meaning_texts if self.settings.sentence_vectors else None
        return self.index.sync(roots, check_path=self._check_file, extra_texts=extra, **kwargs)

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

    def documents(self) -> list[dict[str, Any]]:
        """Indexed documents with metadata."""
        return self.index.documents()

    def _known_words(self, text: str) -> str:
        """The syllables of `text` that occur in the corpus (English leftovers would only dilute)."""
        df = self.index.bm25().df
        return " ".join(t for t in tokenize(text) if df.get(fold(t)))

    def known_names(self) -> list[str]:
        """Issuing bodies and places of the indexed documents (follow-ups inherit them)."""
        if self._known is None:
            names = {d["meta"].get(k, "") for d in self.documents() for k in ("issuer", "place")}
            self._known = sorted(n for n in names if n)
        return self._known

    def _refocus(
        self,
        hits: list[Retrieved],
        search_query: str,
        filters: Filters | None,
        dense_query: str,
        lexical: Sequence[str],
    ) -> list[Retrieved]:
        """When the question names a year or a place whose documents the index holds, but every retrieved
        document is of another year or place (their texts mention it), search again among the documents of
        that year and place only: answering from the others would be wrong, abstaining needless. When the place
        has documents but none of that year, search among them: the abstention then names their years.
        Likewise a document named by its number ("Công văn 193/UBND-KT …") that the index holds: its passages
        are searched when few of those retrieved are its own."""
        wanted = set(filters.sources) if filters is not None and filters.sources else None

        def searchable() -> list[dict[str, Any]]:  # read only when needed: the manifest may list 37,000 documents
            return [d for d in self.documents() if wanted is None or d["doc_id"] in wanted or d["source"] in wanted]

        if numbers := {number_key(n) for n in document_numbers(search_query)}:
            named = [d["doc_id"] for d in searchable() if number_key(d.get("meta", {}).get("number") or "") in numbers]
            own = sum(1 for h in hits if h.chunk.doc_id in named)
            if named and own < _NAMED_DOCUMENT_HITS and len(named) <= _REFOCUS_MAX_DOCUMENTS:
                again = self.retriever.retrieve(
                    dense_query, k=self.settings.top_k, filters=self._narrowed(named, filters), lexical_query=lexical
                )
                log.info("Searched again in the document%s numbered %s", "s" if len(named) > 1 else "", numbers)
                if again:
                    return again
        named_years, required = document_years(search_query), document_places(search_query)
        if not (named_years or required) or fitting_documents(hits, named_years, (), required):
            return hits
        # Documents known to be of that place (an unknown issuer is not searched as if it were).
        metas = [(d["doc_id"], doc_meta_from_manifest(d)) for d in searchable()]
        fitting = [doc for doc, meta in metas if document_fits(meta, named_years, required, strict=True)]
        if not fitting and required:  # the place's documents of other years: the answer can say which years
            fitting = [doc for doc, meta in metas if document_fits(meta, (), required, strict=True)]
        if not fitting or len(fitting) > _REFOCUS_MAX_DOCUMENTS:
            return hits
        narrowed = self._narrowed(fitting, filters)
        again = self.retriever.retrieve(dense_query, k=self.settings.top_k, filters=narrowed, lexical_query=lexical)
        log.info("Searched again among %d documents of %s: %d hits", len(fitting), named_years + required, len(again))
        return again or hits

    @staticmethod
    def _narrowed(doc_ids: Sequence[str], filters: Filters | None) -> Filters:
        """`filters` (issuers, years) over the documents `doc_ids` only."""
        return Filters(
            sources=tuple(doc_ids),
            issuers=filters.issuers if filters is not None else (),
            year_min=filters.year_min if filters is not None else None,
            year_max=filters.year_max if filters is not None else None,
        )

    def _with_signature_blocks(self, hits: list[Retrieved]) -> list[Retrieved]:
        """The retrieved documents' chunks that name their signer, best document first."""
        out: list[Retrieved] = []
        seen: set[str] = set()
        for h in hits:
            meta, doc = h.chunk.meta, h.chunk.doc_id
            if doc in seen or not meta.signer:
                continue
            seen.add(doc)
            for c in self.index.doc_chunks(doc):
                if meta.signer in c.text:
                    out.append(Retrieved(c, h.score))
        return out

    def _prepare(
        self, question: str, history: Sequence[dict[str, Any]], filters: Filters | None
    ) -> tuple[Answer, list[Retrieved], Extract]:
        """Clean, condense, retrieve and answer extractively; the LLM path builds on this."""
        t0 = time.perf_counter()
        q = clean_question(question, self.settings.max_question_chars)
        lang = detect_language(q)
        if self.generative is not None and history:
            search_query = condense_llm(self.generative.llm, q, history)
        else:
            search_query = condense(q, history, self.known_names())

        def restore(text: str) -> str:  # the accent model is built at first use: English questions skip it
            return self.index.accent_restorer().restore(text)

        # English: glossary terms for BM25 and the answerer; without accents: restored ones (BM25 also as typed).
        queries = search_queries(search_query, lang, restore, self._known_words)
        match_query, dense_query, restored = queries.match, queries.dense, queries.restored
        focus = None
        if search_query != q:  # names were inherited from earlier turns: the new question is the focus
            focus = vietnamese_terms(q) if lang == "en" else self.index.accent_restorer().restore(q)
        hits = self.retriever.retrieve(
            dense_query, k=self.settings.top_k, filters=filters, lexical_query=queries.lexical
        )
        hits = self._refocus(hits, search_query, filters, dense_query, queries.lexical)
        # A follow-up that names only a new place keeps the previous question's intent ("… do ai ký?").
        signer_hits = self._with_signature_blocks(hits) if _SIGNER.search(fold(search_query)) else None
        ext = self.extractive.answer(
            match_query,
            hits,
            lang,
            meaning_query=dense_query,
            entity_query=search_query,
            restored=restored,
            signer_hits=signer_hits,
            focus=focus,
            known_named=[n for n in self.known_names() if f" {fold(n)} " in f" {fold(search_query)} "],
            document_chunks=self.index.doc_chunks,
        )
        answer = Answer(
            question=q,
            answer=ext.text,
            abstained=ext.abstained,
            citations=ext.citations,
            retrieved=hits,
            latency_ms=(time.perf_counter() - t0) * 1000,
            mode="extractive",
            search_query=search_query,
            language=lang,
        )
        return answer, hits, ext

    def _use_llm(self, answer: Answer) -> bool:
        # English answers cannot be checked word by word against Vietnamese passages: the guard would
        # reject them all, so English questions keep the (grounded) extractive answer.
        return self.generative is not None and answer.language != "en" and bool(answer.retrieved)

    def _finish(self, answer: Answer, t0: float) -> Answer:
        if answer.abstained and answer.retrieved:
            answer.answer = f"{answer.answer} {phrase('nearest', answer.language)}"
        answer.latency_ms = (time.perf_counter() - t0) * 1000
        return answer

    def ask(self, question: str, history: Sequence[dict[str, Any]] = (), filters: Filters | None = None) -> Answer:
        """Answer one question (the last turn of a conversation), with citations, or abstain."""
        t0 = time.perf_counter()
        answer, hits, ext = self._prepare(question, history, filters)
        if self._use_llm(answer):
            assert self.generative is not None
            _apply(answer, self.generative.answer(answer.search_query, hits, answer.language, fallback=ext))
        return self._finish(answer, t0)

    def stream(
        self, question: str, history: Sequence[dict[str, Any]] = (), filters: Filters | None = None
    ) -> Iterator[str | Answer]:
        """Yield answer text as it grows (LLM deltas, or the extractive answer in pieces), then the final
        `Answer`, whose text is authoritative (it replaces the deltas on fallback)."""
        t0 = time.perf_counter()
        answer, hits, ext = self._prepare(question, history, filters)
        if self._use_llm(answer):
            assert self.generative is not None
            for part in self.generative.stream(answer.search_query, hits, answer.language, fallback=ext):
                if isinstance(part, str):
                    yield part
                else:
                    _apply(answer, part)
        else:
            words = answer.answer.split(" ")
            for i in range(0, len(words), 6):
                yield " ".join(words[i : i + 6]) + (" " if i + 6 < len(words) else "")
        yield self._finish(answer, t0)


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


def _apply(answer: Answer, result: GenerativeResult) -> None:
    """Copy the generative outcome (or its extractive fallback) into the answer."""
    answer.answer, answer.abstained, answer.citations = result.text, result.abstained, result.citations
    answer.mode, answer.notice = result.mode, result.notice
