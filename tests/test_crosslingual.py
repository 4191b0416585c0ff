"""assistant/crosslingual.py: an English question becomes Vietnamese search terms through the bundled glossary,
the longest English phrase winning over its words, with names and numbers kept as typed, in question order."""

from __future__ import annotations

from assistant.crosslingual import glossary, vietnamese_terms
from assistant.textmatch import detect_language


def test_the_glossary_is_read_longest_phrase_first_without_comments() -> None:
    pairs = glossary()
    assert ("people's committee", "UBND Ủy ban nhân dân") in pairs and ("report", "báo cáo") in pairs
    assert not any(en.startswith("#") or not vi for en, vi in pairs)
    lengths = [len(en) for en, _ in pairs]
    assert lengths == sorted(lengths, reverse=True)


def test_a_phrase_consumes_its_words() -> None:
    """ "skilled mass mobilization" is one term: neither "mass mobilization" nor its words are added again."""
    terms = vietnamese_terms("What are the skilled mass mobilization models?")
    assert "Dân vận khéo" in terms and terms.count("dân vận") == 0


def test_terms_follow_the_question_and_keep_names_and_numbers() -> None:
    terms = vietnamese_terms("Who signed plan 08/KH-UBND of Go Vap district in 2010?")
    assert terms.split()[:2] == ["ký", "kế"]  # "signed" before "plan", as asked
    for kept in ("08/KH-UBND", "Go Vap", "quận", "2010"):
        assert kept in terms, terms
    assert "Who" not in terms  # question words are not names


def test_a_question_without_known_terms_keeps_only_its_names() -> None:
    assert vietnamese_terms("What about Hanoi?") == "Hanoi"
    assert vietnamese_terms("what about it?") == ""


def test_total_investment_is_the_decisions_field() -> None:
    """ "What is the total investment of …?" found the project's scale: "total" had no term, so "Tổng vốn đầu tư:
    3.277 … đồng" covered no more of the question than any sentence about investing."""
    assert "tổng vốn đầu tư" in vietnamese_terms("What is the total investment of the Phu Xuan industrial park?")


def test_words_of_real_documents_have_terms() -> None:
    """ "Who is responsible for handling illegal dredging of minerals?" was answered with a commune chairman's duty:
    "dredging", "illegal" and "handling" had no term, so the Công an tỉnh's task ("xử lý dứt điểm các hành vi khai
    thác khoáng sản bằng tàu cuốc") covered no more of the question than any sentence on minerals."""
    terms = vietnamese_terms("Who is responsible for handling illegal dredging of minerals?")
    for term in ("xử lý", "trái phép", "tàu cuốc", "khoáng sản"):
        assert term in terms, terms
    assert "cấp xã" in vietnamese_terms("What must the commune-level people's committees do?")
    assert "chủ trì" in vietnamese_terms("Who chairs the inspection of the explosives warehouse?")


def test_a_request_is_english_and_its_verb_no_name() -> None:
    """ "Summarize decision 1696." has no English function word: it was read as Vietnamese, and "Summarize" (a
    capitalised first word) as a name to look for."""
    assert detect_language("Summarize decision 1696.") == "en" and detect_language("Tom tat quyet dinh 1696") == "vi"
    assert vietnamese_terms("Summarize decision 1696.") == "quyết định 1696"
