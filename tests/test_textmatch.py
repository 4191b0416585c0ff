from assistant.textmatch import (
    TermMatcher,
    content_terms,
    detect_language,
    entities,
    entity_kind,
    is_list_question,
    lexical_query,
    places,
    sentence_spans,
    years,
)


def flat_idf(_: str) -> float:
    return 1.0


def test_question_frames_and_stopwords_are_not_search_terms():
    assert content_terms("Ai chịu trách nhiệm báo cáo quý?") == ["báo", "cáo", "quý"]
    assert content_terms("Ai chiu trach nhiem bao cao quy?") == ["bao", "cao", "quy"]
    assert "nội" in content_terms("Phòng Nội vụ làm gì?")  # "nội" of Nội vụ is a content word
    assert lexical_query("Ai chịu trách nhiệm báo cáo quý?") == "ai báo cáo quý"


def test_language_detection():
    assert detect_language("Who signed the Go Vap plan?") == "en"
    assert detect_language("Ai ky ke hoach Go Vap?") == "vi"
    assert detect_language("Ai ký kế hoạch?") == "vi"


def test_coverage_exact_for_accented_folded_for_unaccented():
    accented = TermMatcher("báo cáo quý", flat_idf)
    assert accented.coverage("báo cáo hàng quý") == 1.0
    assert accented.coverage("bao cao quy dinh") == 0.0  # accents typed: "quy" is not "quý"
    plain = TermMatcher("bao cao quy", flat_idf)
    assert plain.coverage("Báo cáo hàng quý") == 1.0
    soft = TermMatcher("báo cáo quý", flat_idf, soft=True)
    assert 0.5 < soft.coverage("bao cao quy") < 1.0


def test_bigram_bonus_rewards_words_kept_together():
    m = TermMatcher("phòng nội vụ", flat_idf)
    assert m.bigram_bonus("qua Phòng Nội vụ") == 1.0
    assert m.bigram_bonus("vụ phòng nội") == 0.5


def test_sentence_spans_split_sentences_clauses_and_bullets_not_hyphens():
    text = "Câu một. Câu hai; câu ba:\n- gạch đầu dòng\nMTTQ và các tổ chức chính trị - xã hội."
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == [
        "Câu một.",
        "Câu hai;",
        "câu ba:",
        "gạch đầu dòng",
        "MTTQ và các tổ chức chính trị - xã hội.",
    ]


def test_places_years_and_entities():
    assert places("Kế hoạch của quận Cầu Giấy năm 2023 giao cho ai?") == ["Cầu Giấy"]
    assert places("ke hoach quan cau giay") == []  # lower case: "quan" may be "quan trọng"
    assert places("quận Ba Đình Phòng Nội vụ") == ["Ba Đình"]
    assert years("năm 2010 và 2025, số 08") == ["2010", "2025"]
    ents = entities("Phòng Nội vụ quận Ba Đình làm gì năm 2025?", known=["UBND quận Ba Đình", "Ba Đình"])
    assert {"quận Ba Đình", "2025", "Phòng Nội vụ"} <= set(ents)
    assert [entity_kind(e) for e in ("2025", "08/KH-UBND", "Phòng Nội vụ", "quận Ba Đình")] == [
        "year",
        "docno",
        "unit",
        "place",
    ]


def test_list_questions():
    assert is_list_question("Kế hoạch nêu những phương châm nào?")
    assert not is_list_question("Ai ký kế hoạch?")
