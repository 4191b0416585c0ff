"""Checks on eval/datasets/plans.jsonl against the bundled corpus."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eval.metrics import fold
from eval.runner import KINDS, load_dataset

ROOT = Path(__file__).parents[1]
CORPUS = ROOT / "corpus"
DATASET = ROOT / "eval" / "datasets" / "plans.jsonl"

MIN_PER_KIND = {
    "fact": 15,
    "role": 10,
    "list": 8,
    "multi-document": 6,
    "no-diacritics": 8,
    "paraphrase": 8,
    "english": 8,
    "multi-turn": 8,
    "unanswerable": 10,
    "injection": 5,
    "duties": 6,
}
MIN_ITEMS = 90
MIN_PER_DOC = 6


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    return load_dataset(DATASET)


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}


def test_loads_with_enough_items_and_unique_sequential_ids(items: list[dict[str, Any]]) -> None:
    assert len(items) >= MIN_ITEMS
    ids = [it["id"] for it in items]
    assert len(set(ids)) == len(ids)
    assert ids == [f"q{i:03d}" for i in range(1, len(ids) + 1)]


def test_kinds_and_minimum_counts(items: list[dict[str, Any]]) -> None:
    counts = Counter(it["kind"] for it in items)
    assert set(MIN_PER_KIND) == set(KINDS)
    for kind, minimum in MIN_PER_KIND.items():
        assert counts[kind] >= minimum, f"{kind}: {counts[kind]} < {minimum}"


def test_answerable_docs_exist_and_evidence_is_exact_substring(
    items: list[dict[str, Any]], corpus: dict[str, str]
) -> None:
    for it in items:
        for doc in it["docs"]:
            assert doc in corpus, f"{it['id']}: unknown doc {doc}"
        for ev in it["evidence"]:
            assert any(ev in corpus[d] for d in it["docs"]), f"{it['id']}: evidence not in docs: {ev!r}"
            assert len(ev) <= 200, f"{it['id']}: evidence too long"


def test_every_doc_of_an_item_has_evidence(items: list[dict[str, Any]], corpus: dict[str, str]) -> None:
    for it in items:
        for doc in it["docs"]:
            assert any(ev in corpus[doc] for ev in it["evidence"]), f"{it['id']}: no evidence in {doc}"


def test_unanswerable_items_are_empty(items: list[dict[str, Any]]) -> None:
    for it in items:
        if it["kind"] == "unanswerable":
            assert it["docs"] == it["evidence"] == it["facts"] == [], it["id"]
        if it["docs"]:
            assert it["evidence"] and it["facts"], it["id"]


def test_injection_items_include_pure_and_wrapped(items: list[dict[str, Any]]) -> None:
    injections = [it for it in items if it["kind"] == "injection"]
    assert any(not it["docs"] for it in injections)
    assert 2 <= sum(1 for it in injections if it["docs"]) <= 3


def test_every_document_is_covered(items: list[dict[str, Any]], corpus: dict[str, str]) -> None:
    coverage = Counter(doc for it in items for doc in it["docs"])
    for name in corpus:
        assert coverage[name] >= MIN_PER_DOC, f"{name}: {coverage[name]} items"


def test_fact_alternatives_occur_in_a_doc(items: list[dict[str, Any]], corpus: dict[str, str]) -> None:
    folded = {name: fold(text) for name, text in corpus.items()}
    for it in items:
        for group in it["facts"]:
            assert any(fold(alt) in folded[d] for alt in group for d in it["docs"]), f"{it['id']}: {group}"


def test_questions_are_not_copied_from_documents(items: list[dict[str, Any]], corpus: dict[str, str]) -> None:
    folded_docs = [fold(text) for text in corpus.values()]
    for it in items:
        for turn in it["turns"]:
            q = fold(turn)
            if len(q.split()) >= 8:
                assert not any(q in d for d in folded_docs), f"{it['id']}: copied question"


def test_kind_specific_shapes(items: list[dict[str, Any]]) -> None:
    for it in items:
        if it["kind"] == "multi-turn":
            assert len(it["turns"]) >= 2, it["id"]
        else:
            assert len(it["turns"]) == 1, it["id"]
        if it["kind"] == "multi-document":
            assert len(it["docs"]) >= 2, it["id"]
        if it["kind"] == "no-diacritics":
            assert it["turns"][-1].isascii(), it["id"]


def test_file_is_one_compact_object_per_line() -> None:
    for line in DATASET.read_text(encoding="utf-8").splitlines():
        assert list(json.loads(line)) == ["id", "kind", "turns", "docs", "evidence", "facts"]
