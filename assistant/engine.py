"""The answering engine: a question (and the turns before it) becomes retrieval, then a cited answer or an
abstention. `assistant.app.App` assembles it from the settings; the index's write side is `assistant.indexer`."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from assistant import duties, duty_questions
from assistant.condense import condense, gives_only_names, user_turns
from assistant.crosslingual import vietnamese_terms
from assistant.duty_followup import follow_up
from assistant.errors import QuestionError
from assistant.extractive import ExtractedAnswer, ExtractiveAnswerer, document_fits, fitting_documents
from assistant.generative import GenerativeAnswerer, GenerativeResult, condense_llm
from assistant.indexer import Indexer, build_embedder, build_index, build_ocr
from assistant.llm import make_llm
from assistant.offline import forbid_llama_index_defaults
from assistant.settings import Settings
from assistant.tasks import CachedTaskBook, TasksError
from assistant.textmatch import (
    detect_language,
    document_numbers,
    document_places,
    document_years,
    is_numbered,
    number_key,
    numbered_documents,
    search_queries,
)
from assistant.types import Answer, Query
from index.normalize import fold, tokenize
from index.pipeline import PlanIndex, SyncReport, doc_meta_from_manifest
from index.retrieve import HybridRetriever
from index.types import Filters, Retrieved
from prompts import phrase

log = logging.getLogger(__name__)

__all__ = ["Assistant", "build_embedder", "build_index", "build_ocr", "clean_question"]

# "Who signed …?" in Vietnamese (with or without accents) and English, on folded text.
_TERMINAL_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# A second search among the documents of a named year or place is skipped when they are more than this: so many
# documents of that year would have been found by the first search.
_REFOCUS_MAX_DOCUMENTS = 2000
# A document named by its number is searched on its own when fewer of the passages retrieved are its own.
_NAMED_DOCUMENT_HITS = 2
_SIGNER = re.compile(r"\b(?:ai ky|nguoi ky|ky boi|ai da ky|who signed|signed by|signer|signatory)\b")


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
        # Duty and deadline questions are answered from the assignments stored with the index (read again
        # only when a build rewrites them).
        self.task_book = CachedTaskBook.of(self.index.dir)
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
        """Sync files into this assistant's index (see `Indexer.sync`); the CLI and the server use `App.indexer`."""
        return Indexer(self.settings, self.index).sync(paths, **kwargs)

    def documents(self) -> list[dict[str, Any]]:
        """Indexed documents with metadata."""
        return self.index.documents()

    def known_words(self, text: str) -> str:
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
        Likewise a document named by its number ("Công văn 193/UBND-KT …", "Quyết định 1696 …") that the index
        holds: its passages are searched when few of those retrieved are its own, and only its passages answer."""
        wanted = set(filters.sources) if filters is not None and filters.sources else None

        def searchable() -> list[dict[str, Any]]:  # read only when needed: the manifest may list 37,000 documents
            return [d for d in self.documents() if wanted is None or d["doc_id"] in wanted or d["source"] in wanted]

        numbers = {number_key(n) for n in document_numbers(search_query)}
        bare = [] if numbers else numbered_documents(search_query)  # "1696/QĐ-UBND", else "Quyết định 1696"
        if numbers or bare:
            named = [
                d["doc_id"]
                for d in searchable()
                if number_key(meta_number := d.get("meta", {}).get("number") or "") in numbers
                or is_numbered(meta_number, d.get("meta", {}).get("kind") or "", bare)
            ]
            own = [h for h in hits if h.chunk.doc_id in named]
            if named and len(own) < _NAMED_DOCUMENT_HITS and len(named) <= _REFOCUS_MAX_DOCUMENTS:
                again = self.retriever.retrieve(
                    dense_query, k=self.settings.top_k, filters=self._narrowed(named, filters), lexical_query=lexical
                )
                log.info("Searched again in the document%s numbered %s", "s" if len(named) > 1 else "", numbers or bare)
                if again:
                    return again
            if own:  # the documents asked about answer, not another that says more of the question's words
                return own
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
    ) -> tuple[Answer, Query, list[Retrieved], ExtractedAnswer]:
        """Clean, condense, retrieve and answer extractively; the LLM path builds on this (the same `Query`)."""
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
        queries = search_queries(search_query, lang, restore, self.known_words)
        focus = None
        if search_query != q and not gives_only_names(q, self.known_names()):
            # names were inherited from earlier turns: the new question is the focus (unless it gives names only,
            # and asks what the earlier question asked)
            focus = vietnamese_terms(q) if lang == "en" else self.index.accent_restorer().restore(q)
        query = Query(
            match=queries.match,
            lang=lang,
            typed=search_query,
            meaning=queries.dense,
            restored=queries.restored,
            focus=focus,
            known_named=tuple(n for n in self.known_names() if f" {fold(n)} " in f" {fold(search_query)} "),
            lexical=queries.lexical,
            filters=filters,
        )
        hits = self.retriever.retrieve(
            queries.dense, k=self.settings.top_k, filters=filters, lexical_query=queries.lexical
        )
        hits = self._refocus(hits, search_query, filters, queries.dense, queries.lexical)
        ext = self._duties(q, search_query, lang, filters, user_turns(history))
        mode = "extractive" if ext is None else "tasks"
        if ext is None:
            # A follow-up that names only a new place keeps the previous question's intent ("… do ai ký?").
            signer_hits = self._with_signature_blocks(hits) if _SIGNER.search(fold(search_query)) else None
            ext = self.extractive.answer(query, hits, signer_hits=signer_hits, document_chunks=self.index.doc_chunks)
            if signer_hits:
                hits = _signature_first(hits, signer_hits)
        answer = Answer(
            question=q,
            answer=ext.text,
            abstained=ext.abstained,
            citations=ext.citations,
            retrieved=hits,
            latency_ms=(time.perf_counter() - t0) * 1000,
            mode=mode,
            search_query=search_query,
            language=lang,
        )
        return answer, query, hits, ext

    def _duties(
        self, question: str, search_query: str, lang: str, filters: Filters | None, previous: Sequence[str] = ()
    ) -> ExtractedAnswer | None:
        """A duty or deadline question ("Phòng Nội vụ phải làm gì?", "những việc nào phải xong trước 30/11?"), or
        a follow-up of one ("Còn Phòng Tài chính thì sao?", `previous` being the earlier user turns), answered
        from the stored assignments as a cited list; None for any other question, or when the index has no
        assignments, does not know the unit or has no task that matches (the ordinary path answers)."""
        today = date.today()
        ask = duty_questions.detect(question, today) or follow_up(question, previous, today)
        if ask is None:
            return None
        try:
            book = self.task_book.get()
        except TasksError:
            return None
        if search_query != question:  # a follow-up: the areas and years of the earlier turns
            ask = duty_questions.with_scope(ask, search_query)
        return duties.answer(ask, book, self.index.doc_chunks, filters, lang)

    def _use_llm(self, answer: Answer) -> bool:
        # English answers cannot be checked word by word against Vietnamese passages: the guard would
        # reject them all, so English questions keep the (grounded) extractive answer. A list of tasks is
        # the plans' own sentences: it is not rephrased.
        return (
            self.generative is not None
            and answer.language != "en"
            and answer.mode != "tasks"
            and bool(answer.retrieved)
        )

    def _finish(self, answer: Answer, t0: float) -> Answer:
        if answer.abstained and answer.retrieved:
            answer.answer = f"{answer.answer} {phrase('nearest', answer.language)}"
        answer.latency_ms = (time.perf_counter() - t0) * 1000
        return answer

    def ask(self, question: str, history: Sequence[dict[str, Any]] = (), filters: Filters | None = None) -> Answer:
        """Answer one question (the last turn of a conversation), with citations, or abstain."""
        t0 = time.perf_counter()
        answer, query, hits, ext = self._prepare(question, history, filters)
        if self._use_llm(answer):
            assert self.generative is not None
            _apply(answer, self.generative.answer(query, hits, fallback=ext))
        return self._finish(answer, t0)

    def stream(
        self, question: str, history: Sequence[dict[str, Any]] = (), filters: Filters | None = None
    ) -> Iterator[str | Answer]:
        """Yield answer text as it grows (LLM deltas, or the extractive answer in pieces), then the final
        `Answer`, whose text is authoritative (it replaces the deltas on fallback)."""
        t0 = time.perf_counter()
        answer, query, hits, ext = self._prepare(question, history, filters)
        if self._use_llm(answer):
            assert self.generative is not None
            for part in self.generative.stream(query, hits, fallback=ext):
                if isinstance(part, str):
                    yield part
                else:
                    _apply(answer, part)
        else:
            words = answer.answer.split(" ")
            for i in range(0, len(words), 6):
                yield " ".join(words[i : i + 6]) + (" " if i + 6 < len(words) else "")
        yield self._finish(answer, t0)


def _apply(answer: Answer, result: GenerativeResult) -> None:
    """Copy the generative outcome (or its extractive fallback) into the answer."""
    answer.answer, answer.abstained, answer.citations = result.text, result.abstained, result.citations
    answer.mode, answer.notice = result.mode, result.notice


def _signature_first(hits: Sequence[Retrieved], blocks: Sequence[Retrieved]) -> list[Retrieved]:
    """The passages found for a question asking who signed: each document's signature block first among its own
    passages (it is what answers), as many passages as before."""
    by_doc: dict[str, list[Retrieved]] = {}
    for b in blocks:
        by_doc.setdefault(b.chunk.doc_id, []).append(b)
    found = {h.chunk.chunk_id: h for h in hits}
    out: dict[str, Retrieved] = {}
    for h in hits:
        for b in by_doc.pop(h.chunk.doc_id, []):  # at the place of its document's best passage, with its score
            out.setdefault(b.chunk.chunk_id, replace(found.get(b.chunk.chunk_id, b), score=h.score))
        out.setdefault(h.chunk.chunk_id, h)
    return list(out.values())[: len(hits)]
