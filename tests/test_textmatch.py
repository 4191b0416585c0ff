from assistant.textmatch import (
    TermMatcher,
    content_terms,
    detect_language,
    entities,
    entity_kind,
    is_list_question,
    lexical_query,
    places,
    search_queries,
    years,
)
from index.text import clause_spans


def flat_idf(_: str) -> float:
    return 1.0


def test_question_frames_and_stopwords_are_not_search_terms():
    assert content_terms("Ai chịu trách nhiệm báo cáo quý?") == ["báo", "cáo", "quý"]
    assert content_terms("Ai chiu trach nhiem bao cao quy?") == ["bao", "cao", "quy"]
    assert "nội" in content_terms("Phòng Nội vụ làm gì?")  # "nội" of Nội vụ is a content word
    # "biết" asks in "cho biết"/"muốn biết", but is the phrase's own word in "Dân biết, dân bàn"
    assert content_terms("Cho biết hạn báo cáo năm?") == ["hạn", "báo", "cáo", "năm"]
    assert content_terms("Tôi muốn biết hạn báo cáo") == ["hạn", "báo", "cáo"]
    assert "biết" in content_terms("Phương châm dân biết, dân bàn là gì?")
    assert lexical_query("Ai chịu trách nhiệm báo cáo quý?") == "ai báo cáo quý"


def test_language_detection():
    assert detect_language("Who signed the Go Vap plan?") == "en"
    assert detect_language("Ai ky ke hoach Go Vap?") == "vi"
    assert detect_language("Ai ký kế hoạch?") == "vi"


def test_unaccented_vietnamese_with_the_do_or_an_english_name_stays_vietnamese():
    # "the" and "do" are thể/thế and do/đó typed without accents; they were taken for English.
    assert detect_language("Lam the nao de bao cao quy?") == "vi"
    assert detect_language("Do ai ky, the thuc ra sao?") == "vi"
    assert detect_language("Ke hoach do ai ky the?") == "vi"
    # an English name with a marker word is outweighed by the Vietnamese function syllables around it
    assert detect_language("Doctor Who la loai Chua te gi?") == "vi"
    assert detect_language("Bank of America co tru so o dau, thanh lap nam nao?") == "vi"


def test_english_with_non_vietnamese_characters_stays_english():
    # Any non-ASCII character used to mean Vietnamese: degree signs, dashes, umlauts, curly quotes.
    assert detect_language("What is the average temperature in °C – and who measured it?") == "en"
    assert detect_language("Which university did Tesla attend in Graz, Austria, after Zürich?") == "en"
    assert detect_language("Who signed Ba Dinh district’s plan?") == "en"
    assert detect_language("Why was the plan delayed?") == "en"
    # and NFD input (accents as combining marks) is still Vietnamese
    assert detect_language("Ai ky\u0301 ke\u0302\u0301 hoa\u0323ch?") == "vi"


def test_search_queries_give_each_side_its_own_query():
    def restore(q: str) -> str:
        return "ai chịu trách nhiệm báo cáo quý" if q == "Ai chiu trach nhiem bao cao quy?" else q

    def known(text: str) -> str:
        return " ".join(t for t in text.split() if t in {"ký", "kế", "hoạch", "Go", "Vap"})

    typed = search_queries("Ai chiu trach nhiem bao cao quy?", "vi", restore, known)
    assert typed.dense == typed.match == "ai chịu trách nhiệm báo cáo quý" and typed.restored
    # BM25 gets the terms as typed, and the guessed accents only as a second list beside them
    assert typed.lexical == ("ai bao cao quy", "ai báo cáo quý")
    accented = search_queries("Ai chịu trách nhiệm báo cáo quý?", "vi", restore, known)
    assert not accented.restored and accented.dense == "Ai chịu trách nhiệm báo cáo quý?"
    assert accented.lexical == ("ai báo cáo quý",)
    unknown = search_queries("Go Vap?", "vi", lambda q: "go vap", known)  # nothing to restore: one list
    assert unknown.restored and unknown.lexical == ("go vap",)
    english = search_queries("Who signed Go Vap's plan?", "en", restore, known)
    assert english.dense == "Who signed Go Vap's plan?" and english.match == "ký Go Vap kế hoạch"
    assert english.lexical == ("ký go vap kế hoạch",) and not english.restored
    nothing = search_queries("How is the weather on Mars?", "en", restore, known)
    assert nothing.lexical == () and nothing.dense == "How is the weather on Mars?"  # no BM25 at all


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
    spans = [text[s:e] for s, e in clause_spans(text)]
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


def test_english_with_few_function_words_is_english() -> None:
    """Before: 'vi' (one English marker among 17 words), so the abstention came in Vietnamese."""
    question = "Under Lao Cai's plan implementing Directive 11-CT/TU, which body leads the inspections in geology?"
    assert detect_language(question) == "en"
    assert detect_language("Thoi han uy quyen cho Giam doc So Cong Thuong Lao Cai theo quyet dinh nao?") == "vi"
    assert detect_language("Doctor Who la ai?") == "vi"


def test_glossary_covers_the_vocabulary_of_departments_documents() -> None:
    """Provincial departments write about investment, land and minerals: an English question about them finds
    the Vietnamese terms (before: only the mass-mobilisation vocabulary was known)."""
    from assistant.crosslingual import vietnamese_terms

    terms = vietnamese_terms("Which company was approved as the investor of the industrial park?")
    assert {"chấp thuận", "nhà đầu tư", "khu công nghiệp", "công ty"} <= set(_phrases(terms))
    assert "khoáng sản" in vietnamese_terms("Which body leads the inspections in geology and minerals?")


def _phrases(terms: str) -> list[str]:
    words = terms.split()
    return [" ".join(words[i : i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)]
