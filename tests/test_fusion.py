"""Fusion of ranked lists: reciprocal ranks and standardised scores."""

import pytest

from index.fusion import convex, rrf, standardise


def test_item_in_both_lists_beats_items_in_one():
    fused = rrf([["a", "b", "c"], ["b", "d"]], k=60)
    assert fused[0][0] == "b"
    assert {i for i, _ in fused} == {"a", "b", "c", "d"}


def test_scores_are_reciprocal_ranks_and_ties_keep_first_seen_order():
    fused = dict(rrf([["x", "y"], ["y", "x"]], k=1))
    assert fused["x"] == fused["y"] == 1 / 2 + 1 / 3
    assert [i for i, _ in rrf([["x"], ["y"]], k=1)] == ["x", "y"]


def test_weights_shift_the_balance():
    assert rrf([["a"], ["b"]], k=1, weights=[1.0, 2.0])[0][0] == "b"


def test_empty_lists():
    assert rrf([[], []]) == []


# ------------------------------------------------------------------------------------------- convex
def test_convex_keeps_score_distances_that_rrf_throws_away():
    bm25 = [("a", 10.0), ("b", 2.0), ("c", 1.0)]  # BM25 is sure about a
    dense = [("b", 0.80), ("d", 0.795), ("a", 0.79), ("c", 0.1)]  # dense hesitates between b, d and a
    assert rrf([[c for c, _ in bm25], [c for c, _ in dense]])[0][0] == "b"
    assert convex([bm25, dense])[0][0] == "a"


def test_convex_scores_are_weighted_z_scores_and_absent_ids_get_the_lowest():
    fused = dict(convex([[("a", 3.0), ("b", 1.0)], [("b", 5.0), ("c", 1.0)]], weights=[0.25, 0.75]))
    # z-scores are ±1 in both lists; c is absent from the first list, a from the second: both get -1.
    assert fused == pytest.approx({"a": 0.25 * 1 + 0.75 * -1, "b": 0.25 * -1 + 0.75 * 1, "c": -1.0})


def test_convex_ignores_the_scale_of_each_list():
    bm25 = [("a", 7.0), ("b", 5.0), ("c", 1.0)]
    dense = [("c", 0.9), ("b", 0.7), ("d", 0.2)]
    rescaled = [(c, 100 * s + 3) for c, s in bm25]
    assert [c for c, _ in convex([bm25, dense])] == [c for c, _ in convex([rescaled, dense])]


def test_convex_weights_shift_the_balance():
    bm25, dense = [("a", 2.0), ("b", 1.0)], [("b", 0.9), ("a", 0.1)]
    assert [c for c, _ in convex([bm25, dense], weights=[1.0, 0.0])] == ["a", "b"]
    assert [c for c, _ in convex([bm25, dense], weights=[0.0, 1.0])] == ["b", "a"]


def test_convex_with_one_empty_list_keeps_the_other_lists_order():
    dense = [("x", 0.9), ("y", 0.5), ("z", 0.2)]
    assert [c for c, _ in convex([[], dense])] == ["x", "y", "z"]
    assert [c for c, _ in convex([dense, []])] == ["x", "y", "z"]
    assert convex([[], []]) == []


def test_a_single_hit_or_equal_scores_still_rank_the_found_above_the_absent():
    assert standardise([("x", 3.0)]) == ({"x": 0.0}, -1.0)
    assert convex([[("x", 3.0)], []]) == [("x", 0.0)]
    # x is the only BM25 hit; dense scores are all equal: x, found by both, comes first.
    assert [c for c, _ in convex([[("x", 3.0)], [("y", 0.6), ("x", 0.6)]])] == ["x", "y"]


def test_convex_ties_keep_first_seen_order():
    fused = convex([[("a", 1.0), ("b", 1.0)], [("c", 0.5), ("b", 0.5)]])
    assert [c for c, _ in fused] == ["b", "a", "c"]  # a and c tie (each absent from one list): a was seen first
    assert fused[1][1] == fused[2][1]
