"""What the answer engine takes and returns: a question as the answerers receive it (`Query`), their outcome
(`ExtractedAnswer`), and what the UI, CLI, HTTP API and eval read (`Answer`, `Citation`), nothing deeper."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from index.types import Chunk, Filters, Retrieved


@dataclass(frozen=True)
class Query:
    """One question as the answerers receive it, built once per turn (`Assistant._prepare`).

    `match` holds the words passages are matched against: the question with accents restored, or an English
    question's glossary terms (`assistant.textmatch.search_queries`). `typed` is the standalone question as
    typed (a follow-up completed from earlier turns), capitals kept: names, years and document numbers are read
    from it. `focus` is the new question alone when `typed` also carries names inherited from earlier turns.
    """

    match: str
    lang: str = "vi"  # 'vi' or 'en'
    typed: str | None = None
    meaning: str | None = None  # what is embedded to quote by meaning (default `match`)
    restored: bool = False  # accents were guessed by us: a match without them counts in part
    focus: str | None = None
    known_named: tuple[str, ...] = ()  # issuing bodies and places of the corpus that the question names
    lexical: tuple[str, ...] = ()  # what BM25 searches, one list each
    filters: Filters | None = None  # the sources, issuers and years the user chose

    @property
    def question(self) -> str:
        """The standalone question as typed, or the matched words when there is none."""
        return self.typed or self.match


@dataclass
class ExtractedAnswer:
    """The outcome of the extractive answerer."""

    text: str
    abstained: bool
    citations: list[Citation]


@dataclass(frozen=True)
class Citation:
    """A numbered source `[n]`: the passage, where it comes from, and the sentence(s) that support the claim."""

    n: int
    source: str
    doc_id: str
    chunk_id: str
    title: str
    issuer: str
    date: str
    section: str
    text: str  # the cited passage, in the document's own spelling
    start: int  # offsets of the passage in the cleaned document text
    end: int
    score: float
    quotes: tuple[tuple[int, int], ...] = ()  # spans within `text` that support the answer
    number: str = ""  # the document's number, e.g. "08/KH-UBND"

    @classmethod
    def from_chunk(cls, n: int, chunk: Chunk, score: float, quotes: Iterable[tuple[int, int]] = ()) -> Citation:
        """Citation `[n]` of a chunk, with the spans of its text that the answer quotes (in order)."""
        return cls(
            n=n,
            source=chunk.source,
            doc_id=chunk.doc_id,
            chunk_id=chunk.chunk_id,
            title=chunk.meta.title,
            issuer=chunk.meta.issuer,
            date=chunk.meta.date,
            section=chunk.section,
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            score=score,
            quotes=tuple(sorted(quotes)),
            number=chunk.meta.number,
        )

    def to_json(self) -> dict[str, Any]:
        """JSON form used by `ask --json`, the HTTP API and eval reports."""
        return {
            "n": self.n,
            "source": self.source,
            "doc_id": self.doc_id,
            "chunk_id": self.chunk_id,
            "title": self.title,
            "issuer": self.issuer,
            "number": self.number,
            "date": self.date,
            "section": self.section,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 6),
            "quotes": [list(q) for q in self.quotes],
        }


def retrieved_json(r: Retrieved) -> dict[str, Any]:
    """JSON form of one retrieved passage."""
    c = r.chunk
    return {
        "source": c.source,
        "doc_id": c.doc_id,
        "chunk_id": c.chunk_id,
        "title": c.meta.title,
        "issuer": c.meta.issuer,
        "number": c.meta.number,
        "date": c.meta.date,
        "section": c.section,
        "text": c.text,
        "score": round(r.score, 6),
        "bm25_rank": r.bm25_rank,
        "dense_rank": r.dense_rank,
        "dense_score": None if r.dense_score is None else round(r.dense_score, 4),
    }


@dataclass
class Answer:
    """One answered (or abstained) question."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Retrieved] = field(default_factory=list)
    latency_ms: float = 0.0
    mode: str = "extractive"  # extractive | llm | extractive-fallback | tasks (assistant/duties.py)
    notice: str = ""  # short message shown above the answer (e.g. LLM unreachable)
    search_query: str = ""  # the question as used for retrieval (after follow-up condensation)
    language: str = "vi"

    def to_json(self) -> dict[str, Any]:
        """The `assistant ask --json` contract."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [retrieved_json(r) for r in self.retrieved],
            "latency_ms": round(self.latency_ms, 1),
            "mode": self.mode,
            "notice": self.notice,
            "search_query": self.search_query,
            "language": self.language,
        }
