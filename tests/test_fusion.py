from index.fusion import rrf


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
