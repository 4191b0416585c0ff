"""Hybrid retrieval over a real small index (bundled corpus, hashing embedder): fusion modes and the lexical query."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.settings import Settings
from index.pipeline import PlanIndex
from index.retrieve import HybridRetriever
from index.types import Filters

from .conftest import CORPUS, GO_VAP_2010

QUESTION = "Ai chịu trách nhiệm báo cáo quý?"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> PlanIndex:
    data: Path = tmp_path_factory.mktemp("retrieve") / "data"
    settings = Settings(embed_backend="hash", data_dir=data)
    Assistant(settings).sync([CORPUS])
    return Assistant.open(settings).index


def test_bad_configuration_is_refused(index: PlanIndex) -> None:
    with pytest.raises(ValueError, match="fusion"):
        HybridRetriever(index, fusion="max")
    with pytest.raises(ValueError, match="fusion_alpha"):
        HybridRetriever(index, fusion_alpha=1.5)
    with pytest.raises(ValueError, match="At least one"):
        HybridRetriever(index, use_bm25=False, use_dense=False)


def test_an_empty_lexical_query_searches_nothing_with_bm25(index: PlanIndex) -> None:
    r = HybridRetriever(index)
    assert any(h.bm25_rank for h in r.retrieve(QUESTION, k=8))  # not given: BM25 searches the question
    hits = r.retrieve(QUESTION, k=8, lexical_query="")
    assert hits and all(h.bm25_rank is None and h.dense_rank for h in hits)
    assert [h.dense_rank for h in hits] == list(range(1, len(hits) + 1))  # dense order alone


def test_an_empty_list_of_lexical_queries_searches_nothing_either(index: PlanIndex) -> None:
    for fusion in ("convex", "rrf"):
        hits = HybridRetriever(index, fusion=fusion).retrieve(QUESTION, k=8, lexical_query=())
        assert hits and all(h.bm25_rank is None for h in hits)


def test_the_lexical_query_is_what_bm25_searches(index: PlanIndex) -> None:
    bm25_only = HybridRetriever(index, use_dense=False)
    by_question = [h.chunk.chunk_id for h in bm25_only.retrieve(QUESTION, k=5)]
    by_terms = [h.chunk.chunk_id for h in bm25_only.retrieve(QUESTION, k=5, lexical_query="ký ban hành")]
    assert by_question != by_terms


@pytest.mark.parametrize("fusion", ["convex", "rrf"])
def test_several_lexical_queries_share_the_bm25_side(index: PlanIndex, fusion: str) -> None:
    r = HybridRetriever(index, use_dense=False, fusion=fusion)
    typed, guessed = "ai bao cao quy", "ai báo cáo quý"
    alone = {q: [h.chunk.chunk_id for h in r.retrieve(QUESTION, k=30, lexical_query=q)] for q in (typed, guessed)}
    both = r.retrieve(QUESTION, k=60, lexical_query=(typed, guessed))
    assert {h.chunk.chunk_id for h in both} == set(alone[typed]) | set(alone[guessed])
    for h in both:  # the best rank of the two lists
        ranks = [ids.index(h.chunk.chunk_id) + 1 for ids in alone.values() if h.chunk.chunk_id in ids]
        assert h.bm25_rank == min(ranks)
    # the same query twice is one list, not twice the weight
    once = [(h.chunk.chunk_id, h.score) for h in r.retrieve(QUESTION, k=10, lexical_query=typed)]
    assert [(h.chunk.chunk_id, h.score) for h in r.retrieve(QUESTION, k=10, lexical_query=(typed, typed))] == once


def test_rrf_scores_are_reciprocal_ranks(index: PlanIndex) -> None:
    hits = HybridRetriever(index, rrf_k=10, fusion="rrf").retrieve(QUESTION, k=8)
    for h in hits:
        expect = sum(1 / (10 + r) for r in (h.bm25_rank, h.dense_rank) if r is not None)
        assert h.score == pytest.approx(expect)


def test_convex_alpha_moves_from_bm25_order_to_dense_order(index: PlanIndex) -> None:
    lexical = HybridRetriever(index, fusion_alpha=0.0).retrieve(QUESTION, k=5)
    assert [h.bm25_rank for h in lexical] == [1, 2, 3, 4, 5]
    dense = HybridRetriever(index, fusion_alpha=1.0).retrieve(QUESTION, k=5)
    assert [h.dense_rank for h in dense] == [1, 2, 3, 4, 5]
    both = HybridRetriever(index).retrieve(QUESTION, k=5)
    assert [h.score for h in both] == sorted((h.score for h in both), reverse=True)
    assert all(h.bm25_rank or h.dense_rank for h in both)


@pytest.mark.parametrize("fusion", ["convex", "rrf"])
def test_filters_apply_to_both_sides(index: PlanIndex, fusion: str) -> None:
    hits = HybridRetriever(index, fusion=fusion).retrieve(QUESTION, k=8, filters=Filters(sources=(GO_VAP_2010,)))
    assert hits and {h.chunk.source for h in hits} == {GO_VAP_2010}
