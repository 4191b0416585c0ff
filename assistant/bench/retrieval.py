"""Paragraph retrieval on XQuAD: hit@1, hit@5 and MRR of the gold paragraph for BM25, dense and hybrid.

Each XQuAD paragraph becomes one document of a bench index (built by the real pipeline, so chunking,
normalisation and the embedding cache are those of the app). Questions go through the app's query
path (`assistant.textmatch.search_queries`, as in `Assistant._prepare`: accent restoration for the
dense side, the glossary for English, the question frame dropped for BM25); `hybrid` is the retriever
the app builds from the settings, `hybrid_rrf` the same with reciprocal rank fusion. A paragraph's rank
is the rank of its first chunk in the retrieved list. llama-index's plain `VectorStoreIndex` over the
same chunks and vectors, asked the raw question, is the baseline.

>>> summarize([1, 2, None, 1])
{'hit@1': 0.5, 'hit@5': 0.75, 'mrr': 0.625, 'n': 4}
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.bench import MemoQueries, bench_root
from assistant.settings import Settings
from assistant.textmatch import SearchQueries, detect_language, search_queries
from index.text import strip_diacritics as strip_diacritics  # questions typed without accents

log = logging.getLogger(__name__)

MODES = ("bm25", "dense", "hybrid", "hybrid_rrf")


# ------------------------------------------------------------------------------------------ metrics
def first_rank(ranked: Sequence[str], gold: str) -> int | None:
    """1-based rank of `gold` in `ranked`, None when absent."""
    for i, item in enumerate(ranked, start=1):
        if item == gold:
            return i
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose gold item is within the first k."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr(ranks: Sequence[int | None]) -> float:
    """Mean reciprocal rank (absent = 0)."""
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks) if ranks else 0.0


def summarize(ranks: Sequence[int | None]) -> dict[str, Any]:
    """hit@1, hit@5 and MRR rounded to 4 places, plus the number of questions."""
    return {
        "hit@1": round(hit_at(ranks, 1), 4),
        "hit@5": round(hit_at(ranks, 5), 4),
        "mrr": round(mrr(ranks), 4),
        "n": len(ranks),
    }


def dedupe(ids: Sequence[str]) -> list[str]:
    """Ids in first-seen order without repeats (chunk hits → document ranking)."""
    return list(dict.fromkeys(ids))


# --------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Question:
    """One benchmark question and the file name of its gold paragraph."""

    qid: str
    text: str
    gold: str


def load_xquad(
    path: Path, questions_from: Path | None = None, strip: bool = False
) -> tuple[dict[str, str], list[Question]]:
    """Paragraphs by file name and questions of a SQuAD-format file; `questions_from` (same ids)
    replaces the question texts, e.g. English questions against Vietnamese paragraphs."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    other: dict[str, str] = {}
    if questions_from is not None:
        for art in json.loads(questions_from.read_text(encoding="utf-8"))["data"]:
            for p in art["paragraphs"]:
                other.update({qa["id"]: qa["question"] for qa in p["qas"]})
    paragraphs: dict[str, str] = {}
    questions: list[Question] = []
    for a, art in enumerate(data):
        for i, p in enumerate(art["paragraphs"]):
            name = f"{a:02d}_{i:02d}.txt"
            paragraphs[name] = p["context"]
            for qa in p["qas"]:
                text = other.get(qa["id"], qa["question"]) if questions_from is not None else qa["question"]
                if questions_from is not None and qa["id"] not in other:
                    log.warning("question %s missing from %s", qa["id"], questions_from)
                    continue
                questions.append(Question(qa["id"], strip_diacritics(text) if strip else text, name))
    return paragraphs, questions


def write_docs(paragraphs: dict[str, str], folder: Path) -> None:
    """One text file per paragraph (rewritten only when different, so re-syncs do nothing)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in paragraphs.items():
        p = folder / name
        if not p.is_file() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8")


# ------------------------------------------------------------------------------------------ queries
def app_queries(app: Any, question: str, restore: bool = True) -> SearchQueries:
    """The queries `Assistant._prepare` builds for `question` as a first turn (shared `search_queries`);
    `restore=False` leaves accents as typed."""
    from assistant.engine import clean_question

    q = clean_question(question, app.settings.max_question_chars)
    restorer = app.index.accent_restorer().restore if restore else str
    return search_queries(q, detect_language(q), restorer, app.known_words)  # the engine's own vocabulary filter


def llamaindex_retriever(index: Any, embedder: Any, k: int) -> Any:
    """llama-index's plain `VectorStoreIndex` (in-memory store) over the index's chunks and vectors."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import TextNode

    from index.pipeline import index_text
    from index.store import LlamaIndexEmbedding

    chunks = list(index.chunks().values())
    texts = [index_text(c) for c in chunks]
    vectors = embedder.embed_passages(texts)  # cache hits: the same vectors Chroma holds
    nodes = [
        TextNode(id_=c.chunk_id, text=t, embedding=v.tolist(), metadata={"doc_id": c.doc_id})
        for c, t, v in zip(chunks, texts, vectors, strict=True)
    ]
    vsi = VectorStoreIndex(nodes, embed_model=LlamaIndexEmbedding(embedder), show_progress=False)
    return vsi.as_retriever(similarity_top_k=k)


# ---------------------------------------------------------------------------------------------- run
def open_bench_index(settings: Settings, paragraphs: dict[str, str], name: str = "xquad") -> Any:
    """The bench index of `paragraphs` (synced: only new or changed paragraphs are embedded)."""
    from assistant.indexer import build_embedder, build_index

    root = bench_root(settings.data_dir) / name
    write_docs(paragraphs, root / "docs")
    # The embedding cache stays the main one, so vectors computed once serve every rerun.
    embedder = MemoQueries(build_embedder(settings))
    local = settings.model_copy(update={"data_dir": root, "chroma_url": ""})
    index = build_index(local, embedder=embedder)
    t0 = time.perf_counter()
    report = index.sync([root / "docs"])
    log.info("bench index %s: %d chunks (%.1f s)", name, report.chunks, time.perf_counter() - t0)
    index.open_for_search()
    return index


def run(
    settings: Settings,
    xquad: Path,
    questions_from: Path | None = None,
    strip: bool = False,
    limit: int | None = None,
    candidate_k: int | None = None,
    rrf_k: int | None = None,
    restore: bool = True,
    baseline: bool = True,
) -> dict[str, Any]:
    """Figures of every mode (and the llama-index baseline) on one XQuAD file.

    `hybrid` is the retriever `Assistant` builds from `settings`, `hybrid_rrf` the same with RRF fusion;
    `bm25` and `dense` are its two sides alone. All get the app's queries (`app_queries`).
    """
    from tqdm import tqdm

    from assistant.app import App
    from index.normalize import normalize
    from index.retrieve import HybridRetriever

    paragraphs, questions = load_xquad(xquad, questions_from, strip)
    if limit:
        questions = questions[:limit]
    index = open_bench_index(settings, paragraphs)
    ck = candidate_k or settings.candidate_k
    rk = rrf_k or settings.rrf_k
    configured = settings.model_copy(update={"candidate_k": ck, "rrf_k": rk})
    app = App.from_settings(configured, index=index).open_engine()
    rrf_app = App.from_settings(configured.model_copy(update={"fusion": "rrf"}), index=index).open_engine()
    retrievers = {
        "bm25": HybridRetriever(index, ck, rk, use_dense=False),
        "dense": HybridRetriever(index, ck, rk, use_bm25=False),
        "hybrid": app.retriever,
        "hybrid_rrf": rrf_app.retriever,
    }
    ranks: dict[str, list[int | None]] = {m: [] for m in MODES}
    seconds: dict[str, float] = {m: 0.0 for m in MODES}
    li = llamaindex_retriever(index, index.embedder, ck) if baseline else None
    if li is not None:
        ranks["llamaindex_vector"], seconds["llamaindex_vector"] = [], 0.0
    for q in tqdm(questions, desc="Questions", unit="q", disable=len(questions) < 50):
        queries = app_queries(app, q.text, restore)
        index.embedder.embed_queries([normalize(queries.dense)])  # embed once, outside the timings of each mode
        for mode, r in retrievers.items():
            t0 = time.perf_counter()
            hits = r.retrieve(queries.dense, k=ck, lexical_query=queries.lexical)
            seconds[mode] += time.perf_counter() - t0
            ranks[mode].append(first_rank(dedupe([h.chunk.source for h in hits]), q.gold))
        if li is not None:
            t0 = time.perf_counter()
            found = li.retrieve(q.text)  # plain: the raw question, no query processing
            seconds["llamaindex_vector"] += time.perf_counter() - t0
            docs = dedupe([index.chunks()[n.node.node_id].source for n in found])
            ranks["llamaindex_vector"].append(first_rank(docs, q.gold))
    out: dict[str, Any] = {m: summarize(r) for m, r in ranks.items()}
    out["config"] = {
        "xquad": str(xquad),
        "questions_from": str(questions_from) if questions_from else None,
        "strip_diacritics": strip,
        "embedder": index.embedder.name,
        "paragraphs": len(paragraphs),
        "chunks": len(index.chunks()),
        "candidate_k": ck,
        "fusion": app.retriever.fusion,
        "fusion_alpha": app.retriever.fusion_alpha,
        "rrf_k": rk,
        "accent_restoration": restore,
        "ms_per_query_excluding_query_embedding": {
            m: round(1000 * s / max(len(questions), 1), 2) for m, s in seconds.items()
        },
    }
    return out


def format_table(result: dict[str, Any]) -> str:
    """A plain-text table of the figures."""
    rows = [m for m in result if m != "config"]
    lines = [f"{'mode':<18} {'hit@1':>7} {'hit@5':>7} {'MRR':>7} {'n':>6}"]
    for m in rows:
        r = result[m]
        lines.append(f"{m:<18} {r['hit@1']:>7.3f} {r['hit@5']:>7.3f} {r['mrr']:>7.3f} {r['n']:>6}")
    cfg = result.get("config", {})
    lines.append(
        f"embedder={cfg.get('embedder')} paragraphs={cfg.get('paragraphs')} chunks={cfg.get('chunks')} "
        f"candidate_k={cfg.get('candidate_k')} fusion={cfg.get('fusion')} alpha={cfg.get('fusion_alpha')} "
        f"rrf_k={cfg.get('rrf_k')}"
    )
    return "\n".join(lines)
