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
