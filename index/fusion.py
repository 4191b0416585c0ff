"""Fusion of ranked lists: reciprocal rank fusion, and convex fusion of standardised scores."""

from __future__ import annotations

from collections.abc import Sequence


def rrf(
    ranked_lists: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum_i w_i / (k + rank_i(id)); ties keep first-seen order.

    >>> rrf([["a", "b"], ["b", "c"]], k=1)[0][0]
    'b'
    """
    weights = weights or [1.0] * len(ranked_lists)
    scores: dict[str, float] = {}
    for lst, w in zip(ranked_lists, weights, strict=True):
        for rank, item in enumerate(lst, start=1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


def standardise(hits: Sequence[tuple[str, float]]) -> tuple[dict[str, float], float]:
    """z-scores of one list's scores, and the value of an id the list lacks.

    A truncated list says an absent id scores at most its lowest, so the absent get the lowest z-score.
    When every score is equal (a single hit included) the z-scores are all 0 and the absent get -1: the
    list still prefers what it found, by one standard unit.

    >>> standardise([("a", 3.0), ("b", 1.0)])
    ({'a': 1.0, 'b': -1.0}, -1.0)
    >>> standardise([("a", 7.0)])
    ({'a': 0.0}, -1.0)
    """
    if not hits:
        return {}, 0.0
    vals = [s for _, s in hits]
    mean = sum(vals) / len(vals)
    sd = (sum((v - mean) ** 2 for v in vals) / len(vals)) ** 0.5
    if sd <= 1e-12 * max(1.0, abs(mean)):
        return {c: 0.0 for c, _ in hits}, -1.0
    z = {c: (s - mean) / sd for c, s in hits}
    return z, min(z.values())


def convex(
    scored_lists: Sequence[Sequence[tuple[str, float]]], weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fuse scored lists: score(id) = sum_i w_i * z_i(id), where z_i standardises list i's scores (see
    `standardise`; an id absent from a list gets that list's lowest value). Unlike `rrf` it keeps how far
    apart the scores are. Weights default to equal shares; ties keep first-seen order.

    >>> [c for c, _ in convex([[("a", 9.0), ("b", 1.0)], [("b", 0.9), ("c", 0.8), ("a", 0.1)]])]
    ['b', 'a', 'c']
    """
    weights = weights or [1.0 / len(scored_lists)] * len(scored_lists)
    standard = [standardise(hits) for hits in scored_lists]
    ids = dict.fromkeys(c for hits in scored_lists for c, _ in hits)
    scores = {c: sum(w * z.get(c, absent) for (z, absent), w in zip(standard, weights, strict=True)) for c in ids}
    return sorted(scores.items(), key=lambda kv: -kv[1])  # stable: ties keep first-seen order
