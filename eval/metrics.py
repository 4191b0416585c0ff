"""Pure evaluation metrics: retrieval, citations, facts, groundedness and aggregation.

Every text comparison is made on `fold(...)`: case, Vietnamese diacritics (đ→d)
and whitespace are folded, so "phong noi vu" matches "Phòng Nội vụ". This module
does no I/O; its text rules are the toolkit's (`index.text`: folding, word lists, citation markers, where
sentences end), shared with the answerer and the grounding guard, and latency percentiles are
`assistant.measure.percentile` (nearest rank), as for the benchmarks and the load test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

from assistant.measure import percentile as percentile
from index.text import CITATION as _CITATION
from index.text import FRAMING as FRAMING  # re-exported: the eval's words are the guard's (index.text)
from index.text import STOPWORDS as STOPWORDS
from index.text import answer_sentences
from index.text import content_words as content_words
from index.text import fold as fold
from index.text import parse_citations as parse_citations
from index.text import words as folded_words

# Share of an evidence string's folded characters that must lie in ONE cited passage
# (as a single common substring) for the citation to count as support. Strict containment
# is the normal case; 0.9 tolerates an evidence sentence cut by a chunk boundary.
SUPPORT_MIN_OVERLAP = 0.9
# Share of a sentence's content words that must occur in the union of its cited passages.
GROUNDED_MIN_COVERAGE = 0.8
# The answer-first rate: the first sentence of an answer has at most this many words and states a gold fact.
ANSWER_FIRST_MAX_WORDS = 25

# Metric names, in display order. `abstained` applies to unanswerable items only,
# `groundedness` to every answer that did not abstain, `document_recall` to items answered by several
# documents, the others to answerable items (`answer_first` to those with facts).
METRICS = (
    "evidence_hit_at_k",
    "reciprocal_rank",
    "citation_support",
    "citation_precision",
    "document_recall",
    "fact_recall",
    "answer_first",
    "answered",
    "abstained",
    "groundedness",
)


def _contains_any(passage: str, evidence: Iterable[str]) -> bool:
    folded = fold(passage)
    return any(fold(e) and fold(e) in folded for e in evidence)


def evidence_hit_at_k(retrieved_texts: Sequence[str], evidence: Sequence[str], k: int) -> float:
    """1.0 if any evidence string lies (folded) in one of the first k passages."""
    return 1.0 if any(_contains_any(t, evidence) for t in retrieved_texts[:k]) else 0.0


def reciprocal_rank(retrieved_texts: Sequence[str], evidence: Sequence[str]) -> float:
    """1/rank of the first passage containing an evidence string, 0.0 if none does."""
    for rank, text in enumerate(retrieved_texts, start=1):
        if _contains_any(text, evidence):
            return 1.0 / rank
    return 0.0


def _supports(passage: str, evidence: str) -> bool:
    ev, text = fold(evidence), fold(passage)
    if not ev:
        return False
    if ev in text:
        return True
    match = SequenceMatcher(None, ev, text, autojunk=False).find_longest_match(0, len(ev), 0, len(text))
    return match.size >= SUPPORT_MIN_OVERLAP * len(ev)


def citation_support(cited_texts: Sequence[str], evidence: Sequence[str]) -> float:
    """1.0 if an evidence string lies in one cited passage.

    Rule: the folded evidence is contained in a folded cited passage, or a single common
    substring covering >= 90% of its folded characters is (an evidence sentence cut by a
    chunk boundary). Passages are never concatenated.
    """
    return 1.0 if any(_supports(t, e) for t in cited_texts for e in evidence) else 0.0


def citation_precision(cited_sources: Sequence[str], gold_docs: Sequence[str]) -> float:
    """Share of citations that come from a gold document; 0 citations give 0.0."""
    if not cited_sources:
        return 0.0
    gold = set(gold_docs)
    return sum(1 for s in cited_sources if s in gold) / len(cited_sources)


def document_recall(cited_sources: Sequence[str], gold_docs: Sequence[str]) -> float:
    """Share of the gold documents that at least one citation comes from (does the answer say what each says?).

    >>> document_recall(["a.txt", "a.txt"], ["a.txt", "b.txt"])
    0.5
    """
    if not gold_docs:
        return 1.0
    cited = set(cited_sources)
    return sum(1 for d in set(gold_docs) if d in cited) / len(set(gold_docs))


def fact_recall(answer: str, facts: Sequence[Sequence[str]]) -> float:
    """Share of fact groups with an alternative in the folded answer; no facts give 1.0."""
    if not facts:
        return 1.0
    folded = fold(answer)
    found = sum(1 for group in facts if any(fold(alt) and fold(alt) in folded for alt in group))
    return found / len(facts)


def answer_first(answer: str, facts: Sequence[Sequence[str]], abstained: bool) -> float:
    """1.0 when the answer's first sentence has at most `ANSWER_FIRST_MAX_WORDS` words (citation markers
    aside) and contains an alternative of a fact group: the official reads the answer before any quote."""
    sentences = split_sentences(answer)
    if abstained or not sentences:
        return 0.0
    first = _CITATION.sub(" ", sentences[0])
    if len([w for w in first.split() if any(ch.isalnum() for ch in w)]) > ANSWER_FIRST_MAX_WORDS:
        return 0.0
    folded = fold(first)
    return 1.0 if any(fold(alt) and fold(alt) in folded for group in facts for alt in group) else 0.0


def split_sentences(answer: str) -> list[str]:
    """Split answer text into sentences (`index.sentences`: the rule the guard and the answerer use);
    trailing "[n]" markers stay with their sentence."""
    return [s.text for s in answer_sentences(answer)]


def sentence_groundedness(answer: str, passages: Mapping[int, str]) -> tuple[float, list[dict[str, Any]]]:
    """Share of grounded answer sentences, with per-sentence details.

    A sentence is grounded iff it cites >= 1 passage, every cited number is a key of
    `passages` (an invalid number fails it), and >= 80% of its content words occur in the
    union of its cited passages. Sentences without content words are skipped (counted=False).
    With no countable sentence the score is 1.0 and every detail is marked counted=False.
    """
    details: list[dict[str, Any]] = []
    for sentence in split_sentences(answer):
        cites = parse_citations(sentence)
        words = content_words(sentence)
        invalid = [n for n in cites if n not in passages]
        detail: dict[str, Any] = {
            "sentence": sentence,
            "citations": cites,
            "invalid": invalid,
            "counted": bool(words),
            "coverage": None,
            "missing": [],
            "grounded": False,
        }
        if not words:
            detail["reason"] = "no content words"
        elif not cites:
            detail["reason"] = "no citation"
        elif invalid:
            detail["reason"] = "invalid citation number"
        else:
            vocab: set[str] = set()
            for n in cites:
                vocab.update(folded_words(passages[n]))
            missing = [w for w in words if w not in vocab]
            coverage = 1.0 - len(missing) / len(words)
            detail.update(coverage=coverage, missing=missing, grounded=coverage >= GROUNDED_MIN_COVERAGE)
            detail["reason"] = "ok" if detail["grounded"] else "content not in cited passages"
        details.append(detail)
    counted = [d for d in details if d["counted"]]
    if not counted:
        return 1.0, details
    return sum(1 for d in counted if d["grounded"]) / len(counted), details


def answered(abstained: bool) -> float:
    """1.0 when the assistant answered, 0.0 when it abstained."""
    return 0.0 if abstained else 1.0


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _group_summary(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {"n": len(items)}
    counts: dict[str, int] = {}
    for name in METRICS:
        values = [float(it["metrics"][name]) for it in items if it["metrics"].get(name) is not None]
        row[name] = _mean(values)
        counts[name] = len(values)
    row["counts"] = counts  # items each metric applied to: a gate's allowed misses are counted in these
    latencies = [float(it["latency_ms"]) for it in items if it.get("latency_ms") is not None]
    row["latency_p50_ms"] = percentile(latencies, 50)
    row["latency_p95_ms"] = percentile(latencies, 95)
    return row


def summarize(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-kind and overall means of each metric (None where it never applied) and latency p50/p95.

    Each item needs "kind", "metrics" (name → float or None) and optionally "latency_ms".
    """
    kinds: dict[str, list[Mapping[str, Any]]] = {}
    for it in items:
        kinds.setdefault(str(it["kind"]), []).append(it)
    return {
        "overall": _group_summary(items),
        "kinds": {kind: _group_summary(group) for kind, group in sorted(kinds.items())},
    }
