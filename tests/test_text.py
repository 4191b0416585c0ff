"""index/text.py: one home for each text rule. The answerer, the guard, the evaluation and the benchmarks hold
the toolkit's own objects, not copies that could drift (issue 16: a third stopword list in textmatch, `fold` again
in the XQuAD benchmark, a sentence-span alias under another name, three percentiles and two memory units)."""

from __future__ import annotations

from assistant import compose, evidence, extractive, guard, lists, loadtest, measure, quoting, textmatch
from assistant.bench import latency
from assistant.bench import retrieval as bench_retrieval
from eval import metrics
from index import sentences, text


def test_the_answerer_reads_questions_with_the_toolkits_lists() -> None:
    assert textmatch.QUESTION_STOPWORDS is text.QUESTION_STOPWORDS
    assert textmatch.ENGLISH_MARKERS is text.ENGLISH_MARKERS and textmatch.VIETNAMESE_MARKERS is text.VIETNAMESE_MARKERS
    assert not hasattr(textmatch, "STOPWORDS") and not hasattr(textmatch, "sentence_spans")
    # The lists differ on purpose: the question list is accented, the guard's and the eval's are folded.
    assert "của" in text.QUESTION_STOPWORDS and "cua" in text.STOPWORDS and "cua" not in text.QUESTION_STOPWORDS


def test_passages_are_quoted_and_answers_split_by_the_one_sentence_rule() -> None:
    assert text.clause_spans is sentences.clause_spans and text.answer_sentences is sentences.answer_sentences
    for module in (guard, evidence, quoting, lists):
        assert module.clause_spans is text.clause_spans, module.__name__
    assert guard.answer_sentences is metrics.answer_sentences is text.answer_sentences


def test_questions_typed_without_accents_are_made_by_the_toolkit() -> None:
    assert bench_retrieval.strip_diacritics is text.strip_diacritics
    assert text.strip_diacritics("Đội thủ  Panthers?") == "Doi thu  Panthers?"  # case and spacing kept
    assert text.fold("Đội thủ  Panthers?") == "doi thu panthers?"


def test_the_extractive_answerer_is_split_but_answers_through_one_class() -> None:
    assert extractive.fitting_documents.__module__ == "assistant.fitting"
    assert extractive.meaning_texts is evidence.meaning_texts and extractive.doc_label is quoting.doc_label
    assert compose.field_label_share is evidence.field_label_share


def test_one_percentile_and_one_memory_unit() -> None:
    assert metrics.percentile is measure.percentile and latency.percentile is measure.percentile
    assert loadtest.percentile is measure.percentile and loadtest.rss_mib is measure.rss_mib
    assert measure.percentile([3.0, 1.0, 2.0], 50) == 2.0 and measure.percentile([3.0, 1.0, 2.0], 95) == 3.0
    assert measure.MIB == 1024 * 1024 and measure.peak_rss_mib() > 1.0  # this process holds more than 1 MiB


def test_the_page_and_the_word_export_link_the_same_citation_marks() -> None:
    from assistant import export, render

    assert render.CITATION_MARK is export.CITATION_MARK is text.CITATION_MARK
