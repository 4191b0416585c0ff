import pytest

from index.accents import AccentRestorer

CORPUS = [
    "Các đơn vị gửi báo cáo hàng quý về Phòng Nội vụ theo quy định.",
    "Thực hiện quy chế dân chủ ở cơ sở; báo cáo quý và năm.",
    "Kế hoạch của UBND quận Gò Vấp do Nguyễn Hồng ký.",
]


def test_restores_from_corpus_bigrams_and_bundled_question_words():
    r = AccentRestorer.from_texts(CORPUS)
    assert r.restore("bao cao quy") == "báo cáo quý"
    assert r.restore("theo quy dinh") == "theo quy định"
    assert r.restore("ke hoach go vap do ai ky") == "kế hoạch gò vấp do ai ký"


def test_accented_text_and_unknown_words_are_kept():
    r = AccentRestorer.from_texts(CORPUS)
    assert r.restore("Báo cáo quý") == "Báo cáo quý"
    assert r.restore("xyz bao cao") == "xyz báo cáo"
    assert r.restore("") == ""


def test_counts_update_like_a_recount_and_round_trip() -> None:
    from index.accents import AccentCounts

    counts = AccentCounts()
    counts.add(CORPUS)
    counts.add(CORPUS[1:2], sign=-1)
    counts.add(["Ủy ban MTTQ giám sát quy chế dân chủ."])
    recount = AccentCounts()
    recount.add([CORPUS[0], CORPUS[2], "Ủy ban MTTQ giám sát quy chế dân chủ."])
    assert counts == recount and "chế" in counts.unigrams and ("quý", "và") not in counts.bigrams  # zeros go
    again = AccentCounts.from_json(counts.to_json())
    assert again == counts
    texts = [CORPUS[0], CORPUS[2], "Ủy ban MTTQ giám sát quy chế dân chủ."]
    assert AccentRestorer.from_counts(again).by_fold == AccentRestorer.from_texts(texts).by_fold
    with pytest.raises(ValueError):
        counts.add(["Hội đồng nhân dân"], sign=-1)  # never counted in


def test_ties_are_broken_by_spelling_whatever_the_counting_order() -> None:
    a = AccentRestorer.from_texts(["ma má mà mả mã mạ", "mạ mã mả mà má ma"])
    b = AccentRestorer.from_texts(["mạ mã mả mà má ma", "ma má mà mả mã mạ"])
    assert a.by_fold["ma"] == b.by_fold["ma"] and a.restore("ma") == b.restore("ma")
